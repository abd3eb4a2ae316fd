//! The words around a diagnosis, checked on every scenario's text and Markdown report: numbers
//! agree with their nouns ("1 pod", "2 subnets"), no raw library error reaches a reader, and a
//! gap's command adds something the bundle lacks. Rendering is where these slip, so each rule is
//! checked on the rendered report, not on the code that builds it.

mod scenario_library;
mod wording_rules;

use pulldoctor_diagnosis::Options;
use pulldoctor_model::InputKind;
use pulldoctor_render::Style;
use scenario_library::scenarios;
use wording_rules::{RAW_ERRORS, disagreements};

#[test]
fn the_checker_catches_disagreement() {
    assert_eq!(disagreements("1 pod fail to pull"), ["1 pod fail"]);
    assert_eq!(disagreements("affects 1 pods and 2 subnet"), ["1 pods", "2 subnet"]);
    assert!(disagreements("1 pod fails; 3 pods fail; 2 subnets; 1 node; 10 nodes; 14 days").is_empty());
    assert_eq!(disagreements("the node's subnet (subnet-1) have no"), ["subnet (subnet-1) have"]);
}

#[test]
fn every_report_reads_right() {
    let mut problems = Vec::new();
    for scenario in scenarios() {
        let name = scenario.file_name().unwrap().to_string_lossy().to_string();
        let bundle = scenario_library::read(&scenario);
        let report = pulldoctor_diagnosis::diagnose(&bundle.model, &Options::default());
        let text = pulldoctor_render::text(&report, Style { color: false });
        let markdown = pulldoctor_render::markdown(&report);
        for (format, rendered) in [("text", &text), ("markdown", &markdown)] {
            // Wrapped text breaks "1\npod": join the lines before reading.
            let joined = rendered.split_whitespace().collect::<Vec<_>>().join(" ");
            for found in disagreements(&joined) {
                problems.push(format!("{name} ({format}): number disagrees: `{found}`"));
            }
            for raw in RAW_ERRORS {
                if joined.contains(raw) {
                    problems.push(format!("{name} ({format}): a raw library error reaches the reader: `{raw}`"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A gap's command must add what the bundle lacks: a gap that says "run describe-instances" when
/// the bundle already has describe-instances sends the reader round in a circle.
#[test]
fn every_gap_command_adds_something_the_bundle_lacks() {
    let mut problems = Vec::new();
    for scenario in scenarios() {
        let name = scenario.file_name().unwrap().to_string_lossy().to_string();
        let bundle = scenario_library::read(&scenario);
        let report = pulldoctor_diagnosis::diagnose(&bundle.model, &Options::default());
        for gap in &report.gaps {
            let Some(command) = &gap.command else { continue };
            for kind in InputKind::ALL {
                if command == kind.command() && bundle.model.inputs.contains(kind) {
                    problems.push(format!("{name}: the gap `{}` asks for `{command}`, which the bundle already has ({kind:?})", gap.what));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
