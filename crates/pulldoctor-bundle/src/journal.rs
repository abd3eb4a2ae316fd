//! Nodes' journals as text: `journalctl -u kubelet` / `-u containerd` / `-u crio` in the `short`,
//! `short-precise`, `short-iso`, `short-iso-precise`, `short-full` or `short-unix` formats, as
//! `oc adm node-logs`, must-gather (`host_service_logs/*/kubelet_service.log`), the EKS log
//! collector (`kubelet/kubelet.log`, `containerd/containerd-log.txt`) or a plain redirect save
//! them. Each pull error a line records becomes a [`NodeLogError`] naming what the line names.
//!
//! The line shapes, from public bug reports (kept in `fixtures/journals/README.md` with their
//! sources):
//!
//! - kubelet (structured klog, 1.21+): `"Error syncing pod, skipping" err="failed to
//!   \"StartContainer\" for \"C\" with ErrImagePull: \"ERR\"" pod="NS/NAME"`, `"Unhandled Error"
//!   err="[init ]container C start failed in pod NAME_NS(UID): ErrImagePull: ERR"`, `"Failed to
//!   pull image" err="ERR" image="IMG"`, `"PullImage from image service failed" err="ERR"
//!   image="IMG"`, `"Event occurred" object="NS/NAME" fieldPath="spec.containers{C}"
//!   reason="Failed" message="Failed to pull image \"IMG\": ERR"`; older kubelets (unstructured):
//!   `container &Container{Name:C,Image:IMG,...} start failed in pod NAME_NS(UID): ErrImagePull: ERR`.
//! - containerd (logfmt): `level=error msg="PullImage \"IMG\" failed" error="ERR"`.
//! - CRI-O logs a failed pull's cause only at debug level, without the image: its journal is
//!   recognised as a journal, and the kubelet's (`kubenswrapper` on OpenShift) carries the error.

use std::path::Path;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use pulldoctor_model::{CREDENTIAL_PROVIDER_FLAGS, KubeletFlag, LogUnit, NodeLogError};

/// When a line was written, as the journal printed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineTime {
    Full(DateTime<Utc>),
    /// `short` and `short-precise` print no year: the builder takes it from the bundle's time.
    NoYear {
        month: u32,
        day: u32,
        seconds_of_day: u32,
        nanos: u32,
    },
}

/// One pull error, before the year of a `short` timestamp is known.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) time: LineTime,
    pub(crate) error: NodeLogError,
}

/// What a journal holds for pulldoctor: the pull errors, and the kubelet flags that decide which
/// credentials a pull uses (logged as `FLAG: --NAME="VALUE"` when the kubelet starts).
#[derive(Debug, Clone, Default)]
pub(crate) struct Journal {
    pub(crate) records: Vec<Record>,
    pub(crate) flags: Vec<KubeletFlag>,
}

/// The parts of a journal line.
struct Line<'a> {
    time: LineTime,
    host: &'a str,
    ident: &'a str,
    message: &'a str,
}

/// Whether a line is a journal line (`TIME HOST IDENT[PID]: MESSAGE`).
pub(crate) fn is_journal_line(line: &str) -> bool {
    split_line(line).is_some()
}

/// Every pull error in a journal, with the line it is on. Lines of other programs and other
/// messages are passed over; a file with no journal line at all is an error.
pub(crate) fn parse(file: &Path, bytes: &[u8]) -> Result<Journal, String> {
    let text = String::from_utf8_lossy(bytes);
    let mut records = Vec::new();
    let mut flags = Vec::new();
    let mut journal_lines = 0usize;
    for (number, line) in text.lines().enumerate() {
        let Some(parts) = split_line(line) else {
            continue;
        };
        journal_lines += 1;
        let Some(unit) = unit_of(parts.ident) else {
            continue;
        };
        if unit == LogUnit::Kubelet
            && let Some((name, value)) = credential_flag(parts.message)
        {
            flags.push(KubeletFlag { file: file.display().to_string(), line: number + 1, host: parts.host.to_string(), name, value });
            continue;
        }
        if !mentions_a_pull(parts.message) {
            continue;
        }
        let found = match unit {
            LogUnit::Kubelet => kubelet_errors(parts.message),
            LogUnit::Containerd => containerd_error(parts.message).into_iter().collect(),
            LogUnit::Crio => Vec::new(),
        };
        for found in found {
            records.push(Record {
                time: parts.time,
                error: NodeLogError {
                    file: file.display().to_string(),
                    line: number + 1,
                    host: parts.host.to_string(),
                    unit,
                    time: None,
                    namespace: found.namespace,
                    pod: found.pod,
                    container: found.container,
                    image: found.image.or_else(|| image_in_error(&found.message)),
                    reason: found.reason,
                    message: found.message,
                },
            });
        }
    }
    if journal_lines == 0 {
        return Err("no journal line (`TIME HOST UNIT[PID]: MESSAGE`) in the file".into());
    }
    Ok(Journal { records, flags })
}

/// `I0825 11:30:00.123456    2215 flags.go:64] FLAG: --image-credential-provider-config="/etc/eks/..."`:
/// the flag's name and its unquoted value, for the credential provider's flags only.
fn credential_flag(message: &str) -> Option<(String, String)> {
    let (_, rest) = message.split_once("] FLAG: --")?;
    let (name, value) = rest.split_once('=')?;
    if !CREDENTIAL_PROVIDER_FLAGS.contains(&name) {
        return None;
    }
    let value = value.trim_end();
    let value = match go_unquote(value) {
        Some((unquoted, "")) => unquoted,
        _ => value.trim_matches('"').to_string(),
    };
    Some((name.to_string(), value))
}

fn unit_of(ident: &str) -> Option<LogUnit> {
    let name = ident.split('[').next().unwrap_or(ident);
    match name {
        "kubelet" | "kubenswrapper" | "hyperkube" | "kubelet-eks.daemon" => Some(LogUnit::Kubelet),
        "containerd" => Some(LogUnit::Containerd),
        "crio" => Some(LogUnit::Crio),
        _ => None,
    }
}

/// A cheap look before the parse: only these messages can carry a pull error.
fn mentions_a_pull(message: &str) -> bool {
    [
        "ErrImagePull",
        "ImagePullBackOff",
        "Failed to pull image",
        "PullImage",
        "InvalidImageName",
        "SignatureValidationFailed",
        "ErrImageNeverPull",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

// ---------------------------------------------------------------- the line's header

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn split_line(line: &str) -> Option<Line<'_>> {
    let (time, rest) = timestamp(line)?;
    let rest = rest.strip_prefix(' ')?;
    let (host, rest) = rest.split_once(' ')?;
    if host.is_empty() || !host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')) {
        return None;
    }
    let (ident, message) = rest.split_once(": ").or_else(|| rest.strip_suffix(':').map(|ident| (ident, "")))?;
    let name = ident.split('[').next().unwrap_or(ident);
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@' | b'/')) {
        return None;
    }
    let pid = &ident[name.len()..];
    let pid_ok =
        pid.is_empty() || (pid.starts_with('[') && pid.ends_with(']') && pid[1..pid.len() - 1].bytes().all(|b| b.is_ascii_digit()));
    if !pid_ok {
        return None;
    }
    Some(Line { time, host, ident, message })
}

/// The timestamp at the start of a line and what follows it.
fn timestamp(line: &str) -> Option<(LineTime, &str)> {
    let first = line.get(..3)?;
    if let Some(month) = MONTHS.iter().position(|m| *m == first) {
        // short: `Aug 25 11:12:03`, short-precise: `Aug 25 11:12:03.123456`, syslog: `Aug  5 ...`
        let rest = line[3..].strip_prefix(' ')?.trim_start_matches(' ');
        let (day, rest) = digits(rest, 1, 2)?;
        let rest = rest.strip_prefix(' ')?;
        let (seconds_of_day, nanos, rest) = clock(rest)?;
        return (1..=31).contains(&day).then_some((LineTime::NoYear { month: month as u32 + 1, day, seconds_of_day, nanos }, rest));
    }
    if matches!(first, "Mon" | "Tue" | "Wed" | "Thu" | "Fri" | "Sat" | "Sun") {
        // short-full: `Mon 2025-08-25 11:12:03 UTC` (zones other than UTC are read as UTC)
        let rest = line[3..].strip_prefix(' ')?;
        let (date, rest) = date(rest)?;
        let (seconds_of_day, nanos, rest) = clock(rest.strip_prefix(' ')?)?;
        let rest = rest.strip_prefix(' ')?;
        let zone_end = rest.find(' ')?;
        return Some((LineTime::Full(at(date, seconds_of_day, nanos, 0)?), &rest[zone_end..]));
    }
    if let Some((date, rest)) = date(line) {
        // short-iso: `2025-08-25T11:12:03+0000`, short-iso-precise: `...03.123456+00:00`
        let (seconds_of_day, nanos, rest) = clock(rest.strip_prefix('T')?)?;
        let (offset, rest) = zone(rest)?;
        return Some((LineTime::Full(at(date, seconds_of_day, nanos, offset)?), rest));
    }
    // short-unix: `1756120323.123456`
    let (seconds, _) = line.split_once(' ')?;
    let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
    if whole.len() < 9 || !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos = fraction_nanos(fraction);
    let time = Utc.timestamp_opt(whole.parse().ok()?, nanos).single()?;
    Some((LineTime::Full(time), &line[seconds.len()..]))
}

fn digits(text: &str, min: usize, max: usize) -> Option<(u32, &str)> {
    let count = text.bytes().take(max).take_while(u8::is_ascii_digit).count();
    (count >= min).then(|| (text[..count].parse().ok(), &text[count..])).and_then(|(n, rest)| Some((n?, rest)))
}

fn date(text: &str) -> Option<(NaiveDate, &str)> {
    let (year, rest) = digits(text, 4, 4)?;
    let (month, rest) = digits(rest.strip_prefix('-')?, 2, 2)?;
    let (day, rest) = digits(rest.strip_prefix('-')?, 2, 2)?;
    Some((NaiveDate::from_ymd_opt(year as i32, month, day)?, rest))
}

/// `HH:MM:SS[.fraction]`: seconds of the day, nanoseconds, the rest.
fn clock(text: &str) -> Option<(u32, u32, &str)> {
    let (hours, rest) = digits(text, 2, 2)?;
    let (minutes, rest) = digits(rest.strip_prefix(':')?, 2, 2)?;
    let (seconds, rest) = digits(rest.strip_prefix(':')?, 2, 2)?;
    if hours > 23 || minutes > 59 || seconds > 60 {
        return None;
    }
    let (nanos, rest) = match rest.strip_prefix('.') {
        Some(fraction) => {
            let count = fraction.bytes().take_while(u8::is_ascii_digit).count();
            (fraction_nanos(&fraction[..count]), &fraction[count..])
        }
        None => (0, rest),
    };
    Some((hours * 3600 + minutes * 60 + seconds.min(59), nanos, rest))
}

fn fraction_nanos(fraction: &str) -> u32 {
    let digits: String = fraction.chars().take(9).collect();
    if digits.is_empty() {
        return 0;
    }
    digits.parse::<u32>().unwrap_or(0) * 10u32.pow(9 - digits.len() as u32)
}

/// `Z`, `+0000`, `+00:00`: the offset in seconds east of UTC, and the rest.
fn zone(text: &str) -> Option<(i32, &str)> {
    if let Some(rest) = text.strip_prefix('Z') {
        return Some((0, rest));
    }
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (hours, rest) = digits(&text[1..], 2, 2)?;
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    let (minutes, rest) = digits(rest, 2, 2)?;
    Some((sign * (hours as i32 * 3600 + minutes as i32 * 60), rest))
}

fn at(date: NaiveDate, seconds_of_day: u32, nanos: u32, offset: i32) -> Option<DateTime<Utc>> {
    let local = date.and_hms_nano_opt(seconds_of_day / 3600, seconds_of_day / 60 % 60, seconds_of_day % 60, nanos)?;
    Some(Utc.from_utc_datetime(&local) - chrono::Duration::seconds(offset as i64))
}

/// The year of a `short` timestamp: the one that puts it at or before `reference` (the latest
/// moment the rest of the bundle shows, plus a day of slack for clocks and late events).
pub(crate) fn resolve(time: LineTime, reference: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match time {
        LineTime::Full(time) => Some(time),
        LineTime::NoYear { month, day, seconds_of_day, nanos } => {
            let reference = reference?;
            let in_year = |year: i32| NaiveDate::from_ymd_opt(year, month, day).and_then(|d| at(d, seconds_of_day, nanos, 0));
            let year = chrono::Datelike::year(&reference);
            match in_year(year) {
                Some(time) if time <= reference + chrono::Duration::days(1) => Some(time),
                _ => in_year(year - 1),
            }
        }
    }
}

// ---------------------------------------------------------------- messages

/// What one line says about one failing container.
#[derive(Debug, Default, PartialEq)]
struct Found {
    namespace: Option<String>,
    pod: Option<String>,
    container: Option<String>,
    image: Option<String>,
    reason: Option<String>,
    message: String,
}

/// The kubelet's pull errors in one message (klog: `E0825 11:12:03.123456   2345 file.go:1] ...`).
fn kubelet_errors(message: &str) -> Vec<Found> {
    let body = klog_body(message).unwrap_or(message);
    let Some((text, pairs)) = structured(body) else {
        return start_failed(body).into_iter().collect();
    };
    let value = |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str());
    let (namespace, pod) = match value("pod").and_then(|p| p.split_once('/')) {
        Some((namespace, pod)) => (Some(namespace.to_string()), Some(pod.to_string())),
        None => (None, None),
    };
    match text.as_str() {
        "Error syncing pod, skipping" => value("err")
            .map(start_container_errors)
            .unwrap_or_default()
            .into_iter()
            .map(|found| Found { namespace: namespace.clone(), pod: pod.clone(), ..found })
            .collect(),
        "Unhandled Error" => value("err").and_then(start_failed).into_iter().collect(),
        "Failed to pull image" | "PullImage from image service failed" => match value("err") {
            Some(error) if is_real_error(error) => {
                vec![Found { namespace, pod, image: value("image").map(str::to_string), message: error.to_string(), ..Found::default() }]
            }
            _ => Vec::new(),
        },
        "Event occurred" if value("reason") == Some("Failed") && value("kind").is_none_or(|k| k == "Pod") => {
            let Some(event) = value("message").filter(|m| m.starts_with("Failed to pull image") && is_real_error(m)) else {
                return Vec::new();
            };
            let (namespace, pod) = match value("object").and_then(|o| o.split_once('/')) {
                Some((namespace, pod)) => (Some(namespace.to_string()), Some(pod.to_string())),
                None => (None, None),
            };
            let container = value("fieldPath").and_then(|path| path.split_once('{')).map(|(_, c)| c.trim_end_matches('}').to_string());
            let image = event.strip_prefix("Failed to pull image ").and_then(|rest| go_unquote(rest)).map(|(image, _)| image);
            vec![Found { namespace, pod, container, image, reason: None, message: event.to_string() }]
        }
        _ => Vec::new(),
    }
}

/// The part after klog's header, when there is one.
fn klog_body(message: &str) -> Option<&str> {
    let severity = message.as_bytes().first()?;
    if !matches!(severity, b'I' | b'W' | b'E' | b'F') || !message.as_bytes().get(1)?.is_ascii_digit() {
        return None;
    }
    let end = message.find("] ")?;
    Some(&message[end + 2..])
}

/// `"Message" key="value" key=value ...` (klog's structured form) into its parts.
fn structured(body: &str) -> Option<(String, Vec<(&str, String)>)> {
    let (text, rest) = go_unquote(body)?;
    Some((text, logfmt(rest)))
}

/// logfmt (`time="..." level=error msg="..." error="..."`) into key/value pairs.
fn logfmt(message: &str) -> Vec<(&str, String)> {
    let mut pairs = Vec::new();
    let mut rest = message;
    while let Some((key, after)) = rest.trim_start().split_once('=') {
        if key.contains(' ') || key.is_empty() {
            break;
        }
        let (value, after) = match go_unquote(after) {
            Some(found) => found,
            None => {
                let end = after.find(' ').unwrap_or(after.len());
                (after[..end].to_string(), &after[end..])
            }
        };
        pairs.push((key, value));
        rest = after;
    }
    pairs
}

/// `failed to "StartContainer" for "C" with ErrImagePull: "ERR"`, once per container (several
/// come as a bracketed list).
fn start_container_errors(error: &str) -> Vec<Found> {
    const START: &str = "failed to \"StartContainer\" for ";
    let mut out = Vec::new();
    let mut rest = error;
    while let Some(position) = rest.find(START) {
        rest = &rest[position + START.len()..];
        let Some((container, after)) = go_unquote(rest) else {
            break;
        };
        rest = after;
        let Some(after) = rest.strip_prefix(" with ") else {
            continue;
        };
        let Some((reason, after)) = after.split_once(": ") else {
            continue;
        };
        let Some((inner, after)) = go_unquote(after) else {
            continue;
        };
        rest = after;
        if let Some((message, image)) = real_part(&inner) {
            out.push(Found { container: Some(container), image, reason: Some(reason.to_string()), message, ..Found::default() });
        }
    }
    out
}

/// `[init ]container C start failed in pod NAME_NS(UID): REASON: ERR`, and the older
/// `container &Container{Name:C,Image:IMG,...} start failed in pod ...`.
fn start_failed(text: &str) -> Option<Found> {
    const MIDDLE: &str = " start failed in pod ";
    let position = text.find(MIDDLE)?;
    let (subject, after) = (&text[..position], &text[position + MIDDLE.len()..]);
    let (container, image) = if let Some(fields) = subject.split_once("&Container{").map(|(_, f)| f) {
        let field = |name: &str| fields.split(',').find_map(|f| f.strip_prefix(name)).map(str::to_string);
        (field("Name:"), field("Image:"))
    } else {
        let name = subject.strip_prefix("init container ").or_else(|| subject.strip_prefix("container "))?;
        (Some(name.trim().to_string()), None)
    };
    let (pod_part, rest) = after.split_once(": ")?;
    let (name_namespace, _uid) = pod_part.split_once('(')?;
    let (pod, namespace) = name_namespace.split_once('_')?;
    let (reason, error) = rest.split_once(": ")?;
    let (message, inner_image) = real_part(error)?;
    Some(Found {
        namespace: Some(namespace.to_string()),
        pod: Some(pod.to_string()),
        container,
        image: image.or(inner_image),
        reason: Some(reason.to_string()),
        message,
    })
}

/// containerd: `level=error msg="PullImage \"IMG\" failed" error="ERR"`.
fn containerd_error(message: &str) -> Option<Found> {
    let pairs = logfmt(message);
    let value = |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str());
    let text = value("msg")?;
    let image = text.strip_prefix("PullImage ").filter(|rest| rest.ends_with(" failed")).and_then(go_unquote).map(|(image, _)| image)?;
    let error = value("error").filter(|e| is_real_error(e))?;
    Some(Found { image: Some(image), message: error.to_string(), ..Found::default() })
}

/// The real error in a kubelet reason's text, and the image a back-off notice names: a bare
/// `Back-off pulling image "IMG"` is no error, newer kubelets append `: ErrImagePull: ERR`.
fn real_part(text: &str) -> Option<(String, Option<String>)> {
    if let Some(rest) = text.strip_prefix("Back-off pulling image ") {
        let (image, after) = go_unquote(rest)?;
        let error = after.strip_prefix(": ")?;
        let error = error.split_once(": ").filter(|(reason, _)| reason.starts_with("Err")).map(|(_, e)| e).unwrap_or(error);
        return is_real_error(error).then(|| (error.to_string(), Some(image)));
    }
    is_real_error(text).then(|| (text.to_string(), None))
}

fn is_real_error(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty() && (!text.starts_with("Back-off pulling image") || text.contains(": "))
}

/// The image a runtime's error names: containerd's `failed to pull and unpack image "IMG"`,
/// CRI-O's `initializing source docker://IMG:` or `reading manifest TAG in REPO`.
fn image_in_error(error: &str) -> Option<String> {
    for marker in ["failed to pull and unpack image ", "failed to resolve reference ", "Failed to pull image "] {
        if let Some((image, _)) = error.split_once(marker).and_then(|(_, rest)| go_unquote(rest)) {
            return Some(image);
        }
    }
    let source = error.split_once("initializing source docker://").map(|(_, rest)| rest)?;
    let end = source.find(": ").unwrap_or(source.len());
    Some(source[..end].to_string())
}

/// A Go-quoted string (`"a \"b\" \\ \n"`) at the start of `text`: its value and what follows.
fn go_unquote(text: &str) -> Option<(String, &str)> {
    let mut chars = text.strip_prefix('"')?.char_indices();
    let mut out = String::new();
    while let Some((position, c)) = chars.next() {
        match c {
            '"' => return Some((out, &text[position + 2..])),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'x' => {
                    let hex: String = (0..2).filter_map(|_| chars.next().map(|(_, c)| c)).collect();
                    out.push(char::from(u8::from_str_radix(&hex, 16).ok()?));
                }
                'u' => {
                    let hex: String = (0..4).filter_map(|_| chars.next().map(|(_, c)| c)).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests;
