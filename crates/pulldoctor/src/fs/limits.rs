//! The limits that keep a bundle from exhausting memory or time: a file's size, all files'
//! size together, entries per archive, and how much decompression may expand (a gzip or zip bomb
//! is a clear error, not an exhausted machine). Nothing is ever unpacked to disk.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

/// Bounds on what a bundle may make pulldoctor read.
#[derive(Debug, Clone)]
pub struct Limits {
    /// One file (or archive entry), decompressed; larger ones are unreadable files in the report.
    pub max_file_bytes: u64,
    /// Every file kept, together; beyond it the bundle is refused.
    pub max_total_bytes: u64,
    /// Entries in one archive (files, folders, links); beyond it the archive is refused.
    pub max_entries: usize,
    /// How many times its compressed size a gzip stream or zip entry may expand; checked once
    /// [`RATIO_FLOOR`] bytes have come out. Deflate cannot exceed ~1032:1; real JSON, YAML and
    /// logs stay well below 100:1.
    pub max_ratio: u64,
}

/// Below this much output, expansion is not judged (small files of zeros are no threat).
pub const RATIO_FLOOR: u64 = 64 * 1024 * 1024;

impl Default for Limits {
    /// 2 GiB per file, 8 GiB in all, 250,000 entries per archive, 200:1 expansion.
    fn default() -> Self {
        Limits { max_file_bytes: 2 * 1024 * 1024 * 1024, max_total_bytes: 8 * 1024 * 1024 * 1024, max_entries: 250_000, max_ratio: 200 }
    }
}

/// An error that stops a whole input (a bomb, too many entries, too much in all), as opposed to
/// one file that cannot be read.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// An `io::Error` carrying a [`Refused`], so it passes through readers (tar's, zip's) intact.
pub fn refused(message: String) -> io::Error {
    io::Error::other(Refused(message))
}

/// The [`Refused`] inside an `io::Error`, if it is one.
pub fn as_refused(error: &io::Error) -> Option<&Refused> {
    error.get_ref().and_then(|inner| inner.downcast_ref::<Refused>())
}

/// Counts the bytes read through it (the compressed side of a decompressor).
pub struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R> Counting<R> {
    pub fn new(inner: R) -> (Counting<R>, Rc<Cell<u64>>) {
        let count = Rc::new(Cell::new(0));
        (Counting { inner, count: count.clone() }, count)
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.count.set(self.count.get() + read as u64);
        Ok(read)
    }
}

/// The decompressed side: fails with [`Refused`] when the output outgrows the input by more
/// than the ratio.
pub struct Expansion<R> {
    inner: R,
    compressed: Rc<Cell<u64>>,
    produced: u64,
    max_ratio: u64,
    what: String,
}

impl<R> Expansion<R> {
    /// `compressed` counts what the decompressor consumed; `what` names the stream in the error.
    pub fn new(inner: R, compressed: Rc<Cell<u64>>, max_ratio: u64, what: String) -> Expansion<R> {
        Expansion { inner, compressed, produced: 0, max_ratio, what }
    }
}

impl<R: Read> Read for Expansion<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.produced += read as u64;
        let compressed = self.compressed.get().max(1);
        if self.produced > RATIO_FLOOR && self.produced > compressed.saturating_mul(self.max_ratio) {
            return Err(refused(format!(
                "{} expands more than {} times its compressed size ({} MiB out of {} KiB): a compression bomb? pulldoctor stops reading it",
                self.what,
                self.max_ratio,
                self.produced / (1024 * 1024),
                compressed / 1024
            )));
        }
        Ok(read)
    }
}

/// Everything `reader` holds, or an error when it holds more than `limit` bytes (then reading
/// stops at `limit + 1`: a lying size header changes nothing).
pub fn read_at_most<R: Read + ?Sized>(reader: &mut R, limit: u64, already: Vec<u8>) -> io::Result<Result<Vec<u8>, u64>> {
    let mut bytes = already;
    let room = limit.saturating_add(1).saturating_sub(bytes.len() as u64);
    reader.take(room).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit { Ok(Err(limit)) } else { Ok(Ok(bytes)) }
}

/// Up to `count` bytes from the start of `reader` (fewer only at its end).
pub fn read_head<R: Read + ?Sized>(reader: &mut R, count: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(count);
    reader.take(count as u64).read_to_end(&mut head)?;
    Ok(head)
}
