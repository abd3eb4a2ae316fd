//! The model as the hops read it, with what the engine computes once per model: each VPC's usable
//! egress (attached internet gateways, NAT gateways that work), the gateways a missing route could
//! point at.

use std::collections::HashMap;

use pulldoctor_model::{Model, RouteState, RouteTarget};

use crate::address::Address;
use crate::route;
use crate::source::Source;

#[derive(Default)]
struct VpcEgress {
    /// Available public NAT gateways whose own subnet routes 0.0.0.0/0 to an attached internet gateway.
    usable_nats: Vec<(String, Option<String>)>,
    attached_igws: Vec<String>,
}

fn is_available(state: &str) -> bool {
    matches!(state, "available" | "attached")
}

/// The model and each VPC's usable egress, computed once: what every hop reads.
pub(crate) struct Network<'m> {
    pub model: &'m Model,
    egress: HashMap<String, VpcEgress>,
}

impl<'m> Network<'m> {
    pub fn new(model: &'m Model) -> Self {
        let mut egress: HashMap<String, VpcEgress> = model.vpcs.keys().map(|vpc| (vpc.clone(), VpcEgress::default())).collect();
        for gateway in model.internet_gateways.values().filter(|g| !g.egress_only) {
            for attachment in &gateway.attachments {
                if is_available(&attachment.state) {
                    egress.entry(attachment.vpc_id.clone()).or_default().attached_igws.push(gateway.id.clone());
                }
            }
        }
        let public = Address::AnyPublic { v6: false };
        for nat in model.nat_gateways.values() {
            let (Some(vpc), Some(subnet)) = (&nat.vpc_id, &nat.subnet_id) else {
                continue;
            };
            if nat.state != "available" || nat.connectivity_type != "public" {
                continue;
            }
            let reaches_igw = model.effective_route_table(subnet).is_some_and(|(table, _)| {
                route::select(model, table, &public).route.is_some_and(|r| {
                    r.state == RouteState::Active
                        && matches!(&r.target, RouteTarget::InternetGateway(id) if model.internet_gateways.get(id).is_some_and(|g| g.is_attached_to(vpc)))
                })
            });
            if reaches_igw {
                let zone = model.subnets.get(subnet).and_then(|s| s.availability_zone.clone());
                egress.entry(vpc.clone()).or_default().usable_nats.push((nat.id.clone(), zone));
            }
        }
        Network { model, egress }
    }

    /// NAT gateways of the VPC that are available, public, and whose own subnet routes to an
    /// attached internet gateway: the gateways a missing route could point at.
    pub fn usable_nat_gateways(&self, vpc: &str) -> Vec<&str> {
        self.egress.get(vpc).map(|e| e.usable_nats.iter().map(|(id, _)| id.as_str()).collect()).unwrap_or_default()
    }

    /// Internet gateways attached to the VPC.
    pub fn attached_internet_gateways(&self, vpc: &str) -> Vec<&str> {
        self.egress.get(vpc).map(|e| e.attached_igws.iter().map(String::as_str).collect()).unwrap_or_default()
    }

    pub fn has_internet_egress(&self, vpc: &str) -> bool {
        self.egress.get(vpc).is_some_and(|e| !e.usable_nats.is_empty() || !e.attached_igws.is_empty())
    }

    /// The gateway a missing default route should point at.
    pub fn suggest_gateway(&self, source: &Source) -> Option<String> {
        let egress = self.egress.get(&source.subnet.vpc_id)?;
        if source.public_ip == Some(true)
            && let Some(igw) = egress.attached_igws.first()
        {
            return Some(igw.clone());
        }
        let zone = source.subnet.availability_zone.as_ref();
        egress.usable_nats.iter().find(|(_, z)| z.as_ref() == zone).or_else(|| egress.usable_nats.first()).map(|(id, _)| id.clone())
    }
}
