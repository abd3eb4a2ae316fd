//! The diagnosis: run every check over the model, then rank what they found, attach the evidence
//! chain to each cause, and say what was ruled out and what could not be checked.
//!
//! Architecture invariant: analysis cannot fail. A check returns causes, ruled-out notes and gaps;
//! a missing input is a gap, never an error and never "healthy". No I/O, no clock: `now` is an
//! input ([`Options::now`]).

pub mod affected;
pub mod change;
pub mod check;
pub mod checks;
pub mod codes;
pub mod compare;
pub mod context;
pub mod credentials;
mod evidence;
mod fix;
mod gaps;
mod observations;
pub mod plan;
pub mod probe_plan;
pub mod pull_hosts;
mod rank;
pub mod report;
pub mod request;
mod scope;
pub mod text;
pub mod timeline;

use chrono::{DateTime, Utc};
use pulldoctor_model::Model;
use pulldoctor_net::Engine;

use crate::checks::CHECKS;
use crate::context::{Context, Findings};
use crate::report::{Affected, Report, SCHEMA_VERSION};

pub use pulldoctor_classify as classify;
pub use timeline::NETWORK_CHANGES;

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
    /// How many threads path tracing may use (0 or 1: one). The caller reads the machine.
    pub threads: usize,
}

impl Options {
    fn keeps(&self, failure: &affected::Failure) -> bool {
        self.namespace.as_ref().is_none_or(|n| *n == failure.pod.namespace)
            && self.pod.as_ref().is_none_or(|p| *p == failure.pod.name || *p == failure.pod.key())
            && self.node.as_ref().is_none_or(|n| failure.pod.node_name.as_ref() == Some(n))
            && self.image.as_ref().is_none_or(|i| failure.image.contains(i.as_str()))
    }
}

pub fn diagnose(model: &Model, options: &Options) -> Report {
    let now = options.now.or_else(|| model.observed_at());
    let (failures, working) = affected::find(model);
    let failures: Vec<_> = failures.into_iter().filter(|f| options.keeps(f)).collect();
    let cx = Context { model, engine: Engine::new(model).with_threads(options.threads), failures, working, now };
    let mut findings = Findings::default();
    // The scope and the working-vs-failing comparison only read the context: with a second
    // thread they are worked out while the checks run (a big outage: a third of the time).
    let (mut scope, comparisons) = std::thread::scope(|threads| {
        let beside = (options.threads > 1).then(|| threads.spawn(|| (scope::scope(&cx), compare::compare(&cx))));
        gaps::unreadable_files(model, &mut findings);
        if !cx.failures.is_empty() {
            gaps::missing_inputs(model, &mut findings);
            for check in CHECKS {
                check.run(&cx, &mut findings);
            }
        }
        gaps::collection_failures(model, &mut findings);
        gaps::expired_errors(&cx, &mut findings);
        match beside.map(|thread| thread.join()) {
            Some(Ok(done)) => done,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => (scope::scope(&cx), compare::compare(&cx)),
        }
    });
    timeline::attach_changes(&cx, &mut findings, &mut scope);
    evidence::attach_error_evidence(&cx, &mut findings, &scope);
    evidence::attach_comparisons(&cx, &mut findings, &comparisons);
    observations::join(&cx, &mut findings);
    rank::rank(&mut findings.causes);
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
    let recovered = timeline::recovered(&cx, &findings);
    let headline = rank::headline(model, &affected, &findings, recovered);
    Report {
        schema_version: SCHEMA_VERSION,
        observed_at: now,
        headline,
        causes: findings.causes,
        ruled_out: findings.ruled_out,
        affected_groups: report::affected_groups(&affected),
        affected,
        gap_groups: report::gap_groups(&findings.gaps, report::GAP_FOLD),
        gaps: findings.gaps,
        scope,
        comparisons,
        paths: findings.paths,
        notes: Vec::new(),
        probes: findings.probes,
        observations: findings.observations,
    }
}
