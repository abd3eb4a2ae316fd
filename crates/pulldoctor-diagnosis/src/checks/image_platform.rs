use pulldoctor_model::Code;
use std::collections::BTreeSet;

use pulldoctor_classify::ErrorClass;

use crate::check::{Check, CheckInfo};
use crate::context::{Context, Findings};
use crate::declare_check;
use crate::fix::read_only;
use crate::report::{Cause, Confidence, Evidence, Fix, FixOption, Layer, Timing};

declare_check! {
    /// ## What it checks
    /// A pull that failed because the image has no variant for the node's platform (`no match for
    /// platform in manifest`), with the node's architecture from its status and labels.
    ///
    /// ## Why it breaks pulls
    /// A single-architecture image (say `linux/amd64`) scheduled on a Graviton (`arm64`) node has
    /// nothing to pull; at run time the same mistake shows as `exec format error`.
    ///
    /// ## Evidence
    /// The error text, `kubectl get nodes` (`kubernetes.io/arch`, `status.nodeInfo.architecture`).
    ///
    /// ## Fix and its risk
    /// Build and push a multi-architecture image, or pin the workload to matching nodes with a
    /// `nodeSelector` on `kubernetes.io/arch` (a deploy; no cloud change).
    ///
    /// ## Known limits
    /// The image's own platforms are not read from the registry (a bundle has no manifest lists).
    pub ImagePlatform, name: "image-platform", layer: Image, codes: [Code::ImagePlatformMismatch],
}

impl Check for ImagePlatform {
    fn info(&self) -> &'static CheckInfo {
        &Self::INFO
    }

    fn run(&self, cx: &Context, out: &mut Findings) {
        let mut seen = BTreeSet::new();
        for failure in cx.failures.iter().filter(|f| f.classification.class == ErrorClass::PlatformMismatch) {
            let node = failure.pod.node_name.clone().unwrap_or_default();
            if !seen.insert((failure.image.clone(), node.clone())) {
                continue;
            }
            let arch = cx.model.nodes.get(&node).and_then(|n| n.architecture.clone()).unwrap_or_else(|| "unknown".into());
            let repository = failure.image_ref.as_ref().map(|i| i.repository.clone()).unwrap_or_else(|| failure.image.clone());
            out.causes.push(Cause {
                code: Code::ImagePlatformMismatch,
                layer: Layer::Image,
                summary: format!("{} has no variant for node {node} ({arch})", failure.image),
                confidence: Confidence::High,
                timing: Timing::Now,
                resources: vec![repository, node.clone()],
                pods: vec![failure.pod.key()],
                evidence: vec![Evidence { source: "node".into(), text: format!("{node} is {arch}") }],
                fix: Fix {
                    options: vec![FixOption {
                        title: format!("Publish a {arch} variant, or schedule on matching nodes"),
                        commands: vec![read_only(
                            format!("docker buildx imagetools inspect {}", failure.image),
                            "lists the platforms the image has",
                        )],
                        blast_radius: "the workload's image or node selection".into(),
                        preferred: true,
                        rationale: "a multi-arch image runs on every node type".into(),
                    }],
                    verify: vec![],
                },
            });
        }
    }
}
