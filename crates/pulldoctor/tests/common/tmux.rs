//! A tmux server of the test's own (its own socket, killed on drop), for end-to-end runs of
//! `pulldoctor tui` in a real terminal: `send-keys` types, `capture-pane` reads the screen.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A tmux server of our own (its own socket), killed when the test ends however it ends.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn start(command: &str, width: u16, height: u16, dir: &Path) -> Tmux {
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmux = Tmux { socket: format!("pulldoctor-test-{}-{n}", std::process::id()) };
        let output =
            tmux.run(&["new-session", "-d", "-x", &width.to_string(), "-y", &height.to_string(), "-c", dir.to_str().unwrap(), command]);
        assert!(output.status.success(), "tmux: {}", String::from_utf8_lossy(&output.stderr));
        tmux
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().expect("tmux is installed (scripts/test.sh installs it)")
    }

    pub fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend(keys);
        assert!(self.run(&args).status.success());
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "0"]).stdout).into_owned()
    }

    /// Waits until the screen shows `text` (the binary draws on its own time).
    pub fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "the screen never showed `{text}`:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn wait_until_gone(&self, text: &str) {
        let start = Instant::now();
        while self.screen().contains(text) {
            assert!(start.elapsed() < Duration::from_secs(20), "`{text}` stayed on the screen:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The screen with its colours, kept for the README's picture.
    pub fn keep(&self, name: &str) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/tui-screens");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.ansi")), self.run(&["capture-pane", "-e", "-p", "-t", "0"]).stdout).unwrap();
    }

    pub fn alive(&self) -> bool {
        self.run(&["has-session", "-t", "0"]).status.success()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}
