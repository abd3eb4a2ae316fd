//! A traced path as the report shows it. These are the report's own types, converted from the path
//! engine's result, so the engine can change inside without changing the JSON contract. Their
//! schema names (`PathResult`, `Hop`, ...) are the contract's, kept from the first release.

use std::net::IpAddr;
use std::sync::Arc;

use serde::Serialize;

// One traced path from a node (or subnet) to a host a pull needs.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "PathResult")]
pub struct Path {
    pub from: String,
    pub instance_id: Option<String>,
    pub subnet_id: Option<String>,
    pub vpc_id: Option<String>,
    pub route_table_id: Option<String>,
    pub association: Option<Association>,
    pub to: String,
    pub service: Service,
    pub address: Option<Address>,
    pub hops: Vec<Hop>,
    pub verdict: Verdict,
    pub blocker: Option<Blocker>,
    /// The gateway or endpoint the traffic leaves through, when reachable.
    pub via: Option<String>,
    /// What the verdict assumes because the bundle does not say (each with the data that settles it).
    pub assumptions: Vec<String>,
}

/// How a subnet came to use its route table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Association {
    /// The subnet is explicitly associated with the table.
    Explicit,
    /// The subnet has no explicit association and falls back to the VPC's main route table.
    Main,
}

/// What kind of AWS service a host belongs to, which decides the endpoint that could serve it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Service {
    EcrRegistry { region: String },
    EcrApi { region: String },
    S3 { region: String },
    Other,
}

// The destination the path was traced to (no doc comment: the schema has none here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Address {
    /// One concrete address (a dialled address from the error, an endpoint interface's IP).
    Known { ip: IpAddr },
    /// Some address inside these CIDRs (a prefix list, an endpoint subnet).
    Set { label: String, cidrs: Vec<String> },
    /// Some public address of the service: only routes and rules covering all public addresses
    /// (`0.0.0.0/0`) are known to apply.
    AnyPublic { v6: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Reachable,
    Blocked,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum HopStatus {
    Pass,
    Fail,
    Unknown,
    Info,
}

/// One step of the path, with the rule that decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Hop {
    /// `source`, `dns`, `security-group`, `network-acl`, `route-table`, `nat-gateway`, ...
    pub kind: &'static str,
    pub resource: Option<Arc<str>>,
    pub status: HopStatus,
    pub detail: Arc<str>,
    /// The deciding rule, quoted.
    pub rule: Option<Arc<str>>,
}

/// Why a path is blocked (or leaves what the bundle shows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Blocker {
    #[schemars(with = "String")]
    pub code: pulldoctor_model::Code,
    pub summary: String,
    /// Ids involved, the deciding resource first.
    pub resources: Vec<String>,
    /// For missing routes: the gateway a route should point at (a usable NAT in the subnet's zone,
    /// else elsewhere in the VPC, or the internet gateway for public subnets).
    pub fix_target: Option<String>,
}

impl From<&pulldoctor_net::PathResult> for Path {
    fn from(result: &pulldoctor_net::PathResult) -> Self {
        use pulldoctor_net as net;
        Path {
            from: result.from.clone(),
            instance_id: result.instance_id.clone(),
            subnet_id: result.subnet_id.clone(),
            vpc_id: result.vpc_id.clone(),
            route_table_id: result.route_table_id.clone(),
            association: result.association.map(|a| match a {
                pulldoctor_model::Association::Explicit => Association::Explicit,
                pulldoctor_model::Association::Main => Association::Main,
            }),
            to: result.to.clone(),
            service: match &result.service {
                net::Service::EcrRegistry { region } => Service::EcrRegistry { region: region.clone() },
                net::Service::EcrApi { region } => Service::EcrApi { region: region.clone() },
                net::Service::S3 { region } => Service::S3 { region: region.clone() },
                net::Service::Other => Service::Other,
            },
            address: result.address.as_ref().map(|address| match address {
                net::Address::Known { ip } => Address::Known { ip: *ip },
                net::Address::Set { label, cidrs, .. } => {
                    Address::Set { label: label.clone(), cidrs: cidrs.iter().map(ToString::to_string).collect() }
                }
                net::Address::AnyPublic { v6 } => Address::AnyPublic { v6: *v6 },
            }),
            hops: result
                .hops
                .iter()
                .map(|hop| Hop {
                    kind: hop.kind.as_str(),
                    resource: hop.resource.clone(),
                    status: match hop.status {
                        net::HopStatus::Pass => HopStatus::Pass,
                        net::HopStatus::Fail => HopStatus::Fail,
                        net::HopStatus::Unknown => HopStatus::Unknown,
                        net::HopStatus::Info => HopStatus::Info,
                    },
                    detail: hop.detail.clone(),
                    rule: hop.rule.clone(),
                })
                .collect(),
            verdict: match result.verdict {
                net::Verdict::Reachable => Verdict::Reachable,
                net::Verdict::Blocked => Verdict::Blocked,
                net::Verdict::Unknown => Verdict::Unknown,
            },
            blocker: result.blocker.as_ref().map(|b| Blocker {
                code: b.code,
                summary: b.summary.clone(),
                resources: b.resources.clone(),
                fix_target: b.fix_target.clone(),
            }),
            via: result.via.clone(),
            assumptions: result.assumptions.clone(),
        }
    }
}
