//! What probes observed, as the report says it: each probe read, and per cause whether packets
//! confirmed what the configuration says, contradicted it, or settled what it could not say.
//! Causes are named by code and resources (the same pair the cause itself carries), so the
//! checks' own types stay as they are.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Confidence;

/// One probe the input held (`pulldoctor probe`), where it ran and what it found.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ProbeSummary {
    /// The file it was read from.
    pub file: String,
    /// The node it ran on (in-cluster), else the host name it reported.
    pub node: Option<String>,
    /// `local`, `host-network` or `pod-network`.
    pub mode: String,
    pub started_at: DateTime<Utc>,
    /// The image or registry probed.
    pub target: String,
    /// Where the node is, when the input says: its subnet and the route table that subnet uses.
    pub subnet: Option<String>,
    pub route_table: Option<String>,
    /// `passed` or `failed`.
    pub result: String,
    /// The step that failed and the error class of its failure.
    pub failed_step: Option<String>,
    pub error_class: Option<String>,
    /// The decisive observation in words: the failure, or how far the pull got and how fast.
    pub text: String,
    /// The causes this probe bears on (their codes); empty for a failed probe means no cause of
    /// the configuration explains what it met (the report then has a gap saying so).
    pub bears_on: Vec<pulldoctor_model::Code>,
}

/// What probes say about one cause.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Observation {
    /// The cause: its code and resources, as in `causes[]`.
    pub code: pulldoctor_model::Code,
    pub resources: Vec<String>,
    pub verdict: ObservedVerdict,
    /// One sentence: what was observed and what it means for the cause.
    pub summary: String,
    /// The observations behind it, the cause's own nodes first, then the nodes compared with them.
    pub facts: Vec<ObservedFact>,
    /// The confidence the cause had before the observations changed it (absent when unchanged).
    pub confidence_before: Option<Confidence>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ObservedVerdict {
    /// Packets met the fault where the configuration says they would.
    Confirmed,
    /// The configuration says blocked (or broken) and the probe got through: the cause is in doubt.
    Contradicted,
    /// A path the configuration could not finish (beyond a transit gateway, ...) was observed:
    /// blocked or open.
    Settled,
}

impl ObservedVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            ObservedVerdict::Confirmed => "confirmed",
            ObservedVerdict::Contradicted => "contradicted",
            ObservedVerdict::Settled => "settled",
        }
    }
}

/// One observation of one probe.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ObservedFact {
    pub node: String,
    /// `local`, `host-network` or `pod-network`.
    pub mode: String,
    pub subnet: Option<String>,
    pub route_table: Option<String>,
    /// True for the cause's own nodes (or subnets); false for a node outside it, probed to compare.
    pub in_scope: bool,
    pub outcome: FactOutcome,
    /// What happened, with addresses and times.
    pub text: String,
    pub at: DateTime<Utc>,
}

/// How one probe's attempt at what a cause concerns ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FactOutcome {
    /// It met the fault the cause predicts (a timeout on the route, the 404, the untrusted CA).
    Blocked,
    /// It got through where the cause says it would not (or, outside the cause's scope, where it should).
    Reached,
    /// It failed, but not as the cause predicts.
    Failed,
}
