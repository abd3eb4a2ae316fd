//! Fix plans for the network check: one builder per cause code (an exhaustive match, so a new code
//! must decide its fix), with the exact commands and real ids, what each changes, its blast radius
//! and how to verify. Every mutating EC2 command is shown with `--dry-run` first.

use pulldoctor_model::{Association, Code, EndpointType, Model, RouteState, RouteTarget, region_of_zone};
use pulldoctor_net::{Address, Blocker, PathResult, route};

use crate::change::{Change, Destination};
use crate::fix::{display, ec2, ec2_change, mutating, read_only, verify_pods};
use crate::report::{Command, Fix, FixOption};

/// What every builder reads: the blocker, the traced path it was seen on, and the ids the
/// commands name (placeholders where the input does not say).
struct Site<'a> {
    model: &'a Model,
    blocker: &'a Blocker,
    path: &'a PathResult,
    affected_subnets: &'a [String],
    table: String,
    vpc: String,
    first: String,
    region: String,
}

/// The fix for one network blocker, seen from one traced path.
pub fn network(model: &Model, blocker: &Blocker, path: &PathResult, affected_subnets: &[String], pods: &[String]) -> Fix {
    let site = Site {
        model,
        blocker,
        path,
        affected_subnets,
        table: path.route_table_id.clone().unwrap_or_else(|| "RTB".into()),
        vpc: path.vpc_id.clone().unwrap_or_else(|| "VPC".into()),
        first: blocker.resources.first().cloned().unwrap_or_default(),
        region: path
            .subnet_id
            .as_ref()
            .and_then(|s| model.subnets.get(s))
            .and_then(|s| s.availability_zone.as_deref())
            .and_then(region_of_zone)
            .unwrap_or_else(|| "REGION".into()),
    };
    let mut fix = Fix::default();
    match blocker.code {
        Code::RouteNoRoute | Code::RouteBlackhole | Code::RouteWrongTarget | Code::NatUnavailable => route_out(&site, &mut fix),
        Code::NatNoInternetRoute => nat_internet_route(&site, &mut fix),
        Code::IgwDetached => attach_gateway(&site, &mut fix),
        Code::SgEgressDenied => security_group_egress(&site, &mut fix),
        Code::NaclEgressDenied | Code::NaclReturnDenied => network_acl_entry(&site, &mut fix),
        Code::EndpointPrivateDnsDisabled => endpoint_private_dns(&site, &mut fix),
        Code::EndpointSgDenied => endpoint_security_group(&site, &mut fix),
        Code::EndpointS3Unreachable => s3_gateway_endpoint(&site, &mut fix),
        Code::EndpointMissing => create_endpoints(&site, &mut fix),
        Code::EndpointPolicyDenied => endpoint_policy(&site, &mut fix),
        Code::DnsVpcResolverDisabled => vpc_dns_support(&site, &mut fix),
        Code::DnsCustomServers => dns_servers(&site, &mut fix),
        Code::PathLeavesScope => beyond_the_vpc(&site, &mut fix),
        // The engine blocks only with network codes.
        Code::ProxyMisconfigured
        | Code::ClusterRegistryBlocked
        | Code::ClusterMirrorMisconfigured
        | Code::PullSecretExpired
        | Code::PullSecretMissing
        | Code::PullSecretWrongRegistry
        | Code::PullSecretNotFound
        | Code::IamEcrDenied
        | Code::EcrRepositoryPolicyDenied
        | Code::ImageTagNotFound
        | Code::ImageRepositoryNotFound
        | Code::ImageInvalidReference
        | Code::ImagePlatformMismatch
        | Code::RegistryRateLimited
        | Code::RegistryTlsUntrusted
        | Code::RegistryUnavailable
        | Code::NodeDiskPressure => {}
    }
    fix.verify.extend(verify_pods(pods));
    fix
}

/// `route.no-route`, `route.blackhole`, `route.wrong-target`, `nat.unavailable`: a route (new, or replacing the bad one) to a working gateway, or an association with a table that already has one.
fn route_out(site: &Site, fix: &mut Fix) {
    let Site { model, blocker, path, affected_subnets, table, vpc, .. } = site;
    let destination = default_route(path.address.as_ref());
    let (mut radius, only_affected) = blast_radius(model, table, affected_subnets);
    if let Some(note) = blocker.fix_target.as_deref().and_then(|t| cross_zone_note(model, t, affected_subnets)) {
        radius.push_str(&note);
    }
    let existing_route = blocker.code != Code::RouteNoRoute;
    match &blocker.fix_target {
        Some(target) => {
            let change = if existing_route {
                Change::ReplaceRoute { table: table.clone(), destination: destination.clone(), target: target.clone(), previous: None }
            } else {
                Change::CreateRoute { table: table.clone(), destination: destination.clone(), target: target.clone() }
            };
            let changes = format!("{} the route in {table} so it sends registry traffic to {target}", if existing_route { "replaces" } else { "adds" });
            // An alternative for main-table subnets: associate them with a table that already works.
            let working_table = (path.association == Some(Association::Main))
                .then(|| working_table(model, vpc, target, table))
                .flatten();
            let prefer_route = only_affected || working_table.is_none();
            fix.options.push(FixOption {
                title: format!("{} a route in {table} to {target}", if existing_route { "Replace" } else { "Add" }),
                commands: when_real(change, &changes),
                blast_radius: radius.clone(),
                preferred: prefer_route,
                rationale: if only_affected {
                    "one change that fixes every affected subnet and touches no other".into()
                } else if working_table.is_none() {
                    "no other route table in the VPC already routes to a working gateway".into()
                } else {
                    "works, but changes traffic for the unaffected subnets listed".into()
                },
            });
            if let Some(working) = working_table {
                let commands: Vec<Command> = affected_subnets
                    .iter()
                    .flat_map(|subnet| {
                        let change = Change::AssociateRouteTable { table: working.clone(), subnet: subnet.clone(), association: None };
                        when_real(change, &format!("makes {subnet} use {working} instead of the main table"))
                    })
                    .collect();
                fix.options.push(FixOption {
                    title: format!("Associate the affected subnets with {working}, which already routes to {target}"),
                    commands,
                    blast_radius: format!("only the affected subnets ({}) change; the main table {table} stays as it is", affected_subnets.join(", ")),
                    preferred: !prefer_route,
                    rationale: if prefer_route {
                        "an explicit association per subnet also protects against later changes to the main table, but takes one command per subnet".into()
                    } else {
                        "touches only the affected subnets and leaves the main table private".into()
                    },
                });
            }
        }
        None => fix.options.push(FixOption {
            title: "Give the subnets a way out".into(),
            commands: vec![display(
                format!("aws ec2 create-nat-gateway --subnet-id PUBLIC_SUBNET --allocation-id EIPALLOC   # then: aws ec2 create-route --route-table-id {table} {} --nat-gateway-id NAT", destination.flag()),
                format!("{vpc} has no usable NAT gateway or internet gateway: create one (or VPC endpoints for ECR and S3) first"),
            )],
            blast_radius: radius,
            preferred: true,
            rationale: "there is no working gateway in the VPC to point a route at".into(),
        }),
    }
    fix.verify.push(verify_route(table));
}

/// `nat.no-internet-route`: the NAT gateway's own subnet routes to the internet gateway.
fn nat_internet_route(site: &Site, fix: &mut Fix) {
    let Site { model, vpc, first, .. } = site;
    let nat_table = first.clone();
    let igw = model.internet_gateways_for_vpc(vpc).find(|g| !g.egress_only && g.is_attached_to(vpc)).map(|g| g.id.clone());
    let target = igw.clone().unwrap_or_else(|| "IGW".into());
    fix.options.push(FixOption {
        title: format!("Route the NAT gateway's subnet to the internet gateway {target}"),
        commands: when_real(
            Change::CreateRoute { table: nat_table.clone(), destination: Destination::Cidr("0.0.0.0/0".into()), target: target.clone() },
            "adds the NAT subnet's default route",
        ),
        blast_radius: blast_radius(model, &nat_table, &[]).0,
        preferred: true,
        rationale: "a NAT gateway needs its own subnet to reach an internet gateway".into(),
    });
    fix.verify.push(verify_route(&nat_table));
}

/// `igw.detached`: attach the gateway the routes already point at.
fn attach_gateway(site: &Site, fix: &mut Fix) {
    let Site { vpc, first, .. } = site;
    fix.options.push(FixOption {
        title: format!("Attach {first} to {vpc}"),
        commands: when_real(
            Change::AttachInternetGateway { gateway: first.clone(), vpc: vpc.clone() },
            "attaches the gateway; routes to it turn active again",
        ),
        blast_radius: format!("every subnet of {vpc} whose table routes to {first}"),
        preferred: true,
        rationale: "the routes already point at this gateway".into(),
    });
    fix.verify.push(read_only(
        format!("aws ec2 describe-internet-gateways --internet-gateway-ids {first} --query 'InternetGateways[0].Attachments'"),
        "shows the attachment",
    ));
}

/// `sg.egress-denied`: an egress rule for tcp 443 to the destination.
fn security_group_egress(site: &Site, fix: &mut Fix) {
    let Site { path, first, .. } = site;
    let peer = match path.address.as_ref() {
        // Not the S3 prefix list alone even when this path is S3's: the cause covers every blocked
        // pull, and the registry's own addresses are public ones that change.
        Some(Address::Known { ip }) if !path.host.as_deref().is_some_and(|host| host.contains("amazonaws.com")) => {
            Destination::Cidr(format!("{ip}/32"))
        }
        _ => Destination::Cidr("0.0.0.0/0".into()),
    };
    fix.options.push(FixOption {
        title: format!("Allow HTTPS egress from {first}"),
        commands: when_real(
            Change::SecurityGroupEgress { group: first.clone(), port: 443, peer, allow: true },
            "adds an egress rule for tcp 443",
        ),
        blast_radius: format!("every interface that uses {first}"),
        preferred: true,
        rationale: "registries and S3 are reached on tcp 443".into(),
    });
}

/// `nacl.egress-denied`, `nacl.return-denied`: an allow entry numbered before the deny, in the denied direction.
fn network_acl_entry(site: &Site, fix: &mut Fix) {
    let Site { model, blocker, first, .. } = site;
    let acl = first.clone();
    let egress = blocker.code == Code::NaclEgressDenied;
    let (from, to) = if egress { (443, 443) } else { (1024, 65535) };
    let rule_number = model
        .network_acls
        .get(&acl)
        .and_then(|a| a.entries.iter().filter(|e| e.egress == egress).map(|e| e.rule_number).min())
        .map(|n| (n - 1).max(1))
        .unwrap_or(90);
    fix.options.push(FixOption {
        title: format!("Allow the traffic in {acl} before the rule that denies it"),
        commands: when_real(
            Change::CreateNetworkAclEntry { acl: acl.clone(), egress, rule_number, from, to, cidr: "0.0.0.0/0".into() },
            "adds an allow rule ahead of the deny (ACLs are stateless: both directions need a rule)",
        ),
        blast_radius: format!("every subnet associated with {acl}"),
        preferred: true,
        rationale: "the lowest rule number that matches decides".into(),
    });
}

/// `endpoint.private-dns-disabled`: private DNS on every ECR interface endpoint of the VPC that has
/// it off (the registry and the API endpoint are both on a pull's path, so one is not enough).
fn endpoint_private_dns(site: &Site, fix: &mut Fix) {
    let Site { model, vpc, first, .. } = site;
    let mut endpoints: Vec<&str> = model
        .vpc_endpoints
        .values()
        .filter(|e| {
            e.vpc_id == *vpc && !e.private_dns_enabled && e.endpoint_type == EndpointType::Interface && e.service_name.contains(".ecr.")
        })
        .map(|e| e.id.as_str())
        .collect();
    if endpoints.is_empty() {
        endpoints.push(first);
    }
    fix.options.push(FixOption {
        title: format!("Turn on private DNS for {}", endpoints.join(", ")),
        commands: endpoints
            .iter()
            .flat_map(|endpoint| {
                when_real(
                    Change::EndpointPrivateDns { endpoint: endpoint.to_string(), enabled: true },
                    "makes the service's public name resolve to the endpoint inside the VPC",
                )
            })
            .collect(),
        blast_radius: format!("every client in {vpc} that resolves the service's name"),
        preferred: true,
        rationale: "the endpoint exists; only name resolution bypasses it".into(),
    });
}

/// `endpoint.sg-denied`: admit tcp 443 in the endpoint's group from every affected nodes' subnet
/// (the cause covers them all; admitting one subnet leaves the others refused).
fn endpoint_security_group(site: &Site, fix: &mut Fix) {
    let Site { model, blocker, path, affected_subnets, .. } = site;
    let group = blocker.resources.get(1).cloned().unwrap_or_else(|| "SG".into());
    let mut cidrs: Vec<String> = affected_subnets
        .iter()
        .chain(path.subnet_id.iter())
        .filter_map(|s| model.subnets.get(s))
        .filter_map(|s| s.cidr)
        .map(|c| c.to_string())
        .collect();
    cidrs.sort();
    cidrs.dedup();
    let commands = if cidrs.is_empty() {
        ec2(
            &format!("authorize-security-group-ingress --group-id {group} --protocol tcp --port 443 --cidr NODE_CIDR"),
            "lets the nodes' subnet reach the endpoint",
        )
    } else {
        cidrs
            .iter()
            .flat_map(|cidr| {
                when_real(
                    Change::SecurityGroupIngress { group: group.clone(), port: 443, cidr: cidr.clone(), allow: true },
                    &format!("lets the nodes' subnet {cidr} reach the endpoint"),
                )
            })
            .collect()
    };
    fix.options.push(FixOption {
        title: format!("Admit HTTPS from the nodes in {group}"),
        commands,
        blast_radius: format!("every endpoint or interface that uses {group}"),
        preferred: true,
        rationale: "interface endpoints accept only what their security groups admit".into(),
    });
}

/// `endpoint.s3-unreachable`: the S3 gateway endpoint on the nodes' route table.
fn s3_gateway_endpoint(site: &Site, fix: &mut Fix) {
    let Site { model, affected_subnets, table, vpc, first, region, .. } = site;
    let change = if first.starts_with("vpce-") {
        Change::EndpointRouteTable { endpoint: first.clone(), table: table.clone(), add: true }
    } else {
        Change::CreateGatewayEndpoint {
            vpc: vpc.clone(),
            service: format!("com.amazonaws.{region}.s3"),
            table: table.clone(),
            endpoint: None,
        }
    };
    fix.options.push(FixOption {
        title: format!("Route S3 through a gateway endpoint on {table}"),
        commands: when_real(change, "adds the S3 prefix-list route to the table"),
        blast_radius: blast_radius(model, table, affected_subnets).0,
        preferred: true,
        rationale: "ECR serves image layers from S3; without internet egress only a gateway endpoint reaches it".into(),
    });
}

/// The security group pulldoctor creates for the ECR interface endpoints it creates.
const ENDPOINT_GROUP: &str = "pulldoctor-ecr-endpoints";

/// `endpoint.missing`: a security group admitting HTTPS from the nodes' subnets, the ecr.api and
/// ecr.dkr interface endpoints with private DNS (one affected subnet per zone, as AWS allows),
/// and the S3 gateway endpoint on the nodes' table.
fn create_endpoints(site: &Site, fix: &mut Fix) {
    let Site { model, affected_subnets, table, vpc, region, .. } = site;
    let mut zones = std::collections::BTreeSet::new();
    let one_per_zone: Vec<String> = affected_subnets
        .iter()
        .filter(|s| zones.insert(model.subnets.get(*s).and_then(|s| s.availability_zone.clone()).unwrap_or_else(|| (*s).clone())))
        .cloned()
        .collect();
    let mut cidrs: Vec<String> =
        affected_subnets.iter().filter_map(|s| model.subnets.get(s)).filter_map(|s| s.cidr).map(|c| c.to_string()).collect();
    cidrs.sort();
    cidrs.dedup();
    let mut commands = Vec::new();
    let group = if cidrs.is_empty() {
        "SG_ALLOWING_443_FROM_NODES".to_string()
    } else {
        commands.extend(when_real(
            Change::CreateSecurityGroup {
                vpc: vpc.clone(),
                name: ENDPOINT_GROUP.into(),
                description: "HTTPS from the cluster nodes to the ECR interface endpoints".into(),
                port: 443,
                cidrs: cidrs.clone(),
                group: None,
            },
            &format!("creates {ENDPOINT_GROUP}, admitting tcp 443 from {}", cidrs.join(", ")),
        ));
        ENDPOINT_GROUP.to_string()
    };
    for service in ["ecr.api", "ecr.dkr"] {
        commands.extend(when_real(
            Change::CreateInterfaceEndpoint {
                vpc: vpc.clone(),
                service: format!("com.amazonaws.{region}.{service}"),
                subnets: one_per_zone.clone(),
                groups: vec![group.clone()],
                endpoint: None,
            },
            &format!("creates the {service} interface endpoint"),
        ));
    }
    commands.extend(when_real(
        Change::CreateGatewayEndpoint {
            vpc: vpc.clone(),
            service: format!("com.amazonaws.{region}.s3"),
            table: table.clone(),
            endpoint: None,
        },
        "creates the S3 gateway endpoint for layers",
    ));
    fix.options.push(FixOption {
        title: "Create the ECR and S3 endpoints".into(),
        commands,
        blast_radius: format!("all of {vpc}: private DNS makes every client use the endpoints"),
        preferred: true,
        rationale: "a private VPC needs ecr.api, ecr.dkr and S3 endpoints to pull from ECR".into(),
    });
}

/// `endpoint.policy-denied`: an endpoint policy that allows the pull.
fn endpoint_policy(site: &Site, fix: &mut Fix) {
    let Site { first, .. } = site;
    fix.options.push(FixOption {
        title: format!("Allow the pull in the policy of {first}"),
        commands: vec![
            read_only(
                format!("aws ec2 describe-vpc-endpoints --vpc-endpoint-ids {first} --query 'VpcEndpoints[0].PolicyDocument' --output text"),
                "shows the current policy",
            ),
            mutating(
                format!("aws ec2 modify-vpc-endpoint --vpc-endpoint-id {first} --policy-document file://endpoint-policy.json"),
                "replaces the policy with one that allows the pull actions on the repository",
            ),
        ],
        blast_radius: format!("every request through {first}"),
        preferred: true,
        rationale: "requests through an endpoint must satisfy its policy as well as IAM".into(),
    });
}

/// `dns.vpc-resolver-disabled`: the VPC resolver back on.
fn vpc_dns_support(site: &Site, fix: &mut Fix) {
    let Site { first, .. } = site;
    fix.options.push(FixOption {
        title: format!("Turn the VPC resolver back on for {first}"),
        commands: {
            let change = Change::VpcDnsSupport { vpc: first.clone(), enabled: true };
            let mut command = mutating(format!("aws ec2 {}", change.aws_cli()), "re-enables the Amazon-provided DNS server");
            command.change = is_real(&change).then_some(change);
            vec![command]
        },
        blast_radius: format!("every instance in {first}"),
        preferred: true,
        rationale: "nodes resolve registry names through the VPC resolver unless DHCP options name other servers".into(),
    });
}

/// `dns.custom-servers`: the DHCP options' servers must hand the region's AWS names to the VPC
/// resolver, or the VPC must use the VPC resolver itself. Both are decisions about a DNS service
/// pulldoctor does not see, so every step is shown, none is made.
fn dns_servers(site: &Site, fix: &mut Fix) {
    let Site { model, vpc, first, region, .. } = site;
    let options = model.dhcp_options.get(first.as_str());
    let servers = options.map(|o| o.custom_servers().join(", ")).filter(|s| !s.is_empty()).unwrap_or_else(|| "your DNS servers".into());
    let resolver = model
        .vpcs
        .get(vpc.as_str())
        .and_then(|v| v.cidrs.iter().find(|c| c.addr().is_ipv4()))
        .and_then(|cidr| match cidr.network() {
            std::net::IpAddr::V4(base) => Some(std::net::Ipv4Addr::from(u32::from(base) + 2).to_string()),
            std::net::IpAddr::V6(_) => None,
        })
        .unwrap_or_else(|| "the VPC CIDR base + 2".into());
    fix.options.push(FixOption {
        title: format!("Have {servers} forward {region}.amazonaws.com to the VPC resolver"),
        commands: vec![
            read_only(format!("aws ec2 describe-dhcp-options --dhcp-options-ids {first} --output json"), "shows the servers the nodes are told to ask"),
            display(
                format!("on {servers}: a conditional forwarder for {region}.amazonaws.com to {resolver} (servers outside the VPC reach it through a Route 53 Resolver inbound endpoint: aws route53resolver create-resolver-endpoint --direction INBOUND)"),
                "makes the endpoints' private names answer for every client of those servers",
            ),
        ],
        blast_radius: format!("every client of {servers} that resolves {region}.amazonaws.com names: they reach AWS services through {vpc}'s endpoints when they can reach them"),
        preferred: true,
        rationale: "the servers are yours for a reason (names only they answer); forwarding the AWS names keeps those and gives the endpoints back their private DNS".into(),
    });
    fix.options.push(FixOption {
        title: format!("Give {vpc} DHCP options that name the VPC resolver"),
        commands: vec![
            mutating(
                "aws ec2 create-dhcp-options --dhcp-configurations Key=domain-name-servers,Values=AmazonProvidedDNS",
                "a DHCP options set whose DNS server is the VPC resolver (add your domain-name if the nodes need it)",
            ),
            mutating(format!("aws ec2 associate-dhcp-options --dhcp-options-id DOPT --vpc-id {vpc}"), "every instance of the VPC asks the VPC resolver from its next DHCP lease renewal"),
        ],
        blast_radius: format!("every instance in {vpc}: names only {servers} answer (on-premises zones) stop resolving unless Route 53 Resolver rules forward them"),
        preferred: false,
        rationale: "the simplest path back to private DNS, if nothing in the VPC needs the custom servers".into(),
    });
}

/// `path.leaves-scope`: read-only commands that follow the path beyond what the input describes.
fn beyond_the_vpc(site: &Site, fix: &mut Fix) {
    let Site { path, .. } = site;
    fix.options.push(FixOption {
        title: "Follow the path beyond the VPC".into(),
        commands: vec![
            read_only(format!("aws ec2 create-network-insights-path --source {} --destination-ip DESTINATION_IP --destination-port 443 --protocol tcp", path.instance_id.clone().unwrap_or_else(|| "INSTANCE".into())), "defines a Reachability Analyzer path (a read-only analysis)"),
            read_only("aws ec2 search-transit-gateway-routes --transit-gateway-route-table-id TGW_RTB --filters Name=type,Values=static,propagated", "shows where the transit gateway sends the traffic"),
        ],
        blast_radius: "none: these commands only read".into(),
        preferred: true,
        rationale: "the bundle ends where the traffic leaves the VPC".into(),
    });
}

/// The `aws ec2` pair for `change`, which pulldoctor may also make itself only when every id in it
/// is real (a placeholder such as `IGW` or `RTB` leaves it to the user).
fn when_real(change: Change, changes: &str) -> Vec<Command> {
    if is_real(&change) { ec2_change(change, changes) } else { ec2(&change.aws_cli(), changes) }
}

/// Every id is AWS's, not a placeholder written in capitals (nor is the region).
fn is_real(change: &Change) -> bool {
    change.resources().iter().all(|id| id.contains('-') && !id.chars().any(|c| c.is_ascii_uppercase()))
        && !change.aws_cli().contains(".REGION.")
        && !change.aws_cli().contains("SG_ALLOWING")
}

/// A default route: the gateway should carry everything that leaves the VPC, not one address.
fn default_route(address: Option<&Address>) -> Destination {
    match address {
        Some(address) if pulldoctor_net::address::is_v6(address) => Destination::Ipv6Cidr("::/0".into()),
        _ => Destination::Cidr("0.0.0.0/0".into()),
    }
}

/// Zones of the affected subnets that a NAT gateway in another zone would serve across zones.
fn cross_zone_note(model: &Model, target: &str, subnets: &[String]) -> Option<String> {
    let nat = model.nat_gateways.get(target)?;
    let nat_zone = model.subnets.get(nat.subnet_id.as_deref()?)?.availability_zone.clone()?;
    let mut other: Vec<String> = subnets
        .iter()
        .filter_map(|s| model.subnets.get(s).and_then(|s| s.availability_zone.clone()))
        .filter(|zone| *zone != nat_zone)
        .collect();
    other.sort();
    other.dedup();
    (!other.is_empty()).then(|| {
        format!(
            "; {target} is in {nat_zone}, so traffic from {} crosses zones (inter-AZ data charges, and an outage of {nat_zone} cuts them off): a NAT gateway per zone is the resilient layout",
            other.join(", ")
        )
    })
}

fn blast_radius(model: &Model, table: &str, affected_subnets: &[String]) -> (String, bool) {
    let users = model.subnets_using_route_table(table);
    let others: Vec<&str> = users.iter().copied().filter(|s| !affected_subnets.iter().any(|a| a == s)).collect();
    let main = model.route_tables.get(table).is_some_and(|t| t.main);
    let text = if others.is_empty() {
        format!(
            "{table} is used by {} subnet{} ({}), all of them affected{}",
            users.len(),
            if users.len() == 1 { "" } else { "s" },
            users.join(", "),
            if main { "; as the main table it also becomes the default for every subnet created later without an association" } else { "" }
        )
    } else {
        format!(
            "{table} is also used by {} subnet{} that are not affected: {}{}",
            others.len(),
            if others.len() == 1 { "" } else { "s" },
            others.join(", "),
            if main { " (as the VPC's main table it serves every subnet without an explicit association)" } else { "" }
        )
    };
    (text, others.is_empty())
}

fn verify_route(table: &str) -> Command {
    read_only(
        format!(
            "aws ec2 describe-route-tables --route-table-ids {table} --query 'RouteTables[0].Routes[*].[DestinationCidrBlock,DestinationPrefixListId,NatGatewayId,GatewayId,State]' --output table"
        ),
        "shows the table's routes and their state",
    )
}

/// A non-main table of the VPC whose default route reaches `target` and is active.
fn working_table(model: &Model, vpc: &str, target: &str, main: &str) -> Option<String> {
    let public = Address::AnyPublic { v6: false };
    model
        .route_tables
        .values()
        .filter(|t| t.vpc_id == vpc && t.id != main && !t.main)
        .find(|t| {
            route::select(model, t, &public)
                .route
                .is_some_and(|r| r.state == RouteState::Active && r.target.id() == target && !matches!(r.target, RouteTarget::Local))
        })
        .map(|t| t.id.clone())
}
