//! Renderers: terminal text (the default), JSON (the wire contract, `docs/report.schema.json`),
//! Markdown (for a ticket) and HTML (`html/`: one self-contained page with the network drawn).
//! Pure functions of the report: no I/O, no terminal detection (the binary decides about colour).

pub mod html;
pub use html::html;

mod glance;
pub mod groups;
mod markdown;
mod observations;
pub use markdown::{markdown, markdown_all};

use std::fmt::Write;

use pulldoctor_diagnosis::report::{Cause, Confidence, HopStatus, Path, Report, Safety, Timing, Verdict};

/// Text is wrapped to this width; commands stay on one line so they can be copied.
pub const WIDTH: usize = 100;

#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }
    fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }
    fn red(&self, text: &str) -> String {
        self.paint("1;31", text)
    }
    fn yellow(&self, text: &str) -> String {
        self.paint("33", text)
    }
    fn green(&self, text: &str) -> String {
        self.paint("32", text)
    }
    fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }
}

/// Plain word-wrap into lines of at most `width` characters (at least 8); a word longer than a
/// line is cut. For boxes of a drawing and panes of a terminal, which indent for themselves.
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        while word.chars().count() > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            lines.push(word.chars().take(width).collect());
            word = word.chars().skip(width).collect();
        }
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Word-wrap `text` to WIDTH with `first` before the first line and `rest` before the others.
/// A word longer than a line (a URL, an image reference) is cut where the line ends.
pub fn wrap(text: &str, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(first);
    let mut empty = true;
    let visible = |s: &str| {
        // ANSI colour codes take no columns
        let mut count = 0;
        let mut escape = false;
        for c in s.chars() {
            match (escape, c) {
                (false, '\u{1b}') => escape = true,
                (true, 'm') => escape = false,
                (true, _) => {}
                (false, _) => count += 1,
            }
        }
        count
    };
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        loop {
            let used = visible(&line);
            let room = WIDTH.saturating_sub(used + usize::from(!empty));
            let length = visible(&word);
            if length <= room {
                if !empty {
                    line.push(' ');
                }
                line.push_str(&word);
                empty = false;
                break;
            }
            if !empty && length <= WIDTH.saturating_sub(visible(rest)) {
                out.push_str(line.trim_end());
                out.push('\n');
                line = String::from(rest);
                empty = true;
                continue;
            }
            // longer than a whole line: cut it
            let room = if empty { WIDTH.saturating_sub(used) } else { room };
            if room == 0 || word.contains('\u{1b}') {
                if !empty {
                    out.push_str(line.trim_end());
                    out.push('\n');
                    line = String::from(rest);
                }
                line.push_str(&word);
                empty = false;
                break;
            }
            let cut: String = word.chars().take(room).collect();
            let remainder: String = word.chars().skip(room).collect();
            if !empty {
                line.push(' ');
            }
            line.push_str(&cut);
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(rest);
            empty = true;
            word = remainder;
            if word.is_empty() {
                break;
            }
        }
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

/// Words for a confidence (the text, HTML and TUI say the same).
pub fn confidence(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "high confidence",
        Confidence::Medium => "medium confidence",
        Confidence::Low => "low confidence",
    }
}

/// Words for a cause's timing.
pub fn timing(t: Timing) -> &'static str {
    match t {
        Timing::Now => "blocking now",
        Timing::AfterFix => "will bite after the causes above are fixed",
    }
}

fn layer(cause: &Cause) -> String {
    serde_json::to_value(cause.layer).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// Up to `limit` names, then how many more.
pub fn list(items: &[String], limit: usize) -> String {
    if items.len() > limit { format!("{} and {} more", items[..limit].join(", "), items.len() - limit) } else { items.join(", ") }
}

/// The human report.
pub fn text(report: &Report, style: Style) -> String {
    text_all(report, style, false)
}

/// Up to this many failing containers are listed one by one; more are grouped (`--all` lists them).
pub const LIST_LIMIT: usize = 20;
/// In a big outage a cause shows this many of its traced paths as evidence; PATHS has them all,
/// folded.
pub const PATH_EVIDENCE: usize = 3;

/// [`text`], listing every failing container and every gap when `all` (a big outage otherwise
/// reads in groups: counts first, a few examples each).
pub fn text_all(report: &Report, style: Style, all: bool) -> String {
    let mut out = String::new();
    // a big outage reads in groups
    let big = report.affected.len() > LIST_LIMIT && !all;
    let head =
        if report.causes.is_empty() && report.affected.is_empty() { style.green(&report.headline) } else { style.red(&report.headline) };
    out.push_str(&wrap(&head, "", "  "));
    if let Some(at) = report.observed_at {
        out.push_str(&style.dim(&format!("as of {}\n", at.format("%Y-%m-%d %H:%M UTC"))));
    }
    if big {
        out.push_str(&glance::glance(report, style));
    }
    for (position, cause) in report.causes.iter().enumerate() {
        out.push('\n');
        let _ = writeln!(
            out,
            "{} {}  [{}, {}, {}]",
            style.bold(&format!("CAUSE {}", position + 1)),
            style.bold(cause.code.as_str()),
            layer(cause),
            confidence(cause.confidence),
            timing(cause.timing)
        );
        out.push_str(&wrap(&cause.summary, "  ", "  "));
        out.push_str(&observations::cause_text(report, cause, style));
        out.push_str(&wrap(&list(&cause.resources, 8), "  resources: ", "             "));
        if !cause.pods.is_empty() {
            out.push_str(&wrap(&list(&cause.pods, 6), "  pods: ", "        "));
        }
        out.push_str("  evidence:\n");
        for line in groups::evidence(cause, big) {
            match line {
                groups::EvidenceLine::One(evidence) => {
                    out.push_str(&wrap(&evidence.text, &format!("    - {}: ", evidence.source), "      "))
                }
                groups::EvidenceLine::MorePaths(more) => {
                    let _ = writeln!(out, "    - path: and {more} more paths alike (PATHS groups them)");
                }
            }
        }
        for option in &cause.fix.options {
            let label = if option.preferred { "fix" } else { "alternative" };
            out.push_str(&wrap(&option.title, &format!("  {}: ", style.bold(label)), "       "));
            for command in &option.commands {
                let marker = match command.safety {
                    Safety::Mutating => "$ ",
                    Safety::ReadOnly => "$ ",
                    Safety::DisplayOnly => "",
                };
                let _ = writeln!(out, "      {marker}{}", command.command);
            }
            out.push_str(&wrap(&option.blast_radius, "      blast radius: ", "        "));
            out.push_str(&wrap(&option.rationale, "      why: ", "        "));
        }
        if !cause.fix.verify.is_empty() {
            out.push_str("  verify:\n");
            for command in &cause.fix.verify {
                let _ = writeln!(out, "      $ {}", command.command);
            }
        }
    }
    if !report.scope.pattern.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("SCOPE"));
        for line in &report.scope.pattern {
            out.push_str(&wrap(line, "  - ", "    "));
        }
    }
    let comparisons: Vec<_> = report.comparisons.iter().filter(|c| c.working > 0).collect();
    if !comparisons.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("WORKING VS FAILING"));
        out.push_str(&comparisons_text(&comparisons));
    }
    out.push_str(&observations::probes_text(report, style));
    let interesting: Vec<_> = report.paths.iter().filter(|p| p.result.verdict != Verdict::Reachable).collect();
    if !interesting.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("PATHS"));
        for fold in groups::paths(interesting, big) {
            out.push_str(&path_text(&fold.group.result, &fold.nodes, &fold.more_addresses, style));
        }
    }
    if !report.ruled_out.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("RULED OUT"));
        for item in &report.ruled_out {
            out.push_str(&wrap(&format!("{}: {}", item.check, item.reason), "  - ", "    "));
        }
    }
    if !report.gaps.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("GAPS (not checked)"));
        for line in groups::gaps(report, all) {
            match line {
                groups::GapLine::One(gap) => {
                    out.push_str(&wrap(&format!("{}: {}", gap.what, gap.why), "  - ", "    "));
                    if let Some(command) = &gap.command {
                        let _ = writeln!(out, "      $ {command}");
                    }
                }
                groups::GapLine::Folded(group) => {
                    let text = format!("{}: {}", groups::alike(group), group.why);
                    out.push_str(&wrap(&text, "  - ", "    "));
                    if let Some(command) = &group.command {
                        let _ = writeln!(out, "      $ {command}");
                        if !group.same_command {
                            let _ = writeln!(out, "      (for the first; the same with each one's names, --all lists them)");
                        }
                    }
                }
            }
        }
    }
    if big {
        let groups = &report.affected_groups;
        let _ = writeln!(
            out,
            "\n{}",
            style.bold(&format!("AFFECTED ({} failing containers in {} groups; --all lists each)", report.affected.len(), groups.len()))
        );
        for group in groups.iter().take(LIST_LIMIT) {
            let line = format!(
                "{} × {} in {} pulling {} on {} node{} (e.g. {})",
                group.count,
                group.error_class,
                group.namespace,
                group.image,
                group.nodes,
                if group.nodes == 1 { "" } else { "s" },
                group.examples.join(", ")
            );
            out.push_str(&wrap(&line, "  - ", "    "));
        }
        if groups.len() > LIST_LIMIT {
            let rest: usize = groups.iter().skip(LIST_LIMIT).map(|g| g.count).sum();
            let _ = writeln!(out, "  - and {} more groups ({rest} containers)", groups.len() - LIST_LIMIT);
        }
    } else if !report.affected.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("AFFECTED"));
        for affected in &report.affected {
            let line = format!(
                "{}/{} [{}] {} on {}: {}",
                affected.namespace,
                affected.pod,
                affected.container,
                affected.image,
                affected.node.as_deref().unwrap_or("(no node)"),
                affected.error_class
            );
            out.push_str(&wrap(&line, "  - ", "    "));
        }
    }
    out
}

/// The working-vs-failing comparison, one registry at a time.
pub fn comparisons_text(comparisons: &[&pulldoctor_diagnosis::report::Comparison]) -> String {
    let mut out = String::new();
    for comparison in comparisons {
        out.push_str(&wrap(
            &format!(
                "{}: {} failing, {} working pod{}{}",
                comparison.registry,
                comparison.failing,
                comparison.working,
                if comparison.working == 1 { "" } else { "s" },
                if comparison.working_recent_only {
                    " that pulled since the failures began"
                } else {
                    " (all pulled before the failures began)"
                }
            ),
            "  ",
            "    ",
        ));
        for difference in &comparison.differences {
            let marker = if difference.separates { "separates" } else { "differs" };
            out.push_str(&wrap(&difference.describe(), &format!("    - {marker}: "), "      "));
        }
        if !comparison.same.is_empty() {
            out.push_str(&wrap(&comparison.same.join(", "), "    - same in both: ", "      "));
        }
    }
    out
}

fn status_mark(status: HopStatus, style: Style) -> String {
    match status {
        HopStatus::Pass => style.green("ok"),
        HopStatus::Fail => style.red("XX"),
        HopStatus::Unknown => style.yellow("??"),
        HopStatus::Info => "..".to_string(),
    }
}

/// One traced path, like a traceroute of configuration; `nodes` are those of its group (the
/// paths that end the same way) when it stands for several, `more_addresses` the other addresses
/// of its host folded into it.
pub fn path_text(result: &Path, nodes: &[String], more_addresses: &[String], style: Style) -> String {
    let mut out = String::new();
    let verdict = match result.verdict {
        Verdict::Reachable => style.green("REACHABLE"),
        Verdict::Blocked => style.red("BLOCKED"),
        Verdict::Unknown => style.yellow("UNKNOWN"),
    };
    let code = result.blocker.as_ref().map(|b| format!(" {}", b.code)).unwrap_or_default();
    let from = if nodes.len() > 1 { format!("{} (and {} more)", nodes[0], nodes.len() - 1) } else { result.from.clone() };
    let to = match more_addresses {
        [] => result.to.clone(),
        more => format!("{} and {} more of its addresses ({})", result.to, more.len(), groups::first_addresses(more)),
    };
    out.push_str(&wrap(&format!("{from} -> {to}  {verdict}{code}"), "  ", "    "));
    for (position, hop) in result.hops.iter().enumerate() {
        let prefix = format!("   {:>2}. {} {:<16} ", position + 1, status_mark(hop.status, style), hop.kind);
        let indent = " ".repeat(27);
        out.push_str(&wrap(&hop.detail, &prefix, &indent));
        if let Some(rule) = &hop.rule
            && matches!(hop.status, HopStatus::Fail | HopStatus::Unknown | HopStatus::Pass)
        {
            out.push_str(&wrap(rule, &format!("{}rule: ", " ".repeat(27)), &" ".repeat(33)));
        }
    }
    if let Some(blocker) = &result.blocker {
        out.push_str(&wrap(&blocker.summary, "      => ", "         "));
    } else if let Some(via) = &result.via {
        out.push_str(&wrap(&format!("leaves through {via}"), "      => ", "         "));
    }
    for assumption in &result.assumptions {
        out.push_str(&wrap(assumption, "      assumes: ", "               "));
    }
    out
}

/// The JSON contract: one object, pretty-printed.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\":\"cannot serialise the report: {e}\"}}")) + "\n"
}

fn md_escape(text: &str) -> String {
    text.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrap_respects_width() {
        let text = format!("{} {} end", "word ".repeat(60), "x".repeat(250));
        for line in super::wrap(&text, "  - ", "    ").lines() {
            assert!(line.chars().count() <= super::WIDTH, "{line}");
        }
    }
}
