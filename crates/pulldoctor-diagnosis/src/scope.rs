//! Scope: who fails, where, since when, and what still works.

use std::collections::{BTreeMap, BTreeSet};

use pulldoctor_model::Association;

use crate::context::Context;
use crate::report::{Scope, ScopeGroup};
use crate::text;

fn list(items: &BTreeSet<&str>, limit: usize) -> String {
    let shown: Vec<&str> = items.iter().take(limit).copied().collect();
    if items.len() > limit { format!("{} and {} more", shown.join(", "), items.len() - limit) } else { shown.join(", ") }
}

pub fn scope<'c>(cx: &'c Context) -> Scope {
    let model = cx.model;
    let mut out = Scope::default();
    if cx.failures.is_empty() {
        return out;
    }
    // Pods are told apart by identity (each is one object of the model) and values are borrowed:
    // a big outage adds a hundred thousand pods to nine groups each.
    type Pods = std::collections::HashSet<*const pulldoctor_model::Pod>;
    let mut groups: BTreeMap<(&str, &str), (Pods, Pods)> = BTreeMap::new();
    let mut add = |by: &'static str, value: &'c str, pod: &'c pulldoctor_model::Pod, failing: bool| {
        let entry = groups.entry((by, value)).or_default();
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
        let pod = failure.pod;
        add("class", failure.classification.class.as_str(), pod, true);
        add("namespace", &pod.namespace, pod, true);
        add("image", &failure.image, pod, true);
        namespaces.insert(pod.namespace.as_str());
        if let Some(image) = &failure.image_ref {
            failing_registries.insert(image.registry.as_str());
            add("registry", &image.registry, pod, true);
        }
        if let Some(node) = pod.node_name.as_ref().and_then(|n| model.nodes.get(n)) {
            nodes.insert(node.name.as_str());
            add("node", &node.name, pod, true);
            if let Some(zone) = &node.zone {
                add("zone", zone, pod, true);
            }
            if let Some(subnet) = model.node_instance(node).and_then(|i| i.subnet_id.as_deref()) {
                if let Some((table, association)) = model.effective_route_table(subnet) {
                    tables.insert(table.id.as_str());
                    if association == Association::Main {
                        main_tables.insert(table.id.as_str());
                    }
                    add("route-table", &table.id, pod, true);
                }
                subnets.insert(subnet);
                add("subnet", subnet, pod, true);
            }
        }
        for time in [failure.first_failure, failure.last_failure].into_iter().flatten() {
            out.first_failure = Some(out.first_failure.map_or(time, |t| t.min(time)));
            out.last_failure = Some(out.last_failure.map_or(time, |t| t.max(time)));
        }
    }
    let failing_pods: Pods = cx.failures.iter().map(|f| f.pod as *const _).collect();
    // Working pods of the same registries, and where they run. "Since the failures began" means
    // since the oldest failing pod was created (the same threshold `compare` uses).
    let threshold = cx.failures.iter().filter_map(|f| f.pod.created.or(f.first_failure)).min();
    let mut recent_pods = Pods::new();
    let mut working_pods = Pods::new();
    let mut newest_start = None;
    let mut working_nodes = BTreeSet::new();
    for working in &cx.working {
        let Some(image) = &working.image_ref else {
            continue;
        };
        let pod = working.pod;
        if !failing_registries.contains(image.registry.as_str()) || failing_pods.contains(&(pod as *const _)) {
            continue;
        }
        working_pods.insert(pod);
        add("registry", &image.registry, pod, false);
        add("namespace", &pod.namespace, pod, false);
        if let Some(node) = &pod.node_name {
            working_nodes.insert(node.as_str());
            add("node", node, pod, false);
        }
        if let Some(start) = working.started_at.or(pod.created) {
            if threshold.is_some_and(|t| start >= t) {
                recent_pods.insert(pod);
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
        .map(|((by, value), (failing, working))| ScopeGroup {
            by: by.to_string(),
            value: value.to_string(),
            failing: failing.len(),
            working: working.len(),
        })
        .collect();
    out
}
