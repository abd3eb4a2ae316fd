use pulldoctor_model::Code;
use pulldoctor_model::parse_image;

use crate::check::{Check, CheckInfo};
use crate::context::{Context, Findings};
use crate::declare_check;
use crate::report::{Cause, Confidence, Evidence, Fix, FixOption, Layer, Timing};

declare_check! {
    /// ## What it checks
    /// That each failing container's image reference parses the way the runtimes parse it:
    /// lower-case repository path, a valid tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`), a well-formed
    /// digest, a valid registry host and port. The kubelet's `InvalidImageName` reason counts too.
    ///
    /// ## Why it breaks pulls
    /// The runtime refuses the reference before any network traffic: `couldn't parse image
    /// reference ...: invalid reference format`. Nothing else about the cluster matters.
    ///
    /// ## Evidence
    /// The pod spec's `image`, the waiting reason, the error text.
    ///
    /// ## Fix and its risk
    /// Correct the reference in the workload (a deploy; no cloud change).
    ///
    /// ## Known limits
    /// Runtime-specific short-name resolution (`registries.conf` unqualified-search) is not modelled.
    pub ImageReference, name: "image-reference", layer: Image, codes: [Code::ImageInvalidReference],
}

impl Check for ImageReference {
    fn info(&self) -> &'static CheckInfo {
        &Self::INFO
    }

    fn run(&self, cx: &Context, out: &mut Findings) {
        for failure in &cx.failures {
            let parsed = parse_image(&failure.image);
            let reason_says = failure.waiting_reason.as_deref() == Some("InvalidImageName");
            let why = match (&parsed, reason_says) {
                (Err(error), _) => error.to_string(),
                (Ok(_), true) => "the kubelet reports InvalidImageName".to_string(),
                (Ok(_), false) => continue,
            };
            out.causes.push(Cause {
                code: Code::ImageInvalidReference,
                layer: Layer::Image,
                summary: format!("the image reference `{}` of {} is not valid: {why}", failure.image, failure.pod.key()),
                confidence: if parsed.is_err() { Confidence::High } else { Confidence::Medium },
                timing: Timing::Now,
                resources: vec![failure.pod.key(), failure.image.clone()],
                pods: vec![failure.pod.key()],
                evidence: vec![Evidence {
                    source: "pod-spec".into(),
                    text: format!("container {} has image `{}`", failure.container, failure.image),
                }],
                fix: Fix {
                    options: vec![FixOption {
                        title: "Correct the image reference in the workload".into(),
                        commands: vec![],
                        blast_radius: format!("the workload that owns {}", failure.pod.key()),
                        preferred: true,
                        rationale: why,
                    }],
                    verify: vec![],
                },
            });
        }
    }
}
