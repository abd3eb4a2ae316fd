//! Image references, parsed the way the container runtimes parse them.
//!
//! `nginx` means `docker.io/library/nginx:latest`; the first path component is a registry host only
//! when it contains a `.` or a `:` or is `localhost`. ECR hosts carry the account and region.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageRef {
    /// As written in the pod spec.
    pub original: String,
    /// Registry host with port, Docker Hub as `docker.io`.
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
    pub ecr: Option<EcrHost>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EcrHost {
    pub account: String,
    pub region: String,
    pub fips: bool,
    /// `amazonaws.com` or `amazonaws.com.cn`.
    pub domain: String,
}

impl EcrHost {
    /// The ECR API host the credential helpers ask for tokens.
    pub fn api_host(&self) -> String {
        format!("api.ecr.{}.{}", self.region, self.domain)
    }
    /// The S3 host ECR serves layers from (through pre-signed URLs).
    pub fn layer_host(&self) -> String {
        format!("prod-{0}-starport-layer-bucket.s3.{0}.{1}", self.region, self.domain)
    }
    pub fn repository_arn(&self, repository: &str) -> String {
        let partition = if self.domain.ends_with(".cn") { "aws-cn" } else { "aws" };
        format!("arn:{partition}:ecr:{}:{}:repository/{repository}", self.region, self.account)
    }
}

impl ImageRef {
    /// The reference as a runtime would print it in full.
    pub fn canonical(&self) -> String {
        let mut out = format!("{}/{}", self.registry, self.repository);
        if let Some(tag) = &self.tag {
            out.push(':');
            out.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            out.push('@');
            out.push_str(digest);
        }
        out
    }

    /// The registry host without its port.
    pub fn host(&self) -> &str {
        self.registry.split(':').next().unwrap_or(&self.registry)
    }
}

/// Why an image reference is not valid, in the words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidReference(pub String);

impl std::fmt::Display for InvalidReference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parse an image reference. Rules follow the distribution `reference` grammar: lower-case path
/// components separated by `/`, an optional `:tag` (`[\w][\w.-]{0,127}`) and `@algorithm:hex`.
pub fn parse_image(reference: &str) -> Result<ImageRef, InvalidReference> {
    let original = reference.to_string();
    if reference.is_empty() {
        return Err(InvalidReference("the image reference is empty".into()));
    }
    if reference.trim() != reference {
        return Err(InvalidReference("the image reference has leading or trailing spaces".into()));
    }
    let (rest, digest) = match reference.split_once('@') {
        Some((rest, digest)) => {
            validate_digest(digest)?;
            (rest, Some(digest.to_string()))
        }
        None => (reference, None),
    };
    // The tag is after the last ':' that follows the last '/'.
    let last_slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => {
            let tag = &rest[last_slash + i + 1..];
            validate_tag(tag)?;
            (&rest[..last_slash + i], Some(tag.to_string()))
        }
        None => (rest, None),
    };
    let (registry, repository) = match name.split_once('/') {
        Some((first, remainder)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            (first.to_string(), remainder.to_string())
        }
        _ => ("docker.io".to_string(), name.to_string()),
    };
    validate_registry(&registry)?;
    let registry = match registry.as_str() {
        "index.docker.io" | "registry-1.docker.io" => "docker.io".to_string(),
        _ => registry,
    };
    let repository = if registry == "docker.io" && !repository.contains('/') { format!("library/{repository}") } else { repository };
    validate_repository(&repository)?;
    let tag = match (tag, &digest) {
        (None, None) => Some("latest".to_string()),
        (tag, _) => tag,
    };
    let ecr = parse_ecr_host(registry.split(':').next().unwrap_or(&registry));
    Ok(ImageRef { original, registry, repository, tag, digest, ecr })
}

/// Recognise `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`.
pub fn parse_ecr_host(host: &str) -> Option<EcrHost> {
    let host = host.to_ascii_lowercase();
    let (account, rest) = host.split_once('.')?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (fips, rest) =
        if let Some(rest) = rest.strip_prefix("dkr.ecr-fips.") { (true, rest) } else { (false, rest.strip_prefix("dkr.ecr.")?) };
    let (region, domain) = rest.split_once('.')?;
    if domain != "amazonaws.com" && domain != "amazonaws.com.cn" {
        return None;
    }
    if region.is_empty() || !region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return None;
    }
    Some(EcrHost { account: account.to_string(), region: region.to_string(), fips, domain: domain.to_string() })
}

fn validate_digest(digest: &str) -> Result<(), InvalidReference> {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return Err(InvalidReference(format!("digest `{digest}` has no algorithm (expected sha256:<hex>)")));
    };
    let ok_algorithm =
        !algorithm.is_empty() && algorithm.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b));
    let ok_hex = hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    if !ok_algorithm || !ok_hex || (algorithm == "sha256" && hex.len() != 64) {
        return Err(InvalidReference(format!("digest `{digest}` is not of the form sha256:<64 lower-case hex>")));
    }
    Ok(())
}

fn validate_tag(tag: &str) -> Result<(), InvalidReference> {
    let bytes = tag.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(b));
    if ok {
        Ok(())
    } else {
        Err(InvalidReference(format!(
            "tag `{tag}` is not valid (letters, digits, `_`, `.`, `-`; at most 128; not starting with `.` or `-`)"
        )))
    }
}

fn validate_registry(registry: &str) -> Result<(), InvalidReference> {
    let (host, port) = match registry.rsplit_once(':') {
        Some((host, port)) if !host.contains(']') || registry.ends_with(']') => (host, Some(port)),
        _ => (registry, None),
    };
    if let Some(port) = port
        && (port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(InvalidReference(format!("registry `{registry}` has an invalid port")));
    }
    let ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if ok { Ok(()) } else { Err(InvalidReference(format!("registry host `{registry}` is not a valid host name"))) }
}

fn validate_repository(repository: &str) -> Result<(), InvalidReference> {
    if repository.len() > 255 {
        return Err(InvalidReference("repository name is longer than 255 characters".into()));
    }
    for component in repository.split('/') {
        if !valid_path_component(component) {
            let hint = if component.bytes().any(|b| b.is_ascii_uppercase()) { " (repository names must be lower-case)" } else { "" };
            return Err(InvalidReference(format!("repository path component `{component}` is not valid{hint}")));
        }
    }
    Ok(())
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*`
fn valid_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        // a separator run: `.`, `_`, `__`, or any number of `-`
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &component[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// Normalise a registry key from a docker config (`https://index.docker.io/v1/`, `quay.io`,
/// `http://host:5000/v2/`) to the host (with port) the runtimes compare against.
pub fn normalise_registry_key(key: &str) -> String {
    let without_scheme = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://")).unwrap_or(key);
    let host = without_scheme.split('/').next().unwrap_or(without_scheme).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "docker.io" | "registry.hub.docker.com" => "docker.io".to_string(),
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(reference: &str, expect: Option<(&str, &str, Option<&str>, Option<&str>)>) {
        let parsed = parse_image(reference);
        match (parsed, expect) {
            (Ok(image), Some((registry, repository, tag, digest))) => {
                assert_eq!(image.registry, registry, "{reference}");
                assert_eq!(image.repository, repository, "{reference}");
                assert_eq!(image.tag.as_deref(), tag, "{reference}");
                assert_eq!(image.digest.as_deref(), digest, "{reference}");
            }
            (Err(_), None) => {}
            (got, want) => panic!("{reference}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn references() {
        let sha = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        check("nginx", Some(("docker.io", "library/nginx", Some("latest"), None)));
        check("bitnami/redis:7", Some(("docker.io", "bitnami/redis", Some("7"), None)));
        check("index.docker.io/library/alpine:3", Some(("docker.io", "library/alpine", Some("3"), None)));
        check("localhost:5000/app", Some(("localhost:5000", "app", Some("latest"), None)));
        check("localhost/app:1", Some(("localhost", "app", Some("1"), None)));
        check(
            "818140567777.dkr.ecr.us-east-1.amazonaws.com/harness-delegate:latest",
            Some(("818140567777.dkr.ecr.us-east-1.amazonaws.com", "harness-delegate", Some("latest"), None)),
        );
        check(&format!("quay.io/org/app@{sha}"), Some(("quay.io", "org/app", None, Some(sha))));
        check(&format!("quay.io/org/app:v1@{sha}"), Some(("quay.io", "org/app", Some("v1"), Some(sha))));
        check("My-Registry.example.com/app:Latest::", None);
        check("registry.example.com/App:1", None);
        check("app:", None);
        check("", None);
        check("quay.io/org/app@sha256:abc", None);
        check("a/b__c/d-e--f.g:1.2_3", Some(("docker.io", "a/b__c/d-e--f.g", Some("1.2_3"), None)));
    }

    #[test]
    fn ecr_hosts() {
        let ecr = parse_ecr_host("818140567777.dkr.ecr.us-east-1.amazonaws.com").unwrap();
        assert_eq!(ecr.account, "818140567777");
        assert_eq!(ecr.region, "us-east-1");
        assert_eq!(ecr.api_host(), "api.ecr.us-east-1.amazonaws.com");
        assert_eq!(ecr.layer_host(), "prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com");
        assert_eq!(ecr.repository_arn("a/b"), "arn:aws:ecr:us-east-1:818140567777:repository/a/b");
        assert!(parse_ecr_host("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com").unwrap().fips);
        assert_eq!(parse_ecr_host("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn").unwrap().domain, "amazonaws.com.cn");
        assert!(parse_ecr_host("12345.dkr.ecr.us-east-1.amazonaws.com").is_none());
        assert!(parse_ecr_host("quay.io").is_none());
    }

    #[test]
    fn registry_keys() {
        assert_eq!(normalise_registry_key("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(normalise_registry_key("http://Host:5000/v2/"), "host:5000");
        assert_eq!(normalise_registry_key("quay.io"), "quay.io");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            let _ = parse_image(&s);
            let _ = parse_ecr_host(&s);
            let _ = normalise_registry_key(&s);
        }
    }
}
