//! What the chosen route points at: the internet gateway, the egress-only gateway, a NAT gateway
//! ([`crate::nat`]), a VPC endpoint ([`crate::endpoints`]), or a target that leaves what the bundle
//! describes (peering, transit gateway, VPN, an appliance); and, when no route matches, what the
//! missing route should point at.

use pulldoctor_model::{Association, Code, EndpointType, InputKind, Route, RouteState, RouteTarget};

use crate::address::{Address, is_public, is_v6};
use crate::dns::Bypass;
use crate::endpoints;
use crate::nat;
use crate::network::Network;
use crate::recorder::{Flow, Walk};
use crate::result::{HopKind, HopStatus, Service};
use crate::route;
use crate::source::Source;

#[allow(clippy::too_many_arguments)]
pub(crate) fn no_route(
    net: &Network,
    source: &Source,
    table_id: &str,
    association: Association,
    service: &Service,
    address: &Address,
    bypassed: Option<Bypass>,
    walk: &mut Walk,
) {
    let vpc = source.subnet.vpc_id.as_str();
    let mut resources = vec![table_id.to_string(), source.subnet.id.clone()];
    if is_public(address) && !net.has_internet_egress(vpc) {
        let registry_endpoint =
            net.model.endpoints_in_vpc(vpc).any(|e| e.endpoint_type == EndpointType::Interface && e.service_name.ends_with(".ecr.dkr"));
        if let (Service::S3 { .. }, true) = (service, registry_endpoint) {
            let gateway = net.model.endpoints_in_vpc(vpc).find(|e| {
                e.endpoint_type == EndpointType::Gateway && service.endpoint_service().as_deref() == Some(e.service_name.as_str())
            });
            let summary = match gateway {
                Some(endpoint) => {
                    resources.insert(0, endpoint.id.clone());
                    format!(
                        "layers cannot be fetched: the S3 gateway endpoint {} is not associated with {table_id}, and the VPC has no internet egress",
                        endpoint.id
                    )
                }
                None => format!(
                    "layers cannot be fetched: {vpc} has no S3 gateway endpoint and no internet egress, so {table_id} has no route to S3"
                ),
            };
            walk.block(Code::EndpointS3Unreachable, summary, resources);
            return;
        }
        if let Some(Bypass { endpoint, reason, code, dhcp_options }) = bypassed {
            resources.insert(0, endpoint.id.clone());
            if let Some(options) = dhcp_options {
                // the fix starts from the DHCP options set (the first resource), in the VPC
                resources.insert(0, vpc.to_string());
                resources.insert(0, options);
            }
            walk.block(
                code,
                format!(
                    "{} exists but {reason}, so {} resolves to public addresses that {table_id} has no route to",
                    endpoint.id,
                    service.label()
                ),
                resources,
            );
            return;
        }
        if service.endpoint_service().is_some() {
            resources.insert(0, vpc.to_string());
            walk.block(
                Code::EndpointMissing,
                format!(
                    "{vpc} has no internet egress and no {} endpoint, so nothing carries traffic to {}",
                    service.endpoint_service().unwrap_or_default(),
                    service.label()
                ),
                resources,
            );
            return;
        }
    }
    let fix_target = net.suggest_gateway(source);
    if let Some(target) = &fix_target {
        resources.push(target.clone());
    }
    let summary = match association {
        Association::Main => format!(
            "{} has no explicit route-table association and the VPC's main route table {table_id} has no route to {address}",
            source.subnet.id
        ),
        Association::Explicit => format!("route table {table_id} of {} has no route to {address}", source.subnet.id),
    };
    walk.block_with(Code::RouteNoRoute, summary, resources, fix_target);
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn follow(
    net: &Network,
    source: &Source,
    table_id: &str,
    route: &Route,
    address: &Address,
    service: &Service,
    port: u16,
    walk: &mut Walk,
) -> Flow {
    let model = net.model;
    let vpc = source.subnet.vpc_id.as_str();
    let blackhole = route.state == RouteState::Blackhole;
    let internet_bound = is_public(address);
    match &route.target {
        RouteTarget::Local => {
            if internet_bound {
                walk.hop(
                    HopKind::Target,
                    None,
                    HopStatus::Unknown,
                    format!("{address} is public but the local route carries it: the VPC CIDR overlaps it"),
                    None,
                );
                return walk.unknown();
            }
            walk.hop(HopKind::Target, None, HopStatus::Pass, format!("{address} is inside the VPC (local route)"), None);
            walk.assumptions
                .push(format!("{address} is inside the VPC: the security groups and ACL of whatever listens there are not evaluated"));
            walk.uncertain = true;
            Flow::Continue
        }
        RouteTarget::InternetGateway(id) => {
            let Some(gateway) = model.internet_gateways.get(id) else {
                return missing_target(net, id, InputKind::InternetGateways, table_id, route, walk);
            };
            if !gateway.is_attached_to(vpc) {
                let attachments: Vec<String> = gateway.attachments.iter().map(|a| format!("{} {}", a.vpc_id, a.state)).collect();
                let rule = format!("attachments: {attachments:?}");
                return detached(HopKind::InternetGateway, id, vpc, table_id, route, Some(rule), walk);
            }
            if blackhole {
                return walk.blackhole(table_id, route);
            }
            if !is_v6(address) && source.public_ip == Some(false) {
                walk.hop(
                    HopKind::InternetGateway,
                    Some(id),
                    HopStatus::Fail,
                    format!("{id} is attached, but the node has no public IPv4 address: an internet gateway only translates addresses that have one"),
                    None,
                );
                let nat = net.usable_nat_gateways(vpc).first().map(|nat| nat.to_string());
                let mut resources = vec![table_id.to_string(), id.clone(), source.subnet.id.clone()];
                resources.extend(nat.clone());
                return walk.block_with(
                    Code::RouteWrongTarget,
                    format!("{table_id} sends {address} straight to {id}, but nodes in {} have no public IPv4 address; private subnets need a NAT gateway", source.subnet.id),
                    resources,
                    nat,
                );
            }
            if source.public_ip.is_none() {
                walk.assumptions
                    .push(format!("nodes in {} are assumed to have a public IPv4 address (MapPublicIpOnLaunch)", source.subnet.id));
            }
            walk.hop(HopKind::InternetGateway, Some(id), HopStatus::Pass, format!("{id} is attached to {vpc}: out to the internet"), None);
            walk.reach(id)
        }
        RouteTarget::NatGateway(id) => match model.nat_gateways.get(id) {
            Some(nat) => nat::follow(net, source, table_id, route, nat, address, port, walk),
            None => missing_target(net, id, InputKind::NatGateways, table_id, route, walk),
        },
        RouteTarget::EgressOnlyInternetGateway(id) => {
            let Some(gateway) = model.internet_gateways.get(id) else {
                return missing_target(net, id, InputKind::EgressOnlyInternetGateways, table_id, route, walk);
            };
            if !gateway.is_attached_to(vpc) {
                return detached(HopKind::EgressOnlyGateway, id, vpc, table_id, route, None, walk);
            }
            if blackhole {
                return walk.blackhole(table_id, route);
            }
            if !is_v6(address) {
                walk.hop(
                    HopKind::EgressOnlyGateway,
                    Some(id),
                    HopStatus::Fail,
                    "an egress-only internet gateway carries IPv6 only".into(),
                    None,
                );
                return walk.block(
                    Code::RouteWrongTarget,
                    format!("{table_id} sends IPv4 traffic to the egress-only gateway {id}, which carries IPv6 only"),
                    vec![table_id.to_string(), id.clone()],
                );
            }
            walk.hop(HopKind::EgressOnlyGateway, Some(id), HopStatus::Pass, format!("{id} carries IPv6 out to the internet"), None);
            walk.reach(id)
        }
        RouteTarget::VpcEndpoint(id) => match model.vpc_endpoints.get(id) {
            Some(endpoint) => endpoints::follow_gateway(table_id, route, endpoint, address, service, walk),
            None => missing_target(net, id, InputKind::VpcEndpoints, table_id, route, walk),
        },
        RouteTarget::VpcPeering(id) if internet_bound => {
            walk.hop(HopKind::Peering, Some(id), HopStatus::Fail, "a VPC peering connection never carries internet traffic: AWS does not support edge-to-edge routing through a peer's NAT or internet gateway".into(), None);
            let fix_target = net.suggest_gateway(source);
            let mut resources = vec![table_id.to_string(), id.clone()];
            resources.extend(fix_target.clone());
            walk.block_with(
                Code::RouteWrongTarget,
                format!("{table_id} sends {address} to the peering connection {id}, which cannot reach the internet"),
                resources,
                fix_target,
            )
        }
        other => {
            if blackhole {
                return walk.blackhole(table_id, route);
            }
            let (kind, what) = match other {
                RouteTarget::TransitGateway(_) => {
                    (HopKind::TransitGateway, "the transit gateway's route tables and the egress VPC's NAT and firewall")
                }
                RouteTarget::VpcPeering(_) => (HopKind::Peering, "the peer VPC's route tables, security groups and ACLs"),
                RouteTarget::VpnGateway(_) => (HopKind::VpnGateway, "the on-premises network behind the VPN"),
                RouteTarget::NetworkInterface(_) | RouteTarget::Instance(_) => {
                    (HopKind::Appliance, "the appliance (proxy, firewall or NAT instance) behind that interface")
                }
                _ => (HopKind::Gateway, "the network behind that target"),
            };
            let target = other.id().to_string();
            walk.hop(kind, Some(&target), HopStatus::Unknown, format!("the path leaves the VPC through {target}; check {what}"), None);
            walk.leaves_scope(
                format!("{table_id} sends {address} to {target}: the rest of the path is outside what the bundle describes; check {what}"),
                vec![target, table_id.to_string()],
            )
        }
    }
}

/// The route points at an internet gateway (of either kind) that is not attached to the VPC.
fn detached(kind: HopKind, id: &str, vpc: &str, table_id: &str, route: &Route, rule: Option<String>, walk: &mut Walk) -> Flow {
    walk.hop(kind, Some(id), HopStatus::Fail, format!("{id} is not attached to {vpc}"), rule);
    walk.block(
        Code::IgwDetached,
        format!("the route {} points at {id}, which is not attached to {vpc}", route::text(route)),
        vec![id.to_string(), table_id.to_string()],
    )
}

fn missing_target(net: &Network, id: &str, kind: InputKind, table_id: &str, route: &Route, walk: &mut Walk) -> Flow {
    if net.model.inputs.contains(&kind) {
        walk.hop(
            HopKind::Target,
            Some(id),
            HopStatus::Fail,
            format!("{id} does not exist (not in the bundle's `{}`)", kind.command()),
            None,
        );
        walk.block(
            Code::RouteBlackhole,
            format!("the route {} points at {id}, which no longer exists", route::text(route)),
            vec![table_id.to_string(), id.to_string()],
        )
    } else {
        walk.hop(HopKind::Target, Some(id), HopStatus::Unknown, format!("{id} cannot be checked: add `{}`", kind.command()), None);
        walk.assumptions.push(format!("add `{}` to check {id}", kind.command()));
        walk.unknown()
    }
}
