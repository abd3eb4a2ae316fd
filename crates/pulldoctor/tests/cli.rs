//! The real binary: exit codes, stdout and stderr together, snapshotted.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_pulldoctor"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        // `diagnose` without a bundle collects live: make sure nothing here can reach out.
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn transcript(args: &[&str]) -> String {
    let (code, stdout, stderr) = run(args);
    format!("$ pulldoctor {}\nexit: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}", args.join(" "))
}

fn snapshot(name: &str, args: &[&str]) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("crates/pulldoctor/tests/snapshots/cli"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, transcript(args)));
}

const SEED: &str = "examples/rosa-ecr-main-route-table";

#[test]
fn diagnose_the_seed_as_json() {
    let (code, stdout, stderr) = run(&["diagnose", SEED, "--format", "json"]);
    assert_eq!(code, 1, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["causes"][0]["code"], "route.no-route");
    for key in ["causes", "ruled_out", "affected", "gaps"] {
        assert!(report[key].is_array(), "{key}");
    }
    for cause in report["causes"].as_array().unwrap() {
        for key in ["code", "layer", "summary", "resources", "evidence", "fix"] {
            assert!(!cause[key].is_null(), "cause lacks {key}");
        }
    }
    for affected in report["affected"].as_array().unwrap() {
        for key in ["namespace", "pod", "container", "image", "node", "error_class", "error_message"] {
            assert!(affected.get(key).is_some(), "affected lacks {key}");
        }
    }
}

#[test]
fn exit_codes() {
    assert_eq!(run(&["diagnose", "examples/rosa-ecr-main-route-table-fixed"]).0, 0);
    assert_eq!(run(&["diagnose", SEED]).0, 1);
    assert_eq!(run(&["diagnose", "/nonexistent/bundle"]).0, 2);
    assert_eq!(run(&["diagnose"]).0, 2);
    assert_eq!(run(&["diagnose", SEED, "--format", "yaml"]).0, 2);
    assert_eq!(run(&["diagnose", SEED, "--now", "tomorrow"]).0, 2);
}

#[test]
fn transcripts() {
    snapshot("help", &["--help"]);
    snapshot("diagnose-help", &["diagnose", "--help"]);
    snapshot("missing-bundle", &["diagnose", "/nonexistent/bundle"]);
    snapshot("path-seed", &["path", SEED, "--from", "ip-10-0-60-229.ec2.internal", "--to", "818140567777.dkr.ecr.us-east-1.amazonaws.com"]);
    snapshot(
        "path-seed-dialled",
        &["path", SEED, "--from", "i-0a55ceb4cccc05ed8", "--to", "818140567777.dkr.ecr.us-east-1.amazonaws.com@52.207.2.251"],
    );
    snapshot("path-unknown-node", &["path", SEED, "--from", "no-such-node", "--to", "quay.io"]);
    snapshot("explain-route", &["explain", "route.no-route"]);
    snapshot("explain-unknown", &["explain", "route.nope"]);
    snapshot("classify", &["classify", "dial tcp 52.207.2.251:443: i/o timeout", "manifest unknown"]);
    snapshot("compare-seed", &["compare", SEED]);
    snapshot("diagnose-namespace-filter", &["diagnose", SEED, "-n", "harness-delegate-ng", "--format", "markdown"]);
    // what people already have: a must-gather with the AWS side beside it; a must-gather alone
    snapshot(
        "diagnose-must-gather",
        &[
            "diagnose",
            "fixtures/must-gather/rosa-ecr-main-route-table",
            "examples/rosa-ecr-main-route-table/aws",
            "-n",
            "harness-delegate-ng",
        ],
    );
    snapshot("diagnose-must-gather-alone", &["diagnose", "fixtures/must-gather/rosa-ecr-main-route-table", "-n", "harness-delegate-ng"]);
}

/// Bad files are named with their JSON path or position: a warning and a gap each by default,
/// an error (exit 2, nothing on standard output) under --strict.
#[test]
fn bad_input_names_file_and_path_and_is_exit_2_under_strict() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rt.json"),
        r#"{"RouteTables":[{"RouteTableId":"rtb-1","VpcId":"vpc-1","Routes":[{"DestinationCidrBlock":42}]}]}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("cut.json"), r#"{"Subnets": [{"SubnetId": "#).unwrap();
    let bundle = dir.path().to_str().unwrap();
    let (code, stdout, stderr) = run(&["diagnose", bundle, "--strict"]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains("rt.json: at `RouteTables[0].Routes[0].DestinationCidrBlock`"), "{stderr}");
    assert!(stderr.contains("cut.json") && stderr.contains("truncated"), "{stderr}");
    assert!(!stderr.contains("panicked"));

    let (code, stdout, stderr) = run(&["diagnose", bundle, "--format", "json"]);
    assert_eq!(code, 0, "no pods, nothing fails: {stderr}");
    assert!(stderr.contains("warning: cannot read") && stderr.contains("rt.json: at `RouteTables[0].Routes[0].DestinationCidrBlock`"));
    assert!(stderr.contains("cut.json: the JSON ends early (truncated?): line 1"), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let gaps: Vec<String> = report["gaps"].as_array().unwrap().iter().map(|g| format!("{}: {}", g["what"], g["why"])).collect();
    assert!(gaps.iter().any(|g| g.contains("rt.json") && g.contains("RouteTables[0].Routes[0].DestinationCidrBlock")), "{gaps:?}");
    assert!(gaps.iter().any(|g| g.contains("cut.json") && g.contains("(it seems to be Subnets)")), "{gaps:?}");
}

/// A copy of `example` whose `describe-route-tables` output was cut in half (an interrupted
/// redirect).
fn with_cut_route_tables(example: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap().flatten() {
            if entry.path().is_dir() {
                copy(&entry.path(), &to.join(entry.file_name()));
            } else {
                std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(&root().join(example), dir.path());
    let tables = dir.path().join("aws/ec2-describe-route-tables.json");
    let bytes = std::fs::read(&tables).unwrap();
    std::fs::write(&tables, &bytes[..bytes.len() / 2]).unwrap();
    dir
}

/// Issue 16: one damaged file no longer sinks the diagnosis. The seed with its route tables cut
/// short is still diagnosed (its pods, errors, scope), with a gap naming the file, the error and
/// what the file seems to be; no path goes through route tables that could not be read.
#[test]
fn issue_16_a_cut_route_table_file_still_gives_a_diagnosis() {
    let dir = with_cut_route_tables(SEED);
    let bundle = dir.path().to_str().unwrap();
    let file = dir.path().join("aws/ec2-describe-route-tables.json").display().to_string();
    let (code, stdout, stderr) = run(&["diagnose", bundle, "--format", "json"]);
    assert_eq!(code, 1, "failing pods were diagnosed: {stderr}");
    assert!(stderr.contains(&format!("pulldoctor: warning: cannot read {file}: the JSON ends early (truncated?): line ")), "{stderr}");
    assert!(stderr.contains("(it seems to be RouteTables); --strict makes this an error"), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["affected"].as_array().unwrap().len(), 4, "the pods are still read");
    let gap =
        report["gaps"].as_array().unwrap().iter().find(|g| g["what"] == format!("unreadable file {file}")).expect("a gap for the file");
    let why = gap["why"].as_str().unwrap();
    assert!(why.contains("(it seems to be RouteTables)") && why.contains("truncated") && why.contains("line "), "{why}");
    assert_eq!(gap["command"], "aws ec2 describe-route-tables --output json");
    // Route tables count as absent: no cause rests on them, and no path is settled without them.
    let causes: Vec<&str> = report["causes"].as_array().unwrap().iter().filter_map(|c| c["code"].as_str()).collect();
    assert!(!causes.iter().any(|c| c.starts_with("route.")), "{causes:?}");
    let paths = report["paths"].as_array().unwrap();
    assert!(!paths.is_empty());
    for path in paths {
        assert_eq!(path["result"]["verdict"], "unknown", "{}", path["result"]["to"]);
        assert!(path["result"]["route_table_id"].is_null());
    }

    // The fixed example, whose paths are reachable when whole: cut, they are unknown.
    let fixed = "examples/rosa-ecr-main-route-table-fixed";
    let trace = ["--from", "ip-10-0-60-229.ec2.internal", "--to", "818140567777.dkr.ecr.us-east-1.amazonaws.com", "--format", "json"];
    let verdict = |bundle: &str| {
        let (code, stdout, stderr) = run(&[&["path", bundle][..], &trace[..]].concat());
        let result: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
        (code, result["verdict"].as_str().unwrap_or_default().to_string())
    };
    assert_eq!(verdict(fixed), (0, "reachable".to_string()));
    let cut = with_cut_route_tables(fixed);
    assert_eq!(verdict(cut.path().to_str().unwrap()), (1, "unknown".to_string()));
}

/// Issue 16 under --strict: the damaged file is an error again, exit 2, naming it.
#[test]
fn issue_16_strict_stops_at_the_cut_file() {
    let dir = with_cut_route_tables(SEED);
    let file = dir.path().join("aws/ec2-describe-route-tables.json").display().to_string();
    let (code, stdout, stderr) = run(&["diagnose", dir.path().to_str().unwrap(), "--strict"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("1 file in the bundle could not be read"), "{stderr}");
    assert!(stderr.contains(&format!("{file}: the JSON ends early (truncated?): line ")), "{stderr}");
}

#[test]
fn colour_only_when_asked() {
    let (_, plain, _) = run(&["diagnose", SEED]);
    assert!(!plain.contains('\u{1b}'));
    let (_, coloured, _) = run(&["diagnose", SEED, "--color", "always"]);
    assert!(coloured.contains("\u{1b}["));
}

#[test]
fn text_fits_100_columns_except_commands() {
    let (_, stdout, _) = run(&["diagnose", SEED]);
    for line in stdout.lines() {
        let command = line.trim_start().starts_with("$ ") || line.trim_start().starts_with('#');
        assert!(command || line.chars().count() <= 100, "too wide: {line}");
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pulldoctor"))
        .args(["diagnose", SEED, "--format", "markdown"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child.stderr.unwrap().read_to_string(&mut stderr).unwrap();
    assert!(!stderr.contains("Broken pipe") && !stderr.contains("panicked"), "{stderr}");
    assert!(matches!(status.code(), Some(0) | Some(1)), "{status:?}");
}

#[test]
fn no_secret_reaches_any_output() {
    use base64::Engine;
    // Every password, auth and data value in the example's secrets must be absent from every format.
    let mut secrets = Vec::new();
    for entry in std::fs::read_dir(root().join(SEED).join("k8s")).unwrap().flatten() {
        let value: serde_json::Value = serde_json::from_slice(&std::fs::read(entry.path()).unwrap()).unwrap();
        let items = value.get("items").and_then(|i| i.as_array()).cloned().unwrap_or_else(|| vec![value.clone()]);
        for item in items.iter().filter(|i| i["kind"] == "Secret") {
            for data in item["data"].as_object().into_iter().flat_map(|d| d.values()).filter_map(|v| v.as_str()) {
                secrets.push(data.to_string());
                let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(data) else { continue };
                let Ok(config) = serde_json::from_slice::<serde_json::Value>(&decoded) else { continue };
                let auths = config.get("auths").cloned().unwrap_or(config);
                for auth in auths.as_object().into_iter().flat_map(|a| a.values()) {
                    for field in ["password", "auth"] {
                        if let Some(text) = auth[field].as_str() {
                            secrets.push(text.to_string());
                        }
                    }
                }
            }
        }
    }
    assert!(secrets.len() >= 4, "the example should have secrets to check");
    for format in ["text", "json", "markdown"] {
        let (_, stdout, stderr) = run(&["diagnose", SEED, "--format", format]);
        for secret in &secrets {
            let probe = &secret[..secret.len().min(40)];
            assert!(!stdout.contains(probe) && !stderr.contains(probe), "{format}: secret bytes reached the output");
        }
    }
}

/// docs/codes.md is what `pulldoctor explain --markdown` prints.
#[test]
fn the_codes_document_is_current() {
    let (code, stdout, _) = run(&["explain", "--markdown"]);
    assert_eq!(code, 0);
    let committed = std::fs::read_to_string(root().join("docs/codes.md")).unwrap();
    assert!(committed == stdout, "docs/codes.md is stale: run `cargo run -- explain --markdown > docs/codes.md`");
}
