//! The bundle on disk: directories, single files, `.gz` files and archives (`.tar`, `.tar.gz`,
//! `.tgz`, `.zip`), read into memory within [`Limits`], never unpacked to disk; and the reader's
//! thread pool sized from the machine. This is the only code that touches a bundle's files;
//! `pulldoctor-bundle` turns the (name, bytes) pairs read here into a model and does no I/O.
//!
//! Which files are worth reading is the bundle crate's call ([`pulldoctor_bundle::pass_over`],
//! from a file's name and first bytes); a file passed over is counted with its reason and shows
//! in the report's notes, never dropped silently.

pub mod archive;
mod limits;

use std::io::Read;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use pulldoctor_bundle::{Body, Bundle, FileError, HEAD_BYTES, PassOver, ReadError, ReadOptions, Skipped, pass_over, read_bodies};

pub use limits::Limits;
use limits::{Counting, Expansion, as_refused, read_at_most, read_head};

/// How to read a bundle.
#[derive(Debug, Clone)]
pub struct Options {
    /// Unrecognised files are errors, not notes (`--strict`).
    pub strict: bool,
    /// Sizes and counts beyond which a file or the whole bundle is refused.
    pub limits: Limits,
    /// How many files are parsed at once.
    pub threads: NonZeroUsize,
}

impl Default for Options {
    /// Not strict, the default [`Limits`], one thread per core.
    fn default() -> Self {
        Options { strict: false, limits: Limits::default(), threads: available_threads() }
    }
}

/// Why a bundle could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`{0}` does not exist")]
    NotFound(PathBuf),
    #[error("cannot list `{path}`: {message}")]
    Walk { path: PathBuf, message: String },
    /// The input is refused as a whole: a compression bomb, an entry that escapes the archive,
    /// too many entries, too much in all, an archive cut short.
    #[error("`{input}`: {message}")]
    Refused { input: PathBuf, message: String },
    /// Files that could not be read or parsed, each named (under `--strict`).
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// One file of the bundle: its path and its bytes, or why they could not be read.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub bytes: Result<Vec<u8>, FileError>,
    /// Left on disk, to be read as it is parsed (a big plain file, when only reading): `bytes`
    /// holds only its beginning.
    pub on_disk: bool,
}

/// Plain files above this size are parsed as they are read from disk, not read whole first
/// (a 1 GB `pods.json` then never sits in memory: issue 17).
pub const STREAM_FROM_BYTES: u64 = 32 * 1024 * 1024;

/// What reading the inputs gave: the files to parse, and those passed over.
#[derive(Debug, Default)]
pub struct Gathered {
    pub files: Vec<Loaded>,
    pub passed_over: Vec<Skipped>,
}

/// The machine's parallelism (1 when it cannot say).
pub fn available_threads() -> NonZeroUsize {
    std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
}

/// Read one input (a directory, an archive or a file) into a model.
pub fn read_bundle(input: &Path, options: &Options) -> Result<Bundle, Error> {
    read_bundles(&[input], options)
}

/// Read several inputs (a must-gather and a folder of AWS outputs beside it) into one model.
pub fn read_bundles(inputs: &[impl AsRef<Path>], options: &Options) -> Result<Bundle, Error> {
    let gathered = gather(inputs, &options.limits, Some(STREAM_FROM_BYTES))?;
    let read = ReadOptions { strict: options.strict, threads: options.threads };
    let bodies = gathered.files.iter().map(|file| {
        let body = match &file.bytes {
            Err(error) => Err(error.clone()),
            Ok(_) if file.on_disk => match std::fs::File::open(&file.path) {
                Ok(opened) => Ok(Body::Reader(Box::new(opened))),
                Err(e) => Err(FileError::whole(&file.path, format!("cannot read: {e}"))),
            },
            Ok(bytes) => Ok(Body::Bytes(bytes.as_slice())),
        };
        (file.path.as_path(), body)
    });
    let mut bundle = read_bodies(bodies, &read)?;
    bundle.passed_over = gathered.passed_over;
    Ok(bundle)
}

/// Every file of the inputs worth reading, sorted by path, with its bytes; a file that cannot be
/// read, or is larger than the limit, carries an error naming it. A directory that cannot be
/// listed, and an archive that is refused or cut short, are errors for the whole bundle.
pub fn load(inputs: &[impl AsRef<Path>], limits: &Limits) -> Result<Gathered, Error> {
    gather(inputs, limits, None)
}

/// [`load`]; plain files larger than `stream_from` bytes are left on disk (`Loaded::on_disk`).
fn gather(inputs: &[impl AsRef<Path>], limits: &Limits, stream_from: Option<u64>) -> Result<Gathered, Error> {
    let mut gatherer = Gatherer { limits, gathered: Gathered::default(), total: 0, stream_from };
    for input in inputs {
        let input = input.as_ref();
        if !input.exists() {
            return Err(Error::NotFound(input.to_path_buf()));
        }
        if input.is_dir() { gatherer.walk(input)? } else { gatherer.file(input)? }
    }
    let mut gathered = gatherer.gathered;
    gathered.files.sort_by(|a, b| a.path.cmp(&b.path));
    gathered.passed_over.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(gathered)
}

/// Collects files within the limits.
pub(crate) struct Gatherer<'l> {
    pub(crate) limits: &'l Limits,
    pub(crate) gathered: Gathered,
    total: u64,
    stream_from: Option<u64>,
}

impl Gatherer<'_> {
    fn walk(&mut self, dir: &Path) -> Result<(), Error> {
        let error = |path: &Path, e: std::io::Error| Error::Walk { path: path.to_path_buf(), message: e.to_string() };
        let mut entries: Vec<_> =
            std::fs::read_dir(dir).map_err(|e| error(dir, e))?.collect::<Result<_, _>>().map_err(|e| error(dir, e))?;
        entries.sort_by_key(|entry| entry.path());
        for entry in entries {
            let path = entry.path();
            let file_type = entry.file_type().map_err(|e| error(&path, e))?;
            if file_type.is_dir() || (file_type.is_symlink() && path.is_dir()) {
                self.walk(&path)?;
            } else {
                self.file(&path)?;
            }
        }
        Ok(())
    }

    /// A file on disk: an archive, a `.gz` file, or a plain one.
    fn file(&mut self, path: &Path) -> Result<(), Error> {
        if let Some(kind) = archive::kind(path) {
            let file = std::fs::File::open(path)
                .map_err(|e| Error::Refused { input: path.to_path_buf(), message: format!("cannot open: {e}") })?;
            return archive::read_into(self, path, kind, std::io::BufReader::new(file));
        }
        let opened = std::fs::File::open(path).and_then(|file| Ok((file.metadata()?.len(), file)));
        let (size, mut file) = match opened {
            Ok(opened) => opened,
            Err(e) => return self.failed(path, format!("cannot read: {e}")),
        };
        if is_gzip(path) {
            return self.gzip(path, &mut std::io::BufReader::new(file));
        }
        if size > self.limits.max_file_bytes {
            return self.failed(path, format!("is {size} bytes, more than the limit of {} bytes", self.limits.max_file_bytes));
        }
        if self.stream_from.is_some_and(|from| size > from) {
            let head = match read_head(&mut file, HEAD_BYTES) {
                Ok(head) => head,
                Err(e) => return self.failed(path, format!("cannot read: {e}")),
            };
            match pass_over(path, &head) {
                Some(reason) => self.passed(path, reason),
                None => self.gathered.files.push(Loaded { path: path.to_path_buf(), bytes: Ok(head), on_disk: true }),
            }
            return Ok(());
        }
        self.content(path, &mut file, size)
    }

    /// A file on disk (`size` bytes): a read error is this file's.
    fn content(&mut self, path: &Path, reader: &mut dyn Read, size: u64) -> Result<(), Error> {
        match self.read_content(path, reader, size) {
            Ok(outcome) => outcome,
            Err(e) => self.failed(path, format!("cannot read: {e}")),
        }
    }

    /// A plain stream (a file, or an archive's entry): passed over on its beginning, or read
    /// whole. The outer error is the stream's (the caller decides whose problem it is).
    /// `size` is a hint (0 when unknown): the buffer is allocated once, as `std::fs::read` does.
    pub(crate) fn read_content(&mut self, path: &Path, reader: &mut dyn Read, size: u64) -> std::io::Result<Result<(), Error>> {
        let mut head = Vec::with_capacity((size.min(self.limits.max_file_bytes) as usize).max(HEAD_BYTES) + 1);
        reader.take(HEAD_BYTES as u64).read_to_end(&mut head)?;
        if let Some(reason) = pass_over(path, &head) {
            self.passed(path, reason);
            return Ok(Ok(()));
        }
        Ok(match read_at_most(reader, self.limits.max_file_bytes, head)? {
            Ok(bytes) => self.keep(path, bytes),
            Err(limit) => self.failed(path, format!("is more than the limit of {limit} bytes")),
        })
    }

    /// A `.gz` file, decompressed in memory under the expansion limit. Bad gzip data is an
    /// unreadable file; a bomb stops the bundle.
    pub(crate) fn gzip(&mut self, path: &Path, reader: &mut dyn Read) -> Result<(), Error> {
        let (counting, consumed) = Counting::new(reader);
        let decoder = flate2::read::MultiGzDecoder::new(counting);
        let mut expanding = Expansion::new(decoder, consumed, self.limits.max_ratio, format!("`{}`", path.display()));
        let outcome = read_head(&mut expanding, HEAD_BYTES).and_then(|head| {
            if let Some(reason) = pass_over(path, &head) {
                return Ok(Err(Some(reason)));
            }
            Ok(read_at_most(&mut expanding, self.limits.max_file_bytes, head)?.map_err(|_| None))
        });
        match outcome {
            Ok(Ok(bytes)) => self.keep(path, bytes),
            Ok(Err(Some(reason))) => {
                self.passed(path, reason);
                Ok(())
            }
            Ok(Err(None)) => self.failed(path, format!("decompresses to more than the limit of {} bytes", self.limits.max_file_bytes)),
            Err(e) => match as_refused(&e) {
                Some(refused) => Err(Error::Refused { input: path.to_path_buf(), message: refused.to_string() }),
                None => self.failed(path, format!("not valid gzip: {e}")),
            },
        }
    }

    fn keep(&mut self, path: &Path, bytes: Vec<u8>) -> Result<(), Error> {
        self.total += bytes.len() as u64;
        if self.total > self.limits.max_total_bytes {
            return Err(Error::Refused {
                input: path.to_path_buf(),
                message: format!("the bundle's files add up to more than the limit of {} bytes", self.limits.max_total_bytes),
            });
        }
        self.gathered.files.push(Loaded { path: path.to_path_buf(), bytes: Ok(bytes), on_disk: false });
        Ok(())
    }

    pub(crate) fn failed(&mut self, path: &Path, message: String) -> Result<(), Error> {
        self.gathered.files.push(Loaded { path: path.to_path_buf(), bytes: Err(FileError::whole(path, message)), on_disk: false });
        Ok(())
    }

    pub(crate) fn passed(&mut self, path: &Path, reason: PassOver) {
        self.gathered.passed_over.push(Skipped { file: path.to_path_buf(), reason: reason.describe().to_string() });
    }
}

fn is_gzip(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

#[cfg(test)]
mod tests;
