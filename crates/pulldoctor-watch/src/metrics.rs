//! The agent's `/metrics`, in the Prometheus text exposition format (version 0.0.4).
//!
//! Names and labels follow Prometheus' and kube-state-metrics' conventions: a `pulldoctor_`
//! prefix, base units in the name (`_seconds`, `_timestamp_seconds`), `_total` for counters, and
//! a state as a label with one series per state set to 1 or 0 (as `kube_pod_status_phase`), so
//! an alert is `pulldoctor_path_status{status="blocked"} == 1` and a dashboard sums by label.
//! Expiry is a timestamp (as cert-manager's `certmanager_certificate_expiration_timestamp_seconds`):
//! `pulldoctor_pull_secret_expiration_timestamp_seconds - time() < 86400` is "within a day".
//! Fleets aggregate in Prometheus; nothing here keeps history beyond counters.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use pulldoctor_net::Verdict;

use crate::baseline::Baseline;
use crate::drift::{Drift, Severity};

/// One probe step's outcome on one node, as the agent read it from the node's probe.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeSample {
    pub node: String,
    pub registry: String,
    /// `resolve`, `connect`, `tls`, `ping`, `credentials`, `manifest`, `blob`.
    pub step: String,
    /// `None`: the step was skipped (an earlier one failed) or not run.
    pub success: Option<bool>,
    pub seconds: f64,
    /// When the probe ran.
    pub at: DateTime<Utc>,
}

/// One cause of the last diagnosis.
#[derive(Debug, Clone, PartialEq)]
pub struct CauseSample {
    pub code: String,
    pub layer: String,
    pub confidence: String,
}

/// Everything `/metrics` shows.
#[derive(Debug, Clone)]
pub struct State<'a> {
    pub version: &'a str,
    /// The last cycle's baseline.
    pub baseline: Option<&'a Baseline>,
    /// The last comparison with the cycle before.
    pub drift: Option<&'a Drift>,
    pub probes: &'a [ProbeSample],
    /// The causes of the last diagnosis (run when a path broke or a probe failed).
    pub causes: &'a [CauseSample],
    pub last_diagnosis_at: Option<DateTime<Utc>>,
    pub diagnoses_total: u64,
    pub cycles_ok_total: u64,
    pub cycles_failed_total: u64,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_cycle_seconds: Option<f64>,
    /// Findings of each severity since the agent started.
    pub findings_total: &'a BTreeMap<Severity, u64>,
    /// Calls the last collection could not make (`ec2:DescribeRouteTables`, `list pods`).
    pub collection_failures: &'a [String],
    pub events_total: u64,
    pub webhook_failures_total: u64,
}

/// Writes families: `# HELP`, `# TYPE`, then samples.
struct Exposition {
    out: String,
}

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (n, (label, text)) in labels.iter().enumerate() {
                if n > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{label}=\"{}\"", escape(text));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {}", number(value));
    }
}

/// A label value as the format wants it: backslash, double quote and newline escaped.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

fn timestamp(at: DateTime<Utc>) -> f64 {
    at.timestamp_millis() as f64 / 1000.0
}

/// The whole `/metrics` page.
pub fn render(state: &State) -> String {
    let mut e = Exposition { out: String::new() };
    e.family("pulldoctor_build_info", "gauge", "Always 1; the version of the agent.");
    e.sample("pulldoctor_build_info", &[("version", state.version)], 1.0);

    e.family("pulldoctor_cycles_total", "counter", "Check cycles run, by result (ok: collected and compared).");
    e.sample("pulldoctor_cycles_total", &[("result", "ok")], state.cycles_ok_total as f64);
    e.sample("pulldoctor_cycles_total", &[("result", "failed")], state.cycles_failed_total as f64);
    if let Some(at) = state.last_success_at {
        e.family("pulldoctor_last_successful_cycle_timestamp_seconds", "gauge", "When the last cycle that collected and compared ended.");
        e.sample("pulldoctor_last_successful_cycle_timestamp_seconds", &[], timestamp(at));
    }
    if let Some(seconds) = state.last_cycle_seconds {
        e.family("pulldoctor_cycle_duration_seconds", "gauge", "How long the last cycle took (collection, tracing, comparison).");
        e.sample("pulldoctor_cycle_duration_seconds", &[], seconds);
    }
    e.family("pulldoctor_collection_failures", "gauge", "Calls the last collection could not make (denied or failed), by call; 1 each.");
    for call in state.collection_failures {
        e.sample("pulldoctor_collection_failures", &[("call", call)], 1.0);
    }

    if let Some(baseline) = state.baseline {
        e.family(
            "pulldoctor_path_status",
            "gauge",
            "The path engine's verdict for a node's path to a host a pull needs: one series per status, 1 for the current one.",
        );
        for path in &baseline.paths {
            let role = serde_json::to_value(path.role).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            let cause = path.blocker.as_ref().map(|b| b.code.as_str()).unwrap_or("");
            for (status, verdict) in [("reachable", Verdict::Reachable), ("blocked", Verdict::Blocked), ("unknown", Verdict::Unknown)] {
                e.sample(
                    "pulldoctor_path_status",
                    &[
                        ("node", &path.node),
                        ("registry", &path.registry),
                        ("repository", path.repository.as_deref().unwrap_or("")),
                        ("role", &role),
                        ("host", &path.host),
                        ("subnet", path.subnet_id.as_deref().unwrap_or("")),
                        ("route_table", path.route_table_id.as_deref().unwrap_or("")),
                        ("cause", cause),
                        ("status", status),
                    ],
                    if path.verdict == verdict { 1.0 } else { 0.0 },
                );
            }
        }
        e.family(
            "pulldoctor_node_role_pull_status",
            "gauge",
            "Whether a node role may pull an ECR repository in use: one series per status, 1 for the current one.",
        );
        for role in &baseline.node_roles {
            for (status, value) in [("allowed", Some(true)), ("denied", Some(false)), ("unknown", None)] {
                e.sample(
                    "pulldoctor_node_role_pull_status",
                    &[("role", &role.role), ("registry", &role.registry), ("repository", &role.repository), ("status", status)],
                    if role.allowed == value { 1.0 } else { 0.0 },
                );
            }
        }
        e.family(
            "pulldoctor_pull_secret_expiration_timestamp_seconds",
            "gauge",
            "When a pull secret's ECR token for a registry expires (Unix time); absent for credentials without an expiry.",
        );
        for secret in &baseline.pull_secrets {
            let Some(expires) = secret.expires_at else { continue };
            let (namespace, name) = secret.secret.split_once('/').unwrap_or(("", &secret.secret));
            e.sample(
                "pulldoctor_pull_secret_expiration_timestamp_seconds",
                &[("namespace", namespace), ("secret", name), ("registry", &secret.registry)],
                timestamp(expires),
            );
        }
    }

    if let Some(drift) = state.drift {
        e.family("pulldoctor_drift_findings", "gauge", "Findings of the last comparison with the cycle before, by severity.");
        for severity in [Severity::Breaks, Severity::Warns, Severity::Restores, Severity::Changes] {
            e.sample("pulldoctor_drift_findings", &[("severity", severity_name(severity))], drift.count(severity) as f64);
        }
    }
    e.family("pulldoctor_drift_findings_total", "counter", "Findings since the agent started, by severity.");
    for severity in [Severity::Breaks, Severity::Warns, Severity::Restores, Severity::Changes] {
        e.sample(
            "pulldoctor_drift_findings_total",
            &[("severity", severity_name(severity))],
            state.findings_total.get(&severity).copied().unwrap_or(0) as f64,
        );
    }

    e.family("pulldoctor_probe_step_success", "gauge", "Whether a probe step passed (1) or failed (0) on a node; absent when skipped.");
    for probe in state.probes {
        if let Some(success) = probe.success {
            e.sample(
                "pulldoctor_probe_step_success",
                &[("node", &probe.node), ("registry", &probe.registry), ("step", &probe.step)],
                if success { 1.0 } else { 0.0 },
            );
        }
    }
    e.family("pulldoctor_probe_step_duration_seconds", "gauge", "How long a probe step took on a node.");
    for probe in state.probes.iter().filter(|p| p.success.is_some()) {
        e.sample(
            "pulldoctor_probe_step_duration_seconds",
            &[("node", &probe.node), ("registry", &probe.registry), ("step", &probe.step)],
            probe.seconds,
        );
    }
    e.family("pulldoctor_probe_last_run_timestamp_seconds", "gauge", "When the probe of a registry last ran on a node.");
    let mut last: BTreeMap<(&str, &str), DateTime<Utc>> = BTreeMap::new();
    for probe in state.probes {
        let at = last.entry((&probe.node, &probe.registry)).or_insert(probe.at);
        *at = (*at).max(probe.at);
    }
    for ((node, registry), at) in last {
        e.sample("pulldoctor_probe_last_run_timestamp_seconds", &[("node", node), ("registry", registry)], timestamp(at));
    }

    e.family("pulldoctor_diagnosis_runs_total", "counter", "Full diagnoses run (on a broken path or a failing probe).");
    e.sample("pulldoctor_diagnosis_runs_total", &[], state.diagnoses_total as f64);
    if let Some(at) = state.last_diagnosis_at {
        e.family("pulldoctor_diagnosis_last_run_timestamp_seconds", "gauge", "When the last diagnosis ran.");
        e.sample("pulldoctor_diagnosis_last_run_timestamp_seconds", &[], timestamp(at));
    }
    e.family(
        "pulldoctor_diagnosis_cause",
        "gauge",
        "The causes the last diagnosis found, 1 each (pulldoctor explain CODE says what they mean).",
    );
    for cause in state.causes {
        e.sample("pulldoctor_diagnosis_cause", &[("code", &cause.code), ("layer", &cause.layer), ("confidence", &cause.confidence)], 1.0);
    }
    e.family("pulldoctor_events_total", "counter", "Kubernetes Events the agent created.");
    e.sample("pulldoctor_events_total", &[], state.events_total as f64);
    e.family("pulldoctor_webhook_failures_total", "counter", "Webhook posts that failed.");
    e.sample("pulldoctor_webhook_failures_total", &[], state.webhook_failures_total as f64);
    e.out
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Breaks => "breaks",
        Severity::Warns => "warns",
        Severity::Restores => "restores",
        Severity::Changes => "changes",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(number(1.0), "1");
        assert_eq!(number(0.25), "0.25");
    }
}
