//! The catalogue file format (`catalogue/*.toml`, `catalogue/held-out/*.toml`) and its loader,
//! shared by the catalogue test and the held-out measurement.

// Each test binary that includes this module reads only some of the fields.
#![allow(dead_code)]

use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    case: Vec<Case>,
}

/// One `[[case]]`: a real message and what the classifier must make of it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub message: String,
    pub class: String,
    pub step: String,
    /// How the text was produced: lab scenario and tool, or the public report's URL.
    pub source: String,
    /// One of [`RUNTIMES`].
    pub runtime: String,
    /// kubelet waiting reason to classify with, when the case records one
    pub reason: Option<String>,
    pub image: Option<String>,
    pub host: Option<String>,
    pub dialled: Option<String>,
    pub dialled_is_private: Option<bool>,
    pub dns_server: Option<String>,
    pub http_status: Option<u16>,
    pub rule: Option<String>,
    /// Other classes the text cannot rule out.
    pub also_possible: Option<Vec<String>>,
}

pub const RUNTIMES: &[&str] = &["cri-o", "containerd", "docker", "podman", "skopeo", "kubelet", "openshift"];

/// Every case of every `*.toml` directly in `dir` (relative to the crate), with its file name, in
/// file name order.
pub fn load(dir: &str) -> Vec<(String, Case)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for p in names {
        let text = std::fs::read_to_string(&p).expect("read catalogue file");
        let f: File = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let fname = p.file_name().unwrap().to_string_lossy().to_string();
        for c in f.case {
            out.push((fname.clone(), c));
        }
    }
    out
}
