//! The escalation package: one `.tar.gz` to attach to a support case, written by
//! `collect --archive`, `diagnose BUNDLE --archive` and the TUI. It holds the bundle with every
//! credential replaced (`pulldoctor_bundle::redact`), the report as HTML, Markdown and JSON, and a
//! manifest of what was collected, redacted, left out (a file that is not JSON cannot be checked
//! for credentials, so it stays behind), denied and failed. Probe results in the bundle
//! (`PulldoctorProbe` documents) are listed in the manifest and travel with the bundle.

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use pulldoctor_diagnosis::report::Report;
use pulldoctor_model::Model;
use serde_json::{Value, json};

/// A bundle's files: the name inside the bundle, and its bytes or why they could not be read.
pub type BundleFiles = Vec<(String, Result<Vec<u8>, String>)>;

/// What a package is made of.
pub struct Case<'a> {
    /// How the data was had, e.g. `bundle examples/x` or `live (context prod)`.
    pub source: String,
    pub files: BundleFiles,
    /// The model read from them (for what was denied, failed or unreadable).
    pub model: &'a Model,
    pub report: &'a Report,
    pub created: DateTime<Utc>,
}

/// What was written.
#[derive(Debug)]
pub struct Written {
    pub files: usize,
    pub redacted_values: usize,
    pub left_out: usize,
}

/// Every file of the inputs (directories, archives, files), named relative to the input it came
/// from (a directory's files under it, an archive's entries and a lone file beside it), for the
/// escalation package. With several inputs, each one's files sit under its own name.
pub fn bundle_files(inputs: &[std::path::PathBuf]) -> Result<BundleFiles> {
    let limits = pulldoctor::fs::Limits::default();
    let loaded = pulldoctor::fs::load(inputs, &limits).map_err(|e| anyhow::anyhow!("{e}"))?;
    let base = |input: &Path| if input.is_dir() { input.to_path_buf() } else { input.parent().unwrap_or(Path::new("")).to_path_buf() };
    Ok(loaded
        .files
        .into_iter()
        .map(|file| {
            let from = inputs.iter().find(|input| file.path.starts_with(input.as_path())).map(|input| base(input));
            let relative = from.as_deref().and_then(|b| file.path.strip_prefix(b).ok()).unwrap_or(&file.path);
            (relative.to_string_lossy().into_owned(), file.bytes.map_err(|e| e.to_string()))
        })
        .collect())
}

/// A file inside the archive.
struct Entry {
    path: String,
    bytes: Vec<u8>,
}

fn is_probe(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Value>(bytes).is_ok_and(|v| v.get("kind").and_then(Value::as_str) == Some("PulldoctorProbe"))
}

/// The folder every entry sits in: the archive's name without `.tar.gz` / `.tgz`.
fn folder(path: &Path) -> String {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("pulldoctor-case");
    let stem = name.strip_suffix(".tar.gz").or_else(|| name.strip_suffix(".tgz")).unwrap_or(name);
    let clean: String = stem.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '-' }).collect();
    if clean.is_empty() || clean.starts_with('.') { "pulldoctor-case".to_string() } else { clean }
}

/// Write the package to `path`.
pub fn write(path: &Path, case: &Case) -> Result<Written> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut collected = Vec::new();
    let mut left_out = Vec::new();
    let mut probes = Vec::new();
    let mut redacted_values = 0;
    for (name, bytes) in &case.files {
        let name = name.trim_start_matches('/').replace('\\', "/");
        match bytes {
            Err(why) => left_out.push(json!({"file": name, "why": format!("could not be read: {why}")})),
            Ok(bytes) => match pulldoctor_bundle::redact::file(bytes) {
                Err(why) => left_out.push(json!({"file": name, "why": why})),
                Ok(redacted) => {
                    redacted_values += redacted.replaced;
                    if is_probe(&redacted.bytes) {
                        probes.push(format!("bundle/{name}"));
                    }
                    collected.push(
                        json!({"file": format!("bundle/{name}"), "bytes": redacted.bytes.len(), "values_redacted": redacted.replaced}),
                    );
                    entries.push(Entry { path: format!("bundle/{name}"), bytes: redacted.bytes });
                }
            },
        }
    }
    let failures = |denied: bool| -> Vec<Value> {
        case.model
            .collection_failures
            .iter()
            .filter(|f| f.denied == denied)
            .map(|f| json!({"call": f.call, "message": f.message}))
            .collect()
    };
    let unreadable: Vec<Value> =
        case.model.unreadable_files.iter().map(|f| json!({"file": f.file, "json_path": f.json_path, "error": f.message})).collect();
    let exit_status = if case.report.affected.is_empty() { 0 } else { 1 };
    let manifest = json!({
        "kind": "PulldoctorCase",
        "apiVersion": "pulldoctor/v1",
        "pulldoctor_version": env!("CARGO_PKG_VERSION"),
        "created_at": case.created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "source": case.source,
        "headline": case.report.headline,
        "exit_status": exit_status,
        "reports": ["report.html", "report.md", "report.json"],
        "redaction": "pull secret passwords and tokens (registry hosts, user names and ECR token expiry kept), every other secret value, last-applied-configuration annotations, container environment variable values, proxy URL passwords",
        "collected": collected,
        "left_out": left_out,
        "denied": failures(true),
        "failed": failures(false),
        "unreadable": unreadable,
        "probe": probes,
    });
    let readme = format!(
        "pulldoctor escalation package\nmade {} by pulldoctor {} from {}\n\n{}\n\n\
         report.html    the diagnosis with the network drawn (any browser; it loads nothing)\n\
         report.md      the same for a ticket\n\
         report.json    the same as data (the fields are documented in pulldoctor's docs/report.md)\n\
         manifest.json  what was collected, redacted, left out, denied and failed\n\
         bundle/        the files it was made from, credentials replaced: `pulldoctor diagnose bundle/`\n",
        case.created.format("%Y-%m-%d %H:%M UTC"),
        env!("CARGO_PKG_VERSION"),
        case.source,
        case.report.headline
    );
    let mut front = vec![
        Entry { path: "README.txt".into(), bytes: readme.into_bytes() },
        Entry { path: "manifest.json".into(), bytes: (serde_json::to_string_pretty(&manifest)? + "\n").into_bytes() },
        Entry { path: "report.html".into(), bytes: pulldoctor_render::html(case.report).into_bytes() },
        Entry { path: "report.md".into(), bytes: pulldoctor_render::markdown(case.report).into_bytes() },
        Entry { path: "report.json".into(), bytes: pulldoctor_render::json(case.report).into_bytes() },
    ];
    front.append(&mut entries);
    let file = std::fs::File::create(path).with_context(|| format!("cannot create `{}`", path.display()))?;
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::default()));
    let top = folder(path);
    let mtime = u64::try_from(case.created.timestamp()).unwrap_or(0);
    for entry in &front {
        let mut header = tar::Header::new_gnu();
        header.set_size(entry.bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(mtime);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, format!("{top}/{}", entry.path), entry.bytes.as_slice())
            .with_context(|| format!("cannot write {} into `{}`", entry.path, path.display()))?;
    }
    let mut gzip = tar.into_inner().with_context(|| format!("cannot finish `{}`", path.display()))?;
    gzip.flush()?;
    gzip.finish().with_context(|| format!("cannot finish `{}`", path.display()))?;
    Ok(Written { files: front.len(), redacted_values, left_out: left_out.len() })
}

/// The line `collect`/`diagnose` print once the package is written.
pub fn summary(path: &Path, written: &Written) -> String {
    format!(
        "pulldoctor: wrote the escalation package {} ({} files, {} credential value(s) replaced{})",
        path.display(),
        written.files,
        written.redacted_values,
        if written.left_out > 0 { format!(", {} file(s) left out: see its manifest.json", written.left_out) } else { String::new() }
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_folder_is_the_archive_name() {
        assert_eq!(super::folder(std::path::Path::new("/tmp/case-42.tar.gz")), "case-42");
        assert_eq!(super::folder(std::path::Path::new("x y.tgz")), "x-y");
        assert_eq!(super::folder(std::path::Path::new(".tar.gz")), "pulldoctor-case");
    }
}
