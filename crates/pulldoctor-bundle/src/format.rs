//! Which format a file is in (JSON, YAML or a node's journal), and which files are not worth
//! reading at all. A telling extension decides (`.json`, `.yaml`, `.yml`, also under `.gz`);
//! otherwise the file's beginning does, so `kubectl get pods -o yaml > pods.txt` or a journal
//! saved as `kubelet` are read too. What is passed over is counted with its reason, never
//! dropped silently (the binary prints the count and the report lists it in its notes).

use std::path::Path;

use serde::Serialize;

use crate::journal;

/// How many bytes of a file's beginning [`pass_over`] needs to decide.
pub const HEAD_BYTES: usize = 4096;

/// The formats the reader parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Yaml,
    Journal,
}

/// Why a file was passed over without being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PassOver {
    /// A container's own log (must-gather's `namespaces/NS/pods/POD/C/C/logs/current.log`):
    /// what the application printed, never the pull error, which the node's journal holds.
    ContainerLog,
    /// Binary content (a NUL byte, or not UTF-8).
    Binary,
    /// Text that is not JSON, YAML or a node's journal (`must-gather`'s `timestamp`, HTML, notes).
    OtherText,
    /// An empty file whose name does not say it should hold JSON or YAML.
    Empty,
    /// An archive inside an archive: not opened (unpack the outer one and give the inner one).
    NestedArchive,
    /// A link or a special entry in an archive: not followed.
    Link,
}

impl PassOver {
    /// What it means, for the note and the warning that count these files.
    pub fn describe(self) -> &'static str {
        match self {
            PassOver::ContainerLog => "containers' own logs (the pull error is in the node's journal, not there)",
            PassOver::Binary => "binary files",
            PassOver::OtherText => "text that is not JSON, YAML or a node's journal",
            PassOver::Empty => "empty files",
            PassOver::NestedArchive => "archives inside the archive (not opened: unpack the outer one first)",
            PassOver::Link => "links and special entries in archives (not followed)",
        }
    }
}

/// The extension that tells the format, ignoring a `.gz` the binary decompresses.
fn telling_extension(name: &Path) -> Option<Format> {
    let text = name.file_name()?.to_str()?.to_ascii_lowercase();
    let text = text.strip_suffix(".gz").unwrap_or(&text);
    let (_, extension) = text.rsplit_once('.')?;
    match extension {
        "json" => Some(Format::Json),
        "yaml" | "yml" => Some(Format::Yaml),
        _ => None,
    }
}

/// Whether the binary may skip a file, judged by its name and its first [`HEAD_BYTES`]
/// (decompressed when the file is `.gz`): `None` means read it whole.
pub fn pass_over(name: &Path, head: &[u8]) -> Option<PassOver> {
    if is_container_log(name) {
        return Some(PassOver::ContainerLog);
    }
    if telling_extension(name).is_some() {
        return None;
    }
    sniff(head).err()
}

/// The format to parse a file in: its extension's, else its beginning's.
pub(crate) fn format_of(name: &Path, bytes: &[u8]) -> Result<Format, PassOver> {
    match telling_extension(name) {
        Some(format) => Ok(format),
        None => sniff(&bytes[..bytes.len().min(HEAD_BYTES)]),
    }
}

/// must-gather (`oc adm inspect`) writes containers' logs as `.../logs/current.log`,
/// `previous.log`, `previous.insecure.log` and `.../logs/rotated/*`.
fn is_container_log(name: &Path) -> bool {
    let mut parts = name.iter().rev().filter_map(|p| p.to_str());
    let file = parts.next().unwrap_or_default();
    let parent = parts.next().unwrap_or_default();
    (parent == "logs" && matches!(file, "current.log" | "previous.log" | "previous.insecure.log"))
        || (parent == "rotated" && parts.next() == Some("logs"))
}

/// The format a beginning shows, or why it shows none.
fn sniff(head: &[u8]) -> Result<Format, PassOver> {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    if head.contains(&0) {
        return Err(PassOver::Binary);
    }
    // a multi-byte character cut by the end of the head is not a reason to call it binary
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(error) if error.error_len().is_none() => std::str::from_utf8(&head[..error.valid_up_to()]).unwrap_or_default(),
        Err(_) => return Err(PassOver::Binary),
    };
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(PassOver::Empty);
    }
    // a JSON object, or an array of values (`[must-gather ] OUT ...` log lines are not one)
    let array = trimmed.strip_prefix('[').map(str::trim_start).is_some_and(|rest| {
        rest.is_empty() || rest.starts_with(['{', '[', '"', ']', '-']) || rest.starts_with(|c: char| c.is_ascii_digit())
    });
    if trimmed.starts_with('{') || array {
        return Ok(Format::Json);
    }
    // the first lines that say something: journalctl's `-- Logs begin at ... --` header and YAML
    // comments say nothing
    let mut lines = text.lines().filter(|line| !line.trim().is_empty() && !line.starts_with("-- ") && !line.starts_with('#'));
    let Some(first) = lines.next() else {
        return Err(PassOver::OtherText);
    };
    if journal::is_journal_line(first) {
        return Ok(Format::Journal);
    }
    if first == "---" || first.starts_with("--- ") || first.starts_with("%YAML") || is_yaml_key_line(first) {
        return Ok(Format::Yaml);
    }
    Err(PassOver::OtherText)
}

/// `apiVersion: v1`, `Vpcs:`: a top-level key a recognised file starts with (prose that begins
/// with `Summary: ...` is not YAML to read).
fn is_yaml_key_line(line: &str) -> bool {
    let Some((key, rest)) = line.split_once(':') else {
        return false;
    };
    let key = key.trim_matches(|c| c == '"' || c == '\'');
    (rest.is_empty() || rest.starts_with(' ')) && crate::detect::is_known_top_key(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniffed(text: &str) -> Result<Format, PassOver> {
        sniff(text.as_bytes())
    }

    #[test]
    fn beginnings() {
        assert_eq!(sniffed("  {\"Vpcs\": []}"), Ok(Format::Json));
        assert_eq!(sniffed("apiVersion: v1\nitems:\n- kind: Pod\n"), Ok(Format::Yaml));
        assert_eq!(sniffed("# comment\n---\nVpcs:\n- VpcId: vpc-1\n"), Ok(Format::Yaml));
        assert_eq!(sniffed("RouteTables:\n"), Ok(Format::Yaml));
        assert_eq!(
            sniffed("-- Logs begin at Mon 2025-08-18 09:00:01 UTC. --\nAug 25 11:12:03 ip-10-0-21-144 kubenswrapper[2345]: I0825 x\n"),
            Ok(Format::Journal)
        );
        assert_eq!(sniffed("2025-08-25 11:29:10.370416354 +0000 UTC m=+0.067553712\n"), Err(PassOver::OtherText));
        assert_eq!(sniffed("openshift/must-gather\n4.16.0\n"), Err(PassOver::OtherText));
        assert_eq!(sniffed("[must-gather      ] OUT 2025-08-25T11:29:02.118Z Using must-gather plug-in image\n"), Err(PassOver::OtherText));
        assert_eq!(sniffed("[{\"a\": 1}]"), Ok(Format::Json));
        assert_eq!(sniffed("Summary: the pods fail since Monday\nWe tried: everything\n"), Err(PassOver::OtherText));
        assert_eq!(sniffed("kind: PodList\n"), Ok(Format::Yaml));
        assert_eq!(sniffed("<!doctype html>\n<html>"), Err(PassOver::OtherText));
        assert_eq!(sniffed("   \n"), Err(PassOver::Empty));
        assert_eq!(sniff(b"\x1f\x8b\x08\x00\x00"), Err(PassOver::Binary));
        assert_eq!(sniff(b"\xff\xfe garbage"), Err(PassOver::Binary));
        // a character cut by the end of the head is still text
        assert_eq!(sniff("Vpcs:\n- Name: caf\u{e9}".as_bytes().split_last().unwrap().1), Ok(Format::Yaml));
    }

    #[test]
    fn names() {
        assert_eq!(pass_over(Path::new("b/pods.json"), b"garbage"), None);
        assert_eq!(pass_over(Path::new("b/pods.yaml.gz"), b""), None);
        assert_eq!(pass_over(Path::new("b/notes.txt"), b"hello"), Some(PassOver::OtherText));
        assert_eq!(
            pass_over(Path::new("mg/namespaces/cf-dev/pods/api-1/api/api/logs/current.log"), b"Aug 25 11:12:03 h x[1]: y"),
            Some(PassOver::ContainerLog)
        );
        assert_eq!(pass_over(Path::new("mg/namespaces/x/pods/p/c/c/logs/rotated/0.log.20250825"), b""), Some(PassOver::ContainerLog));
        assert_eq!(format_of(Path::new("x.YML"), b"{}"), Ok(Format::Yaml));
    }
}
