//! Parsing of IAM JSON policy documents (identity-based policies and resource-based policies such
//! as ECR repository policies).
//!
//! Grammar followed (IAM User Guide, *IAM JSON policy element reference* and *Grammar of the IAM
//! JSON policy language*):
//! - `Version`: `"2012-10-17"` or `"2008-10-17"` (optional; when absent AWS applies 2008-10-17,
//!   which has no policy variables). `Id`: optional string.
//! - `Statement`: one statement object or an array of them.
//! - per statement: `Sid` (optional string); `Effect`: exactly `"Allow"` or `"Deny"` ("The Effect
//!   value is case sensitive", *IAM JSON policy elements: Effect*); exactly one of `Action` /
//!   `NotAction`; at most one of `Resource` / `NotResource` (ECR repository policies usually omit
//!   it: the statement then applies to the repository the policy is attached to); at most one of
//!   `Principal` / `NotPrincipal` (resource-based policies only); optional `Condition`.
//!   `Action`, `NotAction`, `Resource`, `NotResource` are a string or an array of strings.
//! - `Principal`: `"*"` or an object with `AWS`, `Service`, `Federated`, `CanonicalUser` keys,
//!   each a string or an array of strings.
//!
//! Element names are matched exactly (`"Effect"`, not `"effect"`); an unknown element is an error
//! because IAM refuses such a document, so a fixture containing one is not a real shape.
//!
//! Input forms accepted by [`PolicyDocument::parse`] / [`PolicyDocument::parse_str`]: a JSON object
//! (what the AWS CLI prints for `PolicyDocument` / `Document`), JSON text (what ECR returns in
//! `policyText`), and the URL-encoded text the IAM query API returns (`%7B%22Version%22...`;
//! "Policies returned by this operation are URL-encoded compliant with RFC 3986", IAM API
//! Reference, GetAccountAuthorizationDetails / GetRolePolicy; the CLI decodes them, raw API
//! responses do not).

use serde_json::{Map, Value};
use std::fmt;

/// Why a policy document could not be parsed. The message names the offending element with a
/// path such as `Statement[1].Effect`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The text is not valid JSON.
    #[error("policy text is not valid JSON: {0}")]
    Json(String),
    /// The text looked URL-encoded but a `%` escape was malformed or the result is not UTF-8.
    #[error("policy text is not valid URL-encoding: {0}")]
    UrlEncoding(String),
    /// An element has the wrong type or value.
    #[error("{path}: {message}")]
    Field {
        /// Where, e.g. `Statement[1].Effect`.
        path: String,
        /// What is wrong, e.g. `expected "Allow" or "Deny", found "allow"`.
        message: String,
    },
}

fn field_err(path: impl Into<String>, message: impl Into<String>) -> PolicyError {
    PolicyError::Field { path: path.into(), message: message.into() }
}

/// `Effect` of a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        })
    }
}

/// `Action` (matches the listed actions) or `NotAction` (matches every action except them).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum ActionSpec {
    Action(Vec<String>),
    NotAction(Vec<String>),
}

/// `Resource` or `NotResource`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum ResourceSpec {
    Resource(Vec<String>),
    NotResource(Vec<String>),
}

/// The values of a `Principal` / `NotPrincipal` element.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PrincipalSet {
    /// `"Principal": "*"` (everyone, including anonymous callers).
    pub everyone: bool,
    /// `AWS`: account ids, `arn:aws:iam::ACCOUNT:root`, role/user/assumed-role ARNs, or `"*"`.
    pub aws: Vec<String>,
    /// `Service`: service principals such as `ec2.amazonaws.com`.
    pub service: Vec<String>,
    /// `Federated`: identity providers.
    pub federated: Vec<String>,
    /// `CanonicalUser`: S3 canonical user ids.
    pub canonical_user: Vec<String>,
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum PrincipalSpec {
    Principal(PrincipalSet),
    NotPrincipal(PrincipalSet),
}

/// One `operator: { key: values }` entry of a `Condition` block.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Condition {
    /// e.g. `StringEquals`, `ArnLike`, `ForAnyValue:StringLike`, `StringEqualsIfExists`.
    pub operator: String,
    /// e.g. `aws:ResourceTag/red-hat-managed`.
    pub key: String,
    /// The values, numbers and booleans rendered as text.
    pub values: Vec<String>,
}

/// One parsed statement.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub action: ActionSpec,
    /// `None` when the statement has neither `Resource` nor `NotResource`.
    pub resource: Option<ResourceSpec>,
    /// `None` when the statement has neither `Principal` nor `NotPrincipal`.
    pub principal: Option<PrincipalSpec>,
    /// Empty when the statement has no `Condition`.
    pub conditions: Vec<Condition>,
}

impl Statement {
    /// The condition keys this statement depends on (sorted, deduplicated).
    pub fn condition_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.conditions.iter().map(|c| c.key.clone()).collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

/// A parsed IAM policy document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PolicyDocument {
    /// `Version` as written (`None` when absent).
    pub version: Option<String>,
    /// `Id` as written.
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

/// The two policy language versions IAM accepts.
pub const VERSION_2012: &str = "2012-10-17";
/// The old policy language version (no policy variables).
pub const VERSION_2008: &str = "2008-10-17";

impl PolicyDocument {
    /// Parses a document given as a JSON object, or as a JSON string holding the document text
    /// (plain JSON or URL-encoded, see [`PolicyDocument::parse_str`]).
    pub fn parse(value: &Value) -> Result<Self, PolicyError> {
        parse_value(value, 0)
    }

    /// Parses document text: JSON (`{"Version": ...}`), URL-encoded JSON as returned by the IAM
    /// query API (`%7B%22Version%22...`), or a JSON string literal containing either.
    pub fn parse_str(text: &str) -> Result<Self, PolicyError> {
        parse_text(text, 0)
    }

    /// `true` when policy variables (`${aws:username}`) are interpreted: only in 2012-10-17
    /// documents (IAM User Guide, *IAM policy elements: Variables and tags*).
    pub fn policy_variables_enabled(&self) -> bool {
        self.version.as_deref() == Some(VERSION_2012)
    }
}

const MAX_NESTING: usize = 3;

fn parse_text(text: &str, depth: usize) -> Result<PolicyDocument, PolicyError> {
    let trimmed = text.trim();
    if trimmed.starts_with("%7B") || trimmed.starts_with("%7b") {
        let decoded = percent_decode(trimmed)?;
        return parse_text(&decoded, depth + 1);
    }
    if !(trimmed.starts_with('{') || trimmed.starts_with('"')) {
        let shown: String = trimmed.chars().take(20).collect();
        return Err(PolicyError::Json(format!(
            "expected a JSON object, a JSON string or URL-encoded JSON (%7B...), found text starting {shown:?}"
        )));
    }
    let value: Value = serde_json::from_str(trimmed).map_err(|e| PolicyError::Json(e.to_string()))?;
    parse_value(&value, depth + 1)
}

fn parse_value(value: &Value, depth: usize) -> Result<PolicyDocument, PolicyError> {
    if depth > MAX_NESTING {
        return Err(field_err("(document)", "policy text is nested in strings too deeply"));
    }
    match value {
        Value::Object(map) => parse_document(map),
        Value::String(text) => parse_text(text, depth + 1),
        other => Err(field_err("(document)", format!("expected a JSON object, found {}", describe(other)))),
    }
}

/// Decodes `%XX` escapes (RFC 3986 percent-encoding as used by the IAM query API). `+` is kept
/// as `+`: botocore decodes these documents with `urllib.parse.unquote`, not `unquote_plus`.
pub fn percent_decode(text: &str) -> Result<String, PolicyError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or_else(|| PolicyError::UrlEncoding(format!("truncated %-escape at byte {i}")))?;
            let hi = hex_value(hex[0]);
            let lo = hex_value(hex[1]);
            match (hi, lo) {
                (Some(hi), Some(lo)) => out.push(hi * 16 + lo),
                _ => {
                    return Err(PolicyError::UrlEncoding(format!(
                        "invalid %-escape {:?} at byte {i}",
                        String::from_utf8_lossy(&bytes[i..i + 3])
                    )));
                }
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|e| PolicyError::UrlEncoding(format!("decoded bytes are not UTF-8: {e}")))
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// Wrapper keys that mean the caller passed a whole CLI response instead of the document.
const WRAPPER_HINTS: &[(&str, &str)] = &[
    ("PolicyDocument", "this looks like `get-role-policy` output or a RolePolicyList entry: pass its PolicyDocument"),
    ("Document", "this looks like a PolicyVersion: pass its Document"),
    ("PolicyVersion", "this looks like `get-policy-version` output: pass PolicyVersion.Document"),
    ("policyText", "this looks like `ecr get-repository-policy` output: pass its policyText"),
];

fn parse_document(map: &Map<String, Value>) -> Result<PolicyDocument, PolicyError> {
    for key in map.keys() {
        if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
            if let Some((_, hint)) = WRAPPER_HINTS.iter().find(|(k, _)| k == key) {
                return Err(field_err(key.clone(), *hint));
            }
            return Err(field_err(key.clone(), "unknown policy element (expected Version, Id, Statement)"));
        }
    }
    let version = match map.get("Version") {
        None => None,
        Some(Value::String(v)) if v == VERSION_2012 || v == VERSION_2008 => Some(v.clone()),
        Some(other) => {
            return Err(field_err("Version", format!("expected \"{VERSION_2012}\" or \"{VERSION_2008}\", found {}", describe(other))));
        }
    };
    let id = match map.get("Id") {
        None => None,
        Some(Value::String(v)) => Some(v.clone()),
        Some(other) => {
            return Err(field_err("Id", format!("expected a string, found {}", describe(other))));
        }
    };
    let statements = match map.get("Statement") {
        None => return Err(field_err("Statement", "missing (every policy needs one)")),
        Some(Value::Object(st)) => vec![parse_statement(st, "Statement")?],
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let path = format!("Statement[{i}]");
                match item {
                    Value::Object(st) => out.push(parse_statement(st, &path)?),
                    other => {
                        return Err(field_err(path, format!("expected a statement object, found {}", describe(other))));
                    }
                }
            }
            out
        }
        Some(other) => {
            return Err(field_err("Statement", format!("expected an object or an array of objects, found {}", describe(other))));
        }
    };
    Ok(PolicyDocument { version, id, statements })
}

const STATEMENT_KEYS: &[&str] =
    &["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"];

fn parse_statement(map: &Map<String, Value>, path: &str) -> Result<Statement, PolicyError> {
    for key in map.keys() {
        if !STATEMENT_KEYS.contains(&key.as_str()) {
            return Err(field_err(
                format!("{path}.{key}"),
                format!("unknown statement element (expected one of {})", STATEMENT_KEYS.join(", ")),
            ));
        }
    }
    let sid = match map.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(field_err(format!("{path}.Sid"), format!("expected a string, found {}", describe(other))));
        }
    };
    let effect = match map.get("Effect") {
        Some(Value::String(s)) if s == "Allow" => Effect::Allow,
        Some(Value::String(s)) if s == "Deny" => Effect::Deny,
        Some(other) => {
            return Err(field_err(
                format!("{path}.Effect"),
                format!("expected \"Allow\" or \"Deny\", found {} (the value is case-sensitive)", describe(other)),
            ));
        }
        None => {
            return Err(field_err(format!("{path}.Effect"), "missing (expected \"Allow\" or \"Deny\")"));
        }
    };
    let action = match (map.get("Action"), map.get("NotAction")) {
        (Some(v), None) => ActionSpec::Action(string_list(v, &format!("{path}.Action"))?),
        (None, Some(v)) => ActionSpec::NotAction(string_list(v, &format!("{path}.NotAction"))?),
        (Some(_), Some(_)) => {
            return Err(field_err(path, "has both Action and NotAction (exactly one is allowed)"));
        }
        (None, None) => {
            return Err(field_err(path, "has neither Action nor NotAction (exactly one is required)"));
        }
    };
    let resource = match (map.get("Resource"), map.get("NotResource")) {
        (Some(v), None) => Some(ResourceSpec::Resource(string_list(v, &format!("{path}.Resource"))?)),
        (None, Some(v)) => Some(ResourceSpec::NotResource(string_list(v, &format!("{path}.NotResource"))?)),
        (Some(_), Some(_)) => {
            return Err(field_err(path, "has both Resource and NotResource (at most one is allowed)"));
        }
        (None, None) => None,
    };
    let principal = match (map.get("Principal"), map.get("NotPrincipal")) {
        (Some(v), None) => Some(PrincipalSpec::Principal(principal_set(v, &format!("{path}.Principal"))?)),
        (None, Some(v)) => Some(PrincipalSpec::NotPrincipal(principal_set(v, &format!("{path}.NotPrincipal"))?)),
        (Some(_), Some(_)) => {
            return Err(field_err(path, "has both Principal and NotPrincipal (at most one is allowed)"));
        }
        (None, None) => None,
    };
    let conditions = match map.get("Condition") {
        None => Vec::new(),
        Some(v) => condition_block(v, &format!("{path}.Condition"))?,
    };
    Ok(Statement { sid, effect, action, resource, principal, conditions })
}

/// A string or a non-empty array of strings.
fn string_list(value: &Value, path: &str) -> Result<Vec<String>, PolicyError> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(field_err(format!("{path}[{i}]"), format!("expected a string, found {}", describe(other)))),
            })
            .collect(),
        Value::Array(_) => Err(field_err(path, "expected a string or a non-empty array of strings, found an empty array")),
        other => Err(field_err(path, format!("expected a string or an array of strings, found {}", describe(other)))),
    }
}

fn principal_set(value: &Value, path: &str) -> Result<PrincipalSet, PolicyError> {
    match value {
        Value::String(s) if s == "*" => Ok(PrincipalSet { everyone: true, ..PrincipalSet::default() }),
        Value::Object(map) => {
            let mut set = PrincipalSet::default();
            for (key, v) in map {
                let list = string_list(v, &format!("{path}.{key}"))?;
                match key.as_str() {
                    "AWS" => set.aws = list,
                    "Service" => set.service = list,
                    "Federated" => set.federated = list,
                    "CanonicalUser" => set.canonical_user = list,
                    _ => {
                        return Err(field_err(
                            format!("{path}.{key}"),
                            "unknown principal type (expected AWS, Service, Federated, CanonicalUser)",
                        ));
                    }
                }
            }
            Ok(set)
        }
        other => Err(field_err(path, format!("expected \"*\" or an object such as {{\"AWS\": \"arn:...\"}}, found {}", describe(other)))),
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn condition_block(value: &Value, path: &str) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(operators) = value else {
        return Err(field_err(path, format!("expected an object of condition operators, found {}", describe(value))));
    };
    let mut out = Vec::new();
    for (operator, keys) in operators {
        let op_path = format!("{path}.{operator}");
        let Value::Object(keys) = keys else {
            return Err(field_err(op_path, format!("expected an object of condition keys, found {}", describe(keys))));
        };
        for (key, values) in keys {
            let key_path = format!("{op_path}.{key}");
            let values = match values {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        scalar_text(item).ok_or_else(|| {
                            field_err(format!("{key_path}[{i}]"), format!("expected a string, number or boolean, found {}", describe(item)))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                other => vec![scalar_text(other).ok_or_else(|| {
                    field_err(
                        key_path.clone(),
                        format!("expected a string, number, boolean or an array of them, found {}", describe(other)),
                    )
                })?],
            };
            out.push(Condition { operator: operator.clone(), key: key.clone(), values });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Data-driven helper: each case is (input text, Ok(statement count) or Err(error message)).
    fn check(cases: &[(&str, Result<usize, &str>)]) {
        for (text, expected) in cases {
            let got = PolicyDocument::parse_str(text);
            match (expected, &got) {
                (Ok(n), Ok(doc)) => assert_eq!(doc.statements.len(), *n, "for {text}"),
                (Err(msg), Err(e)) => assert_eq!(e.to_string(), *msg, "for {text}"),
                _ => panic!("for {text}: expected {expected:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn documents_and_errors() {
        check(&[
            (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ecr:*","Resource":"*"}}"#, Ok(1)),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:*"],"Resource":["*"]},{"Effect":"Deny","NotAction":"ecr:Get*","NotResource":"arn:aws:ecr:*"}]}"#,
                Ok(2),
            ),
            (r#"{"Statement":[]}"#, Ok(0)),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"allow","Action":"*","Resource":"*"}]}"#,
                Err(r#"Statement[1].Effect: expected "Allow" or "Deny", found "allow" (the value is case-sensitive)"#),
            ),
            (r#"{"Version":"2012-10-17","Statement":{"Action":"*"}}"#, Err(r#"Statement.Effect: missing (expected "Allow" or "Deny")"#)),
            (r#"{"Version":"2012-10-18","Statement":[]}"#, Err(r#"Version: expected "2012-10-17" or "2008-10-17", found "2012-10-18""#)),
            (
                r#"{"Statement":[{"Effect":"Allow","Resource":"*"}]}"#,
                Err("Statement[0]: has neither Action nor NotAction (exactly one is required)"),
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"a","NotAction":"b"}]}"#,
                Err("Statement[0]: has both Action and NotAction (exactly one is allowed)"),
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}"#,
                Err("Statement[0].Action: expected a string or a non-empty array of strings, found an empty array"),
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":["a",3],"Resource":"*"}]}"#,
                Err("Statement[0].Action[1]: expected a string, found number 3"),
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Actions":"a","Resource":"*"}]}"#,
                Err(
                    "Statement[0].Actions: unknown statement element (expected one of Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource, Condition)",
                ),
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Principal":"arn:aws:iam::1:root","Action":"a"}]}"#,
                Err(r#"Statement[0].Principal: expected "*" or an object such as {"AWS": "arn:..."}, found "arn:aws:iam::1:root""#),
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Principal":{"Aws":"*"},"Action":"a"}]}"#,
                Err("Statement[0].Principal.Aws: unknown principal type (expected AWS, Service, Federated, CanonicalUser)"),
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"a","Condition":{"StringEquals":{"k":{"x":1}}}}]}"#,
                Err("Statement[0].Condition.StringEquals.k: expected a string, number, boolean or an array of them, found an object"),
            ),
            (
                r#"{"PolicyName":"x","PolicyDocument":{}}"#,
                Err("PolicyDocument: this looks like `get-role-policy` output or a RolePolicyList entry: pass its PolicyDocument"),
            ),
            (
                "not json",
                Err(
                    r#"policy text is not valid JSON: expected a JSON object, a JSON string or URL-encoded JSON (%7B...), found text starting "not json""#,
                ),
            ),
            ("%7B%22Statement%22%3A%5B%5D%7D", Ok(0)),
            ("%7B%22Statement%22%3A%5B%5D%7", Err("policy text is not valid URL-encoding: truncated %-escape at byte 27")),
            ("%7B%ZZ", Err(r#"policy text is not valid URL-encoding: invalid %-escape "%ZZ" at byte 3"#)),
            (r#""{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"*\"}}""#, Ok(1)),
        ]);
    }

    #[test]
    fn string_and_array_forms_are_equivalent() {
        let a = PolicyDocument::parse(&json!({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ecr:BatchGetImage","Resource":"*","Principal":{"AWS":"123456789012"}}})).unwrap();
        let b = PolicyDocument::parse(&json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:BatchGetImage"],"Resource":["*"],"Principal":{"AWS":["123456789012"]}}]})).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn principal_and_condition_shapes() {
        let doc = PolicyDocument::parse(&json!({"Statement":[
            {"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"aws:PrincipalOrgID":["o-1"],"aws:ResourceTag/x":true},"NumericLessThan":{"n":3}}},
            {"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::1:root"],"Service":"ec2.amazonaws.com"},"Action":"ecr:*"}
        ]}))
        .unwrap();
        let s0 = &doc.statements[0];
        assert!(matches!(&s0.principal, Some(PrincipalSpec::Principal(p)) if p.everyone));
        assert_eq!(s0.condition_keys(), vec!["aws:PrincipalOrgID", "aws:ResourceTag/x", "n"]);
        assert!(s0.conditions.iter().any(|c| c.values == vec!["true"]));
        let s1 = &doc.statements[1];
        assert!(
            matches!(&s1.principal, Some(PrincipalSpec::NotPrincipal(p)) if p.aws == vec!["arn:aws:iam::1:root"] && p.service == vec!["ec2.amazonaws.com"])
        );
        assert!(!doc.policy_variables_enabled());
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("%7B%22a%22%3A%22b+c%22%7D").unwrap(), r#"{"a":"b+c"}"#);
        assert_eq!(percent_decode("%e2%82%ac").unwrap(), "€");
        assert!(percent_decode("%ff").is_err());
    }
}
