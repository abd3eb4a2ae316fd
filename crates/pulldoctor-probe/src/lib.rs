//! One image pull, taken apart into steps and run from here, each with its result, time and (when
//! it fails) the error class `pulldoctor classify` gives the runtime's own text for that failure.
//!
//! The steps, in the order a pull needs them ([`StepName`]):
//!
//! 1. **resolve** the registry, the ECR API and the ECR layer host (or the proxy), asking the
//!    servers of `/etc/resolv.conf` directly ([`dns`]) to say which one answered;
//! 2. **connect** TCP to every address, or through the proxy's CONNECT ([`net`], [`proxy`]);
//! 3. **tls**: the handshake, verified against the system roots and the runtime's per-registry
//!    CAs, the certificate read also when it fails ([`tls`], [`x509`]);
//! 4. **ping** `GET /v2/`: alive, and how it wants credentials ([`http`]);
//! 5. **credentials** the kubelet would present: a pull secret ([`dockerconfig`]) or the instance
//!    role through IMDSv2 and a SigV4-signed `ecr:GetAuthorizationToken` ([`aws`], [`sigv4`]),
//!    and the bearer token exchange;
//! 6. **manifest** of the reference, and for an index the variant for this node's platform
//!    ([`manifest`]);
//! 7. **blob**: the first bytes of one layer, following the redirect to the layer store.
//!
//! A failed step ends the probe: the following ones are reported as skipped, with why. Each step
//! is bounded by [`Config::timeout`]. Failures are phrased as the runtime (CRI-O / containerd, Go
//! programs) or the kubelet's ECR credential provider would print them and classified with
//! [`pulldoctor_classify::classify`], so a probe and a pod's event agree on the class
//! ([`report::Failure`]).
//!
//! This is an edge crate: it does network and file I/O and reads the clock. Its pure parts
//! (proxy selection, DNS and HTTP wire formats, pull secret matching, certificates, SigV4,
//! manifests, the report) are unit-tested; the whole is tested against real servers by
//! `scripts/probe-lab.sh`. It sends a handful of GET/HEAD/PUT-to-IMDS/POST-to-ECR requests, never
//! pushes, and never puts a password or token in its report.

pub mod aws;
pub mod dns;
pub mod dockerconfig;
pub mod http;
pub mod launch;
pub mod manifest;
pub mod net;
pub mod proxy;
pub mod report;
mod run;
pub mod sigv4;
pub mod tls;
pub mod url;
pub mod x509;

pub use report::{Failure, ProbeReport, Step, StepName, StepStatus, Verdict};
pub use run::{Config, Placement, PullSecret, UsageError, probe};
