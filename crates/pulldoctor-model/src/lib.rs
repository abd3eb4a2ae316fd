//! The normalised model every pulldoctor analysis reads.
//!
//! Plain data ([`Facts`]), filled by a reader (the bundle reader or the live collectors), then
//! wrapped in a [`Model`], which indexes it. Every relation an analysis follows (node -> instance
//! -> subnet -> effective route table -> network ACL, pod -> events, route table -> subnets using
//! it) is a hash lookup in that index: no analysis scans a collection to join two of them.
//!
//! The index cannot be stale: [`Model::new`] builds it, a `Model` reads its facts through `Deref`,
//! and any mutable access to them (`DerefMut`) drops the index, which the next lookup rebuilds.
//! There is no "forgot to build the index" state for a release build to run into.
//!
//! Architecture invariant: this crate does no I/O and never reads the clock or the environment.

pub mod aws;
pub mod code;
pub mod image;
pub mod k8s;
pub mod logs;
pub mod probe;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};

pub use aws::*;
pub use code::Code;
pub use image::{EcrHost, ImageRef, InvalidReference, normalise_registry_key, parse_ecr_host, parse_image};
pub use k8s::*;
pub use logs::{CREDENTIAL_PROVIDER_FLAGS, KubeletFlag, LogUnit, NodeLogError, canonical_image};
pub use probe::ProbeRun;

/// The kinds of input a model can be built from. A kind absent from [`Facts::inputs`] means the
/// bundle (or the live collection) did not provide it, or not all of it: analyses report that as
/// a gap, never as "healthy".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    Vpcs,
    VpcDnsSupport,
    VpcDnsHostnames,
    DhcpOptions,
    Subnets,
    RouteTables,
    NatGateways,
    InternetGateways,
    EgressOnlyInternetGateways,
    VpcEndpoints,
    SecurityGroups,
    NetworkAcls,
    Instances,
    NetworkInterfaces,
    PrefixLists,
    ManagedPrefixLists,
    PrefixListEntries,
    PeeringConnections,
    TransitGatewayAttachments,
    EcrRepositories,
    EcrImages,
    EcrRepositoryPolicy,
    IamAuthorizationDetails,
    CloudTrailEvents,
    CallerIdentity,
    Pods,
    Events,
    Nodes,
    ServiceAccounts,
    Secrets,
    NetworkPolicies,
    Namespaces,
    ClusterProxy,
    ClusterImagePolicy,
    ImageContentSourcePolicies,
    ImageDigestMirrorSets,
    /// `pulldoctor probe` documents: observations, not configuration (optional).
    ProbeResults,
    /// Nodes' journals (kubelet, containerd, CRI-O), for the pull errors events no longer hold.
    NodeLogs,
}

impl InputKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [InputKind] = &[
        InputKind::Vpcs,
        InputKind::VpcDnsSupport,
        InputKind::VpcDnsHostnames,
        InputKind::DhcpOptions,
        InputKind::Subnets,
        InputKind::RouteTables,
        InputKind::NatGateways,
        InputKind::InternetGateways,
        InputKind::EgressOnlyInternetGateways,
        InputKind::VpcEndpoints,
        InputKind::SecurityGroups,
        InputKind::NetworkAcls,
        InputKind::Instances,
        InputKind::NetworkInterfaces,
        InputKind::PrefixLists,
        InputKind::ManagedPrefixLists,
        InputKind::PrefixListEntries,
        InputKind::PeeringConnections,
        InputKind::TransitGatewayAttachments,
        InputKind::EcrRepositories,
        InputKind::EcrImages,
        InputKind::EcrRepositoryPolicy,
        InputKind::IamAuthorizationDetails,
        InputKind::CloudTrailEvents,
        InputKind::CallerIdentity,
        InputKind::Pods,
        InputKind::Events,
        InputKind::Nodes,
        InputKind::ServiceAccounts,
        InputKind::Secrets,
        InputKind::NetworkPolicies,
        InputKind::Namespaces,
        InputKind::ClusterProxy,
        InputKind::ClusterImagePolicy,
        InputKind::ImageContentSourcePolicies,
        InputKind::ImageDigestMirrorSets,
        InputKind::ProbeResults,
        InputKind::NodeLogs,
    ];

    /// The command that produces this input, for gap messages.
    pub fn command(self) -> &'static str {
        match self {
            InputKind::Vpcs => "aws ec2 describe-vpcs --output json",
            InputKind::VpcDnsSupport => "aws ec2 describe-vpc-attribute --vpc-id VPC --attribute enableDnsSupport --output json",
            InputKind::VpcDnsHostnames => "aws ec2 describe-vpc-attribute --vpc-id VPC --attribute enableDnsHostnames --output json",
            InputKind::DhcpOptions => "aws ec2 describe-dhcp-options --output json",
            InputKind::Subnets => "aws ec2 describe-subnets --output json",
            InputKind::RouteTables => "aws ec2 describe-route-tables --output json",
            InputKind::NatGateways => "aws ec2 describe-nat-gateways --output json",
            InputKind::InternetGateways => "aws ec2 describe-internet-gateways --output json",
            InputKind::EgressOnlyInternetGateways => "aws ec2 describe-egress-only-internet-gateways --output json",
            InputKind::VpcEndpoints => "aws ec2 describe-vpc-endpoints --output json",
            InputKind::SecurityGroups => "aws ec2 describe-security-groups --output json",
            InputKind::NetworkAcls => "aws ec2 describe-network-acls --output json",
            InputKind::Instances => "aws ec2 describe-instances --output json",
            InputKind::NetworkInterfaces => "aws ec2 describe-network-interfaces --output json",
            InputKind::PrefixLists => "aws ec2 describe-prefix-lists --output json",
            InputKind::ManagedPrefixLists => "aws ec2 describe-managed-prefix-lists --output json",
            InputKind::PrefixListEntries => "aws ec2 get-managed-prefix-list-entries --prefix-list-id PL --output json > PL.json",
            InputKind::PeeringConnections => "aws ec2 describe-vpc-peering-connections --output json",
            InputKind::TransitGatewayAttachments => "aws ec2 describe-transit-gateway-attachments --output json",
            InputKind::EcrRepositories => "aws ecr describe-repositories --output json",
            InputKind::EcrImages => "aws ecr describe-images --repository-name REPO --output json",
            InputKind::EcrRepositoryPolicy => "aws ecr get-repository-policy --repository-name REPO --output json",
            InputKind::IamAuthorizationDetails => "aws iam get-account-authorization-details --output json",
            InputKind::CloudTrailEvents => "aws cloudtrail lookup-events --output json",
            InputKind::CallerIdentity => "aws sts get-caller-identity --output json",
            InputKind::Pods => "kubectl get pods -A -o json",
            InputKind::Events => "kubectl get events -A -o json",
            InputKind::Nodes => "kubectl get nodes -o json",
            InputKind::ServiceAccounts => "kubectl get serviceaccounts -A -o json",
            InputKind::Secrets => "kubectl get secrets -A -o json --field-selector type=kubernetes.io/dockerconfigjson",
            InputKind::NetworkPolicies => "kubectl get networkpolicies -A -o json",
            InputKind::Namespaces => "kubectl get namespaces -o json",
            InputKind::ClusterProxy => "oc get proxy cluster -o json",
            InputKind::ClusterImagePolicy => "oc get image.config.openshift.io cluster -o json",
            InputKind::ImageContentSourcePolicies => "oc get imagecontentsourcepolicy -o json",
            InputKind::ImageDigestMirrorSets => "oc get imagedigestmirrorset -o json",
            InputKind::ProbeResults => {
                "pulldoctor probe --failing-nodes -o BUNDLE/probes   # or on a node: pulldoctor probe --local IMAGE -o probe.json"
            }
            InputKind::NodeLogs => {
                "oc adm node-logs NODE -u kubelet > NODE-kubelet.log   # on the node: journalctl -u kubelet -o short-iso > kubelet.log"
            }
        }
    }
}

/// A call `pulldoctor collect` could not make: the data it would have given is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollectionFailure {
    /// e.g. `ec2:DescribeNatGateways` (also the IAM action that allows it).
    pub call: String,
    /// Denied by IAM (the permission is missing), as opposed to failing otherwise.
    pub denied: bool,
    /// What happened, in the user's terms.
    pub message: String,
    /// The library's own error (`--verbose`), when there was one.
    pub detail: Option<String>,
}

/// A bundle file the reader could not read (broken or cut JSON, a field of the wrong type, a file
/// too large or unreadable on disk). The model is made from the other files; the diagnosis names
/// this one in a gap. Not under `--strict`, where it is an error instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnreadableFile {
    /// The file, as the reader was given it.
    pub file: String,
    /// Where in the JSON, e.g. `RouteTables[0].Routes[2].DestinationCidrBlock`; empty for the
    /// file as a whole.
    pub json_path: String,
    /// What is wrong with it (with the line and column for broken JSON).
    pub message: String,
    /// The input it seems to be, from its beginning (`{"RouteTables": [`, `"kind": "PodList"`).
    /// A kind that any unreadable file seems to be is not in [`Facts::inputs`], even if other
    /// files of that kind were read: its listing is incomplete, so an absence in it proves nothing.
    pub seems: Option<InputKind>,
}

impl std::fmt::Display for UnreadableFile {
    /// `file: at `path`: message`, as the reader's errors print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.json_path.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: at `{}`: {}", self.file, self.json_path, self.message)
        }
    }
}

/// How a subnet came to use its route table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Association {
    /// The subnet is explicitly associated with the table.
    Explicit,
    /// The subnet has no explicit association and falls back to the VPC's main route table.
    Main,
}

/// Everything pulldoctor knows, from one bundle or one live collection, as plain data. Analyses
/// read it through a [`Model`], which adds the indexes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts {
    pub vpcs: BTreeMap<String, Vpc>,
    pub subnets: BTreeMap<String, Subnet>,
    pub route_tables: BTreeMap<String, RouteTable>,
    pub nat_gateways: BTreeMap<String, NatGateway>,
    /// Internet gateways and egress-only internet gateways.
    pub internet_gateways: BTreeMap<String, InternetGateway>,
    pub vpc_endpoints: BTreeMap<String, VpcEndpoint>,
    pub security_groups: BTreeMap<String, SecurityGroup>,
    pub network_acls: BTreeMap<String, NetworkAcl>,
    pub instances: BTreeMap<String, Instance>,
    pub network_interfaces: BTreeMap<String, NetworkInterface>,
    pub prefix_lists: BTreeMap<String, PrefixList>,
    pub peering_connections: BTreeMap<String, PeeringConnection>,
    pub dhcp_options: BTreeMap<String, DhcpOptions>,
    pub transit_gateway_attachments: BTreeMap<String, TransitGatewayAttachment>,
    /// Keyed by `account/region/name`.
    pub ecr_repositories: BTreeMap<String, EcrRepository>,
    /// Keyed by `account/repository` (describe-images does not print the region).
    pub ecr_images: BTreeMap<String, Vec<EcrImage>>,
    /// Keyed by `account/repository`.
    pub repository_policies: BTreeMap<String, RepositoryPolicy>,
    /// Keyed by ARN.
    pub iam_roles: BTreeMap<String, IamRole>,
    pub instance_profiles: BTreeMap<String, InstanceProfile>,
    pub managed_policies: BTreeMap<String, ManagedPolicy>,
    pub trail_events: Vec<TrailEvent>,
    pub caller_identities: Vec<CallerIdentity>,
    pub namespaces: BTreeMap<String, Namespace>,
    pub nodes: BTreeMap<String, Node>,
    /// Keyed by `namespace/name`.
    pub pods: BTreeMap<String, Pod>,
    pub events: Vec<Event>,
    pub service_accounts: BTreeMap<String, ServiceAccount>,
    pub secrets: BTreeMap<String, SecretFacts>,
    pub network_policies: Vec<NetworkPolicy>,
    pub proxy: Option<ClusterProxy>,
    pub image_policy: Option<ImagePolicy>,
    pub mirrors: Vec<MirrorRule>,
    /// What `pulldoctor probe` observed, in the order the files were read.
    pub probes: Vec<ProbeRun>,
    /// Calls a live collection could not make (denied or failed), carried in the bundle.
    pub collection_failures: Vec<CollectionFailure>,
    /// Pull errors from nodes' journals, in the order read.
    pub node_log_errors: Vec<NodeLogError>,
    /// Kubelet flags from nodes' journals that decide which credentials a pull uses.
    pub kubelet_flags: Vec<KubeletFlag>,
    /// When a live collection read the bundle (`pulldoctor-collect.json`): the newest fact there
    /// is, since everything in the bundle was true then.
    pub collected_at: Option<DateTime<Utc>>,
    /// Files of the bundle that could not be read, in the order given.
    pub unreadable_files: Vec<UnreadableFile>,
    /// The kinds of input present: read from at least one file, and from no file that could not
    /// be read (see [`UnreadableFile::seems`]).
    pub inputs: BTreeSet<InputKind>,
}

/// [`Facts`] with their indexes: what every analysis reads.
///
/// Reads of the facts go through `Deref` (`model.subnets`, `model.pods`); a mutable access
/// (`DerefMut`, e.g. `model.subnets.insert(..)`) drops the index, and the next lookup rebuilds
/// it, so a lookup never answers from an index older than the facts.
#[derive(Clone, Default)]
pub struct Model {
    facts: Facts,
    index: OnceLock<Index>,
}

impl Deref for Model {
    type Target = Facts;
    fn deref(&self) -> &Facts {
        &self.facts
    }
}

impl DerefMut for Model {
    /// The caller may change any collection: the index goes (rebuilt by the next lookup).
    fn deref_mut(&mut self) -> &mut Facts {
        self.index = OnceLock::new();
        &mut self.facts
    }
}

impl From<Facts> for Model {
    fn from(facts: Facts) -> Model {
        Model::new(facts)
    }
}

impl std::fmt::Debug for Model {
    /// The facts; the index is derived from them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.facts.fmt(f)
    }
}

impl Serialize for Model {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.facts.serialize(serializer)
    }
}

#[derive(Debug, Clone, Default)]
struct Index {
    main_route_table_by_vpc: HashMap<String, String>,
    route_table_by_subnet: HashMap<String, String>,
    subnets_by_vpc: HashMap<String, Vec<String>>,
    network_acl_by_subnet: HashMap<String, String>,
    instance_by_dns_name: HashMap<String, String>,
    instance_by_private_ip: HashMap<IpAddr, String>,
    events_by_object: HashMap<(String, String), Vec<usize>>,
    endpoints_by_vpc: HashMap<String, Vec<String>>,
    nat_gateways_by_vpc: HashMap<String, Vec<String>>,
    internet_gateways_by_vpc: HashMap<String, Vec<String>>,
    interfaces_by_instance: HashMap<String, Vec<String>>,
    node_log_errors_by_pod: HashMap<(String, String), Vec<usize>>,
    kubelet_flags_by_node: HashMap<String, Vec<usize>>,
}

impl Index {
    /// Every index, from scratch, in linear time.
    fn build(facts: &Facts) -> Index {
        let mut index = Index::default();
        for table in facts.route_tables.values() {
            if table.main {
                index.main_route_table_by_vpc.insert(table.vpc_id.clone(), table.id.clone());
            }
            for subnet in &table.subnet_ids {
                index.route_table_by_subnet.insert(subnet.clone(), table.id.clone());
            }
        }
        for subnet in facts.subnets.values() {
            index.subnets_by_vpc.entry(subnet.vpc_id.clone()).or_default().push(subnet.id.clone());
        }
        for acl in facts.network_acls.values() {
            for subnet in &acl.subnet_ids {
                index.network_acl_by_subnet.insert(subnet.clone(), acl.id.clone());
            }
        }
        for instance in facts.instances.values() {
            if let Some(name) = &instance.private_dns_name
                && !name.is_empty()
            {
                index.instance_by_dns_name.insert(name.to_ascii_lowercase(), instance.id.clone());
                if let Some(short) = name.split('.').next() {
                    index.instance_by_dns_name.entry(short.to_ascii_lowercase()).or_insert(instance.id.clone());
                }
            }
            if let Some(ip) = instance.private_ip {
                index.instance_by_private_ip.insert(ip, instance.id.clone());
            }
        }
        for (position, event) in facts.events.iter().enumerate() {
            if let (Some(namespace), Some(name)) = (&event.involved.namespace, &event.involved.name) {
                index.events_by_object.entry((namespace.clone(), name.clone())).or_default().push(position);
            }
        }
        for endpoint in facts.vpc_endpoints.values() {
            index.endpoints_by_vpc.entry(endpoint.vpc_id.clone()).or_default().push(endpoint.id.clone());
        }
        for nat in facts.nat_gateways.values() {
            if let Some(vpc) = &nat.vpc_id {
                index.nat_gateways_by_vpc.entry(vpc.clone()).or_default().push(nat.id.clone());
            }
        }
        for gateway in facts.internet_gateways.values() {
            for attachment in &gateway.attachments {
                index.internet_gateways_by_vpc.entry(attachment.vpc_id.clone()).or_default().push(gateway.id.clone());
            }
        }
        for interface in facts.network_interfaces.values() {
            if let Some(instance) = &interface.instance_id {
                index.interfaces_by_instance.entry(instance.clone()).or_default().push(interface.id.clone());
            }
        }
        index.node_log_errors_by_pod = logs::attribute(facts);
        index.kubelet_flags_by_node = logs::flags_by_node(facts);
        index
    }
}

impl Model {
    /// Index the facts now (so the cost is paid here, not by the first lookup).
    pub fn new(facts: Facts) -> Model {
        let model = Model { facts, index: OnceLock::new() };
        model.index();
        model
    }

    /// The plain data back, to change and index again with [`Model::new`].
    pub fn into_facts(self) -> Facts {
        self.facts
    }

    /// The index of the facts as they are now: built on first use after a change.
    fn index(&self) -> &Index {
        self.index.get_or_init(|| Index::build(&self.facts))
    }

    /// The route table a subnet really uses: its explicit association, else its VPC's main table.
    pub fn effective_route_table(&self, subnet_id: &str) -> Option<(&RouteTable, Association)> {
        let index = self.index();
        if let Some(table) = index.route_table_by_subnet.get(subnet_id).and_then(|id| self.route_tables.get(id)) {
            return Some((table, Association::Explicit));
        }
        let vpc = &self.subnets.get(subnet_id)?.vpc_id;
        let table = index.main_route_table_by_vpc.get(vpc).and_then(|id| self.route_tables.get(id))?;
        Some((table, Association::Main))
    }

    pub fn main_route_table(&self, vpc_id: &str) -> Option<&RouteTable> {
        self.index().main_route_table_by_vpc.get(vpc_id).and_then(|id| self.route_tables.get(id))
    }

    /// Subnets whose traffic a change to this route table affects: explicitly associated ones, and
    /// for the main table every subnet of the VPC without an explicit association.
    pub fn subnets_using_route_table(&self, route_table_id: &str) -> Vec<&str> {
        let Some(table) = self.route_tables.get(route_table_id) else {
            return Vec::new();
        };
        let mut out: Vec<&str> = table.subnet_ids.iter().map(String::as_str).collect();
        if table.main {
            let index = self.index();
            for subnet in index.subnets_by_vpc.get(&table.vpc_id).into_iter().flatten() {
                if !index.route_table_by_subnet.contains_key(subnet) {
                    out.push(subnet);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    pub fn network_acl_for_subnet(&self, subnet_id: &str) -> Option<&NetworkAcl> {
        self.index().network_acl_by_subnet.get(subnet_id).and_then(|id| self.network_acls.get(id))
    }

    /// The EC2 instance behind a node: `spec.providerID` first, then the private DNS name, then
    /// the internal IP.
    pub fn node_instance(&self, node: &Node) -> Option<&Instance> {
        if let Some(instance) = node.instance_id.as_ref().and_then(|id| self.instances.get(id)) {
            return Some(instance);
        }
        let index = self.index();
        let by_name = std::iter::once(&node.name)
            .chain(node.hostnames.iter())
            .find_map(|name| index.instance_by_dns_name.get(&name.to_ascii_lowercase()));
        if let Some(instance) = by_name.and_then(|id| self.instances.get(id)) {
            return Some(instance);
        }
        node.internal_ips.iter().find_map(|ip| index.instance_by_private_ip.get(ip)).and_then(|id| self.instances.get(id))
    }

    /// The instance with this private address, or this private DNS name (`ip-10-0-60-229.ec2.internal`).
    pub fn instance_by_address(&self, ip: Option<IpAddr>, dns_name: Option<&str>) -> Option<&Instance> {
        let index = self.index();
        let id = ip
            .and_then(|ip| index.instance_by_private_ip.get(&ip))
            .or_else(|| dns_name.and_then(|name| index.instance_by_dns_name.get(&name.to_ascii_lowercase())))?;
        self.instances.get(id)
    }

    /// Events about one object (by namespace and name), in bundle order.
    pub fn events_for(&self, namespace: &str, name: &str) -> impl Iterator<Item = &Event> {
        self.index()
            .events_by_object
            .get(&(namespace.to_string(), name.to_string()))
            .into_iter()
            .flatten()
            .map(|&position| &self.events[position])
    }

    pub fn endpoints_in_vpc(&self, vpc_id: &str) -> impl Iterator<Item = &VpcEndpoint> {
        self.index().endpoints_by_vpc.get(vpc_id).into_iter().flatten().filter_map(|id| self.vpc_endpoints.get(id))
    }

    pub fn nat_gateways_in_vpc(&self, vpc_id: &str) -> impl Iterator<Item = &NatGateway> {
        self.index().nat_gateways_by_vpc.get(vpc_id).into_iter().flatten().filter_map(|id| self.nat_gateways.get(id))
    }

    /// Internet gateways (including egress-only ones) with an attachment record for this VPC,
    /// whatever its state.
    pub fn internet_gateways_for_vpc(&self, vpc_id: &str) -> impl Iterator<Item = &InternetGateway> {
        self.index().internet_gateways_by_vpc.get(vpc_id).into_iter().flatten().filter_map(|id| self.internet_gateways.get(id))
    }

    /// Pull errors from nodes' journals about one pod: those that name it, and those that name
    /// only an image on the node the pod runs on (the runtime's lines), in the order read.
    /// The last value a node's kubelet logged for flag `name` (without dashes) when it started,
    /// if its journal is in the bundle.
    pub fn kubelet_flag(&self, node: &str, name: &str) -> Option<&KubeletFlag> {
        self.index()
            .kubelet_flags_by_node
            .get(node)?
            .iter()
            .rev()
            .map(|&position| &self.kubelet_flags[position])
            .find(|flag| flag.name == name)
    }

    pub fn node_log_errors_for(&self, namespace: &str, name: &str) -> impl Iterator<Item = &NodeLogError> {
        self.index()
            .node_log_errors_by_pod
            .get(&(namespace.to_string(), name.to_string()))
            .into_iter()
            .flatten()
            .map(|&position| &self.node_log_errors[position])
    }

    pub fn interfaces_of_instance(&self, instance_id: &str) -> impl Iterator<Item = &NetworkInterface> {
        self.index().interfaces_by_instance.get(instance_id).into_iter().flatten().filter_map(|id| self.network_interfaces.get(id))
    }
}

impl Facts {
    /// The latest moment the bundle shows (an event, a container start, an object's creation).
    /// Analyses compare token expiry and ages against this instant, not the reader's clock: a
    /// bundle diagnosed a week later must say what was true when it was taken.
    pub fn observed_at(&self) -> Option<DateTime<Utc>> {
        let events = self.events.iter().flat_map(|e| [e.last_seen, e.first_seen]).flatten();
        let pods = self.pods.values().flat_map(|pod| {
            pod.statuses
                .iter()
                .filter_map(|status| match status.state {
                    ContainerState::Running { started_at } => started_at,
                    _ => None,
                })
                .chain(pod.created)
        });
        let secrets = self.secrets.values().filter_map(|secret| secret.created);
        let trail = self.trail_events.iter().filter_map(|event| event.time);
        let journals = self.node_log_errors.iter().filter_map(|record| record.time);
        events.chain(pods).chain(secrets).chain(trail).chain(journals).chain(self.collected_at).max()
    }

    /// The ECR repository for an image, if the bundle lists it in the image's account and region.
    pub fn ecr_repository(&self, account: &str, region: &str, name: &str) -> Option<&EcrRepository> {
        self.ecr_repositories.get(&format!("{account}/{region}/{name}"))
    }

    /// Accounts the bundle shows (caller identities and owner ids).
    pub fn accounts(&self) -> BTreeSet<&str> {
        let mut out: BTreeSet<&str> = self.caller_identities.iter().map(|c| c.account.as_str()).collect();
        out.extend(self.vpcs.values().filter_map(|v| v.owner_id.as_deref()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(id: &str, vpc: &str, main: bool, subnets: &[&str]) -> RouteTable {
        RouteTable {
            id: id.into(),
            vpc_id: vpc.into(),
            owner_id: None,
            main,
            subnet_ids: subnets.iter().map(|s| s.to_string()).collect(),
            routes: vec![],
            name: None,
            association_ids: Default::default(),
        }
    }

    fn subnet(id: &str, vpc: &str) -> Subnet {
        Subnet {
            id: id.into(),
            vpc_id: vpc.into(),
            owner_id: None,
            cidr: None,
            ipv6_cidrs: vec![],
            availability_zone: None,
            map_public_ip_on_launch: false,
            name: None,
        }
    }

    fn two_tables() -> Model {
        let mut facts = Facts::default();
        for id in ["subnet-a", "subnet-b", "subnet-c"] {
            facts.subnets.insert(id.into(), subnet(id, "vpc-1"));
        }
        facts.route_tables.insert("rtb-main".into(), table("rtb-main", "vpc-1", true, &[]));
        facts.route_tables.insert("rtb-x".into(), table("rtb-x", "vpc-1", false, &["subnet-a"]));
        Model::new(facts)
    }

    #[test]
    fn effective_route_table_falls_back_to_main() {
        let model = two_tables();
        let (explicit, how) = model.effective_route_table("subnet-a").unwrap();
        assert_eq!((explicit.id.as_str(), how), ("rtb-x", Association::Explicit));
        let (main, how) = model.effective_route_table("subnet-b").unwrap();
        assert_eq!((main.id.as_str(), how), ("rtb-main", Association::Main));
        assert_eq!(model.subnets_using_route_table("rtb-main"), vec!["subnet-b", "subnet-c"]);
        assert_eq!(model.subnets_using_route_table("rtb-x"), vec!["subnet-a"]);
        assert!(model.effective_route_table("subnet-unknown").is_none());
    }

    /// A change after indexing is seen by the next lookup: the index cannot be stale, in a
    /// release build as in a debug one.
    #[test]
    fn a_change_after_indexing_is_seen() {
        let mut model = two_tables();
        assert_eq!(model.effective_route_table("subnet-b").unwrap().0.id, "rtb-main");
        model.route_tables.insert("rtb-y".into(), table("rtb-y", "vpc-1", false, &["subnet-b"]));
        let (table, how) = model.effective_route_table("subnet-b").unwrap();
        assert_eq!((table.id.as_str(), how), ("rtb-y", Association::Explicit));
        assert_eq!(model.subnets_using_route_table("rtb-main"), vec!["subnet-c"]);
        let mut facts = model.into_facts();
        facts.route_tables.remove("rtb-y");
        assert_eq!(Model::new(facts).effective_route_table("subnet-b").unwrap().0.id, "rtb-main");
    }
}
