//! Gaps the pipeline itself finds, beside those the checks report: essential inputs the bundle
//! lacks, calls that failed during live collection, and failures whose real error has expired.
//! Each gap names the command (or permission) that would settle it.

use pulldoctor_model::{InputKind, Model};

use crate::context::{Context, Findings};

/// Inputs without which a failing pull cannot be diagnosed, and what each tells.
const ESSENTIAL: &[(InputKind, &str)] = &[
    (InputKind::Pods, "which pods fail and with what error"),
    (InputKind::Events, "the pull error text (events keep it; the pod status often only says Back-off)"),
    (InputKind::Nodes, "which EC2 instance each node is"),
    (InputKind::Instances, "each node's subnet, security groups and public address"),
    (InputKind::Subnets, "each node's VPC and zone"),
    (InputKind::RouteTables, "where node traffic is routed"),
    (InputKind::NatGateways, "whether NAT gateways work"),
    (InputKind::InternetGateways, "whether internet gateways are attached"),
    (InputKind::VpcEndpoints, "whether registry traffic uses VPC endpoints"),
    (InputKind::SecurityGroups, "whether the nodes may connect out on 443"),
    (InputKind::NetworkAcls, "whether subnet ACLs pass the traffic both ways"),
];

/// One gap per bundle file the reader could not read: the diagnosis is made without it, and the
/// gap names the file, what is wrong with it, and the input it seems to be, with the command that
/// writes that input again. The reader has already left that input out of `model.inputs`, so
/// analyses that need it say unknown, never healthy.
pub fn unreadable_files(model: &Model, findings: &mut Findings) {
    for file in &model.unreadable_files {
        let at = if file.json_path.is_empty() { String::new() } else { format!("at `{}`: ", file.json_path) };
        let seems = file.seems.map(|kind| format!(" (it seems to be {kind:?})")).unwrap_or_default();
        findings.gap(
            format!("unreadable file {}", file.file),
            format!("the diagnosis was made without it{seems}: {at}{}", file.message),
            file.seems.map(|kind| kind.command().to_string()),
        );
    }
}

/// A gap for each essential input the model lacks (only worth saying when something fails). An
/// input whose file could not be read has its own gap ([`unreadable_files`]), not a second one.
pub fn missing_inputs(model: &Model, findings: &mut Findings) {
    for (kind, why) in ESSENTIAL {
        let unreadable = model.unreadable_files.iter().any(|f| f.seems == Some(*kind));
        if !model.inputs.contains(kind) && !unreadable {
            findings.gap(format!("no {kind:?} in the bundle"), format!("needed to know {why}"), Some(kind.command().to_string()));
        }
    }
}

/// A gap for each call that failed or was denied during live collection.
pub fn collection_failures(model: &Model, findings: &mut Findings) {
    for failed in &model.collection_failures {
        // AWS calls are named by their IAM action (`ec2:DescribeSubnets`), cluster ones by verb
        // and resource (`list events`, `get secret ns/name`).
        let aws_call = failed.call.contains(':');
        let (why, command) = if failed.denied && aws_call {
            (
                format!(
                    "the collecting identity may not call it ({}); add `{}` to its policy (docs/aws-iam-policy.json)",
                    failed.message, failed.call
                ),
                None,
            )
        } else if failed.denied {
            (
                format!(
                    "the cluster identity may not {} ({}); bind it to the read-only ClusterRole in docs/clusterrole.yaml",
                    failed.call, failed.message
                ),
                Some("kubectl apply -f docs/clusterrole.yaml   # then bind it: see the README, Live mode".to_string()),
            )
        } else {
            (format!("the call failed during collection: {}", failed.message), None)
        };
        findings.gap(format!("{} during collection", failed.call), why, command);
    }
}

/// A gap for each failure whose real error has expired, leaving only the back-off notice.
pub fn expired_errors(cx: &Context, findings: &mut Findings) {
    for failure in &cx.failures {
        if !failure.message_source.has_real_error() {
            findings.gap(
                format!("the pull error of {}", failure.pod.key()),
                "only `Back-off pulling image` is left: the event with the real error has expired (the node's kubelet journal keeps it for days)".to_string(),
                Some(format!(
                    "kubectl get events -n {} --field-selector involvedObject.name={} -o json   # right after the next retry; or add the node's journal: oc adm node-logs {} -u kubelet > kubelet.log",
                    failure.pod.namespace,
                    failure.pod.name,
                    failure.pod.node_name.as_deref().unwrap_or("NODE")
                )),
            );
        }
    }
}
