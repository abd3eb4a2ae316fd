//! The probe's result: the document `probe --format json` prints and `probe -o FILE` writes.
//!
//! Its top level is recognisable by content (`"kind": "PulldoctorProbe"`, `"apiVersion":
//! "pulldoctor/v1"`), like the Kubernetes objects a bundle holds, so a bundle reader can pick it
//! out of a directory; field names are camelCase for the same reason. docs/probe.md documents
//! every field. Secrets never appear: credentials are named by source, key and user, tokens by
//! their expiry, URLs without their query string.

use std::net::{IpAddr, SocketAddr};

use chrono::{DateTime, Utc};
use pulldoctor_classify::{ErrorClass, classify};
use serde::{Deserialize, Serialize};

pub use pulldoctor_model::probe::{ConnectOutcome, HostRole, ProbeMode, StepName, StepStatus};

use crate::dns::Lookup;
use crate::x509::CertificateInfo;

/// `kind` of the document.
pub const KIND: &str = "PulldoctorProbe";
/// `apiVersion` of the document.
pub const API_VERSION: &str = "pulldoctor/v1";

/// The whole result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeReport {
    /// Always [`KIND`].
    pub kind: String,
    /// Always [`API_VERSION`].
    pub api_version: String,
    /// Where the probe ran.
    pub node: NodeInfo,
    /// What was probed.
    pub target: TargetInfo,
    /// The proxy the runtime would use for the registry.
    pub proxy: ProxyInfo,
    /// When the probe started.
    pub started_at: DateTime<Utc>,
    /// How long it took in all.
    pub duration_ms: u64,
    /// The time each step was allowed.
    pub timeout_ms: u64,
    /// `passed` when no step failed.
    pub result: Verdict,
    /// The step that failed, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_step: Option<StepName>,
    /// The seven steps, in order.
    pub steps: Vec<Step>,
}

/// Where the probe ran and as which platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfo {
    /// The host name.
    pub name: Option<String>,
    /// `local` (in this process), `host-network` or `pod-network` (in a pod pinned to a node).
    pub mode: ProbeMode,
    /// In-cluster: the Kubernetes node the pod ran on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_node: Option<String>,
    /// In-cluster: the pod the probe ran in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// `os/arch[/variant]` an index is matched against.
    pub platform: String,
    /// `this machine` or `--platform`.
    pub platform_from: String,
}

/// What was probed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetInfo {
    /// As given on the command line.
    pub input: String,
    /// The registry as the image names it (`host[:port]`, `docker.io`).
    pub registry: String,
    /// The host dialled for the registry API (`registry-1.docker.io` for `docker.io`).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The repository, when an image was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The tag or digest, when an image was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// For an ECR registry: its account, region and the hosts a pull needs besides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecr: Option<EcrInfo>,
}

/// The ECR side of a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EcrInfo {
    /// The registry's account.
    pub account: String,
    /// Its region.
    pub region: String,
    /// Where `ecr:GetAuthorizationToken` goes (the endpoint override's host when one is set).
    pub api_host: String,
    /// The S3 host ECR serves layers from.
    pub layer_host: String,
}

/// The proxy settings that apply to the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyInfo {
    /// The https proxy (without user information), when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub https_proxy: Option<String>,
    /// The variable or flag it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The `NO_PROXY` list, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_proxy: Option<String>,
    /// For the registry: `direct` or `proxy`.
    pub registry_route: String,
    /// Why (the NO_PROXY entry that matched, or the proxy used).
    pub reason: String,
}

/// Passed or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// No step failed.
    Passed,
    /// A step failed.
    Failed,
}

/// One step's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// Which step.
    pub name: StepName,
    /// Its status.
    pub status: StepStatus,
    /// How long it took (0 when skipped).
    pub duration_ms: u64,
    /// What it found, one line per fact, for people.
    pub summary: Vec<String>,
    /// Why it failed, classified like `pulldoctor classify`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// Why it did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_because: Option<String>,
    /// Hosts resolved in this step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lookups: Vec<HostLookup>,
    /// TCP connections opened in this step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connections: Vec<Connection>,
    /// TLS handshakes done in this step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub handshakes: Vec<Handshake>,
    /// HTTP requests sent in this step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<Exchange>,
    /// The credentials step's findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<CredentialsInfo>,
    /// The manifest step's findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<ManifestInfo>,
    /// The blob step's findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<BlobInfo>,
}

impl Step {
    /// An empty step record, to be filled.
    pub fn new(name: StepName) -> Step {
        Step {
            name,
            status: StepStatus::Passed,
            duration_ms: 0,
            summary: Vec::new(),
            failure: None,
            skipped_because: None,
            lookups: Vec::new(),
            connections: Vec::new(),
            handshakes: Vec::new(),
            requests: Vec::new(),
            credentials: None,
            manifest: None,
            blob: None,
        }
    }

    /// A step that did not run.
    pub fn skipped(name: StepName, because: impl Into<String>) -> Step {
        Step { status: StepStatus::Skipped, skipped_because: Some(because.into()), ..Step::new(name) }
    }
}

/// A host resolved, and what for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostLookup {
    /// What the host is for.
    pub role: HostRole,
    /// The lookup.
    #[serde(flatten)]
    pub lookup: Lookup,
}

/// One TCP connection attempt (to the host, or to the proxy with a CONNECT for the host).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    /// The host the connection is for.
    pub host: String,
    /// What the host is for.
    pub role: HostRole,
    /// The address dialled (the proxy's when `via` is set).
    pub address: SocketAddr,
    /// The address this host sent from (the connection's own end, or for one that failed, the
    /// source the kernel picks for that destination).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<IpAddr>,
    /// The proxy (`host:port`) that was asked to CONNECT to `host`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// How it ended.
    pub outcome: ConnectOutcome,
    /// The proxy's status line when it refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_status: Option<String>,
    /// How long it took.
    pub duration_ms: u64,
    /// The error, in Go's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How a TLS handshake ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsOutcome {
    /// The chain verified against the trusted CAs and covers the name.
    Verified,
    /// The certificate's validity ended.
    Expired,
    /// The certificate's validity has not begun (or the clock is wrong).
    NotYetValid,
    /// The certificate does not cover the name dialled.
    WrongName,
    /// The chain does not lead to a trusted CA.
    Untrusted,
    /// The server answered in plain HTTP.
    NotTls,
    /// No handshake in time.
    Timeout,
    /// Another failure (an alert, a reset, a protocol error).
    Failed,
}

/// One TLS handshake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Handshake {
    /// The host.
    pub host: String,
    /// What it is for.
    pub role: HostRole,
    /// The address the TCP connection went to (the proxy's, when tunnelled).
    pub address: SocketAddr,
    /// The server name sent (none for an IP address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sni: Option<String>,
    /// How it ended.
    pub outcome: TlsOutcome,
    /// `TLSv1_3`, `TLSv1_2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// The server's certificate, also when it failed verification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateInfo>,
    /// Per-registry CA files added to the system roots (`certs.d/HOST/*.crt`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ca_files: Vec<String>,
    /// How long it took.
    pub duration_ms: u64,
    /// The error, in Go's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One HTTP request and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    /// `GET`, `HEAD`, `PUT`, `POST`.
    pub method: String,
    /// The URL without query string.
    pub url: String,
    /// The status, when an answer came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// How long it took (including any new connection).
    pub duration_ms: u64,
}

/// Where the credentials came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialSource {
    /// A pull secret (`--pull-secret`).
    PullSecret,
    /// The node's instance role, through IMDSv2 and `ecr:GetAuthorizationToken`.
    InstanceRole,
    /// None: the pull is anonymous.
    None,
}

/// What the credentials step found; never a password or token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialsInfo {
    /// Where they came from.
    pub source: CredentialSource,
    /// How the registry wants them: `basic`, `bearer`, or `none`.
    pub scheme: String,
    /// The pull secret file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The key of the pull secret entry used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The user name presented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The instance role's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The bearer realm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    /// The bearer service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// When the token obtained expires, as its issuer said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expires_at: Option<DateTime<Utc>>,
    /// What is known about that expiry, in words (absent, in the past, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_note: Option<String>,
    /// Whether the registry accepted them.
    pub accepted: bool,
}

/// What the manifest step found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestInfo {
    /// The digest of what the reference points at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Its media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// For an index: the platforms it offers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    /// For an index: the platform chosen for this node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen_platform: Option<String>,
    /// The digest of the image manifest the node would use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_digest: Option<String>,
    /// How many layers it has.
    pub layers: usize,
}

/// What the blob step found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobInfo {
    /// The layer's digest.
    pub digest: String,
    /// The layer's size from the manifest.
    pub size: u64,
    /// The host the registry redirected to (the layer store), if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirected_to: Option<String>,
    /// The final status (200 or 206).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// How many bytes were read (the probe reads only the first ones).
    pub bytes: usize,
}

/// A failure, classified as `pulldoctor classify` classifies the runtime's text for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    /// The error class.
    pub class: ErrorClass,
    /// The pull step `classify` names (`tcp-connect`, `tls-handshake`, ...).
    pub pull_step: String,
    /// The classifier rule that decided, or `probe.*` when the probe decided from what it saw
    /// and the classifier does not know the text.
    pub rule: String,
    /// What it means.
    pub explanation: String,
    /// The failure as the runtime (CRI-O / containerd, or the kubelet's ECR credential provider)
    /// would print it: paste it into `pulldoctor classify`.
    pub message: String,
}

impl Failure {
    /// Classifies the runtime's text for a failure.
    pub fn from_runtime(message: String) -> Failure {
        let classification = classify(&message);
        Failure {
            class: classification.class,
            pull_step: classification.step.as_str().to_string(),
            rule: classification.rule.to_string(),
            explanation: classification.explanation,
            message,
        }
    }

    /// Classifies the runtime's text, unless the classifier does not recognise it (`other`):
    /// then the probe's own knowledge decides, under a `probe.*` rule.
    pub fn from_runtime_or(message: String, class: ErrorClass, rule: &str, pull_step: &str, explanation: String) -> Failure {
        let classified = Failure::from_runtime(message);
        if classified.class != ErrorClass::Other {
            return classified;
        }
        Failure { class, pull_step: pull_step.to_string(), rule: rule.to_string(), explanation, message: classified.message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_take_the_classifier_verdict() {
        let failure = Failure::from_runtime(
            "pinging container registry registry.lab.test: Get \"https://registry.lab.test/v2/\": dial tcp 10.204.0.10:443: i/o timeout"
                .into(),
        );
        assert_eq!(
            (failure.class, failure.pull_step.as_str(), failure.rule.as_str()),
            (ErrorClass::NetworkTimeout, "tcp-connect", "net.io-timeout")
        );
        let own = Failure::from_runtime_or(
            "Get \"https://registry.lab.test/v2/\": Access violation".into(),
            ErrorClass::Proxy,
            "probe.proxy-refused",
            "proxy-connect",
            "the proxy refused".into(),
        );
        assert_eq!((own.class, own.rule.as_str()), (ErrorClass::Proxy, "probe.proxy-refused"));
        let agreed = Failure::from_runtime_or(
            "Get \"https://registry.lab.test/v2/\": Forbidden".into(),
            ErrorClass::Proxy,
            "probe.proxy-refused",
            "proxy-connect",
            String::new(),
        );
        assert_eq!(agreed.rule, "proxy.connect-status", "the classifier knows this one");
    }

    #[test]
    fn the_document_round_trips() {
        let report = ProbeReport {
            kind: KIND.into(),
            api_version: API_VERSION.into(),
            node: NodeInfo {
                name: Some("n".into()),
                mode: ProbeMode::Local,
                kubernetes_node: None,
                pod: None,
                platform: "linux/amd64".into(),
                platform_from: "this machine".into(),
            },
            target: TargetInfo {
                input: "registry.lab.test/demo/app:1.0".into(),
                registry: "registry.lab.test".into(),
                host: "registry.lab.test".into(),
                port: 443,
                repository: Some("demo/app".into()),
                reference: Some("1.0".into()),
                ecr: None,
            },
            proxy: ProxyInfo {
                https_proxy: None,
                source: None,
                no_proxy: None,
                registry_route: "direct".into(),
                reason: "no proxy".into(),
            },
            started_at: DateTime::parse_from_rfc3339("2025-12-03T12:00:00Z").unwrap().with_timezone(&Utc),
            duration_ms: 12,
            timeout_ms: 10_000,
            result: Verdict::Failed,
            failed_step: Some(StepName::Connect),
            steps: vec![Step::new(StepName::Resolve), Step::skipped(StepName::Tls, "connect failed")],
        };
        let text = serde_json::to_string(&report).unwrap();
        assert!(text.starts_with(r#"{"kind":"PulldoctorProbe","apiVersion":"pulldoctor/v1","#), "{text}");
        assert!(text.contains(r#""failedStep":"connect""#) && text.contains(r#""skippedBecause":"connect failed""#));
        let back: ProbeReport = serde_json::from_str(&text).unwrap();
        assert_eq!(back, report);
    }
}
