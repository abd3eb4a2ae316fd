//! The checks, one file each, and their registry: one explicit slice, no magic.
//!
//! A check is a plain function of the [`Context`] (the model plus the shared analyses: the failing
//! containers and the path engine) that writes findings, ruled-out notes and gaps into
//! [`Findings`]. A check cannot fail: what it could not decide is a gap.

use chrono::{DateTime, Utc};
use pulldoctor_model::Model;
use pulldoctor_net::Engine;

use crate::affected::{Failure, Working};
use crate::report::{Cause, Gap, Layer, PathGroup, RuledOut};

pub mod cluster_policy;
pub mod image_existence;
pub mod image_platform;
pub mod image_reference;
pub mod network_path;
pub mod node_disk;
pub mod node_iam;
pub mod pull_secrets;
pub mod registry_response;

/// What a check is, for `pulldoctor explain` and for the meta-tests.
pub struct CheckInfo {
    pub name: &'static str,
    pub layer: Layer,
    /// The cause codes the check can produce.
    pub codes: &'static [&'static str],
    /// The check's doc comment: `## What it checks`, `## Why it breaks pulls`, `## Evidence`,
    /// `## Fix and its risk`, `## Known limits`.
    pub docs: &'static str,
}

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
}

impl Findings {
    pub fn rule_out(&mut self, layer: Layer, check: impl Into<String>, reason: impl Into<String>) {
        let item = RuledOut { layer, check: check.into(), reason: reason.into() };
        if !self.ruled_out.iter().any(|r| r.check == item.check && r.reason == item.reason) {
            self.ruled_out.push(item);
        }
    }
    pub fn gap(&mut self, what: impl Into<String>, why: impl Into<String>, command: Option<String>) {
        let gap = Gap { what: what.into(), why: why.into(), command };
        if !self.gaps.iter().any(|g| g.what == gap.what) {
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

pub trait Check: Sync {
    fn info(&self) -> &'static CheckInfo;
    fn run(&self, cx: &Context, out: &mut Findings);
}

/// Declare a check: its doc comment becomes its user documentation.
#[macro_export]
macro_rules! declare_check {
    ($(#[doc = $doc:expr])* pub $name:ident, name: $id:literal, layer: $layer:ident, codes: [$($code:literal),* $(,)?] $(,)?) => {
        $(#[doc = $doc])*
        pub struct $name;
        impl $name {
            pub const INFO: $crate::checks::CheckInfo = $crate::checks::CheckInfo {
                name: $id,
                layer: $crate::report::Layer::$layer,
                codes: &[$($code),*],
                docs: concat!($($doc, "\n"),*),
            };
        }
    };
}

/// Every check, in the order they run.
pub static CHECKS: &[&dyn Check] = &[
    &image_reference::ImageReference,
    &network_path::NetworkPath,
    &pull_secrets::PullSecrets,
    &node_iam::NodeIam,
    &image_existence::ImageExistence,
    &image_platform::ImagePlatform,
    &registry_response::RegistryResponse,
    &node_disk::NodeDisk,
    &cluster_policy::ClusterPolicy,
];
