//! The cluster agent's loop: collect live, take a baseline, compare with the last cycle, read the
//! node agents' probes, diagnose when something is broken, notify on a change, export it all.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use pulldoctor_net::Verdict;
use pulldoctor_watch::metrics::{self, CauseSample, ProbeSample};
use pulldoctor_watch::{Baseline, Drift, Severity, drift, notice};
use serde_json::{Value, json};

use super::http::{self, Reply};
use super::log;
use crate::cli::AgentArgs;
use crate::watch::parse_span;

/// What the HTTP endpoints show, updated at the end of every cycle.
#[derive(Default)]
struct State {
    baseline: Option<Baseline>,
    drift: Option<Drift>,
    probes: Vec<ProbeSample>,
    causes: Vec<CauseSample>,
    last_diagnosis_at: Option<DateTime<Utc>>,
    diagnoses_total: u64,
    cycles_ok_total: u64,
    cycles_failed_total: u64,
    last_success_at: Option<DateTime<Utc>>,
    last_cycle_seconds: Option<f64>,
    findings_total: BTreeMap<Severity, u64>,
    collection_failures: Vec<String>,
    events_total: u64,
    webhook_failures_total: u64,
}

impl State {
    fn metrics(&self) -> String {
        metrics::render(&metrics::State {
            version: env!("CARGO_PKG_VERSION"),
            baseline: self.baseline.as_ref(),
            drift: self.drift.as_ref(),
            probes: &self.probes,
            causes: &self.causes,
            last_diagnosis_at: self.last_diagnosis_at,
            diagnoses_total: self.diagnoses_total,
            cycles_ok_total: self.cycles_ok_total,
            cycles_failed_total: self.cycles_failed_total,
            last_success_at: self.last_success_at,
            last_cycle_seconds: self.last_cycle_seconds,
            findings_total: &self.findings_total,
            collection_failures: &self.collection_failures,
            events_total: self.events_total,
            webhook_failures_total: self.webhook_failures_total,
        })
    }
}

/// The registries in use, for the node agents: `[{"registry": "...", "image": "..."}]`.
fn targets(baseline: &Baseline) -> Value {
    json!(baseline.registries.iter().map(|r| json!({"registry": r.registry, "image": r.images.first()})).collect::<Vec<_>>())
}

fn route(state: Arc<Mutex<State>>) -> Arc<dyn Fn(&str) -> Reply + Send + Sync> {
    Arc::new(move |path: &str| {
        let state = state.lock().unwrap_or_else(|e| e.into_inner());
        match path {
            "/metrics" => {
                Reply { status: 200, content_type: "text/plain; version=0.0.4; charset=utf-8", body: state.metrics().into_bytes() }
            }
            "/healthz" => Reply::text(200, "ok\n"),
            "/readyz" if state.cycles_ok_total > 0 => Reply::text(200, "ready\n"),
            "/readyz" => Reply::text(503, "no cycle has completed yet\n"),
            "/v1/baseline" => state.baseline.as_ref().map_or_else(|| Reply::text(503, "no baseline yet\n"), |b| Reply::json(&json!(b))),
            "/v1/drift" => state.drift.as_ref().map_or_else(|| Reply::text(503, "no comparison yet\n"), |d| Reply::json(&json!(d))),
            "/v1/targets" => state.baseline.as_ref().map_or_else(|| Reply::text(503, "no baseline yet\n"), |b| Reply::json(&targets(b))),
            _ => Reply::text(404, "not found: /metrics, /healthz, /readyz, /v1/baseline, /v1/drift, /v1/targets\n"),
        }
    })
}

pub fn run(args: AgentArgs) -> Result<ExitCode> {
    let interval = parse_span(&args.interval, "--interval")?.to_std().context("--interval must be positive")?;
    let warn_expiry = parse_span(&args.warn_expiry, "--warn-expiry")?;
    let state = Arc::new(Mutex::new(State::default()));
    let address = http::serve(&args.listen, route(state.clone()))?;
    log::info(
        "agent started",
        json!({"mode": "cluster", "listen": address.to_string(), "interval_seconds": interval.as_secs(), "events": !args.no_events, "webhook": args.webhook_url.is_some()}),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let mut previous: Option<Baseline> = None;
    loop {
        let started = Instant::now();
        match cycle(&args, &runtime, previous.as_ref(), warn_expiry, &state) {
            Ok(baseline) => {
                let blocked = baseline.paths.iter().any(|p| p.verdict == Verdict::Blocked);
                previous = Some(baseline);
                if args.once {
                    return Ok(if blocked { ExitCode::from(1) } else { ExitCode::SUCCESS });
                }
            }
            Err(error) => {
                state.lock().unwrap_or_else(|e| e.into_inner()).cycles_failed_total += 1;
                log::error("cycle failed", json!({"error": format!("{error:#}")}));
                if args.once {
                    return Ok(ExitCode::from(2));
                }
            }
        }
        std::thread::sleep(interval.saturating_sub(started.elapsed()).max(Duration::from_secs(1)));
    }
}

fn cycle(
    args: &AgentArgs,
    runtime: &tokio::runtime::Runtime,
    previous: Option<&Baseline>,
    warn_expiry: chrono::Duration,
    state: &Mutex<State>,
) -> Result<Baseline> {
    let started = Instant::now();
    let request = crate::live::Request {
        kube: Some(pulldoctor_live::KubeOptions { context: args.live.context.clone(), namespace: None }),
        aws: Some(pulldoctor_live::AwsOptions {
            profile: args.live.profile.clone(),
            region: args.live.region.clone(),
            ..Default::default()
        }),
        need_cluster: true,
        every_pod: true,
        changes_since: previous.and_then(|p| p.taken_at),
    };
    let gathered = crate::live::gather(request)?;
    for failed in &gathered.collected.failed {
        log::warn("call failed", json!({"call": failed.call, "denied": failed.denied, "error": failed.message}));
    }
    let model = crate::live::model_of(&gathered.collected)?;
    let now = Utc::now();
    let baseline = pulldoctor_watch::take(
        &model,
        &pulldoctor_watch::Options { now: Some(now), threads: crate::shared::threads(), source: "live".into() },
    );
    // The first cycle compares with nothing: a path already blocked is reported as broken.
    let empty = Baseline { paths: Vec::new(), node_roles: Vec::new(), pull_secrets: Vec::new(), ..baseline.clone() };
    let drift = drift::compare(previous.unwrap_or(&empty), &baseline, &drift::Options { warn_expiry, now: Some(now) });
    let cluster = runtime
        .block_on(pulldoctor_live::Cluster::connect(&pulldoctor_live::KubeOptions { context: args.live.context.clone(), namespace: None }));
    let probes = match &cluster {
        Ok(cluster) => read_probes(args, runtime, cluster),
        Err(failed) => {
            log::warn("cannot reach the cluster for probes and events", json!({"error": failed.message}));
            Vec::new()
        }
    };
    let blocked = baseline.paths.iter().filter(|p| p.verdict == Verdict::Blocked).count();
    let probe_failed = probes.iter().any(|p| p.success == Some(false));
    let mut diagnosis = None;
    if blocked > 0 || probe_failed {
        let options = pulldoctor_diagnosis::Options { now: Some(now), threads: crate::shared::threads(), ..Default::default() };
        let report = pulldoctor_diagnosis::diagnose(&model, &options);
        log::warn(
            "diagnosis",
            json!({"headline": report.headline, "causes": report.causes.iter().map(|c| json!({"code": c.code, "summary": c.summary, "resources": c.resources})).collect::<Vec<_>>()}),
        );
        diagnosis = Some(report);
    }
    for finding in &drift.findings {
        let level = if finding.severity == Severity::Breaks { "warn" } else { "info" };
        log::line(
            level,
            "drift",
            json!({"severity": finding.severity, "code": finding.code, "summary": finding.summary, "nodes": finding.nodes, "what_changed": finding.what_changed}),
        );
    }
    let (events, webhook_failed) =
        notify(args, runtime, cluster.as_ref().ok(), &drift, diagnosis.as_ref().map(|d| d.headline.as_str()), now);
    let seconds = started.elapsed().as_secs_f64();
    log::info(
        "cycle",
        json!({"paths": baseline.paths.len(), "blocked": blocked, "breaks": drift.count(Severity::Breaks), "restores": drift.count(Severity::Restores), "warnings": drift.count(Severity::Warns), "probes": probes.len(), "events": events, "seconds": seconds}),
    );
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    for finding in &drift.findings {
        *state.findings_total.entry(finding.severity).or_default() += 1;
    }
    if let Some(report) = diagnosis {
        state.causes = report
            .causes
            .iter()
            .map(|c| CauseSample {
                code: c.code.to_string(),
                layer: serde_json::to_value(c.layer).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
                confidence: serde_json::to_value(c.confidence).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
            })
            .collect();
        state.last_diagnosis_at = Some(now);
        state.diagnoses_total += 1;
    } else {
        state.causes.clear();
    }
    state.collection_failures = gathered.collected.failed.iter().map(|f| f.call.clone()).collect();
    state.events_total += events;
    state.webhook_failures_total += u64::from(webhook_failed);
    state.probes = probes;
    state.baseline = Some(baseline.clone());
    state.drift = Some(drift);
    state.cycles_ok_total += 1;
    state.last_success_at = Some(Utc::now());
    state.last_cycle_seconds = Some(seconds);
    Ok(baseline)
}

/// The node agents' probe reports, as samples per node, registry and step.
fn read_probes(args: &AgentArgs, runtime: &tokio::runtime::Runtime, cluster: &pulldoctor_live::Cluster) -> Vec<ProbeSample> {
    let namespace = args.probe_namespace.clone().unwrap_or_else(|| "pulldoctor".into());
    let pods = match runtime.block_on(cluster.pod_addresses(&namespace, &args.probe_selector)) {
        Ok(pods) => pods,
        Err(failed) => {
            log::warn("cannot list the node agents", json!({"error": failed.message}));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (node, address) in pods {
        let host = if address.contains(':') { format!("[{address}]") } else { address };
        let url = format!("http://{host}:{}/v1/probes", args.probe_port);
        match http::get_json(&url, Duration::from_secs(5)) {
            Ok(Value::Array(reports)) => {
                for report in reports {
                    match serde_json::from_value::<pulldoctor_probe::ProbeReport>(report) {
                        Ok(report) => out.extend(super::node::samples(&node, &report)),
                        Err(error) => {
                            log::warn("a node agent's probe is not a PulldoctorProbe", json!({"node": node, "error": error.to_string()}))
                        }
                    }
                }
            }
            Ok(_) => log::warn("a node agent's answer is not a list", json!({"node": node})),
            Err(error) => log::warn("cannot read a node agent", json!({"node": node, "url": url, "error": format!("{error:#}")})),
        }
    }
    out
}

/// Events on the nodes of each break and restore, and the webhook: (events created, webhook failed).
fn notify(
    args: &AgentArgs,
    runtime: &tokio::runtime::Runtime,
    cluster: Option<&pulldoctor_live::Cluster>,
    drift: &Drift,
    headline: Option<&str>,
    now: DateTime<Utc>,
) -> (u64, bool) {
    let changed: Vec<_> = drift.findings.iter().filter(|f| matches!(f.severity, Severity::Breaks | Severity::Restores)).collect();
    if changed.is_empty() {
        return (0, false);
    }
    let mut events = 0;
    if let (false, Some(cluster)) = (args.no_events, cluster) {
        let instance = std::env::var("POD_NAME").unwrap_or_else(|_| "pulldoctor-agent".into());
        for finding in &changed {
            for node in &finding.nodes {
                let name = format!("{}.pulldoctor.{:x}", node, now.timestamp_nanos_opt().unwrap_or_default() + events as i64);
                let event = notice::node_event(finding, node, &args.event_namespace, &name, now, &instance);
                match runtime.block_on(cluster.create_event(&args.event_namespace, &event)) {
                    Ok(()) => events += 1,
                    Err(failed) => log::warn("cannot create an event", json!({"node": node, "error": failed.message})),
                }
            }
        }
    }
    let mut failed = false;
    if let Some(url) = &args.webhook_url {
        let message = notice::webhook_message(drift, &args.cluster_name, headline);
        match http::request("POST", url, Some(message.to_string().as_bytes()), Duration::from_secs(10)) {
            Ok((status, _)) if (200..300).contains(&status) => log::info("webhook posted", json!({"status": status})),
            Ok((status, _)) => {
                failed = true;
                log::warn("webhook refused", json!({"status": status}));
            }
            Err(error) => {
                failed = true;
                log::warn("webhook failed", json!({"error": format!("{error:#}")}));
            }
        }
    }
    (events, failed)
}
