//! What traffic may pass: security groups and network ACLs.

use ipnet::IpNet;
use pulldoctor_model as model;
use serde::Deserialize;

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
