//! What the agent tells people when a path breaks: a Kubernetes Event on each affected node, and
//! a message for a webhook in Slack's incoming-webhook format (`text` plus `blocks`), which
//! Mattermost, Rocket.Chat and most chat relays accept as is.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::drift::{Drift, Finding, Severity};

/// The reason an Event carries (CamelCase, as the kubelet's are).
pub const REASON_BROKEN: &str = "PullPathBroken";
pub const REASON_RESTORED: &str = "PullPathRestored";
/// The Event's source component.
pub const COMPONENT: &str = "pulldoctor-agent";

/// One core/v1 Event about `node` for a finding: `Warning` for a break, `Normal` for a restore.
/// `name` must be unique (the caller adds a suffix); `namespace` is where the Event lives
/// (`default` for node events, as the kubelet writes them).
pub fn node_event(finding: &Finding, node: &str, namespace: &str, name: &str, now: DateTime<Utc>, reporting_instance: &str) -> Value {
    let (kind, reason) = match finding.severity {
        Severity::Breaks => ("Warning", REASON_BROKEN),
        _ => ("Normal", REASON_RESTORED),
    };
    let time = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut message = match finding.code {
        Some(code) => format!("[{code}] {}", finding.summary),
        None => finding.summary.clone(),
    };
    // the API server refuses messages over 1 KiB in some versions: keep the start
    if message.len() > 1000 {
        let mut cut = 997;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push_str("...");
    }
    json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": namespace},
        "involvedObject": {"apiVersion": "v1", "kind": "Node", "name": node, "uid": node},
        "reason": reason,
        "message": message,
        "type": kind,
        "source": {"component": COMPONENT},
        "reportingComponent": COMPONENT,
        "reportingInstance": reporting_instance,
        "firstTimestamp": time,
        "lastTimestamp": time,
        "count": 1,
    })
}

/// A Slack-compatible message for the findings that break or restore pulls, with the diagnosis'
/// headline when one was run.
pub fn webhook_message(drift: &Drift, cluster: &str, headline: Option<&str>) -> Value {
    let breaks: Vec<&Finding> = drift.findings.iter().filter(|f| f.severity == Severity::Breaks).collect();
    let restores = drift.count(Severity::Restores);
    let title = if breaks.is_empty() {
        format!("pulldoctor: {restores} image pull path(s) restored on {cluster}")
    } else {
        format!("pulldoctor: {} change(s) break image pulls on {cluster}", breaks.len())
    };
    let mut blocks = vec![json!({"type": "header", "text": {"type": "plain_text", "text": title.chars().take(150).collect::<String>()}})];
    for finding in breaks.iter().take(10) {
        let mut text = format!("*{}* {}", finding.code.map(|c| c.to_string()).unwrap_or_else(|| "change".into()), finding.summary);
        for line in &finding.what_changed {
            text.push_str(&format!("\n_what changed:_ {line}"));
        }
        for command in &finding.restore {
            text.push_str(&format!("\n_back to the baseline:_ `{command}`"));
        }
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": text.chars().take(2900).collect::<String>()}}));
    }
    if let Some(headline) = headline {
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": format!("diagnosis: {headline}")}]}));
    }
    json!({"text": title, "blocks": blocks})
}
