//! `pulldoctor tui` end to end in a real terminal: Debian's tmux runs the binary on the seed
//! incident, `send-keys` types as a new user would and `capture-pane` reads the screen. From the
//! failing pod to the fix in three keys (Enter, Enter, f), then help, search, the escalation
//! package and quit. Each screen is also kept with its colours (`capture-pane -e`) in
//! `target/tui-screens/` for the README's picture. In a pipe the TUI refuses to draw (exit 2).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::tmux::Tmux;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

#[test]
fn from_the_failing_pod_to_the_fix_in_a_real_terminal() {
    // It runs where a user would: in a directory of their own (the package goes there), the
    // bundle named as typed.
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join("examples")).unwrap();
    std::os::unix::fs::symlink(root().join("examples/rosa-ecr-main-route-table"), work.path().join("examples/rosa-ecr-main-route-table"))
        .unwrap();
    // No cluster and no AWS reachable (x runs `pulldoctor fix`, which reads them live first).
    let command = format!(
        "TERM=xterm-256color KUBECONFIG=/nonexistent AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_ENDPOINT_URL=http://127.0.0.1:9 {} tui examples/rosa-ecr-main-route-table",
        env!("CARGO_BIN_EXE_pulldoctor")
    );
    let tmux = Tmux::start(&command, 120, 40, work.path());

    // A new user sees the layers and the failing pods with their real errors.
    let screen = tmux.wait_for("4 failing container(s)");
    for text in ["✗ Symptoms", "✗ Network path", "route.no-route", "52.207.2.251:443: i/o timeout", "? help"] {
        assert!(screen.contains(text), "`{text}` not on the first screen:\n{screen}");
    }
    tmux.keep("1-symptoms");

    // Enter: into the pods. Enter: the first pod's cause with its evidence chain.
    tmux.send(&["Enter"]);
    tmux.send(&["Enter"]);
    let screen = tmux.wait_for("evidence:");
    assert!(screen.contains("Causes") && screen.contains("1. route.no-route"), "{screen}");
    assert!(screen.contains("main route table rtb-04d162c9e2b6a4cbd"), "{screen}");
    tmux.keep("2-cause");

    // f: the fix, with the command that makes it.
    tmux.send(&["f"]);
    // (the right pane's words: "Fix plan" alone is also the left pane's)
    let screen = tmux.wait_for("fix: Add a route in rtb-04d162c9e2b6a4cbd to nat-01d1f2b5f9a3b8d14");
    assert!(screen.contains("┌ Fix plan"), "{screen}");
    assert!(screen.contains("$ aws ec2 create-route --route-table-id rtb-04d162c9e2b6a4cbd"), "{screen}");
    tmux.keep("3-fix");

    // y copies the selected command (the status bar says which).
    tmux.send(&["y"]);
    tmux.wait_for("copied: aws ec2 create-route --route-table-id rtb-04d162c9e2b6a4cbd");
    // x: `pulldoctor fix` for the selected option on the ordinary screen. Here it cannot read
    // the cluster, so it says so and changes nothing; Enter returns to the troubleshooter.
    tmux.send(&["x"]);
    let screen = tmux.wait_for("press Enter to return to the troubleshooter");
    assert!(screen.contains("not applied:"), "{screen}");
    tmux.send(&["Enter"]);
    tmux.wait_for("┌ Fix plan");

    // ? help, / search across every pane.
    tmux.send(&["?"]);
    tmux.wait_for("From a failing pod to its fix: Enter, Enter, f.");
    // `?` again closes it (an Escape followed at once by `/` would read as Alt-/)
    tmux.send(&["?"]);
    tmux.wait_until_gone("From a failing pod to its fix");
    tmux.send(&["/", "p", "l", "-", "6", "3", "a", "5", "4", "0", "0", "a", "Enter"]);
    let screen = tmux.wait_for("/pl-63a5400a: in");
    assert!(screen.contains("pl-63a5400a"), "{screen}");

    // a: the escalation package, written where the TUI runs.
    tmux.send(&["a"]);
    tmux.wait_for("wrote the escalation package");
    let packages: Vec<_> =
        std::fs::read_dir(work.path()).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().ends_with(".tar.gz")).collect();
    assert_eq!(packages.len(), 1);

    // the terminal resized: the TUI redraws for the new size
    assert!(tmux.run(&["resize-window", "-t", "0", "-x", "80", "-y", "24"]).status.success());
    let start = Instant::now();
    let mut screen = tmux.screen();
    while !(screen.lines().all(|l| l.chars().count() <= 80)
        && screen.lines().count() <= 24
        && screen.contains("┌Layers")
        && screen.contains("route.no-route"))
    {
        assert!(start.elapsed() < Duration::from_secs(20), "no redraw for 80x24:\n{screen}");
        std::thread::sleep(Duration::from_millis(100));
        screen = tmux.screen();
    }

    // q quits and gives the terminal back.
    tmux.send(&["q"]);
    let start = Instant::now();
    while tmux.alive() {
        assert!(start.elapsed() < Duration::from_secs(10), "q did not quit:\n{}", tmux.screen());
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn in_a_pipe_it_refuses_to_draw() {
    let output = Command::new(env!("CARGO_BIN_EXE_pulldoctor"))
        .args(["tui", root().join("examples/rosa-ecr-main-route-table").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty(), "nothing drawn into the pipe");
    assert!(String::from_utf8_lossy(&output.stderr).contains("`pulldoctor tui` needs a terminal"));
}
