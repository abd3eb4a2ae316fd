//! What the drawing shows, as data: what a pull crosses from the failing nodes to the hosts it
//! needs (nodes by subnet and zone -> the effective route table -> the gateway or endpoint it
//! leaves through -> registry, ECR API, S3), each box and arrow with the status the traced paths
//! give it. Built from the report alone; `svg.rs` lays it out. Kept apart from the drawing so tests
//! can assert what is drawn without reading SVG.
//!
//! Every broken hop is a box: a failing security group, network ACL or DNS hop belongs to the
//! node's subnet (its box turns red), a failing route to the route table, a failing gateway or
//! endpoint (or the NAT gateway's own way out) to the gateway or endpoint. The box carries the
//! rule that breaks it, and the arrows into it are red too.

use std::collections::{BTreeMap, BTreeSet};

use pulldoctor_diagnosis::report::{Association, Hop, HopStatus, PathGroup, PathMember, Report, Verdict};

use crate::list;

mod stages;
use stages::stages;

/// A box's or arrow's state, least severe first: merging paths keeps the most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// No traced path gets this far.
    NotReached,
    /// Every path through it reaches its host.
    Working,
    /// Traffic passes here, and breaks further on.
    Passes,
    /// The bundle cannot settle it.
    Unknown,
    /// The hop that breaks the path.
    Broken,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotReached => "not-reached",
            Status::Working => "working",
            Status::Passes => "passes",
            Status::Unknown => "unknown",
            Status::Broken => "broken",
        }
    }
}

/// The drawing's columns, left to right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Column {
    Source,
    RouteTable,
    Egress,
    Destination,
}

impl Column {
    pub const ALL: [Column; 4] = [Column::Source, Column::RouteTable, Column::Egress, Column::Destination];

    pub fn as_str(self) -> &'static str {
        match self {
            Column::Source => "source",
            Column::RouteTable => "route-table",
            Column::Egress => "egress",
            Column::Destination => "destination",
        }
    }

    pub fn heading(self) -> &'static str {
        match self {
            Column::Source => "Nodes, by zone and subnet",
            Column::RouteTable => "Effective route table",
            Column::Egress => "Gateway or endpoint",
            Column::Destination => "Registry and services",
        }
    }
}

/// One box of the drawing.
#[derive(Debug, Clone)]
pub struct Box {
    /// Unique in the drawing: `subnet:ID`, `rtb:ID`, `egress:ID`, `host:NAME`.
    pub key: String,
    pub column: Column,
    /// `subnet`, `route-table`, `nat-gateway`, `interface-endpoint`, `registry`, `ecr-api`, `s3`, ...
    pub kind: &'static str,
    pub title: String,
    pub lines: Vec<String>,
    pub status: Status,
    /// Each broken or unknown hop here: the cause code and the rule (or finding) that decides it.
    pub findings: Vec<String>,
    /// The resource ids the box stands for (several when identical boxes are grouped).
    pub ids: Vec<String>,
    /// Subnets behind it, zones and nodes (Kubernetes names, else the path's source).
    pub subnets: BTreeSet<String>,
    pub zones: BTreeSet<String>,
    pub nodes: BTreeSet<String>,
    /// How the box's own table is associated (route tables).
    pub main_table: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub status: Status,
}

#[derive(Debug, Clone, Default)]
pub struct Topology {
    pub boxes: Vec<Box>,
    pub edges: Vec<Edge>,
    /// Node-to-host paths drawn (each node of each path group).
    pub paths: usize,
    /// Boxes folded into others to keep a large estate legible.
    pub grouped: usize,
}

/// Beyond this many boxes in a column, identical ones are grouped and healthy ones folded.
pub const MAX_PER_COLUMN: usize = 8;

impl Topology {
    pub fn column(&self, column: Column) -> impl Iterator<Item = &Box> {
        self.boxes.iter().filter(move |b| b.column == column)
    }

    pub fn get(&self, key: &str) -> Option<&Box> {
        self.boxes.iter().find(|b| b.key == key)
    }
}

fn route_at_of(group: &PathGroup) -> Option<usize> {
    group.result.hops.iter().position(|h| h.kind == "route-table")
}

/// One finding per code on a box: paths of several nodes break at the same rule, worded for
/// each node's address; the first says it (every path is listed hop by hop below the drawing).
fn add_finding(findings: &mut Vec<String>, text: String) {
    let code = |t: &str| t.split_once(": ").map(|(c, _)| c.to_string()).unwrap_or_default();
    let this = code(&text);
    if !findings.iter().any(|f| *f == text || (!this.is_empty() && code(f) == this)) {
        findings.push(text);
    }
}

/// The finding a failing or unknown hop shows on its box.
fn finding(hop: &Hop, code: Option<&str>) -> String {
    let what = hop.rule.as_deref().filter(|r| !r.is_empty()).unwrap_or(&hop.detail);
    match (hop.status, code) {
        (HopStatus::Fail, Some(code)) => format!("{code}: {what}"),
        (HopStatus::Fail, None) => format!("blocked: {what}"),
        _ => format!("unknown: {}", hop.detail),
    }
}

/// The drawing of every traced path in the report.
pub fn topology(report: &Report) -> Topology {
    let mut boxes: BTreeMap<String, Box> = BTreeMap::new();
    let mut edges: BTreeMap<(String, String), Status> = BTreeMap::new();
    let mut paths = 0;
    for group in &report.paths {
        let fallback;
        let members: &[PathMember] = if group.members.is_empty() {
            fallback = vec![PathMember {
                from: group.result.from.clone(),
                node: None,
                instance_id: group.result.instance_id.clone(),
                subnet_id: group.result.subnet_id.clone(),
                zone: None,
            }];
            &fallback
        } else {
            &group.members
        };
        let code = group.result.blocker.as_ref().map(|b| b.code.as_str());
        for member in members {
            paths += 1;
            let stages = stages(group, member);
            let failing = |h: &Hop| matches!(h.status, HopStatus::Fail | HopStatus::Unknown);
            // The first hop that fails (or is unknown), in the order the packet meets them.
            let first_stop = group.result.hops.iter().position(failing);
            // A blocked verdict with no failing hop: the last stage before the host holds it.
            let fallback = match (first_stop, group.result.verdict) {
                (None, Verdict::Blocked | Verdict::Unknown) => Some(stages.len().saturating_sub(2)),
                _ => None,
            };
            // Only the answer is lost (the node's own ACL refuses the return traffic): the
            // request went all the way.
            let return_only = first_stop
                .is_some_and(|at| stages[0].hops.iter().any(|(i, _)| *i == at) && route_at_of(group).is_some_and(|route| at > route));
            let mut previous: Option<(String, Status)> = None;
            for (position, stage) in stages.iter().enumerate() {
                let fails = stage.hops.iter().any(|(_, h)| h.status == HopStatus::Fail);
                let unknown = stage.hops.iter().any(|(_, h)| h.status == HopStatus::Unknown);
                let before_stop = |at: usize| {
                    if stage.hops.is_empty() { return_only } else { stage.hops.iter().all(|(i, _)| *i < at) }
                };
                let status = match (first_stop, fallback) {
                    (None, None) => Status::Working,
                    (Some(_), _) if fails => Status::Broken,
                    (Some(_), _) if unknown => Status::Unknown,
                    (Some(at), _) if before_stop(at) => Status::Passes,
                    (None, Some(at)) if position == at => match group.result.verdict {
                        Verdict::Unknown => Status::Unknown,
                        _ => Status::Broken,
                    },
                    (None, Some(at)) if position < at => Status::Passes,
                    _ if group.result.verdict == Verdict::Unknown => Status::Unknown,
                    _ => Status::NotReached,
                };
                let entry = boxes.entry(stage.key.clone()).or_insert_with(|| Box {
                    key: stage.key.clone(),
                    column: stage.column,
                    kind: stage.kind,
                    title: stage.title.clone(),
                    lines: Vec::new(),
                    status,
                    findings: Vec::new(),
                    ids: vec![stage.title.clone()],
                    subnets: BTreeSet::new(),
                    zones: BTreeSet::new(),
                    nodes: BTreeSet::new(),
                    main_table: stage.kind == "route-table" && group.result.association == Some(Association::Main),
                });
                entry.status = entry.status.max(status);
                for line in &stage.lines {
                    if !entry.lines.contains(line) {
                        entry.lines.push(line.clone());
                    }
                }
                for (_, hop) in stage.hops.iter().filter(|(_, h)| failing(h)) {
                    add_finding(&mut entry.findings, finding(hop, code));
                }
                // unknown only because a hop before it is (a name the input cannot answer): it says why
                if let (Status::Unknown, false, false, Some(hop)) =
                    (status, fails, unknown, first_stop.and_then(|at| group.result.hops.get(at)))
                {
                    add_finding(&mut entry.findings, finding(hop, code));
                }
                // No hop says it: the verdict's own reason does.
                if fallback == Some(position) {
                    let result = &group.result;
                    let reason = match &result.blocker {
                        Some(blocker) => Some(format!("{}: {}", blocker.code, blocker.summary)),
                        None => result
                            .assumptions
                            .first()
                            .map(String::as_str)
                            .or(result.hops.last().map(|h| &*h.detail))
                            .map(|why| format!("unknown: {why}")),
                    };
                    if let Some(reason) = reason {
                        add_finding(&mut entry.findings, reason);
                    }
                }
                if stage.column != Column::Destination {
                    if let Some(subnet) = member.subnet_id.clone().or_else(|| group.result.subnet_id.clone()) {
                        entry.subnets.insert(subnet);
                    }
                    if let Some(zone) = &member.zone {
                        entry.zones.insert(zone.clone());
                    }
                    entry.nodes.insert(member.node.clone().unwrap_or_else(|| member.from.clone()));
                } else {
                    entry.nodes.insert(member.node.clone().unwrap_or_else(|| member.from.clone()));
                }
                if let Some((from, from_status)) = previous.take() {
                    let edge = match (from_status, status) {
                        (_, Status::Broken) if from_status != Status::Broken && from_status != Status::NotReached => Status::Broken,
                        (Status::Broken, Status::Passes) => Status::Passes,
                        (Status::Working, _) => Status::Working,
                        (Status::Passes, Status::Passes | Status::Unknown) => status,
                        (Status::Unknown, _) => Status::Unknown,
                        _ => Status::NotReached,
                    };
                    let slot = edges.entry((from, stage.key.clone())).or_insert(edge);
                    *slot = (*slot).max(edge);
                }
                previous = Some((stage.key.clone(), status));
            }
        }
    }
    let mut topology = Topology {
        boxes: boxes.into_values().collect(),
        edges: edges.into_iter().map(|((from, to), status)| Edge { from, to, status }).collect(),
        paths,
        grouped: 0,
    };
    describe_sources(&mut topology);
    describe_route_tables(&mut topology);
    group_sources(&mut topology);
    fold_healthy(&mut topology, Column::RouteTable, "route tables");
    fold_healthy(&mut topology, Column::Egress, "gateways and endpoints");
    topology
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn describe_sources(topology: &mut Topology) {
    for item in topology.boxes.iter_mut().filter(|b| b.column == Column::Source) {
        let nodes: Vec<String> = item.nodes.iter().cloned().collect();
        item.lines = Vec::new();
        // One zone is the frame the box is drawn in; more (a grouped box) are said.
        if item.zones.len() > 1 {
            item.lines.push(item.zones.iter().cloned().collect::<Vec<_>>().join(", "));
        }
        item.lines.push(format!("{}: {}", plural(nodes.len(), "node", "nodes"), list(&nodes, 2)));
    }
}

fn describe_route_tables(topology: &mut Topology) {
    for item in topology.boxes.iter_mut().filter(|b| b.column == Column::RouteTable) {
        let subnets: Vec<String> = item.subnets.iter().cloned().collect();
        item.lines.push(format!("behind it: {}", plural(subnets.len(), "subnet", "subnets")));
    }
}

/// The arrows leaving a box, as a comparable signature.
fn signature(topology: &Topology, key: &str) -> Vec<(String, Status)> {
    let mut out: Vec<(String, Status)> = topology.edges.iter().filter(|e| e.from == key).map(|e| (e.to.clone(), e.status)).collect();
    out.sort();
    out
}

/// Merge `members` (keys) into one box called `title`; arrows follow.
fn merge(topology: &mut Topology, members: &[String], title: String, lines: Vec<String>) {
    if members.len() < 2 {
        return;
    }
    let key = format!("group:{}", members[0]);
    let mut merged: Option<Box> = None;
    for member in members {
        let Some(at) = topology.boxes.iter().position(|b| &b.key == member) else { continue };
        let item = topology.boxes.remove(at);
        merged = Some(match merged {
            None => Box { key: key.clone(), ..item },
            Some(mut into) => {
                into.status = into.status.max(item.status);
                into.ids.extend(item.ids);
                into.subnets.extend(item.subnets);
                into.zones.extend(item.zones);
                into.nodes.extend(item.nodes);
                into.main_table |= item.main_table;
                for finding in item.findings {
                    if !into.findings.contains(&finding) {
                        into.findings.push(finding);
                    }
                }
                into
            }
        });
    }
    let Some(mut merged) = merged else { return };
    merged.title = title;
    merged.lines = lines;
    topology.grouped += members.len() - 1;
    topology.boxes.push(merged);
    let mut edges: BTreeMap<(String, String), Status> = BTreeMap::new();
    for edge in topology.edges.drain(..) {
        let from = if members.contains(&edge.from) { key.clone() } else { edge.from };
        let to = if members.contains(&edge.to) { key.clone() } else { edge.to };
        let slot = edges.entry((from, to)).or_insert(edge.status);
        *slot = (*slot).max(edge.status);
    }
    topology.edges = edges.into_iter().map(|((from, to), status)| Edge { from, to, status }).collect();
}

/// Many subnets: those of one zone that go the same way with the same outcome become one box;
/// still too many, the same across zones.
fn group_sources(topology: &mut Topology) {
    for by_zone in [true, false] {
        if topology.column(Column::Source).count() <= MAX_PER_COLUMN {
            return;
        }
        // (zone, where its arrows go, its own status) -> the boxes alike
        type Alike = (String, Vec<(String, Status)>, Status);
        let mut groups: BTreeMap<Alike, Vec<String>> = BTreeMap::new();
        for item in topology.column(Column::Source) {
            let zone = if by_zone { item.zones.iter().cloned().collect::<Vec<_>>().join(",") } else { String::new() };
            groups.entry((zone, signature(topology, &item.key), item.status)).or_default().push(item.key.clone());
        }
        for members in groups.into_values().filter(|m| m.len() > 1) {
            let boxes: Vec<&Box> = members.iter().filter_map(|k| topology.get(k)).collect();
            let ids: Vec<String> = boxes.iter().flat_map(|b| b.ids.iter().cloned()).collect();
            let zones: BTreeSet<&String> = boxes.iter().flat_map(|b| b.zones.iter()).collect();
            let nodes: usize = boxes.iter().map(|b| b.nodes.len()).sum();
            let title = plural(ids.len(), "subnet", "subnets");
            let zone_line = match zones.len() {
                0 => "zone unknown".to_string(),
                1 => zones.iter().next().map(|z| z.to_string()).unwrap_or_default(),
                n => format!("{n} zones"),
            };
            let lines = vec![zone_line, format!("{}; {}", plural(nodes, "node", "nodes"), list(&ids, 1))];
            merge(topology, &members, title, lines);
        }
    }
}

/// Many boxes in a column: those on working paths only become one box.
fn fold_healthy(topology: &mut Topology, column: Column, what: &str) {
    if topology.column(column).count() <= MAX_PER_COLUMN {
        return;
    }
    let healthy: Vec<String> = topology.column(column).filter(|b| b.status == Status::Working).map(|b| b.key.clone()).collect();
    let ids: Vec<String> = healthy.iter().filter_map(|k| topology.get(k)).flat_map(|b| b.ids.iter().cloned()).collect();
    let lines = vec!["every path through them works".to_string(), list(&ids, 2)];
    merge(topology, &healthy, format!("{} {what}", ids.len()), lines);
}

#[cfg(test)]
mod tests {
    use super::stages::host_of;
    use super::*;

    #[test]
    fn hosts_lose_their_port_and_address() {
        assert_eq!(
            host_of("818140567777.dkr.ecr.us-east-1.amazonaws.com:443 (52.207.2.251)"),
            "818140567777.dkr.ecr.us-east-1.amazonaws.com"
        );
        assert_eq!(host_of("api.ecr.us-east-1.amazonaws.com:443"), "api.ecr.us-east-1.amazonaws.com");
        assert_eq!(host_of("registry"), "registry");
    }

    #[test]
    fn severity_orders_merges() {
        assert!(Status::Broken > Status::Unknown && Status::Unknown > Status::Passes && Status::Passes > Status::Working);
        assert!(Status::Working > Status::NotReached);
    }
}
