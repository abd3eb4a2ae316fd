//! What probes observed, in text and Markdown: under each cause its verdict (confirmed,
//! contradicted, settled) with the observations behind it, and a section listing every probe.

use std::fmt::Write;

use pulldoctor_diagnosis::report::{Cause, FactOutcome, Observation, ObservedFact, ObservedVerdict, ProbeSummary, Report};

use crate::{Style, wrap};

/// How many observations of the cause's own nodes, and of the nodes compared with them, the text
/// shows (the JSON has them all).
const SHOWN_IN_SCOPE: usize = 4;
const SHOWN_OUTSIDE: usize = 2;

/// `ip-10-0-60-229.ec2.internal (subnet-..., route table rtb-...)`, with the mode unless it is the
/// node's own network.
fn place(fact: &ObservedFact) -> String {
    let mut parts: Vec<String> = Vec::new();
    parts.extend(fact.subnet.clone());
    parts.extend(fact.route_table.as_ref().map(|t| format!("route table {t}")));
    if fact.mode != "host-network" {
        parts.push(fact.mode.clone());
    }
    if parts.is_empty() { fact.node.clone() } else { format!("{} ({})", fact.node, parts.join(", ")) }
}

fn verdict_words(observation: &Observation, cause: &Cause) -> String {
    let verdict = match observation.verdict {
        ObservedVerdict::Confirmed => "CONFIRMED by probes".to_string(),
        ObservedVerdict::Contradicted => "CONTRADICTED by probes: packets got through where the configuration says they cannot".to_string(),
        ObservedVerdict::Settled => {
            let open = observation.facts.iter().any(|f| f.in_scope && f.outcome == FactOutcome::Reached);
            let beyond = observation.resources.first().map(String::as_str).unwrap_or("the configuration");
            format!("SETTLED by probes: the path beyond {beyond} is {}", if open { "open" } else { "blocked" })
        }
    };
    match observation.confidence_before {
        Some(before) => format!(
            "{verdict}; confidence {} from {} to {}",
            if cause.confidence > before { "raised" } else { "lowered" },
            crate::confidence(before).trim_end_matches(" confidence"),
            crate::confidence(cause.confidence).trim_end_matches(" confidence")
        ),
        None => verdict,
    }
}

/// The facts to show: the cause's own nodes first, then those compared with them, each capped.
fn shown(observation: &Observation) -> (Vec<&ObservedFact>, usize) {
    let inside: Vec<&ObservedFact> = observation.facts.iter().filter(|f| f.in_scope).collect();
    let outside: Vec<&ObservedFact> = observation.facts.iter().filter(|f| !f.in_scope).collect();
    let hidden = inside.len().saturating_sub(SHOWN_IN_SCOPE) + outside.len().saturating_sub(SHOWN_OUTSIDE);
    let facts = inside.into_iter().take(SHOWN_IN_SCOPE).chain(outside.into_iter().take(SHOWN_OUTSIDE)).collect();
    (facts, hidden)
}

/// Under a cause: `observed: CONFIRMED by probes` and the observations behind it.
pub fn cause_text(report: &Report, cause: &Cause, style: Style) -> String {
    let Some(observation) = report.observation_of(cause) else {
        return String::new();
    };
    let words = verdict_words(observation, cause);
    let painted = match observation.verdict {
        ObservedVerdict::Contradicted => style.yellow(&words),
        _ => style.bold(&words),
    };
    let mut out = wrap(&painted, "  observed: ", "    ");
    let (facts, hidden) = shown(observation);
    for fact in facts {
        let lead = if fact.in_scope { "" } else { "outside this cause, " };
        out.push_str(&wrap(&format!("{lead}from {}: {}", place(fact), fact.text), "    - ", "      "));
    }
    if hidden > 0 {
        let _ = writeln!(out, "    - and {hidden} more (see --format json)");
    }
    out
}

fn probe_line(probe: &ProbeSummary) -> String {
    let place = match (&probe.subnet, &probe.route_table) {
        (Some(subnet), Some(table)) => format!(", {subnet}, route table {table}"),
        (Some(subnet), None) => format!(", {subnet}"),
        _ => String::new(),
    };
    let result = match (&probe.failed_step, &probe.error_class) {
        (Some(step), Some(class)) => format!("FAILED at {step} ({class}): "),
        _ => String::new(),
    };
    format!(
        "{} ({}{place}) at {}, {}: {result}{}",
        probe.node.as_deref().unwrap_or("an unnamed host"),
        probe.mode,
        probe.started_at.format("%Y-%m-%d %H:%M UTC"),
        probe.target,
        probe.text
    )
}

/// The PROBES section: every probe the input held.
pub fn probes_text(report: &Report, style: Style) -> String {
    if report.probes.is_empty() {
        return String::new();
    }
    let mut out = format!("\n{}\n", style.bold("PROBES (observed)"));
    for probe in &report.probes {
        out.push_str(&wrap(&probe_line(probe), "  - ", "    "));
    }
    out
}

/// Under a cause, in Markdown.
pub fn cause_markdown(report: &Report, cause: &Cause) -> String {
    let Some(observation) = report.observation_of(cause) else {
        return String::new();
    };
    let mut out = format!("\n**Observed: {}**\n\n", verdict_words(observation, cause));
    for fact in &observation.facts {
        let lead = if fact.in_scope { "" } else { "outside this cause, " };
        let _ = writeln!(out, "- {lead}from `{}`: {}", place(fact), fact.text);
    }
    out
}

/// The probes, as a Markdown section.
pub fn probes_markdown(report: &Report) -> String {
    if report.probes.is_empty() {
        return String::new();
    }
    let mut out = String::from("## Probes (observed)\n\n");
    for probe in &report.probes {
        let _ = writeln!(out, "- {}", probe_line(probe));
    }
    out.push('\n');
    out
}
