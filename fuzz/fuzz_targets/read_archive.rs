//! Arbitrary bytes as an archive (`.tar`, `.tar.gz`, `.zip`, as the first byte picks), read in
//! memory under small limits: never a panic, never more memory than the limits allow, and every
//! file read is named inside the archive. What it yields goes on through the reader.
//! Run: `cargo +nightly fuzz run read_archive` (seed corpus: `fuzz/seed.sh`).
#![no_main]

use std::io::Cursor;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use pulldoctor::fs::Limits;
use pulldoctor::fs::archive::{Kind, read};
use pulldoctor_bundle::{ReadOptions, read_contents};

fuzz_target!(|data: &[u8]| {
    let Some((first, data)) = data.split_first() else {
        return;
    };
    let (name, kind) = match first % 3 {
        0 => ("fuzzed.tar", Kind::Tar),
        1 => ("fuzzed.tar.gz", Kind::TarGz),
        _ => ("fuzzed.zip", Kind::Zip),
    };
    let name = Path::new(name);
    let limits = Limits { max_file_bytes: 1 << 20, max_total_bytes: 8 << 20, max_entries: 1000, max_ratio: 200 };
    let Ok(gathered) = read(name, kind, Cursor::new(data), &limits) else {
        return;
    };
    let kept: usize = gathered.files.iter().filter_map(|f| f.bytes.as_ref().ok()).map(Vec::len).sum();
    assert!(kept as u64 <= limits.max_total_bytes, "more kept than the limit");
    assert!(gathered.files.iter().all(|f| f.path.starts_with(name)), "a file named outside the archive");
    let _ = read_contents(gathered.files.iter().map(|f| (f.path.as_path(), f.bytes.as_deref().map_err(Clone::clone))), &ReadOptions::default());
});
