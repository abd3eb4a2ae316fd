//! The left pane: the layers a pull crosses (symptoms, scope, network path, DNS, endpoints,
//! access, image, cluster policy), each with its verdict from the report, then the causes with
//! their evidence, working vs failing, the gaps and the fix plan. A pure function of the report.

use pulldoctor_diagnosis::report::{Cause, HopStatus, Layer, Report, Timing, Verdict as PathVerdict};
use pulldoctor_model::Code;

/// What an entry of the left pane shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Symptoms,
    Scope,
    NetworkPath,
    Dns,
    Endpoints,
    Access,
    Image,
    ClusterPolicy,
    Causes,
    Comparison,
    Gaps,
    FixPlan,
}

impl Entry {
    pub const ALL: [Entry; 12] = [
        Entry::Symptoms,
        Entry::Scope,
        Entry::NetworkPath,
        Entry::Dns,
        Entry::Endpoints,
        Entry::Access,
        Entry::Image,
        Entry::ClusterPolicy,
        Entry::Causes,
        Entry::Comparison,
        Entry::Gaps,
        Entry::FixPlan,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Entry::Symptoms => "Symptoms",
            Entry::Scope => "Scope",
            Entry::NetworkPath => "Network path",
            Entry::Dns => "DNS",
            Entry::Endpoints => "Endpoints",
            Entry::Access => "Access",
            Entry::Image => "Image",
            Entry::ClusterPolicy => "Cluster policy",
            Entry::Causes => "Causes",
            Entry::Comparison => "Working vs failing",
            Entry::Gaps => "Gaps",
            Entry::FixPlan => "Fix plan",
        }
    }

    /// The layers come first; a rule separates them from the sections after.
    pub fn is_layer(self) -> bool {
        !matches!(self, Entry::Causes | Entry::Comparison | Entry::Gaps | Entry::FixPlan)
    }
}

/// A layer's state, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// A cause blocks pulls here now.
    Broken,
    /// A cause here will bite once the ones above are fixed.
    AfterFix,
    /// The bundle cannot settle it.
    Unknown,
    /// Checked and cleared.
    Clear,
    /// Nothing checked it: not the same as clear.
    NotChecked,
    /// A count or a description, not a judgement.
    Info,
}

impl Verdict {
    /// A mark that reads without colour.
    pub fn mark(self) -> &'static str {
        match self {
            Verdict::Broken => "✗",
            Verdict::AfterFix => "!",
            Verdict::Unknown => "?",
            Verdict::Clear => "✓",
            Verdict::NotChecked => "·",
            Verdict::Info => "•",
        }
    }
}

/// The entry whose layer a cause belongs to.
pub fn layer_of(cause: &Cause) -> Entry {
    match cause.code {
        Code::EndpointPrivateDnsDisabled
        | Code::EndpointSgDenied
        | Code::EndpointS3Unreachable
        | Code::EndpointMissing
        | Code::EndpointPolicyDenied => Entry::Endpoints,
        _ => entry_of(cause.layer),
    }
}

/// The entry of a report layer.
pub fn entry_of(layer: Layer) -> Entry {
    match layer {
        Layer::Network => Entry::NetworkPath,
        Layer::Dns => Entry::Dns,
        Layer::Access => Entry::Access,
        Layer::Image | Layer::Registry => Entry::Image,
        Layer::Proxy | Layer::Cluster | Layer::Node => Entry::ClusterPolicy,
    }
}

/// The hop kinds each path-bound layer looks at.
pub fn hop_in(entry: Entry, kind: &str, resource: Option<&str>) -> bool {
    match entry {
        Entry::Dns => kind == "dns" && !resource.is_some_and(|r| r.starts_with("vpce-")),
        Entry::Endpoints => {
            matches!(kind, "interface-endpoint" | "gateway-endpoint" | "endpoint-security-group" | "endpoint-policy")
                || (kind == "dns" && resource.is_some_and(|r| r.starts_with("vpce-")))
        }
        Entry::NetworkPath => true,
        _ => false,
    }
}

/// An entry's verdict and a few words beside it.
pub fn verdict(report: &Report, entry: Entry) -> (Verdict, String) {
    let causes = |entry: Entry| report.causes.iter().filter(move |c| layer_of(c) == entry);
    match entry {
        Entry::Symptoms => match report.affected.len() {
            0 => (Verdict::Clear, "no pod fails".into()),
            n => (Verdict::Broken, format!("{n} failing")),
        },
        Entry::Scope => {
            let nodes: std::collections::BTreeSet<_> = report.affected.iter().filter_map(|a| a.node.as_deref()).collect();
            match report.affected.len() {
                0 => (Verdict::Info, "nothing fails".into()),
                n => (Verdict::Info, format!("{n} pods, {} nodes", nodes.len())),
            }
        }
        Entry::Causes => match report.causes.len() {
            0 => (Verdict::Info, "none found".into()),
            n => (Verdict::Info, format!("{n}")),
        },
        Entry::Comparison => {
            let compared = report.comparisons.iter().filter(|c| c.working > 0).count();
            (
                Verdict::Info,
                if compared == 0 {
                    "nothing to compare".into()
                } else {
                    format!("{compared} registr{}", if compared == 1 { "y" } else { "ies" })
                },
            )
        }
        Entry::Gaps => match report.gaps.len() {
            0 => (Verdict::Clear, "none".into()),
            n => (Verdict::Unknown, format!("{n} not checked")),
        },
        Entry::FixPlan => {
            let options: usize = report.causes.iter().map(|c| c.fix.options.len()).sum();
            match options {
                0 => (Verdict::Info, "nothing to fix".into()),
                n => (Verdict::Info, format!("{n} option{}", if n == 1 { "" } else { "s" })),
            }
        }
        layer => {
            let here: Vec<&Cause> = causes(layer).collect();
            if let Some(cause) = here.iter().find(|c| c.timing == Timing::Now) {
                return (Verdict::Broken, cause.code.as_str().to_string());
            }
            if let Some(cause) = here.first() {
                return (Verdict::AfterFix, cause.code.as_str().to_string());
            }
            let hops = report.paths.iter().flat_map(|g| g.result.hops.iter()).filter(|h| hop_in(layer, h.kind, h.resource.as_deref()));
            let (mut unknown, mut passed) = (false, false);
            for hop in hops {
                unknown |= hop.status == HopStatus::Unknown;
                passed |= hop.status == HopStatus::Pass;
            }
            if layer == Entry::NetworkPath {
                unknown |= report.paths.iter().any(|g| g.result.verdict == PathVerdict::Unknown);
            }
            let cleared = report.ruled_out.iter().any(|r| entry_of(r.layer) == layer);
            if unknown {
                (Verdict::Unknown, "unknown".into())
            } else if cleared || passed {
                (Verdict::Clear, "clear".into())
            } else {
                (Verdict::NotChecked, "not checked".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_codes_are_endpoints_and_dns_hops_split() {
        assert!(hop_in(Entry::Endpoints, "dns", Some("vpce-0b15")));
        assert!(!hop_in(Entry::Dns, "dns", Some("vpce-0b15")));
        assert!(hop_in(Entry::Dns, "dns", None));
        assert!(hop_in(Entry::Endpoints, "endpoint-policy", Some("vpce-1")));
        assert_eq!(entry_of(Layer::Registry), Entry::Image);
        assert_eq!(entry_of(Layer::Node), Entry::ClusterPolicy);
        assert!(Verdict::Broken < Verdict::Clear);
    }
}
