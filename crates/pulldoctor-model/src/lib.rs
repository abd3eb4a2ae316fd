//! The normalised model every pulldoctor analysis reads.
//!
//! Plain data, filled by a reader (the bundle reader or the live collectors), then indexed once by
//! [`Model::build_index`]. Every relation an analysis follows (node -> instance -> subnet ->
//! effective route table -> network ACL, pod -> events, route table -> subnets using it) is a hash
//! lookup after that: no analysis scans a collection to join two of them.
//!
//! Architecture invariant: this crate does no I/O and never reads the clock or the environment.

pub mod aws;
pub mod image;
pub mod k8s;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use aws::*;
pub use image::{EcrHost, ImageRef, InvalidReference, normalise_registry_key, parse_ecr_host, parse_image};
pub use k8s::*;

/// The kinds of input a model can be built from. A kind absent from [`Model::inputs`] means the
/// bundle (or the live collection) did not provide it: analyses report that as a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    Vpcs,
    VpcDnsSupport,
    VpcDnsHostnames,
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
}

impl InputKind {
    /// The command that produces this input, for gap messages.
    pub fn command(self) -> &'static str {
        match self {
            InputKind::Vpcs => "aws ec2 describe-vpcs --output json",
            InputKind::VpcDnsSupport => "aws ec2 describe-vpc-attribute --vpc-id VPC --attribute enableDnsSupport --output json",
            InputKind::VpcDnsHostnames => "aws ec2 describe-vpc-attribute --vpc-id VPC --attribute enableDnsHostnames --output json",
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
    pub message: String,
}

/// How a subnet came to use its route table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Association {
    /// The subnet is explicitly associated with the table.
    Explicit,
    /// The subnet has no explicit association and falls back to the VPC's main route table.
    Main,
}

/// Everything pulldoctor knows, from one bundle or one live collection.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Model {
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
    /// Calls a live collection could not make (denied or failed), carried in the bundle.
    pub collection_failures: Vec<CollectionFailure>,
    /// The kinds of input present.
    pub inputs: BTreeSet<InputKind>,
    #[serde(skip)]
    index: Index,
}

#[derive(Debug, Clone, Default)]
struct Index {
    built: bool,
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
}

impl Model {
    /// Build the indexes every analysis uses. Call once after filling the collections; cheap to
    /// call again after a change (it rebuilds from scratch in linear time).
    pub fn build_index(&mut self) {
        let mut index = Index { built: true, ..Index::default() };
        for table in self.route_tables.values() {
            if table.main {
                index.main_route_table_by_vpc.insert(table.vpc_id.clone(), table.id.clone());
            }
            for subnet in &table.subnet_ids {
                index.route_table_by_subnet.insert(subnet.clone(), table.id.clone());
            }
        }
        for subnet in self.subnets.values() {
            index.subnets_by_vpc.entry(subnet.vpc_id.clone()).or_default().push(subnet.id.clone());
        }
        for acl in self.network_acls.values() {
            for subnet in &acl.subnet_ids {
                index.network_acl_by_subnet.insert(subnet.clone(), acl.id.clone());
            }
        }
        for instance in self.instances.values() {
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
        for (position, event) in self.events.iter().enumerate() {
            if let (Some(namespace), Some(name)) = (&event.involved.namespace, &event.involved.name) {
                index.events_by_object.entry((namespace.clone(), name.clone())).or_default().push(position);
            }
        }
        for endpoint in self.vpc_endpoints.values() {
            index.endpoints_by_vpc.entry(endpoint.vpc_id.clone()).or_default().push(endpoint.id.clone());
        }
        for nat in self.nat_gateways.values() {
            if let Some(vpc) = &nat.vpc_id {
                index.nat_gateways_by_vpc.entry(vpc.clone()).or_default().push(nat.id.clone());
            }
        }
        for gateway in self.internet_gateways.values() {
            for attachment in &gateway.attachments {
                index.internet_gateways_by_vpc.entry(attachment.vpc_id.clone()).or_default().push(gateway.id.clone());
            }
        }
        for interface in self.network_interfaces.values() {
            if let Some(instance) = &interface.instance_id {
                index.interfaces_by_instance.entry(instance.clone()).or_default().push(interface.id.clone());
            }
        }
        self.index = index;
    }

    fn index(&self) -> &Index {
        debug_assert!(self.index.built, "Model::build_index was not called");
        &self.index
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

    pub fn interfaces_of_instance(&self, instance_id: &str) -> impl Iterator<Item = &NetworkInterface> {
        self.index().interfaces_by_instance.get(instance_id).into_iter().flatten().filter_map(|id| self.network_interfaces.get(id))
    }

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
        events.chain(pods).chain(secrets).chain(trail).max()
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

    #[test]
    fn effective_route_table_falls_back_to_main() {
        let mut model = Model::default();
        for id in ["subnet-a", "subnet-b", "subnet-c"] {
            model.subnets.insert(id.into(), subnet(id, "vpc-1"));
        }
        model.route_tables.insert("rtb-main".into(), table("rtb-main", "vpc-1", true, &[]));
        model.route_tables.insert("rtb-x".into(), table("rtb-x", "vpc-1", false, &["subnet-a"]));
        model.build_index();
        let (explicit, how) = model.effective_route_table("subnet-a").unwrap();
        assert_eq!((explicit.id.as_str(), how), ("rtb-x", Association::Explicit));
        let (main, how) = model.effective_route_table("subnet-b").unwrap();
        assert_eq!((main.id.as_str(), how), ("rtb-main", Association::Main));
        assert_eq!(model.subnets_using_route_table("rtb-main"), vec!["subnet-b", "subnet-c"]);
        assert_eq!(model.subnets_using_route_table("rtb-x"), vec!["subnet-a"]);
        assert!(model.effective_route_table("subnet-unknown").is_none());
    }
}
