//! The topology laid out and drawn as SVG: four columns of boxes (subnets framed by zone, route
//! tables, gateways and endpoints, hosts), arrows between them as curves. Colours come from the
//! page's CSS classes (`st-broken`, `st-working`, ...), so the drawing follows light and dark mode
//! and prints; every box and arrow also carries `data-` attributes saying what it is, which the
//! browser tests read.

use std::collections::HashMap;
use std::fmt::Write;

use super::escape;
use super::topology::{Box, Column, Status, Topology};
use crate::wrap_words as wrap;

const BOX_WIDTH: f64 = 236.0;
const GAP: f64 = 84.0;
const MARGIN: f64 = 12.0;
const HEAD: f64 = 30.0;
const PAD: f64 = 8.0;
const TITLE_HEIGHT: f64 = 18.0;
const LINE_HEIGHT: f64 = 15.0;
const BOX_GAP: f64 = 14.0;
const ZONE_HEAD: f64 = 20.0;
/// Characters per line inside a box (12 px text, a conservative average width); bold findings
/// are wider.
const CHARS: usize = 33;
const FINDING_CHARS: usize = 30;
/// Lines a finding may take before it is cut (the whole text is in the box's tooltip).
const FINDING_LINES: usize = 4;

/// What a box shows, line by line: `(text, class)`.
fn box_lines(item: &Box) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for line in &item.lines {
        for part in wrap(line, CHARS) {
            out.push((part, "line"));
        }
    }
    for finding in &item.findings {
        let mut parts = wrap(&format!("{} {finding}", mark(item.status)), FINDING_CHARS);
        if parts.len() > FINDING_LINES {
            parts.truncate(FINDING_LINES);
            if let Some(last) = parts.last_mut() {
                last.push('…');
            }
        }
        for part in parts {
            out.push((part, "finding"));
        }
    }
    out
}

fn mark(status: Status) -> &'static str {
    match status {
        Status::Broken => "✗",
        Status::Unknown => "?",
        Status::Working => "✓",
        Status::Passes | Status::NotReached => "·",
    }
}

fn height(item: &Box) -> f64 {
    PAD * 2.0 + TITLE_HEIGHT + box_lines(item).len() as f64 * LINE_HEIGHT
}

struct Placed {
    x: f64,
    y: f64,
    height: f64,
}

/// Sort order inside a column: sources by zone and id; the others by the mean position of what
/// feeds them, so arrows cross little; hosts registry, ECR API, S3.
fn order(topology: &Topology) -> Vec<(Column, Vec<usize>)> {
    let mut columns: Vec<(Column, Vec<usize>)> = Vec::new();
    let mut position: HashMap<&str, f64> = HashMap::new();
    for column in Column::ALL {
        let mut members: Vec<usize> = (0..topology.boxes.len()).filter(|&i| topology.boxes[i].column == column).collect();
        let rank = |i: usize| -> f64 {
            let key = topology.boxes[i].key.as_str();
            let feeders: Vec<f64> =
                topology.edges.iter().filter(|e| e.to == key).filter_map(|e| position.get(e.from.as_str()).copied()).collect();
            if feeders.is_empty() { f64::MAX } else { feeders.iter().sum::<f64>() / feeders.len() as f64 }
        };
        match column {
            Column::Source => members.sort_by(|&a, &b| {
                let (a, b) = (&topology.boxes[a], &topology.boxes[b]);
                (a.zones.iter().next(), &a.title).cmp(&(b.zones.iter().next(), &b.title))
            }),
            Column::Destination => members.sort_by(|&a, &b| {
                let (a, b) = (&topology.boxes[a], &topology.boxes[b]);
                (host_weight(a.kind), &a.title, &a.lines).cmp(&(host_weight(b.kind), &b.title, &b.lines))
            }),
            _ => {
                // then by the hosts they lead to, registry first, so arrows to the hosts cross little
                let leads_to = |i: usize| {
                    let key = topology.boxes[i].key.as_str();
                    topology
                        .edges
                        .iter()
                        .filter(|e| e.from == key)
                        .filter_map(|e| topology.boxes.iter().find(|b| b.key == e.to))
                        .map(|b| host_weight(b.kind))
                        .min()
                        .unwrap_or(9)
                };
                let ranks: HashMap<usize, (f64, u8)> = members.iter().map(|&i| (i, (rank(i), leads_to(i)))).collect();
                members.sort_by(|a, b| {
                    let ((ra, la), (rb, lb)) = (ranks[a], ranks[b]);
                    ra.total_cmp(&rb).then(la.cmp(&lb)).then_with(|| topology.boxes[*a].title.cmp(&topology.boxes[*b].title))
                });
            }
        }
        for (index, &i) in members.iter().enumerate() {
            position.insert(topology.boxes[i].key.as_str(), index as f64);
        }
        // An empty column (no gateway on any path) takes no room.
        if !members.is_empty() {
            columns.push((column, members));
        }
    }
    columns
}

fn host_weight(kind: &str) -> u8 {
    match kind {
        "registry" => 0,
        "ecr-api" => 1,
        "s3" => 2,
        _ => 3,
    }
}

/// The zone a source box is framed in (one zone, else none).
fn zone_of(item: &Box) -> Option<&str> {
    if item.zones.len() == 1 { item.zones.iter().next().map(String::as_str) } else { None }
}

/// The drawing; `title` and `description` name it for screen readers.
pub fn svg(topology: &Topology, description: &str) -> String {
    let columns = order(topology);
    // Column heights, then each column centred on the tallest.
    let mut placed: HashMap<usize, Placed> = HashMap::new();
    let mut zone_frames: Vec<(String, f64, f64)> = Vec::new();
    let mut column_heights = Vec::new();
    for (c, (_, members)) in columns.iter().enumerate() {
        let mut y = 0.0;
        let mut zone: Option<&str> = None;
        for &i in members {
            let item = &topology.boxes[i];
            if c == 0 {
                let this = zone_of(item);
                if this != zone || y == 0.0 {
                    if let Some(this) = this {
                        if y > 0.0 {
                            y += BOX_GAP / 2.0;
                        }
                        zone_frames.push((this.to_string(), y, 0.0));
                        y += ZONE_HEAD;
                    }
                    zone = this;
                }
            }
            let h = height(item);
            placed.insert(i, Placed { x: MARGIN + c as f64 * (BOX_WIDTH + GAP), y, height: h });
            y += h + BOX_GAP;
            if c == 0
                && let Some(frame) = zone_frames.last_mut()
                && zone.is_some()
            {
                frame.2 = y - BOX_GAP / 2.0;
            }
        }
        column_heights.push((y - BOX_GAP).max(0.0));
    }
    let tallest = column_heights.iter().copied().fold(0.0, f64::max);
    for (c, (_, members)) in columns.iter().enumerate() {
        let shift = HEAD + (tallest - column_heights[c]) / 2.0;
        for i in members {
            if let Some(p) = placed.get_mut(i) {
                p.y += shift;
            }
        }
        if c == 0 {
            for frame in &mut zone_frames {
                frame.1 += shift;
                frame.2 += shift;
            }
        }
    }
    let n_columns = columns.len().max(1) as f64;
    let width = MARGIN * 2.0 + n_columns * BOX_WIDTH + (n_columns - 1.0) * GAP;
    let height = HEAD + tallest + MARGIN;
    let index: HashMap<&str, usize> = topology.boxes.iter().enumerate().map(|(i, b)| (b.key.as_str(), i)).collect();

    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="topology" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" role="img" aria-labelledby="topology-title topology-desc" data-paths="{}" data-boxes="{}" data-grouped="{}">"#,
        topology.paths,
        topology.boxes.len(),
        topology.grouped
    );
    let _ = write!(
        out,
        r#"<title id="topology-title">What a pull crosses, from the failing nodes to the registry</title><desc id="topology-desc">{}</desc>"#,
        escape(description)
    );
    out.push_str("<defs>");
    for status in [Status::Broken, Status::Working, Status::Passes, Status::Unknown, Status::NotReached] {
        let _ = write!(
            out,
            r#"<marker id="arrow-{0}" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="head st-{0}"/></marker>"#,
            status.as_str()
        );
    }
    out.push_str("</defs>");
    for (c, (column, _)) in columns.iter().enumerate() {
        let _ = write!(
            out,
            r#"<text class="column-head" x="{:.1}" y="18">{}</text>"#,
            MARGIN + c as f64 * (BOX_WIDTH + GAP),
            escape(column.heading())
        );
    }
    for (zone, top, bottom) in &zone_frames {
        let _ = write!(
            out,
            r#"<g class="zone" data-zone="{0}"><rect x="{1:.1}" y="{2:.1}" width="{3:.1}" height="{4:.1}" rx="8"/><text x="{5:.1}" y="{6:.1}">zone {0}</text></g>"#,
            escape(zone),
            MARGIN - 6.0,
            top,
            BOX_WIDTH + 12.0,
            bottom - top,
            MARGIN + 2.0,
            top + 14.0
        );
    }
    // Arrows first, under the boxes; anchors spread over a box's side.
    let mut outgoing: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut incoming: HashMap<usize, Vec<usize>> = HashMap::new();
    for (e, edge) in topology.edges.iter().enumerate() {
        if let (Some(&from), Some(&to)) = (index.get(edge.from.as_str()), index.get(edge.to.as_str())) {
            outgoing.entry(from).or_default().push(e);
            incoming.entry(to).or_default().push(e);
        }
    }
    let centre = |i: usize| placed.get(&i).map_or(0.0, |p| p.y + p.height / 2.0);
    let anchor = |i: usize, e: usize, list: &HashMap<usize, Vec<usize>>, other: &dyn Fn(usize) -> usize| -> f64 {
        let Some(p) = placed.get(&i) else { return 0.0 };
        let mut edges = list.get(&i).cloned().unwrap_or_default();
        edges.sort_by(|a, b| centre(other(*a)).total_cmp(&centre(other(*b))));
        let n = edges.len().max(1) as f64;
        let at = edges.iter().position(|x| *x == e).unwrap_or(0) as f64;
        let span = (p.height * 0.6).min(n * 10.0);
        p.y + p.height / 2.0 - span / 2.0 + span * (at + 0.5) / n
    };
    let mut drawn: Vec<(Status, String)> = Vec::new();
    for (e, edge) in topology.edges.iter().enumerate() {
        let (Some(&from), Some(&to)) = (index.get(edge.from.as_str()), index.get(edge.to.as_str())) else { continue };
        let (Some(a), Some(b)) = (placed.get(&from), placed.get(&to)) else { continue };
        let target_of = |e: usize| index.get(topology.edges[e].to.as_str()).copied().unwrap_or(0);
        let source_of = |e: usize| index.get(topology.edges[e].from.as_str()).copied().unwrap_or(0);
        let (x1, y1) = (a.x + BOX_WIDTH, anchor(from, e, &outgoing, &target_of));
        let (x2, y2) = (b.x - 2.0, anchor(to, e, &incoming, &source_of));
        let bend = (x2 - x1) / 2.0;
        drawn.push((
            edge.status,
            format!(
                r#"<path class="edge st-{0}" data-from="{1}" data-to="{2}" data-status="{0}" d="M{3:.1},{4:.1} C{5:.1},{4:.1} {6:.1},{7:.1} {8:.1},{7:.1}" marker-end="url(#arrow-{0})"/>"#,
                edge.status.as_str(),
                escape(&edge.from),
                escape(&edge.to),
                x1,
                y1,
                x1 + bend,
                x2 - bend,
                y2,
                x2
            ),
        ));
    }
    // Severe arrows last, so they are on top.
    drawn.sort_by_key(|(status, _)| *status);
    for (_, path) in drawn {
        out.push_str(&path);
    }
    for (column, members) in &columns {
        for &i in members {
            let item = &topology.boxes[i];
            let Some(p) = placed.get(&i) else { continue };
            let tooltip: Vec<String> =
                std::iter::once(item.title.clone()).chain(item.lines.iter().cloned()).chain(item.findings.iter().cloned()).collect();
            let _ = write!(
                out,
                r#"<g class="box st-{0}" data-key="{1}" data-kind="{2}" data-column="{3}" data-status="{0}" data-ids="{4}" data-subnets="{5}" data-main="{6}"><title>{7}</title><rect x="{8:.1}" y="{9:.1}" width="{10:.1}" height="{11:.1}" rx="6"/>"#,
                item.status.as_str(),
                escape(&item.key),
                item.kind,
                column.as_str(),
                escape(&item.ids.join(" ")),
                escape(&item.subnets.iter().cloned().collect::<Vec<_>>().join(" ")),
                item.main_table,
                escape(&tooltip.join("\n")),
                p.x,
                p.y,
                BOX_WIDTH,
                p.height
            );
            let _ = write!(
                out,
                r#"<text class="title" x="{:.1}" y="{:.1}">{}</text>"#,
                p.x + PAD,
                p.y + PAD + 13.0,
                escape(&format!("{} {}", mark(item.status), item.title))
            );
            for (n, (line, class)) in box_lines(item).iter().enumerate() {
                let _ = write!(
                    out,
                    r#"<text class="{class}" x="{:.1}" y="{:.1}">{}</text>"#,
                    p.x + PAD,
                    p.y + PAD + TITLE_HEIGHT + 12.0 + n as f64 * LINE_HEIGHT,
                    escape(line)
                );
            }
            out.push_str("</g>");
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrap_cuts_long_words_and_keeps_width() {
        let lines = crate::wrap_words("routes: 10.0.0.0/16 -> local (active) and-a-very-long-identifier-without-spaces-at-all", 20);
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        assert_eq!(lines[0], "routes: 10.0.0.0/16");
    }
}
