//! The timeline: CloudTrail's network changes before the failures began, the "what changed" that
//! explains an outage whose configuration broke earlier than its first failed pull (cached images
//! hide a broken path until the next rollout).
//!
//! [`NETWORK_CHANGES`] is the one list of API calls that change a pull's network path: live
//! collection asks CloudTrail for exactly these, and the diagnosis attributes them to causes.

use chrono::{DateTime, Duration, Utc};
use pulldoctor_model::{Association, Code, TrailEvent};

use crate::context::{Context, Findings};
use crate::report::{Evidence, Layer, Scope};
use crate::text;

/// How far before the first failure changes are looked up and attributed.
pub const CHANGE_WINDOW_DAYS: i64 = 14;

/// The start of the change window for failures that began at `first_failure`.
pub fn window_start(first_failure: DateTime<Utc>) -> DateTime<Utc> {
    first_failure - Duration::days(CHANGE_WINDOW_DAYS)
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
    "DeleteEgressOnlyInternetGateway",
    "RevokeSecurityGroupEgress",
    "ModifySecurityGroupRules",
    "CreateNetworkAclEntry",
    "ReplaceNetworkAclEntry",
    "DeleteNetworkAclEntry",
    "ReplaceNetworkAclAssociation",
    // an interface endpoint with private DNS takes over the registry's name: its security
    // groups and policy decide pulls from then on
    "CreateVpcEndpoint",
    "ModifyVpcEndpoint",
    "DeleteVpcEndpoints",
    "ModifyVpcAttribute",
    // the VPC's DHCP options name the DNS servers nodes ask
    "AssociateDhcpOptions",
];

/// CloudTrail's network changes before the failures began: the "what changed" of the timeline.
/// A change names a cause's resource, or (for a subnet left on the main route table) is a route
/// table disassociation, which names only the association id AWS removed.
pub fn attach_changes(cx: &Context, findings: &mut Findings, scope: &mut Scope) {
    let Some(first) = scope.first_failure else { return };
    let window_start = window_start(first);
    let mut changes: Vec<&TrailEvent> = cx
        .model
        .trail_events
        .iter()
        .filter(|e| NETWORK_CHANGES.contains(&e.name.as_str()) && e.time.is_some_and(|t| t >= window_start && t <= first))
        .collect();
    changes.sort_by_key(|e| e.time);
    if changes.is_empty() {
        return;
    }
    let describe = |events: &[&TrailEvent]| -> String {
        // one line per call, user and minute, with the ids it touched and how many times
        let mut groups: Vec<(String, Vec<&str>, usize)> = Vec::new();
        for event in events {
            let key = format!(
                "{} {} by {}",
                event.time.map(text::minute).unwrap_or_default(),
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
    for cause in findings.causes.iter_mut().filter(|c| matches!(c.layer, Layer::Network | Layer::Dns)) {
        // A subnet that fell back to the main table lost an association, and CloudTrail's
        // disassociation names only the association id, not the subnet or the table.
        let main_table_fallback = cause.code == Code::RouteNoRoute
            && cause.resources.iter().any(|r| matches!(cx.model.effective_route_table(r), Some((_, Association::Main))));
        let related: Vec<&TrailEvent> = changes
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
                .map(|d| format!(" ({} before the first failure)", text::duration(d)))
                .unwrap_or_default();
            cause.evidence.push(Evidence { source: "cloudtrail".into(), text: format!("what changed: {}{lead}", describe(&related)) });
        }
    }
}

/// The kubelet's image pull back-off doubles up to 5 minutes: a pod still failing to pull retries
/// (and records a `Failed` event) at least this often.
pub(crate) const MAX_BACK_OFF: Duration = Duration::minutes(5);

/// After a fix: every affected node's traced path reaches the registry now, the failures are
/// network failures, and they are older than the change that opened the path (CloudTrail) or
/// older than the bundle's newest facts by more than the kubelet's longest back-off. Then the true
/// and useful statement is that the configuration lets the pods pull again, and when they will.
pub fn recovered(cx: &Context, findings: &Findings) -> Option<String> {
    if cx.failures.is_empty() || findings.paths.is_empty() {
        return None;
    }
    if findings.paths.iter().any(|group| group.result.verdict != crate::report::Verdict::Reachable) {
        return None;
    }
    if !cx.failures.iter().any(|f| crate::affected::is_network_class(f.classification.class)) {
        return None;
    }
    let last = cx.failures.iter().filter_map(|f| f.last_failure).max()?;
    let change = cx
        .model
        .trail_events
        .iter()
        .filter(|e| NETWORK_CHANGES.contains(&e.name.as_str()) && e.time.is_some_and(|t| t > last))
        .max_by_key(|e| e.time);
    let since = match (change, cx.now) {
        (Some(event), _) => format!(
            "the change that opened it ({} by {} at {})",
            event.name,
            event.username.as_deref().unwrap_or("?"),
            event.time.map(text::minute).unwrap_or_default()
        ),
        (None, Some(now)) if now - last > MAX_BACK_OFF => {
            format!("the bundle's newest facts ({}): none has failed since", text::minute(now))
        }
        _ => return None,
    };
    let mut pods: Vec<String> = cx.failures.iter().map(|f| f.pod.key()).collect();
    pods.sort();
    pods.dedup();
    let nodes: std::collections::BTreeSet<&str> = findings.paths.iter().flat_map(|g| g.nodes.iter().map(String::as_str)).collect();
    Some(format!(
        "recovering: the network path is open now ({} reach{} the registry), and the last pull failure of the {} ({}) is older than {since}; the pods will pull at their next back-off retry (within {} minutes), or at once if their controller recreates them",
        text::count(nodes.len(), "affected node", "affected nodes"),
        if nodes.len() == 1 { "es" } else { "" },
        text::count(pods.len(), "pod", "pods"),
        text::minute(last),
        MAX_BACK_OFF.num_minutes()
    ))
}
