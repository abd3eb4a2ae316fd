//! AWS facts: the network between a node and a registry, ECR, IAM and CloudTrail.
//!
//! These are internal types, not the wire shapes of the AWS CLI (those live in `pulldoctor-bundle`).
//! Every collection in [`crate::Model`] is keyed by the resource id.

use chrono::{DateTime, Utc};
use ipnet::IpNet;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vpc {
    pub id: String,
    pub owner_id: Option<String>,
    pub cidrs: Vec<IpNet>,
    pub is_default: bool,
    /// `enableDnsSupport`; `None` when the bundle has no `describe-vpc-attribute` for it.
    pub dns_support: Option<bool>,
    /// `enableDnsHostnames`; `None` when unknown.
    pub dns_hostnames: Option<bool>,
    pub name: Option<String>,
    /// The DHCP options set its instances get (which DNS servers they ask); `None` when the VPC
    /// has none (`default` in moto) or the input does not say.
    pub dhcp_options_id: Option<String>,
}

/// A DHCP options set (`describe-dhcp-options`): what a VPC's instances are told at boot and each
/// lease renewal, above all which DNS servers to ask.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DhcpOptions {
    pub id: String,
    pub owner_id: Option<String>,
    /// `domain-name-servers`: `AmazonProvidedDNS` (the VPC resolver) or addresses of your own.
    pub domain_name_servers: Vec<String>,
    pub domain_name: Option<String>,
}

impl DhcpOptions {
    /// The servers when they are your own: none of them is the VPC resolver
    /// (`AmazonProvidedDNS`). Empty when the set names no server (then the VPC resolver answers).
    pub fn custom_servers(&self) -> &[String] {
        if self.domain_name_servers.iter().any(|s| s.eq_ignore_ascii_case("AmazonProvidedDNS")) { &[] } else { &self.domain_name_servers }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub owner_id: Option<String>,
    pub cidr: Option<IpNet>,
    pub ipv6_cidrs: Vec<IpNet>,
    pub availability_zone: Option<String>,
    pub map_public_ip_on_launch: bool,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteTable {
    pub id: String,
    pub vpc_id: String,
    pub owner_id: Option<String>,
    /// True when one of its associations is `Main: true`.
    pub main: bool,
    /// Subnets explicitly associated with this table.
    pub subnet_ids: Vec<String>,
    pub routes: Vec<Route>,
    pub name: Option<String>,
    /// The association ids (`rtbassoc-...`): subnet id -> its association, and `main` for the
    /// main association. CloudTrail names only these when an association is removed or replaced
    /// (`DisassociateRouteTable`), so drift and the alarms need them to name the subnet.
    pub association_ids: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum RouteDestination {
    Cidr(IpNet),
    PrefixList(String),
}

impl std::fmt::Display for RouteDestination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RouteDestination::Cidr(net) => write!(f, "{net}"),
            RouteDestination::PrefixList(id) => write!(f, "{id}"),
        }
    }
}

/// Where a route sends traffic. Read from whichever `*Id` field of the route is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "kebab-case")]
pub enum RouteTarget {
    Local,
    InternetGateway(String),
    EgressOnlyInternetGateway(String),
    NatGateway(String),
    /// A gateway VPC endpoint (S3, DynamoDB) or a Gateway Load Balancer endpoint.
    VpcEndpoint(String),
    TransitGateway(String),
    VpcPeering(String),
    NetworkInterface(String),
    Instance(String),
    VpnGateway(String),
    LocalGateway(String),
    CarrierGateway(String),
    CoreNetwork(String),
    Unknown(String),
}

impl RouteTarget {
    pub fn id(&self) -> &str {
        match self {
            RouteTarget::Local => "local",
            RouteTarget::InternetGateway(id)
            | RouteTarget::EgressOnlyInternetGateway(id)
            | RouteTarget::NatGateway(id)
            | RouteTarget::VpcEndpoint(id)
            | RouteTarget::TransitGateway(id)
            | RouteTarget::VpcPeering(id)
            | RouteTarget::NetworkInterface(id)
            | RouteTarget::Instance(id)
            | RouteTarget::VpnGateway(id)
            | RouteTarget::LocalGateway(id)
            | RouteTarget::CarrierGateway(id)
            | RouteTarget::CoreNetwork(id)
            | RouteTarget::Unknown(id) => id,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouteState {
    Active,
    Blackhole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    pub destination: RouteDestination,
    pub target: RouteTarget,
    pub state: RouteState,
    /// `CreateRouteTable`, `CreateRoute` or `EnableVgwRoutePropagation`.
    pub origin: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NatGateway {
    pub id: String,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    /// `pending`, `failed`, `available`, `deleting`, `deleted`.
    pub state: String,
    /// `public` or `private` (AWS default: public).
    pub connectivity_type: String,
    pub public_ips: Vec<std::net::IpAddr>,
    pub private_ips: Vec<std::net::IpAddr>,
    pub failure_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GatewayAttachment {
    pub vpc_id: String,
    /// `attached`/`available` count as attached.
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InternetGateway {
    pub id: String,
    pub owner_id: Option<String>,
    pub attachments: Vec<GatewayAttachment>,
    /// True for egress-only internet gateways (IPv6 only).
    pub egress_only: bool,
}

impl InternetGateway {
    pub fn is_attached_to(&self, vpc_id: &str) -> bool {
        self.attachments.iter().any(|a| a.vpc_id == vpc_id && matches!(a.state.as_str(), "attached" | "available"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndpointType {
    Interface,
    Gateway,
    GatewayLoadBalancer,
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VpcEndpoint {
    pub id: String,
    pub vpc_id: String,
    pub service_name: String,
    pub endpoint_type: EndpointType,
    /// Lower-cased: `available`, `pending`, `rejected`, `failed`, `deleted`, ...
    pub state: String,
    pub private_dns_enabled: bool,
    pub subnet_ids: Vec<String>,
    pub route_table_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub network_interface_ids: Vec<String>,
    /// The endpoint policy as JSON text, when it is not the default full-access policy.
    pub policy_document: Option<String>,
}

/// A peer in a security-group rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum SgPeer {
    Cidr(IpNet),
    PrefixList(String),
    Group(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SgRule {
    /// `-1` for all, else the protocol name or number as AWS prints it (`tcp`, `6`, ...).
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub peers: Vec<SgPeer>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecurityGroup {
    pub id: String,
    pub vpc_id: Option<String>,
    pub name: String,
    pub ingress: Vec<SgRule>,
    pub egress: Vec<SgRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AclEntry {
    pub rule_number: i32,
    pub egress: bool,
    pub protocol: String,
    pub allow: bool,
    pub cidr: Option<IpNet>,
    pub port_from: Option<i32>,
    pub port_to: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkAcl {
    pub id: String,
    pub vpc_id: String,
    pub is_default: bool,
    pub subnet_ids: Vec<String>,
    pub entries: Vec<AclEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instance {
    pub id: String,
    pub owner_id: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    pub availability_zone: Option<String>,
    pub private_ip: Option<std::net::IpAddr>,
    pub private_dns_name: Option<String>,
    pub public_ip: Option<std::net::IpAddr>,
    pub ipv6_addresses: Vec<std::net::IpAddr>,
    pub security_group_ids: Vec<String>,
    pub iam_instance_profile_arn: Option<String>,
    pub architecture: Option<String>,
    pub state: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkInterface {
    pub id: String,
    pub subnet_id: Option<String>,
    pub vpc_id: Option<String>,
    pub private_ips: Vec<std::net::IpAddr>,
    pub public_ips: Vec<std::net::IpAddr>,
    pub security_group_ids: Vec<String>,
    pub instance_id: Option<String>,
    pub interface_type: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrefixList {
    pub id: String,
    pub name: Option<String>,
    /// The CIDRs; `None` when the bundle names the list but does not give its entries.
    pub cidrs: Option<Vec<IpNet>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeeringConnection {
    pub id: String,
    pub requester_vpc_id: Option<String>,
    pub accepter_vpc_id: Option<String>,
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransitGatewayAttachment {
    pub id: String,
    pub transit_gateway_id: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub state: Option<String>,
}

/// An ECR repository, keyed in the model by `account/region/name`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EcrRepository {
    pub account: String,
    pub region: String,
    pub name: String,
    pub arn: String,
    pub uri: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EcrImage {
    pub account: String,
    pub region: Option<String>,
    pub repository: String,
    pub digest: String,
    pub tags: Vec<String>,
    pub pushed_at: Option<DateTime<Utc>>,
    pub manifest_media_type: Option<String>,
    pub artifact_media_type: Option<String>,
    pub size_bytes: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RepositoryPolicy {
    pub account: String,
    pub region: Option<String>,
    pub repository: String,
    pub policy_text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InlinePolicy {
    pub name: String,
    pub document: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IamRole {
    pub name: String,
    pub arn: String,
    pub inline_policies: Vec<InlinePolicy>,
    pub attached_policy_arns: Vec<String>,
    pub instance_profile_arns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceProfile {
    pub arn: String,
    pub name: String,
    pub role_arns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManagedPolicy {
    pub arn: String,
    pub name: String,
    /// The default version's document, when the bundle has it.
    pub default_document: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrailEvent {
    pub id: String,
    pub name: String,
    pub time: Option<DateTime<Utc>>,
    pub username: Option<String>,
    pub source: Option<String>,
    /// Resource ids the event touched (`ResourceName` entries plus ids found in the request).
    pub resources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
}

/// `us-east-1a` → `us-east-1`; local and wavelength zones (`us-east-1-bos-1a`) keep their parent region.
pub fn region_of_zone(zone: &str) -> Option<String> {
    let parts: Vec<&str> = zone.split('-').collect();
    let at = parts.iter().position(|p| p.starts_with(|c: char| c.is_ascii_digit()))?;
    if at < 2 {
        return None;
    }
    let digits: String = parts[at].chars().take_while(char::is_ascii_digit).collect();
    Some(format!("{}-{digits}", parts[..at].join("-")))
}

#[cfg(test)]
mod zone_tests {
    use super::*;

    #[test]
    fn zones_name_their_region() {
        assert_eq!(region_of_zone("us-east-1a").as_deref(), Some("us-east-1"));
        assert_eq!(region_of_zone("ap-southeast-2c").as_deref(), Some("ap-southeast-2"));
        assert_eq!(region_of_zone("us-gov-west-1b").as_deref(), Some("us-gov-west-1"));
        assert_eq!(region_of_zone("us-east-1-bos-1a").as_deref(), Some("us-east-1"));
        assert_eq!(region_of_zone("garbage"), None);
        assert_eq!(region_of_zone("1a"), None);
    }
}
