//! The change record `pulldoctor fix` writes before its first change and after its last: what
//! was there, what is there now, who and when, and the call that undoes each change.

use std::path::Path;

use anyhow::{Context as _, Result};
use pulldoctor_diagnosis::change::Change;
use serde::{Deserialize, Serialize};

/// A change record: written before the first change and again after the last.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Record {
    #[serde(rename = "PulldoctorFix")]
    pub(super) fix: RecordBody,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct RecordBody {
    /// `route.no-route`, or `undo` for the record of an undo.
    pub(super) cause: String,
    pub(super) option: String,
    /// The caller's ARN and account: who made the changes.
    pub(super) by: String,
    pub(super) account: String,
    pub(super) region: String,
    pub(super) started: String,
    pub(super) finished: Option<String>,
    /// `planned` (written before any call), `applied`, `failed`.
    pub(super) status: String,
    pub(super) changes: Vec<Entry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Entry {
    pub(super) change: Change,
    /// The same change as the `aws` command a person would type.
    pub(super) command: String,
    /// `planned`, `made`, `already-in-effect`, `made-by-the-dry-run` (the endpoint ignored DryRun).
    pub(super) result: String,
    pub(super) before: serde_json::Value,
    #[serde(default)]
    pub(super) after: serde_json::Value,
    /// The call that reverses it (once made).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) undo: Option<Change>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) undo_command: Option<String>,
}

pub(super) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(super) fn write_record(path: &Path, record: &Record) -> Result<()> {
    let mut text = serde_json::to_string_pretty(record)?;
    text.push('\n');
    std::fs::write(path, text).with_context(|| format!("cannot write the change record `{}`", path.display()))
}
