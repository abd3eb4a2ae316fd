//! The probe's step table: one row per step, its facts wrapped under DETAIL, a failure's class,
//! explanation and the runtime's text under it; fits 100 columns. `probe --local` prints one,
//! the in-cluster probe one per node.

use pulldoctor_probe::{ProbeReport, StepStatus, Verdict};
use pulldoctor_render::wrap;

fn paint(color: bool, code: &str, text: &str) -> String {
    if color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
}

/// The step table: one row per step, its facts wrapped under DETAIL, a failure's class,
/// explanation and runtime text under it; fits 100 columns.
pub fn text(report: &ProbeReport, color: bool) -> String {
    const INDENT: &str = "                              "; // 30 columns: STEP, RESULT, TIME
    let mut out = String::new();
    let node = report.node.kubernetes_node.as_deref().or(report.node.name.as_deref()).unwrap_or("this machine");
    out.push_str(&wrap(
        &format!(
            "probe {} from {node} ({}), {}; each step up to {}",
            report.target.input,
            report.node.platform,
            report.node.mode.as_str(),
            duration_text(report.timeout_ms)
        ),
        "",
        "  ",
    ));
    let proxy = match report.proxy.registry_route.as_str() {
        "proxy" => format!("proxy: {}", report.proxy.reason),
        _ => format!("proxy: none for {} ({})", report.target.host, report.proxy.reason),
    };
    out.push_str(&wrap(&proxy, "", "  "));
    out.push('\n');
    out.push_str(&paint(color, "1", &format!("{:<12} {:<8} {:>6}  {}", "STEP", "RESULT", "TIME", "DETAIL")));
    out.push('\n');
    for step in &report.steps {
        let (result, code) = match step.status {
            StepStatus::Passed => ("ok", "32"),
            StepStatus::Failed => ("FAILED", "1;31"),
            StepStatus::Skipped => ("skipped", "2"),
        };
        let time = if step.status == StepStatus::Skipped { String::new() } else { duration_text(step.duration_ms) };
        let head = format!("{:<12} {} {time:>6}  ", step.name.as_str(), paint(color, code, &format!("{result:<8}")));
        let mut lines: Vec<String> = step.summary.clone();
        if let Some(because) = &step.skipped_because {
            lines.push(because.clone());
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
        for (i, line) in lines.iter().enumerate() {
            let first = if i == 0 { head.as_str() } else { INDENT };
            if line.is_empty() {
                out.push_str(first.trim_end());
                out.push('\n');
            } else {
                out.push_str(&wrap(line, first, &format!("{INDENT}  ")));
            }
        }
        if let Some(failure) = &step.failure {
            let class = format!("class {} (step {}, rule {})", failure.class.as_str(), failure.pull_step, failure.rule);
            out.push_str(&wrap(&paint(color, "1;31", &class), &format!("{INDENT}-> "), &format!("{INDENT}   ")));
            out.push_str(&wrap(&failure.explanation, &format!("{INDENT}   "), &format!("{INDENT}   ")));
            out.push_str(&wrap(
                &format!("as the runtime says it: {}", failure.message),
                &format!("{INDENT}   "),
                &format!("{INDENT}     "),
            ));
        }
    }
    out.push('\n');
    match (report.result, report.failed_step) {
        (Verdict::Passed, _) => {
            out.push_str(&paint(color, "32", &format!("passed: every step worked, in {}", duration_text(report.duration_ms))));
            out.push('\n');
        }
        (Verdict::Failed, failed) => {
            let step = failed.and_then(|name| report.steps.iter().find(|s| s.name == name));
            let class = step.and_then(|s| s.failure.as_ref()).map(|f| f.class.as_str()).unwrap_or("?");
            let name = failed.map(|n| n.as_str()).unwrap_or("?");
            out.push_str(&wrap(
                &paint(color, "1;31", &format!("failed at {name}: {class}, after {}", duration_text(report.duration_ms))),
                "",
                "  ",
            ));
        }
    }
    out
}

pub fn duration_text(ms: u64) -> String {
    if ms >= 10_000 && ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else if ms >= 1000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{ms} ms")
    }
}
