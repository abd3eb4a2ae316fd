//! Where traffic goes: VPCs, subnets, route tables, gateways, endpoints, prefix lists, peering
//! and transit gateways.

use std::net::IpAddr;

use ipnet::IpNet;
use pulldoctor_model as model;
use serde::Deserialize;

use super::{GroupIdentifier, Tag, name_tag};

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
    pub dhcp_options_id: Option<String>,
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
            // `default` is how the API (and moto) says the VPC has no DHCP options set
            dhcp_options_id: vpc.dhcp_options_id.filter(|id| !id.is_empty() && id != "default"),
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
    pub route_table_association_id: Option<String>,
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
        let live: Vec<&RouteTableAssociation> = table
            .associations
            .iter()
            .filter(|a| {
                !matches!(
                    a.association_state.as_ref().and_then(|s| s.state.as_deref()),
                    Some("disassociated" | "disassociating" | "failed")
                )
            })
            .collect();
        let subnet_ids = live.iter().filter_map(|a| a.subnet_id.clone()).collect();
        let association_ids = live
            .iter()
            .filter_map(|a| {
                let key = if a.main { "main".to_string() } else { a.subnet_id.clone()? };
                Some((key, a.route_table_association_id.clone()?))
            })
            .collect();
        model::RouteTable {
            association_ids,
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
