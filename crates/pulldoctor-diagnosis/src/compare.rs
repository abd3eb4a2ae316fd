//! Working vs failing: for each registry, compare the pods that run images from it with the pods
//! that fail to pull from it, attribute by attribute, and report what separates them.
//!
//! An attribute *separates* the two groups when no value is shared: "every failing pod's subnet
//! uses rtb-x, every working pod's uses rtb-y" points at the route table; "every working pod
//! started before the first failure" says their images are cached and prove nothing about today.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use pulldoctor_model::{Association, Model, Pod};

use crate::context::Context;
use crate::report::{Comparison, Difference};
use crate::text;

fn attributes(
    model: &Model,
    pod: &Pod,
    first_failure: Option<DateTime<Utc>>,
    started: Option<DateTime<Utc>>,
) -> Vec<(&'static str, String)> {
    let mut out =
        vec![("namespace", pod.namespace.clone()), ("service account", pod.service_account.clone().unwrap_or_else(|| "default".into()))];
    let secrets: BTreeSet<String> = crate::credentials::reaching(model, pod).into_iter().map(|r| r.name).collect();
    out.push(("pull secrets", if secrets.is_empty() { "(none)".into() } else { secrets.into_iter().collect::<Vec<_>>().join("+") }));
    let node = pod.node_name.as_deref().and_then(|n| model.nodes.get(n));
    out.push(("node", pod.node_name.clone().unwrap_or_else(|| "(unscheduled)".into())));
    if let Some(node) = node {
        out.push(("zone", node.zone.clone().unwrap_or_else(|| "?".into())));
        if let Some(instance) = model.node_instance(node)
            && let Some(subnet) = &instance.subnet_id
        {
            out.push(("subnet", subnet.clone()));
            if let Some((table, association)) = model.effective_route_table(subnet) {
                let how = match association {
                    Association::Main => "main, implicit",
                    Association::Explicit => "explicit",
                };
                out.push(("route table", format!("{} ({how})", table.id)));
            }
        }
    }
    if let Some(first) = first_failure {
        // A running container was pulled when it started; a failing pod has been trying since it
        // was created. Both are compared with the creation of the oldest failing pod.
        let when = started.or(pod.created);
        let at = text::minute(first);
        out.push((
            "pulled or created",
            match when {
                Some(when) if when < first => format!("before {at}"),
                Some(_) => format!("at or after {at}"),
                None => "unknown".to_string(),
            },
        ));
    }
    out
}

pub fn compare(cx: &Context) -> Vec<Comparison> {
    let model = cx.model;
    let first_failure = cx.failures.iter().filter_map(|f| f.pod.created.or(f.first_failure)).min();
    type Tally = BTreeMap<&'static str, BTreeMap<String, usize>>;
    let mut by_registry: BTreeMap<String, (Tally, Tally, usize, usize)> = BTreeMap::new();
    let mut seen_failing = BTreeSet::new();
    for failure in &cx.failures {
        let Some(image) = &failure.image_ref else { continue };
        if !seen_failing.insert((image.registry.clone(), failure.pod.key())) {
            continue;
        }
        let entry = by_registry.entry(image.registry.clone()).or_default();
        entry.2 += 1;
        for (attribute, value) in attributes(model, failure.pod, first_failure, None) {
            *entry.0.entry(attribute).or_default().entry(value).or_default() += 1;
        }
    }
    let failing_pods: BTreeSet<String> = cx.failures.iter().map(|f| f.pod.key()).collect();
    // Pods that pulled since the failures began prove the path works from where they run; older
    // ones only have their image cached. Compare with the recent ones when there are any.
    let mut seen_working = BTreeSet::new();
    let mut recent: BTreeMap<String, Vec<&crate::affected::Working>> = BTreeMap::new();
    let mut all: BTreeMap<String, Vec<&crate::affected::Working>> = BTreeMap::new();
    for working in &cx.working {
        let Some(image) = &working.image_ref else { continue };
        if failing_pods.contains(&working.pod.key()) || !seen_working.insert((image.registry.clone(), working.pod.key())) {
            continue;
        }
        all.entry(image.registry.clone()).or_default().push(working);
        let started = working.started_at.or(working.pod.created);
        if first_failure.is_some_and(|first| started.is_some_and(|s| s >= first)) {
            recent.entry(image.registry.clone()).or_default().push(working);
        }
    }
    let mut recent_only = BTreeMap::new();
    for (registry, entry) in by_registry.iter_mut() {
        let chosen = recent.get(registry).or_else(|| all.get(registry)).cloned().unwrap_or_default();
        recent_only.insert(registry.clone(), recent.contains_key(registry));
        for working in chosen {
            entry.3 += 1;
            for (attribute, value) in attributes(model, working.pod, first_failure, working.started_at) {
                *entry.1.entry(attribute).or_default().entry(value).or_default() += 1;
            }
        }
    }
    let mut out = Vec::new();
    for (registry, (failing, working, n_failing, n_working)) in by_registry {
        let working_recent_only = recent_only.get(&registry).copied().unwrap_or(false);
        let mut differences = Vec::new();
        let mut same = Vec::new();
        if n_working > 0 {
            for (attribute, failing_values) in &failing {
                let working_values = working.get(attribute).cloned().unwrap_or_default();
                let failing_keys: BTreeSet<&String> = failing_values.keys().collect();
                let working_keys: BTreeSet<&String> = working_values.keys().collect();
                if failing_keys == working_keys {
                    same.push((*attribute).to_string());
                    continue;
                }
                let separates = failing_keys.is_disjoint(&working_keys);
                let sorted = |values: &BTreeMap<String, usize>| {
                    let mut list: Vec<(String, usize)> = values.iter().map(|(v, n)| (v.clone(), *n)).collect();
                    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                    list.truncate(5);
                    list
                };
                differences.push(Difference {
                    attribute: (*attribute).to_string(),
                    failing: sorted(failing_values),
                    working: sorted(&working_values),
                    separates,
                });
            }
        }
        differences.sort_by_key(|d| !d.separates);
        out.push(Comparison { registry, failing: n_failing, working: n_working, working_recent_only, differences, same });
    }
    out
}
