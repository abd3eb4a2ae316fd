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
    // Every file of the AWS collector: the calls are spread over its modules.
    let mut source = String::new();
    for entry in std::fs::read_dir(root().join("crates/pulldoctor-live/src/aws")).unwrap() {
        source.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
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

/// `pulldoctor fix`'s own policy (docs/aws-iam-fix-policy.json) grants exactly what it calls:
/// every kind of change's actions and the look-ups named in the fixer's source, nothing more.
#[test]
fn the_fix_policy_allows_every_change_and_nothing_else() {
    let mut source = String::new();
    for entry in std::fs::read_dir(root().join("crates/pulldoctor-live/src/fix")).unwrap() {
        source.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    let mut used = actions_in(&source);
    used.insert("sts:GetCallerIdentity".into());
    for change in pulldoctor_diagnosis::change::Change::one_of_each() {
        used.extend(change.actions());
    }
    let policy: serde_json::Value = serde_json::from_slice(&std::fs::read(root().join("docs/aws-iam-fix-policy.json")).unwrap()).unwrap();
    let allowed: BTreeSet<String> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()))
        .collect();
    let missing: Vec<&String> = used.difference(&allowed).collect();
    assert!(missing.is_empty(), "docs/aws-iam-fix-policy.json lacks {missing:?}");
    let unused: Vec<&String> = allowed.difference(&used).collect();
    assert!(unused.is_empty(), "docs/aws-iam-fix-policy.json allows {unused:?}, which pulldoctor fix never calls");
}

/// The roles of docs/clusterrole.yaml by name, each as its text.
fn roles() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join("docs/clusterrole.yaml")).unwrap();
    text.split("\n---")
        .map(|document| {
            let name = document.lines().find_map(|l| l.trim().strip_prefix("name: ")).unwrap_or_default().to_string();
            (name, document.to_string())
        })
        .collect()
}

/// `verbs:` lines of a role's rules.
fn verb_lines(role: &str) -> Vec<&str> {
    role.lines().filter(|l| l.trim_start().starts_with("verbs:")).collect()
}

#[test]
fn the_cluster_role_allows_every_read() {
    let roles = roles();
    let reading: String = roles.iter().filter(|(name, _)| name != "pulldoctor-prober").map(|(_, text)| text.as_str()).collect();
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
        assert!(reading.contains(&format!("\"{resource}\"")), "docs/clusterrole.yaml does not grant {resource}");
    }
    // reading roles never write: only the optional prober role does
    for verb in ["create", "update", "patch", "delete", "\"*\""] {
        assert!(!verb_lines(&reading).iter().any(|l| l.contains(verb)), "a write verb outside pulldoctor-prober: {verb}");
    }
}

/// The prober role grants what the probe launcher does (crates/pulldoctor-live/src/probe_pods.rs:
/// create, get and delete pods, read their log, exec the copy) and nothing more.
#[test]
fn the_prober_role_allows_what_the_launcher_does_and_no_more() {
    let source = std::fs::read_to_string(root().join("crates/pulldoctor-live/src/probe_pods.rs")).unwrap();
    for call in ["api.create(", "api.get(", "api.delete(", "api.logs(", "api.exec("] {
        assert!(source.contains(call), "the launcher no longer calls {call}: update this test and the role");
    }
    for call in ["api.patch(", "api.replace(", "api.delete_collection(", "api.evict(", "api.attach("] {
        assert!(!source.contains(call), "the launcher calls {call}, which pulldoctor-prober does not grant");
    }
    let roles = roles();
    let (_, prober) =
        roles.iter().find(|(name, _)| name == "pulldoctor-prober").expect("docs/clusterrole.yaml has no pulldoctor-prober role");
    let rules: Vec<(String, String)> = prober
        .split("- apiGroups:")
        .skip(1)
        .map(|rule| {
            let resources = rule.lines().find_map(|l| l.trim().strip_prefix("resources: ")).unwrap_or_default().to_string();
            let verbs = rule.lines().find_map(|l| l.trim().strip_prefix("verbs: ")).unwrap_or_default().to_string();
            (resources, verbs)
        })
        .collect();
    let expected = [
        (r#"["pods"]"#, r#"["create", "get", "delete"]"#),
        (r#"["pods/log"]"#, r#"["get"]"#),
        (r#"["pods/exec"]"#, r#"["create", "get"]"#),
    ];
    let got: Vec<(&str, &str)> = rules.iter().map(|(r, v)| (r.as_str(), v.as_str())).collect();
    assert_eq!(got, expected, "pulldoctor-prober grants exactly the launcher's calls");
    assert!(!prober.contains("resourceNames") && !prober.contains("\"*\""));
}
