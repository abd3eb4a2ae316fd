//! The in-cluster probe against a stand-in for the API server and its kubelets
//! (`common::kubelet`): the seed cluster's nodes and pods (with the probed example's infra node in
//! the working subnet), probe pods created, watched, copied into, read and deleted by the real
//! binary through kube-rs, and each pod's command really run on this machine.
//!
//! The probe's target is `127.0.0.1:1`, where nothing listens: every probe fails at connect in
//! well under a second and no packet leaves this machine. What cannot be had here: a real
//! kubelet, runtime, SCC or Pod Security admission, and a node's network namespace (the README
//! says so).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const TARGET: &str = "127.0.0.1:1/team/app:v1";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The seed's cluster objects plus the probed example's infra node, with `change` applied to the
/// nodes.
fn cluster(change: impl Fn(&mut Value)) -> Vec<Value> {
    let example = workspace().join("examples/rosa-ecr-main-route-table-probed");
    let mut objects = common::objects_in(&example.join("k8s"));
    objects.extend(common::objects_in(&example.join("infra")).into_iter().filter(|o| o["kind"] == "Node"));
    for object in objects.iter_mut().filter(|o| o["kind"] == "Node") {
        change(object);
    }
    objects
}

fn pulldoctor(kubeconfig: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pulldoctor")).args(args).env("KUBECONFIG", kubeconfig).env("NO_COLOR", "1").output().unwrap()
}

/// The calls about one node's pods, in order, with the pod names replaced by `POD`, `POD-2`, ...
fn sequence(calls: &[String], node: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for call in calls {
        if let Some(rest) = call.strip_prefix("create ")
            && rest.ends_with(&format!(" on {node}"))
        {
            names.push(rest.split(' ').next().unwrap().to_string());
        }
    }
    calls
        .iter()
        .filter(|call| names.iter().any(|name| call.split(' ').any(|word| word == name)))
        .map(|call| {
            let mut call = call.clone();
            for (i, name) in names.iter().enumerate() {
                let placeholder = if i == 0 { "POD".to_string() } else { format!("POD-{}", i + 1) };
                call = call.replace(name.as_str(), &placeholder);
            }
            let call = call.replace(&format!(" on {node}"), "");
            // `upload POD 105238384 bytes`: the size is the binary's, not part of the sequence
            match call.strip_suffix(" bytes") {
                Some(upload) => upload.rsplit_once(' ').map(|(head, _)| head.to_string()).unwrap_or(upload.to_string()),
                None => call,
            }
        })
        .collect()
}

/// `--failing-nodes` (the default): a pod per broken subnet and one in the working subnet, each
/// created, run, copied into, read and deleted; a node holding a pulldoctor image runs it without a
/// copy; an image with no shell is followed by the next image the node holds.
#[test]
fn failing_nodes_are_probed_in_pods_that_are_read_and_deleted() {
    let objects = cluster(|node| {
        let name = node["metadata"]["name"].as_str().unwrap().to_string();
        let images = node["status"]["images"].as_array_mut().unwrap();
        if name == "ip-10-0-44-17.ec2.internal" {
            // the agent keeps the pulldoctor image here
            images.push(serde_json::json!({"names": ["quay.io/acme/pulldoctor:0.1.0"], "sizeBytes": 14_000_000}));
        }
        if name == "ip-10-0-60-229.ec2.internal" {
            // named like a base image, so tried first, but it has no shell
            images.push(serde_json::json!({"names": ["registry.access.redhat.com/ubi9/ubi-micro-no-shell:9.4"], "sizeBytes": 20_000_000}));
        }
    });
    let kubelet = common::kubelet::serve(objects, PathBuf::from(env!("CARGO_BIN_EXE_pulldoctor")), false);
    let root = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(root.path(), kubelet.port);
    let out = root.path().join("probes");
    let binary = env!("CARGO_BIN_EXE_pulldoctor");
    let output =
        pulldoctor(&kubeconfig, &["probe", TARGET, "--timeout", "2s", "--binary", binary, "-n", "pd", "-o", out.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "every probe fails at connect: exit 1\n{stdout}\n{stderr}");
    let calls = kubelet.calls();

    // a copy pod: create, running, the binary copied in, the probe's exit, its log, delete
    let copy = ["create POD", "running POD", "upload POD", "exited POD 1", "log POD", "delete POD"];
    for node in ["ip-10-0-21-144.ec2.internal", "ip-10-0-5-183.ec2.internal"] {
        assert_eq!(sequence(&calls, node), copy, "{node}: {calls:#?}");
    }
    // the pulldoctor image the node holds runs the probe itself: no copy
    assert_eq!(sequence(&calls, "ip-10-0-44-17.ec2.internal"), ["create POD", "running POD", "exited POD 1", "log POD", "delete POD"]);
    // an image without a shell never starts; the next image the node holds carries it
    assert_eq!(
        sequence(&calls, "ip-10-0-60-229.ec2.internal"),
        [
            "create POD",
            "never starts POD StartError",
            "delete POD",
            "create POD-2",
            "running POD-2",
            "upload POD-2",
            "exited POD-2 1",
            "log POD-2",
            "delete POD-2"
        ]
    );
    assert!(kubelet.pods_left().is_empty(), "every probe pod is deleted: {:?}", kubelet.pods_left());
    assert!(!calls.iter().any(|c| c.contains("ip-10-0-18-203")), "the control plane is not probed: {calls:#?}");

    // one document per node, written where -o said, as the node's pod made it
    let mut written: Vec<String> =
        std::fs::read_dir(&out).unwrap().flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect();
    written.sort();
    assert_eq!(
        written,
        [
            "probe-ip-10-0-21-144.ec2.internal.json",
            "probe-ip-10-0-44-17.ec2.internal.json",
            "probe-ip-10-0-5-183.ec2.internal.json",
            "probe-ip-10-0-60-229.ec2.internal.json"
        ]
    );
    for file in &written {
        let document: Value = serde_json::from_slice(&std::fs::read(out.join(file)).unwrap()).unwrap();
        let node = file.trim_start_matches("probe-").trim_end_matches(".json");
        assert_eq!(document["kind"], "PulldoctorProbe");
        assert_eq!((document["node"]["kubernetesNode"].as_str(), document["node"]["mode"].as_str()), (Some(node), Some("host-network")));
        assert!(document["node"]["pod"].as_str().unwrap().starts_with("pulldoctor-probe-ip-10-0-"), "{}", document["node"]);
        assert_eq!(
            (document["failedStep"].as_str(), document["steps"][1]["failure"]["class"].as_str()),
            (Some("connect"), Some("connection-refused"))
        );
    }
    // a step table per node, then one line each; the plan and its reasons on standard error
    // the cluster alone (no AWS read here) cannot show the infra node's path is open: it is
    // compared with, and said to be unproven
    assert!(stdout.contains("== ip-10-0-5-183.ec2.internal (working, host-network): another ready node (not known to work"), "{stdout}");
    assert!(stdout.contains("connect      FAILED"), "{stdout}");
    assert!(stdout.lines().filter(|l| l.contains("FAILED at connect (connection-refused)")).count() == 4, "{stdout}");
    assert!(stderr.contains("the pulldoctor image the node holds (quay.io/acme/pulldoctor:0.1.0)"), "{stderr}");
    assert!(stderr.contains("ubi-micro-no-shell") && stderr.contains("did not start: StartError"), "{stderr}");

    // the written documents join a bundle: diagnose reads them by content
    let bundle = root.path().join("bundle");
    std::fs::create_dir_all(&bundle).unwrap();
    for entry in std::fs::read_dir(workspace().join("examples/rosa-ecr-main-route-table-probed")).unwrap().flatten() {
        let name = entry.file_name();
        if name != "probes" && entry.path().is_dir() {
            std::os::unix::fs::symlink(entry.path().canonicalize().unwrap(), bundle.join(&name)).unwrap();
        }
    }
    std::os::unix::fs::symlink(&out, bundle.join("probes")).unwrap();
    let report =
        Command::new(env!("CARGO_BIN_EXE_pulldoctor")).args(["diagnose", bundle.to_str().unwrap(), "--format", "json"]).output().unwrap();
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(report["probes"].as_array().map(Vec::len), Some(4), "{}", report["probes"]);
    // the probes went to 127.0.0.1:1, not the pods' registry: they bear on no cause, and say so
    assert!(report["gaps"].as_array().unwrap().iter().any(|g| g["what"].as_str().unwrap().starts_with("the probe from ip-10-0-60-229")));
}

/// `--dry-run` reads the cluster and prints the pods it would create; it creates nothing.
#[test]
fn a_dry_run_prints_the_pods_and_creates_nothing() {
    let kubelet = common::kubelet::serve(cluster(|_| {}), PathBuf::from(env!("CARGO_BIN_EXE_pulldoctor")), false);
    let root = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(root.path(), kubelet.port);
    let output = pulldoctor(&kubeconfig, &["probe", "--dry-run", "--binary", env!("CARGO_BIN_EXE_pulldoctor"), "--pod-network"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let list: Value = serde_json::from_slice(&output.stdout).unwrap();
    let pods = list["items"].as_array().unwrap();
    assert_eq!(pods.len(), 8, "4 nodes, host and pod network each");
    assert!(kubelet.calls().is_empty(), "nothing created: {:?}", kubelet.calls());
    for pod in pods {
        assert_eq!(pod["metadata"]["namespace"], "pulldoctor");
        assert_eq!(pod["spec"]["tolerations"], serde_json::json!([{"operator": "Exists"}]));
        assert_eq!(pod["spec"]["containers"][0]["imagePullPolicy"], "Never", "nothing is pulled through the broken path");
        // without IMAGE, the image the node's pods fail on
        let image = pod["spec"]["containers"][0]["args"][2].as_str().unwrap();
        assert!(image.starts_with("818140567777.dkr.ecr.us-east-1.amazonaws.com/") && image.ends_with(":latest"), "{image}");
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("nothing was created") && stderr.contains("ip-10-0-5-183.ec2.internal [working, host-network]"), "{stderr}");
}

/// `--image`: a pulldoctor image from a mirror, pulled if absent, run as it is: no copy.
#[test]
fn a_mirrored_image_runs_the_probe_without_a_copy() {
    let kubelet = common::kubelet::serve(cluster(|_| {}), PathBuf::from(env!("CARGO_BIN_EXE_pulldoctor")), false);
    let root = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(root.path(), kubelet.port);
    let image = "mirror.example.com/tools/pulldoctor:0.1.0";
    let output = pulldoctor(
        &kubeconfig,
        &["probe", TARGET, "--node", "ip-10-0-5-183.ec2.internal", "--image", image, "--timeout", "2s", "--format", "json"],
    );
    let list: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)));
    assert_eq!(list["kind"], "PulldoctorProbeList");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        sequence(&kubelet.calls(), "ip-10-0-5-183.ec2.internal"),
        ["create POD", "running POD", "exited POD 1", "log POD", "delete POD"]
    );
}

/// Without the prober role, creating a pod is denied: the node is reported with the role to
/// bind, and nothing is left behind.
#[test]
fn a_denied_create_names_the_role_to_bind() {
    let kubelet = common::kubelet::serve(cluster(|_| {}), PathBuf::from(env!("CARGO_BIN_EXE_pulldoctor")), true);
    let root = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(root.path(), kubelet.port);
    let output =
        pulldoctor(&kubeconfig, &["probe", TARGET, "--node", "ip-10-0-5-183.ec2.internal", "--binary", env!("CARGO_BIN_EXE_pulldoctor")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("create pods was denied") && stderr.contains("pulldoctor-prober"), "{stderr}");
    assert_eq!(kubelet.calls(), ["denied create"]);
}

/// `diagnose --probe`: live collection, then the probes, then one report with both. The nodes hold
/// the pulldoctor image (no binary to copy), the failing pods' registry is a loopback one, and
/// AWS answers nothing (its calls become gaps).
#[test]
fn diagnose_probe_joins_the_observations() {
    let mut objects = cluster(|node| {
        node["status"]["images"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"names": ["quay.io/acme/pulldoctor:0.1.0"], "sizeBytes": 14_000_000}));
    });
    // the pods fail on a registry on this machine, so the probes stay here
    let text = serde_json::to_string(&objects).unwrap().replace("818140567777.dkr.ecr.us-east-1.amazonaws.com", "127.0.0.1:1");
    objects = serde_json::from_str(&text).unwrap();
    let kubelet = common::kubelet::serve(objects, PathBuf::from(env!("CARGO_BIN_EXE_pulldoctor")), false);
    let root = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(root.path(), kubelet.port);
    let mut command = Command::new(env!("CARGO_BIN_EXE_pulldoctor"));
    command.args(["diagnose", "--probe", "--format", "json"]).env("KUBECONFIG", &kubeconfig);
    for (key, value) in common::AWS_ENV {
        command.env(key, value);
    }
    let output = command.env("AWS_ENDPOINT_URL", "http://127.0.0.1:1").env("AWS_MAX_ATTEMPTS", "1").output().unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)));
    let probes = report["probes"].as_array().unwrap();
    assert_eq!(probes.len(), 4, "3 failing nodes and one to compare: {probes:#?}");
    assert!(probes.iter().all(|p| p["mode"] == "host-network" && p["error_class"] == "connection-refused"), "{probes:#?}");
    assert!(kubelet.pods_left().is_empty());
}
