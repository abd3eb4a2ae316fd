//! What is probed: an image reference or a registry alone, as the host, port, repository and
//! reference the steps use.

use pulldoctor_model::{EcrHost, parse_image};

use super::UsageError;
use crate::url::Url;

#[derive(Debug)]
pub(super) struct Target {
    pub(super) registry: String,
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) repository: Option<String>,
    pub(super) reference: Option<String>,
    pub(super) ecr: Option<EcrHost>,
}

impl Target {
    pub(super) fn parse(input: &str) -> Result<Target, UsageError> {
        let input = input.trim();
        let (image, registry_only) = if input.contains('/') {
            (parse_image(input).map_err(|e| UsageError(format!("`{input}` is not a valid image reference: {e}")))?, false)
        } else {
            // a registry alone: check it as the registry of an image
            let probe = format!("{}/probe", input.to_ascii_lowercase());
            let image = parse_image(&probe).map_err(|e| UsageError(format!("`{input}` is not a valid registry: {e}")))?;
            let lower = input.to_ascii_lowercase();
            if image.registry != lower && !matches!(lower.as_str(), "index.docker.io" | "registry-1.docker.io") {
                return Err(UsageError(format!("`{input}` is not a registry host (an image needs a repository: HOST/REPOSITORY[:TAG])")));
            }
            (image, true)
        };
        let (host, port) = match image.registry.rsplit_once(':') {
            Some((host, port)) => {
                (host.to_string(), port.parse::<u16>().map_err(|_| UsageError(format!("`{}` has an invalid port", image.registry)))?)
            }
            None => (image.registry.clone(), 443),
        };
        // Docker Hub's API host is not its name
        let host = if host == "docker.io" { "registry-1.docker.io".to_string() } else { host };
        Ok(Target {
            registry: image.registry.clone(),
            host,
            port,
            repository: (!registry_only).then(|| image.repository.clone()),
            reference: if registry_only { None } else { image.digest.clone().or(image.tag.clone()) },
            ecr: image.ecr.clone(),
        })
    }

    pub(super) fn url(&self, path: &str) -> Url {
        Url {
            scheme: "https".into(),
            user: None,
            password: None,
            host: self.host.clone(),
            port: self.port,
            explicit_port: self.port != 443,
            path: path.into(),
        }
    }

    /// `registry/repository` as containers/image names it in messages.
    pub(super) fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository.as_deref().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn targets_are_images_or_registries() {
        let t = Target::parse("registry.lab.test/demo/app:1.0").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.repository.as_deref(), t.reference.as_deref()),
            ("registry.lab.test", 443, Some("demo/app"), Some("1.0"))
        );
        let t = Target::parse("registry.lab.test:5000").unwrap();
        assert_eq!((t.host.as_str(), t.port, t.repository), ("registry.lab.test", 5000, None));
        let t = Target::parse("nginx").unwrap_err();
        assert!(t.0.contains("not a registry host"), "{t}");
        let t = Target::parse("docker.io").unwrap();
        assert_eq!(t.host, "registry-1.docker.io");
        let t = Target::parse("nginx:1.27").map(|t| t.host);
        assert!(t.is_err(), "a bare name with a tag is neither");
        let t = Target::parse("busybox/x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!((t.host.as_str(), t.reference.unwrap().len()), ("registry-1.docker.io", 71));
        let t = Target::parse("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:v1").unwrap();
        assert_eq!(t.ecr.unwrap().layer_host(), "prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com");
        assert!(Target::parse("Registry.Lab/Demo:1").is_err());
    }
}
