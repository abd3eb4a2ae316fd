//! A traced path cut into the stages the drawing shows, each a box: the node, its route table,
//! what the traffic leaves by (a gateway, an endpoint, a peering), the host.

use pulldoctor_diagnosis::report::{Association, Hop, HopStatus, PathGroup, PathMember, Service};

use super::Column;

/// One stage of a path: the box it is drawn as, and the hops it holds.
pub(super) struct Stage<'a> {
    pub(super) key: String,
    pub(super) column: Column,
    pub(super) kind: &'static str,
    pub(super) title: String,
    pub(super) lines: Vec<String>,
    /// The hops it holds, with their place in the path.
    pub(super) hops: Vec<(usize, &'a Hop)>,
}

fn is_target(kind: &str) -> bool {
    matches!(
        kind,
        "target"
            | "internet-gateway"
            | "egress-only-gateway"
            | "nat-gateway"
            | "gateway-endpoint"
            | "interface-endpoint"
            | "gateway-load-balancer-endpoint"
            | "peering"
            | "transit-gateway"
            | "vpn-gateway"
            | "appliance"
            | "gateway"
    )
}

fn kind_name(kind: &str) -> &'static str {
    match kind {
        "internet-gateway" => "internet gateway",
        "egress-only-gateway" => "egress-only internet gateway",
        "nat-gateway" => "NAT gateway",
        "gateway-endpoint" => "gateway endpoint",
        "interface-endpoint" => "interface endpoint",
        "gateway-load-balancer-endpoint" => "gateway load balancer endpoint",
        "peering" => "VPC peering",
        "transit-gateway" => "transit gateway",
        "vpn-gateway" => "VPN gateway",
        "appliance" => "appliance (instance or interface)",
        _ => "route target",
    }
}

fn static_kind(kind: &str) -> &'static str {
    match kind {
        "internet-gateway" => "internet-gateway",
        "egress-only-gateway" => "egress-only-gateway",
        "nat-gateway" => "nat-gateway",
        "gateway-endpoint" => "gateway-endpoint",
        "interface-endpoint" => "interface-endpoint",
        "gateway-load-balancer-endpoint" => "gateway-load-balancer-endpoint",
        "peering" => "peering",
        "transit-gateway" => "transit-gateway",
        "vpn-gateway" => "vpn-gateway",
        "appliance" => "appliance",
        _ => "gateway",
    }
}

/// The endpoint service a path's host needs.
fn endpoint_service(service: &Service) -> &'static str {
    match service {
        Service::EcrRegistry { .. } => "ecr.dkr",
        Service::EcrApi { .. } => "ecr.api",
        Service::S3 { .. } => "s3",
        Service::Other => "registry",
    }
}

pub(super) fn host_of(to: &str) -> &str {
    let host = to.split_whitespace().next().unwrap_or(to);
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty() => name,
        _ => host,
    }
}

/// The stages one path crosses, in order.
pub(super) fn stages<'a>(group: &'a PathGroup, member: &PathMember) -> Vec<Stage<'a>> {
    let result = &group.result;
    let subnet = member.subnet_id.clone().or_else(|| result.subnet_id.clone());
    let source_key = subnet.as_ref().map_or_else(|| format!("source:{}", member.from), |s| format!("subnet:{s}"));
    let mut source = Stage {
        key: source_key,
        column: Column::Source,
        kind: "subnet",
        title: subnet.clone().unwrap_or_else(|| member.from.clone()),
        lines: Vec::new(),
        hops: Vec::new(),
    };
    let mut route_table = result.route_table_id.as_ref().map(|id| Stage {
        key: format!("rtb:{id}"),
        column: Column::RouteTable,
        kind: "route-table",
        title: id.clone(),
        lines: vec![match result.association {
            Some(Association::Main) => "main route table (implicit: no explicit association)".to_string(),
            Some(Association::Explicit) => "explicitly associated".to_string(),
            None => "route table".to_string(),
        }],
        hops: Vec::new(),
    });
    let mut egress: Option<Stage> = None;
    let source_acl = result.hops.iter().find(|h| h.kind == "network-acl").and_then(|h| h.resource.clone());
    let route_at = result.hops.iter().position(|h| h.kind == "route-table");
    let last = result.hops.len().saturating_sub(1);
    // An interface endpoint chosen by DNS is where the path leaves, though its hop comes first.
    let chosen_endpoint = result.hops[..route_at.unwrap_or(result.hops.len())]
        .iter()
        .find(|h| h.kind == "interface-endpoint" && h.resource.is_some())
        .and_then(|h| h.resource.as_deref().map(str::to_string));
    let make_egress = |hop: &Hop, resource: &str| Stage {
        key: format!("egress:{resource}"),
        column: Column::Egress,
        kind: static_kind(hop.kind),
        title: resource.to_string(),
        lines: vec![match hop.kind {
            "interface-endpoint" | "gateway-endpoint" => format!("{} for {}", kind_name(hop.kind), endpoint_service(&result.service)),
            kind => kind_name(kind).to_string(),
        }],
        hops: Vec::new(),
    };
    for (index, hop) in result.hops.iter().enumerate() {
        let after_route = route_at.is_some_and(|at| index > at);
        if Some(index) == route_at {
            match &mut route_table {
                Some(stage) => stage.hops.push((index, hop)),
                None => source.hops.push((index, hop)),
            }
            continue;
        }
        if !after_route {
            if hop.kind == "interface-endpoint" && hop.status == HopStatus::Info {
                continue;
            }
            source.hops.push((index, hop));
            continue;
        }
        // Return traffic refused by the node's own subnet ACL belongs to the subnet.
        if index == last && hop.kind == "network-acl" && hop.resource.is_some() && hop.resource == source_acl && egress.is_some() {
            source.hops.push((index, hop));
            continue;
        }
        if egress.is_none() {
            let own = (is_target(hop.kind) || hop.kind.starts_with("endpoint-")).then(|| hop.resource.as_deref().map(str::to_string));
            if let Some(resource) = chosen_endpoint.clone().or_else(|| own.flatten()) {
                // Drawn as the gateway or endpoint it is, though a policy or security group hop names it first.
                let shape =
                    result.hops.iter().find(|h| is_target(h.kind) && h.resource.as_deref() == Some(resource.as_str())).unwrap_or(hop);
                egress = Some(make_egress(shape, &resource));
            }
        }
        match &mut egress {
            Some(stage) => {
                // The NAT gateway's own way out, named on its box.
                if stage.kind == "nat-gateway"
                    && hop.kind == "internet-gateway"
                    && let Some(gateway) = &hop.resource
                {
                    let line = format!("then {gateway} to the internet");
                    if !stage.lines.contains(&line) {
                        stage.lines.push(line);
                    }
                }
                stage.hops.push((index, hop));
            }
            None => match &mut route_table {
                Some(stage) => stage.hops.push((index, hop)),
                None => source.hops.push((index, hop)),
            },
        }
    }
    let host = host_of(&result.to).to_string();
    let (kind, title) = match &result.service {
        Service::EcrRegistry { .. } => ("registry", "registry (ECR)"),
        Service::EcrApi { .. } => ("ecr-api", "ECR API (tokens)"),
        Service::S3 { .. } => ("s3", "S3 (image layers)"),
        Service::Other => ("registry", "registry"),
    };
    let destination = Stage {
        key: format!("host:{host}"),
        column: Column::Destination,
        kind,
        title: title.to_string(),
        lines: vec![host],
        hops: Vec::new(),
    };
    let mut out = vec![source];
    out.extend(route_table);
    out.extend(egress);
    out.push(destination);
    out
}
