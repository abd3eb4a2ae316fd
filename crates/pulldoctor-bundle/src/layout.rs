//! Bundles with a known layout, told from their files' names: an OpenShift must-gather
//! (`oc adm must-gather`, `oc adm inspect`). The reader reads its files like any others; this says
//! what such a bundle cannot hold, so the report's gaps are read in that light.

use std::path::Path;

use pulldoctor_model::{Facts, InputKind};

/// Whether a file's path is in the tree `oc adm inspect` writes.
fn in_must_gather(path: &Path) -> bool {
    let parts: Vec<&str> = path.iter().filter_map(|p| p.to_str()).collect();
    parts.iter().any(|p| *p == "cluster-scoped-resources" || p.starts_with("must-gather.local.") || p.starts_with("inspect.local."))
        || parts.windows(3).any(|w| w[0] == "namespaces" && w.get(2).is_some_and(|g| *g == "core"))
}

/// Notes on what a must-gather lacks, when the files come from one.
pub(crate) fn notes<'a>(files: impl IntoIterator<Item = &'a Path>, facts: &Facts) -> Vec<String> {
    let files: Vec<&Path> = files.into_iter().collect();
    if !files.iter().any(|f| in_must_gather(f)) {
        return Vec::new();
    }
    let mut notes = vec![
        "read as an OpenShift must-gather: it holds no secret values and no service accounts (`oc adm inspect` leaves them out), \
         so the pull secrets a pod can use are gaps"
            .to_string(),
    ];
    let aws = [InputKind::Instances, InputKind::Subnets, InputKind::RouteTables, InputKind::SecurityGroups];
    if !aws.iter().any(|kind| facts.inputs.contains(kind)) {
        notes.push(
            "a must-gather has no AWS side: add it beside the must-gather (`pulldoctor collect --skip-kubernetes -o aws`, or the \
             `aws` commands the gaps name) and run `pulldoctor diagnose MUST-GATHER aws`"
                .to_string(),
        );
    }
    let workers_logged = files.iter().any(|f| f.iter().any(|p| p == "workers"));
    if !workers_logged {
        notes.push(
            "must-gather keeps the kubelet and CRI-O journals of control-plane nodes only: for pods on workers add \
             `oc adm node-logs --role=worker -u kubelet > workers-kubelet.log`"
                .to_string(),
        );
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn must_gather_paths() {
        assert!(in_must_gather(Path::new("mg/must-gather.local.1/img/namespaces/a/core/pods.yaml")));
        assert!(in_must_gather(Path::new("case/quay-io-x/cluster-scoped-resources/core/nodes/n.yaml")));
        assert!(in_must_gather(Path::new("x/namespaces/cf-dev/core/events.yaml")));
        assert!(!in_must_gather(Path::new("bundle/k8s/pods.json")));
        assert!(notes([Path::new("bundle/pods.json")], &Facts::default()).is_empty());
        assert_eq!(notes([Path::new("a/namespaces/b/core/pods.yaml")], &Facts::default()).len(), 3);
    }
}
