//! What every check reads and writes: the [`Context`] (the model plus the shared analyses) and
//! the [`Findings`] a check adds to. Checks and the pipeline steps after them depend on this
//! module, never on each other.

use chrono::{DateTime, Utc};
use pulldoctor_model::Model;
use pulldoctor_net::Engine;

use crate::affected::{Failure, Working};
use crate::report::{Cause, Gap, Layer, Observation, PathGroup, ProbeSummary, RuledOut};

pub struct Context<'m> {
    pub model: &'m Model,
    pub engine: Engine<'m>,
    pub failures: Vec<Failure<'m>>,
    pub working: Vec<Working<'m>>,
    /// The instant token expiry and ages are judged against.
    pub now: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct Findings {
    pub causes: Vec<Cause>,
    pub ruled_out: Vec<RuledOut>,
    pub gaps: Vec<Gap>,
    pub paths: Vec<PathGroup>,
    /// The probes of the input, summarised (`observations`).
    pub probes: Vec<ProbeSummary>,
    /// What the probes say about each cause (`observations`).
    pub observations: Vec<Observation>,
    /// Failures whose error is known to be out of date (the image was pushed after the registry's
    /// last `not found`): the pods, and why, in words. When they are all the failing pods and no
    /// cause blocks now, the headline says they are recovering.
    pub stale: Vec<(Vec<String>, String)>,
    /// What `gaps` and `ruled_out` already hold, so that a big outage's hundred thousand gaps
    /// are each checked once, not against all the others.
    gap_whats: std::collections::HashSet<String>,
    ruled_out_items: std::collections::HashSet<(String, String)>,
}

impl Findings {
    pub fn rule_out(&mut self, layer: Layer, check: impl Into<String>, reason: impl Into<String>) {
        let item = RuledOut { layer, check: check.into(), reason: reason.into() };
        if self.ruled_out_items.insert((item.check.clone(), item.reason.clone())) {
            self.ruled_out.push(item);
        }
    }
    /// Merge the causes from `first` on that are one problem seen from many pods: the same code,
    /// timing, resources (but the pods themselves) and fix commands (a big outage's pods share
    /// one expired secret). The merged cause lists every pod once; a summary that names the
    /// first pod then names how many there are.
    pub fn merge_alike_causes(&mut self, first: usize) {
        let made = self.causes.split_off(first.min(self.causes.len()));
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut pods_of: Vec<std::collections::HashSet<String>> = Vec::new();
        let mut merged: Vec<Cause> = Vec::new();
        for cause in made {
            let own: Vec<&str> = cause.resources.iter().filter(|r| !cause.pods.contains(r)).map(String::as_str).collect();
            let commands: Vec<&str> = cause.fix.options.iter().flat_map(|o| o.commands.iter().map(|c| c.command.as_str())).collect();
            let key = format!("{}|{:?}|{}|{}", cause.code, cause.timing, own.join(","), commands.join("\n"));
            match index.get(&key) {
                Some(&at) => {
                    let into = &mut merged[at];
                    for pod in cause.pods {
                        if pods_of[at].insert(pod.clone()) {
                            into.pods.push(pod);
                        }
                    }
                    into.confidence = into.confidence.max(cause.confidence);
                }
                None => {
                    index.insert(key, merged.len());
                    pods_of.push(cause.pods.iter().cloned().collect());
                    merged.push(cause);
                }
            }
        }
        for cause in &mut merged {
            let count = cause.pods.len();
            if count < 2 {
                continue;
            }
            let first_pod = cause.pods[0].clone();
            let pods: std::collections::HashSet<&String> = cause.pods.iter().collect();
            cause.resources.retain(|r| r == &first_pod || !pods.contains(r));
            if cause.summary.contains(&first_pod) {
                let many = format!("{count} pods (e.g. {first_pod})");
                cause.summary = cause.summary.replacen(&first_pod, &many, 1).replacen(" references ", " reference ", 1);
            }
        }
        self.causes.extend(merged);
    }

    pub fn gap(&mut self, what: impl Into<String>, why: impl Into<String>, command: Option<String>) {
        let gap = Gap { what: what.into(), why: why.into(), command };
        if self.gap_whats.insert(gap.what.clone()) {
            self.gaps.push(gap);
        }
    }
}

/// `namespace/pod` of the failing pods, per image reference as written (computed once per check).
pub fn pods_by_image<'a>(cx: &'a Context) -> std::collections::HashMap<&'a str, Vec<String>> {
    let mut out: std::collections::HashMap<&str, Vec<String>> = std::collections::HashMap::new();
    for failure in &cx.failures {
        let pods = out.entry(failure.image.as_str()).or_default();
        let key = failure.pod.key();
        if pods.last() != Some(&key) {
            pods.push(key);
        }
    }
    out
}
