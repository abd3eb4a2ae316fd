//! YAML files (`kubectl/oc get -o yaml`, must-gather, `aws ... --output yaml`) into the same JSON
//! values the JSON reader makes, so detection, typed parsing and errors with paths are shared.
//!
//! The parser is serde-saphyr (pure Rust, no panics on malformed input by design). Its budget
//! is sized to the file: a genuine file can never exceed it (every node, event and scalar byte
//! comes from at least one input byte), while aliases, the one way YAML expands (a "billion
//! laughs" file), stay within fixed limits.

use serde_json::Value;

/// Deeper than this is not a command's output (serde_json stops at 128 too).
const MAX_DEPTH: usize = 128;

/// A YAML stream's documents, in order, or the error with its line and column.
pub(crate) fn documents(bytes: &[u8]) -> Result<Vec<Value>, String> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
        format!("not valid YAML: line {line}: the file is not UTF-8 text")
    })?;
    let mut budget = serde_saphyr::Budget::default();
    let room = text.len().saturating_add(4096);
    budget.max_events = room;
    budget.max_nodes = room;
    budget.max_total_scalar_bytes = room;
    budget.max_documents = room / 4 + 16;
    budget.max_depth = MAX_DEPTH;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    // YAML 1.2 (what kubectl, oc and the AWS CLI write): `yes`, `on` are strings; a plain
    // `012345678901` (an account id written by hand) stays a string, not an octal number
    options.strict_booleans = true;
    options.leading_zero_numbers_as_strings = true;
    serde_saphyr::from_multiple_with_options::<Value>(text, options).map_err(|error| describe(&error))
}

/// A Kubernetes file in kubectl's block layout whose kind the reader does not use, told without
/// parsing it: one top-level `kind: X` (or `XList`) line, one document, an `apiVersion:` line.
/// Returns the kind, its `apiVersion`, and for a list how many objects it holds (a list's items
/// are the `- ` lines at the margin, as kubectl prints them); `None` for a single object. A must-gather's CustomResourceDefinitions alone are tens of
/// megabytes of YAML pulldoctor has no use for. `None` (parse it) whenever in doubt.
pub(crate) fn unread_kind(bytes: &[u8], is_read: impl Fn(&str) -> bool) -> Option<(String, String, Option<usize>)> {
    let text = std::str::from_utf8(bytes).ok()?;
    let (mut kind, mut api, mut items, mut items_key) = (None, None, 0usize, false);
    for (number, line) in text.lines().enumerate() {
        if line.starts_with("---") && number > 0 || line.starts_with('{') || line.starts_with('%') {
            return None;
        }
        if let Some(value) = line.strip_prefix("kind:") {
            if kind.is_some() {
                return None;
            }
            kind = Some(value.trim().trim_matches('"'));
        } else if let Some(value) = line.strip_prefix("apiVersion:") {
            api = Some(value.trim().trim_matches('"'));
        } else if line.starts_with("items:") {
            items_key = true;
        } else if line.starts_with("- ") || line == "-" {
            items += 1;
        }
    }
    let kind = kind.filter(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric()))?;
    let single = kind.strip_suffix("List").filter(|k| !k.is_empty());
    let object = single.unwrap_or(kind);
    let api = api?;
    if kind == "List" || is_read(object) || is_read(kind) {
        return None;
    }
    match (single, items_key) {
        (Some(_), true) => Some((object.to_string(), api.to_string(), Some(items))),
        (None, false) => Some((object.to_string(), api.to_string(), None)),
        _ => None,
    }
}

/// The parser's message without its snippet of the input (a snippet of a Secret would print
/// its data), with the position as the JSON reader prints it.
fn describe(error: &serde_saphyr::Error) -> String {
    let plain = error.without_snippet().to_string();
    let first = plain.lines().next().unwrap_or("unreadable").trim();
    match error.location() {
        Some(at) if at.line() > 0 => format!("not valid YAML: line {}, column {}: {}", at.line(), at.column(), strip_position(first)),
        _ => format!("not valid YAML: {}", strip_position(first)),
    }
}

/// serde-saphyr may append its own " at line X column Y"; the position is printed once, first.
fn strip_position(message: &str) -> &str {
    message.rfind(" at line ").map(|i| &message[..i]).unwrap_or(message).trim_end_matches(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_and_values() {
        let docs = documents(b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Pod\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0]["metadata"]["name"], "a");
        // YAML 1.2: yes/no/on are strings; quoted numbers stay strings; timestamps are strings
        let docs = documents(b"a: yes\nb: '818140567777'\nc: 2025-08-25T11:00:00Z\nd: 42\ne: null\nf: \"x\"\n").unwrap();
        assert_eq!(docs[0]["a"], "yes");
        assert_eq!(docs[0]["b"], "818140567777");
        assert_eq!(docs[0]["c"], "2025-08-25T11:00:00Z");
        assert_eq!(docs[0]["d"], 42);
        assert!(docs[0]["e"].is_null());
        // go-yaml folds long quoted scalars onto continuation lines
        let docs = documents(b"message: \"Failed to pull image \\\"x\\\": rpc error: code = Unknown desc\n  = something long\"\n").unwrap();
        assert_eq!(docs[0]["message"], "Failed to pull image \"x\": rpc error: code = Unknown desc = something long");
    }

    #[test]
    fn errors_say_where() {
        let error = documents(b"a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(error.starts_with("not valid YAML: line "), "{error}");
        let error = documents(b"a: 1\n\xff\xfe\n").unwrap_err();
        assert_eq!(error, "not valid YAML: line 2: the file is not UTF-8 text");
    }

    #[test]
    fn kinds_not_read_are_counted_without_parsing() {
        let is_read = |k: &str| k == "Pod";
        let list = b"apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  data:\n    a: \"[\"\n- apiVersion: v1\n  kind: ConfigMap\nkind: ConfigMapList\nmetadata:\n  resourceVersion: \"1\"\n";
        assert_eq!(unread_kind(list, is_read), Some(("ConfigMap".to_string(), "v1".to_string(), Some(2))));
        let one = b"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: x\n";
        assert_eq!(unread_kind(one, is_read), Some(("CustomResourceDefinition".to_string(), "apiextensions.k8s.io/v1".to_string(), None)));
        for parse in [
            &b"apiVersion: v1\nitems: []\nkind: PodList\n"[..],
            b"apiVersion: v1\nitems:\n- kind: ConfigMap\nkind: List\n",
            b"apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: Pod\n",
            b"Vpcs:\n- VpcId: vpc-1\n",
            b"kind: ConfigMap\n",
        ] {
            assert_eq!(unread_kind(parse, is_read), None, "{}", String::from_utf8_lossy(parse));
        }
    }

    /// A "billion laughs" file is refused, not expanded.
    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for level in 0..8u8 {
            let (name, previous) = ((b'b' + level) as char, (b'a' + level) as char);
            text.push_str(&format!("{name}: &{name} [*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous}]\n"));
        }
        let error = documents(text.as_bytes()).unwrap_err();
        assert!(error.starts_with("not valid YAML"), "{error}");
    }
}
