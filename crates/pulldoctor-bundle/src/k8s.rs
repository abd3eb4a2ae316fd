//! Wire shapes of `kubectl get -o json` / `oc get -o json` objects, and their conversion.

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use pulldoctor_model as model;
use serde::Deserialize;

use crate::time;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Metadata {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub uid: Option<String>,
    #[serde(deserialize_with = "time::optional")]
    pub creation_timestamp: Option<DateTime<Utc>>,
    pub labels: BTreeMap<String, String>,
    pub owner_references: Vec<OwnerReference>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct OwnerReference {
    pub kind: Option<String>,
    pub name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct LocalObjectReference {
    pub name: Option<String>,
}

fn names(list: Vec<LocalObjectReference>) -> Vec<String> {
    list.into_iter().filter_map(|r| r.name).filter(|n| !n.is_empty()).collect()
}

// ---------------------------------------------------------------- Pod

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pod {
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub spec: PodSpec,
    #[serde(default)]
    pub status: PodStatus,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct PodSpec {
    pub node_name: Option<String>,
    pub service_account_name: Option<String>,
    pub service_account: Option<String>,
    pub image_pull_secrets: Vec<LocalObjectReference>,
    pub containers: Vec<Container>,
    pub init_containers: Vec<Container>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Container {
    pub name: String,
    pub image: Option<String>,
    pub image_pull_policy: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct PodStatus {
    pub phase: Option<String>,
    #[serde(rename = "hostIP")]
    pub host_ip: Option<IpAddr>,
    pub container_statuses: Vec<ContainerStatus>,
    pub init_container_statuses: Vec<ContainerStatus>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerStatus {
    pub name: String,
    pub image: Option<String>,
    #[serde(rename = "imageID")]
    pub image_id: Option<String>,
    pub ready: bool,
    pub state: Option<ContainerStateWire>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerStateWire {
    pub waiting: Option<Waiting>,
    pub running: Option<Running>,
    pub terminated: Option<Terminated>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Waiting {
    pub reason: Option<String>,
    pub message: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Running {
    #[serde(deserialize_with = "time::optional")]
    pub started_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Terminated {
    pub reason: Option<String>,
    pub exit_code: Option<i32>,
}

fn container_status(status: ContainerStatus, init: bool) -> model::ContainerStatus {
    let state = match status.state {
        Some(ContainerStateWire { waiting: Some(w), .. }) => model::ContainerState::Waiting { reason: w.reason, message: w.message },
        Some(ContainerStateWire { running: Some(r), .. }) => model::ContainerState::Running { started_at: r.started_at },
        Some(ContainerStateWire { terminated: Some(t), .. }) => {
            model::ContainerState::Terminated { reason: t.reason, exit_code: t.exit_code }
        }
        _ => model::ContainerState::Unknown,
    };
    model::ContainerStatus {
        name: status.name,
        image: status.image,
        image_id: status.image_id.filter(|id| !id.is_empty()),
        ready: status.ready,
        state,
        init,
    }
}

impl Pod {
    pub fn into_model(self) -> Option<model::Pod> {
        let name = self.metadata.name?;
        let mut containers: Vec<model::ContainerSpec> = Vec::new();
        for (list, init) in [(self.spec.init_containers, true), (self.spec.containers, false)] {
            containers.extend(list.into_iter().map(|c| model::ContainerSpec {
                name: c.name,
                image: c.image.unwrap_or_default(),
                pull_policy: c.image_pull_policy,
                init,
            }));
        }
        let mut statuses: Vec<model::ContainerStatus> =
            self.status.init_container_statuses.into_iter().map(|s| container_status(s, true)).collect();
        statuses.extend(self.status.container_statuses.into_iter().map(|s| container_status(s, false)));
        Some(model::Pod {
            namespace: self.metadata.namespace.unwrap_or_else(|| "default".into()),
            name,
            uid: self.metadata.uid,
            created: self.metadata.creation_timestamp,
            node_name: self.spec.node_name.filter(|n| !n.is_empty()),
            service_account: self.spec.service_account_name.or(self.spec.service_account),
            image_pull_secrets: names(self.spec.image_pull_secrets),
            containers,
            statuses,
            phase: self.status.phase,
            host_ip: self.status.host_ip,
            owner: self
                .metadata
                .owner_references
                .first()
                .map(|o| format!("{}/{}", o.kind.as_deref().unwrap_or("?"), o.name.as_deref().unwrap_or("?"))),
        })
    }
}

// ---------------------------------------------------------------- Event

/// core/v1 Event and events.k8s.io/v1 Event in one shape: the newer API renames `involvedObject`
/// to `regarding`, `message` to `note`, and the timestamps to `deprecated*`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub involved_object: Option<ObjectReference>,
    #[serde(default)]
    pub regarding: Option<ObjectReference>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default, rename = "type")]
    pub event_type: Option<String>,
    #[serde(default, deserialize_with = "time::optional")]
    pub first_timestamp: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time::optional")]
    pub last_timestamp: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time::optional")]
    pub deprecated_first_timestamp: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time::optional")]
    pub deprecated_last_timestamp: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time::optional")]
    pub event_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub count: Option<i64>,
    #[serde(default)]
    pub deprecated_count: Option<i64>,
    #[serde(default)]
    pub series: Option<EventSeries>,
    #[serde(default)]
    pub source: Option<EventSource>,
    #[serde(default)]
    pub deprecated_source: Option<EventSource>,
    #[serde(default)]
    pub reporting_instance: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectReference {
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub uid: Option<String>,
    pub field_path: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct EventSeries {
    pub count: Option<i64>,
    #[serde(deserialize_with = "time::optional")]
    pub last_observed_time: Option<DateTime<Utc>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct EventSource {
    pub host: Option<String>,
}

impl From<Event> for model::Event {
    fn from(event: Event) -> Self {
        let involved = event.involved_object.or(event.regarding).unwrap_or_default();
        let series_last = event.series.as_ref().and_then(|s| s.last_observed_time);
        let first_seen = event.first_timestamp.or(event.deprecated_first_timestamp).or(event.event_time);
        let last_seen = series_last.or(event.last_timestamp).or(event.deprecated_last_timestamp).or(event.event_time).or(first_seen);
        model::Event {
            namespace: event.metadata.namespace.clone().or(involved.namespace.clone()),
            name: event.metadata.name,
            involved: model::ObjectRef {
                namespace: involved.namespace.or(event.metadata.namespace),
                kind: involved.kind,
                name: involved.name,
                uid: involved.uid,
                field_path: involved.field_path,
            },
            reason: event.reason,
            message: event.message.or(event.note).map(std::sync::Arc::from),
            event_type: event.event_type,
            first_seen,
            last_seen,
            count: event.series.and_then(|s| s.count).or(event.count).or(event.deprecated_count),
            source_host: event.source.and_then(|s| s.host).or(event.deprecated_source.and_then(|s| s.host)).or(event.reporting_instance),
        }
    }
}

// ---------------------------------------------------------------- Node

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub spec: NodeSpec,
    #[serde(default)]
    pub status: NodeStatus,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeSpec {
    #[serde(rename = "providerID")]
    pub provider_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeStatus {
    pub addresses: Vec<NodeAddress>,
    pub conditions: Vec<NodeCondition>,
    pub node_info: NodeInfo,
    pub images: Vec<NodeImage>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeImage {
    pub names: Vec<String>,
    pub size_bytes: u64,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeAddress {
    #[serde(rename = "type")]
    pub address_type: String,
    pub address: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeCondition {
    #[serde(rename = "type")]
    pub condition_type: String,
    pub status: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeInfo {
    pub architecture: Option<String>,
    pub container_runtime_version: Option<String>,
    pub kubelet_version: Option<String>,
    pub os_image: Option<String>,
}

/// `aws:///us-east-1a/i-0123` -> (`us-east-1a`, `i-0123`).
pub fn parse_provider_id(provider_id: &str) -> Option<(Option<String>, String)> {
    let rest = provider_id.strip_prefix("aws://")?;
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    let instance = parts.last().filter(|p| p.starts_with("i-"))?;
    let zone = if parts.len() >= 2 { Some(parts[parts.len() - 2].to_string()) } else { None };
    Some((zone, instance.to_string()))
}

impl Node {
    pub fn into_model(self) -> Option<model::Node> {
        let name = self.metadata.name?;
        let labels = self.metadata.labels;
        let parsed = self.spec.provider_id.as_deref().and_then(parse_provider_id);
        let condition =
            |kind: &str| self.status.conditions.iter().find(|c| c.condition_type == kind).map(|c| c.status.eq_ignore_ascii_case("true"));
        let internal_ips =
            self.status.addresses.iter().filter(|a| a.address_type == "InternalIP").filter_map(|a| a.address.parse().ok()).collect();
        let hostnames = self
            .status
            .addresses
            .iter()
            .filter(|a| a.address_type == "Hostname" || a.address_type == "InternalDNS")
            .map(|a| a.address.clone())
            .collect();
        let roles = labels.keys().filter_map(|k| k.strip_prefix("node-role.kubernetes.io/")).map(str::to_string).collect();
        Some(model::Node {
            zone: labels
                .get("topology.kubernetes.io/zone")
                .or_else(|| labels.get("failure-domain.beta.kubernetes.io/zone"))
                .cloned()
                .or_else(|| parsed.as_ref().and_then(|(zone, _)| zone.clone())),
            architecture: self.status.node_info.architecture.clone().or_else(|| labels.get("kubernetes.io/arch").cloned()),
            disk_pressure: condition("DiskPressure"),
            ready: condition("Ready"),
            instance_id: parsed.map(|(_, instance)| instance),
            provider_id: self.spec.provider_id,
            name,
            internal_ips,
            hostnames,
            container_runtime: self.status.node_info.container_runtime_version,
            kubelet_version: self.status.node_info.kubelet_version,
            os_image: self.status.node_info.os_image,
            created: self.metadata.creation_timestamp,
            roles,
            labels,
            images: self
                .status
                .images
                .into_iter()
                .filter(|i| !i.names.is_empty())
                .map(|i| model::NodeImage { names: i.names, size_bytes: i.size_bytes })
                .collect(),
        })
    }
}

// ---------------------------------------------------------------- smaller kinds

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccount {
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub image_pull_secrets: Vec<LocalObjectReference>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Secret {
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default, rename = "type")]
    pub secret_type: Option<String>,
    #[serde(default)]
    pub data: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicy {
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub spec: NetworkPolicySpec,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct NetworkPolicySpec {
    pub policy_types: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Namespace {
    #[serde(default)]
    pub metadata: Metadata,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Proxy {
    #[serde(default)]
    pub spec: ProxyFields,
    #[serde(default)]
    pub status: ProxyFields,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ProxyFields {
    pub http_proxy: Option<String>,
    pub https_proxy: Option<String>,
    pub no_proxy: Option<String>,
}

fn split_list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

impl From<Proxy> for model::ClusterProxy {
    fn from(proxy: Proxy) -> Self {
        let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        model::ClusterProxy {
            http_proxy: nonempty(proxy.spec.http_proxy).or(nonempty(proxy.status.http_proxy.clone())),
            https_proxy: nonempty(proxy.spec.https_proxy).or(nonempty(proxy.status.https_proxy.clone())),
            no_proxy: proxy.spec.no_proxy.as_deref().map(split_list).unwrap_or_default(),
            effective_no_proxy: proxy.status.no_proxy.as_deref().map(split_list),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageConfig {
    #[serde(default)]
    pub spec: ImageConfigSpec,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageConfigSpec {
    pub registry_sources: RegistrySources,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RegistrySources {
    pub allowed_registries: Vec<String>,
    pub blocked_registries: Vec<String>,
    pub insecure_registries: Vec<String>,
}

impl From<ImageConfig> for model::ImagePolicy {
    fn from(config: ImageConfig) -> Self {
        let sources = config.spec.registry_sources;
        model::ImagePolicy {
            allowed_registries: sources.allowed_registries,
            blocked_registries: sources.blocked_registries,
            insecure_registries: sources.insecure_registries,
        }
    }
}

/// ImageContentSourcePolicy (`spec.repositoryDigestMirrors`), ImageDigestMirrorSet
/// (`spec.imageDigestMirrors`) and ImageTagMirrorSet (`spec.imageTagMirrors`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MirrorSet {
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub spec: MirrorSetSpec,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct MirrorSetSpec {
    pub repository_digest_mirrors: Vec<Mirror>,
    pub image_digest_mirrors: Vec<Mirror>,
    pub image_tag_mirrors: Vec<Mirror>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Mirror {
    pub source: String,
    pub mirrors: Vec<String>,
    pub mirror_source_policy: Option<String>,
}

impl MirrorSet {
    pub fn into_rules(self, kind: &str) -> Vec<model::MirrorRule> {
        let object = format!("{kind}/{}", self.metadata.name.unwrap_or_default());
        let rule = |m: Mirror, digest_only: bool| model::MirrorRule {
            object: object.clone(),
            source: m.source,
            mirrors: m.mirrors,
            never_contact_source: m.mirror_source_policy.as_deref() == Some("NeverContactSource"),
            digest_only,
        };
        let mut out = Vec::new();
        for m in self.spec.repository_digest_mirrors.into_iter().chain(self.spec.image_digest_mirrors) {
            out.push(rule(m, true));
        }
        for m in self.spec.image_tag_mirrors {
            out.push(rule(m, false));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn provider_ids() {
        assert_eq!(super::parse_provider_id("aws:///us-east-1a/i-0abc"), Some((Some("us-east-1a".to_string()), "i-0abc".to_string())));
        assert_eq!(super::parse_provider_id("aws:///i-0abc"), Some((None, "i-0abc".to_string())));
        assert_eq!(super::parse_provider_id("gce://p/z/n"), None);
    }
}
