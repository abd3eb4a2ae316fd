//! Scope: who fails, where, since when, and what still works.

use std::collections::{BTreeMap, BTreeSet};

use pulldoctor_model::Association;

use crate::context::Context;
use crate::report::{Scope, ScopeGroup};
use crate::text;

fn list(items: &BTreeSet<String>, limit: usize) -> String {
    let shown: Vec<&str> = items.iter().take(limit).map(String::as_str).collect();
    if items.len() > limit { format!("{} and {} more", shown.join(", "), items.len() - limit) } else { shown.join(", ") }
}

pub fn scope(cx: &Context) -> Scope {
    let model = cx.model;
    let mut out = Scope::default();
    if cx.failures.is_empty() {
        return out;
    }
    let mut groups: BTreeMap<(String, String), (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let mut add = |by: &str, value: String, pod: String, failing: bool| {
        let entry = groups.entry((by.to_string(), value)).or_default();
        if failing {
            entry.0.insert(pod)
        } else {
            entry.1.insert(pod)
        };
    };
    let mut failing_registries = BTreeSet::new();
    let (mut namespaces, mut nodes, mut subnets, mut tables) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let mut main_tables = BTreeSet::new();
    for failure in &cx.failures {
        let pod = failure.pod.key();
        add("class", failure.classification.class.as_str().to_string(), pod.clone(), true);
        add("namespace", failure.pod.namespace.clone(), pod.clone(), true);
        add("image", failure.image.clone(), pod.clone(), true);
        namespaces.insert(failure.pod.namespace.clone());
        if let Some(image) = &failure.image_ref {
            failing_registries.insert(image.registry.clone());
            add("registry", image.registry.clone(), pod.clone(), true);
        }
        if let Some(node) = failure.pod.node_name.as_ref().and_then(|n| model.nodes.get(n)) {
            nodes.insert(node.name.clone());
            add("node", node.name.clone(), pod.clone(), true);
            if let Some(zone) = &node.zone {
                add("zone", zone.clone(), pod.clone(), true);
            }
            if let Some(subnet) = model.node_instance(node).and_then(|i| i.subnet_id.clone()) {
                if let Some((table, association)) = model.effective_route_table(&subnet) {
                    tables.insert(table.id.clone());
                    if association == Association::Main {
                        main_tables.insert(table.id.clone());
                    }
                    add("route-table", table.id.clone(), pod.clone(), true);
                }
                subnets.insert(subnet.clone());
                add("subnet", subnet, pod.clone(), true);
            }
        }
        for time in [failure.first_failure, failure.last_failure].into_iter().flatten() {
            out.first_failure = Some(out.first_failure.map_or(time, |t| t.min(time)));
            out.last_failure = Some(out.last_failure.map_or(time, |t| t.max(time)));
        }
    }
    let failing_pods: BTreeSet<String> = cx.failures.iter().map(|f| f.pod.key()).collect();
    // Working pods of the same registries, and where they run. "Since the failures began" means
    // since the oldest failing pod was created (the same threshold `compare` uses).
    let threshold = cx.failures.iter().filter_map(|f| f.pod.created.or(f.first_failure)).min();
    let mut recent_pods = BTreeSet::new();
    let mut working_pods = BTreeSet::new();
    let mut newest_start = None;
    let mut working_nodes = BTreeSet::new();
    for working in &cx.working {
        let Some(image) = &working.image_ref else {
            continue;
        };
        if !failing_registries.contains(&image.registry) || failing_pods.contains(&working.pod.key()) {
            continue;
        }
        working_pods.insert(working.pod.key());
        add("registry", image.registry.clone(), working.pod.key(), false);
        add("namespace", working.pod.namespace.clone(), working.pod.key(), false);
        if let Some(node) = &working.pod.node_name {
            working_nodes.insert(node.clone());
            add("node", node.clone(), working.pod.key(), false);
        }
        if let Some(start) = working.started_at.or(working.pod.created) {
            if threshold.is_some_and(|t| start >= t) {
                recent_pods.insert(working.pod.key());
            }
            newest_start = Some(newest_start.map_or(start, |t: chrono::DateTime<chrono::Utc>| t.max(start)));
        }
    }
    let since = out.first_failure.map(|t| format!(" since {}", text::minute(t))).unwrap_or_default();
    out.pattern.push(format!(
        "{} in {} ({}) {} to pull{since}, on {}{}",
        text::count(failing_pods.len(), "pod", "pods"),
        text::count(namespaces.len(), "namespace", "namespaces"),
        list(&namespaces, 4),
        if failing_pods.len() == 1 { "fails" } else { "fail" },
        text::count(nodes.len(), "node", "nodes"),
        match subnets.len() {
            0 => String::new(),
            1 => format!(" in subnet {}", list(&subnets, 1)),
            n => format!(" in {n} subnets ({})", list(&subnets, 4)),
        },
    ));
    if !tables.is_empty() {
        let main_note = match (main_tables.len() == tables.len() && !main_tables.is_empty(), subnets.len()) {
            (false, _) => "",
            (true, 1) => " (the VPC's main route table: the subnet has no explicit association)",
            (true, _) => " (the VPC's main route table: the subnets have no explicit association)",
        };
        out.pattern.push(format!("every failing node's subnet routes through {}{main_note}", list(&tables, 3)));
    }
    if !working_pods.is_empty() {
        let registry = if failing_registries.len() == 1 { "registry" } else { "registries" };
        let cached = working_pods.len() - recent_pods.len();
        let mut sentence = format!(
            "{} from the same {registry} {}",
            text::count(working_pods.len(), "pod", "pods"),
            if working_pods.len() == 1 { "runs" } else { "run" }
        );
        if !recent_pods.is_empty() {
            sentence.push_str(&format!(
                "; {} pulled since the failures began, so the path works from where {} run{}",
                recent_pods.len(),
                if recent_pods.len() == 1 { "it" } else { "they" },
                if recent_pods.len() == 1 { "s" } else { "" }
            ));
        }
        if cached > 0 {
            let newest = newest_start.map(|t| format!(" (newest start {})", text::minute(t))).unwrap_or_default();
            sentence.push_str(&format!(
                "; {cached} started before the failures began{newest}: their images are cached on their nodes, so they do not show the path works today"
            ));
        }
        out.pattern.push(sentence);
    }
    out.groups = groups
        .into_iter()
        .map(|((by, value), (failing, working))| ScopeGroup { by, value, failing: failing.len(), working: working.len() })
        .collect();
    out
}
