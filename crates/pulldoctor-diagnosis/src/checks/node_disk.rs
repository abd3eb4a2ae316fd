use pulldoctor_model::Code;
use std::collections::BTreeMap;

use pulldoctor_classify::ErrorClass;

use crate::check::{Check, CheckInfo};
use crate::context::{Context, Findings};
use crate::declare_check;
use crate::fix::{mutating, read_only};
use crate::report::{Cause, Confidence, Evidence, Fix, FixOption, Layer, Timing};

declare_check! {
    /// ## What it checks
    /// Pulls that failed while writing layers (`no space left on device`) and the node's
    /// `DiskPressure` condition.
    ///
    /// ## Why it breaks pulls
    /// The image downloads but cannot be unpacked: the container store (`/var/lib/containerd`,
    /// `/var/lib/containers`) is full. The kubelet's image garbage collection may be behind.
    ///
    /// ## Evidence
    /// The error text, `kubectl get nodes` (conditions).
    ///
    /// ## Fix and its risk
    /// Free space (`crictl rmi --prune` on the node) or grow the node's root volume; both touch
    /// only that node.
    ///
    /// ## Known limits
    /// Disk usage numbers are not in a bundle; only the condition and the error are.
    pub NodeDisk, name: "node-disk", layer: Node, codes: [Code::NodeDiskPressure],
}

impl Check for NodeDisk {
    fn info(&self) -> &'static CheckInfo {
        &Self::INFO
    }

    fn run(&self, cx: &Context, out: &mut Findings) {
        let mut causes: BTreeMap<String, Cause> = BTreeMap::new();
        for failure in &cx.failures {
            let Some(node_name) = failure.pod.node_name.as_deref() else { continue };
            let pressure = cx.model.nodes.get(node_name).and_then(|n| n.disk_pressure) == Some(true);
            let disk_error = failure.classification.class == ErrorClass::DiskPressure;
            if !pressure && !disk_error {
                continue;
            }
            let cause = causes.entry(node_name.to_string()).or_insert_with(|| {
                let mut evidence = Vec::new();
                if pressure {
                    evidence.push(Evidence { source: "node".into(), text: format!("{node_name} reports DiskPressure=True") });
                }
                Cause {
                    code: Code::NodeDiskPressure,
                    layer: Layer::Node,
                    summary: format!("node {node_name} is out of disk space for image layers"),
                    confidence: if disk_error { Confidence::High } else { Confidence::Medium },
                    timing: Timing::Now,
                    resources: vec![node_name.to_string()],
                    pods: Vec::new(),
                    evidence,
                    fix: Fix {
                        options: vec![FixOption {
                            title: format!("Free image storage on {node_name}"),
                            commands: vec![mutating(
                                format!("kubectl debug node/{node_name} -it --image=busybox -- chroot /host crictl rmi --prune"),
                                "removes images no container uses",
                            )],
                            blast_radius: format!("only {node_name}"),
                            preferred: true,
                            rationale: "the layers cannot be unpacked until there is space".into(),
                        }],
                        verify: vec![read_only(
                            format!(
                                "kubectl get node {node_name} -o jsonpath='{{.status.conditions[?(@.type==\"DiskPressure\")].status}}'"
                            ),
                            "shows the DiskPressure condition",
                        )],
                    },
                }
            });
            if cause.pods.last() != Some(&failure.pod.key()) {
                cause.pods.push(failure.pod.key());
            }
        }
        out.causes.extend(causes.into_values());
    }
}
