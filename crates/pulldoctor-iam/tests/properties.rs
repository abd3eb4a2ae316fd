//! Property tests: the wildcard matcher against a reference implementation, and parsing /
//! evaluating arbitrary input never panics.

use proptest::prelude::*;
use pulldoctor_iam::wildcard::matches;
use pulldoctor_iam::{NamedPolicy, PolicyDocument, evaluate_pull};
use serde_json::{Map, Value};

/// Obviously-correct recursive backtracking matcher (exponential, fine for short inputs).
fn reference(pattern: &[char], text: &[char], ci: bool) -> bool {
    let same = |a: char, b: char| {
        if ci { a.eq_ignore_ascii_case(&b) } else { a == b }
    };
    match pattern.split_first() {
        None => text.is_empty(),
        Some(('*', rest)) => (0..=text.len()).any(|i| reference(rest, &text[i..], ci)),
        Some(('?', rest)) => !text.is_empty() && reference(rest, &text[1..], ci),
        Some((&c, rest)) => !text.is_empty() && same(c, text[0]) && reference(rest, &text[1..], ci),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn wildcard_matches_reference(
        pattern in "[aAb:/*?]{0,10}",
        text in "[aAb:/]{0,12}",
        ci in any::<bool>(),
    ) {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        prop_assert_eq!(matches(&pattern, &text, ci), reference(&p, &t, ci));
    }

    #[test]
    fn wildcard_matches_reference_unicode(pattern in "\\PC{0,8}", text in "\\PC{0,8}", ci in any::<bool>()) {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        prop_assert_eq!(matches(&pattern, &text, ci), reference(&p, &t, ci));
    }
}

/// Keys that steer generated objects into the parser's interesting paths.
const KEYS: &[&str] = &[
    "Version",
    "Id",
    "Statement",
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
    "AWS",
    "Service",
    "StringEquals",
    "aws:PrincipalOrgID",
    "x",
];
const STRINGS: &[&str] = &[
    "Allow",
    "Deny",
    "allow",
    "2012-10-17",
    "2008-10-17",
    "*",
    "ecr:*",
    "ecr:BatchGetImage",
    "ecr:Get*",
    "arn:aws:ecr:us-east-1:123456789012:repository/team/app",
    "arn:aws:ecr:*:123456789012:repository/*",
    "arn:aws:iam::123456789012:root",
    "123456789012",
    "arn:aws:iam::123456789012:role/node-role",
    "arn:aws:sts::123456789012:assumed-role/node-role/i-1",
    "${aws:username}",
    "${",
    "${*}",
    "%7B%22Statement%22%3A%5B%5D%7D",
    "%7B%",
    "{\"Statement\":[]}",
    "",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        prop::sample::select(STRINGS).prop_map(|s| Value::String(s.to_string())),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|kv| {
                let mut m = Map::new();
                for (k, v) in kv {
                    m.insert(k.to_string(), v);
                }
                Value::Object(m)
            }),
        ]
    })
}

/// A string-or-array element built from `pool`.
fn one_or_many(pool: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(pool).prop_map(|s| Value::String(s.to_string())),
        prop::collection::vec(prop::sample::select(pool), 1..4)
            .prop_map(|v| Value::Array(v.into_iter().map(|s| Value::String(s.to_string())).collect())),
    ]
}

const ACTIONS: &[&str] = &[
    "*",
    "ecr:*",
    "ECR:Batch*",
    "ecr:Get*",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetAuthorizationToken",
    "ecr:PutImage",
    "s3:*",
];
const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:ecr:*:123456789012:repository/*",
    "arn:aws:ecr:us-east-1:123456789012:repository/team/*",
    "arn:aws:ecr:us-east-1:123456789012:repository/team/app",
    "arn:aws:ecr:*:*:repository/${aws:PrincipalTag/team}/*",
    "arn:aws:ecr:us-east-1:123456789012:repository/other",
    "arn:aws:s3:::bucket/*",
];
const PRINCIPALS: &[&str] = &[
    "*",
    "123456789012",
    "210987654321",
    "arn:aws:iam::123456789012:root",
    "arn:aws:iam::210987654321:root",
    "arn:aws:iam::123456789012:role/node-role",
    "arn:aws:iam::123456789012:role/eks/node-role",
    "arn:aws:sts::123456789012:assumed-role/node-role/i-1",
    "arn:aws:iam::210987654321:role/x",
];

/// Mostly-valid statements, with an occasional arbitrary value in one element.
fn statement() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(&["Allow", "Deny", "Allow", "Deny", "allow"][..]),
        any::<bool>(),
        one_or_many(ACTIONS),
        prop::option::of((any::<bool>(), one_or_many(RESOURCES))),
        prop::option::of((
            any::<bool>(),
            prop_oneof![
                Just(Value::String("*".into())),
                one_or_many(PRINCIPALS).prop_map(|v| serde_json::json!({"AWS": v})),
                Just(serde_json::json!({"Service": "ec2.amazonaws.com"})),
            ],
        )),
        prop::option::of(prop::sample::select(&["aws:PrincipalOrgID", "aws:ResourceTag/red-hat-managed", "aws:SourceVpce"][..])),
        prop::option::of(prop::sample::select(&["Pull", "", "Deny1"][..])),
        prop::option::of((prop::sample::select(KEYS), json_value())),
    )
        .prop_map(|(effect, not_action, action, resource, principal, cond, sid, noise)| {
            let mut m = Map::new();
            m.insert("Effect".into(), Value::String(effect.into()));
            m.insert((if not_action { "NotAction" } else { "Action" }).into(), action);
            if let Some((not, r)) = resource {
                m.insert((if not { "NotResource" } else { "Resource" }).into(), r);
            }
            if let Some((not, p)) = principal {
                m.insert((if not { "NotPrincipal" } else { "Principal" }).into(), p);
            }
            if let Some(key) = cond {
                m.insert("Condition".into(), serde_json::json!({"StringEquals": {key: "v"}}));
            }
            if let Some(sid) = sid {
                m.insert("Sid".into(), Value::String(sid.into()));
            }
            // One statement in eight gets an arbitrary value in some element.
            if let Some((k, v)) = noise
                && k.len() % 8 == 0
            {
                m.insert(k.to_string(), v);
            }
            Value::Object(m)
        })
}

fn policy_document() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(&["2012-10-17", "2008-10-17", ""][..]),
        prop_oneof![statement(), prop::collection::vec(statement(), 0..5).prop_map(Value::Array),],
    )
        .prop_map(|(version, statements)| {
            let mut m = Map::new();
            if !version.is_empty() {
                m.insert("Version".into(), Value::String(version.into()));
            }
            m.insert("Statement".into(), statements);
            Value::Object(m)
        })
}

/// Percent-encodes everything but RFC 3986 unreserved characters (as the IAM API does).
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn evaluate_everywhere(doc: &PolicyDocument) {
    let named = NamedPolicy { name: "generated", document: doc };
    for principal in ["arn:aws:sts::123456789012:assumed-role/node-role/i-1", "arn:aws:iam::210987654321:role/x", "garbage"] {
        for repo in ["arn:aws:ecr:us-east-1:123456789012:repository/team/app", "not-an-arn"] {
            let v = evaluate_pull(&[named], Some(&named), principal, repo);
            assert_eq!(v.len(), 4);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn policy_shaped_documents_parse_evaluate_and_round_trip(doc in policy_document()) {
        let parsed = PolicyDocument::parse(&doc);
        let text = doc.to_string();
        // The same document as JSON text, as a JSON string value, and URL-encoded all agree.
        prop_assert_eq!(&PolicyDocument::parse_str(&text), &parsed);
        prop_assert_eq!(&PolicyDocument::parse(&Value::String(text.clone())), &parsed);
        prop_assert_eq!(&PolicyDocument::parse_str(&url_encode(&text)), &parsed);
        if let Ok(d) = &parsed {
            evaluate_everywhere(d);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn parsing_arbitrary_json_never_panics(value in json_value()) {
        if let Ok(doc) = PolicyDocument::parse(&value) {
            // Whatever parses can be evaluated both as identity and as repository policy.
            let named = NamedPolicy { name: "generated", document: &doc };
            for principal in [
                "arn:aws:sts::123456789012:assumed-role/node-role/i-1",
                "arn:aws:iam::210987654321:role/x",
                "garbage",
            ] {
                let v = evaluate_pull(
                    &[named],
                    Some(&named),
                    principal,
                    "arn:aws:ecr:us-east-1:123456789012:repository/team/app",
                );
                prop_assert_eq!(v.len(), 4);
            }
        }
        // The serialised text goes through parse_str as well.
        let _ = PolicyDocument::parse_str(&value.to_string());
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in "\\PC{0,64}", prefix in prop::sample::select(&["", "%7B", "{", "\"", " %7b%22"][..])) {
        let _ = PolicyDocument::parse_str(&format!("{prefix}{text}"));
    }
}
