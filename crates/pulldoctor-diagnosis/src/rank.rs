//! Ranking and the headline: which cause is most likely, and the one sentence that says it.

use pulldoctor_model::{InputKind, Model};

use crate::context::Findings;
use crate::report::{Affected, Cause, Confidence, Timing};
use crate::text;

/// Most likely first: causes that block now before those that will bite after a fix, then by
/// confidence (how well the error text agrees), then by how many pods each explains.
pub fn rank(causes: &mut [Cause]) {
    causes.sort_by(|a, b| {
        let key = |c: &Cause| (c.timing == Timing::Now, c.confidence, c.pods.len());
        key(b).cmp(&key(a)).then_with(|| a.code.as_str().cmp(b.code.as_str())).then_with(|| a.resources.cmp(&b.resources))
    });
}

/// `recovered`: the sentence that says the path is open again and the failures are older than
/// that ([`crate::timeline::recovered`]), used when no cause blocks now.
pub fn headline(model: &Model, affected: &[Affected], findings: &Findings, recovered: Option<String>) -> String {
    if affected.is_empty() {
        return if model.inputs.contains(&InputKind::Pods) {
            "no container is failing to pull its image".to_string()
        } else {
            "the input has no pods, so there is nothing to diagnose".to_string()
        };
    }
    let mut pods: Vec<String> = affected.iter().map(|a| format!("{}/{}", a.namespace, a.pod)).collect();
    pods.dedup();
    let scope = text::count(pods.len(), "pod", "pods");
    match findings.causes.first() {
        Some(top) if top.timing == Timing::Now => {
            let certainty = match top.confidence {
                Confidence::High => "",
                Confidence::Medium => "probably ",
                Confidence::Low => "possibly ",
            };
            format!("{certainty}{}: {} ({scope} affected)", top.code, top.summary)
        }
        _ => match recovered.or_else(|| stale(&pods, findings)) {
            Some(recovered) => recovered,
            None => format!(
                "{scope} {} to pull and no cause could be established; see the gaps",
                if pods.len() == 1 { "fails" } else { "fail" }
            ),
        },
    }
}

/// Every failing pod's error is out of date (`Findings::stale`): they are recovering, and when.
fn stale(pods: &[String], findings: &Findings) -> Option<String> {
    if findings.stale.is_empty() {
        return None;
    }
    let covered: std::collections::HashSet<&str> = findings.stale.iter().flat_map(|(pods, _)| pods.iter().map(String::as_str)).collect();
    if !pods.iter().all(|pod| covered.contains(pod.as_str())) {
        return None;
    }
    let why: Vec<&str> = findings.stale.iter().map(|(_, why)| why.as_str()).collect();
    Some(format!(
        "recovering: {}; the {} will pull at {} next back-off retry (within {} minutes), or at once if {} controller recreates {}",
        why.join("; "),
        text::count(pods.len(), "pod", "pods"),
        if pods.len() == 1 { "its" } else { "their" },
        crate::timeline::MAX_BACK_OFF.num_minutes(),
        if pods.len() == 1 { "its" } else { "their" },
        if pods.len() == 1 { "it" } else { "them" },
    ))
}
