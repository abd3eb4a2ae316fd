//! Observations join the diagnosis. Configuration says where packets should go; a probe
//! (`pulldoctor probe`, read from the input) says where they went. For each cause this finds the
//! probes that bear on it, from the cause's own nodes and from nodes outside it, and says:
//!
//! - **confirmed**: packets met the fault where the cause says (a timeout on the path it calls
//!   blocked, the 404 of the tag it calls missing); the cause's confidence becomes high;
//! - **contradicted**: the cause says blocked and a probe from its scope got through; its
//!   confidence drops to low and the report says why;
//! - **settled**: a path the configuration could not finish (it leaves the input, e.g. through a
//!   transit gateway) was observed blocked or open.
//!
//! What each cause predicts is an exhaustive match over its code (`expect`); where each probe ran
//! is found from its node, host name or source address (`origin`); what it met is reduced to a few
//! outcomes with their words (`seen`). A failed probe no cause explains becomes a gap; a probe
//! that passed rules its node's pull path out. Pure: the probes are facts of the model.

mod expect;
mod origin;
mod seen;

use std::collections::BTreeSet;

use pulldoctor_model::{Code, ProbeRun};

use crate::context::{Context, Findings};
use crate::report::{Cause, Confidence, FactOutcome, Layer, Observation, ObservedFact, ObservedVerdict, PathGroup, ProbeSummary};
use crate::text;
use expect::{Expect, StepExpect};
use origin::Origin;
use seen::HostSeen;

/// Judge every cause by the probes of the input, and summarise each probe.
pub fn join(cx: &Context, findings: &mut Findings) {
    let runs = &cx.model.probes;
    if runs.is_empty() {
        return;
    }
    let origins: Vec<Origin> = runs.iter().map(|run| origin::locate(cx.model, run)).collect();
    // per probe: the causes it bears on, and whether one of them explains its failure
    let mut bears_on: Vec<Vec<Code>> = vec![Vec::new(); runs.len()];
    let mut explained = vec![false; runs.len()];
    let Findings { causes, paths, observations, .. } = findings;
    for cause in causes.iter_mut() {
        let scope = Scope::of(cx, cause);
        let facts = match expect::expect(cause.code) {
            Expect::Path | Expect::Unfinished => path_facts(cause, &scope, paths, runs, &origins),
            Expect::Step(step) => step_facts(&step, &scope, runs, &origins),
            Expect::Nothing => Vec::new(),
        };
        if facts.is_empty() {
            continue;
        }
        for (position, fact) in &facts {
            if !bears_on[*position].contains(&cause.code) {
                bears_on[*position].push(cause.code);
            }
            explained[*position] |= fact.in_scope && fact.outcome == FactOutcome::Blocked;
        }
        let facts: Vec<ObservedFact> = facts.into_iter().map(|(_, fact)| fact).collect();
        if let Some(observation) = judge(cause, facts) {
            observations.push(observation);
        }
    }
    for (position, run) in runs.iter().enumerate() {
        let origin = &origins[position];
        findings.probes.push(summary(run, origin, bears_on[position].clone()));
        match &run.failure {
            Some(failure) if !explained[position] => findings.gap(
                format!("the probe from {} failed at {} ({})", origin.describe(), failure.step.as_str(), failure.class),
                format!(
                    "{}; no cause the configuration shows explains it: look where the input cannot see (a firewall beyond the VPC, the node's own firewall or proxy settings, the registry itself)",
                    failure.message
                ),
                None,
            ),
            Some(_) => {}
            None => findings.rule_out(
                Layer::Network,
                format!("the pull from {} (probed, {})", origin.label, run.mode.as_str()),
                format!("{} at {}", seen::outcome(run), text::minute(run.started_at)),
            ),
        }
    }
}

/// Whom a cause concerns: its pods' nodes, its subnets and route tables, its registries and images.
struct Scope {
    nodes: BTreeSet<String>,
    subnets: BTreeSet<String>,
    route_tables: BTreeSet<String>,
    registries: BTreeSet<String>,
    /// (repository, tag or digest) of its pods' images.
    images: BTreeSet<(String, String)>,
}

impl Scope {
    fn of(cx: &Context, cause: &Cause) -> Scope {
        let mut scope = Scope {
            nodes: BTreeSet::new(),
            subnets: cause.resources.iter().filter(|r| r.starts_with("subnet-")).cloned().collect(),
            route_tables: cause.resources.iter().filter(|r| r.starts_with("rtb-")).cloned().collect(),
            registries: BTreeSet::new(),
            images: BTreeSet::new(),
        };
        let pods: BTreeSet<&str> = cause.pods.iter().map(String::as_str).collect();
        for failure in cx.failures.iter().filter(|f| pods.contains(f.pod.key().as_str())) {
            scope.nodes.extend(failure.pod.node_name.clone());
            if let Some(image) = &failure.image_ref {
                scope.registries.insert(image.registry.to_ascii_lowercase());
                let reference = image.digest.clone().or(image.tag.clone()).unwrap_or_else(|| "latest".into());
                scope.images.insert((image.repository.clone(), reference));
            }
        }
        scope
    }

    fn holds(&self, origin: &Origin) -> bool {
        origin.node.as_ref().is_some_and(|n| self.nodes.contains(n))
            || origin.subnet.as_ref().is_some_and(|s| self.subnets.contains(s))
            || origin.route_table.as_ref().is_some_and(|t| self.route_tables.contains(t))
    }

    fn concerns_registry(&self, run: &ProbeRun) -> bool {
        self.registries.is_empty() || self.registries.contains(&run.registry.to_ascii_lowercase())
    }
}

fn fact(run: &ProbeRun, origin: &Origin, in_scope: bool, outcome: FactOutcome, text: String) -> ObservedFact {
    ObservedFact {
        node: origin.label.clone(),
        mode: run.mode.as_str().to_string(),
        subnet: origin.subnet.clone(),
        route_table: origin.route_table.clone(),
        in_scope,
        outcome,
        text,
        at: run.started_at,
    }
}

/// The hosts a network cause says are blocked, from its traced paths (the registry, the ECR API,
/// the layer store), else its registries.
fn blocked_hosts(cause: &Cause, scope: &Scope, paths: &[PathGroup]) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    for group in paths {
        let result = &group.result;
        let same = result.blocker.as_ref().is_some_and(|b| b.code == cause.code);
        let here = scope.subnets.is_empty() || result.subnet_id.as_ref().is_some_and(|s| scope.subnets.contains(s));
        // `to` reads `host:443 (52.207.2.251)`: the host is what a probe dialled by name
        let host = result.to.split([':', ' ']).next().unwrap_or_default().to_string();
        if same && here && !host.is_empty() && !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    if hosts.is_empty() {
        hosts.extend(scope.registries.iter().cloned());
    }
    hosts
}

/// For a network cause: per probe, what it met on the way to the cause's hosts. A connection to
/// any of them decides `reached`; else a timeout or missing route `blocked`.
fn path_facts(cause: &Cause, scope: &Scope, paths: &[PathGroup], runs: &[ProbeRun], origins: &[Origin]) -> Vec<(usize, ObservedFact)> {
    let hosts = blocked_hosts(cause, scope, paths);
    let mut out = Vec::new();
    for (position, (run, origin)) in runs.iter().zip(origins).enumerate() {
        let in_scope = scope.holds(origin);
        let seen: Vec<(&String, HostSeen)> = hosts.iter().map(|h| (h, seen::host(run, h))).collect();
        let relevant = in_scope || scope.concerns_registry(run);
        if !relevant {
            continue;
        }
        let found = seen
            .iter()
            .find(|(_, s)| matches!(s, HostSeen::Reached(_)))
            .map(|(h, s)| (FactOutcome::Reached, h, s))
            .or_else(|| {
                seen.iter().find(|(_, s)| matches!(s, HostSeen::Blocked(_) | HostSeen::Refused(_))).map(|(h, s)| {
                    // outside the cause's scope a block is not this cause: something else blocks there
                    let outcome = if in_scope { FactOutcome::Blocked } else { FactOutcome::Failed };
                    (outcome, h, s)
                })
            })
            .or_else(|| {
                seen.iter()
                    .find(|(_, s)| matches!(s, HostSeen::NotResolved(_) | HostSeen::ThroughProxy(_)))
                    .map(|(h, s)| (FactOutcome::Failed, h, s))
            });
        let Some((outcome, host, how)) = found else { continue };
        let Some(words) = how.words() else { continue };
        // the pull's other hosts of this cause, by what happened to them
        let others: Vec<String> = seen
            .iter()
            .filter(|(h, s)| *h != *host && *s != HostSeen::NotTried)
            .map(|(h, s)| {
                let alike = std::mem::discriminant(s) == std::mem::discriminant(how);
                format!("the {}{}", seen::role_of(run, h), if alike { String::new() } else { format!(" ({})", s.short()) })
            })
            .collect();
        let text = match (others.is_empty(), others.iter().all(|o| !o.contains('('))) {
            (true, _) => words.to_string(),
            (false, true) => format!("{words}; the same for {}", text::and_list(&others)),
            (false, false) => format!("{words}; also tried: {}", text::and_list(&others)),
        };
        out.push((position, fact(run, origin, in_scope, outcome, text)));
    }
    out
}

/// For a cause after the network: per probe of the same registry (and image, and credentials,
/// where the cause needs them), whether it failed as the cause predicts or got past the step.
fn step_facts(step: &StepExpect, scope: &Scope, runs: &[ProbeRun], origins: &[Origin]) -> Vec<(usize, ObservedFact)> {
    let mut out = Vec::new();
    for (position, (run, origin)) in runs.iter().zip(origins).enumerate() {
        if !scope.concerns_registry(run) {
            continue;
        }
        let image = (run.repository.clone().unwrap_or_default(), run.reference.clone().unwrap_or_default());
        if step.same_image && !scope.images.contains(&image) {
            continue;
        }
        if let Some(source) = step.presenting
            && run.credentials.as_ref().is_none_or(|c| c.source != source)
            && run.failure.as_ref().is_none_or(|f| f.step != pulldoctor_model::probe::StepName::Credentials)
        {
            continue;
        }
        let in_scope = !step.by_node || scope.holds(origin);
        let target = run.repository.as_ref().map(|r| format!("{r}:{}", image.1)).unwrap_or_else(|| run.registry.clone());
        if let Some(words) = seen::failed_with(run, step.steps, step.classes) {
            let outcome = if in_scope { FactOutcome::Blocked } else { FactOutcome::Failed };
            out.push((position, fact(run, origin, in_scope, outcome, format!("{target}: {words}"))));
        } else if step.steps.iter().all(|s| run.step(*s) == pulldoctor_model::probe::StepStatus::Passed) {
            let last = step.steps.last().map(|s| s.as_str()).unwrap_or("?");
            out.push((
                position,
                fact(run, origin, in_scope, FactOutcome::Reached, format!("{target}: {last} passed; {}", seen::outcome(run))),
            ));
        }
    }
    out
}

/// The verdict from the facts: the cause's own nodes decide; nodes outside it are the comparison.
fn judge(cause: &mut Cause, mut facts: Vec<ObservedFact>) -> Option<Observation> {
    facts.sort_by_key(|f| !f.in_scope);
    let first = |outcome: FactOutcome, in_scope: bool| facts.iter().find(|f| f.outcome == outcome && f.in_scope == in_scope);
    let unfinished = expect::expect(cause.code) == Expect::Unfinished;
    let (verdict, confidence, summary) = match (first(FactOutcome::Reached, true), first(FactOutcome::Blocked, true)) {
        (Some(reached), _) if unfinished => (
            ObservedVerdict::Settled,
            Confidence::Low,
            format!(
                "settled, open: from {} {}; the path beyond {} carries packets, so the block is elsewhere",
                where_(reached),
                reached.text,
                cause.resources.first().map(String::as_str).unwrap_or("the VPC")
            ),
        ),
        (None, Some(blocked)) if unfinished => (
            ObservedVerdict::Settled,
            Confidence::High,
            format!(
                "settled, blocked: from {} {}: the traffic is lost beyond {}, where the input does not reach",
                where_(blocked),
                blocked.text,
                cause.resources.first().map(String::as_str).unwrap_or("the VPC")
            ),
        ),
        (Some(reached), _) => (
            ObservedVerdict::Contradicted,
            Confidence::Low,
            format!("contradicted: the configuration says this fails, but from {} {}", where_(reached), reached.text),
        ),
        (None, Some(blocked)) => {
            let mut summary = format!("confirmed: from {} {}", where_(blocked), blocked.text);
            if let Some(working) = first(FactOutcome::Reached, false) {
                summary.push_str(&format!("; from {}, outside this cause, {}", where_(working), working.text));
            }
            (ObservedVerdict::Confirmed, Confidence::High, summary)
        }
        (None, None) => return None,
    };
    let before = cause.confidence;
    cause.confidence = confidence;
    let mut summary = summary;
    if before != confidence {
        summary.push_str(&format!(
            " (confidence {} from {})",
            if confidence > before { "raised" } else { "lowered" },
            confidence_name(before)
        ));
    }
    Some(Observation {
        code: cause.code,
        resources: cause.resources.clone(),
        verdict,
        summary,
        facts,
        confidence_before: (before != confidence).then_some(before),
    })
}

fn confidence_name(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}

/// `ip-10-0-60-229.ec2.internal (subnet-0591e7f615056cdc1, route table rtb-04d162c9e2b6a4cbd)`.
fn where_(fact: &ObservedFact) -> String {
    Origin { label: fact.node.clone(), subnet: fact.subnet.clone(), route_table: fact.route_table.clone(), ..Origin::default() }.describe()
}

fn summary(run: &ProbeRun, origin: &Origin, bears_on: Vec<Code>) -> ProbeSummary {
    let target = match (&run.repository, &run.reference) {
        (Some(repository), Some(reference)) if reference.contains(':') => format!("{}/{repository}@{reference}", run.registry),
        (Some(repository), Some(reference)) => format!("{}/{repository}:{reference}", run.registry),
        _ => run.registry.clone(),
    };
    let decisive = run.failure.as_ref().and_then(|_| match seen::host(run, &run.host) {
        HostSeen::Blocked(words) | HostSeen::Refused(words) => Some(words),
        _ => None,
    });
    ProbeSummary {
        file: run.file.clone(),
        node: origin.node.clone().or_else(|| run.node.clone()),
        mode: run.mode.as_str().to_string(),
        started_at: run.started_at,
        target,
        subnet: origin.subnet.clone(),
        route_table: origin.route_table.clone(),
        result: if run.passed() { "passed" } else { "failed" }.to_string(),
        failed_step: run.failure.as_ref().map(|f| f.step.as_str().to_string()),
        error_class: run.failure.as_ref().map(|f| f.class.clone()),
        text: decisive.unwrap_or_else(|| seen::outcome(run)),
        bears_on,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Fix, Timing};

    fn cause(code: Code, confidence: Confidence) -> Cause {
        Cause {
            code,
            layer: Layer::Network,
            summary: String::new(),
            confidence,
            timing: Timing::Now,
            resources: vec!["tgw-0a".into(), "subnet-0a".into()],
            pods: Vec::new(),
            evidence: Vec::new(),
            fix: Fix::default(),
        }
    }

    fn observed(node: &str, in_scope: bool, outcome: FactOutcome) -> ObservedFact {
        ObservedFact {
            node: node.into(),
            mode: "host-network".into(),
            subnet: Some("subnet-0a".into()),
            route_table: None,
            in_scope,
            outcome,
            text: format!("{outcome:?}"),
            at: chrono::DateTime::parse_from_rfc3339("2025-08-25T11:41:07Z").unwrap().with_timezone(&chrono::Utc),
        }
    }

    #[test]
    fn the_causes_own_nodes_decide_and_others_compare() {
        let mut route = cause(Code::RouteNoRoute, Confidence::Medium);
        let facts = vec![observed("outside", false, FactOutcome::Reached), observed("inside", true, FactOutcome::Blocked)];
        let observation = judge(&mut route, facts).unwrap();
        assert_eq!((observation.verdict, route.confidence), (ObservedVerdict::Confirmed, Confidence::High));
        assert_eq!(observation.confidence_before, Some(Confidence::Medium));
        assert!(observation.facts[0].in_scope, "the cause's own nodes first");
        assert!(observation.summary.contains("outside this cause"), "{}", observation.summary);

        let mut route = cause(Code::RouteNoRoute, Confidence::High);
        let observation = judge(&mut route, vec![observed("inside", true, FactOutcome::Reached)]).unwrap();
        assert_eq!((observation.verdict, route.confidence), (ObservedVerdict::Contradicted, Confidence::Low));
        assert!(observation.summary.contains("lowered from high"), "{}", observation.summary);

        // a node outside the cause alone says nothing about it
        let mut route = cause(Code::RouteNoRoute, Confidence::High);
        assert!(judge(&mut route, vec![observed("outside", false, FactOutcome::Reached)]).is_none());
        assert_eq!(route.confidence, Confidence::High);
    }

    #[test]
    fn an_unfinished_path_is_settled_either_way() {
        let mut tgw = cause(Code::PathLeavesScope, Confidence::Low);
        let observation = judge(&mut tgw, vec![observed("inside", true, FactOutcome::Blocked)]).unwrap();
        assert_eq!((observation.verdict, tgw.confidence), (ObservedVerdict::Settled, Confidence::High));
        assert!(observation.summary.contains("beyond tgw-0a"), "{}", observation.summary);
        let mut tgw = cause(Code::PathLeavesScope, Confidence::Low);
        let observation = judge(&mut tgw, vec![observed("inside", true, FactOutcome::Reached)]).unwrap();
        assert_eq!((observation.verdict, tgw.confidence), (ObservedVerdict::Settled, Confidence::Low));
        assert!(observation.summary.contains("open"), "{}", observation.summary);
        assert_eq!(observation.confidence_before, None);
    }
}
