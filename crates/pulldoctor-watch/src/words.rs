//! Drift and baselines as text: what a platform engineer reads in a terminal, a cron mail or a CI
//! log. Fits 100 columns; colour is the caller's choice (`color`), never decided here.

use pulldoctor_diagnosis::text;
use pulldoctor_net::Verdict;
use pulldoctor_render::wrap;

use crate::baseline::Baseline;
use crate::drift::{Drift, Severity};

fn paint(color: bool, code: &str, text: &str) -> String {
    if color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
}

/// The drift report.
pub fn drift_text(drift: &Drift, color: bool) -> String {
    let mut out = String::new();
    let since = drift.baseline_taken_at.map(text::minute).unwrap_or_else(|| "an unknown time".into());
    let now = drift.taken_at.map(text::minute).unwrap_or_else(|| "an unknown time".into());
    out.push_str(&wrap(
        &format!(
            "drift of {} since the baseline of {since} ({}); {} paths compared",
            if drift.source.is_empty() { "the cluster" } else { drift.source.as_str() },
            if drift.baseline_source.is_empty() { "baseline" } else { drift.baseline_source.as_str() },
            drift.paths_compared
        ),
        "",
        "  ",
    ));
    out.push_str(&format!("facts of {now}\n"));
    for (severity, heading, colour) in [
        (Severity::Breaks, "BREAKS PULLS", "1;31"),
        (Severity::Warns, "WARNINGS", "1;33"),
        (Severity::Restores, "RESTORED", "1;32"),
        (Severity::Changes, "CHANGED, STILL WORKING", "1"),
    ] {
        let findings: Vec<_> = drift.findings.iter().filter(|f| f.severity == severity).collect();
        if findings.is_empty() {
            continue;
        }
        out.push('\n');
        out.push_str(&paint(color, colour, heading));
        out.push('\n');
        for (n, finding) in findings.iter().enumerate() {
            let code = finding.code.map(|c| format!("[{c}] ")).unwrap_or_default();
            out.push_str(&wrap(&format!("{code}{}", finding.summary), &format!("{:>2}. ", n + 1), "    "));
            for line in &finding.what_changed {
                out.push_str(&wrap(line, "    what changed: ", "      "));
            }
            for command in &finding.restore {
                out.push_str(&wrap(command, "    back to the baseline (changes AWS; --dry-run first): ", "      "));
            }
        }
    }
    if !drift.other_changes.is_empty() {
        out.push_str("\nOTHER NETWORK CHANGES SINCE THE BASELINE (no traced path changed with them)\n");
        for line in &drift.other_changes {
            out.push_str(&wrap(line, "  - ", "    "));
        }
    }
    if !drift.gaps.is_empty() {
        out.push_str("\nNOT CHECKED\n");
        for gap in &drift.gaps {
            out.push_str(&wrap(gap, "  - ", "    "));
        }
    }
    out.push('\n');
    let breaks = drift.count(Severity::Breaks);
    let line = if breaks > 0 {
        paint(color, "1;31", &format!("{} that break pulls", text::count(breaks, "change", "changes")))
    } else if drift.findings.is_empty() {
        "no drift: every path and access fact is as in the baseline".to_string()
    } else {
        "no path broke".to_string()
    };
    out.push_str(&format!(
        "{line}; {}, {} restored, {} changed\n",
        text::count(drift.count(Severity::Warns), "warning", "warnings"),
        drift.count(Severity::Restores),
        drift.count(Severity::Changes)
    ));
    out
}

/// What `pulldoctor baseline` says after writing one.
pub fn baseline_text(baseline: &Baseline) -> String {
    let count = |v: Verdict| baseline.paths.iter().filter(|p| p.verdict == v).count();
    let mut out = wrap(
        &format!(
            "baseline of {}: {} to {} ({}): {} reachable, {} blocked, {} unknown; {} node-role verdicts, {} pull-secret entries",
            baseline.taken_at.map(text::minute).unwrap_or_else(|| "an unknown time".into()),
            text::count(baseline.nodes.len(), "node", "nodes"),
            text::count(baseline.registries.len(), "registry", "registries"),
            text::count(baseline.paths.len(), "path", "paths"),
            count(Verdict::Reachable),
            count(Verdict::Blocked),
            count(Verdict::Unknown),
            baseline.node_roles.len(),
            baseline.pull_secrets.len()
        ),
        "",
        "  ",
    );
    for gap in &baseline.gaps {
        out.push_str(&wrap(gap, "  not checked: ", "    "));
    }
    out
}
