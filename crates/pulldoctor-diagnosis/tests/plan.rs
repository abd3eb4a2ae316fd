//! The live collection plan, decided from the cluster files of real bundles alone.

use std::path::Path;

use pulldoctor_bundle::{ReadOptions, read_bundle};
use pulldoctor_diagnosis::plan::plan;

fn cluster_only(dir: &str) -> pulldoctor_model::Model {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(dir);
    read_bundle(&root, &ReadOptions::default()).unwrap().model
}

#[test]
fn seed_plan_names_the_nodes_the_failing_repositories_and_the_secrets_they_can_use() {
    let model = cluster_only("examples/rosa-ecr-main-route-table/k8s");
    let plan = plan(&model);
    assert_eq!(plan.region.as_deref(), Some("us-east-1"));
    // every node is an instance to look up, working ones too
    assert_eq!(plan.instance_ids.len(), model.nodes.len());
    assert!(plan.instance_ids.iter().all(|id| id.starts_with("i-")));
    assert!(plan.node_addresses.is_empty());
    assert!(plan.failing > 0);
    // the failing pods pull from one ECR repository in 818140567777 us-east-1
    assert!(!plan.repositories.is_empty());
    assert!(plan.repositories.iter().all(|r| r.account == "818140567777" && r.region == "us-east-1"), "{:?}", plan.repositories);
    // secrets: only those a failing pod can use, plus OpenShift's global one
    assert!(plan.secrets.contains(&("openshift-config".into(), "pull-secret".into())));
    let failing_namespaces: std::collections::BTreeSet<&str> =
        pulldoctor_diagnosis::affected::find(&model).0.iter().map(|f| f.pod.namespace.as_str()).collect();
    assert!(plan.secrets.iter().all(|(ns, _)| ns == "openshift-config" || failing_namespaces.contains(ns.as_str())));
    // the CloudTrail window opens 14 days before the first failure
    let first = pulldoctor_diagnosis::affected::find(&model).0.iter().filter_map(|f| f.first_failure).min().unwrap();
    assert_eq!(plan.changes_since, Some(first - chrono::Duration::days(14)));
}

#[test]
fn healthy_cluster_plans_no_repository_and_no_window() {
    let model = cluster_only("examples/rosa-ecr-main-route-table-fixed/k8s");
    let plan = plan(&model);
    assert_eq!(plan.failing, 0);
    assert!(plan.repositories.is_empty());
    assert_eq!(plan.changes_since, None);
    assert_eq!(plan.secrets.len(), 1, "{:?}", plan.secrets);
}
