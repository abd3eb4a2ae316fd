//! The node agent: `probe --local` in-process on an interval, from the node's own network
//! namespace (`hostNetwork`), against the registries the cluster agent says are in use (and any
//! `--target`). Serves the reports on /v1/probes for the cluster agent and its own /metrics.
//!
//! A registry is probed as a registry alone (resolve, connect, tls, ping): the network path the
//! cluster agent predicts, without credentials the node may not have. An `--target IMAGE` is
//! probed as a whole pull (credentials from the node's instance role for ECR, manifest, a layer).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use pulldoctor_probe::{ProbeReport, StepStatus, Verdict};
use pulldoctor_watch::metrics::{self, ProbeSample};
use serde_json::{Value, json};

use super::http::{self, Reply};
use super::log;
use crate::cli::AgentArgs;
use crate::watch::parse_span;

/// A report as metric samples: one per step that ran.
pub fn samples(node: &str, report: &ProbeReport) -> Vec<ProbeSample> {
    report
        .steps
        .iter()
        .map(|step| ProbeSample {
            node: node.to_string(),
            registry: report.target.registry.clone(),
            step: step.name.as_str().to_string(),
            success: match step.status {
                StepStatus::Passed => Some(true),
                StepStatus::Failed => Some(false),
                StepStatus::Skipped => None,
            },
            seconds: step.duration_ms as f64 / 1000.0,
            at: report.started_at,
        })
        .collect()
}

#[derive(Default)]
struct State {
    reports: Vec<ProbeReport>,
    cycles: u64,
}

pub fn run(args: AgentArgs) -> Result<ExitCode> {
    let interval = parse_span(&args.interval, "--interval")?.to_std().context("--interval must be positive")?;
    let timeout = parse_span(&args.probe_timeout, "--probe-timeout")?.to_std().context("--probe-timeout must be positive")?;
    let node = args.node_name.clone().or_else(|| std::env::var("HOSTNAME").ok()).unwrap_or_else(|| "this-node".into());
    let state = Arc::new(Mutex::new(State::default()));
    let shared = state.clone();
    let name = node.clone();
    let address = http::serve(
        &args.listen,
        Arc::new(move |path: &str| {
            let state = shared.lock().unwrap_or_else(|e| e.into_inner());
            match path {
                "/v1/probes" => Reply::json(&json!(state.reports)),
                "/healthz" => Reply::text(200, "ok\n"),
                "/readyz" if state.cycles > 0 => Reply::text(200, "ready\n"),
                "/readyz" => Reply::text(503, "no probe has run yet\n"),
                "/metrics" => {
                    let probes: Vec<ProbeSample> = state.reports.iter().flat_map(|r| samples(&name, r)).collect();
                    let totals = BTreeMap::new();
                    let text = metrics::render(&metrics::State {
                        version: env!("CARGO_PKG_VERSION"),
                        baseline: None,
                        drift: None,
                        probes: &probes,
                        causes: &[],
                        last_diagnosis_at: None,
                        diagnoses_total: 0,
                        cycles_ok_total: state.cycles,
                        cycles_failed_total: 0,
                        last_success_at: None,
                        last_cycle_seconds: None,
                        findings_total: &totals,
                        collection_failures: &[],
                        events_total: 0,
                        webhook_failures_total: 0,
                    });
                    Reply { status: 200, content_type: "text/plain; version=0.0.4; charset=utf-8", body: text.into_bytes() }
                }
                _ => Reply::text(404, "not found: /v1/probes, /metrics, /healthz, /readyz\n"),
            }
        }),
    )?;
    log::info(
        "agent started",
        json!({"mode": "node", "node": node, "listen": address.to_string(), "interval_seconds": interval.as_secs()}),
    );
    loop {
        let started = Instant::now();
        let mut targets: Vec<String> = args.targets.clone();
        if let Some(agent) = &args.cluster_agent {
            match http::get_json(&format!("{}/v1/targets", agent.trim_end_matches('/')), Duration::from_secs(10)) {
                Ok(Value::Array(items)) => targets.extend(items.iter().filter_map(|i| i["registry"].as_str().map(str::to_string))),
                Ok(_) => log::warn("the cluster agent's targets are not a list", json!({})),
                Err(error) => log::warn("cannot ask the cluster agent for targets", json!({"error": format!("{error:#}")})),
            }
        }
        targets.sort();
        targets.dedup();
        let mut reports = Vec::new();
        for target in &targets {
            let env = |name: &str| std::env::var(name).ok();
            let config = pulldoctor_probe::Config {
                input: target.clone(),
                platform: None,
                timeout,
                pull_secret: None,
                certs_dirs: pulldoctor_probe::tls::DEFAULT_CERTS_DIRS.iter().map(PathBuf::from).collect(),
                proxy: pulldoctor_probe::proxy::ProxyEnv::from_env(env),
                aws: pulldoctor_probe::aws::AwsEnv::from_env(env),
                resolv_conf: PathBuf::from("/etc/resolv.conf"),
                hosts_file: PathBuf::from("/etc/hosts"),
                // the DaemonSet runs in the node's network namespace (hostNetwork)
                placement: pulldoctor_probe::Placement {
                    mode: pulldoctor_probe::report::ProbeMode::HostNetwork,
                    kubernetes_node: Some(node.clone()),
                    pod: None,
                },
            };
            match pulldoctor_probe::probe(&config) {
                Ok(report) => {
                    let failed = report.failed_step.map(|s| s.as_str());
                    let level = if report.result == Verdict::Passed { "info" } else { "warn" };
                    log::line(
                        level,
                        "probe",
                        json!({"node": node, "target": target, "result": report.result, "failed_step": failed, "ms": report.duration_ms}),
                    );
                    reports.push(report);
                }
                Err(error) => log::warn("cannot probe", json!({"target": target, "error": error.to_string()})),
            }
        }
        {
            let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
            state.reports = reports;
            state.cycles += 1;
        }
        if args.once {
            let failed = state.lock().unwrap_or_else(|e| e.into_inner()).reports.iter().any(|r| r.result != Verdict::Passed);
            return Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS });
        }
        std::thread::sleep(interval.saturating_sub(started.elapsed()).max(Duration::from_secs(1)));
    }
}
