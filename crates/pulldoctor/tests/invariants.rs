//! Workspace invariants the compiler does not check by itself: no I/O below the binary, the
//! committed schema and check documentation are current, and properties over the whole scenario
//! library (each scenario alone is a test in `scenarios.rs`).

mod scenario_library;

use std::path::{Path, PathBuf};

use pulldoctor_diagnosis::{Options, codes};
use pulldoctor_net::{Engine, Origin};

use scenario_library::{scenarios, workspace};

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

/// Every code a check can produce is produced by some scenario (that each scenario's own
/// expectations hold, healthy ones producing nothing, is its own test in `scenarios.rs`).
#[test]
fn every_implemented_code_fires_in_some_scenario() {
    let all = scenarios();
    assert!(all.len() >= 3, "the scenario library is missing (found {})", all.len());
    let mut fired = std::collections::BTreeSet::new();
    for scenario in &all {
        let report = pulldoctor_diagnosis::diagnose(&scenario_library::read(scenario).model, &Options::default());
        fired.extend(report.causes.iter().map(|c| c.code));
    }
    let silent: Vec<&str> = codes::all().filter(|c| c.implemented && !fired.contains(&c.code)).map(|c| c.code.as_str()).collect();
    assert!(silent.is_empty(), "codes no scenario produces: {silent:?}");
}

/// Snapshots live in `tests/snapshots/<scenario>/` (and `cli/` for the CLI transcripts, `html/`
/// for the drawings of the HTML report): a folder
/// for a scenario that no longer exists is stale, not a test.
#[test]
fn every_snapshot_folder_is_a_scenario() {
    let names: Vec<String> = scenarios().iter().map(|s| s.file_name().unwrap().to_string_lossy().to_string()).collect();
    let snapshots = workspace().join("crates/pulldoctor/tests/snapshots");
    for entry in std::fs::read_dir(&snapshots).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        assert!(entry.path().is_dir(), "{name}: snapshots go in a folder per scenario");
        assert!(name == "cli" || name == "html" || names.contains(&name), "tests/snapshots/{name} belongs to no scenario");
    }
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
            let doc = codes::find(code.as_str()).unwrap_or_else(|| panic!("{code} of {} is not in codes.rs", info.name));
            assert!(doc.implemented, "{code} is produced by {} but marked not implemented", info.name);
        }
    }
    for code in codes::all().filter(|c| c.implemented) {
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
        let bundle = scenario_library::read(&scenario);
        let engine = Engine::new(&bundle.model);
        let hosts = [
            "111122223333.dkr.ecr.us-east-1.amazonaws.com",
            "818140567777.dkr.ecr.us-east-1.amazonaws.com",
            "api.ecr.us-east-1.amazonaws.com",
            "prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com",
            "quay.io",
        ];
        let queries: Vec<(Origin, pulldoctor_net::Target)> = bundle
            .model
            .instances
            .keys()
            .flat_map(|id| {
                hosts.iter().map(move |host| {
                    (Origin::Instance(id.clone()), pulldoctor_net::Target { host: Some(host.to_string()), port: 443, ..Default::default() })
                })
            })
            .collect();
        let shared = engine.trace_all(&queries);
        for ((from, target), result) in queries.iter().zip(shared) {
            assert_eq!(result, engine.trace(from, target), "{}: {from:?} -> {:?}", scenario.display(), target.host);
        }
    }
}

/// The crates at the edge: they may do I/O and read the clock, the environment and the machine
/// (the binary, the live collectors, the probe, which opens sockets by design, the bench, and the
/// TUI, which owns the terminal: only its `terminal.rs` touches it, the rest is pure state).
const EDGE: &[&str] = &["pulldoctor", "pulldoctor-live", "pulldoctor-probe", "pulldoctor-bench", "pulldoctor-tui"];

/// Calls that reach outside the process (files, environment, clock, machine, processes, network,
/// the terminal). A library crate takes what they would give as an input instead.
const OUTSIDE: &[&str] = &[
    "std::fs",
    "fs::read",
    "fs::write",
    "File::open",
    "File::create",
    "read_dir(",
    "std::env",
    "env::var",
    "env::args",
    "available_parallelism",
    "SystemTime::now",
    "Instant::now",
    "Utc::now",
    "Local::now",
    "std::process",
    "TcpStream",
    "UdpSocket",
    "stdin()",
    "stdout()",
    "stderr()",
    "println!",
    "eprintln!",
];

/// Known exceptions, each with the reason it is still there: (file, pattern).
const KNOWN: &[(&str, &str)] = &[];

/// The lines of a source file outside its `#[cfg(test)]` modules. rustfmt (checked by CI) puts
/// the closing brace of a top-level module alone at column 0, which ends the skipped block.
fn non_test_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((number, line)) = lines.next() {
        if line.trim() == "#[cfg(test)]" {
            let next = lines.peek().map(|(_, l)| l.trim()).unwrap_or_default();
            if next.starts_with("mod ") && next.ends_with('{') {
                for (_, inner) in lines.by_ref() {
                    if inner == "}" {
                        break;
                    }
                }
            }
            continue;
        }
        out.push((number + 1, line));
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") && path.file_name().is_some_and(|n| n != "tests.rs") {
            out.push(path);
        }
    }
}

/// "No I/O below the binary": the library crates' own code (not their tests) never touches
/// files, the environment, the clock or the machine. chrono's `clock` feature is off for them
/// (scripts/test.sh checks them alone, so `Utc::now()` does not compile there); this catches the
/// rest of std.
#[test]
fn no_io_below_the_binary() {
    let root = workspace();
    let mut libraries: Vec<PathBuf> = std::fs::read_dir(root.join("crates")).unwrap().flatten().map(|e| e.path()).collect();
    libraries.retain(|path| path.file_name().and_then(|n| n.to_str()).is_some_and(|n| !EDGE.contains(&n)));
    libraries.sort();
    assert!(libraries.len() >= 7, "found only {libraries:?}");
    let mut found = Vec::new();
    for library in &libraries {
        let mut files = Vec::new();
        rust_files(&library.join("src"), &mut files);
        for file in files {
            let relative = file.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
            let text = std::fs::read_to_string(&file).unwrap();
            for (number, line) in non_test_lines(&text) {
                let code = line.split("//").next().unwrap_or_default();
                for pattern in OUTSIDE {
                    if code.contains(pattern) && !KNOWN.contains(&(relative.as_str(), *pattern)) {
                        found.push(format!("{relative}:{number}: `{pattern}` in `{}`", line.trim()));
                    }
                }
            }
        }
    }
    assert!(found.is_empty(), "I/O below the binary (take it as an input from the edge instead):\n  {}", found.join("\n  "));
}

/// The scanner itself: test modules are skipped, code after them is not.
#[test]
fn the_scanner_skips_only_test_modules() {
    let text = "fn a() {}\n#[cfg(test)]\nmod tests {\n    fn t() { std::fs::read(\"x\"); }\n}\nfn b() { std::fs::read(\"y\"); }\n";
    let lines: Vec<&str> = non_test_lines(text).into_iter().map(|(_, l)| l).collect();
    assert_eq!(lines, vec!["fn a() {}", "fn b() { std::fs::read(\"y\"); }"]);
}

/// Each crate's `src` folder with its Rust files (test files named `tests.rs` left out).
fn crates_with_sources() -> Vec<(PathBuf, Vec<PathBuf>)> {
    let mut out = Vec::new();
    for krate in std::fs::read_dir(workspace().join("crates")).unwrap().flatten().map(|e| e.path()) {
        let src = krate.join("src");
        if src.is_dir() {
            let mut files = Vec::new();
            rust_files(&src, &mut files);
            out.push((src, files));
        }
    }
    out
}

/// The most lines of code (tests apart) one source file may hold: past it a file holds more than
/// one idea, and should be split along its seams.
const MAX_LINES_PER_FILE: usize = 600;

/// "One file per idea": no source file under `crates/*/src` has more than [`MAX_LINES_PER_FILE`]
/// lines outside its test modules (files named `tests.rs` are tests and not counted).
#[test]
fn no_source_file_is_too_long() {
    let root = workspace();
    let mut too_long = Vec::new();
    for (_, files) in crates_with_sources() {
        for file in files {
            let n_lines = non_test_lines(&std::fs::read_to_string(&file).unwrap()).len();
            if n_lines > MAX_LINES_PER_FILE {
                let relative = file.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
                too_long.push(format!("{relative}: {n_lines} lines"));
            }
        }
    }
    too_long.sort();
    assert!(
        too_long.is_empty(),
        "source files over {MAX_LINES_PER_FILE} lines of non-test code (split them along their seams):\n  {}",
        too_long.join("\n  ")
    );
}

/// The top-level module a source file belongs to: `src/checks/network_path/fixes.rs` is `checks`,
/// `src/lib.rs` and `src/main.rs` are the crate root (`None`).
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_string_lossy().to_string();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (!matches!(name.as_str(), "lib" | "main")).then_some(name)
}

/// The crate's own top-level modules a piece of code names: `crate::credentials::reaching` and
/// `use crate::{context::Context, report::Cause}` name `credentials`, `context` and `report`.
fn named_modules(code: &str, modules: &std::collections::BTreeSet<String>) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        // `crate::{a::X, b}`: every name the braces open with; `crate::a::X`: `a`.
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(inner) => inner.split('}').next().unwrap_or_default().split(',').collect(),
            None => vec![rest],
        };
        for name in names {
            let name: String = name.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if modules.contains(&name) {
                out.insert(name);
            }
        }
    }
    out
}

/// No import loop inside any crate: the top-level modules of each crate form a graph that flows
/// one way (a check imports shared modules, never another check's; the report types import no
/// analysis). A loop makes a crate a knot that can only be read all at once.
#[test]
fn no_import_loop_inside_a_crate() {
    let mut loops = Vec::new();
    for (src, files) in crates_with_sources() {
        let krate = src.parent().unwrap().to_path_buf();
        let modules: std::collections::BTreeSet<String> = files.iter().filter_map(|f| top_module(&src, f)).collect();
        let mut edges: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
        for file in &files {
            let Some(from) = top_module(&src, file) else { continue };
            let text = std::fs::read_to_string(file).unwrap();
            let mut code: String = non_test_lines(&text).into_iter().map(|(_, line)| line.split("//").next().unwrap_or_default()).collect();
            // In a top-level file (`src/x.rs`), `super::` is the crate root.
            if file.parent() == Some(src.as_path()) {
                code = code.replace("super::", "crate::");
            }
            for to in named_modules(&code, &modules) {
                if to != from {
                    edges.entry(from.clone()).or_default().insert(to);
                }
            }
        }
        // A module that reaches itself is in a loop: depth-first search from each.
        for start in edges.keys() {
            let mut stack: Vec<Vec<String>> = vec![vec![start.clone()]];
            let mut seen = std::collections::BTreeSet::new();
            while let Some(path) = stack.pop() {
                let last = path.last().unwrap();
                for next in edges.get(last).into_iter().flatten() {
                    if next == start {
                        loops.push(format!("{}: {} -> {start}", krate.file_name().unwrap().to_string_lossy(), path.join(" -> ")));
                    } else if seen.insert(next.clone()) {
                        let mut longer = path.clone();
                        longer.push(next.clone());
                        stack.push(longer);
                    }
                }
            }
        }
    }
    loops.sort();
    loops.dedup();
    assert!(loops.is_empty(), "import loops between a crate's modules:\n  {}", loops.join("\n  "));
}

#[test]
fn the_import_scan_sees_grouped_and_plain_paths() {
    let modules: std::collections::BTreeSet<String> = ["context", "report", "checks"].iter().map(|s| s.to_string()).collect();
    let named = named_modules("use crate::{context::Context, report::Cause};\nlet x = crate::checks::CHECKS;", &modules);
    assert_eq!(named.into_iter().collect::<Vec<_>>(), ["checks", "context", "report"]);
}
