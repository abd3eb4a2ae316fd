//! `classify` never panics and stays fast on arbitrary input.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use pulldoctor_classify::{classify, classify_with_reason};

const PIECES: &[&str] = &[
    "Failed to pull image \"",
    "rpc error: code = Unknown desc = ",
    "dial tcp ",
    "52.207.2.251:443",
    "[fd00::1]:443",
    ": i/o timeout",
    "lookup ",
    " on 10.0.0.2:53: ",
    "read udp ",
    "->",
    "Get \"https://",
    "/v2/",
    "manifests/",
    "blobs/",
    "\\\"",
    "\"",
    ": ",
    "no such host",
    "x509: ",
    "401 Unauthorized",
    "toomanyrequests",
    "Back-off pulling image ",
    "docker://",
    "s3.us-east-1.amazonaws.com",
    "denied: User: arn:aws:sts::1:assumed-role/r is not authorized to perform: ecr:BatchGetImage",
    "proxyconnect tcp: ",
    "é",
    "\u{1F600}",
    "\n",
    "\t",
    " ",
    "%",
    "[",
    "]",
    ":",
    "@sha256:",
];

fn pieced() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(PIECES), 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_strings_do_not_panic(s in "\\PC{0,400}") {
        let c = classify(&s);
        prop_assert!(!c.rule.is_empty());
        let _ = classify_with_reason(Some("ImagePullBackOff"), &s);
    }

    #[test]
    fn pull_error_like_strings_do_not_panic(s in pieced()) {
        let c = classify(&s);
        prop_assert!(!c.explanation.is_empty());
        prop_assert_eq!(c.clone(), classify(&s));
    }

    #[test]
    fn arbitrary_bytes_as_lossy_utf8_do_not_panic(b in proptest::collection::vec(any::<u8>(), 0..600)) {
        let s = String::from_utf8_lossy(&b);
        let _ = classify(&s);
    }
}

#[test]
fn long_adversarial_inputs_are_fast() {
    let inputs = [
        "a".repeat(200_000),
        "dial tcp ".repeat(20_000),
        "lookup x on ".repeat(20_000),
        "Get \"https://".repeat(20_000),
        "\\\"".repeat(50_000),
        format!("Failed to pull image \"{}\"", "x/".repeat(50_000)),
    ];
    for s in &inputs {
        let t = Instant::now();
        let _ = classify(s);
        assert!(t.elapsed() < Duration::from_secs(2), "took {:?} on a {}-byte input", t.elapsed(), s.len());
    }
}
