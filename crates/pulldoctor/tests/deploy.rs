//! The manifests in deploy/: valid against the Kubernetes OpenAPI schemas (`kubernetes-validate`
//! from PyPI, strict: unknown fields are errors; scripts/test.sh installs it), the one-file form
//! equal to the kustomize base, the IRSA policy equal to the live collector's, and the alert rules
//! naming metrics the agent exports.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

const BASE: &[&str] = &["namespace", "serviceaccount", "rbac", "deployment", "daemonset", "service", "servicemonitor", "prometheusrule"];

#[test]
fn manifests_pass_the_kubernetes_schemas() {
    let mut files: Vec<PathBuf> = BASE.iter().map(|f| root().join(format!("deploy/kustomize/base/{f}.yaml"))).collect();
    files.push(root().join("deploy/pulldoctor.yaml"));
    let output = Command::new("kubernetes-validate")
        .args(["--strict", "-k", "1.33.0"])
        .args(&files)
        .output()
        .expect("kubernetes-validate is needed: `pip install kubernetes-validate` (scripts/test.sh installs it)");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{text}");
    for kind in ["deployment/pulldoctor", "daemonset/pulldoctor-node-probe", "clusterrole/pulldoctor-agent", "service/pulldoctor"] {
        assert!(text.contains(&format!("passed for resource {kind}")), "{kind}: {text}");
    }
}

/// deploy/pulldoctor.yaml is the base, file after file (what the kustomization renders: it only
/// sets the namespace, which every object already has, and the image, to the same name).
#[test]
fn the_single_file_is_the_kustomize_base() {
    let kustomization = std::fs::read_to_string(root().join("deploy/kustomize/base/kustomization.yaml")).unwrap();
    let mut expected = String::new();
    for file in BASE {
        assert!(kustomization.contains(&format!("  - {file}.yaml")), "{file} is not in the kustomization");
        expected.push_str("---\n");
        expected.push_str(&std::fs::read_to_string(root().join(format!("deploy/kustomize/base/{file}.yaml"))).unwrap());
    }
    let single = std::fs::read_to_string(root().join("deploy/pulldoctor.yaml")).unwrap();
    let body = single.split_once('\n').map(|(_, rest)| rest).unwrap();
    assert_eq!(body, expected, "regenerate deploy/pulldoctor.yaml from the base (see its first line)");
    for object in single.split("\n---\n").filter(|o| o.contains("namespace:") || o.contains("kind: Namespace")) {
        assert!(!object.contains("namespace: ") || object.contains("namespace: pulldoctor"), "{object}");
    }
}

#[test]
fn the_irsa_policy_is_the_collectors() {
    let actions = |path: &str| {
        let policy: serde_json::Value = serde_json::from_slice(&std::fs::read(root().join(path)).unwrap()).unwrap();
        let mut out: Vec<String> = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| match &s["Action"] {
                serde_json::Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_string()).collect::<Vec<_>>(),
                other => vec![other.as_str().unwrap().to_string()],
            })
            .collect();
        out.sort();
        out
    };
    assert_eq!(actions("deploy/iam-policy.json"), actions("docs/aws-iam-policy.json"));
}

/// Every `pulldoctor_*` metric an alert uses is one the agent exports.
#[test]
fn alerts_use_exported_metrics() {
    let rules = std::fs::read_to_string(root().join("deploy/kustomize/base/prometheusrule.yaml")).unwrap();
    let source = std::fs::read_to_string(root().join("crates/pulldoctor-watch/src/metrics.rs")).unwrap();
    let mut used: Vec<&str> =
        rules.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| w.starts_with("pulldoctor_")).collect();
    used.sort();
    used.dedup();
    assert!(used.len() >= 4);
    for metric in used {
        assert!(source.contains(&format!("\"{metric}\"")), "{metric} is not exported");
    }
}
