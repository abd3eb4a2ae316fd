//! The live collection plan, decided from the cluster files of real bundles alone.

use std::path::Path;

use pulldoctor_bundle::{FileError, ReadOptions, read_contents};
use pulldoctor_diagnosis::plan::plan;

/// These files, read into a model (the bundle crate does no I/O: the test reads them).
fn model_of(mut files: Vec<std::path::PathBuf>) -> pulldoctor_model::Model {
    files.retain(|path| path.extension().is_some_and(|e| e == "json"));
    files.sort();
    let bytes: Vec<Vec<u8>> = files.iter().map(|path| std::fs::read(path).unwrap()).collect();
    read_contents(files.iter().map(|p| p.as_path()).zip(bytes.iter().map(|b| Ok::<&[u8], FileError>(b))), &ReadOptions::default())
        .unwrap()
        .model
}

/// The JSON files of one folder.
fn cluster_only(dir: &str) -> pulldoctor_model::Model {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(dir);
    model_of(std::fs::read_dir(&root).unwrap().flatten().map(|entry| entry.path()).collect())
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

/// Every JSON file under `dir`, symbolic links followed (the probed example links the seed's).
fn whole_bundle(dir: &str) -> pulldoctor_model::Model {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for path in std::fs::read_dir(dir).unwrap().flatten().map(|entry| entry.path()) {
            if path.is_dir() { walk(&path, out) } else { out.push(path) }
        }
    }
    let mut files = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(dir), &mut files);
    model_of(files)
}

/// On the seed with its infra node: one failing node per broken subnet, and the infra node in the
/// working subnet to compare with, chosen because its traced path is open; the image probed is
/// the one the pods fail on.
#[test]
fn the_probe_plan_covers_every_failing_subnet_and_compares_with_a_working_node() {
    use pulldoctor_diagnosis::probe_plan::{NodeRole, Request, Selection, plan};
    let model = whole_bundle("examples/rosa-ecr-main-route-table-probed");
    let request = Request { selection: Selection::FailingNodes, image: None, max_failing_nodes: 5 };
    let probe_plan = plan(&model, &request).unwrap();
    let mut failing: Vec<&str> = probe_plan.targets.iter().filter(|t| t.role == NodeRole::Failing).map(|t| t.node.as_str()).collect();
    failing.sort_unstable();
    assert_eq!(failing, ["ip-10-0-21-144.ec2.internal", "ip-10-0-44-17.ec2.internal", "ip-10-0-60-229.ec2.internal"]);
    let working: Vec<_> = probe_plan.targets.iter().filter(|t| t.role == NodeRole::Working).collect();
    let [working] = &working[..] else { panic!("{:?}", probe_plan.targets) };
    assert_eq!(working.node, "ip-10-0-5-183.ec2.internal");
    assert!(working.why.contains("open") && working.why.contains("nat-01d1f2b5f9a3b8d14"), "{}", working.why);
    assert!(probe_plan.targets.iter().all(|t| t.image.contains(".dkr.ecr.us-east-1.amazonaws.com/")), "{:?}", probe_plan.targets);
    // OpenShift's images are large RHEL-based ones, by digest: they carry the copied binary
    assert!(probe_plan.targets.iter().all(|t| t.pulldoctor_image.is_none() && !t.carriers.is_empty()));

    // capped: one per subnet first
    let request = Request { max_failing_nodes: 2, ..request };
    let capped = plan(&model, &request).unwrap();
    assert_eq!(capped.targets.iter().filter(|t| t.role == NodeRole::Failing).count(), 2);
    assert!(capped.notes.iter().any(|n| n.contains("1 more failing node")), "{:?}", capped.notes);

    // named nodes, and errors that say what exists
    let named = plan(
        &model,
        &Request { selection: Selection::Nodes(vec!["ip-10-0-5-183.ec2.internal".into()]), image: None, max_failing_nodes: 5 },
    );
    assert_eq!(named.unwrap().targets[0].role, NodeRole::Chosen);
    let error = plan(&model, &Request { selection: Selection::Nodes(vec!["nope".into()]), image: None, max_failing_nodes: 5 }).unwrap_err();
    assert!(error.contains("no node `nope`") && error.contains("ip-10-0-"), "{error}");
}
