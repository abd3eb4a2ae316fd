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
    /// Pulls the registry itself refused or could not serve: rate limiting (`429 Too Many Requests`,
    /// `toomanyrequests`), a certificate the node does not trust (`x509: certificate signed by
    /// unknown authority`), and server errors (`500`, `502`, `503`).
    ///
    /// ## Why it breaks pulls
    /// The network path works and the credentials may be fine: the registry answered, but not with
    /// the image. Docker Hub limits anonymous pulls per source address, and a NAT gateway puts the
    /// whole cluster behind one address.
    ///
    /// ## Evidence
    /// The error text and the registry host it names.
    ///
    /// ## Fix and its risk
    /// Authenticate (a pull secret for Docker Hub) or use a mirror / pull-through cache; trust the
    /// registry's CA on the nodes; wait for or fail over from the registry outage.
    ///
    /// ## Known limits
    /// The registry's status page and the node's trust store are outside the bundle.
    pub RegistryResponse, name: "registry-response", layer: Registry, codes: [Code::RegistryRateLimited, Code::RegistryTlsUntrusted, Code::RegistryUnavailable],
}

impl Check for RegistryResponse {
    fn info(&self) -> &'static CheckInfo {
        &Self::INFO
    }

    fn run(&self, cx: &Context, out: &mut Findings) {
        let mut causes: BTreeMap<(Code, String), Cause> = BTreeMap::new();
        for failure in &cx.failures {
            let class = failure.classification.class;
            let message = failure.message.as_deref().unwrap_or_default();
            // The registry as the image names it (docker.io), plus the host that answered when it
            // differs (registry-1.docker.io, a CDN).
            let registry = failure.image_ref.as_ref().map(|i| i.registry.clone());
            let answered = failure.classification.host.clone();
            let host = registry.clone().or(answered.clone()).unwrap_or_default();
            let (code, summary, fix) = match class {
                ErrorClass::RateLimit => (
                    Code::RegistryRateLimited,
                    format!("{host} refuses pulls: rate limit reached"),
                    FixOption {
                        title: format!("Authenticate to {host}, or pull through a mirror"),
                        commands: vec![mutating(format!("kubectl create secret docker-registry {}-creds -n NAMESPACE --docker-server={host} --docker-username=USER --docker-password=TOKEN", host.split('.').next().unwrap_or("registry")), "adds credentials so pulls count against an account's (higher) limit")],
                        blast_radius: "pods that reference the secret".into(),
                        preferred: true,
                        rationale: "anonymous limits are per source address, and the whole cluster shares its NAT's address".into(),
                    },
                ),
                ErrorClass::Tls if message.contains("x509") || message.contains("certificate") => (
                    Code::RegistryTlsUntrusted,
                    format!("the nodes do not trust the certificate of {host}"),
                    FixOption {
                        title: format!("Trust the CA of {host} on the nodes"),
                        commands: vec![read_only(format!("openssl s_client -connect {host}:443 -showcerts </dev/null | openssl x509 -noout -issuer -subject -dates"), "shows who issued the certificate")],
                        blast_radius: "every node".into(),
                        preferred: true,
                        rationale: "OpenShift: add the CA to image.config.openshift.io additionalTrustedCA; elsewhere: the runtime's certs.d or the node trust store".into(),
                    },
                ),
                ErrorClass::RegistryServerError => (
                    Code::RegistryUnavailable,
                    format!("{host} answers with server errors"),
                    FixOption {
                        title: format!("Wait for {host} to recover, or pull from a mirror"),
                        commands: vec![],
                        blast_radius: "none".into(),
                        preferred: true,
                        rationale: "the registry, not the cluster, is failing".into(),
                    },
                ),
                _ => continue,
            };
            let cause = causes.entry((code, host.clone())).or_insert_with(|| Cause {
                code,
                layer: Layer::Registry,
                summary,
                confidence: Confidence::High,
                timing: Timing::Now,
                resources: std::iter::once(host.clone()).chain(answered.filter(|a| *a != host)).collect(),
                pods: Vec::new(),
                evidence: vec![Evidence { source: "classifier".into(), text: failure.classification.explanation.clone() }],
                fix: Fix { options: vec![fix], verify: vec![] },
            });
            if cause.pods.last() != Some(&failure.pod.key()) {
                cause.pods.push(failure.pod.key());
            }
        }
        out.causes.extend(causes.into_values());
    }
}
