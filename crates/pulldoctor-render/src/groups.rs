//! A big outage in a few lines: failing containers grouped by what they share, gaps with the
//! same reason folded into one, and traced paths that differ only in the address dialled shown
//! once. Grouping keeps every container: the groups' counts add up to the total (tested), and
//! `--all` (or the JSON) still lists each one.

use std::collections::{BTreeSet, HashMap};

use pulldoctor_diagnosis::report::{Affected, Gap, PathGroup};

/// A traced path as the text shows it, with the addresses of the paths folded into it.
pub struct PathFold<'a> {
    pub group: &'a PathGroup,
    /// The other addresses of the same host that paths from the same nodes ended at the same
    /// way (same verdict, blocker and route table).
    pub more_addresses: Vec<String>,
}

/// The host a path went to, without the address (`registry:443 (52.207.2.1)` -> `registry:443`).
fn host_of(to: &str) -> &str {
    to.split(" (").next().unwrap_or(to)
}

/// The paths in order; when `fold`, each is shown once for all the addresses of its host that
/// the same nodes reached the same way (a registry name resolves to many addresses, and an
/// outage's errors name dozens of them).
pub fn paths<'a>(paths: impl IntoIterator<Item = &'a PathGroup>, fold: bool) -> Vec<PathFold<'a>> {
    let mut out: Vec<PathFold<'a>> = Vec::new();
    let mut first_of: HashMap<String, usize> = HashMap::new();
    for group in paths {
        let result = &group.result;
        let key = format!(
            "{}|{:?}|{}|{}|{}",
            group.nodes.join(","),
            result.verdict,
            result.blocker.as_ref().map(|b| b.code.as_str()).unwrap_or(""),
            result.route_table_id.as_deref().unwrap_or(""),
            host_of(&result.to)
        );
        let address = result.to.strip_prefix(host_of(&result.to)).map(|a| a.trim_start_matches(" (").trim_end_matches(')'));
        match first_of.get(&key) {
            Some(&first) if fold && address.is_some_and(|a| !a.is_empty()) => {
                out[first].more_addresses.extend(address.map(str::to_string));
            }
            _ => {
                first_of.entry(key).or_insert(out.len());
                out.push(PathFold { group, more_addresses: Vec::new() });
            }
        }
    }
    out
}

/// Failing containers that share their error class, namespace and image.
#[derive(Debug, Clone, PartialEq, Eq)]
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
pub fn affected(affected: &[Affected]) -> Vec<AffectedGroup> {
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

/// A gap as it is, or several with the same reason folded into one.
#[derive(Debug, Clone)]
pub enum GapGroup<'a> {
    One(&'a Gap),
    /// `command` is the first gap's; `same_command` says whether every folded gap has it (one
    /// pod's `kubectl get events` differs from the next pod's only in its names).
    Folded { count: usize, examples: Vec<&'a str>, why: &'a str, command: Option<&'a str>, same_command: bool },
}

/// Gaps in report order; a reason shared by more than `fold` gaps becomes one line with a count
/// and three examples, where its first gap stood.
pub fn gaps(gaps: &[Gap], fold: usize) -> Vec<GapGroup<'_>> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for gap in gaps {
        *counts.entry(gap.why.as_str()).or_default() += 1;
    }
    let mut out = Vec::new();
    let mut folded: HashMap<&str, usize> = HashMap::new();
    for gap in gaps {
        let key = gap.why.as_str();
        let count = counts[key];
        if count <= fold {
            out.push(GapGroup::One(gap));
            continue;
        }
        match folded.get(key) {
            Some(&at) => {
                if let GapGroup::Folded { examples, command, same_command, .. } = &mut out[at] {
                    if examples.len() < 3 {
                        examples.push(gap.what.as_str());
                    }
                    *same_command &= *command == gap.command.as_deref();
                }
            }
            None => {
                folded.insert(key, out.len());
                out.push(GapGroup::Folded {
                    count,
                    examples: vec![gap.what.as_str()],
                    why: key,
                    command: gap.command.as_deref(),
                    same_command: true,
                });
            }
        }
    }
    out
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
        let groups = affected(&all);
        let shape: Vec<(usize, &str, usize)> = groups.iter().map(|g| (g.count, g.error_class.as_str(), g.nodes)).collect();
        assert_eq!(shape, vec![(70_000, "network-timeout", 300), (29_990, "auth-expired", 7), (10, "image-not-found", 1)]);
        assert_eq!(groups[0].examples, vec!["pod-0 [app]", "pod-1 [app]", "pod-2 [app]"]);
    }

    #[test]
    fn grouping_never_loses_a_container() {
        // a deterministic sweep of shapes instead of a random one: every mix of up to 4 classes,
        // 3 namespaces and 5 images over 0..400 containers
        let mut seed = 7u64;
        for total in (0..400).step_by(13) {
            let mut all = Vec::new();
            for i in 0..total {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let pick = (seed >> 33) as usize;
                all.push(failing(
                    i,
                    ["a", "b", "c", "d"][pick % 4],
                    ["x", "y", "z"][pick / 4 % 3],
                    &format!("img{}", pick / 12 % 5),
                    pick % 9,
                ));
            }
            let groups = affected(&all);
            assert_eq!(groups.iter().map(|g| g.count).sum::<usize>(), total, "{total}");
            assert!(groups.windows(2).all(|w| w[0].count >= w[1].count));
            assert!(groups.iter().all(|g| !g.examples.is_empty() && g.examples.len() <= 3.min(g.count)));
        }
    }

    #[test]
    fn gaps_with_one_reason_fold_and_others_stay() {
        let gap = |what: &str, why: &str| Gap { what: what.into(), why: why.into(), command: None };
        let mut all = vec![gap("the subnets", "no describe-subnets")];
        for i in 0..50 {
            all.push(gap(&format!("the real error of shop/pod-{i}"), "its events expired"));
        }
        all.push(gap("the node roles", "no IAM details"));
        let groups = gaps(&all, 3);
        assert_eq!(groups.len(), 3);
        assert!(matches!(groups[0], GapGroup::One(g) if g.what == "the subnets"));
        match &groups[1] {
            GapGroup::Folded { count, examples, why, .. } => {
                assert_eq!((*count, examples.len(), *why), (50, 3, "its events expired"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(gaps(&all, usize::MAX).len(), 52, "--all keeps every gap");
    }
}
