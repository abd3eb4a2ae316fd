//! A big outage in a few lines, as data: failing containers grouped by what they share, and
//! gaps that share a reason folded. The report carries both beside the complete lists
//! (`affected`, `gaps`), so the JSON stays complete and the renderers show the groups. Grouping
//! keeps every container: the groups' counts add up to the total (tested).

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::{Affected, Gap};

/// Failing containers that share their error class, namespace and image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct AffectedGroup {
    pub count: usize,
    pub error_class: String,
    pub namespace: String,
    pub image: String,
    /// How many distinct nodes they run on.
    pub nodes: usize,
    /// Up to three `pod [container]`, in report order.
    pub examples: Vec<String>,
}

/// The groups, largest first (then in the order they first appear).
pub fn affected_groups(affected: &[Affected]) -> Vec<AffectedGroup> {
    let mut index: HashMap<(&str, &str, &str), usize> = HashMap::new();
    let mut groups: Vec<(AffectedGroup, BTreeSet<&str>)> = Vec::new();
    for a in affected {
        let key = (a.error_class.as_str(), a.namespace.as_str(), a.image.as_str());
        let at = *index.entry(key).or_insert_with(|| {
            groups.push((
                AffectedGroup {
                    count: 0,
                    error_class: a.error_class.clone(),
                    namespace: a.namespace.clone(),
                    image: a.image.clone(),
                    nodes: 0,
                    examples: Vec::new(),
                },
                BTreeSet::new(),
            ));
            groups.len() - 1
        });
        let (group, nodes) = &mut groups[at];
        group.count += 1;
        nodes.insert(a.node.as_deref().unwrap_or(""));
        if group.examples.len() < 3 {
            group.examples.push(format!("{} [{}]", a.pod, a.container));
        }
    }
    let mut out: Vec<AffectedGroup> = groups
        .into_iter()
        .map(|(mut group, nodes)| {
            group.nodes = nodes.len();
            group
        })
        .collect();
    // stable: equal counts keep their first-seen order
    out.sort_by_key(|g| std::cmp::Reverse(g.count));
    out
}

/// Gaps that share their reason, when more than a few do (one per pod whose real error expired,
/// in a big outage): the count, three examples and the first one's command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct GapGroup {
    pub why: String,
    pub count: usize,
    /// The `what` of the first three.
    pub examples: Vec<String>,
    /// The first one's command.
    pub command: Option<String>,
    /// Whether every gap of the group has that command (one pod's `kubectl get events` differs
    /// from the next pod's only in its names).
    pub same_command: bool,
    /// The position in `gaps` of the first.
    pub first: usize,
}

/// The reasons shared by more than `fold` gaps, in the order of their first gap.
pub fn gap_groups(gaps: &[Gap], fold: usize) -> Vec<GapGroup> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut groups: Vec<GapGroup> = Vec::new();
    for (position, gap) in gaps.iter().enumerate() {
        let at = *index.entry(gap.why.as_str()).or_insert_with(|| {
            groups.push(GapGroup {
                why: gap.why.clone(),
                count: 0,
                examples: Vec::new(),
                command: gap.command.clone(),
                same_command: true,
                first: position,
            });
            groups.len() - 1
        });
        let group = &mut groups[at];
        group.count += 1;
        if group.examples.len() < 3 {
            group.examples.push(gap.what.clone());
        }
        group.same_command &= group.command == gap.command;
    }
    groups.retain(|g| g.count > fold);
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failing(pod: usize, class: &str, namespace: &str, image: &str, node: usize) -> Affected {
        Affected {
            namespace: namespace.into(),
            pod: format!("pod-{pod}"),
            container: "app".into(),
            image: image.into(),
            node: Some(format!("node-{node}")),
            error_class: class.into(),
            error_message: None,
            message_source: "event".into(),
            waiting_reason: None,
            first_failure: None,
            last_failure: None,
            pod_created: None,
        }
    }

    #[test]
    fn a_big_outage_groups_with_exact_counts() {
        // 100,000 failing containers: 70,000 timeouts of one image on 300 nodes, 29,990 auth
        // failures of another, 10 not-found in a third namespace.
        let mut all = Vec::new();
        for i in 0..70_000 {
            all.push(failing(i, "network-timeout", "shop", "r/app:1", i % 300));
        }
        for i in 0..29_990 {
            all.push(failing(i, "auth-expired", "pay", "r/pay:2", i % 7));
        }
        for i in 0..10 {
            all.push(failing(i, "image-not-found", "ops", "r/ops:3", 0));
        }
        let groups = affected_groups(&all);
        let shape: Vec<(usize, &str, usize)> = groups.iter().map(|g| (g.count, g.error_class.as_str(), g.nodes)).collect();
        assert_eq!(shape, vec![(70_000, "network-timeout", 300), (29_990, "auth-expired", 7), (10, "image-not-found", 1)]);
        assert_eq!(groups[0].examples, vec!["pod-0 [app]", "pod-1 [app]", "pod-2 [app]"]);
    }

    proptest::proptest! {
        /// Whatever the mix of classes, namespaces, images and nodes, the groups' counts add up
        /// to every container, each container is in the group of its own class, namespace and
        /// image, the largest group comes first, and each keeps one to three examples.
        #[test]
        fn grouping_never_loses_a_container(picks in proptest::collection::vec((0usize..4, 0usize..3, 0usize..5, 0usize..9), 0..400)) {
            let all: Vec<Affected> = picks
                .iter()
                .enumerate()
                .map(|(i, &(class, namespace, image, node))| {
                    failing(i, ["a", "b", "c", "d"][class], ["x", "y", "z"][namespace], &format!("img{image}"), node)
                })
                .collect();
            let groups = affected_groups(&all);
            proptest::prop_assert_eq!(groups.iter().map(|g| g.count).sum::<usize>(), all.len());
            for a in &all {
                let group = groups.iter().filter(|g| g.error_class == a.error_class && g.namespace == a.namespace && g.image == a.image).count();
                proptest::prop_assert_eq!(group, 1);
            }
            proptest::prop_assert!(groups.windows(2).all(|w| w[0].count >= w[1].count));
            proptest::prop_assert!(groups.iter().all(|g| !g.examples.is_empty() && g.examples.len() <= 3.min(g.count)));
        }
    }

    #[test]
    fn gaps_with_one_reason_fold_and_others_stay() {
        let gap =
            |what: &str, why: &str, command: Option<&str>| Gap { what: what.into(), why: why.into(), command: command.map(str::to_string) };
        let mut all = vec![gap("the subnets", "no describe-subnets", None)];
        for i in 0..50 {
            all.push(gap(
                &format!("the real error of shop/pod-{i}"),
                "its events expired",
                Some(&format!("kubectl get events -n shop pod-{i}")),
            ));
        }
        for i in 0..3 {
            all.push(gap(&format!("node-{i}"), "no journal", Some("oc adm node-logs")));
        }
        all.push(gap("the node roles", "no IAM details", None));
        let folds = gap_groups(&all, 3);
        assert_eq!(folds.len(), 1, "three alike stay as they are");
        let fold = &folds[0];
        assert_eq!((fold.count, fold.examples.len(), fold.why.as_str(), fold.first), (50, 3, "its events expired", 1));
        assert_eq!(fold.command.as_deref(), Some("kubectl get events -n shop pod-0"));
        assert!(!fold.same_command, "each pod's command names it");
        assert_eq!(gap_groups(&all, 2).len(), 2);
    }
}
