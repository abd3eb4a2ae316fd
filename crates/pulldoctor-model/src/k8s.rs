//! Cluster facts: pods, events, nodes, pull credentials and cluster-wide image policy.
//!
//! Secrets are held only as [`SecretFacts`]: the reader decodes what a diagnosis needs (registry
//! hosts, user name, ECR token expiry) and drops every password and token before the model exists.

use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Namespace {
    pub name: String,
    pub created: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Node {
    pub name: String,
    pub provider_id: Option<String>,
    /// The EC2 instance id from `spec.providerID` (`aws:///<zone>/<instance-id>`).
    pub instance_id: Option<String>,
    pub zone: Option<String>,
    pub architecture: Option<String>,
    pub internal_ips: Vec<std::net::IpAddr>,
    pub hostnames: Vec<String>,
    pub container_runtime: Option<String>,
    pub kubelet_version: Option<String>,
    /// `status.nodeInfo.osImage`: `Amazon Linux 2023...`, `Red Hat Enterprise Linux CoreOS 416...`.
    pub os_image: Option<String>,
    pub disk_pressure: Option<bool>,
    pub ready: Option<bool>,
    pub created: Option<DateTime<Utc>>,
    pub roles: Vec<String>,
    /// The images the node holds (`status.images`, the kubelet lists up to 50, largest first):
    /// what can run there without a pull.
    pub images: Vec<NodeImage>,
    /// The node's labels (EKS node groups, OpenShift's `node.openshift.io/os_id`, ...).
    pub labels: std::collections::BTreeMap<String, String>,
}

/// An image a node holds: its names (tags and digests) and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeImage {
    pub names: Vec<String>,
    pub size_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    pub pull_policy: Option<String>,
    pub init: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ContainerState {
    Waiting { reason: Option<String>, message: Option<String> },
    Running { started_at: Option<DateTime<Utc>> },
    Terminated { reason: Option<String>, exit_code: Option<i32> },
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerStatus {
    pub name: String,
    pub image: Option<String>,
    pub image_id: Option<String>,
    pub ready: bool,
    pub state: ContainerState,
    pub init: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pod {
    pub namespace: String,
    pub name: String,
    pub uid: Option<String>,
    pub created: Option<DateTime<Utc>>,
    pub node_name: Option<String>,
    pub service_account: Option<String>,
    pub image_pull_secrets: Vec<String>,
    pub containers: Vec<ContainerSpec>,
    pub statuses: Vec<ContainerStatus>,
    pub phase: Option<String>,
    pub host_ip: Option<std::net::IpAddr>,
    pub owner: Option<String>,
}

impl Pod {
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectRef {
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub uid: Option<String>,
    pub field_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub involved: ObjectRef,
    pub reason: Option<String>,
    /// Shared between events with the same text: a big outage's events repeat a few messages
    /// (the reader interns them).
    pub message: Option<std::sync::Arc<str>>,
    pub event_type: Option<String>,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    pub count: Option<i64>,
    pub source_host: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceAccount {
    pub namespace: String,
    pub name: String,
    pub image_pull_secrets: Vec<String>,
}

/// What a pull secret says about one registry, with every credential removed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegistryCredential {
    /// The key exactly as written in the config (`https://index.docker.io/v1/`, `host:5000`, ...).
    pub key: String,
    /// The normalised host the runtimes match against (scheme and path dropped, Docker Hub aliases
    /// folded to `docker.io`).
    pub host: String,
    pub username: Option<String>,
    /// A password, `auth` or identity token is present (its value is never kept).
    pub has_secret: bool,
    /// For an ECR token: the `expiration` decoded from the password.
    pub ecr_expires_at: Option<DateTime<Utc>>,
    /// What could not be decoded, in words (never the value).
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecretFacts {
    pub namespace: String,
    pub name: String,
    pub secret_type: String,
    pub created: Option<DateTime<Utc>>,
    pub credentials: Vec<RegistryCredential>,
    /// Why the credentials could not be read at all, when that happened.
    pub problem: Option<String>,
}

impl SecretFacts {
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkPolicy {
    pub namespace: String,
    pub name: String,
    pub policy_types: Vec<String>,
}

/// OpenShift's cluster-wide proxy (`proxies.config.openshift.io/cluster`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ClusterProxy {
    pub http_proxy: Option<String>,
    pub https_proxy: Option<String>,
    /// `spec.noProxy` as written, split on commas.
    pub no_proxy: Vec<String>,
    /// `status.noProxy`, what the cluster computed and nodes use, when present.
    pub effective_no_proxy: Option<Vec<String>>,
}

/// OpenShift's `images.config.openshift.io/cluster`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ImagePolicy {
    pub allowed_registries: Vec<String>,
    pub blocked_registries: Vec<String>,
    pub insecure_registries: Vec<String>,
}

/// One source -> mirrors rule from an ImageContentSourcePolicy or ImageDigestMirrorSet / ImageTagMirrorSet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MirrorRule {
    pub object: String,
    pub source: String,
    pub mirrors: Vec<String>,
    /// `NeverContactSource` in IDMS: the source is not tried when the mirrors fail.
    pub never_contact_source: bool,
    /// True for digest-only rules (ICSP, IDMS): they apply to pulls by digest only.
    pub digest_only: bool,
}
