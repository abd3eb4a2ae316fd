//! Where the in-cluster probe runs, and with what, decided from the cluster alone.
//!
//! `pulldoctor probe --failing-nodes` (the default), `--node NAME` and `--all-nodes` run the probe
//! in pods pinned to nodes. Which nodes: the nodes of the failing pods, one per subnet (or zone)
//! first so a few pods cover every distinct path, and beside them one node that works, so the
//! report can compare (a node where a pod of the same registry started since the failures began;
//! else one whose traced path to the registry is open; else any other ready node, said to be
//! unproven). Which image to probe: the one given, else the one the node's pods fail on.
//!
//! It must work exactly when pulls are broken, so nothing here may need a pull through the broken
//! path: each node's `status.images` says what can run there as it is. A pulldoctor image the node
//! already holds (kept there by the agent) runs the probe itself; otherwise an image with a shell
//! that the node holds carries a copy of the static binary. Pure logic: the launcher at the edge
//! carries it out.

use std::collections::{BTreeMap, BTreeSet};

use pulldoctor_model::{Model, Node, NodeImage};
use pulldoctor_net::{Engine, Origin, Target as NetTarget, Verdict};

use crate::affected;

/// Which nodes to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// These nodes (and no comparison node).
    Nodes(Vec<String>),
    /// The nodes of the failing pods, and one node that works.
    FailingNodes,
    /// Every ready node.
    AllNodes,
    /// These nodes, of a cause's failing pods, after `pulldoctor fix` changed what blocked them
    /// (chosen with [`spread`]): probed as failing nodes, with no comparison node.
    CauseNodes(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub selection: Selection,
    /// The image to probe; `None`: the one each node's pods fail on.
    pub image: Option<String>,
    /// At most this many failing nodes (one per subnet or zone first); `--all-nodes` and
    /// `--node` are not capped.
    pub max_failing_nodes: usize,
}

/// Why a node is probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeRole {
    /// Pods on it fail to pull.
    Failing,
    /// Chosen to compare with the failing ones.
    Working,
    /// Named, or all nodes were asked for.
    Chosen,
}

/// One node to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub node: String,
    pub image: String,
    pub role: NodeRole,
    /// Why this node, in words.
    pub why: String,
    /// `amd64`, `arm64`: the binary copied in must match.
    pub architecture: Option<String>,
    /// A pulldoctor image the node holds (kept there by the agent): it runs the probe itself.
    pub pulldoctor_image: Option<String>,
    /// Images the node holds that probably have a shell (to carry a copied binary), best first.
    pub carriers: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbePlan {
    pub targets: Vec<Target>,
    /// What the plan could not do, or left out, in words.
    pub notes: Vec<String>,
}

/// Names that point at an image with a shell (`sh`, `head`, `chmod`): base distributions and the
/// platforms' tool images.
const SHELL_HINTS: &[&str] = &[
    "busybox",
    "alpine",
    "ubi",
    "ubuntu",
    "debian",
    "centos",
    "fedora",
    "amazonlinux",
    "rhel",
    "support-tools",
    "network-tools",
    "must-gather",
    "toolbox",
    "/tools",
    "/cli",
];

/// Names of images that are known to hold no shell.
const NO_SHELL_HINTS: &[&str] = &["pause", "/pod:", "/pod@", "distroless", "scratch", "pulldoctor"];

/// How many carriers are tried per node before giving up.
pub const CARRIERS_TRIED: usize = 3;

fn is_pulldoctor(name: &str) -> bool {
    let path = name.split(['@', ':']).next().unwrap_or(name);
    path.rsplit('/').next() == Some("pulldoctor")
}

/// A pulldoctor image the node holds, by its first name.
pub fn pulldoctor_image(node: &Node) -> Option<String> {
    node.images.iter().flat_map(|i| &i.names).find(|n| is_pulldoctor(n)).cloned()
}

/// The images of `node` that probably have a shell, best first: named like a distribution or a
/// tool image, then the largest (full distributions are large; a scratch image with one binary is
/// small). Images under 1 MB are left out (pause).
pub fn carriers(node: &Node) -> Vec<String> {
    let mut ranked: Vec<(bool, u64, &NodeImage)> = node
        .images
        .iter()
        .filter(|i| i.size_bytes >= 1_000_000)
        .filter(|i| !i.names.iter().any(|n| NO_SHELL_HINTS.iter().any(|h| n.contains(h))))
        .map(|i| (i.names.iter().any(|n| SHELL_HINTS.iter().any(|h| n.contains(h))), i.size_bytes, i))
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    ranked.into_iter().take(CARRIERS_TRIED).filter_map(|(_, _, i)| i.names.first().cloned()).collect()
}

fn is_control_plane(node: &Node) -> bool {
    node.roles.iter().any(|r| r == "master" || r == "control-plane")
}

fn target(node: &Node, image: String, role: NodeRole, why: String) -> Target {
    Target {
        node: node.name.clone(),
        image,
        role,
        why,
        architecture: node.architecture.clone(),
        pulldoctor_image: pulldoctor_image(node),
        carriers: carriers(node),
    }
}

/// One node per subnet (or zone) first, then the rest, up to `cap` (at least one): a few probes
/// cover every distinct path.
pub fn spread<'m>(model: &Model, nodes: impl IntoIterator<Item = &'m Node>, cap: usize) -> Vec<&'m Node> {
    let cap = cap.max(1);
    let mut by_place: BTreeMap<String, Vec<&Node>> = BTreeMap::new();
    for node in nodes {
        by_place.entry(place(model, node)).or_default().push(node);
    }
    let mut chosen: Vec<&Node> = Vec::new();
    let mut round = 0;
    while chosen.len() < cap && by_place.values().any(|nodes| nodes.len() > round) {
        for nodes in by_place.values() {
            if let Some(node) = nodes.get(round)
                && chosen.len() < cap
            {
                chosen.push(node);
            }
        }
        round += 1;
    }
    chosen
}

/// Where the node is on the network: its subnet, else its zone.
fn place(model: &Model, node: &Node) -> String {
    model.node_instance(node).and_then(|i| i.subnet_id.clone()).or_else(|| node.zone.clone()).unwrap_or_default()
}

pub fn plan(model: &Model, request: &Request) -> Result<ProbePlan, String> {
    let (failures, working) = affected::find(model);
    // node -> the first image its pods fail on
    let mut failing: BTreeMap<&str, &str> = BTreeMap::new();
    for failure in &failures {
        if let Some(node) = failure.pod.node_name.as_deref() {
            failing.entry(node).or_insert(failure.image.as_str());
        }
    }
    let first_failing_image = failures.first().map(|f| f.image.clone());
    let image_for = |node: &str| -> Option<String> {
        request.image.clone().or_else(|| failing.get(node).map(|i| i.to_string())).or_else(|| first_failing_image.clone())
    };
    let mut out = ProbePlan::default();
    match &request.selection {
        Selection::Nodes(names) | Selection::CauseNodes(names) => {
            let (role, why) = match request.selection {
                Selection::CauseNodes(_) => (NodeRole::Failing, "a node of the fixed cause's pods"),
                _ => (NodeRole::Chosen, "named with --node"),
            };
            for name in names {
                let node = model.nodes.get(name).ok_or_else(|| {
                    let known: Vec<&str> = model.nodes.keys().map(String::as_str).take(8).collect();
                    format!("no node `{name}` in the cluster (nodes: {})", if known.is_empty() { "none".into() } else { known.join(", ") })
                })?;
                let image =
                    image_for(name).ok_or_else(|| format!("give IMAGE: no pod fails to pull, so there is no image to probe on {name}"))?;
                out.targets.push(target(node, image, role, why.into()));
            }
        }
        Selection::AllNodes => {
            for node in model.nodes.values().filter(|n| n.ready != Some(false)) {
                let image = image_for(&node.name).ok_or("give IMAGE: no pod fails to pull, so there is no image to probe")?;
                let role = if failing.contains_key(node.name.as_str()) { NodeRole::Failing } else { NodeRole::Chosen };
                out.targets.push(target(node, image, role, "--all-nodes".into()));
            }
            let not_ready = model.nodes.values().filter(|n| n.ready == Some(false)).count();
            if not_ready > 0 {
                out.notes.push(format!("{not_ready} node(s) are not ready and were left out"));
            }
        }
        Selection::FailingNodes => {
            if failing.is_empty() {
                return Err(
                    "no pod fails to pull on a node: nothing to probe (name one with --node NAME and IMAGE, or use --all-nodes IMAGE)"
                        .into(),
                );
            }
            let chosen = spread(model, failing.keys().filter_map(|name| model.nodes.get(*name)), request.max_failing_nodes);
            let left_out = failing.len() - chosen.len();
            if left_out > 0 {
                out.notes.push(format!(
                    "{left_out} more failing node(s) left out (one per subnet or zone first, at most {}; --max-nodes changes it)",
                    request.max_failing_nodes
                ));
            }
            for node in &chosen {
                let image = image_for(&node.name).unwrap_or_default();
                let place = place(model, node);
                out.targets.push(target(node, image, NodeRole::Failing, format!("pods on it fail to pull ({place})")));
            }
            let image = out.targets.first().map(|t| t.image.clone()).unwrap_or_default();
            match working_node(model, &failing, &working, &failures, &image) {
                Some((node, why)) => out.targets.push(target(node, image, NodeRole::Working, why)),
                None => out.notes.push(
                    "no node to compare with: every ready node has pods that fail (or none is known to work); the report will have no working-vs-failing observation".into(),
                ),
            }
        }
    }
    Ok(out)
}

/// The node to compare with the failing ones: one that pulled from the same registry since the
/// failures began, else one whose traced path to the registry is open, else any other ready one.
fn working_node<'m>(
    model: &'m Model,
    failing: &BTreeMap<&str, &str>,
    working: &[affected::Working<'m>],
    failures: &[affected::Failure<'m>],
    image: &str,
) -> Option<(&'m Node, String)> {
    let registry = pulldoctor_model::parse_image(image).ok().map(|i| i.registry);
    let first_failure = failures.iter().filter_map(|f| f.first_failure).min();
    let candidates: Vec<&Node> =
        model.nodes.values().filter(|n| !failing.contains_key(n.name.as_str()) && n.ready != Some(false)).collect();
    // workers before the control plane: a probe pod there is a guest among critical pods
    let mut candidates = candidates;
    candidates.sort_by_key(|n| is_control_plane(n));
    let recent: BTreeSet<&str> = working
        .iter()
        .filter(|w| w.image_ref.as_ref().map(|i| &i.registry) == registry.as_ref())
        .filter(|w| matches!((w.started_at, first_failure), (Some(started), Some(first)) if started >= first))
        .filter_map(|w| w.pod.node_name.as_deref())
        .collect();
    if let Some(node) = candidates.iter().find(|n| recent.contains(n.name.as_str())) {
        return Some((node, format!("a pod from {} started on it since the failures began", registry.unwrap_or_default())));
    }
    let failing_places: BTreeSet<String> = failing.keys().filter_map(|n| model.nodes.get(*n)).map(|n| place(model, n)).collect();
    if let Some(host) = &registry {
        let engine = Engine::new(model);
        let host = host.split(':').next().unwrap_or(host).to_string();
        for node in candidates.iter().filter(|n| !failing_places.contains(&place(model, n))) {
            let Some(instance) = model.node_instance(node) else { continue };
            let traced = engine
                .trace(&Origin::Instance(instance.id.clone()), &NetTarget { host: Some(host.clone()), port: 443, ..Default::default() });
            if traced.verdict == Verdict::Reachable {
                return Some((
                    node,
                    format!(
                        "its path to {host} is open by the configuration ({}, through {})",
                        place(model, node),
                        traced.via.unwrap_or_else(|| "?".into())
                    ),
                ));
            }
        }
    }
    candidates.first().map(|node| (*node, "another ready node (not known to work: nothing shows it pulls)".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(images: &[(&str, u64)]) -> Node {
        Node {
            name: "n".into(),
            provider_id: None,
            instance_id: None,
            zone: None,
            architecture: Some("amd64".into()),
            internal_ips: Vec::new(),
            hostnames: Vec::new(),
            container_runtime: None,
            kubelet_version: None,
            os_image: None,
            disk_pressure: None,
            ready: Some(true),
            created: None,
            roles: Vec::new(),
            labels: Default::default(),
            images: images.iter().map(|(name, size)| NodeImage { names: vec![name.to_string()], size_bytes: *size }).collect(),
        }
    }

    #[test]
    fn carriers_are_images_with_a_shell_best_first() {
        let node = node(&[
            ("registry.k8s.io/pause:3.10", 320_000),
            ("quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:aa", 412_000_000),
            ("docker.io/library/busybox:1.36", 4_300_000),
            ("registry.access.redhat.com/ubi9/ubi-minimal:9.4", 100_000_000),
            ("gcr.io/distroless/static:nonroot", 2_000_000),
            ("quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:bb", 500_000_000),
            ("quay.io/acme/pulldoctor:0.1.0", 12_000_000),
        ]);
        assert_eq!(
            carriers(&node),
            [
                "registry.access.redhat.com/ubi9/ubi-minimal:9.4",
                "docker.io/library/busybox:1.36",
                "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:bb",
            ]
        );
        assert_eq!(pulldoctor_image(&node).as_deref(), Some("quay.io/acme/pulldoctor:0.1.0"));
        assert!(!is_pulldoctor("quay.io/acme/pulldoctor-agent:1"));
        assert!(is_pulldoctor("123456789012.dkr.ecr.us-east-1.amazonaws.com/tools/pulldoctor@sha256:cc"));
    }
}
