//! The diagnosis: run every check over the model, then rank what they found, attach the evidence
//! chain to each cause, and say what was ruled out and what could not be checked.
//!
//! Architecture invariant: analysis cannot fail. A check returns causes, ruled-out notes and gaps;
//! a missing input is a gap, never an error and never "healthy". No I/O, no clock: `now` is an
//! input ([`Options::now`]).

pub mod affected;
pub mod checks;
pub mod codes;
pub mod compare;
mod fix;
pub mod plan;
pub mod report;
mod scope;

use chrono::{DateTime, Utc};
use pulldoctor_model::{InputKind, Model};
use pulldoctor_net::Engine;

use crate::checks::{CHECKS, Context, Findings};
use crate::report::{Affected, Confidence, Evidence, Report, SCHEMA_VERSION, Timing};

pub use pulldoctor_classify as classify;

/// Which failures to diagnose, and the instant to judge expiry against.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Defaults to the latest moment the model shows.
    pub now: Option<DateTime<Utc>>,
    pub namespace: Option<String>,
    pub pod: Option<String>,
    pub node: Option<String>,
    /// A substring of the image reference.
    pub image: Option<String>,
}

impl Options {
    fn keeps(&self, failure: &affected::Failure) -> bool {
        self.namespace.as_ref().is_none_or(|n| *n == failure.pod.namespace)
            && self.pod.as_ref().is_none_or(|p| *p == failure.pod.name || *p == failure.pod.key())
            && self.node.as_ref().is_none_or(|n| failure.pod.node_name.as_ref() == Some(n))
            && self.image.as_ref().is_none_or(|i| failure.image.contains(i.as_str()))
    }
}

const ESSENTIAL: &[(InputKind, &str)] = &[
    (InputKind::Pods, "which pods fail and with what error"),
    (InputKind::Events, "the pull error text (events keep it; the pod status often only says Back-off)"),
    (InputKind::Nodes, "which EC2 instance each node is"),
    (InputKind::Instances, "each node's subnet, security groups and public address"),
    (InputKind::Subnets, "each node's VPC and zone"),
    (InputKind::RouteTables, "where node traffic is routed"),
    (InputKind::NatGateways, "whether NAT gateways work"),
    (InputKind::InternetGateways, "whether internet gateways are attached"),
    (InputKind::VpcEndpoints, "whether registry traffic uses VPC endpoints"),
    (InputKind::SecurityGroups, "whether the nodes may connect out on 443"),
    (InputKind::NetworkAcls, "whether subnet ACLs pass the traffic both ways"),
];

pub fn diagnose(model: &Model, options: &Options) -> Report {
    let now = options.now.or_else(|| model.observed_at());
    let (failures, working) = affected::find(model);
    let failures: Vec<_> = failures.into_iter().filter(|f| options.keeps(f)).collect();
    let cx = Context { model, engine: Engine::new(model), failures, working, now };
    let mut findings = Findings::default();
    if !cx.failures.is_empty() {
        for (kind, why) in ESSENTIAL {
            if !model.inputs.contains(kind) {
                findings.gap(format!("no {kind:?} in the bundle"), format!("needed to know {why}"), Some(kind.command().to_string()));
            }
        }
        for check in CHECKS {
            check.run(&cx, &mut findings);
        }
    }
    for failed in &model.collection_failures {
        // AWS calls are named by their IAM action (`ec2:DescribeSubnets`), cluster ones by verb
        // and resource (`list events`, `get secret ns/name`).
        let aws_call = failed.call.contains(':');
        let (why, command) = if failed.denied && aws_call {
            (
                format!(
                    "the collecting identity may not call it ({}); add `{}` to its policy (docs/aws-iam-policy.json)",
                    failed.message, failed.call
                ),
                None,
            )
        } else if failed.denied {
            (
                format!(
                    "the cluster identity may not {} ({}); bind it to the read-only ClusterRole in docs/clusterrole.yaml",
                    failed.call, failed.message
                ),
                Some("kubectl apply -f docs/clusterrole.yaml   # then bind it: see the README, Live mode".to_string()),
            )
        } else {
            (format!("the call failed during collection: {}", failed.message), None)
        };
        findings.gap(format!("{} during collection", failed.call), why, command);
    }
    for failure in &cx.failures {
        if failure.message_source == "back-off-only" || failure.message_source == "none" {
            findings.gap(
                format!("the pull error of {}", failure.pod.key()),
                "only `Back-off pulling image` is left: the event with the real error has expired".to_string(),
                Some(format!(
                    "kubectl get events -n {} --field-selector involvedObject.name={} -o json   # right after the next retry; or kubectl describe pod",
                    failure.pod.namespace, failure.pod.name
                )),
            );
        }
    }
    let mut scope = scope::scope(&cx);
    attach_changes(&cx, &mut findings, &mut scope);
    let comparisons = compare::compare(&cx);
    attach_error_evidence(&cx, &mut findings, &scope);
    let mut registries_of_pod: std::collections::HashMap<String, std::collections::BTreeSet<&str>> = std::collections::HashMap::new();
    for failure in &cx.failures {
        if let Some(image) = &failure.image_ref {
            registries_of_pod.entry(failure.pod.key()).or_default().insert(image.registry.as_str());
        }
    }
    for cause in findings.causes.iter_mut().filter(|c| c.timing == Timing::Now) {
        // What separates working from failing pods of the same registry, as evidence.
        for comparison in &comparisons {
            let separating: Vec<String> = comparison.differences.iter().filter(|d| d.separates).map(|d| d.describe()).collect();
            let concerns = cause.pods.iter().any(|p| registries_of_pod.get(p).is_some_and(|r| r.contains(comparison.registry.as_str())));
            if !separating.is_empty() && concerns {
                cause.evidence.push(Evidence {
                    source: "comparison".into(),
                    text: format!("working vs failing pods of {}: {}", comparison.registry, separating.join("; ")),
                });
            }
        }
    }
    rank(&mut findings.causes);
    let affected: Vec<Affected> = cx
        .failures
        .iter()
        .map(|f| Affected {
            namespace: f.pod.namespace.clone(),
            pod: f.pod.name.clone(),
            container: f.container.clone(),
            image: f.image.clone(),
            node: f.pod.node_name.clone(),
            error_class: f.classification.class.as_str().to_string(),
            error_message: f.message.clone(),
            message_source: f.message_source.to_string(),
            waiting_reason: f.waiting_reason.clone(),
            first_failure: f.first_failure,
            last_failure: f.last_failure,
            pod_created: f.pod.created,
        })
        .collect();
    let headline = headline(model, &affected, &findings);
    Report {
        schema_version: SCHEMA_VERSION,
        observed_at: now,
        headline,
        causes: findings.causes,
        ruled_out: findings.ruled_out,
        affected,
        gaps: findings.gaps,
        scope,
        comparisons,
        paths: findings.paths,
        notes: Vec::new(),
    }
}

/// Put the error itself, its reading, and the scope at the head of each cause's evidence chain.
fn attach_error_evidence(cx: &Context, findings: &mut Findings, scope: &report::Scope) {
    for cause in &mut findings.causes {
        let Some(failure) = cx.failures.iter().find(|f| cause.pods.contains(&f.pod.key())) else {
            continue;
        };
        let mut head = Vec::new();
        if let Some(message) = &failure.message {
            let events: Vec<_> = cx
                .model
                .events_for(&failure.pod.namespace, &failure.pod.name)
                .filter(|e| e.message.as_deref() == Some(message.as_str()))
                .collect();
            let count: i64 = events.iter().filter_map(|e| e.count).sum();
            let when = failure.last_failure.map(|t| format!(", last {}", t.format("%Y-%m-%d %H:%M UTC"))).unwrap_or_default();
            let times = if count > 1 { format!(", {count} times") } else { String::new() };
            head.push(Evidence {
                source: failure.message_source.to_string(),
                text: format!("{}: {message} ({}{times}{when})", failure.pod.key(), failure.message_source),
            });
        }
        let class = &failure.classification;
        let mut reading = format!("{}: {}", class.class.as_str(), class.explanation);
        if let Some(first) = class.rules_in.first() {
            reading.push_str(&format!(" Points at: {}.", first.trim_end_matches('.')));
        }
        head.push(Evidence { source: "classifier".into(), text: reading });
        if cause.timing == Timing::Now
            && let Some(pattern) = scope.pattern.first()
        {
            head.push(Evidence { source: "scope".into(), text: pattern.clone() });
        }
        head.append(&mut cause.evidence);
        cause.evidence = head;
    }
}

/// API calls that change the network path of a pull (what live collection asks CloudTrail for).
pub const NETWORK_CHANGES: &[&str] = &[
    "DisassociateRouteTable",
    "ReplaceRouteTableAssociation",
    "AssociateRouteTable",
    "DeleteRoute",
    "ReplaceRoute",
    "CreateRoute",
    "DeleteRouteTable",
    "DeleteNatGateway",
    "DetachInternetGateway",
    "DeleteInternetGateway",
    "RevokeSecurityGroupEgress",
    "ModifySecurityGroupRules",
    "CreateNetworkAclEntry",
    "ReplaceNetworkAclEntry",
    "DeleteNetworkAclEntry",
    "ReplaceNetworkAclAssociation",
    "ModifyVpcEndpoint",
    "DeleteVpcEndpoints",
    "ModifyVpcAttribute",
];

/// CloudTrail's network changes before the failures began: the "what changed" of the timeline.
/// A change names a cause's resource, or (for a subnet left on the main route table) is a route
/// table disassociation, which names only the association id AWS removed.
fn attach_changes(cx: &Context, findings: &mut Findings, scope: &mut report::Scope) {
    let Some(first) = scope.first_failure else { return };
    let window_start = first - chrono::Duration::days(14);
    let mut changes: Vec<&pulldoctor_model::TrailEvent> = cx
        .model
        .trail_events
        .iter()
        .filter(|e| NETWORK_CHANGES.contains(&e.name.as_str()) && e.time.is_some_and(|t| t >= window_start && t <= first))
        .collect();
    changes.sort_by_key(|e| e.time);
    if changes.is_empty() {
        return;
    }
    let describe = |events: &[&pulldoctor_model::TrailEvent]| -> String {
        // one line per call, user and minute, with the ids it touched and how many times
        let mut groups: Vec<(String, Vec<&str>, usize)> = Vec::new();
        for event in events {
            let key = format!(
                "{} {} by {}",
                event.time.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default(),
                event.name,
                event.username.as_deref().unwrap_or("?")
            );
            let position = match groups.iter().position(|(k, _, _)| *k == key) {
                Some(position) => position,
                None => {
                    groups.push((key, Vec::new(), 0));
                    groups.len() - 1
                }
            };
            let group = &mut groups[position];
            group.2 += 1;
            for id in &event.resources {
                if !group.1.contains(&id.as_str()) {
                    group.1.push(id.as_str());
                }
            }
        }
        groups
            .into_iter()
            .map(|(key, ids, n)| {
                let times = if n > 1 { format!(" x{n}") } else { String::new() };
                let ids = if ids.is_empty() { String::new() } else { format!(" ({})", ids.join(", ")) };
                format!("{key}{times}{ids}")
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    scope.pattern.push(format!("network changes in CloudTrail in the two weeks before the first failure: {}", describe(&changes)));
    for cause in findings.causes.iter_mut().filter(|c| matches!(c.layer, report::Layer::Network | report::Layer::Dns)) {
        let main_table_fallback = cause.code == "route.no-route" && cause.summary.contains("main route table");
        let related: Vec<&pulldoctor_model::TrailEvent> = changes
            .iter()
            .copied()
            .filter(|e| {
                e.resources.iter().any(|r| cause.resources.contains(r))
                    || (main_table_fallback && matches!(e.name.as_str(), "DisassociateRouteTable" | "ReplaceRouteTableAssociation"))
            })
            .collect();
        if !related.is_empty() {
            let lead = related[0]
                .time
                .map(|t| first - t)
                .map(|d| format!(" ({} before the first failure)", human_duration(d)))
                .unwrap_or_default();
            cause.evidence.push(Evidence { source: "cloudtrail".into(), text: format!("what changed: {}{lead}", describe(&related)) });
        }
    }
}

fn human_duration(duration: chrono::Duration) -> String {
    let minutes = duration.num_minutes().abs();
    if minutes >= 48 * 60 {
        format!("{} days", minutes / (24 * 60))
    } else if minutes >= 60 {
        format!("{}h{:02}m", minutes / 60, minutes % 60)
    } else {
        format!("{minutes}m")
    }
}

/// Most likely first: causes that block now before those that will bite after a fix, then by
/// confidence (how well the error text agrees), then by how many pods each explains.
fn rank(causes: &mut [report::Cause]) {
    causes.sort_by(|a, b| {
        let key = |c: &report::Cause| (c.timing == Timing::Now, c.confidence, c.pods.len());
        key(b).cmp(&key(a)).then_with(|| a.code.cmp(b.code)).then_with(|| a.resources.cmp(&b.resources))
    });
}

fn headline(model: &Model, affected: &[Affected], findings: &Findings) -> String {
    if affected.is_empty() {
        return if model.inputs.contains(&InputKind::Pods) {
            "no container is failing to pull its image".to_string()
        } else {
            "the input has no pods, so there is nothing to diagnose".to_string()
        };
    }
    let mut pods: Vec<String> = affected.iter().map(|a| format!("{}/{}", a.namespace, a.pod)).collect();
    pods.dedup();
    let scope = format!("{} pod{}", pods.len(), if pods.len() == 1 { "" } else { "s" });
    match findings.causes.first() {
        Some(top) if top.timing == Timing::Now => {
            let certainty = match top.confidence {
                Confidence::High => "",
                Confidence::Medium => "probably ",
                Confidence::Low => "possibly ",
            };
            format!("{certainty}{}: {} ({scope} affected)", top.code, top.summary)
        }
        _ => format!("{scope} fail to pull and no cause could be established; see the gaps"),
    }
}
