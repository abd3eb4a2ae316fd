//! The `PulldoctorProbe` document (`pulldoctor probe -o FILE`, docs/probe.md), as far as the
//! diagnosis reads it: where the probe ran, what it dialled, every lookup, connection, handshake
//! and request, and the first failure with its class. Fields the diagnosis does not use (the
//! certificate, the DNS attempts, summaries) are not read; unknown fields are ignored, so a newer
//! probe's document still reads.

use std::net::{IpAddr, SocketAddr};

use chrono::{DateTime, Utc};
use pulldoctor_model::ProbeRun;
use pulldoctor_model::probe::{
    ConnectOutcome, HostRole, ProbeConnection, ProbeCredentials, ProbeFailure, ProbeHandshake, ProbeLookup, ProbeMode, ProbeRequest,
    ProbeStep, StepName, StepStatus,
};
use serde::Deserialize;

/// `kind` of one probe document.
pub(crate) const KIND: &str = "PulldoctorProbe";
/// `kind` of several (what the in-cluster probe prints with `--format json`).
pub(crate) const LIST_KIND: &str = "PulldoctorProbeList";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProbeList {
    pub(crate) items: Vec<Probe>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Probe {
    node: Node,
    target: Target,
    #[serde(default)]
    proxy: Option<Proxy>,
    started_at: DateTime<Utc>,
    #[serde(default)]
    timeout_ms: u64,
    steps: Vec<Step>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Node {
    #[serde(default)]
    name: Option<String>,
    mode: ProbeMode,
    #[serde(default)]
    kubernetes_node: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    registry: String,
    host: String,
    port: u16,
    #[serde(default)]
    repository: Option<String>,
    #[serde(default)]
    reference: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Proxy {
    #[serde(default)]
    https_proxy: Option<String>,
    registry_route: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Step {
    name: StepName,
    status: StepStatus,
    #[serde(default)]
    duration_ms: u64,
    #[serde(default)]
    failure: Option<Failure>,
    #[serde(default)]
    lookups: Vec<Lookup>,
    #[serde(default)]
    connections: Vec<Connection>,
    #[serde(default)]
    handshakes: Vec<Handshake>,
    #[serde(default)]
    requests: Vec<Request>,
    #[serde(default)]
    credentials: Option<Credentials>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Credentials {
    source: String,
    #[serde(default)]
    accepted: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Failure {
    class: String,
    message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Lookup {
    role: HostRole,
    host: String,
    #[serde(default)]
    addresses: Vec<Address>,
    #[serde(default)]
    answered_by: Option<String>,
}

#[derive(Deserialize)]
struct Address {
    ip: IpAddr,
    #[serde(default)]
    private: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Connection {
    host: String,
    role: HostRole,
    address: SocketAddr,
    #[serde(default)]
    source: Option<IpAddr>,
    #[serde(default)]
    via: Option<String>,
    outcome: ConnectOutcome,
    #[serde(default)]
    duration_ms: u64,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Handshake {
    host: String,
    role: HostRole,
    outcome: String,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    method: String,
    url: String,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    duration_ms: u64,
}

impl Probe {
    /// The model's facts; `file` names where they came from.
    pub(crate) fn into_model(self, file: &str) -> ProbeRun {
        let failure = self.steps.iter().find(|s| s.status == StepStatus::Failed).and_then(|step| {
            step.failure.as_ref().map(|f| ProbeFailure { step: step.name, class: f.class.clone(), message: f.message.clone() })
        });
        let proxy = self.proxy.filter(|p| p.registry_route == "proxy").and_then(|p| p.https_proxy);
        let mut run = ProbeRun {
            file: file.to_string(),
            node: self.node.kubernetes_node.or(self.node.name),
            mode: self.node.mode,
            started_at: self.started_at,
            timeout_ms: self.timeout_ms,
            registry: self.target.registry,
            host: self.target.host,
            port: self.target.port,
            repository: self.target.repository,
            reference: self.target.reference,
            proxy,
            failure,
            steps: Vec::new(),
            lookups: Vec::new(),
            connections: Vec::new(),
            handshakes: Vec::new(),
            requests: Vec::new(),
            credentials: None,
        };
        for step in self.steps {
            if let Some(credentials) = step.credentials {
                run.credentials = Some(ProbeCredentials { source: credentials.source, accepted: credentials.accepted });
            }
            run.steps.push(ProbeStep { name: step.name, status: step.status, duration_ms: step.duration_ms });
            run.lookups.extend(step.lookups.into_iter().map(|l| ProbeLookup {
                host: l.host,
                role: l.role,
                addresses: l.addresses.into_iter().map(|a| (a.ip, a.private)).collect(),
                answered_by: l.answered_by,
            }));
            run.connections.extend(step.connections.into_iter().map(|c| ProbeConnection {
                host: c.host,
                role: c.role,
                address: c.address,
                source: c.source,
                via: c.via,
                outcome: c.outcome,
                duration_ms: c.duration_ms,
                error: c.error,
            }));
            run.handshakes.extend(step.handshakes.into_iter().map(|h| ProbeHandshake {
                host: h.host,
                role: h.role,
                outcome: h.outcome,
                error: h.error,
            }));
            run.requests.extend(step.requests.into_iter().map(|r| ProbeRequest {
                method: r.method,
                url: r.url,
                status: r.status,
                duration_ms: r.duration_ms,
            }));
        }
        run
    }
}
