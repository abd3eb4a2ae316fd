//! Where a node's request to the registry comes from, as AWS sees it: through an interface
//! endpoint (`aws:SourceVpce`, `aws:SourceVpc`) or over the internet from a NAT gateway's or the
//! node's own public address (`aws:SourceIp`). Read from the traced path, so a repository policy
//! that allows pulls only through one endpoint (or from one VPC, or from given addresses) is
//! decided instead of left "cannot be evaluated offline".

use pulldoctor_iam::RequestContext;
use pulldoctor_model::{Instance, Model};
use pulldoctor_net::{Engine, HopKind, Origin, Target, Verdict};

/// The request context of a path, and the path in words for the evidence.
#[derive(Debug, Clone)]
pub struct PathRequest {
    pub context: RequestContext,
    /// `through interface endpoint vpce-1 of vpc-1`, `through NAT gateway nat-1 (public address 3.4.5.6)`.
    pub how: String,
}

/// The request `instance` makes to `host` on 443, when its path reaches it; `None` when the path
/// is blocked or leaves what the input shows (the network check says why).
pub fn from_instance(engine: &Engine, model: &Model, instance: &Instance, host: &str) -> Option<PathRequest> {
    let target = Target { host: Some(host.to_string()), port: 443, ..Target::default() };
    let result = engine.trace(&Origin::Instance(instance.id.clone()), &target);
    if result.verdict != Verdict::Reachable {
        return None;
    }
    // The first hop that takes the traffic out of the VPC decides what AWS sees.
    let exit = result.hops.iter().find(|hop| {
        matches!(hop.kind, HopKind::InterfaceEndpoint | HopKind::NatGateway | HopKind::InternetGateway | HopKind::EgressOnlyGateway)
    })?;
    let id = exit.resource.as_deref()?;
    match exit.kind {
        HopKind::InterfaceEndpoint => {
            let vpc = result.vpc_id.as_deref()?;
            Some(PathRequest {
                context: RequestContext::through_endpoint(id, vpc, instance.private_ip),
                how: format!("through interface endpoint {id} of {vpc}"),
            })
        }
        HopKind::NatGateway => {
            let public_ip = model.nat_gateways.get(id).and_then(|nat| nat.public_ips.first().copied());
            let address = public_ip.map(|ip| format!(" (public address {ip})")).unwrap_or_default();
            Some(PathRequest { context: RequestContext::over_the_internet(public_ip), how: format!("through NAT gateway {id}{address}") })
        }
        _ => {
            let address = instance.public_ip.map(|ip| format!(" from the node's public address {ip}")).unwrap_or_default();
            Some(PathRequest { context: RequestContext::over_the_internet(instance.public_ip), how: format!("through {id}{address}") })
        }
    }
}
