//! The hops that filter packets: the node's security groups (stateful, outbound) and the network
//! ACLs of the subnets a path crosses (stateless: each direction is checked, the replies on the
//! ephemeral ports).

use pulldoctor_model::{Code, InputKind, NetworkAcl};

use crate::address::Address;
use crate::network::Network;
use crate::recorder::{Flow, Walk};
use crate::result::{HopKind, HopStatus};
use crate::rules::{self, Peer};
use crate::source::Source;

/// The Linux kernel's default ephemeral port range (`net.ipv4.ip_local_port_range`): where the
/// registry's replies come back to on a node.
pub(crate) const NODE_EPHEMERAL: (u16, u16) = (32768, 60999);
/// NAT gateways use source ports 1024-65535 for translated connections.
pub(crate) const NAT_EPHEMERAL: (u16, u16) = (1024, 65535);

/// The node's own security groups, outbound to the destination (a subnet source has none to check).
pub(crate) fn check_source_groups(net: &Network, source: &Source, port: u16, address: &Address, walk: &mut Walk) -> Flow {
    if source.instance.is_none() {
        return Flow::Continue;
    }
    if !net.model.inputs.contains(&InputKind::SecurityGroups) {
        walk.hop(HopKind::SecurityGroup, None, HopStatus::Unknown, "security groups are not in the bundle".into(), None);
        walk.assumptions.push(format!("add `{}`", InputKind::SecurityGroups.command()));
        return Flow::Continue;
    }
    let peer = Peer { address, groups: &[] };
    let decision = rules::security_groups_allow(net.model, &source.groups, true, port, &peer);
    let describe = |status: HopStatus| match status {
        HopStatus::Pass => format!("the node's security groups allow tcp {port} to {address}"),
        HopStatus::Unknown => format!("cannot tell whether the node's security groups allow tcp {port} to {address}"),
        _ => format!("the node's security groups do not allow tcp {port} to {address}"),
    };
    if walk.rule_hop(HopKind::SecurityGroup, None, decision, describe).is_none() {
        return Flow::Continue;
    }
    let mut resources = source.groups.clone();
    if let Some(instance) = source.instance {
        resources.push(instance.id.clone());
    }
    walk.block(Code::SgEgressDenied, format!("no egress rule of the node's security groups allows tcp {port} to {address}"), resources)
}

fn acl_of<'m>(net: &Network<'m>, subnet_id: &str, walk: &mut Walk) -> Option<&'m NetworkAcl> {
    if !net.model.inputs.contains(&InputKind::NetworkAcls) {
        let note = format!("network ACLs are not in the bundle: `{}`", InputKind::NetworkAcls.command());
        if !walk.assumptions.contains(&note) {
            walk.assumptions.push(note);
        }
        walk.hop(HopKind::NetworkAcl, Some(subnet_id), HopStatus::Unknown, "network ACLs are not in the bundle".into(), None);
        return None;
    }
    let acl = net.model.network_acl_for_subnet(subnet_id);
    if acl.is_none() {
        walk.hop(
            HopKind::NetworkAcl,
            Some(subnet_id),
            HopStatus::Unknown,
            format!("no network ACL in the bundle is associated with {subnet_id}"),
            None,
        );
    }
    acl
}

/// Check one direction of one subnet's ACL. `egress`: traffic leaving the subnet.
pub(crate) fn check_acl(
    net: &Network,
    subnet_id: &str,
    egress: bool,
    ports: (u16, u16),
    peer: &Address,
    what: &str,
    walk: &mut Walk,
) -> Flow {
    let Some(acl) = acl_of(net, subnet_id, walk) else {
        return Flow::Continue;
    };
    let direction = if egress { "outbound" } else { "inbound" };
    let ports_text = if ports.0 == ports.1 { format!("tcp {}", ports.0) } else { format!("tcp {}-{}", ports.0, ports.1) };
    let preposition = if egress { "to" } else { "from" };
    let decision = rules::network_acl_allows(acl, egress, ports, peer);
    let describe = |status: HopStatus| match status {
        HopStatus::Pass => format!("{} of {what} allows {direction} {ports_text} {preposition} {peer}", acl.id),
        HopStatus::Unknown => format!("cannot tell whether {} allows {direction} {ports_text} {preposition} {peer}", acl.id),
        _ => format!("{} of {what} denies {direction} {ports_text} {preposition} {peer}", acl.id),
    };
    if walk.rule_hop(HopKind::NetworkAcl, Some(&acl.id), decision, describe).is_none() {
        return Flow::Continue;
    }
    // A single port is the request itself; a range is the reply to an ephemeral port.
    let (code, summary) = if ports.0 == ports.1 {
        (Code::NaclEgressDenied, format!("network ACL {} denies {direction} {ports_text} {preposition} {peer}", acl.id))
    } else {
        (
            Code::NaclReturnDenied,
            format!("network ACL {} denies the return traffic ({direction} {ports_text} {preposition} {peer}); ACLs are stateless", acl.id),
        )
    };
    walk.block(code, summary, vec![acl.id.clone(), subnet_id.to_string()])
}
