//! The Markdown report (for tickets and chat): the text report's content as headings, lists and
//! tables. A big outage reads in groups, as the text does; `--all` lists every one.

use std::fmt::Write;

use pulldoctor_diagnosis::report::Report;

use crate::{LIST_LIMIT, confidence, groups, layer, list, md_escape, observations, timing};

/// Markdown for a ticket or an escalation.
pub fn markdown(report: &Report) -> String {
    markdown_all(report, false)
}

/// [`markdown`], listing every failing container, path, gap and piece of evidence when `all`
/// (a big outage otherwise reads in groups, as the text does).
pub fn markdown_all(report: &Report, all: bool) -> String {
    let mut out = String::new();
    let big = report.affected.len() > LIST_LIMIT && !all;
    let _ = writeln!(out, "# Image pull diagnosis\n\n**{}**\n", report.headline);
    if let Some(at) = report.observed_at {
        let _ = writeln!(out, "_As of {}._\n", at.format("%Y-%m-%d %H:%M UTC"));
    }
    if !report.causes.is_empty() {
        let _ = writeln!(out, "## Causes\n");
        for (position, cause) in report.causes.iter().enumerate() {
            let _ = writeln!(
                out,
                "### {}. `{}` ({}, {}, {})\n",
                position + 1,
                cause.code,
                layer(cause),
                confidence(cause.confidence),
                timing(cause.timing)
            );
            let _ = writeln!(out, "{}", cause.summary);
            out.push_str(&observations::cause_markdown(report, cause));
            out.push('\n');
            let _ = writeln!(out, "- Resources: {}", cause.resources.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", "));
            if !cause.pods.is_empty() {
                let shown = if big { 6 } else { usize::MAX };
                let pods: Vec<String> = cause.pods.iter().take(shown).map(|r| format!("`{r}`")).collect();
                let more =
                    if cause.pods.len() > pods.len() { format!(" and {} more", cause.pods.len() - pods.len()) } else { String::new() };
                let _ = writeln!(out, "- Pods: {}{more}", pods.join(", "));
            }
            let _ = writeln!(out, "\n**Evidence**\n");
            for line in groups::evidence(cause, big) {
                let _ = match line {
                    groups::EvidenceLine::One(evidence) => writeln!(out, "- _{}_: {}", evidence.source, evidence.text),
                    groups::EvidenceLine::MorePaths(more) => writeln!(out, "- _path_: and {more} more paths alike (Paths groups them)"),
                };
            }
            for option in &cause.fix.options {
                let _ = writeln!(out, "\n**{}: {}**\n", if option.preferred { "Fix" } else { "Alternative" }, option.title);
                let _ = writeln!(out, "```sh");
                for command in &option.commands {
                    let _ = writeln!(out, "{}", command.command);
                }
                let _ = writeln!(out, "```\n\n- Blast radius: {}\n- Why: {}", option.blast_radius, option.rationale);
            }
            if !cause.fix.verify.is_empty() {
                let _ = writeln!(out, "\n**Verify**\n\n```sh");
                for command in &cause.fix.verify {
                    let _ = writeln!(out, "{}", command.command);
                }
                let _ = writeln!(out, "```");
            }
            out.push('\n');
        }
    }
    if !report.scope.pattern.is_empty() {
        let _ = writeln!(out, "## Scope\n");
        for line in &report.scope.pattern {
            let _ = writeln!(out, "- {line}");
        }
        if let (Some(first), Some(last)) = (report.scope.first_failure, report.scope.last_failure) {
            let _ = writeln!(
                out,
                "- Timeline: first failure {}, last {}",
                first.format("%Y-%m-%d %H:%M UTC"),
                last.format("%Y-%m-%d %H:%M UTC")
            );
        }
        out.push('\n');
    }
    let comparisons: Vec<_> = report.comparisons.iter().filter(|c| c.working > 0).collect();
    if !comparisons.is_empty() {
        let _ = writeln!(out, "## Working vs failing\n");
        for comparison in comparisons {
            let _ = writeln!(out, "- **{}**: {} failing, {} working", comparison.registry, comparison.failing, comparison.working);
            for difference in &comparison.differences {
                let _ = writeln!(out, "  - {}: {}", if difference.separates { "separates" } else { "differs" }, difference.describe());
            }
        }
        out.push('\n');
    }
    out.push_str(&observations::probes_markdown(report));
    if !report.paths.is_empty() {
        let _ = writeln!(out, "## Paths\n");
        for fold in groups::paths(&report.paths, big) {
            let result = &fold.group.result;
            let more = match fold.more_addresses.len() {
                0 => String::new(),
                n => format!(" and {n} more of its addresses ({})", groups::first_addresses(&fold.more_addresses)),
            };
            let _ = writeln!(
                out,
                "### {} → {}{more} ({:?}{})\n",
                list(&fold.nodes, 6),
                result.to,
                result.verdict,
                result.blocker.as_ref().map(|b| format!(", `{}`", b.code)).unwrap_or_default()
            );
            let _ = writeln!(out, "| # | hop | resource | status | detail | rule |\n|---|---|---|---|---|---|");
            for (position, hop) in result.hops.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {:?} | {} | {} |",
                    position + 1,
                    hop.kind,
                    hop.resource.as_deref().map(|r| format!("`{r}`")).unwrap_or_default(),
                    hop.status,
                    md_escape(&hop.detail),
                    md_escape(hop.rule.as_deref().unwrap_or(""))
                );
            }
            out.push('\n');
        }
    }
    if !report.ruled_out.is_empty() {
        let _ = writeln!(out, "## Ruled out\n");
        for item in &report.ruled_out {
            let _ = writeln!(out, "- **{}**: {}", item.check, item.reason);
        }
        out.push('\n');
    }
    if !report.gaps.is_empty() {
        let _ = writeln!(out, "## Not checked (gaps)\n");
        for line in groups::gaps(report, all) {
            match line {
                groups::GapLine::One(gap) => {
                    let command = gap.command.as_deref().map(|c| format!(" — `{c}`")).unwrap_or_default();
                    let _ = writeln!(out, "- {}: {}{command}", gap.what, gap.why);
                }
                groups::GapLine::Folded(group) => {
                    let command = match (&group.command, group.same_command) {
                        (Some(c), true) => format!(" — `{c}`"),
                        (Some(c), false) => format!(" — for the first: `{c}`"),
                        (None, _) => String::new(),
                    };
                    let _ = writeln!(out, "- {}: {}{command}", groups::alike(group), group.why);
                }
            }
        }
        out.push('\n');
    }
    if big {
        let _ = writeln!(
            out,
            "## Failing containers\n\n{} failing containers in {} groups (`--all` lists each).\n\n| containers | class | namespace | image | nodes | e.g. |\n|---|---|---|---|---|---|",
            report.affected.len(),
            report.affected_groups.len()
        );
        for group in &report.affected_groups {
            let _ = writeln!(
                out,
                "| {} | {} | `{}` | `{}` | {} | {} |",
                group.count,
                group.error_class,
                group.namespace,
                group.image,
                group.nodes,
                md_escape(&group.examples.join(", "))
            );
        }
    } else if !report.affected.is_empty() {
        let _ = writeln!(out, "## Error messages\n\n| pod | container | image | node | class | message |\n|---|---|---|---|---|---|");
        for affected in &report.affected {
            let _ = writeln!(
                out,
                "| `{}/{}` | {} | `{}` | {} | {} | {} |",
                affected.namespace,
                affected.pod,
                affected.container,
                affected.image,
                affected.node.as_deref().unwrap_or(""),
                affected.error_class,
                md_escape(affected.error_message.as_deref().unwrap_or(""))
            );
        }
    }
    out
}
