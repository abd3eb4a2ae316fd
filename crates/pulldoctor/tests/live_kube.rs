//! Live cluster collection with kube-rs against a local HTTP server that answers like the
//! Kubernetes API with the seed example's recorded objects (no API server can be had here), two
//! objects per page so the client's pagination is exercised.
//! `pulldoctor collect --skip-aws` must read into the same cluster model as the example's own
//! `oc get -o json` files, keep what the diagnosis needs of the pull secrets, and let no
//! credential bytes reach the bundle.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use pulldoctor::fs::read_bundle;
use serde_json::Value;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rosa-ecr-main-route-table/k8s")
}

/// `pulldoctor collect -o DIR --skip-aws` against the cluster `kubeconfig` names, plus `extra`.
fn collect_cluster(kubeconfig: &Path, dir: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pulldoctor"))
        .args(["collect", "-o", dir.to_str().unwrap(), "--skip-aws"])
        .args(extra)
        .env("KUBECONFIG", kubeconfig)
        .output()
        .unwrap()
}

/// `pulldoctor diagnose DIR --format json`, parsed.
fn diagnose_json(dir: &Path) -> Value {
    let output =
        Command::new(env!("CARGO_BIN_EXE_pulldoctor")).args(["diagnose", dir.to_str().unwrap(), "--format", "json"]).output().unwrap();
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Every object of the example's cluster files, by kind.
fn objects() -> Vec<Value> {
    common::objects_in(&example())
}

#[test]
fn collect_reads_the_cluster_like_oc_get_and_keeps_no_credentials() {
    let objects = objects();
    let port = common::serve(objects.clone());
    let root = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(root.path(), port);
    let live_dir = root.path().join("live");
    let output = collect_cluster(&kubeconfig, &live_dir, &[]);
    assert!(output.status.success(), "collect failed: {}", String::from_utf8_lossy(&output.stderr));

    let recorded = read_bundle(&example(), &Default::default()).unwrap().model;
    let live = read_bundle(&live_dir, &Default::default()).unwrap().model;
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

/// An identity RBAC keeps from events and secrets: collection goes on, and the report names each
/// denied read as a gap pointing at the read-only ClusterRole, never "healthy".
#[test]
fn rbac_denials_become_gaps_naming_the_cluster_role() {
    let port = common::serve_forbidding(objects(), &["/events", "/secrets/"]);
    let root = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(root.path(), port);
    let dir = root.path().join("live");
    let output = collect_cluster(&kubeconfig, &dir, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("collecting:") && !stderr.contains('\r'), "no progress display in a pipe: {stderr}");
    assert!(stderr.contains("list events denied") && stderr.contains("get secret openshift-config/pull-secret denied"), "{stderr}");
    let report = diagnose_json(&dir);
    let gaps = report["gaps"].as_array().unwrap();
    let denied: Vec<&Value> = gaps.iter().filter(|g| g["why"].as_str().unwrap_or_default().contains("docs/clusterrole.yaml")).collect();
    assert!(denied.iter().any(|g| g["what"].as_str().unwrap().starts_with("list events")), "{gaps:?}");
    assert!(denied.iter().any(|g| g["what"].as_str().unwrap().starts_with("get secret")), "{gaps:?}");
    assert!(!report["affected"].as_array().unwrap().is_empty(), "the failing pods are still reported");
    // a secret that could not be read is unknown, not missing
    let causes: Vec<&str> = report["causes"].as_array().unwrap().iter().filter_map(|c| c["code"].as_str()).collect();
    assert!(!causes.contains(&"pullsecret.not-found"), "{causes:?}");
}

/// AWS unreachable (nothing listens on the endpoint) while the cluster answers: the cluster half
/// is written, AWS is one failure saying why (not twenty), and the report lists it as a gap.
#[test]
fn unreachable_aws_is_one_failure_and_a_gap() {
    let port = common::serve(objects());
    let root = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(root.path(), port);
    let dir = root.path().join("live");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port(); // bound, then freed
    let output = Command::new(env!("CARGO_BIN_EXE_pulldoctor"))
        .args(["collect", "-o", dir.to_str().unwrap()])
        .env("KUBECONFIG", &kubeconfig)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{closed}"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(stderr.matches("aws failed: AWS could not be asked anything").count(), 1, "{stderr}");
    assert!(!stderr.contains("ec2:"), "no per-call failures after the first: {stderr}");
    // the region came from the nodes' zones (none was configured)
    assert!(stderr.contains("failing containers; AWS: the VPCs of 6 node instances"), "{stderr}");
    let report = diagnose_json(&dir);
    let gaps = report["gaps"].to_string();
    assert!(gaps.contains("aws during collection"), "{gaps}");
    assert!(gaps.contains("no Subnets in the bundle"), "the network layer is a gap, not healthy: {gaps}");
}

/// OpenShift's mirror sets, Proxy and Image config come through live as `oc get` gives them: the
/// mirror-redirect scenario collected through the stand-in reads into the same model, and the
/// diagnosis is the same.
#[test]
fn openshift_mirrors_and_cluster_config_read_like_oc_get() {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scenarios/cluster-mirror-redirect/bundle/k8s");
    let port = common::serve(common::objects_in(&scenario));
    let root = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(root.path(), port);
    let dir = root.path().join("live");
    let output = collect_cluster(&kubeconfig, &dir, &[]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let recorded = read_bundle(&scenario, &Default::default()).unwrap().model;
    let live = read_bundle(&dir, &Default::default()).unwrap().model;
    assert!(!recorded.mirrors.is_empty());
    assert_eq!(live.mirrors, recorded.mirrors);
    assert_eq!(live.proxy, recorded.proxy);
    assert_eq!(live.image_policy, recorded.image_policy);
    assert_eq!(live.pods, recorded.pods);
    let top = |m: &pulldoctor_model::Model| pulldoctor_diagnosis::diagnose(m, &Default::default()).causes.first().map(|c| c.code);
    assert_eq!(top(&live), top(&recorded));
}

/// `--context` picks the kubeconfig context: the current one points at a closed port, the named
/// one at the stand-in.
#[test]
fn context_picks_the_cluster() {
    let port = common::serve(objects());
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port(); // bound, then freed
    let root = tempfile::tempdir().unwrap();
    let kubeconfig = root.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: dead\nclusters:\n- name: dead\n  cluster:\n    server: http://127.0.0.1:{closed}\n- name: recorded\n  cluster:\n    server: http://127.0.0.1:{port}\ncontexts:\n- name: dead\n  context:\n    cluster: dead\n    user: nobody\n- name: recorded\n  context:\n    cluster: recorded\n    user: nobody\nusers:\n- name: nobody\n  user:\n    token: not-a-real-token\n"
        ),
    )
    .unwrap();
    let collect = |extra: &[&str]| {
        let dir = root.path().join(format!("bundle-{}", extra.len()));
        let output = collect_cluster(&kubeconfig, &dir, extra);
        (dir, String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let (_, stderr) = collect(&[]);
    assert!(stderr.contains("list pods failed"), "the current context's cluster is down: {stderr}");
    let (dir, stderr) = collect(&["--context", "recorded"]);
    assert!(!stderr.contains("failed"), "{stderr}");
    let live = read_bundle(&dir, &Default::default()).unwrap().model;
    assert_eq!(live.pods.len(), read_bundle(&example(), &Default::default()).unwrap().model.pods.len());
}

/// `collect -n NS` reads pods, events and service accounts of that namespace only (through the
/// namespaced API paths), and the cluster-wide objects whole.
#[test]
fn namespace_scopes_the_namespaced_reads() {
    let objects = objects();
    let port = common::serve(objects.clone());
    let root = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(root.path(), port);
    let dir = root.path().join("live");
    let output = collect_cluster(&kubeconfig, &dir, &["-n", "cf-dev"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && !stderr.contains("failed"), "{stderr}");
    let live = read_bundle(&dir, &Default::default()).unwrap().model;
    let recorded = read_bundle(&example(), &Default::default()).unwrap().model;
    assert!(!live.pods.is_empty() && live.pods.values().all(|p| p.namespace == "cf-dev"));
    assert_eq!(live.pods.len(), recorded.pods.values().filter(|p| p.namespace == "cf-dev").count());
    assert!(!live.events.is_empty() && live.events.iter().all(|e| e.namespace.as_deref() == Some("cf-dev")));
    assert_eq!(live.nodes, recorded.nodes);
}

/// `collect --archive` (no `-o`): one package holding the redacted bundle, the three reports and a
/// manifest naming what RBAC denied; the seed's recorded pull secret tokens are nowhere in it.
#[test]
fn collect_archive_is_one_package_without_credentials() {
    let objects = objects();
    let port = common::serve_forbidding(objects.clone(), &["/events"]);
    let root = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(root.path(), port);
    let archive = root.path().join("case.tar.gz");
    let output = Command::new(env!("CARGO_BIN_EXE_pulldoctor"))
        .args(["collect", "--archive", archive.to_str().unwrap(), "--skip-aws"])
        .env("KUBECONFIG", &kubeconfig)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("wrote the escalation package"), "{stderr}");
    let unpacked = root.path().join("unpacked");
    std::fs::create_dir(&unpacked).unwrap();
    assert!(Command::new("tar").args(["xzf", archive.to_str().unwrap(), "-C", unpacked.to_str().unwrap()]).status().unwrap().success());
    let case = unpacked.join("case");
    for name in ["README.txt", "manifest.json", "report.html", "report.md", "report.json", "bundle/collect-failures.json"] {
        assert!(case.join(name).is_file(), "{name} missing");
    }
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(case.join("manifest.json")).unwrap()).unwrap();
    let denied = manifest["denied"].as_array().unwrap();
    assert!(denied.iter().any(|d| d["call"].as_str().unwrap().starts_with("list events")), "{manifest}");
    assert!(manifest["source"].as_str().unwrap().starts_with("live collection"));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(case.join("report.json")).unwrap()).unwrap();
    assert!(!report["affected"].as_array().unwrap().is_empty());
    // No credential bytes: the recorded secrets' data values and their decoded auth values.
    let mut written = String::new();
    for entry in walk(&case) {
        written.push_str(&String::from_utf8_lossy(&std::fs::read(entry).unwrap()));
    }
    for object in objects.iter().filter(|o| o["kind"] == "Secret") {
        for data in object["data"].as_object().into_iter().flat_map(|d| d.values()).filter_map(Value::as_str) {
            assert!(!written.contains(data), "a secret's data reached the package");
            let decoded = base64::engine::general_purpose::STANDARD.decode(data).unwrap_or_default();
            let config: Value = serde_json::from_slice(&decoded).unwrap_or_default();
            let auths = config.get("auths").cloned().unwrap_or(config);
            for auth in auths.as_object().into_iter().flat_map(|a| a.values()) {
                // the password, and the password inside `auth` (its encoded start is the user
                // name, which is kept on purpose)
                let from_auth = auth["auth"]
                    .as_str()
                    .and_then(|a| base64::engine::general_purpose::STANDARD.decode(a).ok())
                    .and_then(|b| String::from_utf8(b).ok())
                    .and_then(|pair| pair.split_once(':').map(|(_, p)| p.to_string()));
                for password in auth["password"].as_str().map(str::to_string).into_iter().chain(from_auth).filter(|p| p.len() > 12) {
                    let head = &password[..password.len().min(40)];
                    assert!(!written.contains(head), "credential bytes reached the package: {head}");
                }
                if let Some(encoded) = auth["auth"].as_str() {
                    assert!(!written.contains(encoded), "a whole auth value reached the package");
                }
            }
        }
    }
}

/// `pulldoctor tui` without a bundle collects live (here: the cluster stand-in, AWS unreachable),
/// shows the report with what could not be read, and `r` collects again.
#[test]
fn the_tui_collects_live_and_again_on_r() {
    let port = common::serve(objects());
    let root = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(root.path(), port);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let command = format!(
        "env TERM=xterm-256color KUBECONFIG={} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_CONFIG_FILE=/dev/null \
         AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL=http://127.0.0.1:{closed} {} tui",
        kubeconfig.display(),
        env!("CARGO_BIN_EXE_pulldoctor")
    );
    let tmux = common::tmux::Tmux::start(&command, 140, 40, root.path());
    let screen = tmux.wait_for("4 failing container(s)");
    assert!(screen.contains("pulldoctor · live collection (kubeconfig context current"), "{screen}");
    // AWS could not be asked: the network layer is not called healthy, and the status bar says why
    assert!(!screen.contains("✓ Network path"), "{screen}");
    assert!(screen.contains("! aws failed") || screen.contains("Enter: the failing pods"), "{screen}");
    tmux.send(&["r"]);
    tmux.wait_for("reloaded");
    tmux.send(&["q"]);
    let start = std::time::Instant::now();
    while tmux.alive() {
        assert!(start.elapsed() < std::time::Duration::from_secs(10), "q did not quit");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
