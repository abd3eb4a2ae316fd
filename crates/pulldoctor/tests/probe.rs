//! `pulldoctor probe`, the real binary: exit codes, the step table and the JSON document.
//! (Real registries, DNS servers and proxies are in scripts/probe-lab.sh.)

use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pulldoctor"));
    command.arg("probe").args(args).env("NO_COLOR", "1");
    for name in ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"] {
        command.env_remove(name);
    }
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Without --local the probe goes to the cluster: a build without live mode says how to get it,
/// one with it says the cluster cannot be read (here no kubeconfig): exit 2 either way, nothing on
/// standard output.
#[test]
fn in_the_cluster_needs_live_mode_and_a_cluster() {
    for args in [&["registry.example.com/app:1"][..], &["--node", "ip-10-0-1-1", "registry.example.com/app:1"], &["--dry-run"]] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pulldoctor"));
        let dir = tempfile::tempdir().unwrap();
        let output = command
            .arg("probe")
            .args(args)
            .env("KUBECONFIG", dir.path().join("none"))
            .env_remove("KUBERNETES_SERVICE_HOST")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
        if cfg!(feature = "live") {
            assert!(stderr.contains("the cluster could not be read"), "{args:?}: {stderr}");
        } else {
            assert!(stderr.contains("needs live mode") && stderr.contains("--local"), "{args:?}: {stderr}");
        }
    }
    // what only --local can take
    let (code, _, stderr) = run(&["--local", "--dry-run", "registry.example.com/app:1"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = run(&["--local"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--local needs IMAGE or REGISTRY"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["--local", "Registry.Example/App:1"][..],
        &["--local", "nginx"],
        &["--local", "--timeout", "forever", "registry.example.com/app:1"],
        &["--local", "--platform", "arm64", "registry.example.com/app:1"],
        &["--local", "--https-proxy", "socks5://proxy:1080", "registry.example.com/app:1"],
        &["--local", "--pull-secret", "/nonexistent/secret.json", "registry.example.com/app:1"],
    ] {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}");
        assert!(stderr.starts_with("pulldoctor: error: "), "{args:?}: {stderr}");
    }
}

#[test]
fn a_refused_connection_fails_the_connect_step_and_skips_the_rest() {
    let port = closed_port();
    let image = format!("127.0.0.1:{port}/demo/app:1.0");
    let file = tempfile::NamedTempFile::new().unwrap();
    let path = file.path().to_str().unwrap();
    let (code, stdout, stderr) = run(&["--local", "--timeout", "2s", "--format", "json", "-o", path, &image]);
    assert_eq!(code, 1, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report,
        serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(path).unwrap()).unwrap(),
        "-o writes what is printed"
    );
    assert_eq!((report["kind"].as_str(), report["apiVersion"].as_str()), (Some("PulldoctorProbe"), Some("pulldoctor/v1")));
    assert_eq!(report["result"], "failed");
    assert_eq!(report["failedStep"], "connect");
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 7);
    assert_eq!(steps[0]["status"], "passed");
    assert_eq!(steps[1]["failure"]["class"], "connection-refused");
    assert_eq!(steps[1]["connections"][0]["address"], format!("127.0.0.1:{port}"));
    assert!(steps[1]["failure"]["message"].as_str().unwrap().contains(&format!("dial tcp 127.0.0.1:{port}: connect: connection refused")));
    for step in &steps[2..] {
        assert_eq!((step["status"].as_str(), step["skippedBecause"].as_str()), (Some("skipped"), Some("connect failed")));
    }
}

#[test]
fn the_table_fits_100_columns_without_colour_in_a_pipe() {
    let image = format!("127.0.0.1:{}/a/very/long/repository/name/that/goes/on/and/on:1.0", closed_port());
    let (code, stdout, _) = run(&["--local", "--timeout", "2s", &image]);
    assert_eq!(code, 1);
    assert!(!stdout.contains('\x1b'), "no colour in a pipe");
    for line in stdout.lines() {
        assert!(line.chars().count() <= 100, "{} columns: {line}", line.chars().count());
    }
    let table: Vec<&str> = stdout.lines().skip_while(|l| !l.starts_with("STEP")).collect();
    for name in ["resolve", "connect", "tls", "ping", "credentials", "manifest", "blob"] {
        assert!(table.iter().any(|l| l.starts_with(name)), "no row for {name}:\n{stdout}");
    }
    assert!(stdout.contains("-> class connection-refused"), "{stdout}");
    assert!(stdout.lines().last().unwrap().starts_with("failed at connect: connection-refused, after "), "{stdout}");
}
