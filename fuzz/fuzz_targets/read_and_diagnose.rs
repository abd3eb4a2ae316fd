//! Arbitrary bytes as a bundle file, then the whole diagnosis on whatever the reader accepted:
//! analysis must never panic either. Run: `cargo +nightly fuzz run read_and_diagnose`.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use pulldoctor_bundle::{FileError, ReadOptions, read_contents};

fuzz_target!(|data: &[u8]| {
    let name = Path::new("fuzzed.json");
    if let Ok(bundle) = read_contents(std::iter::once((name, Ok::<&[u8], FileError>(data))), &ReadOptions::default()) {
        let _ = pulldoctor_diagnosis::diagnose(&bundle.model, &Default::default());
    }
});
