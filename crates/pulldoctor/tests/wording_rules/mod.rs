//! The wording rules every rendered report keeps (shared by `wording.rs` over the scenarios and
//! `live_wording.rs` over a topology built live): numbers agree with their nouns, and no raw
//! library error reaches a reader.

use regex::Regex;

/// Nouns the reports count, singular and plural.
const NOUNS: &[(&str, &str)] = &[
    ("pod", "pods"),
    ("subnet", "subnets"),
    ("node", "nodes"),
    ("container", "containers"),
    ("file", "files"),
    ("registry", "registries"),
    ("route table", "route tables"),
    ("time", "times"),
    ("day", "days"),
    ("secret", "secrets"),
];

/// Texts that name a number with a noun of the wrong number, or a verb that disagrees.
pub fn disagreements(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (singular, plural) in NOUNS {
        let one_many = Regex::new(&format!(r"(?:^|[^\d.,-])1 {plural}\b")).unwrap();
        let many_one = Regex::new(&format!(r"(?:^|[^\d.,-])(?:[02-9]|\d{{2,}}) {singular}\b")).unwrap();
        for found in one_many.find_iter(text).chain(many_one.find_iter(text)) {
            out.push(found.as_str().trim().to_string());
        }
    }
    // "1 pod fail", "3 pods fails"
    let verbs = Regex::new(r"(?:^|[^\d.,-])(1 pod (?:fail|have|are|use)\b|(?:[02-9]|\d{2,}) pods (?:fails|has|is|uses)\b)").unwrap();
    out.extend(verbs.find_iter(text).map(|m| m.as_str().trim().to_string()));
    // "the node's subnets ... so they": one subnet is "it", more are "they"
    let subject = Regex::new(r"subnet \([^)]*\) (?:have|so they)|subnets \([^,)]*\) (?:has|so it)").unwrap();
    out.extend(subject.find_iter(text).map(|m| m.as_str().to_string()));
    out
}

/// What a library prints, never what a reader should see.
pub const RAW_ERRORS: &[&str] =
    &["Error at offset", "service error", "unhandled error", "DispatchFailure", "Error {", "ErrorKind", "unexpected token"];
