//! Arbitrary bytes as a bundle file (JSON, YAML, a journal, or told by content, as the first byte
//! picks), then the whole diagnosis on whatever the reader made of it (an unreadable file
//! included, which becomes a gap): analysis must never panic either.
//! Run: `cargo +nightly fuzz run read_and_diagnose`.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use pulldoctor_bundle::{FileError, ReadOptions, read_contents};

fuzz_target!(|data: &[u8]| {
    let (name, data) = match data.split_first() {
        Some((first, rest)) => (["fuzzed.json", "fuzzed.yaml", "kubelet.log", "fuzzed"][usize::from(first % 4)], rest),
        None => ("fuzzed.json", data),
    };
    let name = Path::new(name);
    if let Ok(bundle) = read_contents(std::iter::once((name, Ok::<&[u8], FileError>(data))), &ReadOptions::default()) {
        let _ = pulldoctor_diagnosis::diagnose(&bundle.model, &Default::default());
    }
});
