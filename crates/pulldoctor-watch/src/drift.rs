//! What changed since a baseline: the paths that broke, were restored or now go another way, the
//! node roles that lost (or regained) ECR access, and the pull secrets that expired or soon will.
//! Ranked: what breaks a pull first, then warnings, then what was restored, then what changed
//! without changing a verdict.
//!
//! A broken path is explained by the first thing that differs along it: the subnet's route-table
//! association (how the seed incident began: "subnet-0591e… no longer has an explicit association:
//! it now uses the main table rtb-04d1…, which has no route out"), the route chosen, or the hop
//! that now fails, with the engine's own words for why it blocks. Each finding names the nodes,
//! the registry and how many running pods depend on it (they keep running until their next pull,
//! which is why such a break can sit unnoticed for a day), the CloudTrail calls since the baseline
//! that touched its resources, and, where the change is a route-table association, the command
//! that returns to the baseline.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use pulldoctor_diagnosis::pull_hosts::HostRole;
use pulldoctor_diagnosis::text;
use pulldoctor_model::{Association, Code};
use pulldoctor_net::{HopStatus, Verdict};
use serde::Serialize;

use crate::baseline::{Baseline, PathRecord, SubnetRecord, list};

/// `kind` of the JSON document `drift --format json` prints.
pub const KIND: &str = "PulldoctorDrift";

/// How a comparison is judged.
#[derive(Debug, Clone)]
pub struct Options {
    /// Warn about pull secrets whose token expires within this long of `now`.
    pub warn_expiry: Duration,
    /// The instant expiry is judged at; default: when the newer baseline was taken.
    pub now: Option<DateTime<Utc>>,
}

impl Default for Options {
    fn default() -> Options {
        Options { warn_expiry: Duration::hours(24), now: None }
    }
}

use crate::access::{roles, secrets};
pub use crate::finding::{Finding, Severity};

/// Calls that change a subnet's association.
const ASSOCIATION_CALLS: &[&str] = &["DisassociateRouteTable", "ReplaceRouteTableAssociation", "AssociateRouteTable"];
/// Calls that change a route table's routes.
const ROUTE_CALLS: &[&str] = &["CreateRoute", "DeleteRoute", "ReplaceRoute", "DeleteRouteTable"];

/// The comparison of two baselines.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Drift {
    /// Always [`KIND`].
    pub kind: String,
    pub api_version: String,
    pub baseline_source: String,
    pub baseline_taken_at: Option<DateTime<Utc>>,
    pub source: String,
    pub taken_at: Option<DateTime<Utc>>,
    /// Paths compared (present in both).
    pub paths_compared: usize,
    pub findings: Vec<Finding>,
    /// CloudTrail's network changes since the baseline that no finding explains.
    pub other_changes: Vec<String>,
    /// What the newer facts could not show (from its baseline).
    pub gaps: Vec<String>,
}

impl Drift {
    /// Did a path break (the exit status 1 of `pulldoctor drift`)?
    pub fn broke(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Breaks)
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }
}

/// Compare `new` with the baseline `old`.
pub fn compare(old: &Baseline, new: &Baseline, options: &Options) -> Drift {
    let now = options.now.or(new.taken_at);
    let since = old.taken_at;
    let trail: Vec<&crate::baseline::Change> = new.changes.iter().filter(|c| since.is_none_or(|s| c.time.is_some_and(|t| t > s))).collect();
    let mut findings = paths(old, new);
    findings.extend(roles(old, new));
    findings.extend(secrets(old, new, now, options.warn_expiry));
    let mut explained: BTreeSet<usize> = BTreeSet::new();
    for finding in &mut findings {
        for (at, change) in trail.iter().enumerate() {
            let explains = finding
                .trail_keys
                .iter()
                .any(|(calls, id)| (calls.is_empty() || calls.contains(&change.name.as_str())) && change.resources.iter().any(|r| r == id));
            if explains {
                explained.insert(at);
                finding.what_changed.push(change_line(change));
            }
        }
    }
    findings.sort_by(|a, b| {
        (a.severity, std::cmp::Reverse(a.nodes.len()), std::cmp::Reverse(a.paths), &a.summary).cmp(&(
            b.severity,
            std::cmp::Reverse(b.nodes.len()),
            std::cmp::Reverse(b.paths),
            &b.summary,
        ))
    });
    let old_keys = old.paths_by_key();
    Drift {
        kind: KIND.to_string(),
        api_version: crate::baseline::API_VERSION.to_string(),
        baseline_source: old.source.clone(),
        baseline_taken_at: old.taken_at,
        source: new.source.clone(),
        taken_at: new.taken_at,
        paths_compared: new.paths.iter().filter(|p| old_keys.contains_key(&p.key())).count(),
        findings,
        other_changes: trail.iter().enumerate().filter(|(at, _)| !explained.contains(at)).map(|(_, c)| change_line(c)).collect(),
        gaps: new.gaps.clone(),
    }
}

fn change_line(change: &crate::baseline::Change) -> String {
    let when = change.time.map(text::minute).unwrap_or_else(|| "(time unknown)".into());
    let who = change.username.as_deref().map(|u| format!(" by {u}")).unwrap_or_default();
    let ids = if change.resources.is_empty() { String::new() } else { format!(" ({})", change.resources.join(", ")) };
    format!("{when} {}{who}{ids}", change.name)
}

/// How a subnet's route table changed between the baselines, when it did.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Rerouted {
    subnet: String,
    old_table: Option<String>,
    old_how: Option<Association>,
    old_association: Option<String>,
    new_table: Option<String>,
    new_how: Option<Association>,
    new_association: Option<String>,
}

fn rerouted(old: Option<&SubnetRecord>, new: Option<&SubnetRecord>) -> Option<Rerouted> {
    let (old, new) = (old?, new?);
    (old.route_table_id != new.route_table_id || old.association != new.association).then(|| Rerouted {
        subnet: new.id.clone(),
        old_table: old.route_table_id.clone(),
        old_how: old.association,
        old_association: old.association_id.clone(),
        new_table: new.route_table_id.clone(),
        new_how: new.association,
        new_association: new.association_id.clone(),
    })
}

impl Rerouted {
    /// "subnet-… no longer has an explicit association (…): it now uses the main table rtb-…"
    fn sentence(&self) -> String {
        let table = |t: &Option<String>| t.clone().unwrap_or_else(|| "(no table)".into());
        let (old_table, new_table) = (table(&self.old_table), table(&self.new_table));
        match (self.old_how, self.new_how) {
            (Some(Association::Explicit), Some(Association::Main)) => format!(
                "{} no longer has an explicit route-table association (it was associated with {old_table}{}): it now uses the VPC's main route table {new_table}",
                self.subnet,
                self.old_association.as_deref().map(|a| format!(" through {a}")).unwrap_or_default()
            ),
            (Some(Association::Main), Some(Association::Explicit)) => {
                format!("{} is now explicitly associated with {new_table} (it used the VPC's main route table {old_table})", self.subnet)
            }
            (Some(Association::Main), Some(Association::Main)) => {
                format!("the VPC's main route table, which {} uses, is now {new_table} (it was {old_table})", self.subnet)
            }
            _ => format!("{} is now associated with {new_table} instead of {old_table}", self.subnet),
        }
    }

    /// The command that puts the baseline's association back, when one does.
    fn restore(&self) -> Option<String> {
        let old_table = self.old_table.as_deref()?;
        match (self.old_how, self.new_how) {
            (Some(Association::Explicit), Some(Association::Main)) => {
                Some(format!("aws ec2 associate-route-table --subnet-id {} --route-table-id {old_table}", self.subnet))
            }
            (Some(Association::Explicit), Some(Association::Explicit)) => self
                .new_association
                .as_deref()
                .map(|a| format!("aws ec2 replace-route-table-association --association-id {a} --route-table-id {old_table}")),
            (Some(Association::Main), Some(Association::Explicit)) => {
                self.new_association.as_deref().map(|a| format!("aws ec2 disassociate-route-table --association-id {a}"))
            }
            _ => None,
        }
    }
}

/// What a blocked path's cause adds after "…, which": the words for the code.
fn which(code: Code, path: &PathRecord) -> String {
    match code {
        Code::RouteNoRoute => "has no route out of the VPC for registry traffic".to_string(),
        Code::RouteBlackhole => {
            format!("sends registry traffic to a target that no longer exists ({})", path.route.as_deref().unwrap_or("blackhole"))
        }
        _ => format!("blocks the path: {}", path.blocker.as_ref().map(|b| b.summary.as_str()).unwrap_or("")),
    }
}

/// The first hop along the path whose status differs from the baseline's, in words.
fn hop_change(old: Option<&PathRecord>, new: &PathRecord) -> Option<String> {
    let old = old?;
    if let (Some(was), None) = (&old.route, &new.route) {
        return Some(format!(
            "{} no longer has a route for {} (in the baseline: {was})",
            new.route_table_id.as_deref().unwrap_or("the route table"),
            new.host
        ));
    }
    if old.route != new.route && new.route.is_some() {
        return Some(format!(
            "{} now routes {} through {} (in the baseline: {})",
            new.route_table_id.as_deref().unwrap_or("the route table"),
            new.host,
            new.route.as_deref().unwrap_or("?"),
            old.route.as_deref().unwrap_or("no route")
        ));
    }
    let changed = new.hops.iter().find(|hop| {
        hop.status == HopStatus::Fail
            && !old.hops.iter().any(|o| o.kind == hop.kind && o.resource == hop.resource && o.status == hop.status)
    })?;
    let before = old.hops.iter().find(|o| o.kind == changed.kind && o.resource == changed.resource);
    Some(format!(
        "{} {}: {}{}",
        changed.kind,
        changed.resource.as_deref().unwrap_or(""),
        changed.detail,
        before.map(|b| format!(" (in the baseline: {})", b.detail)).unwrap_or_default()
    ))
}

/// Hosts by role, as "the registry and its layer store (S3)".
fn roles_words(roles: &BTreeSet<HostRole>) -> String {
    let words: Vec<&str> = roles.iter().map(|r| r.words()).collect();
    list(&words)
}

#[derive(Default)]
struct Group<'b> {
    example: Option<&'b PathRecord>,
    old_example: Option<&'b PathRecord>,
    nodes: BTreeSet<String>,
    new_nodes: BTreeSet<String>,
    subnets: BTreeSet<String>,
    registries: BTreeMap<String, BTreeSet<HostRole>>,
    resources: Vec<String>,
    paths: usize,
}

impl<'b> Group<'b> {
    fn add(&mut self, old: Option<&'b PathRecord>, new: &'b PathRecord) {
        self.example.get_or_insert(new);
        if self.old_example.is_none() {
            self.old_example = old;
        }
        if old.is_none() {
            self.new_nodes.insert(new.node.clone());
        }
        self.nodes.insert(new.node.clone());
        self.subnets.extend(new.subnet_id.clone());
        self.registries.entry(new.registry.clone()).or_default().insert(new.role);
        // a restored path has no blocker: what blocked it in the baseline names the change
        let blocker = new.blocker.as_ref().or(old.and_then(|o| o.blocker.as_ref()));
        for resource in blocker.iter().flat_map(|b| &b.resources) {
            if !self.resources.contains(resource) {
                self.resources.push(resource.clone());
            }
        }
        self.paths += 1;
    }

    fn reach(&self) -> String {
        self.registries.iter().map(|(registry, roles)| format!("{registry} ({})", roles_words(roles))).collect::<Vec<_>>().join("; ")
    }

    fn pods(&self, new: &Baseline) -> usize {
        self.nodes.iter().flat_map(|n| self.registries.keys().map(move |r| new.pods_on(n, r))).sum()
    }
}

/// Paths that still work but now go another way: the subnet's change, the way out now, the way out before.
type MovedKey = (Option<Rerouted>, Option<String>, Option<String>);

fn paths(old: &Baseline, new: &Baseline) -> Vec<Finding> {
    let old_paths = old.paths_by_key();
    let mut broke: BTreeMap<(Option<Code>, String, Option<Rerouted>), Group> = BTreeMap::new();
    let mut restored: BTreeMap<(String, Option<Rerouted>), Group> = BTreeMap::new();
    let mut uncertain: BTreeMap<String, Group> = BTreeMap::new();
    let mut moved: BTreeMap<MovedKey, Group> = BTreeMap::new();
    let mut still: BTreeMap<(Code, Code, String), Group> = BTreeMap::new();
    for path in &new.paths {
        let before = old_paths.get(&path.key()).copied();
        let subnet_change = path.subnet_id.as_deref().and_then(|s| rerouted(old.subnet(s), new.subnet(s)));
        let code = path.blocker.as_ref().map(|b| b.code);
        let anchor = path.blocker.as_ref().and_then(|b| b.resources.first().cloned()).unwrap_or_default();
        match (before.map(|p| p.verdict), path.verdict) {
            (None | Some(Verdict::Reachable | Verdict::Unknown), Verdict::Blocked) => {
                broke.entry((code, anchor, subnet_change)).or_default().add(before, path);
            }
            (Some(Verdict::Blocked), Verdict::Reachable) => {
                restored.entry((path.via.clone().unwrap_or_default(), subnet_change)).or_default().add(before, path);
            }
            (Some(Verdict::Reachable), Verdict::Unknown) => {
                uncertain.entry(path.assumptions.first().cloned().unwrap_or_default()).or_default().add(before, path);
            }
            (Some(Verdict::Blocked), Verdict::Blocked) => {
                let was = before.and_then(|p| p.blocker.as_ref()).map(|b| b.code);
                if let (Some(was), Some(is)) = (was, code)
                    && was != is
                {
                    still.entry((was, is, anchor)).or_default().add(before, path);
                }
            }
            (Some(Verdict::Reachable), Verdict::Reachable) => {
                let before = before.expect("matched Some");
                if before.route_table_id != path.route_table_id || before.via != path.via || before.endpoint != path.endpoint {
                    moved.entry((subnet_change, path.via.clone(), before.via.clone())).or_default().add(Some(before), path);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for ((code, _, rerouted), group) in broke {
        let Some(example) = group.example else { continue };
        let mut cause = match (&rerouted, code) {
            (Some(rerouted), Some(code)) => format!("{}, which {}", rerouted.sentence(), which(code, example)),
            (None, _) => match hop_change(group.old_example, example) {
                Some(change) if code == Some(Code::RouteNoRoute) => change,
                Some(change) => format!(
                    "{change}; the path is blocked: {}",
                    example.blocker.as_ref().map(|b| b.summary.as_str()).unwrap_or("(no reason recorded)")
                ),
                None => example.blocker.as_ref().map(|b| b.summary.clone()).unwrap_or_else(|| "the path is blocked".into()),
            },
            (Some(rerouted), None) => rerouted.sentence(),
        };
        let nodes: Vec<&String> = group.nodes.iter().collect();
        let fresh: Vec<&String> = group.new_nodes.iter().collect();
        let pods = group.pods(new);
        cause.push_str(&format!(
            ". {} {} can no longer reach {}",
            if nodes.len() == 1 { "Node" } else { "Nodes" },
            list(&nodes),
            group.reach()
        ));
        if !fresh.is_empty() && fresh.len() == nodes.len() && group.old_example.is_none() {
            cause.push_str(" (paths the baseline did not have: new nodes or registries)");
        }
        let running = match pods {
            0 => format!("no running pod on {} uses it yet", if nodes.len() == 1 { "this node" } else { "these nodes" }),
            n => format!(
                "{} on {} use{} it",
                text::count(n, "running pod", "running pods"),
                if nodes.len() == 1 { "this node" } else { "these nodes" },
                if n == 1 { "s" } else { "" }
            ),
        };
        cause.push_str(&format!(
            ". Running pods are unaffected until their next pull ({running}); a restart, a rollout, a reschedule or a new pod there fails with ImagePullBackOff"
        ));
        let mut trail_keys: Vec<(&'static [&'static str], String)> = Vec::new();
        match &rerouted {
            Some(r) => {
                for id in [&r.old_association, &r.new_association].into_iter().flatten() {
                    trail_keys.push((ASSOCIATION_CALLS, id.clone()));
                }
                trail_keys.push((ASSOCIATION_CALLS, r.subnet.clone()));
                if let Some(table) = &r.new_table {
                    trail_keys.push((ROUTE_CALLS, table.clone()));
                }
            }
            None => trail_keys.extend(group.resources.iter().take(1).map(|id| (&[][..], id.clone()))),
        }
        let mut resources = group.resources.clone();
        if let Some(rerouted) = &rerouted {
            for id in [&rerouted.old_association, &rerouted.old_table, &rerouted.new_table].into_iter().flatten() {
                if !resources.contains(id) {
                    resources.push(id.clone());
                }
            }
        }
        out.push(Finding {
            severity: Severity::Breaks,
            code,
            summary: cause,
            nodes: group.nodes.iter().cloned().collect(),
            subnets: group.subnets.iter().cloned().collect(),
            registries: group.registries.keys().cloned().collect(),
            resources,
            paths: group.paths,
            pods_at_risk: pods,
            what_changed: Vec::new(),
            restore: rerouted.as_ref().and_then(Rerouted::restore).into_iter().collect(),
            trail_keys,
        });
    }
    for ((via, rerouted), group) in restored {
        let nodes: Vec<&String> = group.nodes.iter().collect();
        let how = rerouted.as_ref().map(|r| format!("{}; ", r.sentence())).unwrap_or_default();
        out.push(finding(
            Severity::Restores,
            None,
            format!(
                "{how}{} {} reach{} {} again{}",
                if nodes.len() == 1 { "node" } else { "nodes" },
                list(&nodes),
                if nodes.len() == 1 { "es" } else { "" },
                group.reach(),
                if via.is_empty() { String::new() } else { format!(", through {via}") }
            ),
            &group,
            new,
        ));
    }
    for (assumption, group) in uncertain {
        let nodes: Vec<&String> = group.nodes.iter().collect();
        out.push(finding(
            Severity::Warns,
            None,
            format!(
                "the path of {} to {} worked in the baseline and can no longer be confirmed: {}",
                list(&nodes),
                group.reach(),
                if assumption.is_empty() { "the input does not hold everything the path crosses".to_string() } else { assumption }
            ),
            &group,
            new,
        ));
    }
    for ((was, is, _), group) in still {
        let nodes: Vec<&String> = group.nodes.iter().collect();
        let summary = group.example.and_then(|p| p.blocker.as_ref()).map(|b| b.summary.clone()).unwrap_or_default();
        out.push(finding(
            Severity::Changes,
            Some(is),
            format!("the path of {} to {} is still blocked, now by {is} (in the baseline: {was}): {summary}", list(&nodes), group.reach()),
            &group,
            new,
        ));
    }
    for ((rerouted, via, old_via), group) in moved {
        let nodes: Vec<&String> = group.nodes.iter().collect();
        let how = match (&rerouted, via == old_via) {
            (Some(r), _) => r.sentence(),
            (None, false) => format!(
                "the path now leaves through {} (in the baseline: {})",
                via.as_deref().unwrap_or("?"),
                old_via.as_deref().unwrap_or("?")
            ),
            (None, true) => "the route table or endpoint on the path changed".to_string(),
        };
        let mut f = finding(
            Severity::Changes,
            None,
            format!("{how}; {} still reach{} {}", list(&nodes), if nodes.len() == 1 { "es" } else { "" }, group.reach()),
            &group,
            new,
        );
        if let Some(r) = &rerouted {
            f.resources.extend([r.old_table.clone(), r.new_table.clone(), r.old_association.clone()].into_iter().flatten());
        }
        f.resources.extend([via, old_via].into_iter().flatten());
        out.push(f);
    }
    out
}

fn finding(severity: Severity, code: Option<Code>, summary: String, group: &Group, new: &Baseline) -> Finding {
    Finding {
        severity,
        code,
        summary,
        nodes: group.nodes.iter().cloned().collect(),
        subnets: group.subnets.iter().cloned().collect(),
        registries: group.registries.keys().cloned().collect(),
        resources: group.resources.clone(),
        paths: group.paths,
        pods_at_risk: group.pods(new),
        what_changed: Vec::new(),
        restore: Vec::new(),
        trail_keys: group.resources.iter().take(1).map(|id| (&[][..], id.clone())).collect(),
    }
}
