//! What each cause predicts a probe would meet, by code: an exhaustive match, so a new code has
//! to say how packets would show it (or that they cannot).

use pulldoctor_model::Code;
use pulldoctor_model::probe::StepName;

/// What a probe from the cause's scope would meet if the cause is real.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The path from the cause's nodes to the hosts of its traced paths does not carry packets:
    /// TCP times out or has no route. A connection that is made contradicts it.
    Path,
    /// Like `Path`, but the configuration could not finish the path (it leaves what the input
    /// describes): what the probe meets settles it either way.
    Unfinished,
    /// One of `steps` fails with one of `classes`; the last of them passing contradicts it.
    Step(StepExpect),
    /// The probe cannot show it (the pod's own pull secret, the node's disk, the cluster's
    /// policies are not what a probe exercises).
    Nothing,
}

/// A failure at a step after the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepExpect {
    pub steps: &'static [StepName],
    pub classes: &'static [&'static str],
    /// Only a probe of the same image counts (the same repository, and tag or digest).
    pub same_image: bool,
    /// Only a probe that presented these credentials counts (`instance-role`, `none`).
    pub presenting: Option<&'static str>,
    /// Only a probe from the cause's own nodes counts (a node's role, its VPC's resolver); for the
    /// rest (the registry's certificate, a tag) any node's probe of the same registry does.
    pub by_node: bool,
}

const fn step(steps: &'static [StepName], classes: &'static [&'static str]) -> StepExpect {
    StepExpect { steps, classes, same_image: false, presenting: None, by_node: false }
}

const AFTER_CONNECT: &[StepName] = &[StepName::Credentials, StepName::Manifest, StepName::Blob];

pub fn expect(code: Code) -> Expect {
    match code {
        Code::RouteNoRoute
        | Code::RouteBlackhole
        | Code::RouteWrongTarget
        | Code::NatUnavailable
        | Code::NatNoInternetRoute
        | Code::IgwDetached
        | Code::SgEgressDenied
        | Code::NaclEgressDenied
        | Code::NaclReturnDenied
        | Code::EndpointPrivateDnsDisabled
        | Code::EndpointSgDenied
        | Code::EndpointS3Unreachable
        | Code::EndpointMissing => Expect::Path,
        Code::PathLeavesScope => Expect::Unfinished,
        // the endpoint answers TCP and TLS; its policy refuses the request
        Code::EndpointPolicyDenied | Code::EcrRepositoryPolicyDenied => {
            Expect::Step(StepExpect { same_image: true, ..step(AFTER_CONNECT, &["auth-denied"]) })
        }
        // the node's role: only a probe that presented it (IMDS, then ecr:GetAuthorizationToken)
        Code::IamEcrDenied => Expect::Step(StepExpect {
            same_image: true,
            presenting: Some("instance-role"),
            by_node: true,
            ..step(AFTER_CONNECT, &["auth-denied", "auth-missing"])
        }),
        Code::DnsVpcResolverDisabled => Expect::Step(StepExpect { by_node: true, ..step(&[StepName::Resolve], &["dns"]) }),
        // the custom servers answer the public address: the probe then times out on the way out
        Code::DnsCustomServers => Expect::Path,
        Code::ProxyMisconfigured => Expect::Step(step(&[StepName::Connect], &["proxy", "network-timeout", "connection-refused"])),
        Code::RegistryTlsUntrusted => Expect::Step(step(&[StepName::Tls], &["tls"])),
        Code::RegistryUnavailable => {
            Expect::Step(step(&[StepName::Ping, StepName::Manifest], &["registry-server-error", "connection-reset"]))
        }
        Code::RegistryRateLimited => Expect::Step(step(&[StepName::Manifest, StepName::Blob], &["rate-limit"])),
        Code::ImageTagNotFound | Code::ImageRepositoryNotFound => {
            Expect::Step(StepExpect { same_image: true, ..step(&[StepName::Manifest], &["image-not-found"]) })
        }
        Code::ImagePlatformMismatch => Expect::Step(StepExpect { same_image: true, ..step(&[StepName::Manifest], &["platform-mismatch"]) }),
        // no credentials where the registry wants some: a probe that presents none meets it too
        Code::PullSecretMissing => {
            Expect::Step(StepExpect { presenting: Some("none"), ..step(&[StepName::Credentials, StepName::Manifest], &["auth-missing"]) })
        }
        // the pod's own secret is not what a probe presents (it uses the node's role, or none)
        Code::PullSecretExpired | Code::PullSecretWrongRegistry | Code::PullSecretNotFound => Expect::Nothing,
        // the runtime's policies (allowed registries, mirrors) and the node's disk are not probed
        Code::ClusterRegistryBlocked | Code::ClusterMirrorMisconfigured | Code::ImageInvalidReference | Code::NodeDiskPressure => {
            Expect::Nothing
        }
    }
}
