//! The bundle reader: the files of a bundle (plain `aws ... --output json` and
//! `kubectl/oc get -o json` outputs), given as names and bytes, into one
//! [`pulldoctor_model::Model`]. It does no I/O: the binary walks the directory and reads the files
//! (`pulldoctor::fs`), live collection hands over what it collected.
//!
//! Files are recognised by their content, never by their name (`detect`). The one exception is
//! `aws ec2 get-managed-prefix-list-entries`, which prints no id: its file name must contain the
//! prefix-list id. Several files of the same call merge; the same object twice is one object; a
//! Kubernetes `List` of mixed kinds is split by kind (`builder`).
//!
//! A JSON file of no recognised kind is skipped with a note (an error under `strict`). A file that
//! cannot be read (malformed or cut JSON, a recognised file whose fields have the wrong types, or
//! one the caller could not read) does not sink the bundle: it becomes a
//! [`pulldoctor_model::UnreadableFile`] in the model, with its error (naming the file and the JSON
//! path or position) and the kind its beginning seems to be, and that kind does not count as
//! present. Under `strict` such files are errors instead. The reader never panics on any input
//! (the `fuzz/` targets hold it to that).
//!
//! Modules: `detect` (which command printed a file) -> `parse` (bytes to typed shapes to model
//! objects, with the wire shapes in `aws`, `k8s` and `secrets`) -> `builder` (merging into one
//! model); this file holds the entry points.

mod aws;
mod builder;
mod detect;
mod error;
mod format;
mod journal;
mod k8s;
mod layout;
mod object;
mod parse;
mod probe;
pub mod redact;
mod secrets;
mod stream;
pub mod time;
mod yaml;

use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::builder::Builder;
use crate::parse::{Parsed, Unreadable, parse_file, parse_reader};

pub use builder::{Bundle, Skipped};
pub use error::{FileError, ReadError};
pub use format::{HEAD_BYTES, PassOver, pass_over};
pub use secrets::ecr_token_expiry;
pub use stream::Body;

/// How the reader treats what it does not recognise, and how many threads parse.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Unrecognised JSON files are errors, not notes.
    pub strict: bool,
    /// How many files are parsed at once. The caller decides (the binary: one per core); this
    /// crate never asks the machine.
    pub threads: NonZeroUsize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { strict: false, threads: NonZeroUsize::MIN }
    }
}

/// Read a bundle's files, given as (name, bytes) pairs, into a model. A file the caller could not
/// read comes as its error (which names it) and is recorded as unreadable, like a broken one. Files are parsed on `options.threads` threads and
/// merged in the order given, so the result does not depend on scheduling: give them sorted by
/// name for a result that does not depend on the order they were found in either.
///
/// This crate does no I/O: walking a directory and reading its files is the caller's
/// (`pulldoctor::fs` in the binary crate).
pub fn read_contents<'a>(
    files: impl IntoIterator<Item = (&'a Path, Result<&'a [u8], FileError>)>,
    options: &ReadOptions,
) -> Result<Bundle, ReadError> {
    read_bodies(files.into_iter().map(|(file, bytes)| (file, bytes.map(Body::Bytes))), options)
}

/// [`read_contents`], with each file's bytes in memory or to be read as it is parsed (a reader
/// the caller opened): a big JSON file given as a reader is never held whole.
pub fn read_bodies<'a>(
    files: impl IntoIterator<Item = (&'a Path, Result<Body<'a>, FileError>)>,
    options: &ReadOptions,
) -> Result<Bundle, ReadError> {
    // each body is taken by the thread that parses it
    type Taken<'a> = std::sync::Mutex<Option<Result<Body<'a>, FileError>>>;
    let files: Vec<(&Path, Taken<'a>)> = files.into_iter().map(|(file, body)| (file, std::sync::Mutex::new(Some(body)))).collect();
    let parse = |(file, body): &(&Path, Taken<'a>)| {
        match body.lock().unwrap_or_else(|e| e.into_inner()).take() {
            Some(Ok(Body::Bytes(bytes))) => parse_file(file, bytes),
            Some(Ok(Body::Reader(reader))) => parse_reader(file, reader),
            // the caller could not read it: nothing says what it is
            Some(Err(error)) => Err(Unreadable { error, seems: None }),
            None => unreachable!("each file is parsed once"),
        }
    };
    let threads = options.threads.get().min(files.len());
    let parsed: Vec<Result<Parsed, Unreadable>> = if threads <= 1 {
        files.iter().map(parse).collect()
    } else {
        let next = AtomicUsize::new(0);
        let mut done: Vec<(usize, Result<Parsed, Unreadable>)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let position = next.fetch_add(1, Ordering::Relaxed);
                            let Some(file) = files.get(position) else {
                                break done;
                            };
                            done.push((position, parse(file)));
                        }
                    })
                })
                .collect();
            let mut done = Vec::with_capacity(files.len());
            for worker in workers {
                // The parser does not panic on any input (fuzzed); if it ever does, that is a bug
                // to surface, not a file to drop silently.
                done.extend(worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
            }
            done
        });
        done.sort_by_key(|(position, _)| *position);
        done.into_iter().map(|(_, result)| result).collect()
    };
    let mut bundle = fold(files.iter().map(|(file, _)| *file).zip(parsed), options)?;
    let layout_notes = layout::notes(files.iter().map(|(file, _)| *file), &bundle.model);
    bundle.notes.extend(layout_notes);
    Ok(bundle)
}

/// Merge parsed files, in order, into one model. An unreadable file becomes a record in the model;
/// under `strict` it is an error, and so is an unrecognised one: then every error is returned.
fn fold<'a>(parsed: impl Iterator<Item = (&'a Path, Result<Parsed, Unreadable>)>, options: &ReadOptions) -> Result<Bundle, ReadError> {
    let mut builder = Builder::default();
    let mut errors = Vec::new();
    let mut files_read = 0;
    for (file, result) in parsed {
        files_read += 1;
        match result {
            Ok(Parsed::Unrecognised(reason)) if options.strict => errors.push(FileError {
                file: file.to_path_buf(),
                json_path: String::new(),
                message: format!("not a recognised kind ({reason}); --strict makes this an error"),
            }),
            Ok(parsed) => builder.add(file, parsed),
            Err(unreadable) if options.strict => errors.push(unreadable.error),
            Err(unreadable) => builder.unreadable(unreadable),
        }
    }
    if !errors.is_empty() {
        return Err(ReadError::Files(errors));
    }
    Ok(builder.finish(files_read))
}
