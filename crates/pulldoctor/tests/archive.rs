//! The escalation package (`diagnose BUNDLE --archive`): unpacked with the system's `tar`, it
//! holds the redacted bundle, the three reports and a manifest; the bundle in it diagnoses as the
//! original does; and no credential byte of the bundle's secrets (known canary tokens, plus the
//! seed incident's own recorded tokens) is anywhere in it, raw or base64-encoded.
//! `live_kube.rs` checks the same for `collect --archive`.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

const CANARY_PASSWORD: &str = "CANARY-PASSWORD-7f3a9c1e5b2d4f60";
const CANARY_TOKEN: &str = "CANARY-TOKEN-c0ffee1234567890abcdef";
const CANARY_ENV: &str = "CANARY-ENV-AKIAEXAMPLE0000SECRET";
const CANARY_PROXY: &str = "CANARY-PROXY-hunter2hunter2";
const CANARY_ECR: &str = "CANARY-ECR-PAYLOAD-9d8c7b6a5f4e3d2c1b0a";

/// The seed incident plus a file of secrets (and a pod, a proxy) carrying known credential bytes.
fn canary_bundle(dir: &Path) -> Vec<String> {
    copy_dir(&root().join("examples/rosa-ecr-main-route-table"), dir);
    let ecr_password = STANDARD.encode(
        json!({"payload": CANARY_ECR, "datakey": "a2V5", "version": "2", "type": "DATA_KEY", "expiration": 1_756_200_000}).to_string(),
    );
    let docker = json!({"auths": {
        "quay.io": {"username": "robot", "password": CANARY_PASSWORD, "auth": STANDARD.encode(format!("robot:{CANARY_PASSWORD}"))},
        "818140567777.dkr.ecr.us-east-1.amazonaws.com": {"auth": STANDARD.encode(format!("AWS:{ecr_password}"))},
    }})
    .to_string();
    let list = json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
         "metadata": {"name": "canary-pull", "namespace": "cf-dev", "creationTimestamp": "2025-08-20T10:00:00Z",
                      "annotations": {"kubectl.kubernetes.io/last-applied-configuration": format!("{{\"data\":\"{CANARY_TOKEN}\"}}")}},
         "data": {".dockerconfigjson": STANDARD.encode(&docker)}},
        {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": {"name": "canary-opaque", "namespace": "cf-dev"},
         "data": {"token": STANDARD.encode(CANARY_TOKEN)}, "stringData": {"plain": CANARY_TOKEN}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "canary-app", "namespace": "cf-dev"},
         "spec": {"containers": [{"name": "app", "image": "quay.io/org/app:1", "env": [{"name": "AWS_SECRET_ACCESS_KEY", "value": CANARY_ENV}]}]},
         "status": {"phase": "Running"}},
    ]});
    std::fs::write(dir.join("k8s/canary.json"), serde_json::to_string_pretty(&list).unwrap()).unwrap();
    let proxy = json!({"apiVersion": "config.openshift.io/v1", "kind": "Proxy", "metadata": {"name": "cluster"},
        "spec": {"httpsProxy": format!("http://proxy-user:{CANARY_PROXY}@proxy.example:3128")}, "status": {}});
    std::fs::write(dir.join("k8s/proxy-canary.json"), proxy.to_string()).unwrap();
    std::fs::write(dir.join("k8s/cut.json"), format!("{{\"kind\": \"Secret\", \"data\": {{\"token\": \"{}", STANDARD.encode(CANARY_TOKEN)))
        .unwrap();
    vec![
        CANARY_PASSWORD.into(),
        STANDARD.encode(format!("robot:{CANARY_PASSWORD}")),
        CANARY_TOKEN.into(),
        STANDARD.encode(CANARY_TOKEN),
        CANARY_ENV.into(),
        CANARY_PROXY.into(),
        CANARY_ECR.into(),
        ecr_password.clone(),
        STANDARD.encode(format!("AWS:{ecr_password}")),
        STANDARD.encode(&docker),
    ]
}

/// The seed's own recorded secret data values and the passwords inside them.
fn seed_secret_values() -> Vec<String> {
    let mut out = Vec::new();
    for file in ["secrets-cf-dev.json", "secrets-harness-delegate-ng.json", "secret-openshift-config-pull-secret.json"] {
        let text = std::fs::read_to_string(root().join("examples/rosa-ecr-main-route-table/k8s").join(file)).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        let items = value.get("items").and_then(Value::as_array).cloned().unwrap_or_else(|| vec![value.clone()]);
        for item in items {
            for data in item["data"].as_object().into_iter().flat_map(|d| d.values()).filter_map(Value::as_str) {
                out.push(data.to_string());
                let Ok(config) = STANDARD.decode(data).map(|b| serde_json::from_slice::<Value>(&b)) else { continue };
                let Ok(config) = config else { continue };
                let auths = config.get("auths").cloned().unwrap_or(config);
                for auth in auths.as_object().into_iter().flat_map(|a| a.values()) {
                    if let Some(password) = auth["password"].as_str().filter(|p| p.len() > 12) {
                        out.push(password[..40.min(password.len())].to_string());
                    }
                    if let Some(encoded) = auth["auth"].as_str() {
                        out.push(encoded.to_string());
                    }
                }
            }
        }
    }
    assert!(out.len() >= 6, "the seed has recorded pull secrets");
    out
}

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.file_type().unwrap().is_dir() {
            all_files(&entry.path(), out);
        } else {
            out.push(entry.path());
        }
    }
}

#[test]
fn the_package_holds_the_reports_and_the_bundle_and_no_credential() {
    let work = tempfile::tempdir().unwrap();
    let bundle = work.path().join("bundle");
    let canaries = canary_bundle(&bundle);
    let archive = work.path().join("case-123.tar.gz");
    let output = Command::new(env!("CARGO_BIN_EXE_pulldoctor"))
        .args(["diagnose", bundle.to_str().unwrap(), "--archive", archive.to_str().unwrap(), "--format", "json"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("wrote the escalation package") && stderr.contains("1 file(s) left out"), "{stderr}");

    // Unpacked by the system's tar, as a support engineer would.
    let unpacked = work.path().join("unpacked");
    std::fs::create_dir(&unpacked).unwrap();
    let status = Command::new("tar").args(["xzf", archive.to_str().unwrap(), "-C", unpacked.to_str().unwrap()]).status().unwrap();
    assert!(status.success());
    let case = unpacked.join("case-123");
    for name in [
        "README.txt",
        "manifest.json",
        "report.html",
        "report.md",
        "report.json",
        "bundle/k8s/canary.json",
        "bundle/aws/ec2-describe-route-tables.json",
    ] {
        assert!(case.join(name).is_file(), "{name} missing");
    }
    assert!(!case.join("bundle/k8s/cut.json").exists(), "a file that cannot be parsed cannot be checked, so it stays out");

    // No credential byte anywhere: every file, read as bytes.
    let mut files = Vec::new();
    all_files(&unpacked, &mut files);
    let mut everything = Vec::new();
    for file in &files {
        everything.extend(std::fs::read(file).unwrap());
    }
    let text = String::from_utf8_lossy(&everything);
    for secret in canaries.iter().chain(&seed_secret_values()) {
        assert!(!text.contains(secret.as_str()), "credential bytes in the package: {}", &secret[..secret.len().min(48)]);
    }
    assert!(text.contains("REDACTED-BY-PULLDOCTOR"));

    // The manifest says what is in it and what was left out; the reports are the diagnosis.
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(case.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["kind"], "PulldoctorCase");
    assert_eq!(manifest["exit_status"], 1);
    assert_eq!(manifest["left_out"][0]["file"], "k8s/cut.json");
    let collected = manifest["collected"].as_array().unwrap();
    assert_eq!(collected.len(), files.iter().filter(|f| f.starts_with(case.join("bundle"))).count());
    let canary = collected.iter().find(|c| c["file"] == "bundle/k8s/canary.json").unwrap();
    assert!(canary["values_redacted"].as_u64().unwrap() >= 5, "{canary}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(case.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["causes"][0]["code"], "route.no-route");
    let html = std::fs::read_to_string(case.join("report.html")).unwrap();
    assert!(html.contains("data-ids=\"rtb-04d162c9e2b6a4cbd\""));
    assert!(std::fs::read_to_string(case.join("report.md")).unwrap().starts_with("# Image pull diagnosis"));

    // The redacted bundle diagnoses as the original (without the cut file, which the package
    // left out): nothing the diagnosis reads was lost, the ECR token's expiry included.
    std::fs::remove_file(bundle.join("k8s/cut.json")).unwrap();
    let diagnose = |dir: &Path| -> Value {
        let output =
            Command::new(env!("CARGO_BIN_EXE_pulldoctor")).args(["diagnose", dir.to_str().unwrap(), "--format", "json"]).output().unwrap();
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let (archived, original) = (diagnose(&case.join("bundle")), diagnose(&bundle));
    // (the notes differ: the original's README.md and expect.toml are passed over and said so;
    // the package kept only what pulldoctor reads)
    for key in original.as_object().unwrap().keys().filter(|key| *key != "notes") {
        assert!(archived[key] == original[key], "`{key}` differs:\n{}\n{}", archived[key], original[key]);
    }
}

#[test]
fn a_package_needs_a_place_to_go() {
    let output = Command::new(env!("CARGO_BIN_EXE_pulldoctor"))
        .args([
            "diagnose",
            root().join("examples/rosa-ecr-main-route-table").to_str().unwrap(),
            "--archive",
            "/nonexistent/dir/case.tar.gz",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot create `/nonexistent/dir/case.tar.gz`"));
}
