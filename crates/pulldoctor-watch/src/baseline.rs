//! The baseline: the verdict of every node's path to every registry the cluster uses, and the
//! access facts, as one document (`kind: PulldoctorBaseline`) that `pulldoctor baseline -o FILE`
//! writes and `pulldoctor drift` compares with the present.
//!
//! Every path is traced by the path engine (`pulldoctor-net`) from the node's instance to each
//! host a pull needs ([`pulldoctor_diagnosis::pull_hosts`]): the registry, and for ECR its layer
//! store and, when some pod pulls without a pull secret that covers it, the token API. Each
//! record keeps what decided it: the effective route table and how the subnet came to use it
//! (with the association id CloudTrail names when it goes), the route, the egress target and its
//! state, the endpoint in effect, every hop with its status and the engine's words, and what
//! blocks it. Access facts come from `pulldoctor_diagnosis::credentials`: the node roles' verdict
//! for each ECR repository in use, and each pull secret's registries with their token expiry.
//! What the input cannot show is a gap, never a healthy verdict.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use pulldoctor_diagnosis::NETWORK_CHANGES;
use pulldoctor_diagnosis::credentials::{self, NodeRole};
use pulldoctor_diagnosis::pull_hosts::{HostRole, pull_hosts};
use pulldoctor_model::{Association, Code, ImageRef, InputKind, Model, parse_image};
use pulldoctor_net::{Engine, HopKind, HopStatus, Origin, PathResult, Target, Verdict};
use serde::{Deserialize, Serialize};

/// `kind` of the document.
pub const KIND: &str = "PulldoctorBaseline";
/// `apiVersion` of the document.
pub const API_VERSION: &str = "pulldoctor/v1";

/// What to take a baseline with.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The instant the facts describe; default: the latest moment the input shows.
    pub now: Option<DateTime<Utc>>,
    /// How many threads path tracing may use (the caller reads the machine).
    pub threads: usize,
    /// Where the facts came from, as the user should read it: a bundle directory, or `live`.
    pub source: String,
}

/// The whole document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Baseline {
    /// Always [`KIND`].
    pub kind: String,
    /// Always [`API_VERSION`].
    pub api_version: String,
    /// The instant the facts describe.
    pub taken_at: Option<DateTime<Utc>>,
    /// Where they came from (a bundle directory, or `live`).
    pub source: String,
    /// Every registry a pod names, with the ECR repositories and the pods per node.
    pub registries: Vec<RegistryUse>,
    pub nodes: Vec<NodeRecord>,
    /// The subnets the nodes are in, with the route table each uses and how.
    pub subnets: Vec<SubnetRecord>,
    /// One per node, registry (ECR: repository) and host the pull needs.
    pub paths: Vec<PathRecord>,
    /// The node roles' verdict for pulling each ECR repository in use.
    pub node_roles: Vec<RoleAccess>,
    /// Each pull secret a pod can use, per registry it holds credentials for.
    pub pull_secrets: Vec<SecretRecord>,
    /// CloudTrail's network-changing calls the input holds (drift names who changed what).
    pub changes: Vec<Change>,
    /// What could not be checked, and why.
    pub gaps: Vec<String>,
}

/// A registry the cluster pulls from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryUse {
    pub registry: String,
    /// ECR repositories in use (empty for other registries: their path does not depend on it).
    pub repositories: Vec<String>,
    /// The image references pods name, as written.
    pub images: Vec<String>,
    /// Some pod pulls from it without a pull secret that covers it: nodes fetch ECR tokens.
    pub node_fetches_token: bool,
    /// How many running pods use an image of it, per node: they keep running until their next
    /// pull (a restart, a rollout, a reschedule).
    pub pods_by_node: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeRecord {
    pub name: String,
    pub instance_id: Option<String>,
    pub subnet_id: Option<String>,
    pub vpc_id: Option<String>,
    pub zone: Option<String>,
    /// The IAM role of its instance profile, when the input shows it.
    pub role_arn: Option<String>,
    /// Pulls from ECR with its own role when no pull secret covers the registry (CRI-O nodes,
    /// OpenShift's, do not by default).
    pub uses_node_credentials: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubnetRecord {
    pub id: String,
    pub vpc_id: String,
    /// The route table the subnet really uses.
    pub route_table_id: Option<String>,
    /// `explicit`, or `main` (no explicit association: the VPC's main table).
    pub association: Option<Association>,
    /// The association id (`rtbassoc-...`): the subnet's own, or the main table's.
    pub association_id: Option<String>,
    pub nodes: Vec<String>,
}

/// One traced path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PathRecord {
    pub node: String,
    pub registry: String,
    /// The ECR repository (its endpoint and role policies may differ per repository).
    pub repository: Option<String>,
    /// What the host is for: `registry`, `layers`, `token-api`.
    pub role: HostRole,
    pub host: String,
    pub verdict: Verdict,
    pub subnet_id: Option<String>,
    pub route_table_id: Option<String>,
    pub association: Option<Association>,
    /// The route chosen for the registry's address, as `destination -> target`.
    pub route: Option<String>,
    /// The gateway or endpoint the traffic leaves through, when reachable.
    pub via: Option<String>,
    /// Its state (`available`, `attached`, ...), when the input shows it.
    pub via_state: Option<String>,
    /// The VPC endpoint (interface or gateway) the pull goes through, when one does.
    pub endpoint: Option<String>,
    pub blocker: Option<BlockerRecord>,
    pub hops: Vec<HopRecord>,
    /// What the verdict assumes because the input does not say.
    pub assumptions: Vec<String>,
}

/// What a path's identity is across two baselines.
pub type PathKey = (String, String, Option<String>, HostRole);

impl PathRecord {
    pub fn key(&self) -> PathKey {
        (self.node.clone(), self.registry.clone(), self.repository.clone(), self.role)
    }

    /// The hop of a kind, if the path has one.
    pub fn hop(&self, kind: HopKind) -> Option<&HopRecord> {
        self.hops.iter().find(|h| h.kind == kind)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockerRecord {
    pub code: Code,
    pub summary: String,
    /// Ids involved, the deciding resource first.
    pub resources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HopRecord {
    pub kind: HopKind,
    pub resource: Option<String>,
    pub status: HopStatus,
    pub detail: String,
}

/// A node role's verdict for pulling one ECR repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAccess {
    pub role: String,
    pub registry: String,
    pub repository: String,
    /// `Some(true)`: every action a pull needs is allowed; `Some(false)`: one is denied; `None`:
    /// the input cannot say (a policy it does not hold).
    pub allowed: Option<bool>,
    /// The nodes with this role that pull with it (no CRI-O).
    pub nodes: Vec<String>,
}

/// One registry entry of a pull secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretRecord {
    /// `namespace/name`.
    pub secret: String,
    /// The registry the entry is for, as the runtimes match it.
    pub registry: String,
    /// The ECR token's expiry, decoded (never the token).
    pub expires_at: Option<DateTime<Utc>>,
    /// How many pods can use it.
    pub pods: usize,
}

/// A CloudTrail call that changes a pull's network path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub time: Option<DateTime<Utc>>,
    pub name: String,
    pub username: Option<String>,
    pub resources: Vec<String>,
}

/// A baseline file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("not a pulldoctor baseline (its kind is {0:?}; `pulldoctor baseline -o FILE` writes one)")]
    NotABaseline(Option<String>),
    #[error("a baseline of apiVersion {0:?}; this pulldoctor reads {API_VERSION}")]
    Version(String),
    #[error("at `{path}`: {message}")]
    Shape { path: String, message: String },
}

impl Baseline {
    /// Read a baseline document; the error names the JSON path that is wrong.
    pub fn from_json(bytes: &[u8]) -> Result<Baseline, BaselineError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| BaselineError::Shape { path: String::new(), message: e.to_string() })?;
        let kind = value.get("kind").and_then(|k| k.as_str());
        if kind != Some(KIND) {
            return Err(BaselineError::NotABaseline(kind.map(str::to_string)));
        }
        match value.get("apiVersion").and_then(|v| v.as_str()) {
            Some(API_VERSION) => {}
            other => return Err(BaselineError::Version(other.unwrap_or("(none)").to_string())),
        }
        serde_path_to_error::deserialize(value)
            .map_err(|e| BaselineError::Shape { path: e.path().to_string(), message: e.inner().to_string() })
    }

    /// The paths by key.
    pub fn paths_by_key(&self) -> BTreeMap<PathKey, &PathRecord> {
        self.paths.iter().map(|p| (p.key(), p)).collect()
    }

    pub fn subnet(&self, id: &str) -> Option<&SubnetRecord> {
        self.subnets.iter().find(|s| s.id == id)
    }

    /// Running pods on `node` that pull from `registry`.
    pub fn pods_on(&self, node: &str, registry: &str) -> usize {
        self.registries.iter().find(|r| r.registry == registry).and_then(|r| r.pods_by_node.get(node)).copied().unwrap_or(0)
    }
}

/// One image per registry (non-ECR) or per ECR repository: what a path is traced for.
struct Wanted {
    registry: String,
    repository: Option<String>,
    image: ImageRef,
}

/// Take the baseline of `model`.
pub fn take(model: &Model, options: &Options) -> Baseline {
    let mut gaps: Vec<String> = Vec::new();
    let (registries, wanted) = registries_in_use(model, &mut gaps);
    let fetches_token: BTreeSet<&str> = registries.iter().filter(|r| r.node_fetches_token).map(|r| r.registry.as_str()).collect();
    let nodes = nodes(model, &mut gaps);
    let subnets = subnets(model, &nodes);

    // Every (node, host) once; the token API once per registry.
    let mut queries: Vec<(Origin, Target)> = Vec::new();
    let mut meta: Vec<(usize, usize, HostRole, String)> = Vec::new(); // node, wanted, role, host
    for (node_at, node) in nodes.iter().enumerate() {
        let Some(instance) = &node.instance_id else { continue };
        let mut token_traced: BTreeSet<&str> = BTreeSet::new();
        for (wanted_at, want) in wanted.iter().enumerate() {
            // Only a kubelet running the ECR credential provider asks the ECR API itself.
            let token = node.uses_node_credentials && fetches_token.contains(want.registry.as_str()) && token_traced.insert(&want.registry);
            let repository_arn = want.image.ecr.as_ref().map(|e| e.repository_arn(&want.image.repository));
            for needed in pull_hosts(&want.image, token) {
                queries.push((
                    Origin::Instance(instance.clone()),
                    Target {
                        host: Some(needed.host.clone()),
                        address: None,
                        port: needed.port,
                        repository_arn: (needed.role != HostRole::TokenApi).then(|| repository_arn.clone()).flatten(),
                        principal_arn: node.role_arn.clone(),
                    },
                ));
                meta.push((node_at, wanted_at, needed.role, needed.host));
            }
        }
    }
    let engine = Engine::new(model).with_threads(options.threads);
    let paths: Vec<PathRecord> = engine
        .trace_all(&queries)
        .into_iter()
        .zip(meta)
        .map(|(result, (node_at, wanted_at, role, host))| {
            let want = &wanted[wanted_at];
            let repository = if role == HostRole::TokenApi { None } else { want.repository.clone() };
            record(model, &nodes[node_at].name, &want.registry, repository, role, host, result)
        })
        .collect();

    let node_roles = node_roles(model, &nodes, &wanted, &mut gaps);
    let pull_secrets = pull_secrets(model);
    let changes = model
        .trail_events
        .iter()
        .filter(|e| NETWORK_CHANGES.contains(&e.name.as_str()))
        .map(|e| Change { time: e.time, name: e.name.clone(), username: e.username.clone(), resources: e.resources.clone() })
        .collect();
    for file in &model.unreadable_files {
        gaps.push(format!("{file}: what it holds counts as missing"));
    }
    for failure in &model.collection_failures {
        gaps.push(format!("{} {}: {}", failure.call, if failure.denied { "was denied" } else { "failed" }, failure.message));
    }
    Baseline {
        kind: KIND.to_string(),
        api_version: API_VERSION.to_string(),
        taken_at: options.now.or_else(|| model.observed_at()),
        source: options.source.clone(),
        registries,
        nodes,
        subnets,
        paths,
        node_roles,
        pull_secrets,
        changes,
        gaps,
    }
}

/// Every registry a pod names, and one image per registry or ECR repository to trace for.
fn registries_in_use(model: &Model, gaps: &mut Vec<String>) -> (Vec<RegistryUse>, Vec<Wanted>) {
    let mut uses: BTreeMap<String, RegistryUse> = BTreeMap::new();
    let mut wanted: BTreeMap<(String, Option<String>), ImageRef> = BTreeMap::new();
    let mut unparsed = 0usize;
    for pod in model.pods.values() {
        let node = pod.node_name.clone().unwrap_or_default();
        let mut counted: BTreeSet<String> = BTreeSet::new();
        for container in &pod.containers {
            let Ok(image) = parse_image(&container.image) else {
                unparsed += 1;
                continue;
            };
            let registry = image.registry.clone();
            let entry = uses.entry(registry.clone()).or_insert_with(|| RegistryUse {
                registry: registry.clone(),
                repositories: Vec::new(),
                images: Vec::new(),
                node_fetches_token: false,
                pods_by_node: BTreeMap::new(),
            });
            if !entry.images.contains(&container.image) {
                entry.images.push(container.image.clone());
            }
            let repository = image.ecr.as_ref().map(|_| image.repository.clone());
            if let Some(repository) = &repository
                && !entry.repositories.contains(repository)
            {
                entry.repositories.push(repository.clone());
            }
            if image.ecr.is_some() && !credentials::secret_covers(model, pod, &registry) {
                entry.node_fetches_token = true;
            }
            if pod.phase.as_deref() == Some("Running") && counted.insert(registry.clone()) {
                *entry.pods_by_node.entry(node.clone()).or_default() += 1;
            }
            wanted.entry((registry, repository)).or_insert(image);
        }
    }
    if unparsed > 0 {
        gaps.push(format!("{unparsed} container image reference(s) could not be parsed: their registries are not traced"));
    }
    if !model.inputs.contains(&InputKind::Pods) {
        gaps.push(format!("no pods in the input, so no registry in use is known: `{}`", InputKind::Pods.command()));
    }
    let mut uses: Vec<RegistryUse> = uses.into_values().collect();
    for entry in &mut uses {
        entry.images.sort();
        entry.repositories.sort();
    }
    let wanted = wanted.into_iter().map(|((registry, repository), image)| Wanted { registry, repository, image }).collect();
    (uses, wanted)
}

fn nodes(model: &Model, gaps: &mut Vec<String>) -> Vec<NodeRecord> {
    if !model.inputs.contains(&InputKind::Nodes) {
        gaps.push(format!("no nodes in the input: no path can be traced: `{}`", InputKind::Nodes.command()));
    }
    let mut without_instance: Vec<&str> = Vec::new();
    let out = model
        .nodes
        .values()
        .map(|node| {
            let instance = model.node_instance(node);
            if instance.is_none() {
                without_instance.push(&node.name);
            }
            let role_arn = match credentials::node_role(model, node) {
                NodeRole::Found { role_arn, .. } => Some(role_arn.to_string()),
                _ => None,
            };
            let subnet_id = instance.and_then(|i| i.subnet_id.clone());
            let vpc_id = instance
                .and_then(|i| i.vpc_id.clone())
                .or_else(|| subnet_id.as_ref().and_then(|s| model.subnets.get(s)).map(|s| s.vpc_id.clone()));
            NodeRecord {
                name: node.name.clone(),
                instance_id: instance.map(|i| i.id.clone()),
                subnet_id,
                vpc_id,
                zone: node.zone.clone(),
                role_arn,
                uses_node_credentials: credentials::node_credentials_in(model, node).in_use,
            }
        })
        .collect();
    if !without_instance.is_empty() {
        let why = if model.inputs.contains(&InputKind::Instances) {
            "their EC2 instances are not in describe-instances (another account or region?)"
        } else {
            "the input has no describe-instances"
        };
        gaps.push(format!("the paths of {} are not traced: {why}", list(&without_instance)));
    }
    out
}

fn subnets(model: &Model, nodes: &[NodeRecord]) -> Vec<SubnetRecord> {
    let mut by_subnet: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for node in nodes {
        if let Some(subnet) = &node.subnet_id {
            by_subnet.entry(subnet).or_default().push(node.name.clone());
        }
    }
    by_subnet
        .into_iter()
        .filter_map(|(id, nodes)| {
            let subnet = model.subnets.get(id)?;
            let effective = model.effective_route_table(id);
            let association_id = effective.and_then(|(table, how)| match how {
                Association::Explicit => table.association_ids.get(id).cloned(),
                Association::Main => table.association_ids.get("main").cloned(),
            });
            Some(SubnetRecord {
                id: id.to_string(),
                vpc_id: subnet.vpc_id.clone(),
                route_table_id: effective.map(|(table, _)| table.id.clone()),
                association: effective.map(|(_, how)| how),
                association_id,
                nodes,
            })
        })
        .collect()
}

fn record(
    model: &Model,
    node: &str,
    registry: &str,
    repository: Option<String>,
    role: HostRole,
    host: String,
    result: PathResult,
) -> PathRecord {
    let route = result.hops.iter().find(|h| h.kind == HopKind::RouteTable && h.status == HopStatus::Pass).and_then(|h| h.rule.as_deref());
    let endpoint = result
        .hops
        .iter()
        .find(|h| matches!(h.kind, HopKind::InterfaceEndpoint | HopKind::GatewayEndpoint) && h.status == HopStatus::Pass)
        .and_then(|h| h.resource.as_deref().map(str::to_string));
    let via_state = result.via.as_deref().and_then(|via| state_of(model, via, result.vpc_id.as_deref()));
    PathRecord {
        node: node.to_string(),
        registry: registry.to_string(),
        repository,
        role,
        host,
        verdict: result.verdict,
        subnet_id: result.subnet_id,
        route_table_id: result.route_table_id,
        association: result.association,
        route: route.map(str::to_string),
        via: result.via,
        via_state,
        endpoint,
        blocker: result.blocker.map(|b| BlockerRecord { code: b.code, summary: b.summary, resources: b.resources }),
        hops: result
            .hops
            .into_iter()
            .map(|h| HopRecord {
                kind: h.kind,
                resource: h.resource.map(|r| r.to_string()),
                status: h.status,
                detail: h.detail.to_string(),
            })
            .collect(),
        assumptions: result.assumptions,
    }
}

/// The state of a gateway or endpoint, as the input shows it.
fn state_of(model: &Model, id: &str, vpc: Option<&str>) -> Option<String> {
    if let Some(nat) = model.nat_gateways.get(id) {
        return Some(nat.state.clone());
    }
    if let Some(gateway) = model.internet_gateways.get(id) {
        let attachment = gateway.attachments.iter().find(|a| vpc.is_none_or(|v| a.vpc_id == v));
        return Some(attachment.map_or_else(|| "detached".to_string(), |a| a.state.clone()));
    }
    model.vpc_endpoints.get(id).map(|e| e.state.clone())
}

fn node_roles(model: &Model, nodes: &[NodeRecord], wanted: &[Wanted], gaps: &mut Vec<String>) -> Vec<RoleAccess> {
    let ecr: Vec<&Wanted> = wanted.iter().filter(|w| w.image.ecr.is_some()).collect();
    if ecr.is_empty() {
        return Vec::new();
    }
    if !model.inputs.contains(&InputKind::IamAuthorizationDetails) {
        gaps.push(format!(
            "the node roles' permission to pull from ECR is not checked: the input has no IAM details: `{}`",
            InputKind::IamAuthorizationDetails.command()
        ));
        return Vec::new();
    }
    let mut out: BTreeMap<(String, String, String), RoleAccess> = BTreeMap::new();
    for node in nodes {
        let Some(role_arn) = &node.role_arn else { continue };
        let Some(model_node) = model.nodes.get(&node.name) else { continue };
        for want in &ecr {
            let repository = want.image.repository.clone();
            let key = (role_arn.clone(), want.registry.clone(), repository.clone());
            let entry = out.entry(key).or_insert_with(|| RoleAccess {
                role: role_arn.clone(),
                registry: want.registry.clone(),
                repository,
                allowed: credentials::role_allows_pull(model, model_node, &want.image).map(|(_, allowed)| allowed),
                nodes: Vec::new(),
            });
            if node.uses_node_credentials {
                entry.nodes.push(node.name.clone());
            }
        }
    }
    out.into_values().collect()
}

fn pull_secrets(model: &Model) -> Vec<SecretRecord> {
    let mut out: BTreeMap<(String, String), SecretRecord> = BTreeMap::new();
    for pod in model.pods.values() {
        for reaching in credentials::reaching(model, pod) {
            let Some(secret) = reaching.secret else { continue };
            for credential in &secret.credentials {
                let entry = out.entry((reaching.name.clone(), credential.host.clone())).or_insert_with(|| SecretRecord {
                    secret: reaching.name.clone(),
                    registry: credential.host.clone(),
                    expires_at: credential.ecr_expires_at,
                    pods: 0,
                });
                entry.pods += 1;
            }
        }
    }
    out.into_values().collect()
}

/// `a, b and c`; more than six: the first five and how many more.
pub fn list<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    match items.len() {
        0 => String::new(),
        1 => items[0].to_string(),
        n if n <= 6 => format!("{} and {}", items[..n - 1].join(", "), items[n - 1]),
        n => format!("{} and {} more", items[..5].join(", "), n - 5),
    }
}
