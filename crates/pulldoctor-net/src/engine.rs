//! The walk itself. See the crate documentation for the order of hops.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use pulldoctor_model::{Association, EndpointType, InputKind, Instance, Model, NetworkAcl, RouteState, RouteTarget, Subnet, VpcEndpoint};
use serde::Serialize;

use crate::address::{self, Address, is_public, is_v6};
use crate::route;
use crate::rules::{self, Peer, RuleDecision};

/// The Linux kernel's default ephemeral port range (`net.ipv4.ip_local_port_range`): where the
/// registry's replies come back to on a node.
pub const NODE_EPHEMERAL: (u16, u16) = (32768, 60999);
/// NAT gateways use source ports 1024-65535 for translated connections.
pub const NAT_EPHEMERAL: (u16, u16) = (1024, 65535);

/// Where a path starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum From {
    /// An EC2 instance (a node), by id.
    Instance(String),
    /// Any address of a subnet: security groups are then not evaluated.
    Subnet(String),
}

/// Where a path goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub host: Option<String>,
    /// The dialled address, when an error message names it: it overrides DNS reasoning.
    pub address: Option<IpAddr>,
    pub port: u16,
    /// The ECR repository ARN being pulled, for endpoint policies.
    pub repository_arn: Option<String>,
    /// The principal that pulls (the node role), for endpoint policies.
    pub principal_arn: Option<String>,
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

impl Service {
    /// The VPC endpoint service name that serves this host.
    pub fn endpoint_service(&self) -> Option<String> {
        match self {
            Service::EcrRegistry { region } => Some(format!("com.amazonaws.{region}.ecr.dkr")),
            Service::EcrApi { region } => Some(format!("com.amazonaws.{region}.ecr.api")),
            Service::S3 { region } => Some(format!("com.amazonaws.{region}.s3")),
            Service::Other => None,
        }
    }
    fn label(&self) -> &'static str {
        match self {
            Service::EcrRegistry { .. } => "the ECR registry",
            Service::EcrApi { .. } => "the ECR API",
            Service::S3 { .. } => "S3 (image layers)",
            Service::Other => "the registry",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services() {
        let region = || "us-east-1".to_string();
        assert_eq!(service_of("818140567777.dkr.ecr.us-east-1.amazonaws.com"), Service::EcrRegistry { region: region() });
        assert_eq!(service_of("api.ecr.us-east-1.amazonaws.com"), Service::EcrApi { region: region() });
        assert_eq!(service_of("ecr.us-east-1.amazonaws.com"), Service::EcrApi { region: region() });
        assert_eq!(service_of("prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com"), Service::S3 { region: region() });
        assert_eq!(service_of("s3.us-east-1.amazonaws.com"), Service::S3 { region: region() });
        assert_eq!(service_of("quay.io"), Service::Other);
        assert_eq!(service_of("registry-1.docker.io"), Service::Other);
    }
}

/// Recognise the AWS service behind a host name.
pub fn service_of(host: &str) -> Service {
    let host = host.to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    if let Some(ecr) = pulldoctor_model::parse_ecr_host(host) {
        return Service::EcrRegistry { region: ecr.region };
    }
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    if n >= 4 && labels[n - 2] == "amazonaws" && labels[n - 1] == "com" {
        // api.ecr.<region>.amazonaws.com, ecr.<region>.amazonaws.com
        if labels[..n - 3].ends_with(&["api", "ecr"]) || (n == 4 && labels[0] == "ecr") {
            return Service::EcrApi { region: labels[n - 3].to_string() };
        }
        // <bucket>.s3.<region>.amazonaws.com, s3.<region>.amazonaws.com, s3-<region>...
        if let Some(position) = labels.iter().position(|l| *l == "s3")
            && position + 4 == n
        {
            return Service::S3 { region: labels[n - 3].to_string() };
        }
    }
    Service::Other
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

/// Hop texts shared between paths: thousands of nodes behind one NAT gateway or ACL produce the
/// same sentences, and a large sweep would otherwise hold a copy of each per path.
#[derive(Default)]
pub struct Interner {
    texts: std::collections::HashSet<Arc<str>>,
    /// The part of a path from a NAT gateway's subnet outwards, which does not depend on the
    /// node: (NAT id, destination, port, whether the node shares the NAT's subnet) -> what the walk recorded.
    nat_legs: HashMap<(String, String, u16, bool), Leg>,
}

/// What a walk recorded over a stretch of the path, to replay for the next node.
#[derive(Clone)]
struct Leg {
    hops: Vec<Hop>,
    assumptions: Vec<String>,
    verdict: Option<Verdict>,
    blocker: Option<Blocker>,
    via: Option<String>,
    uncertain: bool,
    flow: Flow,
}

fn address_key(address: &Address) -> String {
    match address {
        Address::Known { ip } => ip.to_string(),
        Address::Set { label, .. } => label.clone(),
        Address::AnyPublic { v6 } => if *v6 { "any-public-v6" } else { "any-public-v4" }.to_string(),
    }
}

impl Interner {
    fn intern(&mut self, text: String) -> Arc<str> {
        if let Some(shared) = self.texts.get(text.as_str()) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(text);
        self.texts.insert(shared.clone());
        shared
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Reachable,
    Blocked,
    Unknown,
}

/// Why a path is blocked (or leaves what the bundle shows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Blocker {
    pub code: &'static str,
    pub summary: String,
    /// Ids involved, the deciding resource first.
    pub resources: Vec<String>,
    /// For missing routes: the gateway a route should point at (a usable NAT in the subnet's zone,
    /// else elsewhere in the VPC, or the internet gateway for public subnets).
    pub fix_target: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PathResult {
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

struct VpcEgress {
    /// Available public NAT gateways whose own subnet routes 0.0.0.0/0 to an attached internet gateway.
    usable_nats: Vec<(String, Option<String>)>,
    attached_igws: Vec<String>,
}

/// The path engine over one model. Construction precomputes each VPC's usable egress once.
pub struct Engine<'m> {
    model: &'m Model,
    egress: HashMap<String, VpcEgress>,
}

#[derive(Clone, Copy)]
enum Flow {
    Continue,
    Stop,
}

struct Walk<'i> {
    interner: &'i mut Interner,
    hops: Vec<Hop>,
    verdict: Option<Verdict>,
    blocker: Option<Blocker>,
    uncertain: bool,
    via: Option<String>,
    assumptions: Vec<String>,
}

impl Walk<'_> {
    fn hop(&mut self, kind: &'static str, resource: Option<&str>, status: HopStatus, detail: String, rule: Option<String>) {
        if status == HopStatus::Unknown {
            self.uncertain = true;
        }
        let resource = resource.map(|r| self.interner.intern(r.to_string()));
        let detail = self.interner.intern(detail);
        let rule = rule.map(|r| self.interner.intern(r));
        self.hops.push(Hop { kind, resource, status, detail, rule });
    }
    /// Record the hop a rule decision makes, with the text for each outcome; returns the quoted
    /// rule when the decision is a deny (the caller then blocks with its own code).
    /// `describe` writes the hop's text for the outcome (only the one that happened is built).
    fn rule_hop(
        &mut self,
        kind: &'static str,
        resource: Option<&str>,
        decision: RuleDecision,
        describe: impl FnOnce(HopStatus) -> String,
    ) -> Option<String> {
        match decision {
            RuleDecision::Allow { rule } => {
                self.hop(kind, resource, HopStatus::Pass, describe(HopStatus::Pass), Some(rule));
                None
            }
            RuleDecision::Unknown { rule } => {
                self.hop(kind, resource, HopStatus::Unknown, describe(HopStatus::Unknown), Some(rule));
                None
            }
            RuleDecision::Deny { rule } => {
                self.hop(kind, resource, HopStatus::Fail, describe(HopStatus::Fail), Some(rule.clone()));
                Some(rule)
            }
        }
    }

    fn block(&mut self, code: &'static str, summary: String, resources: Vec<String>) -> Flow {
        self.block_with(code, summary, resources, None)
    }
    fn block_with(&mut self, code: &'static str, summary: String, resources: Vec<String>, fix_target: Option<String>) -> Flow {
        self.verdict = Some(Verdict::Blocked);
        self.blocker = Some(Blocker { code, summary, resources, fix_target });
        Flow::Stop
    }
    fn leaves_scope(&mut self, summary: String, resources: Vec<String>) -> Flow {
        self.verdict = Some(Verdict::Unknown);
        self.blocker = Some(Blocker { code: "path.leaves-scope", summary, resources, fix_target: None });
        Flow::Stop
    }
    fn unknown(&mut self) -> Flow {
        self.verdict = Some(Verdict::Unknown);
        Flow::Stop
    }
    /// The traffic leaves through `via`; the walk goes on to check the return path.
    fn reach(&mut self, via: &str) -> Flow {
        self.via = Some(via.to_string());
        Flow::Continue
    }
}

/// The source of a path, resolved.
struct Source<'a> {
    label: String,
    instance: Option<&'a Instance>,
    subnet: &'a Subnet,
    address: Address,
    public_ip: Option<bool>,
    groups: Vec<String>,
}

fn route_text(route: &pulldoctor_model::Route) -> String {
    let target = match &route.target {
        RouteTarget::Local => "local".to_string(),
        other => other.id().to_string(),
    };
    let state = match route.state {
        RouteState::Active => "active",
        RouteState::Blackhole => "blackhole",
    };
    format!("{} -> {target} ({state})", route.destination)
}

fn is_available(state: &str) -> bool {
    matches!(state, "available" | "attached")
}

impl<'m> Engine<'m> {
    pub fn new(model: &'m Model) -> Self {
        let mut egress: HashMap<String, VpcEgress> = HashMap::new();
        for vpc in model.vpcs.keys() {
            egress.insert(vpc.clone(), VpcEgress { usable_nats: Vec::new(), attached_igws: Vec::new() });
        }
        for gateway in model.internet_gateways.values().filter(|g| !g.egress_only) {
            for attachment in &gateway.attachments {
                if is_available(&attachment.state) {
                    egress
                        .entry(attachment.vpc_id.clone())
                        .or_insert_with(|| VpcEgress { usable_nats: Vec::new(), attached_igws: Vec::new() })
                        .attached_igws
                        .push(gateway.id.clone());
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
                egress
                    .entry(vpc.clone())
                    .or_insert_with(|| VpcEgress { usable_nats: Vec::new(), attached_igws: Vec::new() })
                    .usable_nats
                    .push((nat.id.clone(), zone));
            }
        }
        Engine { model, egress }
    }

    pub fn model(&self) -> &'m Model {
        self.model
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

    fn has_internet_egress(&self, vpc: &str) -> bool {
        self.egress.get(vpc).is_some_and(|e| !e.usable_nats.is_empty() || !e.attached_igws.is_empty())
    }

    /// The gateway a missing default route should point at.
    fn suggest_gateway(&self, source: &Source) -> Option<String> {
        let egress = self.egress.get(&source.subnet.vpc_id)?;
        if source.public_ip == Some(true)
            && let Some(igw) = egress.attached_igws.first()
        {
            return Some(igw.clone());
        }
        let zone = source.subnet.availability_zone.as_ref();
        egress.usable_nats.iter().find(|(_, z)| z.as_ref() == zone).or_else(|| egress.usable_nats.first()).map(|(id, _)| id.clone())
    }

    /// Trace many paths on every core; results come back in input order.
    pub fn trace_all(&self, queries: &[(From, Target)]) -> Vec<PathResult> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(queries.len().max(1));
        if threads <= 1 || queries.len() < 64 {
            let mut interner = Interner::default();
            return queries.iter().map(|(from, target)| self.trace_with(from, target, &mut interner)).collect();
        }
        let chunk = queries.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let workers: Vec<_> = queries
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        let mut interner = Interner::default();
                        part.iter().map(|(from, target)| self.trace_with(from, target, &mut interner)).collect::<Vec<_>>()
                    })
                })
                .collect();
            workers.into_iter().flat_map(|worker| worker.join().expect("a path trace panicked")).collect()
        })
    }

    /// Trace the path from `from` to `target`.
    pub fn trace(&self, from: &From, target: &Target) -> PathResult {
        self.trace_with(from, target, &mut Interner::default())
    }

    /// [`Engine::trace`], sharing hop texts with earlier traces through `interner`.
    pub fn trace_with(&self, from: &From, target: &Target, interner: &mut Interner) -> PathResult {
        let port = if target.port == 0 { 443 } else { target.port };
        let service = target.host.as_deref().map(service_of).unwrap_or(Service::Other);
        let to = match (&target.host, target.address) {
            (Some(host), Some(ip)) => format!("{host}:{port} ({ip})"),
            (Some(host), None) => format!("{host}:{port}"),
            (None, Some(ip)) => format!("{ip}:{port}"),
            (None, None) => format!("?:{port}"),
        };
        let mut walk =
            Walk { interner, hops: Vec::new(), verdict: None, blocker: None, uncertain: false, via: None, assumptions: Vec::new() };
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
        };
        let source = self.resolve_source(from, &mut walk);
        if let Some(source) = &source {
            result.from = source.label.clone();
            result.instance_id = source.instance.map(|i| i.id.clone());
            result.subnet_id = Some(source.subnet.id.clone());
            result.vpc_id = Some(source.subnet.vpc_id.clone());
            if let Some((table, association)) = self.model.effective_route_table(&source.subnet.id) {
                result.route_table_id = Some(table.id.clone());
                result.association = Some(association);
            }
            let mut address_out = None;
            self.walk(source, target, port, &service, &mut walk, &mut address_out);
            result.address = address_out;
        } else {
            result.from = match from {
                From::Instance(id) | From::Subnet(id) => id.clone(),
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
        result
    }

    fn resolve_source(&self, from: &From, walk: &mut Walk) -> Option<Source<'m>> {
        let model = self.model;
        match from {
            From::Instance(id) => {
                let Some(instance) = model.instances.get(id) else {
                    walk.hop(
                        "source",
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
                    walk.hop("source", Some(id), HopStatus::Unknown, format!("the instance's subnet {subnet} is not in the bundle"), None);
                    walk.assumptions.push(format!("add subnet {subnet} with `{}`", InputKind::Subnets.command()));
                    walk.unknown();
                    return None;
                };
                let public_ip =
                    instance.public_ip.is_some() || model.interfaces_of_instance(&instance.id).any(|i| !i.public_ips.is_empty());
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
                    "source",
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
            From::Subnet(id) => {
                let Some(subnet) = model.subnets.get(id) else {
                    walk.hop("source", Some(id), HopStatus::Unknown, format!("subnet {id} is not in the bundle"), None);
                    walk.unknown();
                    return None;
                };
                walk.hop("source", Some(id), HopStatus::Info, format!("any address in {id} ({})", subnet.vpc_id), None);
                walk.assumptions
                    .push("security groups are not evaluated for a subnet source: trace from an instance to include them".into());
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

    fn interface_endpoint(&self, vpc: &str, service: &Service) -> Option<&'m VpcEndpoint> {
        let name = service.endpoint_service()?;
        self.model.endpoints_in_vpc(vpc).find(|e| e.service_name == name && e.endpoint_type == EndpointType::Interface)
    }

    fn walk(&self, source: &Source, target: &Target, port: u16, service: &Service, walk: &mut Walk, address_out: &mut Option<Address>) {
        let model = self.model;
        let vpc_id = source.subnet.vpc_id.as_str();
        let vpc = model.vpcs.get(vpc_id);
        // ------------------------------------------------------------ DNS
        let mut bypassed: Option<(&VpcEndpoint, String)> = None;
        let mut endpoint_target: Option<&VpcEndpoint> = None;
        let address = if let Some(host) = &target.host {
            let dns_support = vpc.and_then(|v| v.dns_support);
            match dns_support {
                Some(false) => {
                    walk.hop(
                        "dns",
                        Some(vpc_id),
                        HopStatus::Fail,
                        format!("enableDnsSupport is false on {vpc_id}: the VPC resolver (the VPC CIDR base + 2) does not answer, so {host} does not resolve"),
                        Some(format!("{vpc_id} enableDnsSupport = false")),
                    );
                    walk.assumptions.push(
                        "custom DHCP options (your own DNS servers) are not read: `aws ec2 describe-dhcp-options` would show them".into(),
                    );
                    walk.block(
                        "dns.vpc-resolver-disabled",
                        format!("{vpc_id} has enableDnsSupport off, so nodes cannot resolve {host}"),
                        vec![vpc_id.to_string()],
                    );
                    return;
                }
                None => walk.assumptions.push(format!(
                    "enableDnsSupport of {vpc_id} is not in the bundle and is assumed on (the AWS default): `{}`",
                    InputKind::VpcDnsSupport.command().replace("VPC", vpc_id)
                )),
                Some(true) => {}
            }
            let endpoint = self.interface_endpoint(vpc_id, service);
            match endpoint {
                Some(endpoint) => {
                    let hostnames = vpc.and_then(|v| v.dns_hostnames);
                    let reason = if !endpoint.private_dns_enabled {
                        Some(format!("{} has private DNS disabled", endpoint.id))
                    } else if hostnames == Some(false) {
                        Some(format!("{vpc_id} has enableDnsHostnames off, which private DNS for {} needs", endpoint.id))
                    } else {
                        None
                    };
                    match reason {
                        None => {
                            if hostnames.is_none() {
                                walk.assumptions.push(format!("enableDnsHostnames of {vpc_id} is not in the bundle and is assumed on"));
                            }
                            walk.hop(
                                "dns",
                                Some(&endpoint.id),
                                HopStatus::Pass,
                                format!("{host} resolves to the interface endpoint {} (private DNS on)", endpoint.id),
                                None,
                            );
                            endpoint_target = Some(endpoint);
                        }
                        Some(reason) => {
                            walk.hop(
                                "dns",
                                Some(&endpoint.id),
                                HopStatus::Info,
                                format!("{host} resolves to public addresses: {reason}, so the endpoint is bypassed"),
                                None,
                            );
                            bypassed = Some((endpoint, reason));
                        }
                    }
                }
                None => {
                    let note = match service.endpoint_service() {
                        Some(name) if model.inputs.contains(&InputKind::VpcEndpoints) => {
                            format!("no interface endpoint for {name} in {vpc_id}: {host} resolves to public addresses")
                        }
                        Some(_) => {
                            walk.assumptions.push(format!("VPC endpoints are not in the bundle: `{}`", InputKind::VpcEndpoints.command()));
                            format!("{host} is assumed to resolve to public addresses (no endpoint data)")
                        }
                        None => format!("{host} resolves to its public addresses"),
                    };
                    walk.hop("dns", None, HopStatus::Info, note, None);
                }
            }
            match (target.address, endpoint_target, service) {
                (Some(ip), _, _) => {
                    walk.hop(
                        "dns",
                        None,
                        HopStatus::Info,
                        format!("the error names the dialled address {ip}: that is where the runtime connected"),
                        None,
                    );
                    if address::is_private(ip) {
                        endpoint_target = endpoint_target.or_else(|| self.endpoint_holding(vpc_id, service, ip));
                    } else if let Some(endpoint) = endpoint_target.take() {
                        walk.assumptions.push(format!("{host} should resolve to {} but the runtime dialled the public address {ip}: a node-level resolver or /etc/hosts may override the VPC's DNS", endpoint.id));
                    }
                    Address::Known { ip }
                }
                (None, Some(_), _) => Address::AnyPublic { v6: false }, // replaced by the endpoint walk
                (None, None, Service::S3 { region }) => self.s3_address(region),
                (None, None, _) => Address::AnyPublic { v6: false },
            }
        } else if let Some(ip) = target.address {
            walk.hop("dns", None, HopStatus::Info, format!("tracing to the address {ip}"), None);
            if address::is_private(ip) {
                endpoint_target = self.endpoint_holding(vpc_id, service, ip);
            }
            Address::Known { ip }
        } else {
            walk.hop("dns", None, HopStatus::Unknown, "no host and no address to trace to".into(), None);
            walk.unknown();
            return;
        };
        if let Some(endpoint) = endpoint_target {
            self.walk_interface_endpoint(source, target, port, endpoint, walk, address_out);
            return;
        }
        *address_out = Some(address.clone());
        // ------------------------------------------------------------ security groups
        if let Flow::Stop = self.check_source_groups(source, port, &address, walk) {
            return;
        }
        // ------------------------------------------------------------ network ACL, outbound
        let source_acl = self.check_acl(&source.subnet.id, true, (port, port), &address, "the node's subnet", walk);
        if let Flow::Stop = source_acl {
            return;
        }
        // ------------------------------------------------------------ route table
        let Some((table, association)) = self.route_table_hop(&source.subnet.id, walk) else {
            return;
        };
        let selection = route::select(model, table, &address);
        for maybe in &selection.ambiguous {
            walk.assumptions.push(format!(
                "{} has the route {} which may carry part of {address}: the dialled address would settle it",
                table.id,
                route_text(maybe)
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
            let routes: Vec<String> = table.routes.iter().map(route_text).collect();
            walk.hop(
                "route-table",
                Some(&table.id),
                HopStatus::Fail,
                format!("{how}; no route covers {address}"),
                Some(format!("routes: {}", if routes.is_empty() { "(none)".into() } else { routes.join(", ") })),
            );
            self.no_route(source, table.id.as_str(), association, service, &address, bypassed, walk);
            return;
        };
        walk.hop(
            "route-table",
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
                route_text(chosen)
            ),
            Some(route_text(chosen)),
        );
        let table_id = table.id.clone();
        let flow = self.follow_target(source, &table_id, chosen, &address, service, port, bypassed.as_ref().map(|b| b.0), walk);
        if let Flow::Stop = flow {
            return;
        }
        // ------------------------------------------------------------ return traffic
        let _ = self.check_acl(&source.subnet.id, false, NODE_EPHEMERAL, &address, "the node's subnet (return traffic)", walk);
    }

    fn s3_address(&self, region: &str) -> Address {
        let name = format!("com.amazonaws.{region}.s3");
        match self.model.prefix_lists.values().find(|p| p.name.as_deref() == Some(name.as_str())) {
            Some(list) => Address::Set { label: list.id.clone(), cidrs: list.cidrs.clone().unwrap_or_default() },
            None => Address::AnyPublic { v6: false },
        }
    }

    /// The interface endpoint (for this service) whose interface or subnet holds a private dialled address.
    fn endpoint_holding(&self, vpc: &str, service: &Service, ip: IpAddr) -> Option<&'m VpcEndpoint> {
        let endpoint = self.interface_endpoint(vpc, service)?;
        let by_interface = endpoint
            .network_interface_ids
            .iter()
            .filter_map(|id| self.model.network_interfaces.get(id))
            .any(|i| i.private_ips.contains(&ip));
        let by_subnet =
            endpoint.subnet_ids.iter().filter_map(|id| self.model.subnets.get(id)).any(|s| s.cidr.is_some_and(|c| c.contains(&ip)));
        (by_interface || by_subnet).then_some(endpoint)
    }

    fn check_source_groups(&self, source: &Source, port: u16, address: &Address, walk: &mut Walk) -> Flow {
        if source.instance.is_none() {
            return Flow::Continue;
        }
        if !self.model.inputs.contains(&InputKind::SecurityGroups) {
            walk.hop("security-group", None, HopStatus::Unknown, "security groups are not in the bundle".into(), None);
            walk.assumptions.push(format!("add `{}`", InputKind::SecurityGroups.command()));
            return Flow::Continue;
        }
        let peer = Peer { address, groups: &[] };
        let decision = rules::security_groups_allow(self.model, &source.groups, true, port, &peer);
        let describe = |status: HopStatus| match status {
            HopStatus::Pass => format!("the node's security groups allow tcp {port} to {address}"),
            HopStatus::Unknown => format!("cannot tell whether the node's security groups allow tcp {port} to {address}"),
            _ => format!("the node's security groups do not allow tcp {port} to {address}"),
        };
        if walk.rule_hop("security-group", None, decision, describe).is_none() {
            return Flow::Continue;
        }
        let mut resources = source.groups.clone();
        if let Some(instance) = source.instance {
            resources.push(instance.id.clone());
        }
        walk.block("sg.egress-denied", format!("no egress rule of the node's security groups allows tcp {port} to {address}"), resources)
    }

    fn acl_of(&self, subnet_id: &str, walk: &mut Walk) -> Option<&'m NetworkAcl> {
        if !self.model.inputs.contains(&InputKind::NetworkAcls) {
            if !walk.assumptions.iter().any(|a| a.contains("describe-network-acls")) {
                walk.assumptions.push(format!("network ACLs are not in the bundle: `{}`", InputKind::NetworkAcls.command()));
            }
            walk.hop("network-acl", Some(subnet_id), HopStatus::Unknown, "network ACLs are not in the bundle".into(), None);
            return None;
        }
        let acl = self.model.network_acl_for_subnet(subnet_id);
        if acl.is_none() {
            walk.hop(
                "network-acl",
                Some(subnet_id),
                HopStatus::Unknown,
                format!("no network ACL in the bundle is associated with {subnet_id}"),
                None,
            );
        }
        acl
    }

    /// Check one direction of one subnet's ACL. `egress`: traffic leaving the subnet.
    fn check_acl(&self, subnet_id: &str, egress: bool, ports: (u16, u16), peer: &Address, what: &str, walk: &mut Walk) -> Flow {
        let Some(acl) = self.acl_of(subnet_id, walk) else {
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
        if walk.rule_hop("network-acl", Some(&acl.id), decision, describe).is_none() {
            return Flow::Continue;
        }
        // A single port is the request itself; a range is the reply to an ephemeral port.
        let (code, summary) = if ports.0 == ports.1 {
            ("nacl.egress-denied", format!("network ACL {} denies {direction} {ports_text} {preposition} {peer}", acl.id))
        } else {
            (
                "nacl.return-denied",
                format!(
                    "network ACL {} denies the return traffic ({direction} {ports_text} {preposition} {peer}); ACLs are stateless",
                    acl.id
                ),
            )
        };
        walk.block(code, summary, vec![acl.id.clone(), subnet_id.to_string()])
    }

    fn route_table_hop(&self, subnet_id: &str, walk: &mut Walk) -> Option<(&'m pulldoctor_model::RouteTable, Association)> {
        match self.model.effective_route_table(subnet_id) {
            Some(found) => Some(found),
            None => {
                let detail = if self.model.inputs.contains(&InputKind::RouteTables) {
                    format!(
                        "no route table in the bundle applies to {subnet_id} (neither an explicit association nor a main table for its VPC)"
                    )
                } else {
                    walk.assumptions.push(format!("route tables are not in the bundle: `{}`", InputKind::RouteTables.command()));
                    "route tables are not in the bundle".to_string()
                };
                walk.hop("route-table", Some(subnet_id), HopStatus::Unknown, detail, None);
                walk.unknown();
                None
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn no_route(
        &self,
        source: &Source,
        table_id: &str,
        association: Association,
        service: &Service,
        address: &Address,
        bypassed: Option<(&VpcEndpoint, String)>,
        walk: &mut Walk,
    ) {
        let vpc = source.subnet.vpc_id.as_str();
        let mut resources = vec![table_id.to_string(), source.subnet.id.clone()];
        if is_public(address) && !self.has_internet_egress(vpc) {
            let registry_endpoint = self
                .model
                .endpoints_in_vpc(vpc)
                .any(|e| e.endpoint_type == EndpointType::Interface && e.service_name.ends_with(".ecr.dkr"));
            if let (Service::S3 { .. }, true) = (service, registry_endpoint) {
                let gateway = self.model.endpoints_in_vpc(vpc).find(|e| {
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
                walk.block("endpoint.s3-unreachable", summary, resources);
                return;
            }
            if let Some((endpoint, reason)) = bypassed {
                resources.insert(0, endpoint.id.clone());
                walk.block(
                    "endpoint.private-dns-disabled",
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
                    "endpoint.missing",
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
        let fix_target = self.suggest_gateway(source);
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
        walk.block_with("route.no-route", summary, resources, fix_target);
    }

    #[allow(clippy::too_many_arguments)]
    fn follow_target(
        &self,
        source: &Source,
        table_id: &str,
        route: &pulldoctor_model::Route,
        address: &Address,
        service: &Service,
        port: u16,
        bypassed: Option<&VpcEndpoint>,
        walk: &mut Walk,
    ) -> Flow {
        let model = self.model;
        let vpc = source.subnet.vpc_id.as_str();
        let blackhole = route.state == RouteState::Blackhole;
        let internet_bound = is_public(address);
        match &route.target {
            RouteTarget::Local => {
                if internet_bound {
                    walk.hop(
                        "target",
                        None,
                        HopStatus::Unknown,
                        format!("{address} is public but the local route carries it: the VPC CIDR overlaps it"),
                        None,
                    );
                    return walk.unknown();
                }
                walk.hop("target", None, HopStatus::Pass, format!("{address} is inside the VPC (local route)"), None);
                walk.assumptions
                    .push(format!("{address} is inside the VPC: the security groups and ACL of whatever listens there are not evaluated"));
                walk.uncertain = true;
                Flow::Continue
            }
            RouteTarget::InternetGateway(id) => {
                let Some(gateway) = model.internet_gateways.get(id) else {
                    return self.missing_target(id, InputKind::InternetGateways, table_id, route, walk);
                };
                if !gateway.is_attached_to(vpc) {
                    walk.hop(
                        "internet-gateway",
                        Some(id),
                        HopStatus::Fail,
                        format!("{id} is not attached to {vpc}"),
                        Some(format!(
                            "attachments: {:?}",
                            gateway.attachments.iter().map(|a| format!("{} {}", a.vpc_id, a.state)).collect::<Vec<_>>()
                        )),
                    );
                    return walk.block(
                        "igw.detached",
                        format!("the route {} points at {id}, which is not attached to {vpc}", route_text(route)),
                        vec![id.clone(), table_id.to_string()],
                    );
                }
                if blackhole {
                    return self.blackhole(table_id, route, walk);
                }
                if !is_v6(address) && source.public_ip == Some(false) {
                    walk.hop(
                        "internet-gateway",
                        Some(id),
                        HopStatus::Fail,
                        format!("{id} is attached, but the node has no public IPv4 address: an internet gateway only translates addresses that have one"),
                        None,
                    );
                    let nat = self.egress.get(vpc).and_then(|e| e.usable_nats.first()).map(|(nat, _)| nat.clone());
                    let mut resources = vec![table_id.to_string(), id.clone(), source.subnet.id.clone()];
                    resources.extend(nat.clone());
                    return walk.block_with(
                        "route.wrong-target",
                        format!("{table_id} sends {address} straight to {id}, but nodes in {} have no public IPv4 address; private subnets need a NAT gateway", source.subnet.id),
                        resources,
                        nat,
                    );
                }
                if source.public_ip.is_none() {
                    walk.assumptions
                        .push(format!("nodes in {} are assumed to have a public IPv4 address (MapPublicIpOnLaunch)", source.subnet.id));
                }
                walk.hop("internet-gateway", Some(id), HopStatus::Pass, format!("{id} is attached to {vpc}: out to the internet"), None);
                walk.reach(id)
            }
            RouteTarget::NatGateway(id) => self.follow_nat(source, table_id, route, id, address, port, walk),
            RouteTarget::EgressOnlyInternetGateway(id) => {
                let Some(gateway) = model.internet_gateways.get(id) else {
                    return self.missing_target(id, InputKind::EgressOnlyInternetGateways, table_id, route, walk);
                };
                if !gateway.is_attached_to(vpc) {
                    walk.hop("egress-only-gateway", Some(id), HopStatus::Fail, format!("{id} is not attached to {vpc}"), None);
                    return walk.block(
                        "igw.detached",
                        format!("the route {} points at {id}, which is not attached to {vpc}", route_text(route)),
                        vec![id.clone(), table_id.to_string()],
                    );
                }
                if blackhole {
                    return self.blackhole(table_id, route, walk);
                }
                if !is_v6(address) {
                    walk.hop(
                        "egress-only-gateway",
                        Some(id),
                        HopStatus::Fail,
                        "an egress-only internet gateway carries IPv6 only".into(),
                        None,
                    );
                    return walk.block(
                        "route.wrong-target",
                        format!("{table_id} sends IPv4 traffic to the egress-only gateway {id}, which carries IPv6 only"),
                        vec![table_id.to_string(), id.clone()],
                    );
                }
                walk.hop("egress-only-gateway", Some(id), HopStatus::Pass, format!("{id} carries IPv6 out to the internet"), None);
                walk.reach(id)
            }
            RouteTarget::VpcEndpoint(id) => {
                let Some(endpoint) = model.vpc_endpoints.get(id) else {
                    return self.missing_target(id, InputKind::VpcEndpoints, table_id, route, walk);
                };
                if blackhole || endpoint.state != "available" {
                    walk.hop("gateway-endpoint", Some(id), HopStatus::Fail, format!("{id} is {}", endpoint.state), None);
                    return walk.block(
                        "endpoint.missing",
                        format!("the gateway endpoint {id} is {}, so its route carries nothing", endpoint.state),
                        vec![id.clone(), table_id.to_string()],
                    );
                }
                if endpoint.endpoint_type == EndpointType::GatewayLoadBalancer {
                    walk.hop(
                        "gateway-load-balancer-endpoint",
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
                    if let Flow::Stop = self.check_endpoint_policy(
                        endpoint,
                        "s3:GetObject",
                        &format!("arn:aws:s3:::prod-{region}-starport-layer-bucket/*"),
                        None,
                        walk,
                    ) {
                        return Flow::Stop;
                    }
                    walk.hop(
                        "gateway-endpoint",
                        Some(id),
                        HopStatus::Pass,
                        format!("the S3 gateway endpoint {id} carries the layer downloads"),
                        None,
                    );
                    return walk.reach(id);
                }
                walk.hop(
                    "gateway-endpoint",
                    Some(id),
                    HopStatus::Fail,
                    format!("{id} serves {}, not {}", endpoint.service_name, service.label()),
                    None,
                );
                walk.block(
                    "route.wrong-target",
                    format!("{table_id} sends {address} to {id}, an endpoint for {}", endpoint.service_name),
                    vec![table_id.to_string(), id.clone()],
                )
            }
            RouteTarget::VpcPeering(id) if internet_bound => {
                walk.hop("peering", Some(id), HopStatus::Fail, "a VPC peering connection never carries internet traffic: AWS does not support edge-to-edge routing through a peer's NAT or internet gateway".into(), None);
                let fix_target = self.suggest_gateway(source);
                let mut resources = vec![table_id.to_string(), id.clone()];
                resources.extend(fix_target.clone());
                walk.block_with(
                    "route.wrong-target",
                    format!("{table_id} sends {address} to the peering connection {id}, which cannot reach the internet"),
                    resources,
                    fix_target,
                )
            }
            other => {
                if blackhole {
                    return self.blackhole(table_id, route, walk);
                }
                let (kind, what) = match other {
                    RouteTarget::TransitGateway(_) => {
                        ("transit-gateway", "the transit gateway's route tables and the egress VPC's NAT and firewall")
                    }
                    RouteTarget::VpcPeering(_) => ("peering", "the peer VPC's route tables, security groups and ACLs"),
                    RouteTarget::VpnGateway(_) => ("vpn-gateway", "the on-premises network behind the VPN"),
                    RouteTarget::NetworkInterface(_) | RouteTarget::Instance(_) => {
                        ("appliance", "the appliance (proxy, firewall or NAT instance) behind that interface")
                    }
                    _ => ("gateway", "the network behind that target"),
                };
                let target = other.id().to_string();
                walk.hop(kind, Some(&target), HopStatus::Unknown, format!("the path leaves the VPC through {target}; check {what}"), None);
                let _ = bypassed;
                walk.leaves_scope(
                    format!(
                        "{table_id} sends {address} to {target}: the rest of the path is outside what the bundle describes; check {what}"
                    ),
                    vec![target, table_id.to_string()],
                )
            }
        }
    }

    fn missing_target(&self, id: &str, kind: InputKind, table_id: &str, route: &pulldoctor_model::Route, walk: &mut Walk) -> Flow {
        if self.model.inputs.contains(&kind) {
            walk.hop("target", Some(id), HopStatus::Fail, format!("{id} does not exist (not in the bundle's `{}`)", kind.command()), None);
            walk.block(
                "route.blackhole",
                format!("the route {} points at {id}, which no longer exists", route_text(route)),
                vec![table_id.to_string(), id.to_string()],
            )
        } else {
            walk.hop("target", Some(id), HopStatus::Unknown, format!("{id} cannot be checked: add `{}`", kind.command()), None);
            walk.assumptions.push(format!("add `{}` to check {id}", kind.command()));
            walk.unknown()
        }
    }

    fn blackhole(&self, table_id: &str, route: &pulldoctor_model::Route, walk: &mut Walk) -> Flow {
        walk.block(
            "route.blackhole",
            format!("the route {} is a blackhole: its target is gone or stopped", route_text(route)),
            vec![table_id.to_string(), route.target.id().to_string()],
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn follow_nat(
        &self,
        source: &Source,
        table_id: &str,
        route: &pulldoctor_model::Route,
        id: &str,
        address: &Address,
        port: u16,
        walk: &mut Walk,
    ) -> Flow {
        let model = self.model;
        let Some(nat) = model.nat_gateways.get(id) else {
            return self.missing_target(id, InputKind::NatGateways, table_id, route, walk);
        };
        if nat.state != "available" {
            walk.hop(
                "nat-gateway",
                Some(id),
                HopStatus::Fail,
                format!("{id} is {}{}", nat.state, nat.failure_message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()),
                Some(route_text(route)),
            );
            let fix_target = self.suggest_gateway(source).filter(|t| t != id);
            let mut resources = vec![id.to_string(), table_id.to_string()];
            resources.extend(fix_target.clone());
            return walk.block_with(
                "nat.unavailable",
                format!("{table_id} routes {address} to {id}, which is {}", nat.state),
                resources,
                fix_target,
            );
        }
        if route.state == RouteState::Blackhole {
            return self.blackhole(table_id, route, walk);
        }
        if nat.connectivity_type != "public" && is_public(address) {
            walk.hop(
                "nat-gateway",
                Some(id),
                HopStatus::Fail,
                format!("{id} is a private NAT gateway: it cannot reach the internet"),
                None,
            );
            return walk.block(
                "route.wrong-target",
                format!("{table_id} sends {address} to the private NAT gateway {id}, which has no internet access"),
                vec![table_id.to_string(), id.to_string()],
            );
        }
        let Some(nat_subnet) = nat.subnet_id.as_deref() else {
            walk.hop("nat-gateway", Some(id), HopStatus::Unknown, format!("the bundle does not say which subnet {id} is in"), None);
            return walk.unknown();
        };
        walk.hop(
            "nat-gateway",
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
                if let Flow::Stop = self.check_acl(nat_subnet, egress, ports, node, what, walk) {
                    return Flow::Stop;
                }
            }
        }
        let key = (id.to_string(), address_key(address), port, nat_subnet == source.subnet.id);
        if let Some(leg) = walk.interner.nat_legs.get(&key).cloned() {
            walk.hops.extend(leg.hops);
            walk.assumptions.extend(leg.assumptions);
            walk.uncertain |= leg.uncertain;
            if leg.verdict.is_some() {
                walk.verdict = leg.verdict;
            }
            if leg.blocker.is_some() {
                walk.blocker = leg.blocker;
            }
            if leg.via.is_some() {
                walk.via = leg.via;
            }
            return leg.flow;
        }
        let (hops_before, assumptions_before, uncertain_before) = (walk.hops.len(), walk.assumptions.len(), walk.uncertain);
        walk.uncertain = false;
        let flow = self.nat_egress_leg(id, nat_subnet, source.subnet.id.as_str(), address, port, walk);
        let leg = Leg {
            hops: walk.hops[hops_before..].to_vec(),
            assumptions: walk.assumptions[assumptions_before..].to_vec(),
            verdict: walk.verdict,
            blocker: walk.blocker.clone(),
            via: walk.via.clone(),
            uncertain: walk.uncertain,
            flow,
        };
        walk.uncertain |= uncertain_before;
        walk.interner.nat_legs.insert(key, leg);
        flow
    }

    /// From a NAT gateway's subnet to the destination: that subnet's ACL both ways, its route
    /// table, and the internet gateway.
    #[allow(clippy::too_many_arguments)]
    fn nat_egress_leg(&self, id: &str, nat_subnet: &str, source_subnet: &str, address: &Address, port: u16, walk: &mut Walk) -> Flow {
        let model = self.model;
        if nat_subnet != source_subnet {
            for (egress, ports, what) in [
                (true, (port, port), "the NAT gateway's subnet (to the registry)"),
                (false, NAT_EPHEMERAL, "the NAT gateway's subnet (return traffic)"),
            ] {
                if let Flow::Stop = self.check_acl(nat_subnet, egress, ports, address, what, walk) {
                    return Flow::Stop;
                }
            }
        }
        let Some((nat_table, _)) = model.effective_route_table(nat_subnet) else {
            walk.hop(
                "route-table",
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
                    "route-table",
                    Some(&nat_table.id),
                    HopStatus::Fail,
                    format!("the NAT gateway's subnet {nat_subnet} uses {}, which has no route to {address}", nat_table.id),
                    None,
                );
                walk.block(
                    "nat.no-internet-route",
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
                                "route-table",
                                Some(&nat_table.id),
                                HopStatus::Pass,
                                format!("the NAT subnet's table {} routes {address} via {}", nat_table.id, route_text(nat_route)),
                                Some(route_text(nat_route)),
                            );
                            walk.hop(
                                "internet-gateway",
                                Some(igw),
                                HopStatus::Pass,
                                format!("{igw} is attached: out to the internet"),
                                None,
                            );
                            walk.reach(id)
                        }
                        Some(false) => {
                            walk.hop(
                                "internet-gateway",
                                Some(igw),
                                HopStatus::Fail,
                                format!("{igw} is not attached to {}", nat_table.vpc_id),
                                None,
                            );
                            walk.block(
                                "igw.detached",
                                format!("the NAT subnet's route table {} points at {igw}, which is detached", nat_table.id),
                                vec![igw.clone(), nat_table.id.clone(), id.to_string()],
                            )
                        }
                        None if !model.inputs.contains(&InputKind::InternetGateways) => {
                            walk.hop(
                                "internet-gateway",
                                Some(igw),
                                HopStatus::Unknown,
                                "internet gateways are not in the bundle".into(),
                                None,
                            );
                            walk.unknown()
                        }
                        _ => {
                            walk.hop(
                                "route-table",
                                Some(&nat_table.id),
                                HopStatus::Fail,
                                format!("{} is a blackhole", route_text(nat_route)),
                                None,
                            );
                            walk.block(
                                "nat.no-internet-route",
                                format!(
                                    "{id} sits in {nat_subnet}, whose route table {} sends {address} to a gateway that is gone ({})",
                                    nat_table.id,
                                    route_text(nat_route)
                                ),
                                vec![nat_table.id.clone(), id.to_string(), nat_subnet.to_string()],
                            )
                        }
                    }
                }
                RouteTarget::TransitGateway(_) | RouteTarget::NetworkInterface(_) | RouteTarget::VpcEndpoint(_) => {
                    let target = nat_route.target.id().to_string();
                    walk.hop(
                        "route-table",
                        Some(&nat_table.id),
                        HopStatus::Unknown,
                        format!("the NAT subnet's table {} sends {address} on to {target}", nat_table.id),
                        Some(route_text(nat_route)),
                    );
                    walk.leaves_scope(
                        format!("after {id}, the path goes on to {target}, outside what the bundle describes"),
                        vec![target, nat_table.id.clone()],
                    )
                }
                _ => {
                    walk.hop(
                        "route-table",
                        Some(&nat_table.id),
                        HopStatus::Fail,
                        format!(
                            "the NAT subnet's table {} sends {address} to {}, not to an internet gateway",
                            nat_table.id,
                            route_text(nat_route)
                        ),
                        None,
                    );
                    walk.block(
                        "nat.no-internet-route",
                        format!(
                            "{id} sits in {nat_subnet}, whose route table {} has no route to an internet gateway ({} instead)",
                            nat_table.id,
                            route_text(nat_route)
                        ),
                        vec![nat_table.id.clone(), id.to_string(), nat_subnet.to_string()],
                    )
                }
            },
        }
    }

    fn walk_interface_endpoint(
        &self,
        source: &Source,
        target: &Target,
        port: u16,
        endpoint: &VpcEndpoint,
        walk: &mut Walk,
        address_out: &mut Option<Address>,
    ) {
        let model = self.model;
        if endpoint.state != "available" {
            walk.hop("interface-endpoint", Some(&endpoint.id), HopStatus::Fail, format!("{} is {}", endpoint.id, endpoint.state), None);
            walk.block(
                "endpoint.missing",
                format!("the interface endpoint {} for {} is {}, not available", endpoint.id, endpoint.service_name, endpoint.state),
                vec![endpoint.id.clone()],
            );
            return;
        }
        // Which endpoint interface the node talks to: the dialled one, else the one in the node's zone.
        let interfaces: Vec<&pulldoctor_model::NetworkInterface> =
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
        let address = match (target.address, chosen.and_then(|i| i.private_ips.first().copied())) {
            (Some(ip), _) => Address::Known { ip },
            (None, Some(ip)) => Address::Known { ip },
            (None, None) => {
                let cidr = endpoint_subnet.as_ref().and_then(|s| model.subnets.get(s)).and_then(|s| s.cidr);
                Address::Set {
                    label: format!("{}'s subnet {}", endpoint.id, endpoint_subnet.clone().unwrap_or_default()),
                    cidrs: cidr.into_iter().collect(),
                }
            }
        };
        *address_out = Some(address.clone());
        walk.hop(
            "interface-endpoint",
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
            if walk.rule_hop("security-group", None, decision, describe).is_some() {
                walk.block(
                    "sg.egress-denied",
                    format!("no egress rule of the node's security groups allows tcp {port} to the endpoint {}", endpoint.id),
                    source.groups.clone(),
                );
                return;
            }
        }
        if let Flow::Stop = self.check_acl(&source.subnet.id, true, (port, port), &address, "the node's subnet", walk) {
            return;
        }
        if let Some((table, _)) = model.effective_route_table(&source.subnet.id) {
            let selection = route::select(model, table, &address);
            match selection.route {
                Some(route) if route.target == RouteTarget::Local => {
                    walk.hop(
                        "route-table",
                        Some(&table.id),
                        HopStatus::Pass,
                        format!("{address} is inside the VPC: {}", route_text(route)),
                        Some(route_text(route)),
                    );
                }
                Some(route) => {
                    walk.hop(
                        "route-table",
                        Some(&table.id),
                        HopStatus::Unknown,
                        format!("{address} takes {} rather than the local route", route_text(route)),
                        None,
                    );
                }
                None => {
                    walk.hop(
                        "route-table",
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
                if let Flow::Stop = self.check_acl(endpoint_subnet, egress, ports, &source.address, what, walk) {
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
            if walk.rule_hop("endpoint-security-group", None, decision, describe).is_some() {
                let mut resources = vec![endpoint.id.clone()];
                resources.extend(endpoint_groups.iter().cloned());
                walk.block(
                    "endpoint.sg-denied",
                    format!("the security groups of {} do not admit tcp {port} from the node ({})", endpoint.id, source.address),
                    resources,
                );
                return;
            }
        }
        let (action, resource) = match service_of(target.host.as_deref().unwrap_or_default()) {
            Service::EcrApi { .. } => ("ecr:GetAuthorizationToken", "*".to_string()),
            Service::S3 { region } => ("s3:GetObject", format!("arn:aws:s3:::prod-{region}-starport-layer-bucket/*")),
            _ => ("ecr:BatchGetImage", target.repository_arn.clone().unwrap_or_else(|| "*".into())),
        };
        if let Flow::Stop = self.check_endpoint_policy(endpoint, action, &resource, target.principal_arn.as_deref(), walk) {
            return;
        }
        walk.hop(
            "interface-endpoint",
            Some(&endpoint.id),
            HopStatus::Pass,
            format!("{} serves {}", endpoint.id, endpoint.service_name),
            None,
        );
        walk.reach(&endpoint.id);
    }

    fn check_endpoint_policy(
        &self,
        endpoint: &VpcEndpoint,
        action: &str,
        resource: &str,
        principal: Option<&str>,
        walk: &mut Walk,
    ) -> Flow {
        let Some(text) = endpoint.policy_document.as_deref() else {
            return Flow::Continue;
        };
        match crate::policy::evaluate(text, action, resource, principal) {
            crate::policy::Outcome::Allowed(by) => {
                walk.hop(
                    "endpoint-policy",
                    Some(&endpoint.id),
                    HopStatus::Pass,
                    format!("the policy of {} allows {action}", endpoint.id),
                    Some(by),
                );
                Flow::Continue
            }
            crate::policy::Outcome::Denied(why) => {
                walk.hop(
                    "endpoint-policy",
                    Some(&endpoint.id),
                    HopStatus::Fail,
                    format!("the policy of {} does not allow {action} on {resource}", endpoint.id),
                    Some(why.clone()),
                );
                walk.block(
                    "endpoint.policy-denied",
                    format!("the endpoint policy of {} does not allow {action} on {resource} ({why})", endpoint.id),
                    vec![endpoint.id.clone()],
                )
            }
            crate::policy::Outcome::Unknown(why) => {
                walk.hop(
                    "endpoint-policy",
                    Some(&endpoint.id),
                    HopStatus::Unknown,
                    format!("the policy of {} cannot be evaluated offline: {why}", endpoint.id),
                    None,
                );
                Flow::Continue
            }
        }
    }
}
