//! The agent's loop against real components: the seed's healthy state built in a local moto
//! server by the seed generator's live mode (`rosa-ecr-main-route-table-before`: the real `aws`
//! CLI, moto's ids), the cluster served by the Kubernetes API stand-in (which also takes the
//! Events the agent creates), and `pulldoctor agent --mode cluster` running with a 5 s interval.
//! While it runs, the seed's change is made with the `aws` CLI: `aws ec2
//! disassociate-route-table` for the three node subnets. Within one interval (plus the cycle that
//! notices) `pulldoctor_path_status{status="blocked"}` flips to 1 for the six nodes, scraped from
//! `/metrics` and parsed by a real Prometheus text parser (`prometheus-parse`), and a
//! `PullPathBroken` Event is created on each of them.
//!
//! About 25 s on 2 cores (moto, the generator's build, three agent cycles). Needs `python3` with
//! `awscli` and `moto_server` (scripts/test.sh installs them).

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const INTERVAL_SECONDS: u64 = 5;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The seed generator, with the environment every AWS call here gets.
fn generator(args: &[&str]) -> Command {
    let mut command = Command::new("python3");
    command.arg(repo().join("fixtures/gen/seed/generate.py")).args(args).current_dir(repo());
    for name in ["AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "KUBECONFIG"] {
        command.env_remove(name);
    }
    command.envs(common::AWS_ENV.iter().copied());
    command
}

fn aws(moto: &str, args: &[&str]) -> Value {
    let output = Command::new("aws")
        .args(["--endpoint-url", moto, "--output", "json"])
        .args(args)
        .envs(common::AWS_ENV.iter().copied())
        .env_remove("AWS_PROFILE")
        .output()
        .expect("the aws CLI is needed (scripts/test.sh installs it)");
    assert!(output.status.success(), "aws {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap_or(Value::Null)
}

struct Agent(Child);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// GET a path of the agent: status and body.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

/// The samples of `/metrics`, parsed by prometheus-parse.
fn scrape(port: u16) -> prometheus_parse::Scrape {
    let (status, body) = get(port, "/metrics").expect("the agent answers /metrics");
    assert_eq!(status, 200);
    prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_string()))).expect("/metrics parses as the Prometheus text format")
}

fn gauge(sample: &prometheus_parse::Sample) -> f64 {
    match sample.value {
        prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Untyped(v) | prometheus_parse::Value::Counter(v) => v,
        _ => f64::NAN,
    }
}

/// Nodes whose registry path has `status` set to 1.
fn nodes_with(scrape: &prometheus_parse::Scrape, status: &str) -> Vec<String> {
    let mut nodes: Vec<String> = scrape
        .samples
        .iter()
        .filter(|s| {
            s.metric == "pulldoctor_path_status" && s.labels.get("status") == Some(status) && s.labels.get("role") == Some("registry")
        })
        .filter(|s| gauge(s) == 1.0)
        .map(|s| s.labels.get("node").unwrap_or_default().to_string())
        .collect();
    nodes.sort();
    nodes.dedup();
    nodes
}

#[test]
fn the_metric_flips_within_one_interval_of_the_disassociations() {
    let env: Vec<(String, String)> = {
        let output = generator(&["--moto-env"]).output().unwrap();
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
            .collect()
    };
    let moto = common::start_moto(&env);
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("generated");
    let built = generator(&["--live", &moto.url, "--out", generated.to_str().unwrap(), "--reset", "rosa-ecr-main-route-table-before"])
        .output()
        .unwrap();
    assert!(built.status.success(), "the generator's live mode: {}", String::from_utf8_lossy(&built.stderr));
    let (port, events) = common::serve_recording_events(common::objects_in(&generated.join("k8s")));
    let kubeconfig = common::kubeconfig(dir.path(), port);
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_pulldoctor"))
        .args([
            "agent",
            "--mode",
            "cluster",
            "--interval",
            &format!("{INTERVAL_SECONDS}s"),
            "--listen",
            &format!("127.0.0.1:{metrics_port}"),
        ])
        .args(["--probe-namespace", "pulldoctor", "--cluster-name", "rosa-dev"])
        .envs(common::AWS_ENV.iter().copied())
        .env_remove("AWS_PROFILE")
        .env_remove("PULLDOCTOR_WEBHOOK_URL")
        .env("AWS_ENDPOINT_URL", &moto.url)
        .env("KUBECONFIG", &kubeconfig)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _agent = Agent(child);

    // the first cycle: every node reaches the registry
    let started = Instant::now();
    while get(metrics_port, "/readyz").map(|(s, _)| s) != Some(200) {
        assert!(started.elapsed() < Duration::from_secs(60), "the agent never completed a cycle");
        std::thread::sleep(Duration::from_millis(200));
    }
    let first = scrape(metrics_port);
    assert_eq!(
        nodes_with(&first, "reachable").len(),
        6,
        "{:?}",
        first.samples.iter().filter(|s| s.metric == "pulldoctor_path_status").count()
    );
    assert!(nodes_with(&first, "blocked").is_empty());
    let cycle = first.samples.iter().find(|s| s.metric == "pulldoctor_cycle_duration_seconds").map(gauge).unwrap();
    assert!(events.lock().unwrap().is_empty(), "no event while every path works");

    // the seed's change, with the aws CLI: the node subnets lose their explicit association
    let tables = aws(&moto.url, &["ec2", "describe-route-tables"]);
    let node_subnets: Vec<String> = {
        let nodes: Vec<Value> = common::objects_in(&generated.join("k8s")).into_iter().filter(|o| o["kind"] == "Node").collect();
        assert_eq!(nodes.len(), 6);
        let instances = aws(&moto.url, &["ec2", "describe-instances"]);
        let mut subnets: Vec<String> = instances["Reservations"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["Instances"].as_array().unwrap().iter().map(|i| i["SubnetId"].as_str().unwrap().to_string()))
            .collect();
        subnets.sort();
        subnets.dedup();
        subnets
    };
    let mut disassociated = 0;
    for table in tables["RouteTables"].as_array().unwrap() {
        for association in table["Associations"].as_array().unwrap() {
            if association["SubnetId"].as_str().is_some_and(|s| node_subnets.iter().any(|n| n == s))
                && table["Routes"].as_array().unwrap().iter().any(|r| r["NatGatewayId"].is_string())
            {
                aws(
                    &moto.url,
                    &["ec2", "disassociate-route-table", "--association-id", association["RouteTableAssociationId"].as_str().unwrap()],
                );
                disassociated += 1;
            }
        }
    }
    assert_eq!(disassociated, 3, "the three node subnets were on the NAT table");
    let changed = Instant::now();

    // within one interval (and the cycle that notices it) the metric flips
    let limit = Duration::from_secs_f64(INTERVAL_SECONDS as f64 + 2.0 * cycle + 2.0);
    let blocked = loop {
        let now = scrape(metrics_port);
        let blocked = nodes_with(&now, "blocked");
        if blocked.len() == 6 {
            break blocked;
        }
        assert!(changed.elapsed() < limit, "after {:?} only {blocked:?} are blocked (cycles take {cycle:.1} s)", changed.elapsed());
        std::thread::sleep(Duration::from_millis(200));
    };
    let flipped = changed.elapsed();
    eprintln!("the metric flipped {flipped:?} after the disassociations (interval {INTERVAL_SECONDS} s, cycle {cycle:.1} s)");
    let now = scrape(metrics_port);
    assert!(
        now.samples
            .iter()
            .any(|s| s.metric == "pulldoctor_path_status" && s.labels.get("cause") == Some("route.no-route") && gauge(s) == 1.0),
        "the blocked paths carry their cause"
    );
    // the diagnosis ran on the broken path; no pod has failed a pull yet, so it names no cause
    assert!(now.samples.iter().any(|s| s.metric == "pulldoctor_diagnosis_runs_total" && gauge(s) >= 1.0));
    // and an Event on each of the six nodes
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let posted = events.lock().unwrap().clone();
        let mut on: Vec<String> = posted
            .iter()
            .filter(|e| e["reason"] == "PullPathBroken" && e["type"] == "Warning" && e["involvedObject"]["kind"] == "Node")
            .map(|e| e["involvedObject"]["name"].as_str().unwrap().to_string())
            .collect();
        on.sort();
        on.dedup();
        if on == blocked {
            assert!(posted.iter().all(|e| e["message"].as_str().unwrap().contains("route.no-route")), "{posted:?}");
            break;
        }
        assert!(Instant::now() < deadline, "events on {on:?}, blocked {blocked:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
