//! What a probe observed (`pulldoctor probe`, a `PulldoctorProbe` document in the bundle): one
//! pull tried step by step from a node, with every lookup, connection and handshake it made.
//!
//! Configuration says where packets should go; these facts say where they went. The diagnosis
//! joins them to its causes (confirmed, contradicted, settled). The small vocabularies (steps,
//! host roles, connection outcomes) live here so that the probe that writes the document and the
//! reader that reads it share one definition.

use std::net::{IpAddr, SocketAddr};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The steps of a pull, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepName {
    /// Resolve the registry, ECR API and layer hosts.
    Resolve,
    /// TCP to each address, or through the proxy.
    Connect,
    /// TLS handshake and certificate verification.
    Tls,
    /// `GET /v2/`.
    Ping,
    /// Credentials the kubelet would present, and the token exchange.
    Credentials,
    /// The manifest (and index) of the reference.
    Manifest,
    /// The first bytes of one layer, through the layer-store redirect.
    Blob,
}

impl StepName {
    /// Every step, in order.
    pub const ALL: [StepName; 7] =
        [StepName::Resolve, StepName::Connect, StepName::Tls, StepName::Ping, StepName::Credentials, StepName::Manifest, StepName::Blob];

    /// The name as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            StepName::Resolve => "resolve",
            StepName::Connect => "connect",
            StepName::Tls => "tls",
            StepName::Ping => "ping",
            StepName::Credentials => "credentials",
            StepName::Manifest => "manifest",
            StepName::Blob => "blob",
        }
    }
}

/// A step's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    /// Worked.
    Passed,
    /// Failed: see `failure`.
    Failed,
    /// Not run: see `skippedBecause`.
    Skipped,
}

/// What each host is for in the pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostRole {
    /// The registry API.
    Registry,
    /// The ECR API (`ecr:GetAuthorizationToken`).
    EcrApi,
    /// Where layers come from (S3 for ECR, a CDN, or the redirect's host).
    Layer,
    /// The HTTP(S) proxy.
    Proxy,
    /// The bearer token service.
    TokenRealm,
    /// The EC2 instance metadata service.
    Metadata,
}

impl HostRole {
    /// Words for the text output.
    pub fn describe(self) -> &'static str {
        match self {
            HostRole::Registry => "registry",
            HostRole::EcrApi => "ECR API",
            HostRole::Layer => "layer store",
            HostRole::Proxy => "proxy",
            HostRole::TokenRealm => "token service",
            HostRole::Metadata => "instance metadata",
        }
    }
}

/// How a TCP connection attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectOutcome {
    /// Connected (through a proxy: the tunnel is up).
    Connected,
    /// No answer in time: packets dropped on the way (security group, NACL, firewall, no return path).
    Timeout,
    /// A TCP reset: nothing listens, or a firewall rejects.
    Refused,
    /// The node has no route to the address.
    NetworkUnreachable,
    /// A router or the local subnet said the host is unreachable.
    HostUnreachable,
    /// The proxy answered the CONNECT with an error status.
    ProxyRefused,
    /// Another error.
    Error,
}

impl ConnectOutcome {
    /// Packets went out and nothing (or a refusal on the way) came back: what a missing route,
    /// a dropping rule or a firewall looks like from the node.
    pub fn is_blocked(self) -> bool {
        matches!(self, ConnectOutcome::Timeout | ConnectOutcome::NetworkUnreachable | ConnectOutcome::HostUnreachable)
    }
}

/// Where a probe ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeMode {
    /// In the process that printed it (on a node through ssh or a debug shell, in CI, on a laptop).
    Local,
    /// In a pod pinned to a node, in the node's network namespace: the path the runtime takes.
    HostNetwork,
    /// In a pod pinned to a node, in a pod's network namespace.
    PodNetwork,
}

impl ProbeMode {
    /// The name as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeMode::Local => "local",
            ProbeMode::HostNetwork => "host-network",
            ProbeMode::PodNetwork => "pod-network",
        }
    }
}

/// One probe, as the diagnosis needs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeRun {
    /// The bundle file it came from.
    pub file: String,
    /// The Kubernetes node it ran on (in-cluster), else the host name it reported.
    pub node: Option<String>,
    pub mode: ProbeMode,
    pub started_at: DateTime<Utc>,
    /// The time each step was allowed.
    pub timeout_ms: u64,
    /// The registry as the image names it, the host and port dialled for it.
    pub registry: String,
    pub host: String,
    pub port: u16,
    pub repository: Option<String>,
    pub reference: Option<String>,
    /// The proxy the registry went through (`host:port`), when it went through one.
    pub proxy: Option<String>,
    /// The first failed step and its classification; `None` when every step passed.
    pub failure: Option<ProbeFailure>,
    pub steps: Vec<ProbeStep>,
    pub lookups: Vec<ProbeLookup>,
    pub connections: Vec<ProbeConnection>,
    pub handshakes: Vec<ProbeHandshake>,
    /// HTTP requests that got an answer (or did not).
    pub requests: Vec<ProbeRequest>,
    /// What the credentials step presented, when it ran.
    pub credentials: Option<ProbeCredentials>,
}

/// The credentials the probe presented, as the kubelet would have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeCredentials {
    /// `pull-secret`, `instance-role` or `none`.
    pub source: String,
    /// The registry accepted them (or asked for none).
    pub accepted: bool,
}

impl ProbeRun {
    /// Every step passed.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }

    /// The status of a step (`Skipped` when the document does not list it).
    pub fn step(&self, name: StepName) -> StepStatus {
        self.steps.iter().find(|s| s.name == name).map_or(StepStatus::Skipped, |s| s.status)
    }
}

/// Why the probe failed, as `pulldoctor classify` reads the runtime's text for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeFailure {
    pub step: StepName,
    /// An error class of `pulldoctor classify` (`network-timeout`, `dns`, `tls`, ...).
    pub class: String,
    /// The failure as the runtime would print it.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeStep {
    pub name: StepName,
    pub status: StepStatus,
    pub duration_ms: u64,
}

/// A host resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeLookup {
    pub host: String,
    pub role: HostRole,
    /// The addresses it resolved to, each with whether it is private.
    pub addresses: Vec<(IpAddr, bool)>,
    /// The server that answered (or said NXDOMAIN).
    pub answered_by: Option<String>,
}

/// One TCP connection attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeConnection {
    pub host: String,
    pub role: HostRole,
    /// The address dialled (the proxy's when `via` is set).
    pub address: SocketAddr,
    /// The address the node sent from.
    pub source: Option<IpAddr>,
    /// The proxy asked to CONNECT to `host`.
    pub via: Option<String>,
    pub outcome: ConnectOutcome,
    pub duration_ms: u64,
    /// The error, in Go's words.
    pub error: Option<String>,
}

/// One TLS handshake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeHandshake {
    pub host: String,
    pub role: HostRole,
    /// `verified`, `expired`, `untrusted`, ... as the document says.
    pub outcome: String,
    pub error: Option<String>,
}

/// One HTTP request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeRequest {
    pub method: String,
    /// The URL without its query string.
    pub url: String,
    /// The status, when an answer came.
    pub status: Option<u16>,
    pub duration_ms: u64,
}
