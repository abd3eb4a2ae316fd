//! The report: what `diagnose` says, as data. Its JSON form is the documented wire contract
//! (`docs/report.schema.json`); the text and Markdown renderers read the same structure.
//!
//! Compatibility: fields are only ever added; `schema_version` changes when a field changes
//! meaning or disappears.

use chrono::{DateTime, Utc};
use serde::Serialize;

mod groups;
mod observation;
mod path;
pub use groups::{AffectedGroup, GapGroup, affected_groups, gap_groups};
pub use observation::{FactOutcome, Observation, ObservedFact, ObservedVerdict, ProbeSummary};
pub use path::{Address, Association, Blocker, Hop, HopStatus, Path, Service, Verdict};

pub const SCHEMA_VERSION: u32 = 1;

/// More gaps than this with one reason are folded into a [`GapGroup`].
pub const GAP_FOLD: usize = 3;

/// The JSON Schema of [`Report`]: `pulldoctor schema` prints it, `docs/report.schema.json` is a
/// copy a test keeps in step.
pub fn schema() -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(Report)).unwrap_or_default();
    schema["title"] = "pulldoctor diagnose --format json".into();
    schema["description"] =
        format!("The report of `pulldoctor diagnose`, schema_version {SCHEMA_VERSION}. Fields are only ever added; see docs/report.md.")
            .into();
    schema
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Report {
    pub schema_version: u32,
    /// The instant the analysis treats as "now": `--now`, else the latest moment the input shows.
    pub observed_at: Option<DateTime<Utc>>,
    /// One sentence: the top cause and its scope, or why there is nothing to diagnose.
    pub headline: String,
    /// Ranked, most likely first.
    pub causes: Vec<Cause>,
    /// What was checked and found fine, each with the fact that clears it.
    pub ruled_out: Vec<RuledOut>,
    /// Each failing container.
    pub affected: Vec<Affected>,
    /// `affected` grouped by error class, namespace and image, largest first, with the number of
    /// nodes and three examples each: a big outage in a few lines. The counts add up to
    /// `affected`'s length.
    pub affected_groups: Vec<AffectedGroup>,
    /// What could not be checked, and the command whose output would settle it.
    pub gaps: Vec<Gap>,
    /// Reasons shared by more than three `gaps` (one per pod whose real error expired, in a big
    /// outage), each with its count, three examples and the first one's command. The text
    /// report shows each as one line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gap_groups: Vec<GapGroup>,
    /// The failure pattern in words, and the groups behind it.
    pub scope: Scope,
    /// For each registry with failures: what separates the pods that run from those that fail.
    pub comparisons: Vec<Comparison>,
    /// Traced paths from affected nodes to the hosts their pulls need, grouped by identical verdict.
    pub paths: Vec<PathGroup>,
    /// Notes from reading the input (skipped files, unknown kinds).
    pub notes: Vec<String>,
    /// Each `pulldoctor probe` result the input held: where it ran and what it met.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<ProbeSummary>,
    /// Per cause, what the probes observed: confirmed, contradicted or settled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observations: Vec<Observation>,
}

impl Report {
    /// What probes observed about `cause`, if any bears on it.
    pub fn observation_of(&self, cause: &Cause) -> Option<&Observation> {
        self.observations.iter().find(|o| o.code == cause.code && o.resources == cause.resources)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Layer {
    Network,
    Dns,
    Proxy,
    Access,
    Image,
    Registry,
    Node,
    Cluster,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// Whether a cause blocks pulls now, or will once the causes above it are fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Timing {
    Now,
    AfterFix,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Cause {
    pub code: pulldoctor_model::Code,
    pub layer: Layer,
    pub summary: String,
    pub confidence: Confidence,
    pub timing: Timing,
    /// Ids involved: `rtb-...`, `subnet-...`, `nat-...`, `namespace/secret`, ...
    pub resources: Vec<String>,
    /// `namespace/pod` of the pods this cause explains.
    pub pods: Vec<String>,
    pub evidence: Vec<Evidence>,
    pub fix: Fix,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Evidence {
    /// Where the fact comes from: `event`, `container-status`, `classifier`, `path`, `scope`,
    /// `route-table`, `secret`, `iam`, ...
    pub source: String,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Safety {
    /// Reads only.
    ReadOnly,
    /// Changes cloud or cluster state: run with dry-run first, and only after review.
    Mutating,
    /// Advice to read and act on by hand.
    DisplayOnly,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Command {
    pub command: String,
    pub safety: Safety,
    /// What it changes, in words.
    pub changes: String,
    /// The same change as data, when every id in it is real: what `pulldoctor fix` carries out.
    #[serde(skip)]
    pub change: Option<crate::change::Change>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FixOption {
    pub title: String,
    pub commands: Vec<Command>,
    /// What else the change touches (e.g. the other subnets that share the route table).
    pub blast_radius: String,
    pub preferred: bool,
    /// Why this option is (or is not) the preferred one.
    pub rationale: String,
}

#[derive(Debug, Clone, Serialize, Default, schemars::JsonSchema)]
pub struct Fix {
    pub options: Vec<FixOption>,
    /// Commands that show the fix worked.
    pub verify: Vec<Command>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RuledOut {
    pub layer: Layer,
    pub check: String,
    /// The fact that clears it.
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Affected {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub image: String,
    pub node: Option<String>,
    pub error_class: String,
    pub error_message: Option<String>,
    /// `event`, `container-status` or `none` (only a back-off is left).
    pub message_source: String,
    pub waiting_reason: Option<String>,
    pub first_failure: Option<DateTime<Utc>>,
    pub last_failure: Option<DateTime<Utc>>,
    pub pod_created: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Gap {
    pub what: String,
    pub why: String,
    /// The command whose output, added to the bundle, would settle it.
    pub command: Option<String>,
}

#[derive(Debug, Clone, Serialize, Default, schemars::JsonSchema)]
pub struct Scope {
    /// The pattern in words.
    pub pattern: Vec<String>,
    pub groups: Vec<ScopeGroup>,
    pub first_failure: Option<DateTime<Utc>>,
    pub last_failure: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ScopeGroup {
    /// `class`, `registry`, `image`, `namespace`, `node`, `zone`, `subnet`, `route-table`.
    pub by: String,
    pub value: String,
    pub failing: usize,
    /// Pods running images from the same registry in the same group.
    pub working: usize,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PathGroup {
    /// Nodes (or subnets) that share this verdict and these hops.
    pub nodes: Vec<String>,
    pub result: Path,
    /// Each of `nodes`, in the same order, with where it sits: its own subnet and zone (the
    /// `result` shows the first node's). Drawings group nodes by these.
    pub members: Vec<PathMember>,
}

/// One node of a [`PathGroup`] and where it sits.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PathMember {
    /// As in the group's `nodes`.
    pub from: String,
    /// The Kubernetes node name, when the path starts at a node.
    pub node: Option<String>,
    pub instance_id: Option<String>,
    pub subnet_id: Option<String>,
    /// The subnet's availability zone.
    pub zone: Option<String>,
}

// Working vs failing, per registry (built by `compare.rs`).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Comparison {
    pub registry: String,
    pub failing: usize,
    pub working: usize,
    /// True when the working pods compared all pulled since the failures began (older ones, whose
    /// image is only cached, were left out); false when only older ones exist.
    pub working_recent_only: bool,
    /// Attributes whose values differ between the groups, separating ones first.
    pub differences: Vec<Difference>,
    /// Attributes with identical values in both groups (cleared as explanations).
    pub same: Vec<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Difference {
    pub attribute: String,
    /// Value and how many pods have it.
    pub failing: Vec<(String, usize)>,
    pub working: Vec<(String, usize)>,
    /// No value is shared by the two groups.
    pub separates: bool,
}

impl Difference {
    /// One line: `route table: failing rtb-a (3); working rtb-b (2)`.
    pub fn describe(&self) -> String {
        let side = |values: &[(String, usize)]| values.iter().map(|(v, n)| format!("{v} ({n})")).collect::<Vec<_>>().join(", ");
        format!("{}: failing {}; working {}", self.attribute, side(&self.failing), side(&self.working))
    }
}
