//! The hosts one image pull needs, in the order a pull meets them: the registry, and for ECR the
//! S3 host its layers come from and, when the node fetches its own token, the ECR API.
//!
//! One list for everything that traces pulls: the network check (the failing pulls) and the
//! watch baseline (every node to every registry the cluster uses).

use pulldoctor_model::ImageRef;
use serde::{Deserialize, Serialize};

/// What a host is for in a pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum HostRole {
    /// The registry API: `/v2/`, manifests, and the layers of registries that serve them.
    Registry,
    /// Where ECR's layers come from (S3, through pre-signed URLs).
    Layers,
    /// The ECR API, where a node without a pull secret gets its token.
    TokenApi,
}

impl HostRole {
    /// Words for a sentence: "the registry", "its layer store (S3)", "the ECR token API".
    pub fn words(self) -> &'static str {
        match self {
            HostRole::Registry => "the registry",
            HostRole::Layers => "its layer store (S3)",
            HostRole::TokenApi => "the ECR token API",
        }
    }
}

/// One host a pull needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullHost {
    pub role: HostRole,
    pub host: String,
    pub port: u16,
}

/// The hosts a pull of `image` needs. `node_fetches_token`: no pull secret covers the registry,
/// so the node asks the ECR API for a token itself (the kubelet credential provider on EKS).
pub fn pull_hosts(image: &ImageRef, node_fetches_token: bool) -> Vec<PullHost> {
    let (host, port) = match image.registry.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => (host.to_string(), port.parse().unwrap_or(443)),
        _ => (image.registry.clone(), 443),
    };
    let mut out = vec![PullHost { role: HostRole::Registry, host, port }];
    if let Some(ecr) = &image.ecr {
        out.push(PullHost { role: HostRole::Layers, host: ecr.layer_host(), port: 443 });
        if node_fetches_token {
            out.push(PullHost { role: HostRole::TokenApi, host: ecr.api_host(), port: 443 });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_needs_its_layer_store_and_maybe_its_api() {
        let image = pulldoctor_model::parse_image("818140567777.dkr.ecr.us-east-1.amazonaws.com/team/app:v1").unwrap();
        let hosts: Vec<(HostRole, String)> = pull_hosts(&image, true).into_iter().map(|h| (h.role, h.host)).collect();
        assert_eq!(
            hosts,
            vec![
                (HostRole::Registry, "818140567777.dkr.ecr.us-east-1.amazonaws.com".to_string()),
                (HostRole::Layers, "prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com".to_string()),
                (HostRole::TokenApi, "api.ecr.us-east-1.amazonaws.com".to_string()),
            ]
        );
        assert_eq!(pull_hosts(&image, false).len(), 2);
        let other = pulldoctor_model::parse_image("registry.example.com:5000/app:1").unwrap();
        let hosts = pull_hosts(&other, true);
        assert_eq!((hosts.len(), hosts[0].host.as_str(), hosts[0].port), (1, "registry.example.com", 5000));
    }
}
