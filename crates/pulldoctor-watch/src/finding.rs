//! What a comparison of two baselines finds: one change, its severity, in words.

use pulldoctor_model::Code;
use serde::Serialize;

/// How much a finding matters; the order is the ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// A path that worked no longer does, or a node role lost access: the next pull fails.
    Breaks,
    /// Not broken yet, or not sure: a token about to expire, a path that can no longer be confirmed.
    Warns,
    /// A path that was broken works again.
    Restores,
    /// Something on the path changed and it still works (another NAT, another table).
    Changes,
}

/// One thing that changed, in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub severity: Severity,
    /// The cause code of the break (what blocks the path now), when there is one.
    pub code: Option<Code>,
    /// What changed and what it does, in sentences.
    pub summary: String,
    pub nodes: Vec<String>,
    pub subnets: Vec<String>,
    pub registries: Vec<String>,
    /// Ids involved, the deciding one first.
    pub resources: Vec<String>,
    /// How many traced paths it covers.
    pub paths: usize,
    /// Pods on these nodes that pull from these registries: running until their next pull.
    pub pods_at_risk: usize,
    /// CloudTrail calls since the baseline that touched its resources.
    pub what_changed: Vec<String>,
    /// Commands that return to the baseline (they change AWS: run them with `--dry-run` first).
    pub restore: Vec<String>,
    /// Which CloudTrail calls explain it: a call of one of these names (any, when empty) that
    /// names one of these ids.
    #[serde(skip)]
    pub trail_keys: Vec<(&'static [&'static str], String)>,
}
