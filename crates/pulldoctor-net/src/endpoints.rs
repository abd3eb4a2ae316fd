//! VPC endpoints: gateway endpoints (S3) and Gateway Load Balancer endpoints that a route points
//! at, and interface endpoints that DNS resolves a service to, with the security groups and ACLs
//! on both sides. Their policies are evaluated in [`crate::policy`].

use pulldoctor_model::{Code, EndpointType, InputKind, NetworkInterface, Route, RouteState, RouteTarget, Subnet, VpcEndpoint};

use crate::address::Address;
use crate::filters::{NODE_EPHEMERAL, check_acl};
use crate::network::Network;
use crate::policy;
use crate::query::Target;
use crate::recorder::{Flow, Walk};
use crate::result::{HopKind, HopStatus, Service, service_of};
use crate::route;
use crate::rules::{self, Peer};
use crate::source::Source;

/// What a pull asks S3 for: ECR's image layers, objects of the region's layer bucket.
const LAYER_DOWNLOAD: &str = "s3:GetObject";

fn layer_objects(region: &str) -> String {
    format!("arn:aws:s3:::prod-{region}-starport-layer-bucket/*")
}

/// A route to a VPC endpoint: a gateway endpoint carries S3 (under its policy); a Gateway Load
/// Balancer endpoint hands the traffic to a firewall appliance, outside what the bundle shows.
pub(crate) fn follow_gateway(
    table_id: &str,
    route: &Route,
    endpoint: &VpcEndpoint,
    address: &Address,
    service: &Service,
    walk: &mut Walk,
) -> Flow {
    let id = &endpoint.id;
    let blackhole = route.state == RouteState::Blackhole;
    if blackhole || endpoint.state != "available" {
        walk.hop(HopKind::GatewayEndpoint, Some(id), HopStatus::Fail, format!("{id} is {}", endpoint.state), None);
        return walk.block(
            Code::EndpointMissing,
            format!("the gateway endpoint {id} is {}, so its route carries nothing", endpoint.state),
            vec![id.clone(), table_id.to_string()],
        );
    }
    if endpoint.endpoint_type == EndpointType::GatewayLoadBalancer {
        walk.hop(
            HopKind::GatewayLoadBalancerEndpoint,
            Some(id),
            HopStatus::Unknown,
            format!("{id} sends traffic to a firewall appliance behind a Gateway Load Balancer"),
            None,
        );
        return walk.leaves_scope(
            format!("{table_id} sends {address} to the firewall endpoint {id}: whether the appliance lets it through is outside what the bundle shows (check its rules for {})", service.label()),
            vec![id.clone(), table_id.to_string()],
        );
    }
    if let Service::S3 { region } = service
        && endpoint.service_name == format!("com.amazonaws.{region}.s3")
    {
        if let Flow::Stop = policy::check(endpoint, LAYER_DOWNLOAD, &layer_objects(region), None, walk) {
            return Flow::Stop;
        }
        walk.hop(
            HopKind::GatewayEndpoint,
            Some(id),
            HopStatus::Pass,
            format!("the S3 gateway endpoint {id} carries the layer downloads"),
            None,
        );
        return walk.reach(id);
    }
    walk.hop(
        HopKind::GatewayEndpoint,
        Some(id),
        HopStatus::Fail,
        format!("{id} serves {}, not {}", endpoint.service_name, service.label()),
        None,
    );
    walk.block(
        Code::RouteWrongTarget,
        format!("{table_id} sends {address} to {id}, an endpoint for {}", endpoint.service_name),
        vec![table_id.to_string(), id.clone()],
    )
}

/// DNS sends the path to an interface endpoint: its state, which of its interfaces the node talks
/// to, the node's security groups and subnet ACL towards it, the local route, the endpoint
/// subnet's ACL, the endpoint's security groups, and its policy.
pub(crate) fn follow_interface(net: &Network, source: &Source, target: &Target, port: u16, endpoint: &VpcEndpoint, walk: &mut Walk) {
    let model = net.model;
    if endpoint.state != "available" {
        walk.hop(HopKind::InterfaceEndpoint, Some(&endpoint.id), HopStatus::Fail, format!("{} is {}", endpoint.id, endpoint.state), None);
        walk.block(
            Code::EndpointMissing,
            format!("the interface endpoint {} for {} is {}, not available", endpoint.id, endpoint.service_name, endpoint.state),
            vec![endpoint.id.clone()],
        );
        return;
    }
    // Which endpoint interface the node talks to: the dialled one, else the one in the node's zone.
    let interfaces: Vec<&NetworkInterface> =
        endpoint.network_interface_ids.iter().filter_map(|id| model.network_interfaces.get(id)).collect();
    let zone = source.subnet.availability_zone.as_deref();
    let chosen = target
        .address
        .and_then(|ip| interfaces.iter().find(|i| i.private_ips.contains(&ip)).copied())
        .or_else(|| {
            interfaces
                .iter()
                .find(|i| i.subnet_id.as_ref().and_then(|s| model.subnets.get(s)).and_then(|s| s.availability_zone.as_deref()) == zone)
                .copied()
        })
        .or_else(|| interfaces.first().copied());
    let endpoint_subnet = chosen.and_then(|i| i.subnet_id.clone()).or_else(|| {
        let subnets: Vec<&Subnet> = endpoint.subnet_ids.iter().filter_map(|s| model.subnets.get(s)).collect();
        let by_address = target.address.and_then(|ip| subnets.iter().find(|s| s.cidr.is_some_and(|c| c.contains(&ip))));
        by_address
            .or_else(|| subnets.iter().find(|s| s.availability_zone.as_deref() == zone))
            .or_else(|| subnets.first())
            .map(|s| s.id.clone())
    });
    // An interface address outside its own subnet is impossible in AWS (moto makes such ones):
    // then the subnet is the destination, as when no interface is known.
    let subnet_cidr = endpoint_subnet.as_ref().and_then(|s| model.subnets.get(s)).and_then(|s| s.cidr);
    let interface_ip = chosen.and_then(|i| i.private_ips.first().copied());
    let interface_ip = match (interface_ip, subnet_cidr) {
        (Some(ip), Some(cidr)) if !cidr.contains(&ip) => {
            walk.assumptions.push(format!(
                "the interface of {} has the address {ip}, outside its subnet {cidr}: traced to the subnet instead",
                endpoint.id
            ));
            None
        }
        (ip, _) => ip,
    };
    let address = match (target.address, interface_ip) {
        (Some(ip), _) => Address::Known { ip },
        (None, Some(ip)) => Address::Known { ip },
        (None, None) => {
            let cidr = endpoint_subnet.as_ref().and_then(|s| model.subnets.get(s)).and_then(|s| s.cidr);
            Address::Set {
                label: format!("{}'s subnet {}", endpoint.id, endpoint_subnet.clone().unwrap_or_default()),
                cidrs: cidr.into_iter().collect(),
                service: false,
            }
        }
    };
    walk.address = Some(address.clone());
    walk.hop(
        HopKind::InterfaceEndpoint,
        Some(&endpoint.id),
        HopStatus::Info,
        format!(
            "{} ({}) in {}, security groups {}",
            endpoint.id,
            endpoint.service_name,
            endpoint_subnet.as_deref().unwrap_or("?"),
            endpoint.security_group_ids.join(", ")
        ),
        None,
    );
    // The endpoint's own groups are authoritative; its interfaces carry the same ones.
    let endpoint_groups: Vec<String> = if endpoint.security_group_ids.is_empty() {
        chosen.map(|i| i.security_group_ids.clone()).unwrap_or_default()
    } else {
        endpoint.security_group_ids.clone()
    };
    // the node's own groups, towards the endpoint (which may be named by group)
    if source.instance.is_some() && model.inputs.contains(&InputKind::SecurityGroups) {
        let peer = Peer { address: &address, groups: &endpoint_groups };
        let decision = rules::security_groups_allow(model, &source.groups, true, port, &peer);
        let describe = |status: HopStatus| match status {
            HopStatus::Pass => format!("the node's security groups allow tcp {port} to the endpoint"),
            HopStatus::Unknown => "cannot tell whether the node's security groups allow the endpoint".to_string(),
            _ => format!("the node's security groups do not allow tcp {port} to the endpoint {address}"),
        };
        if walk.rule_hop(HopKind::SecurityGroup, None, decision, describe).is_some() {
            walk.block(
                Code::SgEgressDenied,
                format!("no egress rule of the node's security groups allows tcp {port} to the endpoint {}", endpoint.id),
                source.groups.clone(),
            );
            return;
        }
    }
    if let Flow::Stop = check_acl(net, &source.subnet.id, true, (port, port), &address, "the node's subnet", walk) {
        return;
    }
    if let Some((table, _)) = model.effective_route_table(&source.subnet.id) {
        let selection = route::select(model, table, &address);
        match selection.route {
            Some(route) if route.target == RouteTarget::Local => {
                walk.hop(
                    HopKind::RouteTable,
                    Some(&table.id),
                    HopStatus::Pass,
                    format!("{address} is inside the VPC: {}", route::text(route)),
                    Some(route::text(route)),
                );
            }
            Some(route) => {
                walk.hop(
                    HopKind::RouteTable,
                    Some(&table.id),
                    HopStatus::Unknown,
                    format!("{address} takes {} rather than the local route", route::text(route)),
                    None,
                );
            }
            None => {
                walk.hop(
                    HopKind::RouteTable,
                    Some(&table.id),
                    HopStatus::Unknown,
                    format!("no route in {} covers {address}", table.id),
                    None,
                );
            }
        }
    }
    // the endpoint's side
    if let Some(endpoint_subnet) = endpoint_subnet.as_deref()
        && endpoint_subnet != source.subnet.id
    {
        for (egress, ports, what) in
            [(false, (port, port), "the endpoint's subnet"), (true, NODE_EPHEMERAL, "the endpoint's subnet (return to the node)")]
        {
            if let Flow::Stop = check_acl(net, endpoint_subnet, egress, ports, &source.address, what, walk) {
                return;
            }
        }
    }
    if model.inputs.contains(&InputKind::SecurityGroups) {
        let peer = Peer { address: &source.address, groups: &source.groups };
        let decision = rules::security_groups_allow(model, &endpoint_groups, false, port, &peer);
        let describe = |status: HopStatus| match status {
            HopStatus::Pass => format!("the endpoint's security groups admit tcp {port} from the node"),
            HopStatus::Unknown => "cannot tell whether the endpoint's security groups admit the node".to_string(),
            _ => format!("the endpoint's security groups do not admit tcp {port} from {}", source.address),
        };
        if walk.rule_hop(HopKind::EndpointSecurityGroup, None, decision, describe).is_some() {
            let mut resources = vec![endpoint.id.clone()];
            resources.extend(endpoint_groups.iter().cloned());
            walk.block(
                Code::EndpointSgDenied,
                format!("the security groups of {} do not admit tcp {port} from the node ({})", endpoint.id, source.address),
                resources,
            );
            return;
        }
    }
    let (action, resource) = match service_of(target.host.as_deref().unwrap_or_default()) {
        Service::EcrApi { .. } => ("ecr:GetAuthorizationToken", "*".to_string()),
        Service::S3 { region } => (LAYER_DOWNLOAD, layer_objects(&region)),
        _ => ("ecr:BatchGetImage", target.repository_arn.clone().unwrap_or_else(|| "*".into())),
    };
    if let Flow::Stop = policy::check(endpoint, action, &resource, target.principal_arn.as_deref(), walk) {
        return;
    }
    walk.hop(
        HopKind::InterfaceEndpoint,
        Some(&endpoint.id),
        HopStatus::Pass,
        format!("{} serves {}", endpoint.id, endpoint.service_name),
        None,
    );
    walk.reach(&endpoint.id);
}
