//! Archives as bundles: `.tar`, `.tar.gz`/`.tgz` (must-gather as support cases attach it, the
//! EKS log collector's) and `.zip`, read entry by entry in memory. An entry that would land
//! outside the archive (`../../etc/passwd`, `/etc/passwd`) refuses the whole archive: nothing is
//! written to disk, but such a name is never what a collecting tool writes. Links are not
//! followed; archives inside archives are not opened; `.gz` entries are decompressed.

use std::io::{Read, Seek};
use std::path::{Component, Path, PathBuf};

use pulldoctor_bundle::PassOver;

use super::limits::{Counting, Expansion, as_refused, read_at_most};
use super::{Error, Gathered, Gatherer, Limits};

/// The archive formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tar,
    TarGz,
    Zip,
}

/// The archive a name says a file is.
pub fn kind(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        Some(Kind::TarGz)
    } else if name.ends_with(".tar") {
        Some(Kind::Tar)
    } else if name.ends_with(".zip") {
        Some(Kind::Zip)
    } else {
        None
    }
}

/// Read an archive from any reader (a file, or bytes in memory) into files and passed-over
/// names, within the limits. Entries are named `ARCHIVE/ENTRY`.
pub fn read(name: &Path, kind: Kind, reader: impl Read + Seek, limits: &Limits) -> Result<Gathered, Error> {
    let mut gatherer = Gatherer { limits, gathered: Gathered::default(), total: 0, stream_from: None };
    read_into(&mut gatherer, name, kind, reader)?;
    Ok(gatherer.gathered)
}

pub(super) fn read_into(gatherer: &mut Gatherer<'_>, name: &Path, kind: Kind, reader: impl Read + Seek) -> Result<(), Error> {
    match kind {
        Kind::Tar => tar_entries(gatherer, name, reader),
        Kind::TarGz => {
            let (counting, consumed) = Counting::new(reader);
            let decoder = flate2::read::MultiGzDecoder::new(counting);
            let expanding =
                Expansion::new(decoder, consumed, gatherer.limits.max_ratio, format!("the gzip stream of `{}`", name.display()));
            tar_entries(gatherer, name, expanding)
        }
        Kind::Zip => zip_entries(gatherer, name, reader),
    }
}

/// The entry's path inside the archive, or why it is refused: absolute, or climbing out.
pub fn entry_path(raw: &str) -> Result<PathBuf, String> {
    let text = raw.replace('\\', "/");
    let drive = text.as_bytes().get(1) == Some(&b':') && text.as_bytes().first().is_some_and(u8::is_ascii_alphabetic);
    if text.starts_with('/') || drive {
        return Err(format!("entry `{raw}` is an absolute path; pulldoctor refuses archives whose entries would land outside them"));
    }
    let mut path = PathBuf::new();
    for component in Path::new(&text).components() {
        match component {
            Component::Normal(part) => path.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(format!(
                    "entry `{raw}` climbs out of the archive (path traversal); pulldoctor refuses archives whose entries would land outside them"
                ));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!(
                    "entry `{raw}` is an absolute path; pulldoctor refuses archives whose entries would land outside them"
                ));
            }
        }
    }
    Ok(path)
}

fn refuse(name: &Path, message: String) -> Error {
    Error::Refused { input: name.to_path_buf(), message }
}

/// An I/O error while reading the archive itself: a bomb is named as one, anything else means
/// the archive is damaged or cut short (a download that stopped), which sinks it whole: what
/// it held after that point is unknown.
fn damaged(name: &Path, error: &std::io::Error, after: Option<&Path>) -> Error {
    if let Some(refused) = as_refused(error) {
        return refuse(name, refused.to_string());
    }
    let after = after.map(|p| format!(" after `{}`", p.display())).unwrap_or_default();
    refuse(name, format!("cannot read the archive{after}: {error} (damaged or cut short? an interrupted download?)"))
}

/// One regular entry. A read error is the archive's (its stream is damaged, or a bomb), never
/// the entry's alone.
fn entry(
    gatherer: &mut Gatherer<'_>,
    name: &Path,
    path: &Path,
    reader: &mut dyn Read,
    size: u64,
    last: Option<&Path>,
) -> Result<(), Error> {
    if kind(path).is_some() {
        gatherer.passed(path, PassOver::NestedArchive);
        return Ok(());
    }
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz")) {
        // compressed in the archive: read the compressed bytes, then decompress them apart, so a
        // bad inner stream is this file's problem, not the archive's
        let compressed = match read_at_most(reader, gatherer.limits.max_file_bytes, Vec::new()) {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(limit)) => return gatherer.failed(path, format!("is more than the limit of {limit} bytes")),
            Err(e) => return Err(damaged(name, &e, last)),
        };
        return gatherer.gzip(path, &mut compressed.as_slice());
    }
    match gatherer.read_content(path, reader, size) {
        Ok(outcome) => outcome,
        Err(e) => Err(damaged(name, &e, last)),
    }
}

fn tar_entries(gatherer: &mut Gatherer<'_>, name: &Path, reader: impl Read) -> Result<(), Error> {
    let mut archive = tar::Archive::new(reader);
    let entries = archive.entries().map_err(|e| damaged(name, &e, None))?;
    let mut count = 0usize;
    let mut last: Option<PathBuf> = None;
    for tar_entry in entries {
        let mut tar_entry = tar_entry.map_err(|e| damaged(name, &e, last.as_deref()))?;
        count += 1;
        if count > gatherer.limits.max_entries {
            return Err(refuse(
                name,
                format!("holds more than {} entries (the limit): not a bundle pulldoctor reads", gatherer.limits.max_entries),
            ));
        }
        let raw = String::from_utf8_lossy(&tar_entry.path_bytes()).into_owned();
        let inner = entry_path(&raw).map_err(|message| refuse(name, message))?;
        let path = name.join(&inner);
        let entry_type = tar_entry.header().entry_type();
        if entry_type.is_dir() {
            last = Some(path);
            continue;
        }
        if !(entry_type.is_file() || entry_type.is_contiguous()) {
            // links (wherever they point) and devices are not followed
            gatherer.passed(&path, PassOver::Link);
            last = Some(path);
            continue;
        }
        // a header's size is only a hint for the buffer, and a bounded one (it may lie)
        let size = tar_entry.header().size().unwrap_or(0).min(super::limits::RATIO_FLOOR);
        entry(gatherer, name, &path, &mut tar_entry, size, last.as_deref())?;
        last = Some(path);
    }
    Ok(())
}

fn zip_entries(gatherer: &mut Gatherer<'_>, name: &Path, reader: impl Read + Seek) -> Result<(), Error> {
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| refuse(name, format!("not a readable zip archive: {e}")))?;
    if archive.len() > gatherer.limits.max_entries {
        return Err(refuse(name, format!("holds {} entries, more than the limit of {}", archive.len(), gatherer.limits.max_entries)));
    }
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).map_err(|e| refuse(name, format!("entry {index} cannot be read: {e}")))?;
        let raw = String::from_utf8_lossy(file.name_raw()).into_owned();
        let inner = entry_path(&raw).map_err(|message| refuse(name, message))?;
        let path = name.join(&inner);
        if file.is_dir() {
            continue;
        }
        if file.is_symlink() {
            gatherer.passed(&path, PassOver::Link);
            continue;
        }
        let compressed = std::rc::Rc::new(std::cell::Cell::new(file.compressed_size().max(1)));
        // the declared size is only a hint for the buffer: reading stops at the limit whatever it says
        let size = file.size().min(super::limits::RATIO_FLOOR);
        let mut expanding = Expansion::new(&mut file, compressed, gatherer.limits.max_ratio, format!("entry `{}`", inner.display()));
        entry(gatherer, name, &path, &mut expanding, size, None)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names() {
        assert_eq!(
            entry_path("./must-gather.local.1/namespaces/a/core/pods.yaml").unwrap(),
            PathBuf::from("must-gather.local.1/namespaces/a/core/pods.yaml")
        );
        for bad in ["../../etc/passwd", "a/../../b", "/etc/passwd", "\\windows\\x", "C:\\x", "..\\..\\x"] {
            assert!(entry_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds() {
        assert_eq!(kind(Path::new("case/must-gather.tar.gz")), Some(Kind::TarGz));
        assert_eq!(kind(Path::new("x.TGZ")), Some(Kind::TarGz));
        assert_eq!(kind(Path::new("x.zip")), Some(Kind::Zip));
        assert_eq!(kind(Path::new("pods.json.gz")), None);
    }
}
