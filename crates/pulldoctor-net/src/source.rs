//! The first hop: where a path starts (a node's instance, or any address of a subnet), its
//! subnet, address, security groups and whether it has a public IPv4 address.

use pulldoctor_model::{InputKind, Instance, Model, Subnet};

use crate::address::Address;
use crate::query::Origin;
use crate::recorder::Walk;
use crate::result::{HopKind, HopStatus};
use crate::rules;

/// The source of a path, resolved.
pub(crate) struct Source<'a> {
    pub label: String,
    pub instance: Option<&'a Instance>,
    pub subnet: &'a Subnet,
    pub address: Address,
    /// Whether nodes have a public IPv4 address; `None` when it depends on launch
    /// (`MapPublicIpOnLaunch` of a subnet source).
    pub public_ip: Option<bool>,
    pub groups: Vec<String>,
}

/// Resolve where the path starts and record the source hop; `None` (the walk then stops, unknown)
/// when the bundle lacks the instance or its subnet.
pub(crate) fn resolve<'m>(model: &'m Model, origin: &Origin, walk: &mut Walk) -> Option<Source<'m>> {
    match origin {
        Origin::Instance(id) => {
            let Some(instance) = model.instances.get(id) else {
                walk.hop(
                    HopKind::Source,
                    Some(id),
                    HopStatus::Unknown,
                    format!("instance {id} is not in the bundle (another account or region?)"),
                    None,
                );
                walk.assumptions.push(format!("add {id} with `{}`", InputKind::Instances.command()));
                walk.unknown();
                return None;
            };
            let Some(subnet) = instance.subnet_id.as_ref().and_then(|s| model.subnets.get(s)) else {
                let subnet = instance.subnet_id.clone().unwrap_or_else(|| "(none)".into());
                walk.hop(
                    HopKind::Source,
                    Some(id),
                    HopStatus::Unknown,
                    format!("the instance's subnet {subnet} is not in the bundle"),
                    None,
                );
                walk.assumptions.push(format!("add subnet {subnet} with `{}`", InputKind::Subnets.command()));
                walk.unknown();
                return None;
            };
            let public_ip = instance.public_ip.is_some() || model.interfaces_of_instance(&instance.id).any(|i| !i.public_ips.is_empty());
            let mut groups = instance.security_group_ids.clone();
            for interface in model.interfaces_of_instance(&instance.id) {
                for group in &interface.security_group_ids {
                    if !groups.contains(group) {
                        groups.push(group.clone());
                    }
                }
            }
            let address = rules::node_address(instance.private_ip, subnet.cidr);
            let label = match &instance.private_ip {
                Some(ip) => format!("{} ({ip})", instance.id),
                None => instance.id.clone(),
            };
            walk.hop(
                HopKind::Source,
                Some(&instance.id),
                HopStatus::Info,
                format!(
                    "{label} in {} ({}, {}), security groups {}",
                    subnet.id,
                    subnet.availability_zone.as_deref().unwrap_or("zone ?"),
                    subnet.vpc_id,
                    if groups.is_empty() { "(none)".to_string() } else { groups.join(", ") }
                ),
                None,
            );
            Some(Source { label, instance: Some(instance), subnet, address, public_ip: Some(public_ip), groups })
        }
        Origin::Subnet(id) => {
            let Some(subnet) = model.subnets.get(id) else {
                walk.hop(HopKind::Source, Some(id), HopStatus::Unknown, format!("subnet {id} is not in the bundle"), None);
                walk.unknown();
                return None;
            };
            walk.hop(HopKind::Source, Some(id), HopStatus::Info, format!("any address in {id} ({})", subnet.vpc_id), None);
            walk.assumptions.push("security groups are not evaluated for a subnet source: trace from an instance to include them".into());
            let public_ip = if subnet.map_public_ip_on_launch { None } else { Some(false) };
            Some(Source {
                label: id.clone(),
                instance: None,
                subnet,
                address: rules::node_address(None, subnet.cidr),
                public_ip,
                groups: Vec::new(),
            })
        }
    }
}
