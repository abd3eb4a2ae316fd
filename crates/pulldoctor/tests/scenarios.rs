//! Scenario tests: every folder under `fixtures/scenarios/` and `examples/` with an `expect.toml`
//! is a bundle plus its expectations. Each is diagnosed, its expectations asserted (top cause and
//! its resources, codes that must or must not fire, path verdicts), and its text, JSON and
//! Markdown reports compared with reviewed snapshots. A snapshot alone asserts nothing; the
//! expectations beside it do.

use std::path::{Path, PathBuf};

use pulldoctor_bundle::{ReadOptions, read_bundle};
use pulldoctor_diagnosis::report::Timing;
use pulldoctor_diagnosis::{Options, codes};
use pulldoctor_net::{Engine, From, Verdict};
use serde::Deserialize;

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
    #[serde(default)]
    path: Vec<PathExpect>,
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

/// The committed schema is the one the code generates (`pulldoctor schema > docs/report.schema.json`).
#[test]
fn the_committed_schema_is_current() {
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(workspace().join("docs/report.schema.json")).unwrap()).unwrap();
    assert!(
        committed == pulldoctor_diagnosis::report::schema(),
        "docs/report.schema.json is stale: run `cargo run -- schema > docs/report.schema.json`"
    );
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn scenarios() -> Vec<PathBuf> {
    let root = workspace();
    let mut out = Vec::new();
    for parent in ["fixtures/scenarios", "examples"] {
        let Ok(entries) = std::fs::read_dir(root.join(parent)) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.path().join("expect.toml").exists() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    out
}

fn bundle_dir(scenario: &Path) -> PathBuf {
    let nested = scenario.join("bundle");
    if nested.is_dir() { nested } else { scenario.to_path_buf() }
}

fn verdict_name(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Reachable => "reachable",
        Verdict::Blocked => "blocked",
        Verdict::Unknown => "unknown",
    }
}

/// Returns the problems found (empty when the scenario holds) and whether its top cause is
/// produced by a check that exists yet.
fn check(scenario: &Path) -> (Vec<String>, bool, Vec<&'static str>) {
    let name = scenario.file_name().unwrap().to_string_lossy().to_string();
    let expect: Expect = toml::from_str(&std::fs::read_to_string(scenario.join("expect.toml")).unwrap())
        .unwrap_or_else(|e| panic!("{name}/expect.toml: {e}"));
    let mut problems = Vec::new();
    let bundle = read_bundle(&bundle_dir(scenario), &ReadOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let report = pulldoctor_diagnosis::diagnose(&bundle.model, &Options::default());
    let implemented = expect.top_cause == "none" || codes::find(&expect.top_cause).is_some_and(|c| c.implemented);
    let fired: Vec<&str> = report.causes.iter().map(|c| c.code).collect();
    if expect.top_cause == "none" {
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
                if top.code != expect.top_cause {
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
        match report.causes.iter().position(|c| c.code == code.as_str()) {
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
    let engine = Engine::new(&bundle.model);
    let mut path_snapshots = Vec::new();
    for path in &expect.path {
        let from = if path.from.starts_with("subnet-") {
            From::Subnet(path.from.clone())
        } else if path.from.starts_with("i-") {
            From::Instance(path.from.clone())
        } else {
            let node = bundle.model.nodes.get(&path.from).unwrap_or_else(|| panic!("{name}: no node {}", path.from));
            From::Instance(bundle.model.node_instance(node).unwrap().id.clone())
        };
        let (host, port) = path.to.rsplit_once(':').map(|(h, p)| (h.to_string(), p.parse().unwrap())).unwrap_or((path.to.clone(), 443));
        let target = match host.parse() {
            Ok(ip) => pulldoctor_net::Target { address: Some(ip), port, ..Default::default() },
            Err(_) => pulldoctor_net::Target { host: Some(host), port, ..Default::default() },
        };
        let result = engine.trace(&from, &target);
        path_snapshots.push(pulldoctor_render::path_text(&result, &[], pulldoctor_render::Style { color: false }));
        let got = verdict_name(result.verdict);
        let code = result.blocker.as_ref().map(|b| b.code);
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
    // Reviewed snapshots of the three formats.
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(workspace().join("crates/pulldoctor/tests/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_description(expect.description.clone());
    settings.bind(|| {
        insta::assert_snapshot!(format!("{name}.text"), pulldoctor_render::text(&report, pulldoctor_render::Style { color: false }));
        insta::assert_snapshot!(format!("{name}.json"), pulldoctor_render::json(&report));
        insta::assert_snapshot!(format!("{name}.md"), pulldoctor_render::markdown(&report));
        if !path_snapshots.is_empty() {
            insta::assert_snapshot!(format!("{name}.path"), path_snapshots.join("\n"));
        }
    });
    let fired = report.causes.iter().map(|c| c.code).collect();
    (problems, implemented, fired)
}

#[test]
fn every_scenario_meets_its_expectations() {
    let all = scenarios();
    assert!(all.len() >= 3, "the scenario library is missing (found {})", all.len());
    let mut failed = Vec::new();
    let mut pending = Vec::new();
    let mut all_fired = std::collections::BTreeSet::new();
    for scenario in &all {
        let name = scenario.file_name().unwrap().to_string_lossy().to_string();
        let (problems, implemented, fired) = check(scenario);
        all_fired.extend(fired);
        if !implemented {
            pending.push(name.clone());
        }
        if !problems.is_empty() {
            failed.push(format!("{name}:\n    {}", problems.join("\n    ")));
        }
    }
    if !pending.is_empty() {
        eprintln!("scenarios whose top cause has no check yet (only must_not_fire and paths asserted): {}", pending.join(", "));
    }
    assert!(failed.is_empty(), "{} of {} scenarios failed:\n  {}", failed.len(), all.len(), failed.join("\n  "));
    // Every code a check can produce is produced by some scenario (healthy ones produce none: asserted above).
    let silent: Vec<&str> = codes::CODES.iter().filter(|c| c.implemented && !all_fired.contains(c.code)).map(|c| c.code).collect();
    assert!(silent.is_empty(), "codes no scenario produces: {silent:?}");
}

/// Every check documents itself under the five headings `pulldoctor explain` prints, and every
/// code it declares is documented for users.
#[test]
fn every_check_is_documented() {
    for check in pulldoctor_diagnosis::checks::CHECKS {
        let info = check.info();
        for heading in ["## What it checks", "## Why it breaks pulls", "## Evidence", "## Fix and its risk", "## Known limits"] {
            assert!(info.docs.contains(heading), "check {} lacks `{heading}`", info.name);
        }
        for code in info.codes {
            let doc = codes::find(code).unwrap_or_else(|| panic!("{code} of {} is not in codes.rs", info.name));
            assert!(doc.implemented, "{code} is produced by {} but marked not implemented", info.name);
        }
    }
    for code in codes::CODES.iter().filter(|c| c.implemented) {
        assert!(
            pulldoctor_diagnosis::checks::CHECKS.iter().any(|c| c.info().codes.contains(&code.code)),
            "{} is marked implemented but no check declares it",
            code.code
        );
    }
}

/// Tracing many paths shares work between them (hop texts, the NAT gateway's outward leg):
/// every result must equal the one a lone trace gives.
#[test]
fn shared_tracing_equals_lone_tracing() {
    for scenario in scenarios() {
        let bundle = read_bundle(&bundle_dir(&scenario), &ReadOptions::default()).unwrap();
        let engine = Engine::new(&bundle.model);
        let hosts = [
            "111122223333.dkr.ecr.us-east-1.amazonaws.com",
            "818140567777.dkr.ecr.us-east-1.amazonaws.com",
            "api.ecr.us-east-1.amazonaws.com",
            "prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com",
            "quay.io",
        ];
        let queries: Vec<(From, pulldoctor_net::Target)> = bundle
            .model
            .instances
            .keys()
            .flat_map(|id| {
                hosts.iter().map(move |host| {
                    (From::Instance(id.clone()), pulldoctor_net::Target { host: Some(host.to_string()), port: 443, ..Default::default() })
                })
            })
            .collect();
        let shared = engine.trace_all(&queries);
        for ((from, target), result) in queries.iter().zip(shared) {
            assert_eq!(result, engine.trace(from, target), "{}: {from:?} -> {:?}", scenario.display(), target.host);
        }
    }
}
