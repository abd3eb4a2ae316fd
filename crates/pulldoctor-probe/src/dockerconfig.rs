//! A pull secret (`.dockerconfigjson`), reduced to the one credential the kubelet would use.
//!
//! Accepts the file content of a `kubernetes.io/dockerconfigjson` secret (`{"auths": {...}}`),
//! the legacy `.dockercfg` map without `auths`, and a whole `kubectl get secret -o json` object
//! (its `data` decoded). Passwords live only in [`Secret`], whose `Debug` and `Display` print
//! nothing: the probe sends a password and never shows it.
//!
//! Matching follows the kubelet's keyring (`pkg/credentialprovider/keyring.go`): a key is a URL
//! without scheme (`https://` is added), its host may use `*` per label (`*.example.com`), its port
//! must equal the image's, and its path must be a prefix of the image's repository path. Docker
//! Hub's keys (`https://index.docker.io/v1/`, `docker.io`) match `docker.io` images. The most
//! specific key (longest) wins, as the kubelet tries it first.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use serde::Deserialize;

/// A password or token: sent, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// One registry credential from a pull secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The key as written in the file (`https://index.docker.io/v1/`, `registry.lab.test`).
    pub key: String,
    /// The user name (may be empty for token-only entries).
    pub username: String,
    /// The password, or the identity token when there is no password.
    pub password: Secret,
}

/// Why a pull secret file could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerConfigError(pub String);

impl fmt::Display for DockerConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Entry {
    username: Option<String>,
    password: Option<String>,
    auth: Option<String>,
    identitytoken: Option<String>,
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let trimmed = text.trim();
    STANDARD.decode(trimmed).or_else(|_| STANDARD_NO_PAD.decode(trimmed.trim_end_matches('='))).ok()
}

/// Parses a pull secret file into its credentials (keys in file order is not kept: sorted).
pub fn parse(bytes: &[u8]) -> Result<Vec<Credential>, DockerConfigError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| DockerConfigError(format!("not JSON: {e}")))?;
    // A Secret object: take .data[".dockerconfigjson"] (or ".dockercfg"), base64-decoded.
    if value.get("kind").and_then(|k| k.as_str()) == Some("Secret") {
        let data = value.get("data").and_then(|d| d.as_object()).ok_or_else(|| DockerConfigError("the Secret has no `data`".into()))?;
        let encoded = data
            .get(".dockerconfigjson")
            .or_else(|| data.get(".dockercfg"))
            .and_then(|v| v.as_str())
            .ok_or_else(|| DockerConfigError("the Secret has neither `.dockerconfigjson` nor `.dockercfg` in its data".into()))?;
        let decoded = decode_base64(encoded).ok_or_else(|| DockerConfigError("the Secret's data is not base64".into()))?;
        return parse(&decoded);
    }
    let auths = match value.get("auths") {
        Some(auths) => auths.clone(),
        None => value, // legacy .dockercfg: the map itself
    };
    let entries: BTreeMap<String, Entry> =
        serde_json::from_value(auths).map_err(|e| DockerConfigError(format!("`auths` is not a map of registry entries: {e}")))?;
    let mut out = Vec::new();
    for (key, entry) in entries {
        let (mut username, mut password) = (entry.username, entry.password);
        if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
            let pair = decode_base64(auth)
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| DockerConfigError(format!("`{key}`: `auth` is not base64 of `user:password`")))?;
            let (user, pass) =
                pair.split_once(':').ok_or_else(|| DockerConfigError(format!("`{key}`: `auth` does not decode to `user:password`")))?;
            username.get_or_insert_with(|| user.to_string());
            password.get_or_insert_with(|| pass.to_string());
        }
        let password = password.filter(|p| !p.is_empty()).or(entry.identitytoken.filter(|t| !t.is_empty()));
        if let Some(password) = password {
            out.push(Credential { key, username: username.unwrap_or_default(), password: Secret::new(password) });
        }
    }
    Ok(out)
}

/// `(host labels, port, path)` of a key or an image location, the kubelet's way.
fn split_key(key: &str) -> (Vec<String>, String, String) {
    let without_scheme = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://")).unwrap_or(key);
    let (hostport, path) = match without_scheme.find('/') {
        Some(i) => (&without_scheme[..i], &without_scheme[i..]),
        None => (without_scheme, ""),
    };
    let hostport = hostport.to_ascii_lowercase();
    let (host, port) = match hostport.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => (host.to_string(), port.to_string()),
        _ => (hostport.clone(), String::new()),
    };
    let host = match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => "docker.io".to_string(),
        _ => host,
    };
    // Docker Hub's legacy key ends in /v1/: that is an API path, not a repository prefix.
    let path = if host == "docker.io" && (path == "/v1/" || path == "/v1" || path == "/") { "" } else { path };
    (host.split('.').map(str::to_string).collect(), port, path.trim_end_matches('/').to_string())
}

/// `*` matches any run of characters within one label (Go's `filepath.Match` on a label).
fn label_matches(pattern: &str, label: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == label,
        Some((prefix, rest)) => {
            if !label.starts_with(prefix) {
                return false;
            }
            let remainder = &label[prefix.len()..];
            (0..=remainder.len()).filter(|&i| remainder.is_char_boundary(i)).any(|i| label_matches(rest, &remainder[i..]))
        }
    }
}

/// The credential the kubelet would try first for `registry/repository`, and how many keys
/// matched in all.
pub fn lookup<'a>(credentials: &'a [Credential], registry: &str, repository: &str) -> (Option<&'a Credential>, usize) {
    let (target_labels, target_port, target_path) = split_key(&format!("{registry}/{repository}"));
    let mut matching: Vec<&Credential> = credentials
        .iter()
        .filter(|credential| {
            let (labels, port, path) = split_key(&credential.key);
            port == target_port
                && labels.len() == target_labels.len()
                && labels.iter().zip(&target_labels).all(|(p, l)| label_matches(p, l))
                && (path.is_empty() || target_path == path || target_path.starts_with(&format!("{path}/")))
        })
        .collect();
    matching.sort_by_key(|credential| std::cmp::Reverse(credential.key.len()));
    (matching.first().copied(), matching.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(auths: serde_json::Value) -> Vec<Credential> {
        parse(serde_json::json!({ "auths": auths }).to_string().as_bytes()).unwrap()
    }

    fn auth(user: &str, pass: &str) -> String {
        STANDARD.encode(format!("{user}:{pass}"))
    }

    #[test]
    fn reads_auth_username_password_and_identity_tokens() {
        let creds = config(serde_json::json!({
            "registry.lab.test": {"auth": auth("puller", "correct-horse")},
            "quay.io": {"username": "robot", "password": "pw"},
            "token.example": {"identitytoken": "tok"},
            "empty.example": {"auth": ""},
        }));
        assert_eq!(creds.len(), 3, "an entry without any secret is no credential");
        let lab = creds.iter().find(|c| c.key == "registry.lab.test").unwrap();
        assert_eq!((lab.username.as_str(), lab.password.expose()), ("puller", "correct-horse"));
        assert!(!format!("{lab:?}").contains("correct-horse"), "Debug never shows the password");
    }

    #[test]
    fn reads_secret_objects_and_legacy_dockercfg() {
        let inner = serde_json::json!({"auths": {"registry.lab.test": {"auth": auth("u", "p")}}}).to_string();
        let secret = serde_json::json!({"kind": "Secret", "data": {".dockerconfigjson": STANDARD.encode(inner)}}).to_string();
        assert_eq!(parse(secret.as_bytes()).unwrap()[0].username, "u");
        let legacy = serde_json::json!({"registry.lab.test": {"auth": auth("old", "p")}}).to_string();
        assert_eq!(parse(legacy.as_bytes()).unwrap()[0].username, "old");
        assert!(parse(b"not json").is_err());
        assert!(parse(br#"{"auths": {"x": {"auth": "!!"}}}"#).unwrap_err().0.contains("base64"));
        assert!(parse(br#"{"kind": "Secret", "data": {}}"#).is_err());
    }

    #[test]
    fn matches_like_the_kubelet_keyring() {
        let creds = config(serde_json::json!({
            "https://index.docker.io/v1/": {"auth": auth("hub", "p")},
            "registry.lab.test": {"auth": auth("host", "p")},
            "registry.lab.test/team": {"auth": auth("team", "p")},
            "*.dkr.ecr.us-east-1.amazonaws.com": {"auth": auth("AWS", "p")},
            "registry.lab.test:5000": {"auth": auth("port", "p")},
        }));
        let user = |registry: &str, repository: &str| lookup(&creds, registry, repository).0.map(|c| c.username.as_str());
        assert_eq!(user("docker.io", "library/nginx"), Some("hub"));
        assert_eq!(user("registry.lab.test", "team/app"), Some("team"), "the longest key wins");
        assert_eq!(user("registry.lab.test", "teams/app"), Some("host"), "a path prefix is whole components");
        assert_eq!(user("registry.lab.test:5000", "x"), Some("port"));
        assert_eq!(user("123456789012.dkr.ecr.us-east-1.amazonaws.com", "app"), Some("AWS"));
        assert_eq!(user("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "app"), None);
        assert_eq!(user("lab.test", "x"), None, "label counts must agree");
        assert_eq!(lookup(&creds, "registry.lab.test", "team/app").1, 2);
    }

    #[test]
    fn globs_stay_inside_one_label() {
        assert!(label_matches("*", "abc"));
        assert!(label_matches("a*c", "abbc"));
        assert!(!label_matches("a*c", "abd"));
        assert!(label_matches("*-ecr", "x-ecr"));
    }
}
