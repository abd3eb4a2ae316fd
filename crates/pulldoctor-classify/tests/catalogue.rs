//! Loads every `[[case]]` of `catalogue/*.toml` and checks that `classify` gives the recorded
//! class and step (and, where recorded, host, dialled address, DNS server, HTTP status, rule and
//! the other candidates), and that every explanation names the other candidates it lists.

mod common;

use std::collections::BTreeMap;

use common::{RUNTIMES, load};
use pulldoctor_classify::{ErrorClass, PullStep, classify, classify_with_reason};

#[test]
fn every_catalogue_case_classifies_as_recorded() {
    let cases = load("catalogue");
    assert!(cases.len() >= 80, "catalogue has only {} cases", cases.len());
    let mut failures = Vec::new();
    for (i, (file, c)) in cases.iter().enumerate() {
        let want_class: ErrorClass = c.class.parse().unwrap_or_else(|e| panic!("{file} #{i}: {e}"));
        let want_step: PullStep = c.step.parse().unwrap_or_else(|e| panic!("{file} #{i}: {e}"));
        assert!(RUNTIMES.contains(&c.runtime.as_str()), "{file} #{i}: runtime {}", c.runtime);
        assert!(!c.source.trim().is_empty(), "{file} #{i}: empty source");
        let got = match &c.reason {
            Some(r) => classify_with_reason(Some(r), &c.message),
            None => classify(&c.message),
        };
        let mut errs = Vec::new();
        if got.class != want_class || got.step != want_step {
            errs.push(format!("class/step {}/{} want {}/{} (rule {})", got.class, got.step, want_class, want_step, got.rule));
        }
        if let Some(h) = &c.host
            && got.host.as_deref() != Some(h.as_str())
        {
            errs.push(format!("host {:?} want {h:?}", got.host));
        }
        if let Some(im) = &c.image
            && got.image.as_deref() != Some(im.as_str())
        {
            errs.push(format!("image {:?} want {im:?}", got.image));
        }
        if let Some(d) = &c.dialled
            && got.dialled.map(|a| a.to_string()).as_deref() != Some(d.as_str())
        {
            errs.push(format!("dialled {:?} want {d:?}", got.dialled));
        }
        if let Some(p) = c.dialled_is_private
            && got.dialled_is_private != Some(p)
        {
            errs.push(format!("dialled_is_private {:?} want {p}", got.dialled_is_private));
        }
        if let Some(d) = &c.dns_server
            && got.dns_server.map(|a| a.to_string()).as_deref() != Some(d.as_str())
        {
            errs.push(format!("dns_server {:?} want {d:?}", got.dns_server));
        }
        if let Some(s) = c.http_status
            && got.http_status != Some(s)
        {
            errs.push(format!("http_status {:?} want {s}", got.http_status));
        }
        if let Some(r) = &c.rule
            && got.rule != r
        {
            errs.push(format!("rule {} want {r}", got.rule));
        }
        if let Some(a) = &c.also_possible {
            let got_a: Vec<&str> = got.also_possible.iter().map(|c| c.as_str()).collect();
            for want in a {
                if !got_a.contains(&want.as_str()) {
                    errs.push(format!("also_possible {got_a:?} lacks {want}"));
                }
            }
        }
        if got.explanation.trim().is_empty() {
            errs.push("empty explanation".into());
        }
        // A text that cannot tell causes apart must say so in words, not only in a field.
        for other in &got.also_possible {
            if !got.explanation.contains(&format!("({other})")) {
                errs.push(format!("explanation does not name the other candidate {other}"));
            }
        }
        if !errs.is_empty() {
            failures.push(format!("{file} #{i} [{}]: {}\n    {}", c.runtime, errs.join("; "), c.message));
        }
    }
    assert!(failures.is_empty(), "{} of {} catalogue cases fail:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// Prints the catalogue's size per class and per runtime (`cargo test -- --nocapture`).
#[test]
fn catalogue_counts() {
    let cases = load("catalogue");
    let mut by_class: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_runtime: BTreeMap<String, usize> = BTreeMap::new();
    for (_, c) in &cases {
        *by_class.entry(c.class.clone()).or_default() += 1;
        *by_runtime.entry(c.runtime.clone()).or_default() += 1;
    }
    println!("catalogue: {} cases", cases.len());
    println!("by class: {by_class:?}");
    println!("by runtime: {by_runtime:?}");
    for class in ErrorClass::all() {
        if *class != ErrorClass::Other {
            assert!(by_class.contains_key(class.as_str()), "no catalogue case for {class}");
        }
    }
}
