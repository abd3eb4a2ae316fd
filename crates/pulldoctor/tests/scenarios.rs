//! Scenario tests, one named test per scenario: every folder under `fixtures/scenarios/` and
//! `examples/` with an `expect.toml` is a bundle plus its expectations. Each is diagnosed, its
//! expectations asserted (top cause and its resources, codes that must or must not fire, path
//! verdicts), its JSON checked against the published schema, and its text, JSON and Markdown
//! reports compared with reviewed snapshots in `tests/snapshots/<scenario>/`. A snapshot alone
//! asserts nothing; the expectations beside it do.
//!
//! `harness = false`: datatest-stable finds the folders and makes each a test named
//! `scenario::<name>/expect.toml` (or `example::...`), so one runs alone:
//! `cargo nextest run -p pulldoctor --test scenarios -- net-route-no-route`.
//! Properties over all scenarios (every code fires in one, shared tracing) are in `invariants.rs`.

mod scenario_library;

use std::path::Path;

use pulldoctor_diagnosis::report::Timing;
use pulldoctor_diagnosis::{Options, codes};
use pulldoctor_net::{Engine, Origin, Verdict};
use serde::Deserialize;

use scenario_library::workspace;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    description: String,
    top_cause: String,
    #[serde(default)]
    top_resources: Vec<String>,
    #[serde(default)]
    must_not_fire: Vec<String>,
    #[serde(default)]
    also_fires: Vec<String>,
    /// Codes that must fire as "will bite after the causes above are fixed", ranked below every
    /// cause that blocks now.
    #[serde(default)]
    after_fix: Vec<String>,
    /// Texts that must each start some ruled-out check (the dead ends a user should not chase).
    #[serde(default)]
    ruled_out: Vec<String>,
    /// With `top_cause = "none"`: pods do fail, but no cause explains them (the ruled-out items and
    /// gaps say why); without it, "none" means nothing fails.
    #[serde(default)]
    unexplained: bool,
    /// Texts that must each start some gap's `what` (what the input could not settle).
    #[serde(default)]
    gaps: Vec<String>,
    #[serde(default)]
    path: Vec<PathExpect>,
    /// What probes in the bundle must have made of the top cause.
    #[serde(default)]
    observed: Option<ObservedExpect>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObservedExpect {
    /// `confirmed`, `contradicted` or `settled`.
    verdict: String,
    /// The top cause's confidence once the observations are in.
    confidence: String,
    /// Nodes whose probes the top cause's observation lists as getting through.
    #[serde(default)]
    reached_from: Vec<String>,
    /// Nodes whose probes met the fault.
    #[serde(default)]
    blocked_from: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PathExpect {
    from: String,
    to: String,
    verdict: String,
    #[serde(default)]
    code: Option<String>,
}

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(workspace().join("docs/report.schema.json")).unwrap()).unwrap();
        jsonschema::validator_for(&schema).expect("docs/report.schema.json is a valid schema")
    })
}

fn verdict_name(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Reachable => "reachable",
        Verdict::Blocked => "blocked",
        Verdict::Unknown => "unknown",
    }
}

/// Returns the problems found (empty when the scenario holds) and whether its top cause is
/// produced by a check that exists yet; a snapshot that differs fails the test (insta panics).
fn check(scenario: &Path) -> (Vec<String>, bool) {
    let name = scenario.file_name().unwrap().to_string_lossy().to_string();
    let expect: Expect = toml::from_str(&std::fs::read_to_string(scenario.join("expect.toml")).unwrap())
        .unwrap_or_else(|e| panic!("{name}/expect.toml: {e}"));
    let mut problems = Vec::new();
    let bundle = scenario_library::read(scenario);
    let report = pulldoctor_diagnosis::diagnose(&bundle.model, &Options::default());
    let implemented = expect.top_cause == "none" || codes::find(&expect.top_cause).is_some_and(|c| c.implemented);
    let fired: Vec<&str> = report.causes.iter().map(|c| c.code.as_str()).collect();
    if expect.top_cause == "none" && expect.unexplained {
        if report.affected.is_empty() || !report.causes.is_empty() {
            problems.push(format!("expected failing pods and no cause, got affected {} and causes {fired:?}", report.affected.len()));
        }
    } else if expect.top_cause == "none" {
        if !report.affected.is_empty() || !report.causes.is_empty() {
            problems.push(format!("expected no failure, got affected {} and causes {fired:?}", report.affected.len()));
        }
    } else if implemented {
        match report.causes.first() {
            None => problems.push(format!(
                "expected top cause {}, got none (gaps: {:?})",
                expect.top_cause,
                report.gaps.iter().map(|g| &g.what).collect::<Vec<_>>()
            )),
            Some(top) => {
                if top.code.as_str() != expect.top_cause {
                    problems.push(format!("expected top cause {}, got {} (all: {fired:?})", expect.top_cause, top.code));
                }
                for resource in &expect.top_resources {
                    if !top.resources.contains(resource) {
                        problems.push(format!("top cause lacks resource {resource} (has {:?})", top.resources));
                    }
                }
            }
        }
    }
    if let Some(observed) = &expect.observed {
        problems.extend(check_observed(&report, observed));
    }
    for code in &expect.must_not_fire {
        if fired.contains(&code.as_str()) {
            problems.push(format!("{code} must not fire, but did"));
        }
    }
    for code in &expect.also_fires {
        if codes::find(code).is_some_and(|c| c.implemented) && !fired.contains(&code.as_str()) {
            problems.push(format!("{code} should also fire (fired: {fired:?})"));
        }
    }
    for code in &expect.after_fix {
        match report.causes.iter().position(|c| c.code.as_str() == code.as_str()) {
            None => problems.push(format!("{code} should fire as an after-fix cause (fired: {fired:?})")),
            Some(position) => {
                let cause = &report.causes[position];
                if cause.timing != Timing::AfterFix {
                    problems.push(format!("{code} should be timed after-fix, is {:?}", cause.timing));
                }
                if report.causes[position..].iter().any(|c| c.timing == Timing::Now) {
                    problems.push(format!("{code} is ranked above a cause that blocks now"));
                }
            }
        }
    }
    for text in &expect.ruled_out {
        if !report.ruled_out.iter().any(|r| r.check.starts_with(text.as_str())) {
            problems.push(format!(
                "nothing ruled out starts with `{text}` (have: {:?})",
                report.ruled_out.iter().map(|r| &r.check).collect::<Vec<_>>()
            ));
        }
    }
    for text in &expect.gaps {
        if !report.gaps.iter().any(|g| g.what.starts_with(text.as_str())) {
            problems.push(format!("no gap starts with `{text}` (have: {:?})", report.gaps.iter().map(|g| &g.what).collect::<Vec<_>>()));
        }
    }
    let engine = Engine::new(&bundle.model);
    let mut path_snapshots = Vec::new();
    for path in &expect.path {
        let from = if path.from.starts_with("subnet-") {
            Origin::Subnet(path.from.clone())
        } else if path.from.starts_with("i-") {
            Origin::Instance(path.from.clone())
        } else {
            let node = bundle.model.nodes.get(&path.from).unwrap_or_else(|| panic!("{name}: no node {}", path.from));
            Origin::Instance(bundle.model.node_instance(node).unwrap().id.clone())
        };
        let (host, port) = path.to.rsplit_once(':').map(|(h, p)| (h.to_string(), p.parse().unwrap())).unwrap_or((path.to.clone(), 443));
        let target = match host.parse() {
            Ok(ip) => pulldoctor_net::Target { address: Some(ip), port, ..Default::default() },
            Err(_) => pulldoctor_net::Target { host: Some(host), port, ..Default::default() },
        };
        let result = engine.trace(&from, &target);
        path_snapshots.push(pulldoctor_render::path_text(&(&result).into(), &[], &[], pulldoctor_render::Style { color: false }));
        let got = verdict_name(result.verdict);
        let code = result.blocker.as_ref().map(|b| b.code.as_str());
        if got != path.verdict || (path.code.is_some() && code != path.code.as_deref()) {
            problems.push(format!("path {} -> {}: expected {} {:?}, got {got} {code:?}", path.from, path.to, path.verdict, path.code));
        }
    }
    // The JSON follows the published schema.
    let json: serde_json::Value = serde_json::from_str(&pulldoctor_render::json(&report)).unwrap();
    let errors: Vec<String> = validator().iter_errors(&json).map(|e| format!("{} at {}", e, e.instance_path)).take(5).collect();
    if !errors.is_empty() {
        problems.push(format!("the JSON report does not match docs/report.schema.json: {errors:?}"));
    }
    if !problems.is_empty() {
        return (problems, implemented);
    }
    // Reviewed snapshots of the three formats (and the paths), in the scenario's own folder.
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(workspace().join("crates/pulldoctor/tests/snapshots").join(&name));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_description(expect.description.clone());
    // Reports name the files they read (a probe's, say) as the reader was given them: absolute
    // here, so the checkout's own path is written as `[workspace]` to keep snapshots the same on
    // every machine.
    let root = workspace().display().to_string();
    let portable = |text: String| text.replace(&root, "[workspace]");
    settings.bind(|| {
        insta::assert_snapshot!("text", portable(pulldoctor_render::text(&report, pulldoctor_render::Style { color: false })));
        insta::assert_snapshot!("json", portable(pulldoctor_render::json(&report)));
        insta::assert_snapshot!("md", portable(pulldoctor_render::markdown(&report)));
        if !path_snapshots.is_empty() {
            insta::assert_snapshot!("path", path_snapshots.join("\n"));
        }
    });
    (problems, implemented)
}

/// The top cause's observation against `[observed]`.
fn check_observed(report: &pulldoctor_diagnosis::report::Report, expect: &ObservedExpect) -> Vec<String> {
    use pulldoctor_diagnosis::report::FactOutcome;
    let Some(top) = report.causes.first() else { return vec!["[observed]: no cause to observe".into()] };
    let Some(observation) = report.observation_of(top) else {
        return vec![format!("[observed]: no observation of the top cause {} (probes: {})", top.code, report.probes.len())];
    };
    let mut problems = Vec::new();
    if observation.verdict.as_str() != expect.verdict {
        problems.push(format!("[observed]: expected {}, got {} ({})", expect.verdict, observation.verdict.as_str(), observation.summary));
    }
    let confidence = serde_json::to_value(top.confidence).unwrap();
    if confidence != expect.confidence.as_str() {
        problems.push(format!("[observed]: expected {} confidence, got {confidence}", expect.confidence));
    }
    for (nodes, outcome) in [(&expect.reached_from, FactOutcome::Reached), (&expect.blocked_from, FactOutcome::Blocked)] {
        for node in nodes {
            if !observation.facts.iter().any(|f| f.node == *node && f.outcome == outcome) {
                problems.push(format!("[observed]: no {outcome:?} observation from {node}: {:?}", observation.facts));
            }
        }
    }
    problems
}

/// One scenario: `expect` is its `expect.toml`.
fn scenario(expect: &Path) -> datatest_stable::Result<()> {
    let folder = expect.parent().ok_or("expect.toml outside a folder")?.canonicalize()?;
    let name = folder.file_name().ok_or("a scenario folder without a name")?.to_string_lossy().to_string();
    let (problems, implemented) = check(&folder);
    if !implemented {
        eprintln!("{name}: its top cause has no check yet (only must_not_fire and paths asserted)");
    }
    if problems.is_empty() { Ok(()) } else { Err(Box::new(Problems(format!("{name}:\n    {}", problems.join("\n    "))))) }
}

/// A scenario's problems, one per line: datatest-stable prints a failure with `{:?}`, which for a
/// plain string would escape the line breaks.
struct Problems(String);

impl std::fmt::Debug for Problems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Display for Problems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Problems {}

/// An example (the seed incident and its fixed variant) is a scenario kept at the top level.
fn example(expect: &Path) -> datatest_stable::Result<()> {
    scenario(expect)
}

datatest_stable::harness! {
    { test = scenario, root = "../../fixtures/scenarios", pattern = r"^[^/]+/expect\.toml$" },
    { test = example, root = "../../examples", pattern = r"^[^/]+/expect\.toml$" },
}
