//! The nodes' machines: instances and network interfaces.

use std::net::IpAddr;

use pulldoctor_model as model;
use serde::Deserialize;

use super::{GroupIdentifier, Tag, name_tag};

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
