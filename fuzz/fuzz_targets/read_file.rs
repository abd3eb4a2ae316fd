//! Arbitrary bytes as one bundle file: the reader must never panic, and every error must name
//! the file. Run: `cargo +nightly fuzz run read_file` (seed corpus: `fuzz/seed.sh`).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use pulldoctor_bundle::{FileError, ReadError, ReadOptions, read_contents};

fuzz_target!(|data: &[u8]| {
    let name = Path::new("fuzzed.json");
    if let Err(ReadError::Files(errors)) = read_contents(std::iter::once((name, Ok::<&[u8], FileError>(data))), &ReadOptions::default()) {
        assert!(errors.iter().all(|e| e.file == name), "an error lost its file name");
    }
});
