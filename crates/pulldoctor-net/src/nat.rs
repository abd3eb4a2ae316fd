//! NAT gateways: state and kind, the NAT subnet's ACL (from the node, and the reply back to it),
//! then the leg from the NAT's subnet out: that subnet's ACL both ways, its route table, its
//! internet gateway. The leg does not depend on the node, so a walk records it once per NAT
//! gateway and destination and replays it for the next node.

use pulldoctor_model::{Code, InputKind, NatGateway, Route, RouteState, RouteTarget};

use crate::address::{Address, is_public};
use crate::filters::{NAT_EPHEMERAL, NODE_EPHEMERAL, check_acl};
use crate::network::Network;
use crate::recorder::{Flow, Walk};
use crate::result::{HopKind, HopStatus};
use crate::route;
use crate::source::Source;

/// A route to a NAT gateway: its state and kind, the ACL of its subnet towards the node, then the
/// leg from its subnet out (recorded once per NAT gateway and destination, replayed after).
#[allow(clippy::too_many_arguments)]
pub(crate) fn follow(
    net: &Network,
    source: &Source,
    table_id: &str,
    route: &Route,
    nat: &NatGateway,
    address: &Address,
    port: u16,
    walk: &mut Walk,
) -> Flow {
    let id = nat.id.as_str();
    if nat.state != "available" {
        walk.hop(
            HopKind::NatGateway,
            Some(id),
            HopStatus::Fail,
            format!("{id} is {}{}", nat.state, nat.failure_message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()),
            Some(route::text(route)),
        );
        let fix_target = net.suggest_gateway(source).filter(|t| t != id);
        let mut resources = vec![id.to_string(), table_id.to_string()];
        resources.extend(fix_target.clone());
        return walk.block_with(
            Code::NatUnavailable,
            format!("{table_id} routes {address} to {id}, which is {}", nat.state),
            resources,
            fix_target,
        );
    }
    if route.state == RouteState::Blackhole {
        return walk.blackhole(table_id, route);
    }
    if nat.connectivity_type != "public" && is_public(address) {
        walk.hop(
            HopKind::NatGateway,
            Some(id),
            HopStatus::Fail,
            format!("{id} is a private NAT gateway: it cannot reach the internet"),
            None,
        );
        return walk.block(
            Code::RouteWrongTarget,
            format!("{table_id} sends {address} to the private NAT gateway {id}, which has no internet access"),
            vec![table_id.to_string(), id.to_string()],
        );
    }
    let Some(nat_subnet) = nat.subnet_id.as_deref() else {
        walk.hop(HopKind::NatGateway, Some(id), HopStatus::Unknown, format!("the bundle does not say which subnet {id} is in"), None);
        return walk.unknown();
    };
    walk.hop(
        HopKind::NatGateway,
        Some(id),
        HopStatus::Pass,
        format!(
            "{id} is available ({}), in {nat_subnet}{}",
            nat.connectivity_type,
            nat.public_ips.first().map(|ip| format!(", public address {ip}")).unwrap_or_default()
        ),
        None,
    );
    // The NAT subnet's ACL sees the node's packet arrive, and the reply leave towards the node;
    // both depend on the node. What follows (out to the registry, the reply, the NAT subnet's
    // route) does not, and is walked once per NAT gateway and destination.
    let node = &source.address;
    if nat_subnet != source.subnet.id {
        for (egress, ports, what) in [
            (false, (port, port), "the NAT gateway's subnet (from the node)"),
            (true, NODE_EPHEMERAL, "the NAT gateway's subnet (return to the node)"),
        ] {
            if let Flow::Stop = check_acl(net, nat_subnet, egress, ports, node, what, walk) {
                return Flow::Stop;
            }
        }
    }
    let key = (id.to_string(), address_key(address), port, nat_subnet == source.subnet.id);
    if let Some(flow) = walk.replay_nat_leg(&key) {
        return flow;
    }
    let mark = walk.mark();
    let flow = egress_leg(net, id, nat_subnet, source.subnet.id.as_str(), address, port, walk);
    walk.record_nat_leg(key, mark, flow);
    flow
}

/// From a NAT gateway's subnet to the destination: that subnet's ACL both ways, its route
/// table, and the internet gateway.
fn egress_leg(net: &Network, id: &str, nat_subnet: &str, source_subnet: &str, address: &Address, port: u16, walk: &mut Walk) -> Flow {
    let model = net.model;
    if nat_subnet != source_subnet {
        for (egress, ports, what) in [
            (true, (port, port), "the NAT gateway's subnet (to the registry)"),
            (false, NAT_EPHEMERAL, "the NAT gateway's subnet (return traffic)"),
        ] {
            if let Flow::Stop = check_acl(net, nat_subnet, egress, ports, address, what, walk) {
                return Flow::Stop;
            }
        }
    }
    let Some((nat_table, _)) = model.effective_route_table(nat_subnet) else {
        walk.hop(
            HopKind::RouteTable,
            Some(nat_subnet),
            HopStatus::Unknown,
            format!("no route table in the bundle applies to the NAT subnet {nat_subnet}"),
            None,
        );
        return walk.unknown();
    };
    let selection = route::select(model, nat_table, address);
    match selection.route {
        None => {
            walk.hop(
                HopKind::RouteTable,
                Some(&nat_table.id),
                HopStatus::Fail,
                format!("the NAT gateway's subnet {nat_subnet} uses {}, which has no route to {address}", nat_table.id),
                None,
            );
            walk.block(
                Code::NatNoInternetRoute,
                format!("{id} sits in {nat_subnet}, whose route table {} has no route to an internet gateway", nat_table.id),
                vec![nat_table.id.clone(), id.to_string(), nat_subnet.to_string()],
            )
        }
        Some(nat_route) => match &nat_route.target {
            RouteTarget::InternetGateway(igw) => {
                let attached = model.internet_gateways.get(igw).map(|g| g.is_attached_to(&nat_table.vpc_id));
                match attached {
                    Some(true) if nat_route.state == RouteState::Active => {
                        walk.hop(
                            HopKind::RouteTable,
                            Some(&nat_table.id),
                            HopStatus::Pass,
                            format!("the NAT subnet's table {} routes {address} via {}", nat_table.id, route::text(nat_route)),
                            Some(route::text(nat_route)),
                        );
                        walk.hop(
                            HopKind::InternetGateway,
                            Some(igw),
                            HopStatus::Pass,
                            format!("{igw} is attached: out to the internet"),
                            None,
                        );
                        walk.reach(id)
                    }
                    Some(false) => {
                        walk.hop(
                            HopKind::InternetGateway,
                            Some(igw),
                            HopStatus::Fail,
                            format!("{igw} is not attached to {}", nat_table.vpc_id),
                            None,
                        );
                        walk.block(
                            Code::IgwDetached,
                            format!("the NAT subnet's route table {} points at {igw}, which is detached", nat_table.id),
                            vec![igw.clone(), nat_table.id.clone(), id.to_string()],
                        )
                    }
                    None if !model.inputs.contains(&InputKind::InternetGateways) => {
                        walk.hop(
                            HopKind::InternetGateway,
                            Some(igw),
                            HopStatus::Unknown,
                            "internet gateways are not in the bundle".into(),
                            None,
                        );
                        walk.unknown()
                    }
                    _ => {
                        walk.hop(
                            HopKind::RouteTable,
                            Some(&nat_table.id),
                            HopStatus::Fail,
                            format!("{} is a blackhole", route::text(nat_route)),
                            None,
                        );
                        walk.block(
                            Code::NatNoInternetRoute,
                            format!(
                                "{id} sits in {nat_subnet}, whose route table {} sends {address} to a gateway that is gone ({})",
                                nat_table.id,
                                route::text(nat_route)
                            ),
                            vec![nat_table.id.clone(), id.to_string(), nat_subnet.to_string()],
                        )
                    }
                }
            }
            RouteTarget::TransitGateway(_) | RouteTarget::NetworkInterface(_) | RouteTarget::VpcEndpoint(_) => {
                let target = nat_route.target.id().to_string();
                walk.hop(
                    HopKind::RouteTable,
                    Some(&nat_table.id),
                    HopStatus::Unknown,
                    format!("the NAT subnet's table {} sends {address} on to {target}", nat_table.id),
                    Some(route::text(nat_route)),
                );
                walk.leaves_scope(
                    format!("after {id}, the path goes on to {target}, outside what the bundle describes"),
                    vec![target, nat_table.id.clone()],
                )
            }
            _ => {
                walk.hop(
                    HopKind::RouteTable,
                    Some(&nat_table.id),
                    HopStatus::Fail,
                    format!(
                        "the NAT subnet's table {} sends {address} to {}, not to an internet gateway",
                        nat_table.id,
                        route::text(nat_route)
                    ),
                    None,
                );
                walk.block(
                    Code::NatNoInternetRoute,
                    format!(
                        "{id} sits in {nat_subnet}, whose route table {} has no route to an internet gateway ({} instead)",
                        nat_table.id,
                        route::text(nat_route)
                    ),
                    vec![nat_table.id.clone(), id.to_string(), nat_subnet.to_string()],
                )
            }
        },
    }
}

/// The destination, as the key of a recorded leg.
fn address_key(address: &Address) -> String {
    match address {
        Address::Known { ip } => ip.to_string(),
        Address::Set { label, .. } => label.clone(),
        Address::AnyPublic { v6 } => if *v6 { "any-public-v6" } else { "any-public-v4" }.to_string(),
    }
}
