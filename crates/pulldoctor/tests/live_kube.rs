//! Live cluster collection with kube-rs against a local HTTP server that answers like the
//! Kubernetes API with the seed example's recorded objects (no API server can be had here).
//! `pulldoctor collect --skip-aws` must read into the same cluster model as the example's own
//! `oc get -o json` files, keep what the diagnosis needs of the pull secrets, and let no
//! credential bytes reach the bundle.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use pulldoctor_bundle::{ReadOptions, read_bundle};
use serde_json::{Value, json};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rosa-ecr-main-route-table/k8s")
}

/// Every object of the example's cluster files, by kind.
fn objects() -> Vec<Value> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(example()).unwrap().flatten() {
        let value: Value = serde_json::from_slice(&std::fs::read(entry.path()).unwrap()).unwrap();
        match value.get("items").and_then(Value::as_array) {
            Some(items) => out.extend(items.iter().cloned()),
            None => out.push(value),
        }
    }
    out
}

fn respond(objects: &[Value], path: &str) -> (u16, Value) {
    let path = path.split('?').next().unwrap_or(path);
    let list = |kind: &str| {
        let items: Vec<&Value> = objects.iter().filter(|o| o["kind"] == kind).collect();
        (200, json!({"apiVersion": "v1", "kind": format!("{kind}List"), "metadata": {"resourceVersion": "1"}, "items": items}))
    };
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["api", "v1", "pods"] => list("Pod"),
        ["api", "v1", "events"] => list("Event"),
        ["api", "v1", "nodes"] => list("Node"),
        ["api", "v1", "serviceaccounts"] => list("ServiceAccount"),
        ["api", "v1", "namespaces"] => list("Namespace"),
        ["apis", "networking.k8s.io", "v1", "networkpolicies"] => list("NetworkPolicy"),
        ["api", "v1", "namespaces", namespace, "secrets", name] => {
            match objects
                .iter()
                .find(|o| o["kind"] == "Secret" && o["metadata"]["namespace"] == *namespace && o["metadata"]["name"] == *name)
            {
                Some(secret) => (200, secret.clone()),
                None => not_found(),
            }
        }
        ["apis", "config.openshift.io", "v1", plural, "cluster"] => {
            let kind = if *plural == "proxies" { "Proxy" } else { "Image" };
            match objects.iter().find(|o| o["kind"] == kind) {
                Some(object) => (200, object.clone()),
                None => not_found(),
            }
        }
        _ => not_found(),
    }
}

fn not_found() -> (u16, Value) {
    (
        404,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "not found", "reason": "NotFound", "code": 404}),
    )
}

/// A minimal HTTP/1.1 server on loopback: one request per connection.
fn serve(objects: Vec<Value>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let (status, body) = respond(&objects, &path);
            let body = body.to_string();
            let reason = if status == 200 { "OK" } else { "Not Found" };
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

#[test]
fn collect_reads_the_cluster_like_oc_get_and_keeps_no_credentials() {
    let objects = objects();
    let port = serve(objects.clone());
    let root = tempfile::tempdir().unwrap();
    let kubeconfig = root.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: recorded\n  cluster:\n    server: http://127.0.0.1:{port}\ncontexts:\n- name: recorded\n  context:\n    cluster: recorded\n    user: nobody\ncurrent-context: recorded\nusers:\n- name: nobody\n  user:\n    token: not-a-real-token\n"
        ),
    )
    .unwrap();
    let live_dir = root.path().join("live");
    let output = Command::new(env!("CARGO_BIN_EXE_pulldoctor"))
        .args(["collect", "-o", live_dir.to_str().unwrap(), "--skip-aws"])
        .env("KUBECONFIG", &kubeconfig)
        .output()
        .unwrap();
    assert!(output.status.success(), "collect failed: {}", String::from_utf8_lossy(&output.stderr));

    let recorded = read_bundle(&example(), &ReadOptions::default()).unwrap().model;
    let live = read_bundle(&live_dir, &ReadOptions::default()).unwrap().model;
    assert_eq!(live.pods, recorded.pods);
    assert_eq!(live.nodes, recorded.nodes);
    assert_eq!(live.events, recorded.events);
    assert_eq!(live.service_accounts, recorded.service_accounts);
    assert_eq!(live.namespaces, recorded.namespaces);
    assert_eq!(live.network_policies, recorded.network_policies);
    assert_eq!(live.proxy, recorded.proxy);
    // Pull secrets: only the referenced ones, with the same facts (hosts, users, ECR expiry).
    assert!(!live.secrets.is_empty());
    for (key, facts) in &live.secrets {
        assert_eq!(Some(facts), recorded.secrets.get(key), "{key}");
    }
    assert!(live.secrets.contains_key("harness-delegate-ng/regcred") && live.secrets.contains_key("openshift-config/pull-secret"));

    // No credential bytes anywhere in the written bundle.
    let mut written = String::new();
    for entry in walk(&live_dir) {
        written.push_str(&std::fs::read_to_string(entry).unwrap());
    }
    // The whole encoded data values (their first bytes are only `{"auths":{"host...` in any
    // config, so they are compared whole), and every password and auth value (compared by prefix).
    let mut secrets = Vec::new();
    let mut whole = Vec::new();
    for object in objects.iter().filter(|o| o["kind"] == "Secret") {
        for data in object["data"].as_object().into_iter().flat_map(|d| d.values()).filter_map(Value::as_str) {
            whole.push(data.to_string());
            let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(data) else { continue };
            let Ok(config) = serde_json::from_slice::<Value>(&decoded) else { continue };
            let auths = config.get("auths").cloned().unwrap_or(config);
            for auth in auths.as_object().into_iter().flat_map(|a| a.values()) {
                // the password itself (compared by prefix), and the whole `auth` value
                if let Some(password) = auth["password"].as_str().filter(|t| t.len() > 8) {
                    secrets.push(password.to_string());
                }
                if let Some(encoded) = auth["auth"].as_str() {
                    whole.push(encoded.to_string());
                    let decoded = base64::engine::general_purpose::STANDARD
                        .decode(encoded)
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_default();
                    if let Some((_, password)) = decoded.split_once(':').filter(|(_, p)| p.len() > 8) {
                        secrets.push(password.to_string());
                    }
                }
            }
        }
    }
    assert!(secrets.len() >= 4);
    for data in whole {
        assert!(!written.contains(&data), "a secret's data reached the bundle unredacted");
    }
    for secret in secrets {
        assert!(
            !written.contains(&secret[..secret.len().min(40)]),
            "credential bytes reached the bundle: {}",
            &secret[..secret.len().min(40)]
        );
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.path().is_dir() {
            out.extend(walk(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out
}
