//! A big outage at a glance: the first screen of the text report when more than 20 containers
//! fail. Each cause in a line with how many pods it explains and the command that fixes it, the
//! largest groups of failing containers, and what could not be checked, counted; the full report
//! follows. This is what someone woken at 3 a.m. reads before anything else.

use std::fmt::Write;

use pulldoctor_diagnosis::report::{Report, Safety};

use crate::{Style, confidence, groups, wrap};

/// How many causes and groups of failing containers the glance names.
const SHOWN: usize = 4;

/// The glance, or nothing when the report is not a big outage's.
pub fn glance(report: &Report, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n{}", style.bold(&format!("AT A GLANCE ({} failing containers; the details follow)", report.affected.len())));
    for (position, cause) in report.causes.iter().take(SHOWN).enumerate() {
        let pods = match cause.pods.len() {
            0 => String::new(),
            1 => ", 1 pod".to_string(),
            n => format!(", {n} pods"),
        };
        let line = format!("{}. {} ({}{pods}): {}", position + 1, cause.code, confidence(cause.confidence), first_sentence(&cause.summary));
        out.push_str(&wrap(&line, "  ", "     "));
        // the fix: the first change of the preferred option (else of any), not its dry run
        let change = |preferred: bool| {
            cause
                .fix
                .options
                .iter()
                .filter(|o| o.preferred || !preferred)
                .flat_map(|o| &o.commands)
                .find(|c| c.safety == Safety::Mutating && !c.command.contains("--dry-run"))
        };
        let command = change(true).or_else(|| change(false)).map(|c| c.command.as_str());
        if let Some(command) = command {
            let _ = writeln!(out, "     fix: $ {command}");
        }
    }
    if report.causes.len() > SHOWN {
        let _ = writeln!(out, "  and {} more causes", report.causes.len() - SHOWN);
    }
    let shown: Vec<String> = report
        .affected_groups
        .iter()
        .take(SHOWN)
        .map(|g| format!("{} × {} in {} ({})", g.count, g.error_class, g.namespace, short_image(&g.image)))
        .collect();
    let more = report.affected_groups.len().saturating_sub(SHOWN);
    let failing = format!("{}{}", shown.join("; "), if more > 0 { format!("; and {more} more groups") } else { String::new() });
    out.push_str(&wrap(&failing, "  failing: ", "    "));
    let folded: usize = groups::gaps(report, false).len();
    if folded > 0 {
        let _ = writeln!(
            out,
            "  not checked: {} (GAPS below)",
            match folded {
                1 => "1 thing".to_string(),
                n => format!("{n} things"),
            }
        );
    }
    out
}

/// A summary up to its first `: ` or `; ` (the rest is in the cause below).
fn first_sentence(summary: &str) -> &str {
    let end = [": ", "; "].iter().filter_map(|mark| summary.find(mark)).min().unwrap_or(summary.len());
    summary[..end].trim()
}

/// An image without its registry host (`host/team/app:1` -> `team/app:1`).
fn short_image(image: &str) -> &str {
    match image.split_once('/') {
        Some((host, rest)) if host.contains('.') || host.contains(':') => rest,
        _ => image,
    }
}
