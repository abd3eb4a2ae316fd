//! What a trace answers: the hops of a path, each with the rule that decided it, the verdict and
//! what blocks it; and the AWS service a host belongs to.

use std::sync::Arc;

use pulldoctor_model::{Association, Code};
use serde::{Deserialize, Serialize};

use crate::address::Address;

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
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Service::EcrRegistry { .. } => "the ECR registry",
            Service::EcrApi { .. } => "the ECR API",
            Service::S3 { .. } => "S3 (image layers)",
            Service::Other => "the registry",
        }
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum HopStatus {
    Pass,
    Fail,
    Unknown,
    Info,
}

/// What a hop of a path is. Serialised as its kebab-case name (`security-group`), which is part of
/// the JSON report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HopKind {
    /// Where the path starts: the node's instance, subnet and addresses.
    Source,
    /// Name resolution: the VPC resolver, endpoint private DNS, the dialled address.
    Dns,
    SecurityGroup,
    NetworkAcl,
    RouteTable,
    /// What the matching route points at, when it is not a gateway of its own hop kind.
    Target,
    InternetGateway,
    EgressOnlyGateway,
    NatGateway,
    GatewayEndpoint,
    InterfaceEndpoint,
    EndpointSecurityGroup,
    /// The endpoint's policy, evaluated for the pull's actions and principal.
    EndpointPolicy,
    GatewayLoadBalancerEndpoint,
    Peering,
    TransitGateway,
    VpnGateway,
    /// A network interface or instance the route points at: a proxy, firewall or NAT instance.
    Appliance,
    /// Any other target that leaves the VPC.
    Gateway,
}

impl HopKind {
    /// The kebab-case name, as the JSON report and the text renderer show it.
    pub fn as_str(self) -> &'static str {
        match self {
            HopKind::Source => "source",
            HopKind::Dns => "dns",
            HopKind::SecurityGroup => "security-group",
            HopKind::NetworkAcl => "network-acl",
            HopKind::RouteTable => "route-table",
            HopKind::Target => "target",
            HopKind::InternetGateway => "internet-gateway",
            HopKind::EgressOnlyGateway => "egress-only-gateway",
            HopKind::NatGateway => "nat-gateway",
            HopKind::GatewayEndpoint => "gateway-endpoint",
            HopKind::InterfaceEndpoint => "interface-endpoint",
            HopKind::EndpointSecurityGroup => "endpoint-security-group",
            HopKind::EndpointPolicy => "endpoint-policy",
            HopKind::GatewayLoadBalancerEndpoint => "gateway-load-balancer-endpoint",
            HopKind::Peering => "peering",
            HopKind::TransitGateway => "transit-gateway",
            HopKind::VpnGateway => "vpn-gateway",
            HopKind::Appliance => "appliance",
            HopKind::Gateway => "gateway",
        }
    }
}

impl schemars::JsonSchema for HopKind {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "HopKind".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string" })
    }
}

impl std::fmt::Display for HopKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// One step of the path, with the rule that decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Hop {
    /// `source`, `dns`, `security-group`, `network-acl`, `route-table`, `nat-gateway`, ...
    pub kind: HopKind,
    pub resource: Option<Arc<str>>,
    pub status: HopStatus,
    pub detail: Arc<str>,
    /// The deciding rule, quoted.
    pub rule: Option<Arc<str>>,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Reachable,
    Blocked,
    Unknown,
}

/// Why a path is blocked (or leaves what the bundle shows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Blocker {
    pub code: Code,
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
    /// The host traced to, as asked (`to` shows it to people; not serialised).
    #[serde(skip)]
    pub host: Option<String>,
    /// The service's interface endpoint that DNS bypasses (its private DNS is off, or the VPC's
    /// `enableDnsHostnames`): the host resolves to public addresses instead. The DNS hop that says
    /// so names this endpoint as its resource. Not serialised.
    #[serde(skip)]
    pub bypassed_endpoint: Option<String>,
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
