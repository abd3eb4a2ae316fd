//! Fix plans for network causes: the exact commands with the real ids, what each changes, its
//! blast radius, and how to verify. Every mutating AWS command is shown with `--dry-run` first
//! where the API has one (EC2 does).

use pulldoctor_model::{Association, Model, RouteState, RouteTarget};
use pulldoctor_net::{Address, Blocker, PathResult, route};

use crate::report::{Command, Fix, FixOption, Safety};

fn mutating(command: String, changes: impl Into<String>) -> Command {
    Command { command, safety: Safety::Mutating, changes: changes.into() }
}

fn read_only(command: String, changes: impl Into<String>) -> Command {
    Command { command, safety: Safety::ReadOnly, changes: changes.into() }
}

fn display(command: String, changes: impl Into<String>) -> Command {
    Command { command, safety: Safety::DisplayOnly, changes: changes.into() }
}

/// `aws ec2 ...` twice: once with `--dry-run` to check permissions, once for real.
fn ec2(args: &str, changes: &str) -> Vec<Command> {
    vec![
        read_only(format!("aws ec2 {args} --dry-run"), "checks that you may make the change (prints DryRunOperation) and changes nothing"),
        mutating(format!("aws ec2 {args}"), changes),
    ]
}

fn target_flag(target: &str) -> String {
    if target.starts_with("nat-") {
        format!("--nat-gateway-id {target}")
    } else if target.starts_with("tgw-") {
        format!("--transit-gateway-id {target}")
    } else {
        format!("--gateway-id {target}")
    }
}

/// A default route: the gateway should carry everything that leaves the VPC, not one address.
fn destination_flag(address: Option<&Address>) -> String {
    match address {
        Some(address) if pulldoctor_net::address::is_v6(address) => "--destination-ipv6-cidr-block ::/0".to_string(),
        _ => "--destination-cidr-block 0.0.0.0/0".to_string(),
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

fn verify_pods(pods: &[String]) -> Vec<Command> {
    let mut out = Vec::new();
    if let Some(first) = pods.first() {
        let (namespace, pod) = first.split_once('/').unwrap_or(("default", first));
        out.push(read_only(
            format!("kubectl delete pod -n {namespace} {pod} --wait=false && kubectl get pods -n {namespace} -w"),
            "recreates one affected pod (its controller starts a new one) and watches it pull",
        ));
        if let Some(last) = pods.last().filter(|_| pods.len() > 1) {
            let _ = last;
        }
    }
    out
}

/// The fix for one network blocker, seen from one traced path.
pub fn network(model: &Model, blocker: &Blocker, path: &PathResult, affected_subnets: &[String], pods: &[String]) -> Fix {
    let mut fix = Fix::default();
    let table = path.route_table_id.clone().unwrap_or_else(|| "RTB".into());
    let vpc = path.vpc_id.clone().unwrap_or_else(|| "VPC".into());
    let first = blocker.resources.first().cloned().unwrap_or_default();
    let region = path
        .subnet_id
        .as_ref()
        .and_then(|s| model.subnets.get(s))
        .and_then(|s| s.availability_zone.as_ref())
        .map(|zone| zone.trim_end_matches(|c: char| c.is_ascii_lowercase()).to_string())
        .unwrap_or_else(|| "REGION".into());
    match blocker.code {
        "route.no-route" | "route.blackhole" | "route.wrong-target" | "nat.unavailable" => {
            let destination = destination_flag(path.address.as_ref());
            let (mut radius, only_affected) = blast_radius(model, &table, affected_subnets);
            if let Some(note) = blocker.fix_target.as_deref().and_then(|t| cross_zone_note(model, t, affected_subnets)) {
                radius.push_str(&note);
            }
            let existing_route = blocker.code != "route.no-route";
            match &blocker.fix_target {
                Some(target) => {
                    let verb = if existing_route { "replace-route" } else { "create-route" };
                    let args = format!("{verb} --route-table-id {table} {destination} {}", target_flag(target));
                    let changes = format!("{} the route in {table} so it sends registry traffic to {target}", if existing_route { "replaces" } else { "adds" });
                    // An alternative for main-table subnets: associate them with a table that already works.
                    let working_table = (path.association == Some(Association::Main))
                        .then(|| working_table(model, &vpc, target, &table))
                        .flatten();
                    let prefer_route = only_affected || working_table.is_none();
                    fix.options.push(FixOption {
                        title: format!("{} a route in {table} to {target}", if existing_route { "Replace" } else { "Add" }),
                        commands: ec2(&args, &changes),
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
                            .flat_map(|subnet| ec2(&format!("associate-route-table --route-table-id {working} --subnet-id {subnet}"), &format!("makes {subnet} use {working} instead of the main table")))
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
                        format!("aws ec2 create-nat-gateway --subnet-id PUBLIC_SUBNET --allocation-id EIPALLOC   # then: aws ec2 create-route --route-table-id {table} {destination} --nat-gateway-id NAT"),
                        format!("{vpc} has no usable NAT gateway or internet gateway: create one (or VPC endpoints for ECR and S3) first"),
                    )],
                    blast_radius: radius,
                    preferred: true,
                    rationale: "there is no working gateway in the VPC to point a route at".into(),
                }),
            }
            fix.verify.push(verify_route(&table));
        }
        "nat.no-internet-route" => {
            let nat_table = first.clone();
            let igw = model.internet_gateways_for_vpc(&vpc).find(|g| !g.egress_only && g.is_attached_to(&vpc)).map(|g| g.id.clone());
            let target = igw.clone().unwrap_or_else(|| "IGW".into());
            fix.options.push(FixOption {
                title: format!("Route the NAT gateway's subnet to the internet gateway {target}"),
                commands: ec2(
                    &format!("create-route --route-table-id {nat_table} --destination-cidr-block 0.0.0.0/0 --gateway-id {target}"),
                    "adds the NAT subnet's default route",
                ),
                blast_radius: blast_radius(model, &nat_table, &[]).0,
                preferred: true,
                rationale: "a NAT gateway needs its own subnet to reach an internet gateway".into(),
            });
            fix.verify.push(verify_route(&nat_table));
        }
        "igw.detached" => {
            fix.options.push(FixOption {
                title: format!("Attach {first} to {vpc}"),
                commands: ec2(
                    &format!("attach-internet-gateway --internet-gateway-id {first} --vpc-id {vpc}"),
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
        "sg.egress-denied" => {
            let peer = match path.address.as_ref() {
                Some(Address::Set { label, .. }) if label.starts_with("pl-") => {
                    format!("PrefixListIds=[{{PrefixListId={label}}}]")
                }
                Some(Address::Known { ip }) if !path.to.contains("amazonaws.com") => {
                    format!("IpRanges=[{{CidrIp={ip}/32}}]")
                }
                _ => "IpRanges=[{CidrIp=0.0.0.0/0}]".to_string(),
            };
            fix.options.push(FixOption {
                title: format!("Allow HTTPS egress from {first}"),
                commands: ec2(
                    &format!("authorize-security-group-egress --group-id {first} --ip-permissions 'IpProtocol=tcp,FromPort=443,ToPort=443,{peer}'"),
                    "adds an egress rule for tcp 443",
                ),
                blast_radius: format!("every interface that uses {first}"),
                preferred: true,
                rationale: "registries and S3 are reached on tcp 443".into(),
            });
        }
        "nacl.egress-denied" | "nacl.return-denied" => {
            let acl = first.clone();
            let (direction, ports) =
                if blocker.code == "nacl.egress-denied" { ("--egress", "From=443,To=443") } else { ("--ingress", "From=1024,To=65535") };
            let rule_number = model
                .network_acls
                .get(&acl)
                .and_then(|a| a.entries.iter().filter(|e| e.egress == (direction == "--egress")).map(|e| e.rule_number).min())
                .map(|n| (n - 1).max(1))
                .unwrap_or(90);
            fix.options.push(FixOption {
                title: format!("Allow the traffic in {acl} before the rule that denies it"),
                commands: ec2(
                    &format!("create-network-acl-entry --network-acl-id {acl} {direction} --rule-number {rule_number} --protocol tcp --port-range {ports} --cidr-block 0.0.0.0/0 --rule-action allow"),
                    "adds an allow rule ahead of the deny (ACLs are stateless: both directions need a rule)",
                ),
                blast_radius: format!("every subnet associated with {acl}"),
                preferred: true,
                rationale: "the lowest rule number that matches decides".into(),
            });
        }
        "endpoint.private-dns-disabled" => {
            fix.options.push(FixOption {
                title: format!("Turn on private DNS for {first}"),
                commands: ec2(
                    &format!("modify-vpc-endpoint --vpc-endpoint-id {first} --private-dns-enabled"),
                    "makes the service's public name resolve to the endpoint inside the VPC",
                ),
                blast_radius: format!("every client in {vpc} that resolves the service's name"),
                preferred: true,
                rationale: "the endpoint exists; only name resolution bypasses it".into(),
            });
        }
        "endpoint.sg-denied" => {
            let group = blocker.resources.get(1).cloned().unwrap_or_else(|| "SG".into());
            let cidr = path
                .subnet_id
                .as_ref()
                .and_then(|s| model.subnets.get(s))
                .and_then(|s| s.cidr)
                .map(|c| c.to_string())
                .unwrap_or_else(|| "NODE_CIDR".into());
            fix.options.push(FixOption {
                title: format!("Admit HTTPS from the nodes in {group}"),
                commands: ec2(
                    &format!("authorize-security-group-ingress --group-id {group} --protocol tcp --port 443 --cidr {cidr}"),
                    "lets the nodes' subnet reach the endpoint",
                ),
                blast_radius: format!("every endpoint or interface that uses {group}"),
                preferred: true,
                rationale: "interface endpoints accept only what their security groups admit".into(),
            });
        }
        "endpoint.s3-unreachable" => {
            let command = if first.starts_with("vpce-") {
                format!("modify-vpc-endpoint --vpc-endpoint-id {first} --add-route-table-ids {table}")
            } else {
                format!(
                    "create-vpc-endpoint --vpc-id {vpc} --vpc-endpoint-type Gateway --service-name com.amazonaws.{region}.s3 --route-table-ids {table}"
                )
            };
            fix.options.push(FixOption {
                title: format!("Route S3 through a gateway endpoint on {table}"),
                commands: ec2(&command, "adds the S3 prefix-list route to the table"),
                blast_radius: blast_radius(model, &table, affected_subnets).0,
                preferred: true,
                rationale: "ECR serves image layers from S3; without internet egress only a gateway endpoint reaches it".into(),
            });
        }
        "endpoint.missing" => {
            let subnets = affected_subnets.join(" ");
            let mut commands = Vec::new();
            for service in ["ecr.api", "ecr.dkr"] {
                commands.extend(ec2(
                    &format!("create-vpc-endpoint --vpc-id {vpc} --vpc-endpoint-type Interface --service-name com.amazonaws.{region}.{service} --subnet-ids {subnets} --security-group-ids SG_ALLOWING_443_FROM_NODES --private-dns-enabled"),
                    &format!("creates the {service} interface endpoint"),
                ));
            }
            commands.extend(ec2(
                &format!("create-vpc-endpoint --vpc-id {vpc} --vpc-endpoint-type Gateway --service-name com.amazonaws.{region}.s3 --route-table-ids {table}"),
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
        "endpoint.policy-denied" => {
            fix.options.push(FixOption {
                title: format!("Allow the pull in the policy of {first}"),
                commands: vec![
                    read_only(format!("aws ec2 describe-vpc-endpoints --vpc-endpoint-ids {first} --query 'VpcEndpoints[0].PolicyDocument' --output text"), "shows the current policy"),
                    mutating(format!("aws ec2 modify-vpc-endpoint --vpc-endpoint-id {first} --policy-document file://endpoint-policy.json"), "replaces the policy with one that allows the pull actions on the repository"),
                ],
                blast_radius: format!("every request through {first}"),
                preferred: true,
                rationale: "requests through an endpoint must satisfy its policy as well as IAM".into(),
            });
        }
        "dns.vpc-resolver-disabled" => {
            fix.options.push(FixOption {
                title: format!("Turn the VPC resolver back on for {first}"),
                commands: vec![mutating(
                    format!("aws ec2 modify-vpc-attribute --vpc-id {first} --enable-dns-support '{{\"Value\":true}}'"),
                    "re-enables the Amazon-provided DNS server",
                )],
                blast_radius: format!("every instance in {first}"),
                preferred: true,
                rationale: "nodes resolve registry names through the VPC resolver unless DHCP options name other servers".into(),
            });
        }
        _ => {
            fix.options.push(FixOption {
                title: "Follow the path beyond the VPC".into(),
                commands: vec![
                    read_only(format!("aws ec2 create-network-insights-path --source {} --destination-ip DESTINATION_IP --destination-port 443 --protocol tcp", path.instance_id.clone().unwrap_or_else(|| "INSTANCE".into())), "defines a Reachability Analyzer path (a read-only analysis)"),
                    read_only("aws ec2 search-transit-gateway-routes --transit-gateway-route-table-id TGW_RTB --filters Name=type,Values=static,propagated".into(), "shows where the transit gateway sends the traffic"),
                ],
                blast_radius: "none: these commands only read".into(),
                preferred: true,
                rationale: "the bundle ends where the traffic leaves the VPC".into(),
            });
        }
    }
    fix.verify.extend(verify_pods(pods));
    fix
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
