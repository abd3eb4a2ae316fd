//! `fix --probe`: after the change, the in-cluster probe runs from the fixed cause's nodes, and
//! the verification judges by what it observed as well as by the configuration. Configuration
//! can trace a path open that a firewall outside the VPC, the node's own firewall or the registry
//! still blocks; only a pull tried from the node shows that.

use std::collections::BTreeSet;

use pulldoctor_diagnosis::probe_plan::{self, Selection};
use pulldoctor_diagnosis::report::{Layer, ProbeSummary, Report};
use pulldoctor_model::Model;
use serde_json::Value;

/// At most this many nodes are probed: one per subnet first, as `diagnose --probe` does.
pub(super) const MAX_NODES: usize = 5;

/// The nodes of `pods`, one per subnet first (each subnet is its own path), at most
/// [`MAX_NODES`] (`probe_plan::spread`, as `diagnose --probe` chooses); and how many nodes the
/// pods are on in all.
pub(super) fn probe_nodes(model: &Model, pods: &[String]) -> (Vec<String>, usize) {
    let mut seen = BTreeSet::new();
    let nodes: Vec<&pulldoctor_model::Node> = pods
        .iter()
        .filter_map(|key| model.pods.get(key).and_then(|p| p.node_name.as_deref()))
        .filter(|node| seen.insert(*node))
        .filter_map(|node| model.nodes.get(node))
        .collect();
    let all = nodes.len();
    (probe_plan::spread(model, nodes, MAX_NODES).into_iter().map(|n| n.name.clone()).collect(), all)
}

/// The probe's documents from `nodes` (bundle files), or nothing when it could not run: why is
/// printed, and the verdict then rests on the configuration alone.
pub(super) fn documents(model: &Model, context: Option<String>, nodes: Vec<String>, image: Option<String>) -> Vec<(String, Value)> {
    if nodes.is_empty() {
        println!("probe: none of the cause's pods is on a node, so there is nowhere to probe from");
        return Vec::new();
    }
    match crate::probe_cluster::probe_files(model, context, Selection::CauseNodes(nodes), image) {
        Ok(files) => files,
        Err(error) => {
            println!("probe: could not run ({error:#})");
            Vec::new()
        }
    }
}

/// What the probes observed after the change.
pub(super) enum Observed<'a> {
    /// `--probe` was not given.
    NotAsked,
    /// Asked, but no probe ran (why was printed).
    NoneRan,
    /// What each probe that ran observed.
    Ran(&'a [ProbeSummary]),
}

impl Observed<'_> {
    pub(super) fn of(report: &Report, asked: bool) -> Observed<'_> {
        match (asked, report.probes.is_empty()) {
            (false, _) => Observed::NotAsked,
            (true, true) => Observed::NoneRan,
            (true, false) => Observed::Ran(&report.probes),
        }
    }

    /// The first probe that failed.
    fn failed(&self) -> Option<&ProbeSummary> {
        match self {
            Observed::Ran(probes) => probes.iter().find(|p| p.result != "passed"),
            _ => None,
        }
    }

    /// Every probe passed (and one ran): the nodes it pulled from, as a person names them.
    pub(super) fn pulled_from(&self) -> Option<Vec<&str>> {
        match self {
            Observed::Ran(probes) if self.failed().is_none() => Some(probes.iter().map(where_).collect()),
            _ => None,
        }
    }
}

/// Whether a probe that failed at `step` reached the registry: past DNS, TCP and TLS.
fn reached_registry(step: Option<&str>) -> bool {
    !matches!(step, Some("resolve" | "connect" | "tls"))
}

/// Print what each probe observed.
pub(super) fn print(observed: &Observed) {
    match observed {
        Observed::NotAsked => {}
        Observed::NoneRan => println!("probe: no probe ran, so this verdict rests on the configuration alone"),
        Observed::Ran(probes) => {
            for probe in *probes {
                println!("  probe from {}: {}", where_(probe), probe.text);
            }
        }
    }
}

/// The verdict a failed probe forces when the configuration shows nothing blocking: `Some(line)`
/// (not fixed, partly fixed or not confirmed; exit 1), or `None` (no probe contradicts the fix).
pub(super) fn verdict(observed: &Observed, layer: Layer, code: &str) -> Option<String> {
    let probe = observed.failed()?;
    let step = probe.failed_step.as_deref();
    let at = format!("{} ({})", step.unwrap_or("?"), probe.error_class.as_deref().unwrap_or("unclassified"));
    let explained = if probe.bears_on.is_empty() {
        "nothing the configuration shows explains it: look where pulldoctor cannot see (a firewall outside the VPC, the node's own firewall or proxy settings, the registry itself)".to_string()
    } else {
        format!("the diagnosis now names {}", probe.bears_on.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "))
    };
    let node = where_(probe);
    Some(match (layer, reached_registry(step)) {
        (Layer::Network, true) => format!(
            "partly fixed: the probe from {node} got through to the registry, so {code} is gone; the pull now fails at {at}; {explained}"
        ),
        (Layer::Network, false) => format!(
            "not fixed: the configuration shows nothing blocking the path, but the probe from {node} still fails at {at}; {explained}"
        ),
        (_, true) => format!("not fixed: the probe from {node} still fails at {at}; {explained}"),
        (_, false) => format!(
            "not confirmed: the probe from {node} could not reach the registry (it fails at {at}), so whether {code} is gone cannot be seen; {explained}"
        ),
    })
}

/// Where a probe ran, as a person names it.
fn where_(probe: &ProbeSummary) -> &str {
    probe.node.as_deref().unwrap_or(probe.file.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(node: &str, result: &str, step: Option<&str>, bears_on: Vec<pulldoctor_model::Code>) -> ProbeSummary {
        ProbeSummary {
            file: format!("probes/probe-{node}.json"),
            node: Some(node.into()),
            mode: "host-network".into(),
            started_at: chrono::DateTime::UNIX_EPOCH,
            target: "127.0.0.1:1/team/app:v1".into(),
            subnet: None,
            route_table: None,
            result: result.into(),
            failed_step: step.map(str::to_string),
            error_class: step.map(|_| "connection-refused".to_string()),
            text: "words".into(),
            bears_on,
        }
    }

    #[test]
    fn a_failed_probe_decides_by_how_far_it_got() {
        let refused = summary("n1", "failed", Some("connect"), vec![]);
        let verdict = super::verdict(&Observed::Ran(std::slice::from_ref(&refused)), Layer::Network, "route.no-route").unwrap();
        assert!(
            verdict.starts_with("not fixed: the configuration shows nothing blocking the path") && verdict.contains("outside the VPC"),
            "{verdict}"
        );
        let denied = summary("n1", "failed", Some("credentials"), vec![pulldoctor_model::Code::PullSecretExpired]);
        let verdict = super::verdict(&Observed::Ran(std::slice::from_ref(&denied)), Layer::Network, "route.no-route").unwrap();
        assert!(verdict.starts_with("partly fixed:") && verdict.contains("now names pullsecret.expired"), "{verdict}");
        let verdict = super::verdict(&Observed::Ran(std::slice::from_ref(&denied)), Layer::Access, "iam.ecr-denied").unwrap();
        assert!(verdict.starts_with("not fixed: the probe from n1 still fails at credentials"), "{verdict}");
        let verdict = super::verdict(&Observed::Ran(std::slice::from_ref(&refused)), Layer::Access, "iam.ecr-denied").unwrap();
        assert!(verdict.starts_with("not confirmed:"), "{verdict}");
        let passed = summary("n1", "passed", None, vec![]);
        let both = [passed.clone(), refused.clone()];
        assert!(
            super::verdict(&Observed::Ran(&both), Layer::Network, "route.no-route")
                .unwrap()
                .contains("the probe from n1 still fails at connect")
        );
        assert_eq!(Observed::Ran(&both).pulled_from(), None);
        let two = [passed.clone(), summary("n2", "passed", None, vec![])];
        assert!(super::verdict(&Observed::Ran(&two), Layer::Network, "route.no-route").is_none());
        assert_eq!(Observed::Ran(&two).pulled_from(), Some(vec!["n1", "n2"]));
        assert!(super::verdict(&Observed::NoneRan, Layer::Network, "route.no-route").is_none());
    }
}
