//! Name resolution: the VPC resolver (`enableDnsSupport`), the DNS servers of the VPC's DHCP
//! options when they are your own, an interface endpoint's private DNS (and `enableDnsHostnames`,
//! which it needs; only the VPC resolver answers it), the dialled address when the error names
//! one, and the S3 prefix list. Decides where the walk goes next: to an interface endpoint, or out by the
//! route table to a public address.

use std::net::IpAddr;

use pulldoctor_model::{Code, EndpointType, InputKind, VpcEndpoint};

use crate::address::{self, Address};
use crate::network::Network;
use crate::query::Target;
use crate::recorder::Walk;
use crate::result::{HopKind, HopStatus, Service};

/// Where DNS sends the path.
pub(crate) struct Resolution<'m> {
    /// The destination, when the path goes out by the route table.
    pub address: Address,
    /// The interface endpoint the host resolves to (private DNS), or that holds the dialled address.
    pub endpoint: Option<&'m VpcEndpoint>,
    /// The service's interface endpoint that DNS bypasses, why, and the code that blocks when the
    /// public addresses it resolves to have no way out.
    pub bypassed: Option<Bypass<'m>>,
}

/// An interface endpoint that name resolution goes around.
pub(crate) struct Bypass<'m> {
    pub endpoint: &'m VpcEndpoint,
    pub reason: String,
    pub code: Code,
    /// The DHCP options set whose servers answered, for `dns.custom-servers`.
    pub dhcp_options: Option<String>,
}

/// The VPC's DHCP options set and its DNS servers, when they are your own (not the VPC resolver).
fn custom_servers<'m>(net: &Network<'m>, vpc_id: &str) -> Option<(&'m str, &'m [String])> {
    let id = net.model.vpcs.get(vpc_id)?.dhcp_options_id.as_deref()?;
    let options = net.model.dhcp_options.get(id)?;
    let servers = options.custom_servers();
    (!servers.is_empty()).then_some((options.id.as_str(), servers))
}

/// Resolve the target from the source's VPC and record the DNS hops; `None` when the walk stops
/// here (the VPC resolver is off, or there is nothing to trace to).
pub(crate) fn resolve<'m>(net: &Network<'m>, vpc_id: &str, target: &Target, service: &Service, walk: &mut Walk) -> Option<Resolution<'m>> {
    let model = net.model;
    let vpc = model.vpcs.get(vpc_id);
    let mut bypassed: Option<Bypass> = None;
    let mut endpoint_target: Option<&VpcEndpoint> = None;
    let servers = custom_servers(net, vpc_id);
    let address = if let Some(host) = &target.host {
        let dns_support = vpc.and_then(|v| v.dns_support);
        match (dns_support, servers) {
            (Some(false), Some((options, list))) => {
                walk.hop(
                    HopKind::Dns,
                    Some(options),
                    HopStatus::Info,
                    format!(
                        "enableDnsSupport is false on {vpc_id}, but the nodes ask {} (DHCP options {options}), not the VPC resolver",
                        list.join(", ")
                    ),
                    None,
                );
            }
            (Some(false), None) => {
                walk.hop(
                    HopKind::Dns,
                    Some(vpc_id),
                    HopStatus::Fail,
                    format!("enableDnsSupport is false on {vpc_id}: the VPC resolver (the VPC CIDR base + 2) does not answer, so {host} does not resolve"),
                    Some(format!("{vpc_id} enableDnsSupport = false")),
                );
                walk.assumptions.push(
                    "custom DHCP options (your own DNS servers) are not read: `aws ec2 describe-dhcp-options` would show them".into(),
                );
                walk.block(
                    Code::DnsVpcResolverDisabled,
                    format!("{vpc_id} has enableDnsSupport off, so nodes cannot resolve {host}"),
                    vec![vpc_id.to_string()],
                );
                return None;
            }
            (None, _) => walk.assumptions.push(format!(
                "enableDnsSupport of {vpc_id} is not in the bundle and is assumed on (the AWS default): `{}`",
                InputKind::VpcDnsSupport.command().replace("VPC", vpc_id)
            )),
            (Some(true), _) => {}
        }
        let endpoint = interface_endpoint(net, vpc_id, service);
        match endpoint {
            Some(endpoint) => {
                let hostnames = vpc.and_then(|v| v.dns_hostnames);
                let dialled_public = target.address.filter(|ip| !address::is_private(*ip));
                let reason = if !endpoint.private_dns_enabled {
                    Some((format!("{} has private DNS disabled", endpoint.id), Code::EndpointPrivateDnsDisabled, None))
                } else if hostnames == Some(false) {
                    Some((
                        format!("{vpc_id} has enableDnsHostnames off, which private DNS for {} needs", endpoint.id),
                        Code::EndpointPrivateDnsDisabled,
                        None,
                    ))
                } else if dns_support == Some(false) {
                    // the DHCP servers answer instead (else the walk stopped above), but only the
                    // VPC resolver answers the endpoint's private names
                    Some((
                        format!(
                            "the VPC resolver is off (enableDnsSupport false on {vpc_id}) and only it answers the private DNS of {}",
                            endpoint.id
                        ),
                        Code::DnsVpcResolverDisabled,
                        None,
                    ))
                } else if let (Some((options, list)), Some(ip)) = (servers, dialled_public) {
                    Some((
                        format!(
                            "the nodes ask {} (DHCP options {options}), not the VPC resolver, and they answered {host} with the public address {ip}",
                            list.join(", ")
                        ),
                        Code::DnsCustomServers,
                        Some(options.to_string()),
                    ))
                } else {
                    None
                };
                match (reason, servers, target.address) {
                    (None, Some((options, list)), None) => {
                        walk.hop(
                            HopKind::Dns,
                            Some(options),
                            HopStatus::Unknown,
                            format!(
                                "{host} resolves to the interface endpoint {} only if {} (the DNS servers of DHCP options {options}) forward the region's amazonaws.com names to the VPC resolver, which alone answers private DNS",
                                endpoint.id,
                                list.join(", ")
                            ),
                            None,
                        );
                        walk.assumptions.push(format!(
                            "{} are assumed to forward amazonaws.com to the VPC resolver (the bundle cannot show their configuration; an error that dials a public address would show they do not)",
                            list.join(", ")
                        ));
                        endpoint_target = Some(endpoint);
                    }
                    (None, _, _) => {
                        if hostnames.is_none() {
                            walk.assumptions.push(format!("enableDnsHostnames of {vpc_id} is not in the bundle and is assumed on"));
                        }
                        walk.hop(
                            HopKind::Dns,
                            Some(&endpoint.id),
                            HopStatus::Pass,
                            format!("{host} resolves to the interface endpoint {} (private DNS on)", endpoint.id),
                            None,
                        );
                        endpoint_target = Some(endpoint);
                    }
                    (Some((reason, code, dhcp_options)), _, _) => {
                        walk.hop(
                            HopKind::Dns,
                            Some(dhcp_options.as_deref().unwrap_or(&endpoint.id)),
                            HopStatus::Info,
                            format!("{host} resolves to public addresses: {reason}, so the endpoint is bypassed"),
                            None,
                        );
                        walk.bypassed_endpoint = Some(endpoint.id.clone());
                        bypassed = Some(Bypass { endpoint, reason, code, dhcp_options });
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
                walk.hop(HopKind::Dns, None, HopStatus::Info, note, None);
            }
        }
        match (target.address, endpoint_target, service) {
            (Some(ip), _, _) => {
                walk.hop(
                    HopKind::Dns,
                    None,
                    HopStatus::Info,
                    format!("the error names the dialled address {ip}: that is where the runtime connected"),
                    None,
                );
                if address::is_private(ip) {
                    endpoint_target = endpoint_target.or_else(|| endpoint_holding(net, vpc_id, service, ip));
                } else if let Some(endpoint) = endpoint_target.take() {
                    walk.assumptions.push(format!("{host} should resolve to {} but the runtime dialled the public address {ip}: a node-level resolver or /etc/hosts may override the VPC's DNS", endpoint.id));
                }
                Address::Known { ip }
            }
            (None, Some(_), _) => Address::AnyPublic { v6: false }, // replaced by the endpoint walk
            (None, None, Service::S3 { region }) => {
                let address = s3_address(net, region);
                if let Address::Set { label, cidrs, .. } = &address
                    && cidrs.is_empty()
                {
                    // Said once (the same sentence for every path), not as a doubt on each route.
                    walk.assumptions.push(format!(
                        "prefix list {label} (S3's addresses) lists no ranges in the bundle: taken as S3's public ranges (`aws ec2 get-managed-prefix-list-entries --prefix-list-id {label}`)"
                    ));
                }
                address
            }
            (None, None, _) => Address::AnyPublic { v6: false },
        }
    } else if let Some(ip) = target.address {
        walk.hop(HopKind::Dns, None, HopStatus::Info, format!("tracing to the address {ip}"), None);
        if address::is_private(ip) {
            endpoint_target = endpoint_holding(net, vpc_id, service, ip);
        }
        Address::Known { ip }
    } else {
        walk.hop(HopKind::Dns, None, HopStatus::Unknown, "no host and no address to trace to".into(), None);
        walk.unknown();
        return None;
    };
    Some(Resolution { address, endpoint: endpoint_target, bypassed })
}

fn interface_endpoint<'m>(net: &Network<'m>, vpc: &str, service: &Service) -> Option<&'m VpcEndpoint> {
    let name = service.endpoint_service()?;
    net.model.endpoints_in_vpc(vpc).find(|e| e.service_name == name && e.endpoint_type == EndpointType::Interface)
}

fn s3_address(net: &Network, region: &str) -> Address {
    let name = format!("com.amazonaws.{region}.s3");
    match net.model.prefix_lists.values().find(|p| p.name.as_deref() == Some(name.as_str())) {
        Some(list) => Address::Set { label: list.id.clone(), cidrs: list.cidrs.clone().unwrap_or_default(), service: true },
        None => Address::AnyPublic { v6: false },
    }
}

/// The interface endpoint (for this service) whose interface or subnet holds a private dialled address.
fn endpoint_holding<'m>(net: &Network<'m>, vpc: &str, service: &Service, ip: IpAddr) -> Option<&'m VpcEndpoint> {
    let endpoint = interface_endpoint(net, vpc, service)?;
    let by_interface =
        endpoint.network_interface_ids.iter().filter_map(|id| net.model.network_interfaces.get(id)).any(|i| i.private_ips.contains(&ip));
    let by_subnet = endpoint.subnet_ids.iter().filter_map(|id| net.model.subnets.get(id)).any(|s| s.cidr.is_some_and(|c| c.contains(&ip)));
    (by_interface || by_subnet).then_some(endpoint)
}
