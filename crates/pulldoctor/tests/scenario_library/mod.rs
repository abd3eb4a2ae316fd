//! The scenario library, shared by `tests/scenarios.rs` (one test per scenario) and
//! `tests/invariants.rs` (properties over all of them): every folder under `fixtures/scenarios/`
//! and `examples/` with an `expect.toml`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// Where the scenario folders live, relative to the workspace.
pub const ROOTS: &[&str] = &["fixtures/scenarios", "examples"];

/// Every scenario folder, sorted.
pub fn scenarios() -> Vec<PathBuf> {
    let root = workspace();
    let mut out = Vec::new();
    for parent in ROOTS {
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

/// A scenario keeps its files in `bundle/`, an example directly in its folder.
pub fn bundle_dir(scenario: &Path) -> PathBuf {
    let nested = scenario.join("bundle");
    if nested.is_dir() { nested } else { scenario.to_path_buf() }
}

pub fn read(scenario: &Path) -> pulldoctor_bundle::Bundle {
    pulldoctor::fs::read_bundle(&bundle_dir(scenario), &Default::default()).unwrap_or_else(|e| panic!("{}: {e}", scenario.display()))
}
