//! A big outage end to end (issue 17): the seed example grown to 7,200 pods (a `pods.json` large
//! enough to be streamed from disk), 4,800 of them failing, their errors dialling 200 of the
//! registry's addresses, and a quarter of the failing copies with their events expired. The text
//! report stays about the seed's length and its first screen says it all, every count is exact,
//! and the JSON still lists every one.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const COPIES: usize = 1200;

fn seed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rosa-ecr-main-route-table")
}

fn items(path: &Path) -> Vec<Value> {
    let value: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    value["items"].as_array().cloned().unwrap_or_default()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// The seed's pods copied `COPIES` times (copy `c` named `-c{c}`), each failing copy dialling
/// `52.207.2.{1 + c % 200}`; copies with `c % 4 == 0` keep no events (the real error expired).
fn grow(dir: &Path) {
    let seed = seed();
    copy_dir(&seed.join("aws"), &dir.join("aws"));
    let k8s = dir.join("k8s");
    std::fs::create_dir_all(&k8s).unwrap();
    let (mut pods, mut events) = (Vec::new(), Vec::new());
    for entry in std::fs::read_dir(seed.join("k8s")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with("pods-") {
            pods.extend(items(&entry.path()));
        } else if name.starts_with("events-") {
            events.extend(items(&entry.path()));
        } else {
            std::fs::copy(entry.path(), k8s.join(&name)).unwrap();
        }
    }
    let vary = |text: &str, copy: usize| text.replace("52.207.2.251", &format!("52.207.2.{}", 1 + copy % 200));
    let (mut out_pods, mut out_events) = (Vec::new(), Vec::new());
    for copy in 0..COPIES {
        for pod in &pods {
            let mut pod = pod.clone();
            let original = pod["metadata"]["name"].as_str().unwrap().to_string();
            let name = format!("{original}-c{copy}");
            pod["metadata"]["name"] = Value::String(name.clone());
            pod["metadata"]["uid"] = Value::String(format!("uid-{copy}-{original}"));
            if copy % 4 != 0 {
                for event in events.iter().filter(|e| e["involvedObject"]["name"] == original.as_str()) {
                    let mut event = event.clone();
                    event["involvedObject"]["name"] = Value::String(name.clone());
                    let event_name = format!("{}-c{copy}", event["metadata"]["name"].as_str().unwrap());
                    event["metadata"]["name"] = Value::String(event_name);
                    if let Some(message) = event["message"].as_str() {
                        event["message"] = Value::String(vary(message, copy));
                    }
                    out_events.push(event);
                }
            }
            out_pods.push(pod);
        }
    }
    for (name, kind, list) in [("pods.json", "PodList", out_pods), ("events.json", "EventList", out_events)] {
        let text = serde_json::to_vec(&serde_json::json!({"apiVersion": "v1", "kind": kind, "items": list})).unwrap();
        std::fs::write(k8s.join(name), text).unwrap();
    }
}

fn diagnose(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_pulldoctor"))
        .arg("diagnose")
        .arg(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn a_big_outage_reads_like_the_seed_and_loses_no_pod() {
    let dir = tempfile::tempdir().unwrap();
    grow(dir.path());
    let pods_file = std::fs::metadata(dir.path().join("k8s/pods.json")).unwrap().len();
    assert!(pods_file > 32 * 1024 * 1024, "pods.json ({pods_file} bytes) must be big enough to be streamed from disk");

    // JSON: complete, and grouped with exact counts
    let report: Value = serde_json::from_str(&diagnose(dir.path(), &["--format", "json"])).unwrap();
    let affected = report["affected"].as_array().unwrap();
    assert_eq!(affected.len(), 4 * COPIES, "four of the seed's six pods fail, in every copy");
    let groups: Vec<(u64, &str, &str, u64)> = report["affected_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["count"].as_u64().unwrap(),
                g["error_class"].as_str().unwrap(),
                g["namespace"].as_str().unwrap(),
                g["nodes"].as_u64().unwrap(),
            )
        })
        .collect();
    let total: u64 = groups.iter().map(|g| g.0).sum();
    assert_eq!(total as usize, affected.len(), "the groups add up to every failing container: {groups:?}");
    // 900 copies with events fail with the timeout; 300 without events show only their back-off
    let timeouts: u64 = groups.iter().filter(|g| g.1 == "network-timeout").map(|g| g.0).sum();
    assert_eq!(timeouts, 4 * 900, "{groups:?}");
    let gap_groups = report["gap_groups"].as_array().unwrap();
    let expired = gap_groups.iter().find(|g| g["why"].as_str().unwrap().contains("has expired")).expect("the expired errors fold");
    assert_eq!(expired["count"].as_u64(), Some(4 * 300));
    assert_eq!(expired["same_command"].as_bool(), Some(false), "each pod's command names it");
    let gaps = report["gaps"].as_array().unwrap();
    assert_eq!(gaps.iter().filter(|g| g["why"] == expired["why"]).count(), 4 * 300, "the JSON keeps every gap");

    // text: as long as the seed's own report, counts first
    let seed_lines = diagnose(&seed(), &[]).lines().count();
    let text = diagnose(dir.path(), &[]);
    let lines = text.lines().count();
    assert!(lines <= seed_lines + 40, "{lines} lines for {} failing containers (the seed: {seed_lines}):\n{text}", affected.len());
    // one screen says it all: the cause, how many, the fix, the groups
    let screen = text.lines().take(25).collect::<Vec<_>>().join("\n");
    assert!(screen.contains("AT A GLANCE (4800 failing containers"), "{screen}");
    assert!(screen.contains("1. route.no-route (high confidence, 4800 pods)"), "{screen}");
    assert!(screen.contains("fix: $ aws ec2 create-route --route-table-id rtb-04d162c9e2b6a4cbd"), "{screen}");
    assert!(screen.contains("failing: 1800 × network-timeout in cf-dev"), "{screen}");
    assert!(text.contains("route.no-route"), "{text}");
    assert!(text.contains(&format!("AFFECTED ({} failing containers in", affected.len())), "{text}");
    assert!(text.contains("1200 alike ("), "{text}");
    // copies c % 4 == 0 keep no events, so 150 of the 200 addresses are dialled: with the path
    // traced by name (the copies without an address) they read as one
    assert!(text.contains("and 150 more of its addresses"), "the dialled addresses are one path: {text}");
    // --all lists each one
    let all = diagnose(dir.path(), &["--all"]);
    assert!(all.lines().count() > 4 * COPIES, "--all lists every container");

    // Markdown: grouped too
    let markdown = diagnose(dir.path(), &["--format", "markdown"]);
    assert!(markdown.lines().count() < 300, "{}", markdown.lines().count());
    assert!(markdown.contains("## Failing containers") && markdown.contains("1200 alike ("), "{markdown}");
}
