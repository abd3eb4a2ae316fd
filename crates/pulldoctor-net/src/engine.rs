//! The engine and the order of the walk: the source, DNS, then either an interface endpoint or
//! the node's security groups, its subnet's ACL, the route table and what its route points at,
//! and the ACL again for the reply. Each hop lives in a module of its own (see the crate docs).

use pulldoctor_model::{Association, InputKind, Model, RouteState, RouteTable};

use crate::dns;
use crate::endpoints;
use crate::filters::{self, NODE_EPHEMERAL};
use crate::network::Network;
use crate::query::{Origin, Target};
use crate::recorder::{Flow, Interner, Walk};
use crate::result::{HopKind, HopStatus, PathResult, Service, Verdict, service_of};
use crate::route;
use crate::source::{self, Source};
use crate::targets;

/// The path engine over one model. Construction precomputes each VPC's usable egress once.
pub struct Engine<'m> {
    network: Network<'m>,
    /// How many threads [`Engine::trace_all`] may use.
    threads: usize,
}

impl<'m> Engine<'m> {
    /// An engine that traces on one thread.
    pub fn new(model: &'m Model) -> Self {
        Engine { network: Network::new(model), threads: 1 }
    }

    /// Let [`Engine::trace_all`] use up to `threads` threads (0 or 1: the calling thread only).
    /// The caller decides: the engine does not look at the machine.
    pub fn with_threads(self, threads: usize) -> Self {
        Engine { threads, ..self }
    }

    pub fn model(&self) -> &'m Model {
        self.network.model
    }

    /// NAT gateways of the VPC that are available, public, and whose own subnet routes to an
    /// attached internet gateway: the gateways a missing route could point at.
    pub fn usable_nat_gateways(&self, vpc: &str) -> Vec<&str> {
        self.network.usable_nat_gateways(vpc)
    }

    /// Internet gateways attached to the VPC.
    pub fn attached_internet_gateways(&self, vpc: &str) -> Vec<&str> {
        self.network.attached_internet_gateways(vpc)
    }

    /// Trace many paths on the engine's threads; results come back in input order.
    pub fn trace_all(&self, queries: &[(Origin, Target)]) -> Vec<PathResult> {
        let threads = self.threads.min(queries.len().max(1));
        if threads <= 1 || queries.len() < 64 {
            let mut interner = Interner::default();
            return queries.iter().map(|(origin, target)| self.trace_with(origin, target, &mut interner)).collect();
        }
        let chunk = queries.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let workers: Vec<_> = queries
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        let mut interner = Interner::default();
                        part.iter().map(|(origin, target)| self.trace_with(origin, target, &mut interner)).collect::<Vec<_>>()
                    })
                })
                .collect();
            workers.into_iter().flat_map(|worker| worker.join().expect("a path trace panicked")).collect()
        })
    }

    /// Trace the path from `origin` to `target`.
    pub fn trace(&self, origin: &Origin, target: &Target) -> PathResult {
        self.trace_with(origin, target, &mut Interner::default())
    }

    /// [`Engine::trace`], sharing hop texts with earlier traces through `interner`.
    pub fn trace_with(&self, origin: &Origin, target: &Target, interner: &mut Interner) -> PathResult {
        let port = if target.port == 0 { 443 } else { target.port };
        let service = target.host.as_deref().map(service_of).unwrap_or(Service::Other);
        let to = match (&target.host, target.address) {
            (Some(host), Some(ip)) => format!("{host}:{port} ({ip})"),
            (Some(host), None) => format!("{host}:{port}"),
            (None, Some(ip)) => format!("{ip}:{port}"),
            (None, None) => format!("?:{port}"),
        };
        let mut walk = Walk::new(interner);
        let mut result = PathResult {
            from: String::new(),
            instance_id: None,
            subnet_id: None,
            vpc_id: None,
            route_table_id: None,
            association: None,
            to,
            service: service.clone(),
            address: None,
            hops: Vec::new(),
            verdict: Verdict::Unknown,
            blocker: None,
            via: None,
            assumptions: Vec::new(),
            host: target.host.clone(),
            bypassed_endpoint: None,
        };
        let source = source::resolve(self.network.model, origin, &mut walk);
        if let Some(source) = &source {
            result.from = source.label.clone();
            result.instance_id = source.instance.map(|i| i.id.clone());
            result.subnet_id = Some(source.subnet.id.clone());
            result.vpc_id = Some(source.subnet.vpc_id.clone());
            if let Some((table, association)) = self.network.model.effective_route_table(&source.subnet.id) {
                result.route_table_id = Some(table.id.clone());
                result.association = Some(association);
            }
            self.walk(source, target, port, &service, &mut walk);
        } else {
            result.from = match origin {
                Origin::Instance(id) | Origin::Subnet(id) => id.clone(),
            };
        }
        result.verdict = match walk.verdict {
            Some(verdict) => verdict,
            None if walk.uncertain => Verdict::Unknown,
            None => Verdict::Reachable,
        };
        result.hops = walk.hops;
        result.blocker = walk.blocker;
        result.via = walk.via;
        result.assumptions = walk.assumptions;
        result.address = walk.address;
        result.bypassed_endpoint = walk.bypassed_endpoint;
        result
    }

    fn walk(&self, source: &Source, target: &Target, port: u16, service: &Service, walk: &mut Walk) {
        let net = &self.network;
        // ------------------------------------------------------------ DNS
        let Some(resolved) = dns::resolve(net, &source.subnet.vpc_id, target, service, walk) else {
            return;
        };
        if let Some(endpoint) = resolved.endpoint {
            endpoints::follow_interface(net, source, target, port, endpoint, walk);
            return;
        }
        let address = resolved.address;
        walk.address = Some(address.clone());
        // ------------------------------------------------------------ security groups
        if let Flow::Stop = filters::check_source_groups(net, source, port, &address, walk) {
            return;
        }
        // ------------------------------------------------------------ network ACL, outbound
        let source_acl = filters::check_acl(net, &source.subnet.id, true, (port, port), &address, "the node's subnet", walk);
        if let Flow::Stop = source_acl {
            return;
        }
        // ------------------------------------------------------------ route table
        let Some((table, association)) = self.route_table_hop(&source.subnet.id, walk) else {
            return;
        };
        let selection = route::select(net.model, table, &address);
        for maybe in &selection.ambiguous {
            walk.assumptions.push(format!(
                "{} has the route {} which may carry part of {address}: the dialled address would settle it",
                table.id,
                route::text(maybe)
            ));
        }
        let Some(chosen) = selection.route else {
            let how = match association {
                Association::Main => format!(
                    "{} has no explicit route-table association, so it uses the VPC's main route table {}",
                    source.subnet.id, table.id
                ),
                Association::Explicit => {
                    format!("{} is associated with {}", source.subnet.id, table.id)
                }
            };
            let routes: Vec<String> = table.routes.iter().map(route::text).collect();
            walk.hop(
                HopKind::RouteTable,
                Some(&table.id),
                HopStatus::Fail,
                format!("{how}; no route covers {address}"),
                Some(format!("routes: {}", if routes.is_empty() { "(none)".into() } else { routes.join(", ") })),
            );
            targets::no_route(net, source, table.id.as_str(), association, service, &address, resolved.bypassed, walk);
            return;
        };
        walk.hop(
            HopKind::RouteTable,
            Some(&table.id),
            if chosen.state == RouteState::Blackhole { HopStatus::Fail } else { HopStatus::Pass },
            format!(
                "{} uses {} ({}); the most specific route for {address} is {}",
                source.subnet.id,
                table.id,
                match association {
                    Association::Main => "the main route table: no explicit association",
                    Association::Explicit => "explicit association",
                },
                route::text(chosen)
            ),
            Some(route::text(chosen)),
        );
        let flow = targets::follow(net, source, &table.id, chosen, &address, service, port, walk);
        if let Flow::Stop = flow {
            return;
        }
        // ------------------------------------------------------------ return traffic
        let _ = filters::check_acl(net, &source.subnet.id, false, NODE_EPHEMERAL, &address, "the node's subnet (return traffic)", walk);
    }

    fn route_table_hop(&self, subnet_id: &str, walk: &mut Walk) -> Option<(&'m RouteTable, Association)> {
        match self.network.model.effective_route_table(subnet_id) {
            Some(found) => Some(found),
            None => {
                let detail = if self.network.model.inputs.contains(&InputKind::RouteTables) {
                    format!(
                        "no route table in the bundle applies to {subnet_id} (neither an explicit association nor a main table for its VPC)"
                    )
                } else {
                    walk.assumptions.push(format!("route tables are not in the bundle: `{}`", InputKind::RouteTables.command()));
                    "route tables are not in the bundle".to_string()
                };
                walk.hop(HopKind::RouteTable, Some(subnet_id), HopStatus::Unknown, detail, None);
                walk.unknown();
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Results come back in input order, whatever the number of threads.
    #[test]
    fn threads_keep_the_input_order() {
        let model = Model::default();
        let queries: Vec<(Origin, Target)> = (0..200)
            .map(|n| (Origin::Subnet(format!("subnet-{n}")), Target { host: Some("quay.io".into()), ..Target::default() }))
            .collect();
        let one = Engine::new(&model).trace_all(&queries);
        let many = Engine::new(&model).with_threads(3).trace_all(&queries);
        assert_eq!(one, many);
        assert_eq!(many[150].from, "subnet-150");
    }
}
