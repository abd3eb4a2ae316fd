//! The documented permissions cover every call the collectors make: each IAM action named in the
//! AWS collector's source is in docs/aws-iam-policy.json, and each Kubernetes resource the
//! cluster collector reads is in docs/clusterrole.yaml. A new call without its permission fails here.

use std::collections::BTreeSet;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Every `"service:Action"` string literal in the source.
fn actions_in(source: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for piece in source.split('"').skip(1).step_by(2) {
        if let Some((service, action)) = piece.split_once(':')
            && ["ec2", "ecr", "iam", "sts", "cloudtrail"].contains(&service)
            && !action.is_empty()
            && action.chars().all(|c| c.is_ascii_alphanumeric())
            && action.starts_with(|c: char| c.is_ascii_uppercase())
        {
            out.insert(piece.to_string());
        }
    }
    out
}

#[test]
fn the_iam_policy_allows_every_call() {
    let source = std::fs::read_to_string(root().join("crates/pulldoctor-live/src/aws/mod.rs")).unwrap();
    let used = actions_in(&source);
    assert!(used.len() >= 20, "{used:?}");
    let policy: serde_json::Value = serde_json::from_slice(&std::fs::read(root().join("docs/aws-iam-policy.json")).unwrap()).unwrap();
    let allowed: BTreeSet<String> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| s["Action"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()))
        .collect();
    let missing: Vec<&String> = used.difference(&allowed).collect();
    assert!(missing.is_empty(), "docs/aws-iam-policy.json lacks {missing:?}");
    let unused: Vec<&String> = allowed.difference(&used).collect();
    assert!(unused.is_empty(), "docs/aws-iam-policy.json allows {unused:?}, which pulldoctor never calls (least privilege)");
    assert!(allowed.iter().all(|a| a.contains(":Describe") || a.contains(":Get") || a.contains(":Lookup")), "{allowed:?}");
}

#[test]
fn the_cluster_role_allows_every_read() {
    let role = std::fs::read_to_string(root().join("docs/clusterrole.yaml")).unwrap();
    for resource in [
        "pods",
        "events",
        "nodes",
        "serviceaccounts",
        "namespaces",
        "networkpolicies",
        "proxies",
        "images",
        "secrets",
        "imagecontentsourcepolicies",
        "imagedigestmirrorsets",
        "imagetagmirrorsets",
    ] {
        assert!(role.contains(&format!("\"{resource}\"")), "docs/clusterrole.yaml does not grant {resource}");
    }
    for verb in ["create", "update", "patch", "delete", "\"*\""] {
        assert!(!role.lines().filter(|l| l.trim_start().starts_with("verbs:")).any(|l| l.contains(verb)), "a write verb: {verb}");
    }
}
