//! The stream reads every JSON file of the repository exactly as one tree of the whole file did,
//! whole, cut short and damaged, from memory and from a reader cut into chunks of a few bytes
//! (so every value is split by a chunk's end somewhere).

use std::path::{Path, PathBuf};

use super::{Body, CHUNK};
use crate::builder::Builder;
use crate::parse::{Parsed, Unreadable, parse_json_chunked, parse_json_whole};

/// What a parse gave, as the model and notes it makes, or the error and the kind it seems.
fn outcome(file: &Path, parsed: Result<Parsed, Unreadable>) -> Outcome {
    let mut builder = Builder::default();
    match parsed {
        Ok(parsed) => builder.add(file, parsed),
        Err(unreadable) => builder.unreadable(unreadable),
    }
    let bundle = builder.finish(1);
    Outcome {
        text: format!("{:#?}\n{:?}\n{:?}", bundle.model, bundle.skipped, bundle.notes),
        unreadable: bundle.model.unreadable_files.clone(),
    }
}

#[derive(Debug)]
struct Outcome {
    text: String,
    unreadable: Vec<pulldoctor_model::UnreadableFile>,
}

impl PartialEq for Outcome {
    /// The same model, notes and error; or, where reading item by item must differ, both
    /// unreadable, seeming the same kind, the stream's error a wrong field in an item: it meets
    /// that before the end of a file cut short, and a key given twice in one item is an error
    /// to it where the whole-file tree kept the last.
    fn eq(&self, streamed: &Outcome) -> bool {
        self.text == streamed.text
            || match (&self.unreadable[..], &streamed.unreadable[..]) {
                ([whole], [item]) => whole.seems == item.seems && item.json_path.starts_with("items["),
                _ => false,
            }
    }
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | "node_modules" | ".git" | "fuzz") {
                json_files(&path, out);
            }
        } else if name.ends_with(".json") && entry.metadata().is_ok_and(|m| m.len() < 4_000_000) {
            out.push(path);
        }
    }
}

/// The three ways agree on `bytes`.
fn agree(file: &Path, bytes: &[u8], chunks: &[usize]) {
    let whole = outcome(file, parse_json_whole(file, bytes));
    let streamed = outcome(file, parse_json_chunked(file, Body::Bytes(bytes), CHUNK));
    assert!(
        whole == streamed,
        "{}: in memory, {} bytes:\n{}\n{}\n{}",
        file.display(),
        bytes.len(),
        String::from_utf8_lossy(&bytes[..bytes.len().min(300)]),
        whole.text,
        streamed.text
    );
    for &chunk in chunks {
        let reader = Box::new(std::io::Cursor::new(bytes.to_vec()));
        let chunked = outcome(file, parse_json_chunked(file, Body::Reader(reader), chunk));
        assert!(
            whole == chunked,
            "{}: read {chunk} bytes at a time, {} bytes:\n{}\n{}\n{}",
            file.display(),
            bytes.len(),
            String::from_utf8_lossy(&bytes[..bytes.len().min(300)]),
            whole.text,
            chunked.text
        );
    }
}

fn repository_json() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in ["examples", "tests", "crates"] {
        json_files(&root.join(dir), &mut files);
    }
    files.sort();
    assert!(files.len() > 100, "the repository's JSON files were not found ({})", files.len());
    files
}

#[test]
fn every_json_file_reads_as_before() {
    for file in repository_json() {
        let bytes = std::fs::read(&file).unwrap();
        agree(&file, &bytes, &[1, 7, 4096]);
    }
}

#[test]
fn cut_and_damaged_files_fail_as_before() {
    for file in repository_json().into_iter().step_by(3) {
        let bytes = std::fs::read(&file).unwrap();
        if bytes.len() > 200_000 {
            continue;
        }
        let n = bytes.len();
        for cut in (1..12).map(|i| n * i / 12) {
            agree(&file, &bytes[..cut], &[5]);
        }
        // each of these damages, at a few places
        for at in (1..6).map(|i| n * i / 6) {
            for damage in [&b"x"[..], b",", b"]", b"}", b"\"", b"{", b"1", b"\"kind\": 3, "] {
                let mut damaged = bytes[..at].to_vec();
                damaged.extend_from_slice(damage);
                damaged.extend_from_slice(&bytes[at..]);
                agree(&file, &damaged, &[5]);
                let mut replaced = bytes.clone();
                replaced[at] = damage[0];
                agree(&file, &replaced, &[5]);
            }
        }
    }
}

/// Lists whose items carry no kind (the API's own answer), with the list's kind after the items
/// (as kubectl prints it), mixed with items of other kinds.
#[test]
fn items_without_kind_take_the_lists() {
    let file = Path::new("pods.json");
    let pod =
        r#"{"metadata": {"name": "p", "namespace": "n"}, "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "r/i:1"}]}}"#;
    let event = r#"{"kind": "Event", "apiVersion": "v1", "metadata": {"name": "e", "namespace": "n"}, "involvedObject": {"kind": "Pod", "name": "p"}, "reason": "Failed", "message": "x"}"#;
    let other = r#"{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}}"#;
    let late = r#"{"metadata": {"name": "q"}, "kind": "Pod", "spec": {"nodeName": "node-2"}}"#;
    for text in [
        format!(r#"{{"apiVersion": "v1", "items": [{pod}, {event}, {other}, {late}], "kind": "PodList", "metadata": {{}}}}"#),
        format!(r#"{{"kind": "PodList", "apiVersion": "v1", "items": [{pod}, {event}, {other}, {late}]}}"#),
        format!(r#"{{"apiVersion": "v1", "items": [{pod}, {event}], "kind": "List"}}"#),
        format!(r#"{{"items": [{pod}]}}"#),
        format!(r#"{{"items": [{pod}], "Subnets": []}}"#),
        format!(r#"{{"kind": "PulldoctorProbeList", "apiVersion": "pulldoctor/v1", "items": [{pod}]}}"#),
        format!(r#"{{"kind": "PodList", "apiVersion": "v1", "items": [{pod}, 3, "x", null, []]}}"#),
        format!(r#"{{"kind": "PodList", "apiVersion": "v1", "items": {pod}}}"#),
        format!(r#"{{"kind": "PodList", "apiVersion": "v1", "items": [], "items": [{pod}]}}"#),
        r#"{"kind": "PodList", "apiVersion": "v1", "items": [{"kind": "Pod", "metadata": {"name": 5}}]}"#.to_string(),
        r#"{"kind": "PodList", "apiVersion": "v1", "items": [{"kind": "Pod", "metadata": {"name": "a\"b"}}]}"#.to_string(),
        "[1, 2]".to_string(),
        "\"text\"".to_string(),
        "{}".to_string(),
        "{} {}".to_string(),
        "12".to_string(),
    ] {
        agree(file, text.as_bytes(), &[1, 3, 64]);
        for cut in 1..text.len() {
            agree(file, &text.as_bytes()[..cut], &[2]);
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 96, ..Default::default() })]
    /// Random damage (bytes replaced, inserted or cut) to a real pod list and event list, read
    /// a random number of bytes at a time: the stream agrees with the whole-file tree.
    #[test]
    fn damaged_lists_read_in_any_chunks_agree(
        which in 0usize..2,
        edits in proptest::collection::vec((0.0f64..1.0, 0usize..3, proptest::prelude::any::<u8>()), 0..4),
        cut in 0.0f64..1.2,
        chunk in 1usize..300,
    ) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rosa-ecr-main-route-table/k8s");
        let file = root.join(["pods-cf-dev.json", "events-cf-dev.json"][which]);
        let mut bytes = std::fs::read(&file).unwrap();
        for (at, how, byte) in edits {
            let length = bytes.len();
            let at = ((length as f64) * at) as usize;
            match how {
                0 => bytes[at.min(length - 1)] = byte,
                1 => bytes.insert(at, byte),
                _ => {
                    bytes.remove(at.min(length - 1));
                }
            }
        }
        if cut < 1.0 {
            bytes.truncate(((bytes.len() as f64) * cut) as usize);
        }
        agree(&file, &bytes, &[chunk]);
    }
}
