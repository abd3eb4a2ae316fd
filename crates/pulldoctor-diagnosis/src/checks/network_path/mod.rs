mod fixes;

use pulldoctor_model::Code;
use std::collections::BTreeMap;

use pulldoctor_classify::ErrorClass;
use pulldoctor_model::InputKind;
use pulldoctor_net::{HopKind, HopStatus, Origin, PathResult, Target, Verdict};

use crate::affected::{Failure, is_network_class};
use crate::check::{Check, CheckInfo};
use crate::context::{Context, Findings};
use crate::credentials;
use crate::declare_check;
use crate::pull_hosts::{HostRole, pull_hosts};
use crate::report::{Cause, Confidence, Evidence, Layer, PathGroup, PathMember, Timing};

declare_check! {
    /// ## What it checks
    /// For every node with a failing pull, the path from the node to each host the pull needs: the
    /// registry, the ECR API when the node fetches its own tokens, and S3 for ECR's image layers.
    /// It follows DNS (VPC resolver, interface endpoints with private DNS), the node's security
    /// groups, the subnet's network ACL in both directions, the effective route table (the explicit
    /// association, else the VPC's main table) and its longest-prefix route, and the target: NAT
    /// gateway (state, its own subnet's route to an attached internet gateway), internet gateway,
    /// egress-only gateway, gateway or interface endpoint (security groups, ACL, policy).
    ///
    /// ## Why it breaks pulls
    /// A pull with no way to the registry fails with `dial tcp ...: i/o timeout` or `context
    /// deadline exceeded`, texts that look like anything; the seed incident lost three hours to
    /// auth, IAM and RBAC before someone found the main route table had no default route.
    ///
    /// ## Evidence
    /// `aws ec2 describe-route-tables`, `describe-subnets`, `describe-nat-gateways`,
    /// `describe-internet-gateways`, `describe-vpc-endpoints`, `describe-security-groups`,
    /// `describe-network-acls`, `describe-instances`, `describe-vpc-attribute`, and the pod's error.
    ///
    /// ## Fix and its risk
    /// The exact `aws ec2` command for the hop that blocks (create or replace a route, associate a
    /// route table, attach a gateway, add a rule, enable private DNS), shown with `--dry-run` first.
    /// All are mutating: the blast radius lists the other subnets a route-table change touches.
    ///
    /// ## Known limits
    /// Paths that leave the VPC (transit gateway, VPN, firewall appliances) are reported as leaving
    /// scope. Custom DHCP option sets, Route 53 Resolver rules and host firewalls are not read.
    pub NetworkPath, name: "network-path", layer: Network, codes: [
        Code::RouteNoRoute, Code::RouteBlackhole, Code::RouteWrongTarget, Code::NatUnavailable, Code::NatNoInternetRoute,
        Code::IgwDetached, Code::SgEgressDenied, Code::NaclEgressDenied, Code::NaclReturnDenied, Code::EndpointPrivateDnsDisabled,
        Code::EndpointSgDenied, Code::EndpointS3Unreachable, Code::EndpointMissing, Code::EndpointPolicyDenied,
        Code::DnsVpcResolverDisabled, Code::DnsCustomServers, Code::PathLeavesScope,
    ],
}

/// The hosts a pull of this image needs, with the dialled address where the error names it.
fn targets(failure: &Failure, cx: &Context) -> Vec<Target> {
    let Some(image) = &failure.image_ref else {
        return Vec::new();
    };
    let class = &failure.classification;
    let dialled_for = |candidate: &str| {
        let named = class.host.as_deref().map(|h| h.eq_ignore_ascii_case(candidate));
        match named {
            Some(true) => class.dialled.map(|a| a.ip()),
            _ => None,
        }
    };
    let repository_arn = image.ecr.as_ref().map(|e| e.repository_arn(&image.repository));
    let principal_arn = credentials::node_role_arn(cx.model, failure).map(str::to_string);
    // The node itself asks the ECR API for tokens when its kubelet runs the ECR credential
    // provider and no pull secret covers the registry.
    let node_fetches_token = failure
        .pod
        .node_name
        .as_deref()
        .and_then(|n| cx.model.nodes.get(n))
        .is_some_and(|node| credentials::node_credentials_in(cx.model, node).in_use)
        && !credentials::secret_covers(cx.model, failure.pod, &image.registry);
    pull_hosts(image, node_fetches_token)
        .into_iter()
        .map(|needed| Target {
            address: dialled_for(&needed.host),
            repository_arn: (needed.role != HostRole::TokenApi).then(|| repository_arn.clone()).flatten(),
            host: Some(needed.host),
            port: needed.port,
            principal_arn: principal_arn.clone(),
        })
        .collect()
}

/// A short line for a traced path: the hops that decided it.
pub fn path_line(result: &PathResult) -> String {
    let decisive: Vec<String> = result
        .hops
        .iter()
        .filter(|h| matches!(h.status, HopStatus::Fail | HopStatus::Unknown) || h.kind == HopKind::RouteTable)
        .map(|h| match &h.rule {
            Some(rule) if h.status == HopStatus::Fail => format!("{} [{rule}]", h.detail),
            _ => h.detail.to_string(),
        })
        .collect();
    format!("{} -> {}: {}", result.from, result.to, decisive.join("; "))
}

impl Check for NetworkPath {
    fn info(&self) -> &'static CheckInfo {
        &Self::INFO
    }

    fn run(&self, cx: &Context, out: &mut Findings) {
        let model = cx.model;
        // (instance, target) -> pods that need it
        // (instance, host, dialled address) -> the target and the failures that need it
        type Wanted = BTreeMap<(String, String, Option<std::net::IpAddr>), (Target, Vec<usize>)>;
        let mut wanted: Wanted = BTreeMap::new();
        let (mut found_instances, mut missing_instances) = (0usize, 0usize);
        for (position, failure) in cx.failures.iter().enumerate() {
            let Some(node_name) = failure.pod.node_name.as_deref() else {
                out.gap(
                    format!("{} is not scheduled on a node", failure.pod.key()),
                    "without a node there is no network path to trace".to_string(),
                    None,
                );
                continue;
            };
            let Some(node) = model.nodes.get(node_name) else {
                let why = if model.inputs.contains(&InputKind::Nodes) {
                    "the node is not among the bundle's nodes"
                } else {
                    "the bundle has no nodes"
                };
                out.gap(format!("node {node_name} (of {})", failure.pod.key()), why.to_string(), Some(InputKind::Nodes.command().into()));
                continue;
            };
            let Some(instance) = model.node_instance(node).inspect(|_| found_instances += 1) else {
                missing_instances += 1;
                let why = match (&node.instance_id, model.inputs.contains(&InputKind::Instances)) {
                    (Some(id), true) => format!("its instance {id} is not in the bundle's describe-instances (another account or region?)"),
                    (_, false) => "the bundle has no describe-instances".to_string(),
                    (None, true) => "the node has no aws:/// providerID and no instance matches its name or address".to_string(),
                };
                out.gap(format!("the network path of node {node_name}"), why, Some(InputKind::Instances.command().into()));
                continue;
            };
            for target in targets(failure, cx) {
                let key = (instance.id.clone(), target.host.clone().unwrap_or_default(), target.address);
                wanted.entry(key).or_insert_with(|| (target, Vec::new())).1.push(position);
            }
        }
        // A bundle whose AWS side is from another account or region than the cluster: say it once.
        if found_instances == 0 && missing_instances > 0 && model.inputs.contains(&InputKind::Instances) {
            let accounts: Vec<&str> = model.accounts().into_iter().collect();
            let image_accounts: std::collections::BTreeSet<&str> =
                cx.failures.iter().filter_map(|f| f.image_ref.as_ref()?.ecr.as_ref().map(|e| e.account.as_str())).collect();
            out.gap(
                "the network path of every failing node",
                format!(
                    "none of the failing nodes' EC2 instances is in the bundle's describe-instances: the AWS files look like another account or region (they show account {}{})",
                    if accounts.is_empty() { "unknown".to_string() } else { accounts.join(", ") },
                    if image_accounts.is_empty() { String::new() } else { format!("; the images are in ECR of {}", image_accounts.into_iter().collect::<Vec<_>>().join(", ")) }
                ),
                Some("aws sts get-caller-identity   # then collect with the profile and region of the cluster's nodes".to_string()),
            );
        }
        // Trace each distinct (instance, target) once.
        let (queries, pods): (Vec<(Origin, Target)>, Vec<Vec<usize>>) =
            wanted.into_iter().map(|((instance, _, _), (target, pods))| ((Origin::Instance(instance), target), pods)).unzip();
        let results: Vec<(PathResult, Vec<usize>)> = cx.engine.trace_all(&queries).into_iter().zip(pods).collect();
        // Group identical outcomes across nodes.
        struct Group {
            nodes: Vec<String>,
            members: Vec<PathMember>,
            subnets: Vec<String>,
            result: PathResult,
            pods: Vec<usize>,
        }
        let mut groups: BTreeMap<String, Group> = BTreeMap::new();
        for (result, pods) in results {
            let key = format!(
                "{:?}|{}|{}|{}",
                result.verdict,
                result.blocker.as_ref().map(|b| b.code.as_str()).unwrap_or(""),
                result.route_table_id.as_deref().unwrap_or(""),
                result.to
            );
            let node = result.from.clone();
            let subnet = result.subnet_id.clone();
            let member = PathMember {
                from: node.clone(),
                node: pods.first().and_then(|&p| cx.failures[p].pod.node_name.clone()),
                instance_id: result.instance_id.clone(),
                subnet_id: subnet.clone(),
                zone: subnet.as_deref().and_then(|s| model.subnets.get(s)).and_then(|s| s.availability_zone.clone()),
            };
            let group = groups.entry(key).or_insert_with(|| Group {
                nodes: Vec::new(),
                members: Vec::new(),
                subnets: Vec::new(),
                result,
                pods: Vec::new(),
            });
            group.nodes.push(node);
            group.members.push(member);
            if let Some(subnet) = subnet
                && !group.subnets.contains(&subnet)
            {
                group.subnets.push(subnet);
            }
            group.pods.extend(pods);
        }
        let mut causes: BTreeMap<(String, String), Cause> = BTreeMap::new();
        // What each cause covers so far: sets, so large clusters stay linear.
        #[derive(Default)]
        struct Covered {
            pods: std::collections::HashSet<String>,
            nodes: std::collections::BTreeSet<String>,
            subnets: Vec<String>,
        }
        let mut covered: std::collections::HashMap<(String, String), Covered> = std::collections::HashMap::new();
        for Group { nodes, members, subnets, result, pods: pod_positions } in groups.into_values() {
            let failures: Vec<&Failure> = {
                let mut positions = pod_positions.clone();
                positions.sort_unstable();
                positions.dedup();
                positions.into_iter().map(|p| &cx.failures[p]).collect()
            };
            let pods: Vec<String> = failures.iter().map(|f| f.pod.key()).collect();
            for assumption in &result.assumptions {
                out.gap(assumption.clone(), format!("the path {} -> {} depends on it", result.from, result.to), None);
            }
            match (&result.verdict, &result.blocker) {
                (Verdict::Reachable, _) => {
                    let via = result.via.clone().unwrap_or_default();
                    out.rule_out(
                        Layer::Network,
                        format!("network path to {}", result.to),
                        format!("{} reach{} it through {via}", nodes.join(", "), if nodes.len() == 1 { "es" } else { "" }),
                    );
                }
                (_, Some(blocker)) => {
                    // Causes merge across paths by what must change: the endpoint security groups for
                    // `endpoint.sg-denied` (one rule fixes every endpoint), else the deciding resource.
                    let anchor = match blocker.code {
                        Code::EndpointSgDenied => blocker.resources[1..].join(","),
                        Code::EndpointPrivateDnsDisabled => blocker.resources.get(1).cloned().unwrap_or_default(),
                        _ => blocker.resources.first().cloned().unwrap_or_default(),
                    };
                    let key = (blocker.code.to_string(), anchor);
                    let covers = covered.entry(key.clone()).or_default();
                    let cause = causes.entry(key).or_insert_with(|| Cause {
                        code: blocker.code,
                        layer: crate::codes::doc(blocker.code).layer,
                        summary: blocker.summary.clone(),
                        confidence: Confidence::Low,
                        timing: Timing::Now,
                        resources: Vec::new(),
                        pods: Vec::new(),
                        evidence: Vec::new(),
                        fix: Default::default(),
                    });
                    for resource in blocker.resources.iter().chain(subnets.iter()) {
                        if !cause.resources.contains(resource) {
                            cause.resources.push(resource.clone());
                        }
                    }
                    for pod in &pods {
                        if covers.pods.insert(pod.clone()) {
                            cause.pods.push(pod.clone());
                        }
                    }
                    covers.nodes.extend(nodes.iter().cloned());
                    for subnet in &subnets {
                        if !covers.subnets.contains(subnet) {
                            covers.subnets.push(subnet.clone());
                        }
                    }
                    cause
                        .evidence
                        .push(Evidence { source: "path".into(), text: format!("{} (from {})", path_line(&result), nodes.join(", ")) });
                    cause.confidence = cause.confidence.max(confidence_for(&failures, &result));
                    let affected_subnets = &covers.subnets;
                    if let Some(summary) = grouped_summary(blocker.code, &result, affected_subnets, covers.nodes.len()) {
                        cause.summary = summary;
                    }
                    if blocker.code == Code::RouteNoRoute
                        && let Some(vpc) = result.vpc_id.as_deref()
                    {
                        for nat in cx.engine.usable_nat_gateways(vpc) {
                            let text = format!(
                                "{nat} is available and its own subnet routes to an attached internet gateway: the NAT works; the affected subnets' route table just does not send traffic to it"
                            );
                            if !cause.evidence.iter().any(|e| e.text == text) {
                                cause.evidence.push(Evidence { source: "nat-gateway".into(), text: text.clone() });
                                out.rule_out(
                                    Layer::Network,
                                    format!("NAT gateway {nat}"),
                                    "available, public, and its subnet routes to an attached internet gateway".to_string(),
                                );
                            }
                        }
                    }
                    cause.fix = fixes::network(model, blocker, &result, affected_subnets, &cause.pods);
                }
                (Verdict::Unknown, None) | (Verdict::Blocked, None) => {
                    out.gap(
                        format!("network path {} -> {}", nodes.join(", "), result.to),
                        "the bundle does not hold everything the path crosses".to_string(),
                        None,
                    );
                }
            }
            // What the walk found fine is worth saying: it clears layers people suspect.
            let bypassed = result.bypassed_endpoint.as_deref();
            for hop in &result.hops {
                let statement = match (hop.kind, hop.status) {
                    (HopKind::SecurityGroup, HopStatus::Pass) => Some("security groups"),
                    (HopKind::NetworkAcl, HopStatus::Pass) => Some("network ACLs"),
                    (HopKind::NatGateway, HopStatus::Pass) => Some("NAT gateway"),
                    (HopKind::InternetGateway, HopStatus::Pass) => Some("internet gateway"),
                    (HopKind::Dns, HopStatus::Info) if bypassed.is_some() && hop.resource.as_deref() == bypassed => Some("VPC endpoints"),
                    (HopKind::Dns, HopStatus::Pass) => Some("DNS"),
                    _ => None,
                };
                if let Some(check) = statement {
                    let check = match &hop.resource {
                        Some(resource) => format!("{check} ({resource})"),
                        None => check.to_string(),
                    };
                    let reason = match (&hop.rule, hop.kind) {
                        (_, HopKind::Dns) => hop.detail.to_string(),
                        (Some(rule), _) => format!("{} ({rule})", hop.detail),
                        (None, _) => hop.detail.to_string(),
                    };
                    if !out.ruled_out.iter().any(|r| r.check == check) {
                        out.rule_out(Layer::Network, check, reason);
                    }
                }
            }
            out.paths.push(PathGroup { nodes, result: (&result).into(), members });
        }
        for cause in causes.into_values() {
            out.causes.push(cause);
        }
    }
}

/// A summary for the whole group of subnets (and the nodes in them) a cause covers, in the right
/// number: "the node's subnet ... has ..., so it uses", "the nodes' subnets ... have ..., so they use".
fn grouped_summary(code: Code, result: &PathResult, subnets: &[String], n_nodes: usize) -> Option<String> {
    let table = result.route_table_id.as_deref()?;
    let list = subnets.join(", ");
    let whose = if n_nodes == 1 { "node's" } else { "nodes'" };
    let (subnet, have, it) = if subnets.len() == 1 { ("subnet", "has", "it uses") } else { ("subnets", "have", "they use") };
    match (code, result.association) {
        (Code::RouteNoRoute, Some(pulldoctor_model::Association::Main)) => Some(format!(
            "the {whose} {subnet} ({list}) {have} no explicit route-table association, so {it} the VPC's main route table {table}, which has no route out of the VPC (no 0.0.0.0/0): registry traffic is dropped"
        )),
        (Code::RouteNoRoute, _) => {
            Some(format!("route table {table} of the {whose} {subnet} ({list}) has no route out of the VPC for registry traffic"))
        }
        _ => None,
    }
}

/// How well the error text agrees with a blocked path.
fn confidence_for(failures: &[&Failure], result: &PathResult) -> Confidence {
    if failures.is_empty() {
        return Confidence::Low;
    }
    let classes: Vec<ErrorClass> = failures.iter().map(|f| f.classification.class).collect();
    let agrees = classes.iter().any(|c| is_network_class(*c) || matches!(c, ErrorClass::AuthMissing)) && result.verdict == Verdict::Blocked;
    let answered = failures.iter().any(|f| f.classification.http_status.is_some());
    if agrees && !answered {
        Confidence::High
    } else if classes.iter().all(|c| *c == ErrorClass::Other) {
        Confidence::Medium
    } else {
        Confidence::Low
    }
}
