//! Pull errors read from nodes' journals (the kubelet's and the container runtime's).
//!
//! Events expire (an hour on EKS, three on OpenShift) and leave only `Back-off pulling image`;
//! the journal keeps the runtime's real error for days. Each record says what the line names:
//! the node (the journal's host name), the pod and container when the kubelet names them, the
//! image when it or the runtime names it. [`crate::Model::node_log_errors_for`] attributes the
//! records to pods, also those that name only a node and an image.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Which program wrote the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogUnit {
    /// The kubelet (`kubelet[PID]`, OpenShift's `kubenswrapper[PID]`, older `hyperkube[PID]`).
    Kubelet,
    Containerd,
    Crio,
}

impl LogUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            LogUnit::Kubelet => "kubelet",
            LogUnit::Containerd => "containerd",
            LogUnit::Crio => "crio",
        }
    }
}

/// One pull error from a node's journal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeLogError {
    /// The file it was read from, and the line (from 1).
    pub file: String,
    pub line: usize,
    /// The journal's host name (a node name, or its first label).
    pub host: String,
    pub unit: LogUnit,
    /// When the line was written; `None` when the journal format has no year and nothing in the
    /// bundle says which year it was.
    pub time: Option<DateTime<Utc>>,
    /// The pod, when the line names it (`pod="NS/NAME"`, `in pod NAME_NS(UID)`).
    pub namespace: Option<String>,
    pub pod: Option<String>,
    pub container: Option<String>,
    /// The image, when the line names it.
    pub image: Option<String>,
    /// The kubelet's reason (`ErrImagePull`, `ImagePullBackOff`), when it gives one.
    pub reason: Option<String>,
    /// The runtime's error, as the event would have carried it (unescaped).
    pub message: String,
}

/// A kubelet command-line flag as the kubelet logged it when it started (`FLAG: --NAME="VALUE"`,
/// every flag, set or not, at `--v=1` and above): only those that decide which credentials a pull
/// uses are kept ([`CREDENTIAL_PROVIDER_FLAGS`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KubeletFlag {
    /// The file it was read from, and the line (from 1).
    pub file: String,
    pub line: usize,
    /// The journal's host name (a node name, or its first label).
    pub host: String,
    /// Without the dashes: `image-credential-provider-config`.
    pub name: String,
    /// As given, unquoted; empty when the kubelet was started without it.
    pub value: String,
}

/// The kubelet ECR (and other) credential provider's flags: a kubelet started with a non-empty
/// `--image-credential-provider-config` asks the providers it lists for registry credentials.
pub const CREDENTIAL_PROVIDER_FLAGS: &[&str] = &["image-credential-provider-config", "image-credential-provider-bin-dir"];

/// `registry/repository:tag` or `registry/repository@digest`, so `nginx`, `nginx:latest` and
/// `docker.io/library/nginx:latest` (the runtime's spelling) are one image.
pub fn canonical_image(reference: &str) -> String {
    match crate::parse_image(reference) {
        Ok(image) => match (&image.digest, &image.tag) {
            (Some(digest), _) => format!("{}/{}@{digest}", image.registry, image.repository),
            (None, tag) => format!("{}/{}:{}", image.registry, image.repository, tag.as_deref().unwrap_or("latest")),
        },
        Err(_) => reference.to_string(),
    }
}

/// Which pods each record is about: the pod it names, else every pod on its node whose container
/// uses its image. Linear in records plus containers (one pass over each, hash lookups).
pub(crate) fn attribute(facts: &crate::Facts) -> std::collections::HashMap<(String, String), Vec<usize>> {
    use std::collections::HashMap;
    let mut out: HashMap<(String, String), Vec<usize>> = HashMap::new();
    if facts.node_log_errors.is_empty() {
        return out;
    }
    let node_by_host = hosts(facts);
    let mut pods_by_node_image: HashMap<(&str, String), Vec<(&str, &str)>> = HashMap::new();
    for pod in facts.pods.values() {
        let Some(node) = pod.node_name.as_deref() else {
            continue;
        };
        for container in &pod.containers {
            let key = (node, canonical_image(&container.image));
            let pods = pods_by_node_image.entry(key).or_default();
            if !pods.contains(&(pod.namespace.as_str(), pod.name.as_str())) {
                pods.push((&pod.namespace, &pod.name));
            }
        }
    }
    for (position, record) in facts.node_log_errors.iter().enumerate() {
        if let (Some(namespace), Some(pod)) = (&record.namespace, &record.pod) {
            out.entry((namespace.clone(), pod.clone())).or_default().push(position);
            continue;
        }
        let (Some(node), Some(image)) = (node_of(&node_by_host, &record.host), &record.image) else {
            continue;
        };
        for (namespace, pod) in pods_by_node_image.get(&(node, canonical_image(image))).into_iter().flatten() {
            out.entry((namespace.to_string(), pod.to_string())).or_default().push(position);
        }
    }
    out
}

/// A journal names its host as the machine calls itself: the node name, one of its hostnames, or
/// their first label. Lower-cased name -> node.
fn hosts(facts: &crate::Facts) -> std::collections::HashMap<String, &str> {
    let mut node_by_host = std::collections::HashMap::new();
    for node in facts.nodes.values() {
        for name in std::iter::once(&node.name).chain(&node.hostnames) {
            let name = name.to_ascii_lowercase();
            if let Some(short) = name.split('.').next() {
                node_by_host.entry(short.to_string()).or_insert(node.name.as_str());
            }
            node_by_host.insert(name, node.name.as_str());
        }
    }
    node_by_host
}

fn node_of<'f>(node_by_host: &std::collections::HashMap<String, &'f str>, host: &str) -> Option<&'f str> {
    let host = host.to_ascii_lowercase();
    node_by_host.get(&host).or_else(|| host.split('.').next().and_then(|short| node_by_host.get(short))).copied()
}

/// The kubelet flags each node's journals logged, by node name, in the order read (the last is
/// the kubelet's latest start).
pub(crate) fn flags_by_node(facts: &crate::Facts) -> std::collections::HashMap<String, Vec<usize>> {
    let mut out: std::collections::HashMap<String, Vec<usize>> = std::collections::HashMap::new();
    if facts.kubelet_flags.is_empty() {
        return out;
    }
    let node_by_host = hosts(facts);
    for (position, flag) in facts.kubelet_flags.iter().enumerate() {
        if let Some(node) = node_of(&node_by_host, &flag.host) {
            out.entry(node.to_string()).or_default().push(position);
        }
    }
    out
}
