//! The HTML report: one self-contained page (styles and script inline, a Content-Security-Policy
//! that forbids every request) to attach to a ticket, read on a phone, print, in light or dark.
//! The headline and the fix come first; then the drawing of what a pull crosses (`topology.rs`
//! decides what is drawn, `svg.rs` draws it); then causes with their evidence, failing pods,
//! working vs failing, ruled out, gaps, the whole fix plan with copy buttons, and each path hop by
//! hop. A pure function of the report, like the other renderers.

mod svg;
pub mod topology;

use std::fmt::Write;

use base64::Engine as _;
use pulldoctor_diagnosis::report::{Cause, Command, FixOption, HopStatus, Report, Safety, Verdict};
use sha2::{Digest, Sha256};

use crate::{confidence, layer, timing};
use topology::{Column, Status, Topology};

const CSS: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// Text made safe for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn hash(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
}

/// The page.
pub fn html(report: &Report) -> String {
    let mut out = String::new();
    let failing = !report.affected.is_empty() || !report.causes.is_empty();
    let _ = write!(
        out,
        concat!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
            "<meta name=\"color-scheme\" content=\"light dark\">\n",
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-{css}'; script-src 'sha256-{js}'; img-src data:; base-uri 'none'; form-action 'none'\">\n",
            "<link rel=\"icon\" href=\"data:,\">\n<title>pulldoctor: {title}</title>\n<style>{style}</style>\n</head>\n<body>\n<main>\n"
        ),
        css = hash(CSS),
        js = hash(SCRIPT),
        title = escape(&report.headline.chars().take(90).collect::<String>()),
        style = CSS,
    );
    header(&mut out, report, failing);
    let topology = topology::topology(report);
    fix_first(&mut out, report);
    drawing(&mut out, report, &topology);
    causes(&mut out, report);
    failing_pods(&mut out, report);
    comparisons(&mut out, report);
    ruled_out(&mut out, report);
    gaps(&mut out, report);
    plan(&mut out, report);
    paths(&mut out, report);
    let _ = write!(out, "<footer>");
    for note in &report.notes {
        let _ = write!(out, "<p>note: {}</p>", escape(note));
    }
    let _ = write!(
        out,
        "<p>Made by pulldoctor {} from configuration alone: no packet was sent. Schema version {}.</p></footer>\n</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        report.schema_version
    );
    out
}

fn header(out: &mut String, report: &Report, failing: bool) {
    let _ = write!(out, "<header>\n<h1>Image pull diagnosis</h1>\n");
    let _ = writeln!(out, "<p class=\"headline{}\" id=\"headline\">{}</p>", if failing { "" } else { " ok" }, escape(&report.headline));
    if let Some(at) = report.observed_at {
        let _ = writeln!(out, "<p class=\"meta\">As of {}.</p>", at.format("%Y-%m-%d %H:%M UTC"));
    }
    let sections = [
        ("fix", "The fix", !report.causes.is_empty()),
        ("topology", "What a pull crosses", true),
        ("causes", "Causes", !report.causes.is_empty()),
        ("pods", "Failing pods", !report.affected.is_empty()),
        ("comparison", "Working vs failing", report.comparisons.iter().any(|c| c.working > 0)),
        ("ruled-out", "Ruled out", !report.ruled_out.is_empty()),
        ("gaps", "Gaps", !report.gaps.is_empty()),
        ("plan", "Fix plan", !report.causes.is_empty()),
        ("paths", "Paths hop by hop", !report.paths.is_empty()),
    ];
    let _ = write!(out, "<nav class=\"toc\" aria-label=\"Sections\"><ul>");
    for (id, title, shown) in sections {
        if shown {
            let _ = write!(out, "<li><a href=\"#{id}\">{title}</a></li>");
        }
    }
    let _ = write!(out, "</ul></nav>\n</header>\n");
}

fn safety(safety: Safety) -> &'static str {
    match safety {
        Safety::ReadOnly => "read-only",
        Safety::Mutating => "changes state",
        Safety::DisplayOnly => "advice",
    }
}

fn command(out: &mut String, command: &Command) {
    let _ = writeln!(
        out,
        "<div class=\"command\" data-safety=\"{0}\"><span class=\"safety\">{0}</span><pre><code>{1}</code></pre><button type=\"button\" class=\"copy\" data-copy=\"{1}\">Copy</button></div>",
        safety(command.safety),
        escape(&command.command)
    );
}

fn option(out: &mut String, option: &FixOption, heading: &str) {
    let _ = writeln!(out, "<{heading}>{}: {}</{heading}>", if option.preferred { "Fix" } else { "Alternative" }, escape(&option.title));
    for c in &option.commands {
        command(out, c);
    }
    let _ = write!(
        out,
        "<p><strong>Blast radius:</strong> {}</p>\n<p><strong>Why:</strong> {}</p>\n",
        escape(&option.blast_radius),
        escape(&option.rationale)
    );
}

fn fix_first(out: &mut String, report: &Report) {
    let Some(cause) = report.causes.first() else { return };
    let _ = write!(out, "<section class=\"fix-first\" id=\"fix\" aria-labelledby=\"fix-title\">\n<h2 id=\"fix-title\">The fix</h2>\n");
    let _ =
        writeln!(out, "<p>For <code>{}</code>, the top cause. Run the <code>--dry-run</code> line first.</p>", escape(cause.code.as_str()));
    match cause.fix.options.iter().find(|o| o.preferred).or(cause.fix.options.first()) {
        Some(preferred) => option(out, preferred, "h3"),
        None => {
            let _ = writeln!(out, "<p>No command fixes this cause by itself: see its evidence below.</p>");
        }
    }
    if !cause.fix.verify.is_empty() {
        let _ = writeln!(out, "<h3>Then verify</h3>");
        for c in &cause.fix.verify {
            command(out, c);
        }
    }
    let others = report.causes.len() - 1;
    if others > 0 {
        let _ = writeln!(out, "<p class=\"note\">{others} more cause(s) below; the <a href=\"#plan\">fix plan</a> has every step.</p>");
    }
    let _ = writeln!(out, "</section>");
}

fn drawing(out: &mut String, report: &Report, topology: &Topology) {
    let _ = write!(
        out,
        "<section id=\"topology\" aria-labelledby=\"topology-heading\">\n<h2 id=\"topology-heading\">What a pull crosses</h2>\n"
    );
    if topology.boxes.is_empty() {
        let why = if report.affected.is_empty() {
            "No pod fails to pull, so no path was traced."
        } else {
            "No network path was traced for the failing pods (see the gaps)."
        };
        let _ = write!(out, "<p>{why}</p>\n</section>\n");
        return;
    }
    let broken: Vec<&topology::Box> = topology.boxes.iter().filter(|b| b.status == Status::Broken).collect();
    let description = describe(topology, &broken);
    let _ = writeln!(out, "<p>{}</p>", escape(&description));
    let _ = writeln!(out, "<div class=\"figure\">{}</div>", svg::svg(topology, &description));
    let _ = write!(
        out,
        concat!(
            "<ul class=\"legend\" aria-label=\"Legend\">",
            "<li><span class=\"swatch st-broken\"></span>the hop that breaks the path, with its rule</li>",
            "<li><span class=\"swatch st-working\"></span>works end to end</li>",
            "<li><span class=\"swatch st-passes\"></span>passes here, breaks further on</li>",
            "<li><span class=\"swatch st-unknown\"></span>unknown: the bundle cannot settle it</li>",
            "<li><span class=\"swatch st-not-reached\"></span>not reached</li></ul>\n"
        )
    );
    if topology.grouped > 0 {
        let _ = writeln!(
            out,
            "<p class=\"note\">{} boxes are grouped into others (identical subnets, healthy route tables and gateways); every path is listed <a href=\"#paths\">hop by hop</a>.</p>",
            topology.grouped
        );
    }
    let _ = writeln!(out, "</section>");
}

/// The drawing in one paragraph: what breaks where, and for how many paths.
fn describe(topology: &Topology, broken: &[&topology::Box]) -> String {
    let count = |column: Column| topology.column(column).count();
    let mut text = format!(
        "{} node-to-host paths from {} subnet box(es) through {} route table(s) and {} gateway(s) or endpoint(s) to {} host(s).",
        topology.paths,
        count(Column::Source),
        count(Column::RouteTable),
        count(Column::Egress),
        count(Column::Destination)
    );
    for item in broken {
        let behind = if item.column == Column::RouteTable && !item.subnets.is_empty() {
            format!(
                " ({}{} subnet(s) behind it: {})",
                if item.main_table { "the VPC's main route table; " } else { "" },
                item.subnets.len(),
                item.subnets.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        } else {
            String::new()
        };
        let _ = write!(text, " Broken at {}{behind}: {}.", item.title, item.findings.join("; "));
    }
    if broken.is_empty() && topology.boxes.iter().all(|b| b.status == Status::Working) {
        text.push_str(" Every path works.");
    }
    text
}

fn causes(out: &mut String, report: &Report) {
    if report.causes.is_empty() {
        return;
    }
    let _ = write!(out, "<section id=\"causes\" aria-labelledby=\"causes-heading\">\n<h2 id=\"causes-heading\">Causes</h2>\n");
    for (position, cause) in report.causes.iter().enumerate() {
        cause_section(out, position, cause, report.affected.len() > crate::LIST_LIMIT);
    }
    let _ = writeln!(out, "</section>");
}

fn cause_section(out: &mut String, position: usize, cause: &Cause, big: bool) {
    let _ = write!(
        out,
        "<article class=\"cause\" id=\"cause-{0}\" data-code=\"{1}\">\n<h3>{0}. <span class=\"code\">{1}</span></h3>\n<p><span class=\"tag\">{2}</span><span class=\"tag\">{3}</span><span class=\"tag{4}\">{5}</span></p>\n<p>{6}</p>\n",
        position + 1,
        escape(cause.code.as_str()),
        escape(&layer(cause)),
        confidence(cause.confidence),
        if matches!(cause.timing, pulldoctor_diagnosis::report::Timing::Now) { " now" } else { "" },
        timing(cause.timing),
        escape(&cause.summary)
    );
    if !cause.resources.is_empty() {
        let list: Vec<String> = cause.resources.iter().map(|r| format!("<code>{}</code>", escape(r))).collect();
        let _ = writeln!(out, "<p><strong>Resources:</strong> {}</p>", list.join(", "));
    }
    if !cause.pods.is_empty() {
        let shown = if big { crate::LIST_LIMIT } else { usize::MAX };
        let list: Vec<String> = cause.pods.iter().take(shown).map(|r| format!("<code>{}</code>", escape(r))).collect();
        let more = if cause.pods.len() > list.len() {
            format!(" and {} more (the JSON report lists each)", cause.pods.len() - list.len())
        } else {
            String::new()
        };
        let _ = writeln!(out, "<p><strong>Pods:</strong> {}{more}</p>", list.join(", "));
    }
    let _ = write!(out, "<h4>Evidence, from the error to the rule</h4>\n<ol class=\"evidence\">\n");
    for line in crate::groups::evidence(cause, big) {
        let _ = match line {
            crate::groups::EvidenceLine::One(evidence) => {
                writeln!(out, "<li><span class=\"source\">{}</span>: {}</li>", escape(&evidence.source), escape(&evidence.text))
            }
            crate::groups::EvidenceLine::MorePaths(more) => {
                writeln!(out, "<li><span class=\"source\">path</span>: and {more} more paths alike (Paths groups them)</li>")
            }
        };
    }
    let _ = write!(out, "</ol>\n<p><a href=\"#plan-{}\">Its fix, step by step</a></p>\n</article>\n", position + 1);
}

fn failing_pods(out: &mut String, report: &Report) {
    if report.affected.is_empty() {
        return;
    }
    if report.affected.len() > crate::LIST_LIMIT {
        // a big outage: the groups (the JSON report lists each container)
        let _ = write!(
            out,
            "<section id=\"pods\" aria-labelledby=\"pods-heading\">\n<h2 id=\"pods-heading\">Failing pods ({})</h2>\n<p>{} failing containers in {} groups, largest first; the JSON report lists each.</p>\n<div class=\"table-wrap\"><table>\n<thead><tr><th scope=\"col\">Containers</th><th scope=\"col\">Class</th><th scope=\"col\">Namespace and image</th><th scope=\"col\">Nodes</th><th scope=\"col\">For example</th></tr></thead>\n<tbody>\n",
            report.affected.len(),
            report.affected.len(),
            report.affected_groups.len()
        );
        for group in &report.affected_groups {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code><br><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                group.count,
                escape(&group.error_class),
                escape(&group.namespace),
                escape(&group.image),
                group.nodes,
                escape(&group.examples.join(", "))
            );
        }
        let _ = write!(out, "</tbody></table></div>\n</section>\n");
        return;
    }
    let _ = write!(
        out,
        "<section id=\"pods\" aria-labelledby=\"pods-heading\">\n<h2 id=\"pods-heading\">Failing pods ({})</h2>\n<div class=\"table-wrap\"><table>\n<thead><tr><th scope=\"col\">Pod</th><th scope=\"col\">Container and image</th><th scope=\"col\">Node</th><th scope=\"col\">Class</th><th scope=\"col\">The runtime's error</th></tr></thead>\n<tbody>\n",
        report.affected.len()
    );
    for affected in &report.affected {
        let message =
            affected.error_message.as_deref().or(affected.waiting_reason.as_deref()).unwrap_or("(no message left: only a back-off)");
        let _ = writeln!(
            out,
            "<tr><td><code>{}/{}</code></td><td>{}<br><code>{}</code></td><td>{}</td><td>{}</td><td class=\"message\">{}<br><span class=\"note\">from {}</span></td></tr>",
            escape(&affected.namespace),
            escape(&affected.pod),
            escape(&affected.container),
            escape(&affected.image),
            escape(affected.node.as_deref().unwrap_or("(not scheduled)")),
            escape(&affected.error_class),
            escape(message),
            escape(&affected.message_source)
        );
    }
    let _ = write!(out, "</tbody></table></div>\n</section>\n");
}

fn comparisons(out: &mut String, report: &Report) {
    let with_working: Vec<_> = report.comparisons.iter().filter(|c| c.working > 0).collect();
    if with_working.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<section id=\"comparison\" aria-labelledby=\"comparison-heading\">\n<h2 id=\"comparison-heading\">Working vs failing</h2>\n"
    );
    for comparison in with_working {
        let _ = write!(
            out,
            "<h3><code>{}</code>: {} failing, {} working</h3>\n<p class=\"note\">{}</p>\n<div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">Attribute</th><th scope=\"col\">Failing</th><th scope=\"col\">Working</th><th scope=\"col\">Verdict</th></tr></thead><tbody>\n",
            escape(&comparison.registry),
            comparison.failing,
            comparison.working,
            if comparison.working_recent_only {
                "The working pods all pulled since the failures began."
            } else {
                "The working pods all pulled before the failures began: their images are cached, so they do not show the path works today."
            }
        );
        let side = |values: &[(String, usize)]| values.iter().map(|(v, n)| format!("{} ({n})", escape(v))).collect::<Vec<_>>().join("<br>");
        for difference in &comparison.differences {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&difference.attribute),
                side(&difference.failing),
                side(&difference.working),
                if difference.separates { "<strong>separates</strong>" } else { "differs" }
            );
        }
        let _ = writeln!(out, "</tbody></table></div>");
        if !comparison.same.is_empty() {
            let _ = writeln!(out, "<p>Same in both: {}.</p>", escape(&comparison.same.join(", ")));
        }
    }
    let _ = writeln!(out, "</section>");
}

fn ruled_out(out: &mut String, report: &Report) {
    if report.ruled_out.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<section id=\"ruled-out\" aria-labelledby=\"ruled-out-heading\">\n<h2 id=\"ruled-out-heading\">Ruled out</h2>\n<p>Checked and found fine, each with the fact that clears it: no need to chase these.</p>\n<ul>\n"
    );
    for item in &report.ruled_out {
        let _ = writeln!(out, "<li><strong>{}</strong>: {}</li>", escape(&item.check), escape(&item.reason));
    }
    let _ = write!(out, "</ul>\n</section>\n");
}

fn gaps(out: &mut String, report: &Report) {
    if report.gaps.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<section id=\"gaps\" aria-labelledby=\"gaps-heading\">\n<h2 id=\"gaps-heading\">Gaps: not checked</h2>\n<p>What could not be checked is not called healthy. Each command's output, added to the bundle, settles it.</p>\n<ul>\n"
    );
    for line in crate::groups::gaps(report, false) {
        let (what, why, command_text) = match line {
            crate::groups::GapLine::One(gap) => (escape(&gap.what), escape(&gap.why), gap.command.clone()),
            crate::groups::GapLine::Folded(group) => (
                escape(&crate::groups::alike(group)),
                escape(&group.why)
                    + if group.same_command { "" } else { " (the command is the first one's: the same with each one's names)" },
                group.command.clone(),
            ),
        };
        let _ = write!(out, "<li><strong>{what}</strong>: {why}");
        if let Some(c) = command_text {
            command(out, &Command { command: c, safety: Safety::ReadOnly, changes: String::new(), change: None });
        }
        let _ = writeln!(out, "</li>");
    }
    let _ = write!(out, "</ul>\n</section>\n");
}

fn plan(out: &mut String, report: &Report) {
    if report.causes.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<section id=\"plan\" class=\"plan\" aria-labelledby=\"plan-heading\">\n<h2 id=\"plan-heading\">Fix plan</h2>\n<p>In the order of the causes: the first blocks pulls now; later ones may only show once it is fixed. Commands that change state are shown with <code>--dry-run</code> first.</p>\n<ol>\n"
    );
    for (position, cause) in report.causes.iter().enumerate() {
        let _ = write!(
            out,
            "<li id=\"plan-{0}\"><h3>{0}. <code>{1}</code> ({2})</h3>\n<div id=\"plan-commands-{0}\">\n",
            position + 1,
            escape(cause.code.as_str()),
            timing(cause.timing)
        );
        if cause.fix.options.is_empty() {
            let _ = writeln!(out, "<p>No command fixes this by itself: {}</p>", escape(&cause.summary));
        }
        for o in &cause.fix.options {
            option(out, o, "h4");
        }
        if !cause.fix.verify.is_empty() {
            let _ = writeln!(out, "<h4>Verify</h4>");
            for c in &cause.fix.verify {
                command(out, c);
            }
        }
        let _ = write!(
            out,
            "</div>\n<button type=\"button\" class=\"copy\" data-copy-all=\"plan-commands-{0}\">Copy every command of step {0}</button>\n</li>\n",
            position + 1
        );
    }
    let _ = write!(out, "</ol>\n</section>\n");
}

fn paths(out: &mut String, report: &Report) {
    if report.paths.is_empty() {
        return;
    }
    let _ = write!(out, "<section id=\"paths\" aria-labelledby=\"paths-heading\">\n<h2 id=\"paths-heading\">Paths hop by hop</h2>\n");
    let big = report.affected.len() > crate::LIST_LIMIT;
    for fold in crate::groups::paths(&report.paths, big) {
        let result = &fold.group.result;
        let to = match fold.more_addresses.len() {
            0 => result.to.clone(),
            n => format!("{} and {n} more of its addresses", result.to),
        };
        let verdict = match result.verdict {
            Verdict::Reachable => "reachable",
            Verdict::Blocked => "blocked",
            Verdict::Unknown => "unknown",
        };
        let from = if fold.nodes.len() > 1 { format!("{} nodes", fold.nodes.len()) } else { result.from.clone() };
        let _ = write!(
            out,
            "<details{}><summary>{} → {}: <strong>{verdict}</strong>{}</summary>\n<p>From {}.</p>\n<div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">#</th><th scope=\"col\">Hop</th><th scope=\"col\">Status</th><th scope=\"col\">What</th><th scope=\"col\">Rule</th></tr></thead><tbody>\n",
            if result.verdict == Verdict::Reachable { "" } else { " open" },
            escape(&from),
            escape(&to),
            result.blocker.as_ref().map(|b| format!(" <code>{}</code>", escape(b.code.as_str()))).unwrap_or_default(),
            escape(&crate::list(&fold.nodes, 20))
        );
        for (position, hop) in result.hops.iter().enumerate() {
            let (class, status) = match hop.status {
                HopStatus::Pass => ("status-pass", "pass"),
                HopStatus::Fail => ("status-fail", "FAIL"),
                HopStatus::Unknown => ("status-unknown", "unknown"),
                HopStatus::Info => ("", "info"),
            };
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}{}</td><td class=\"{class}\">{status}</td><td>{}</td><td><code>{}</code></td></tr>",
                position + 1,
                escape(hop.kind),
                hop.resource.as_deref().map(|r| format!("<br><code>{}</code>", escape(r))).unwrap_or_default(),
                escape(&hop.detail),
                escape(hop.rule.as_deref().unwrap_or(""))
            );
        }
        let _ = writeln!(out, "</tbody></table></div>");
        if let Some(blocker) = &result.blocker {
            let _ = writeln!(out, "<p><strong>{}</strong>: {}</p>", escape(blocker.code.as_str()), escape(&blocker.summary));
        }
        for assumption in &result.assumptions {
            let _ = writeln!(out, "<p class=\"note\">Assumes: {}</p>", escape(assumption));
        }
        let _ = writeln!(out, "</details>");
    }
    let _ = writeln!(out, "</section>");
}

#[cfg(test)]
mod tests {
    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(super::escape(r#"<script>"a" & 'b'</script>"#), "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;");
    }
}
