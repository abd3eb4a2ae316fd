//! Evidence chains: each cause starts with the error itself, the classifier's reading and the
//! scope, and ends with what separates working from failing pods.

use std::collections::{BTreeSet, HashMap};

use crate::context::{Context, Findings};
use crate::report::{Comparison, Evidence, Scope, Timing};
use crate::text;

/// Put the error itself, its reading, and the scope at the head of each cause's evidence chain.
pub fn attach_error_evidence(cx: &Context, findings: &mut Findings, scope: &Scope) {
    for cause in &mut findings.causes {
        let Some(failure) = cx.failures.iter().find(|f| cause.pods.contains(&f.pod.key())) else {
            continue;
        };
        let mut head = Vec::new();
        if let Some(message) = &failure.message {
            let events: Vec<_> = cx
                .model
                .events_for(&failure.pod.namespace, &failure.pod.name)
                .filter(|e| e.message.as_deref() == Some(message.as_str()))
                .collect();
            let count: i64 = events.iter().filter_map(|e| e.count).sum();
            let when = failure.last_failure.map(|t| format!(", last {}", text::minute(t))).unwrap_or_default();
            let times = if count > 1 { format!(", {count} times") } else { String::new() };
            head.push(Evidence {
                source: failure.message_source.to_string(),
                text: match &failure.message_origin {
                    // a node's journal: say which line, the events that held it are gone
                    Some(origin) => format!("{}: {message} ({}: {origin})", failure.pod.key(), failure.message_source),
                    None => format!("{}: {message} ({}{times}{when})", failure.pod.key(), failure.message_source),
                },
            });
        }
        let class = &failure.classification;
        let mut reading = format!("{}: {}", class.class.as_str(), class.explanation);
        if let Some(first) = class.rules_in.first() {
            reading.push_str(&format!(" Points at: {}.", first.trim_end_matches('.')));
        }
        head.push(Evidence { source: "classifier".into(), text: reading });
        if cause.timing == Timing::Now
            && let Some(pattern) = scope.pattern.first()
        {
            head.push(Evidence { source: "scope".into(), text: pattern.clone() });
        }
        head.append(&mut cause.evidence);
        cause.evidence = head;
    }
}

/// What separates working from failing pods of the same registry, as evidence of the causes that
/// block now and concern that registry.
pub fn attach_comparisons(cx: &Context, findings: &mut Findings, comparisons: &[Comparison]) {
    let mut registries_of_pod: HashMap<String, BTreeSet<&str>> = HashMap::new();
    for failure in &cx.failures {
        if let Some(image) = &failure.image_ref {
            registries_of_pod.entry(failure.pod.key()).or_default().insert(image.registry.as_str());
        }
    }
    for cause in findings.causes.iter_mut().filter(|c| c.timing == Timing::Now) {
        for comparison in comparisons {
            let separating: Vec<String> = comparison.differences.iter().filter(|d| d.separates).map(|d| d.describe()).collect();
            let concerns = cause.pods.iter().any(|p| registries_of_pod.get(p).is_some_and(|r| r.contains(comparison.registry.as_str())));
            if !separating.is_empty() && concerns {
                cause.evidence.push(Evidence {
                    source: "comparison".into(),
                    text: format!("working vs failing pods of {}: {}", comparison.registry, separating.join("; ")),
                });
            }
        }
    }
}
