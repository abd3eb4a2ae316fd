//! Wire shapes of the AWS CLI's JSON output, and their conversion into the model.
//!
//! Only the fields pulldoctor uses are declared; unknown fields are ignored, so newer CLI versions
//! keep working. A declared field with the wrong JSON type is an error that names its path.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use ipnet::IpNet;
use pulldoctor_model as model;
use serde::Deserialize;

use crate::time;

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct Tag {
    pub key: Option<String>,
    pub value: Option<String>,
}

fn name_tag(tags: &[Tag]) -> Option<String> {
    tags.iter().find(|t| t.key.as_deref() == Some("Name")).and_then(|t| t.value.clone())
}

// ---------------------------------------------------------------- describe-vpcs

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeVpcs {
    pub vpcs: Vec<Vpc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Vpc {
    pub vpc_id: String,
    #[serde(default)]
    pub owner_id: Option<String>,
    #[serde(default)]
    pub cidr_block: Option<IpNet>,
    #[serde(default)]
    pub cidr_block_association_set: Vec<CidrAssociation>,
    #[serde(default)]
    pub ipv6_cidr_block_association_set: Vec<Ipv6CidrAssociation>,
    #[serde(default)]
    pub is_default: bool,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CidrAssociation {
    #[serde(default)]
    pub cidr_block: Option<IpNet>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ipv6CidrAssociation {
    #[serde(default)]
    pub ipv6_cidr_block: Option<IpNet>,
}

impl From<Vpc> for model::Vpc {
    fn from(vpc: Vpc) -> Self {
        let mut cidrs: Vec<IpNet> = vpc.cidr_block.into_iter().collect();
        cidrs.extend(vpc.cidr_block_association_set.into_iter().filter_map(|a| a.cidr_block));
        cidrs.extend(vpc.ipv6_cidr_block_association_set.into_iter().filter_map(|a| a.ipv6_cidr_block));
        cidrs.sort();
        cidrs.dedup();
        model::Vpc {
            name: name_tag(&vpc.tags),
            id: vpc.vpc_id,
            owner_id: vpc.owner_id,
            cidrs,
            is_default: vpc.is_default,
            dns_support: None,
            dns_hostnames: None,
        }
    }
}

// ---------------------------------------------------------------- describe-vpc-attribute

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpcAttribute {
    pub vpc_id: String,
    #[serde(default)]
    pub enable_dns_support: Option<AttributeBool>,
    #[serde(default)]
    pub enable_dns_hostnames: Option<AttributeBool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeBool {
    pub value: bool,
}

// ---------------------------------------------------------------- describe-subnets

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeSubnets {
    pub subnets: Vec<Subnet>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Subnet {
    pub subnet_id: String,
    pub vpc_id: String,
    #[serde(default)]
    pub owner_id: Option<String>,
    #[serde(default)]
    pub cidr_block: Option<IpNet>,
    #[serde(default)]
    pub ipv6_cidr_block_association_set: Vec<Ipv6CidrAssociation>,
    #[serde(default)]
    pub availability_zone: Option<String>,
    #[serde(default)]
    pub map_public_ip_on_launch: bool,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl From<Subnet> for model::Subnet {
    fn from(subnet: Subnet) -> Self {
        model::Subnet {
            name: name_tag(&subnet.tags),
            id: subnet.subnet_id,
            vpc_id: subnet.vpc_id,
            owner_id: subnet.owner_id,
            cidr: subnet.cidr_block,
            ipv6_cidrs: subnet.ipv6_cidr_block_association_set.into_iter().filter_map(|a| a.ipv6_cidr_block).collect(),
            availability_zone: subnet.availability_zone,
            map_public_ip_on_launch: subnet.map_public_ip_on_launch,
        }
    }
}

// ---------------------------------------------------------------- describe-route-tables

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeRouteTables {
    pub route_tables: Vec<RouteTable>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteTable {
    pub route_table_id: String,
    pub vpc_id: String,
    #[serde(default)]
    pub owner_id: Option<String>,
    #[serde(default)]
    pub associations: Vec<RouteTableAssociation>,
    #[serde(default)]
    pub routes: Vec<Route>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteTableAssociation {
    #[serde(default)]
    pub main: bool,
    #[serde(default)]
    pub subnet_id: Option<String>,
    #[serde(default)]
    pub association_state: Option<AssociationState>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssociationState {
    #[serde(default)]
    pub state: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct Route {
    pub destination_cidr_block: Option<IpNet>,
    pub destination_ipv6_cidr_block: Option<IpNet>,
    pub destination_prefix_list_id: Option<String>,
    pub gateway_id: Option<String>,
    pub egress_only_internet_gateway_id: Option<String>,
    pub nat_gateway_id: Option<String>,
    pub transit_gateway_id: Option<String>,
    pub vpc_peering_connection_id: Option<String>,
    pub network_interface_id: Option<String>,
    pub instance_id: Option<String>,
    pub local_gateway_id: Option<String>,
    pub carrier_gateway_id: Option<String>,
    pub core_network_arn: Option<String>,
    pub state: Option<String>,
    pub origin: Option<String>,
}

impl Route {
    fn into_model(self) -> Option<model::Route> {
        let destination = match (self.destination_cidr_block, self.destination_ipv6_cidr_block, self.destination_prefix_list_id) {
            (Some(cidr), _, _) | (None, Some(cidr), _) => model::RouteDestination::Cidr(cidr),
            (None, None, Some(list)) => model::RouteDestination::PrefixList(list),
            (None, None, None) => return None,
        };
        use model::RouteTarget as T;
        // Specific target fields first: an instance route also prints its network interface.
        let target = if let Some(id) = self.nat_gateway_id {
            T::NatGateway(id)
        } else if let Some(id) = self.transit_gateway_id {
            T::TransitGateway(id)
        } else if let Some(id) = self.vpc_peering_connection_id {
            T::VpcPeering(id)
        } else if let Some(id) = self.egress_only_internet_gateway_id {
            T::EgressOnlyInternetGateway(id)
        } else if let Some(id) = self.local_gateway_id {
            T::LocalGateway(id)
        } else if let Some(id) = self.carrier_gateway_id {
            T::CarrierGateway(id)
        } else if let Some(id) = self.core_network_arn {
            T::CoreNetwork(id)
        } else if let Some(id) = self.instance_id {
            T::Instance(id)
        } else if let Some(id) = self.network_interface_id {
            T::NetworkInterface(id)
        } else if let Some(id) = self.gateway_id {
            match id.as_str() {
                "local" => T::Local,
                _ if id.starts_with("igw-") => T::InternetGateway(id),
                _ if id.starts_with("vpce-") => T::VpcEndpoint(id),
                _ if id.starts_with("vgw-") => T::VpnGateway(id),
                _ if id.starts_with("eigw-") => T::EgressOnlyInternetGateway(id),
                _ => T::Unknown(id),
            }
        } else {
            T::Unknown("(no target)".into())
        };
        let state = match self.state.as_deref() {
            Some("blackhole") => model::RouteState::Blackhole,
            _ => model::RouteState::Active,
        };
        Some(model::Route { destination, target, state, origin: self.origin })
    }
}

impl From<RouteTable> for model::RouteTable {
    fn from(table: RouteTable) -> Self {
        let main = table.associations.iter().any(|a| a.main);
        let subnet_ids = table
            .associations
            .iter()
            .filter(|a| {
                !matches!(
                    a.association_state.as_ref().and_then(|s| s.state.as_deref()),
                    Some("disassociated" | "disassociating" | "failed")
                )
            })
            .filter_map(|a| a.subnet_id.clone())
            .collect();
        model::RouteTable {
            name: name_tag(&table.tags),
            id: table.route_table_id,
            vpc_id: table.vpc_id,
            owner_id: table.owner_id,
            main,
            subnet_ids,
            routes: table.routes.into_iter().filter_map(Route::into_model).collect(),
        }
    }
}

// ---------------------------------------------------------------- describe-nat-gateways

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeNatGateways {
    pub nat_gateways: Vec<NatGateway>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NatGateway {
    pub nat_gateway_id: String,
    #[serde(default)]
    pub vpc_id: Option<String>,
    #[serde(default)]
    pub subnet_id: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub connectivity_type: Option<String>,
    #[serde(default)]
    pub nat_gateway_addresses: Vec<NatGatewayAddress>,
    #[serde(default)]
    pub failure_message: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NatGatewayAddress {
    #[serde(default)]
    pub public_ip: Option<IpAddr>,
    #[serde(default)]
    pub private_ip: Option<IpAddr>,
}

impl From<NatGateway> for model::NatGateway {
    fn from(nat: NatGateway) -> Self {
        model::NatGateway {
            public_ips: nat.nat_gateway_addresses.iter().filter_map(|a| a.public_ip).collect(),
            private_ips: nat.nat_gateway_addresses.iter().filter_map(|a| a.private_ip).collect(),
            id: nat.nat_gateway_id,
            vpc_id: nat.vpc_id,
            subnet_id: nat.subnet_id,
            state: nat.state.unwrap_or_else(|| "unknown".into()).to_ascii_lowercase(),
            connectivity_type: nat.connectivity_type.unwrap_or_else(|| "public".into()).to_ascii_lowercase(),
            failure_message: nat.failure_message,
        }
    }
}

// ---------------------------------------------------------------- internet gateways

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeInternetGateways {
    pub internet_gateways: Vec<InternetGateway>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InternetGateway {
    pub internet_gateway_id: String,
    #[serde(default)]
    pub owner_id: Option<String>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attachment {
    pub vpc_id: String,
    #[serde(default)]
    pub state: Option<String>,
}

fn attachments(list: Vec<Attachment>) -> Vec<model::GatewayAttachment> {
    list.into_iter()
        .map(|a| model::GatewayAttachment { vpc_id: a.vpc_id, state: a.state.unwrap_or_default().to_ascii_lowercase() })
        .collect()
}

impl From<InternetGateway> for model::InternetGateway {
    fn from(gateway: InternetGateway) -> Self {
        model::InternetGateway {
            id: gateway.internet_gateway_id,
            owner_id: gateway.owner_id,
            attachments: attachments(gateway.attachments),
            egress_only: false,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeEgressOnlyInternetGateways {
    pub egress_only_internet_gateways: Vec<EgressOnlyInternetGateway>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EgressOnlyInternetGateway {
    pub egress_only_internet_gateway_id: String,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

impl From<EgressOnlyInternetGateway> for model::InternetGateway {
    fn from(gateway: EgressOnlyInternetGateway) -> Self {
        model::InternetGateway {
            id: gateway.egress_only_internet_gateway_id,
            owner_id: None,
            attachments: attachments(gateway.attachments),
            egress_only: true,
        }
    }
}

// ---------------------------------------------------------------- describe-vpc-endpoints

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeVpcEndpoints {
    pub vpc_endpoints: Vec<VpcEndpoint>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpcEndpoint {
    pub vpc_endpoint_id: String,
    pub vpc_id: String,
    pub service_name: String,
    #[serde(default)]
    pub vpc_endpoint_type: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub private_dns_enabled: Option<bool>,
    #[serde(default)]
    pub subnet_ids: Vec<String>,
    #[serde(default)]
    pub route_table_ids: Vec<String>,
    #[serde(default)]
    pub groups: Vec<GroupIdentifier>,
    #[serde(default)]
    pub network_interface_ids: Vec<String>,
    #[serde(default)]
    pub policy_document: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupIdentifier {
    pub group_id: String,
}

impl From<VpcEndpoint> for model::VpcEndpoint {
    fn from(endpoint: VpcEndpoint) -> Self {
        let endpoint_type = match endpoint.vpc_endpoint_type.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("interface") => model::EndpointType::Interface,
            Some("gateway") => model::EndpointType::Gateway,
            Some("gatewayloadbalancer") => model::EndpointType::GatewayLoadBalancer,
            _ => model::EndpointType::Other,
        };
        model::VpcEndpoint {
            id: endpoint.vpc_endpoint_id,
            vpc_id: endpoint.vpc_id,
            service_name: endpoint.service_name,
            endpoint_type,
            state: endpoint.state.unwrap_or_else(|| "unknown".into()).to_ascii_lowercase(),
            private_dns_enabled: endpoint.private_dns_enabled.unwrap_or(false),
            subnet_ids: endpoint.subnet_ids,
            route_table_ids: endpoint.route_table_ids,
            security_group_ids: endpoint.groups.into_iter().map(|g| g.group_id).collect(),
            network_interface_ids: endpoint.network_interface_ids,
            policy_document: endpoint.policy_document,
        }
    }
}

// ---------------------------------------------------------------- describe-security-groups

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeSecurityGroups {
    pub security_groups: Vec<SecurityGroup>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroup {
    pub group_id: String,
    #[serde(default)]
    pub group_name: Option<String>,
    #[serde(default)]
    pub vpc_id: Option<String>,
    #[serde(default)]
    pub ip_permissions: Vec<IpPermission>,
    #[serde(default)]
    pub ip_permissions_egress: Vec<IpPermission>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpPermission {
    #[serde(default)]
    pub ip_protocol: Option<String>,
    #[serde(default)]
    pub from_port: Option<i32>,
    #[serde(default)]
    pub to_port: Option<i32>,
    #[serde(default)]
    pub ip_ranges: Vec<IpRange>,
    #[serde(default)]
    pub ipv6_ranges: Vec<Ipv6Range>,
    #[serde(default)]
    pub prefix_list_ids: Vec<PrefixListRef>,
    #[serde(default)]
    pub user_id_group_pairs: Vec<GroupPair>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpRange {
    pub cidr_ip: IpNet,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ipv6Range {
    pub cidr_ipv6: IpNet,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrefixListRef {
    pub prefix_list_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupPair {
    #[serde(default)]
    pub group_id: Option<String>,
}

impl From<IpPermission> for model::SgRule {
    fn from(permission: IpPermission) -> Self {
        let mut peers: Vec<model::SgPeer> = Vec::new();
        peers.extend(permission.ip_ranges.into_iter().map(|r| model::SgPeer::Cidr(r.cidr_ip)));
        peers.extend(permission.ipv6_ranges.into_iter().map(|r| model::SgPeer::Cidr(r.cidr_ipv6)));
        peers.extend(permission.prefix_list_ids.into_iter().map(|p| model::SgPeer::PrefixList(p.prefix_list_id)));
        peers.extend(permission.user_id_group_pairs.into_iter().filter_map(|p| p.group_id).map(model::SgPeer::Group));
        model::SgRule {
            protocol: permission.ip_protocol.unwrap_or_else(|| "-1".into()).to_ascii_lowercase(),
            from_port: permission.from_port,
            to_port: permission.to_port,
            peers,
        }
    }
}

impl From<SecurityGroup> for model::SecurityGroup {
    fn from(group: SecurityGroup) -> Self {
        model::SecurityGroup {
            id: group.group_id,
            vpc_id: group.vpc_id,
            name: group.group_name.unwrap_or_default(),
            ingress: group.ip_permissions.into_iter().map(Into::into).collect(),
            egress: group.ip_permissions_egress.into_iter().map(Into::into).collect(),
        }
    }
}

// ---------------------------------------------------------------- describe-network-acls

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeNetworkAcls {
    pub network_acls: Vec<NetworkAcl>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkAcl {
    pub network_acl_id: String,
    pub vpc_id: String,
    #[serde(default)]
    pub is_default: bool,
    #[serde(default)]
    pub associations: Vec<AclAssociation>,
    #[serde(default)]
    pub entries: Vec<AclEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclAssociation {
    #[serde(default)]
    pub subnet_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclEntry {
    pub rule_number: i32,
    pub egress: bool,
    #[serde(default)]
    pub protocol: Option<String>,
    pub rule_action: String,
    #[serde(default)]
    pub cidr_block: Option<IpNet>,
    #[serde(default)]
    pub ipv6_cidr_block: Option<IpNet>,
    #[serde(default)]
    pub port_range: Option<PortRange>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PortRange {
    #[serde(default)]
    pub from: Option<i32>,
    #[serde(default)]
    pub to: Option<i32>,
}

impl From<NetworkAcl> for model::NetworkAcl {
    fn from(acl: NetworkAcl) -> Self {
        let mut entries: Vec<model::AclEntry> = acl
            .entries
            .into_iter()
            .map(|e| model::AclEntry {
                rule_number: e.rule_number,
                egress: e.egress,
                protocol: e.protocol.unwrap_or_else(|| "-1".into()).to_ascii_lowercase(),
                allow: e.rule_action.eq_ignore_ascii_case("allow"),
                cidr: e.cidr_block.or(e.ipv6_cidr_block),
                port_from: e.port_range.as_ref().and_then(|p| p.from),
                port_to: e.port_range.as_ref().and_then(|p| p.to),
            })
            .collect();
        entries.sort_by_key(|e| (e.egress, e.rule_number));
        model::NetworkAcl {
            id: acl.network_acl_id,
            vpc_id: acl.vpc_id,
            is_default: acl.is_default,
            subnet_ids: acl.associations.into_iter().filter_map(|a| a.subnet_id).collect(),
            entries,
        }
    }
}

// ---------------------------------------------------------------- describe-instances

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeInstances {
    pub reservations: Vec<Reservation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Reservation {
    #[serde(default)]
    pub owner_id: Option<String>,
    #[serde(default)]
    pub instances: Vec<Instance>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Instance {
    pub instance_id: String,
    #[serde(default)]
    pub vpc_id: Option<String>,
    #[serde(default)]
    pub subnet_id: Option<String>,
    #[serde(default)]
    pub placement: Option<Placement>,
    #[serde(default)]
    pub private_ip_address: Option<IpAddr>,
    #[serde(default)]
    pub private_dns_name: Option<String>,
    #[serde(default)]
    pub public_ip_address: Option<IpAddr>,
    #[serde(default)]
    pub security_groups: Vec<GroupIdentifier>,
    #[serde(default)]
    pub iam_instance_profile: Option<IamInstanceProfileRef>,
    #[serde(default)]
    pub architecture: Option<String>,
    #[serde(default)]
    pub state: Option<InstanceState>,
    #[serde(default)]
    pub network_interfaces: Vec<InstanceNetworkInterface>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Placement {
    #[serde(default)]
    pub availability_zone: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IamInstanceProfileRef {
    #[serde(default)]
    pub arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceState {
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceNetworkInterface {
    #[serde(default)]
    pub ipv6_addresses: Vec<Ipv6Address>,
    #[serde(default)]
    pub association: Option<IpAssociation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ipv6Address {
    pub ipv6_address: IpAddr,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpAssociation {
    #[serde(default)]
    pub public_ip: Option<IpAddr>,
}

impl Instance {
    pub fn into_model(self, owner: Option<String>) -> model::Instance {
        let public_ip = self
            .public_ip_address
            .or_else(|| self.network_interfaces.iter().find_map(|i| i.association.as_ref().and_then(|a| a.public_ip)));
        let name = name_tag(&self.tags);
        model::Instance {
            id: self.instance_id,
            owner_id: owner,
            vpc_id: self.vpc_id,
            subnet_id: self.subnet_id,
            availability_zone: self.placement.and_then(|p| p.availability_zone),
            private_ip: self.private_ip_address,
            private_dns_name: self.private_dns_name.filter(|n| !n.is_empty()),
            public_ip,
            ipv6_addresses: self.network_interfaces.iter().flat_map(|i| i.ipv6_addresses.iter().map(|a| a.ipv6_address)).collect(),
            security_group_ids: self.security_groups.into_iter().map(|g| g.group_id).collect(),
            iam_instance_profile_arn: self.iam_instance_profile.and_then(|p| p.arn),
            architecture: self.architecture,
            state: self.state.and_then(|s| s.name),
            name,
        }
    }
}

// ---------------------------------------------------------------- describe-network-interfaces

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeNetworkInterfaces {
    pub network_interfaces: Vec<NetworkInterface>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkInterface {
    pub network_interface_id: String,
    #[serde(default)]
    pub subnet_id: Option<String>,
    #[serde(default)]
    pub vpc_id: Option<String>,
    #[serde(default)]
    pub private_ip_address: Option<IpAddr>,
    #[serde(default)]
    pub private_ip_addresses: Vec<PrivateIp>,
    #[serde(default)]
    pub association: Option<IpAssociation>,
    #[serde(default)]
    pub groups: Vec<GroupIdentifier>,
    #[serde(default)]
    pub attachment: Option<InterfaceAttachment>,
    #[serde(default)]
    pub interface_type: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrivateIp {
    #[serde(default)]
    pub private_ip_address: Option<IpAddr>,
    #[serde(default)]
    pub association: Option<IpAssociation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InterfaceAttachment {
    #[serde(default)]
    pub instance_id: Option<String>,
}

impl From<NetworkInterface> for model::NetworkInterface {
    fn from(interface: NetworkInterface) -> Self {
        let mut private_ips: Vec<IpAddr> = interface.private_ip_address.into_iter().collect();
        private_ips.extend(interface.private_ip_addresses.iter().filter_map(|p| p.private_ip_address));
        private_ips.sort();
        private_ips.dedup();
        let mut public_ips: Vec<IpAddr> = interface.association.as_ref().and_then(|a| a.public_ip).into_iter().collect();
        public_ips.extend(interface.private_ip_addresses.iter().filter_map(|p| p.association.as_ref().and_then(|a| a.public_ip)));
        public_ips.sort();
        public_ips.dedup();
        model::NetworkInterface {
            id: interface.network_interface_id,
            subnet_id: interface.subnet_id,
            vpc_id: interface.vpc_id,
            private_ips,
            public_ips,
            security_group_ids: interface.groups.into_iter().map(|g| g.group_id).collect(),
            instance_id: interface.attachment.and_then(|a| a.instance_id),
            interface_type: interface.interface_type,
            description: interface.description,
        }
    }
}

// ---------------------------------------------------------------- prefix lists

/// `describe-prefix-lists` (AWS-managed lists with their CIDRs) and `describe-managed-prefix-lists`
/// share the top-level key `PrefixLists`; the element fields tell them apart.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribePrefixLists {
    pub prefix_lists: Vec<PrefixList>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrefixList {
    pub prefix_list_id: String,
    #[serde(default)]
    pub prefix_list_name: Option<String>,
    #[serde(default)]
    pub cidrs: Option<Vec<IpNet>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrefixListEntries {
    pub entries: Vec<PrefixListEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrefixListEntry {
    pub cidr: IpNet,
}

// ---------------------------------------------------------------- peering and transit gateways

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribePeeringConnections {
    pub vpc_peering_connections: Vec<PeeringConnection>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PeeringConnection {
    pub vpc_peering_connection_id: String,
    #[serde(default)]
    pub requester_vpc_info: Option<PeeringVpcInfo>,
    #[serde(default)]
    pub accepter_vpc_info: Option<PeeringVpcInfo>,
    #[serde(default)]
    pub status: Option<PeeringStatus>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PeeringVpcInfo {
    #[serde(default)]
    pub vpc_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PeeringStatus {
    #[serde(default)]
    pub code: Option<String>,
}

impl From<PeeringConnection> for model::PeeringConnection {
    fn from(peering: PeeringConnection) -> Self {
        model::PeeringConnection {
            id: peering.vpc_peering_connection_id,
            requester_vpc_id: peering.requester_vpc_info.and_then(|i| i.vpc_id),
            accepter_vpc_id: peering.accepter_vpc_info.and_then(|i| i.vpc_id),
            status: peering.status.and_then(|s| s.code),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTransitGatewayAttachments {
    pub transit_gateway_attachments: Vec<TransitGatewayAttachment>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransitGatewayAttachment {
    pub transit_gateway_attachment_id: String,
    #[serde(default)]
    pub transit_gateway_id: Option<String>,
    #[serde(default)]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub resource_id: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
}

impl From<TransitGatewayAttachment> for model::TransitGatewayAttachment {
    fn from(attachment: TransitGatewayAttachment) -> Self {
        model::TransitGatewayAttachment {
            id: attachment.transit_gateway_attachment_id,
            transit_gateway_id: attachment.transit_gateway_id,
            resource_type: attachment.resource_type,
            resource_id: attachment.resource_id,
            state: attachment.state,
        }
    }
}

// ---------------------------------------------------------------- ECR

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeRepositories {
    pub repositories: Vec<Repository>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Repository {
    pub repository_arn: String,
    pub registry_id: String,
    pub repository_name: String,
    #[serde(default)]
    pub repository_uri: Option<String>,
    #[serde(default, deserialize_with = "time::optional")]
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeImages {
    pub image_details: Vec<ImageDetail>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageDetail {
    pub registry_id: String,
    pub repository_name: String,
    pub image_digest: String,
    #[serde(default)]
    pub image_tags: Vec<String>,
    #[serde(default, deserialize_with = "time::optional")]
    pub image_pushed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub image_manifest_media_type: Option<String>,
    #[serde(default)]
    pub artifact_media_type: Option<String>,
    #[serde(default)]
    pub image_size_in_bytes: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryPolicyOutput {
    pub registry_id: String,
    pub repository_name: String,
    pub policy_text: String,
}

// ---------------------------------------------------------------- IAM

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuthorizationDetails {
    #[serde(default)]
    pub role_detail_list: Vec<RoleDetail>,
    #[serde(default)]
    pub policies: Vec<ManagedPolicyDetail>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleDetail {
    pub role_name: String,
    pub arn: String,
    #[serde(default)]
    pub instance_profile_list: Vec<InstanceProfile>,
    #[serde(default)]
    pub role_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceProfile {
    pub instance_profile_name: String,
    pub arn: String,
    #[serde(default)]
    pub roles: Vec<ProfileRole>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProfileRole {
    pub arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    pub policy_name: String,
    pub policy_document: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedPolicy {
    pub policy_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPolicyDetail {
    /// AWS always prints it; moto does not. The ARN ends with it, so it is not needed.
    #[serde(default)]
    pub policy_name: Option<String>,
    pub arn: String,
    #[serde(default)]
    pub default_version_id: Option<String>,
    #[serde(default)]
    pub policy_version_list: Vec<PolicyVersion>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersion {
    #[serde(default)]
    pub document: Option<serde_json::Value>,
    #[serde(default)]
    pub version_id: Option<String>,
    #[serde(default)]
    pub is_default_version: bool,
}

// ---------------------------------------------------------------- CloudTrail and STS

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LookupEvents {
    pub events: Vec<TrailEvent>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TrailEvent {
    pub event_id: String,
    pub event_name: String,
    #[serde(default, deserialize_with = "time::optional")]
    pub event_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub event_source: Option<String>,
    #[serde(default)]
    pub resources: Vec<TrailResource>,
    /// The full event as a JSON string; resource ids are picked out of it.
    #[serde(default)]
    pub cloud_trail_event: Option<String>,
}

/// AWS resource ids (`subnet-0abc...`, `rtbassoc-...`) mentioned anywhere in a text.
pub fn resource_ids(text: &str) -> Vec<String> {
    const PREFIXES: &[&str] =
        &["subnet", "rtb", "rtbassoc", "nat", "igw", "eigw", "sg", "acl", "aclassoc", "vpce", "vpc", "eni", "tgw", "pcx", "i"];
    let mut out: Vec<String> = Vec::new();
    for token in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        let Some((prefix, tail)) = token.rsplit_once('-') else { continue };
        if PREFIXES.contains(&prefix)
            && tail.len() >= 8
            && tail.len() <= 17
            && tail.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            let id = token.to_string();
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TrailResource {
    #[serde(default)]
    pub resource_name: Option<String>,
}

impl From<TrailEvent> for model::TrailEvent {
    fn from(event: TrailEvent) -> Self {
        model::TrailEvent {
            id: event.event_id,
            name: event.event_name,
            time: event.event_time,
            username: event.username,
            source: event.event_source,
            resources: {
                let mut ids: Vec<String> = event.resources.into_iter().filter_map(|r| r.resource_name).collect();
                for id in event.cloud_trail_event.as_deref().map(resource_ids).unwrap_or_default() {
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                ids
            },
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_in_cloudtrail_text() {
        let text = r#"{"requestParameters":{"associationId":"rtbassoc-0699de6921bac8857","subnetId":"subnet-0591e7f615056cdc1"},"x":"i-0abc12345678","no":"sg-XYZ","vpc":"vpc-075da49e833c3ce06"}"#;
        assert_eq!(
            super::resource_ids(text),
            vec!["rtbassoc-0699de6921bac8857", "subnet-0591e7f615056cdc1", "i-0abc12345678", "vpc-075da49e833c3ce06"]
        );
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
}
