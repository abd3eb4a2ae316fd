//! Measures the classifier on the held-out texts of `catalogue/held-out/*.toml`: real messages
//! from public reports that no rule was written from (see that file's header). Prints every miss
//! and the hit rate (`cargo test -p pulldoctor-classify --test heldout -- --nocapture`) and fails
//! when the rate drops below [`MIN_HIT_RATE`].
//!
//! A case is a hit when the class is the expert's and, for texts the expert reads as ambiguous,
//! every other class the expert names is among the classification's other candidates: a text that
//! cannot tell two causes apart must not be reported as certain.

mod common;

use common::{RUNTIMES, load};
use pulldoctor_classify::{ErrorClass, classify};

/// The floor the hit rate must stay at or above. It only moves up: it records what the rules
/// reached on texts they were not written from.
const MIN_HIT_RATE: f64 = 0.97;

#[test]
fn held_out_hit_rate() {
    let cases: Vec<_> = load("catalogue/held-out").into_iter().map(|(_, case)| case).collect();
    assert!(cases.len() >= 60, "held-out set has only {} cases", cases.len());
    let mut misses = Vec::new();
    let mut step_agrees = 0;
    for (i, case) in cases.iter().enumerate() {
        assert!(!case.source.trim().is_empty(), "case {i}: a source is required");
        assert!(RUNTIMES.contains(&case.runtime.as_str()), "case {i}: runtime {}", case.runtime);
        for name in std::iter::once(&case.class).chain(case.also_possible.iter().flatten()) {
            assert!(name.parse::<ErrorClass>().is_ok(), "case {i}: unknown class {name}");
        }
        let got = classify(&case.message);
        let others: Vec<&str> = got.also_possible.iter().map(|c| c.as_str()).collect();
        let missing: Vec<&String> = case.also_possible.iter().flatten().filter(|want| !others.contains(&want.as_str())).collect();
        if got.step.as_str() == case.step {
            step_agrees += 1;
        }
        if got.class.as_str() != case.class || !missing.is_empty() {
            misses.push(format!(
                "#{i} want {} got {} (rule {}){}\n    {}",
                case.class,
                got.class,
                got.rule,
                if missing.is_empty() { String::new() } else { format!(", other candidates lack {missing:?}") },
                case.message
            ));
        }
    }
    let hits = cases.len() - misses.len();
    let rate = hits as f64 / cases.len() as f64;
    println!("held-out: {hits} of {} right ({:.1}%); step agrees on {step_agrees}", cases.len(), rate * 100.0);
    for miss in &misses {
        println!("{miss}");
    }
    assert!(rate >= MIN_HIT_RATE, "held-out hit rate {:.1}% is below {:.1}%:\n{}", rate * 100.0, MIN_HIT_RATE * 100.0, misses.join("\n"));
}
