//! A big outage in a few lines of text: the report's groups (`report::groups`: failing
//! containers by what they share, gaps by reason) where their members stood, and traced paths
//! that differ only in the address dialled shown once. `--all` (or the JSON) lists each one.

use std::collections::HashMap;

use pulldoctor_diagnosis::report::{Cause, Evidence, Gap, PathGroup, Report};

/// A traced path as the text shows it, with the addresses of the paths folded into it.
pub struct PathFold<'a> {
    pub group: &'a PathGroup,
    /// The other addresses of the same host that paths ended at the same way (same verdict,
    /// blocker and route table), from any of the nodes.
    pub more_addresses: Vec<String>,
    /// The nodes of the group and of the paths folded into it, the group's first.
    pub nodes: Vec<String>,
}

/// The host a path went to, without the address (`registry:443 (52.207.2.1)` -> `registry:443`).
fn host_of(to: &str) -> &str {
    to.split(" (").next().unwrap_or(to)
}

/// The paths in order; when `fold`, each is shown once for all the addresses of its host that
/// paths reached the same way, whichever nodes they left from (a registry name resolves to many
/// addresses, and an outage's errors name dozens of them).
pub fn paths<'a>(paths: impl IntoIterator<Item = &'a PathGroup>, fold: bool) -> Vec<PathFold<'a>> {
    let mut out: Vec<PathFold<'a>> = Vec::new();
    let mut first_of: HashMap<String, usize> = HashMap::new();
    let mut nodes_of: Vec<std::collections::HashSet<String>> = Vec::new();
    for group in paths {
        let result = &group.result;
        let key = format!(
            "{:?}|{}|{}|{}",
            result.verdict,
            result.blocker.as_ref().map(|b| b.code.as_str()).unwrap_or(""),
            result.route_table_id.as_deref().unwrap_or(""),
            host_of(&result.to)
        );
        let address = result.to.strip_prefix(host_of(&result.to)).map(|a| a.trim_start_matches(" (").trim_end_matches(')'));
        match first_of.get(&key) {
            Some(&first) if fold => {
                let into = &mut out[first];
                if let Some(address) = address.filter(|a| !a.is_empty()) {
                    into.more_addresses.push(address.to_string());
                }
                for node in &group.nodes {
                    if nodes_of[first].insert(node.clone()) {
                        into.nodes.push(node.clone());
                    }
                }
            }
            _ => {
                first_of.entry(key).or_insert(out.len());
                nodes_of.push(group.nodes.iter().cloned().collect());
                out.push(PathFold { group, more_addresses: Vec::new(), nodes: group.nodes.clone() });
            }
        }
    }
    out
}

/// A line of a cause's evidence as the reports show it: a piece of evidence, or how many more
/// traced paths stand where the rest of them would.
pub enum EvidenceLine<'a> {
    One(&'a Evidence),
    MorePaths(usize),
}

/// A cause's evidence in order; when `fold` and it holds more than [`crate::PATH_EVIDENCE`]
/// traced paths, the first ones are kept and the rest is one line counting them (PATHS has them
/// all, folded).
pub fn evidence(cause: &Cause, fold: bool) -> Vec<EvidenceLine<'_>> {
    let keep = crate::PATH_EVIDENCE;
    let paths = cause.evidence.iter().filter(|e| e.source == "path").count();
    let mut seen_paths = 0;
    let mut out = Vec::new();
    for evidence in &cause.evidence {
        if evidence.source == "path" && fold && paths > keep {
            seen_paths += 1;
            if seen_paths == keep {
                out.push(EvidenceLine::MorePaths(paths - keep + 1));
            }
            if seen_paths >= keep {
                continue;
            }
        }
        out.push(EvidenceLine::One(evidence));
    }
    out
}

/// Up to three of the addresses folded into a path, then `...` when there are more.
pub fn first_addresses(more: &[String]) -> String {
    format!("{}{}", more[..more.len().min(3)].join(", "), if more.len() > 3 { ", ..." } else { "" })
}

/// How a folded reason's gaps are counted: `N alike (the first examples, and M more)`.
pub fn alike(group: &pulldoctor_diagnosis::report::GapGroup) -> String {
    format!("{} alike ({}, and {} more)", group.count, group.examples.join("; "), group.count - group.examples.len())
}

/// A gap as it is, or several with the same reason folded into one (the report's `gap_groups`).
#[derive(Debug, Clone)]
pub enum GapLine<'a> {
    One(&'a Gap),
    Folded(&'a pulldoctor_diagnosis::report::GapGroup),
}

/// The report's gaps in order; unless `all`, a folded reason is one line where its first gap stood.
pub fn gaps(report: &Report, all: bool) -> Vec<GapLine<'_>> {
    let folded: HashMap<&str, &pulldoctor_diagnosis::report::GapGroup> =
        if all { HashMap::new() } else { report.gap_groups.iter().map(|g| (g.why.as_str(), g)).collect() };
    let mut out = Vec::new();
    for (position, gap) in report.gaps.iter().enumerate() {
        match folded.get(gap.why.as_str()) {
            Some(group) if group.first == position => out.push(GapLine::Folded(group)),
            Some(_) => {}
            None => out.push(GapLine::One(gap)),
        }
    }
    out
}
