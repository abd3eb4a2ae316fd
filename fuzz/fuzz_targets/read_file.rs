//! Arbitrary bytes as one bundle file, named by the first byte as JSON, YAML, a journal or a file
//! whose format only its content tells: the reader must never panic, and every error (under
//! `strict`) and every unreadable-file record (otherwise) must name the file.
//! Run: `cargo +nightly fuzz run read_file` (seed corpus: `fuzz/seed.sh`).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use pulldoctor_bundle::{FileError, ReadError, ReadOptions, read_contents};

/// The name the first byte picks, and the file's bytes.
pub fn named(data: &[u8]) -> (&'static Path, &[u8]) {
    let Some((first, rest)) = data.split_first() else {
        return (Path::new("fuzzed.json"), data);
    };
    let name = match first % 4 {
        0 => "fuzzed.json",
        1 => "fuzzed.yaml",
        2 => "kubelet.log",
        _ => "fuzzed",
    };
    (Path::new(name), rest)
}

fuzz_target!(|data: &[u8]| {
    let (name, data) = named(data);
    let file = || std::iter::once((name, Ok::<&[u8], FileError>(data)));
    if let Err(ReadError::Files(errors)) = read_contents(file(), &ReadOptions { strict: true, ..ReadOptions::default() }) {
        assert!(errors.iter().all(|e| e.file == name), "an error lost its file name");
    }
    match read_contents(file(), &ReadOptions::default()) {
        Ok(bundle) => {
            let unreadable = &bundle.model.unreadable_files;
            assert!(unreadable.iter().all(|f| Path::new(&f.file) == name), "an unreadable record lost its file name");
            for kind in unreadable.iter().filter_map(|f| f.seems) {
                assert!(!bundle.model.inputs.contains(&kind), "an unreadable file's kind counts as present");
            }
            assert!(bundle.model.node_log_errors.iter().all(|r| Path::new(&r.file) == name), "a journal record lost its file name");
        }
        Err(error) => panic!("without strict, a bad file is a record, not an error: {error}"),
    }
});
