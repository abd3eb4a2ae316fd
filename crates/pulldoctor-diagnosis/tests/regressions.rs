//! Diagnoses that once went wrong on real-shaped input, kept right.

use std::path::{Path, PathBuf};

use pulldoctor_bundle::{FileError, ReadOptions, read_contents};

/// Every file of a scenario's bundle, plus extra `(name, bytes)` files.
fn read_with(scenario: &str, extra: &[(&str, &[u8])]) -> pulldoctor_model::Model {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scenarios").join(scenario).join("bundle");
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else if entry.path().extension().is_some_and(|e| e == "json") {
                files.push((entry.path(), std::fs::read(entry.path()).unwrap()));
            }
        }
    }
    files.extend(extra.iter().map(|(name, bytes)| (PathBuf::from(name), bytes.to_vec())));
    files.sort();
    read_contents(files.iter().map(|(p, b)| (p.as_path(), Ok::<&[u8], FileError>(b))), &ReadOptions::default()).unwrap().model
}

/// A ROSA node denied by an endpoint policy names its own role in the error: it had credentials.
/// Once live collection said "secrets read, none there" (an empty SecretList), the pull-secret
/// check blamed a missing secret above the endpoint policy.
#[test]
fn a_denial_naming_the_node_role_is_not_a_missing_secret() {
    let model = read_with("net-endpoint-policy-denied", &[("k8s/secrets.json", br#"{"apiVersion":"v1","kind":"SecretList","items":[]}"#)]);
    assert!(model.inputs.contains(&pulldoctor_model::InputKind::Secrets));
    let report = pulldoctor_diagnosis::diagnose(&model, &Default::default());
    let codes: Vec<&str> = report.causes.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes.first(), Some(&"endpoint.policy-denied"), "{codes:?}");
    assert!(!codes.contains(&"pullsecret.missing"), "{codes:?}");
}
