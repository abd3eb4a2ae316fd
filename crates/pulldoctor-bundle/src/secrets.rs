//! Pull secrets reduced to facts. Every token and password is dropped here, before the model
//! exists: nothing downstream can print what it never received.
//!
//! What is kept: the registry keys and their normalised hosts, the user name, whether a secret
//! value is present, and for ECR tokens the `expiration` decoded from the password (an ECR password
//! is base64 of a JSON document with `payload`, `datakey`, `version`, `type` and `expiration`).

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use chrono::{DateTime, Utc};
use pulldoctor_model as model;
use serde::Deserialize;

use crate::k8s::Secret;

#[derive(Deserialize, Default)]
#[serde(default)]
struct DockerConfig {
    auths: BTreeMap<String, AuthEntry>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AuthEntry {
    username: Option<String>,
    password: Option<String>,
    auth: Option<String>,
    identitytoken: Option<String>,
    registrytoken: Option<String>,
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let trimmed = text.trim();
    STANDARD.decode(trimmed).or_else(|_| STANDARD_NO_PAD.decode(trimmed.trim_end_matches('='))).ok()
}

/// The `expiration` of an ECR password, when the password is one.
pub fn ecr_token_expiry(password: &str) -> Option<DateTime<Utc>> {
    let decoded = decode_base64(password)?;
    let value: serde_json::Value = serde_json::from_slice(&decoded).ok()?;
    let expiration = value.get("expiration")?;
    let seconds = expiration.as_f64().or_else(|| expiration.as_str().and_then(|s| s.parse().ok()))?;
    crate::time::from_epoch(seconds)
}

fn credential(key: &str, entry: AuthEntry) -> model::RegistryCredential {
    let mut problem = None;
    let (mut username, mut password) = (entry.username, entry.password);
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        match decode_base64(auth).and_then(|bytes| String::from_utf8(bytes).ok()) {
            Some(pair) => match pair.split_once(':') {
                Some((user, pass)) => {
                    username.get_or_insert_with(|| user.to_string());
                    password.get_or_insert_with(|| pass.to_string());
                }
                None => problem = Some("`auth` does not decode to `user:password`".to_string()),
            },
            None => problem = Some("`auth` is not valid base64".to_string()),
        }
    }
    let has_secret = password.as_deref().is_some_and(|p| !p.is_empty())
        || entry.identitytoken.as_deref().is_some_and(|t| !t.is_empty())
        || entry.registrytoken.as_deref().is_some_and(|t| !t.is_empty());
    let host = model::normalise_registry_key(key);
    let is_ecr = model::parse_ecr_host(host.split(':').next().unwrap_or(&host)).is_some();
    let ecr_expires_at = password.as_deref().and_then(ecr_token_expiry);
    if is_ecr && username.as_deref() == Some("AWS") && ecr_expires_at.is_none() && problem.is_none() {
        problem = Some("the ECR password does not carry a readable `expiration`".to_string());
    }
    model::RegistryCredential { key: key.to_string(), host, username, has_secret, ecr_expires_at, problem }
}

/// Whether `oc adm inspect` (and so must-gather) replaced the secret's data by its length: it
/// writes `N bytes long` (base64-encoded like any data) for every key but public certificates.
/// Such a secret says nothing about credentials and must not pass for a broken one (nor, for an
/// `Opaque` one, make secrets count as read).
pub fn is_elided(secret: &Secret) -> bool {
    let elided = |value: &String| {
        decode_base64(value)
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .is_some_and(|text| text.strip_suffix(" bytes long").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())))
    };
    // public certificates stay: a secret is elided when any other value is
    secret.data.iter().filter(|(key, _)| !matches!(key.as_str(), "tls.crt" | "ca.crt" | "service-ca.crt")).any(|(_, value)| elided(value))
}

/// Reduce a Secret to facts. Secrets of other types keep their name and type only.
pub fn facts(secret: Secret) -> Option<model::SecretFacts> {
    let name = secret.metadata.name?;
    let namespace = secret.metadata.namespace.unwrap_or_else(|| "default".into());
    let secret_type = secret.secret_type.unwrap_or_else(|| "Opaque".into());
    let (field, legacy) = match secret_type.as_str() {
        "kubernetes.io/dockerconfigjson" => (".dockerconfigjson", false),
        "kubernetes.io/dockercfg" => (".dockercfg", true),
        _ => {
            return Some(model::SecretFacts {
                namespace,
                name,
                secret_type,
                created: secret.metadata.creation_timestamp,
                credentials: Vec::new(),
                problem: None,
            });
        }
    };
    let mut problem = None;
    let mut credentials = Vec::new();
    match secret.data.get(field) {
        None => problem = Some(format!("the secret has no `data.{field}`")),
        Some(encoded) => match decode_base64(encoded) {
            None => problem = Some(format!("`data.{field}` is not valid base64")),
            Some(bytes) => {
                let parsed = if legacy {
                    serde_json::from_slice::<BTreeMap<String, AuthEntry>>(&bytes).map(|auths| DockerConfig { auths })
                } else {
                    serde_json::from_slice::<DockerConfig>(&bytes)
                };
                match parsed {
                    Ok(config) => {
                        credentials = config.auths.into_iter().map(|(key, entry)| credential(&key, entry)).collect();
                        if credentials.is_empty() {
                            problem = Some("the docker config lists no registries".to_string());
                        }
                    }
                    // The serde error may quote the secret's bytes: keep only its position.
                    Err(error) => {
                        problem = Some(format!(
                            "`data.{field}` is not a docker config (JSON error at line {}, column {})",
                            error.line(),
                            error.column()
                        ))
                    }
                }
            }
        },
    }
    Some(model::SecretFacts { namespace, name, secret_type, created: secret.metadata.creation_timestamp, credentials, problem })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ecr_password(expiration: i64) -> String {
        STANDARD.encode(format!(
            r#"{{"payload":"c2VjcmV0LXBheWxvYWQ=","datakey":"ZGF0YWtleQ==","version":"2","type":"DATA_KEY","expiration":{expiration}}}"#
        ))
    }

    fn secret(kind: &str, field: &str, config: &str) -> Secret {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "regcred", "namespace": "ns", "creationTimestamp": "2025-08-25T09:14:00Z"},
            "type": kind,
            "data": {field: STANDARD.encode(config)}
        }))
        .unwrap()
    }

    #[test]
    fn ecr_expiry_is_decoded_and_the_password_is_dropped() {
        let password = ecr_password(1756156440);
        let auth = STANDARD.encode(format!("AWS:{password}"));
        let config = format!(r#"{{"auths":{{"https://818140567777.dkr.ecr.us-east-1.amazonaws.com":{{"auth":"{auth}"}}}}}}"#);
        let facts = facts(secret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", &config)).unwrap();
        let credential = &facts.credentials[0];
        assert_eq!(credential.host, "818140567777.dkr.ecr.us-east-1.amazonaws.com");
        assert_eq!(credential.username.as_deref(), Some("AWS"));
        assert!(credential.has_secret);
        assert_eq!(credential.ecr_expires_at.unwrap().to_rfc3339(), "2025-08-25T21:14:00+00:00");
        let printed = format!("{facts:?}") + &serde_json::to_string(&facts).unwrap();
        assert!(!printed.contains(&password) && !printed.contains(&auth) && !printed.contains("c2VjcmV0"));
    }

    #[test]
    fn must_gather_elides_the_data() {
        let elided = secret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", "2063 bytes long");
        assert!(is_elided(&elided));
        assert!(!is_elided(&secret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", r#"{"auths":{}}"#)));
    }

    #[test]
    fn legacy_dockercfg_and_garbage() {
        let facts = facts(secret(
            "kubernetes.io/dockercfg",
            ".dockercfg",
            r#"{"https://index.docker.io/v1/":{"username":"bob","password":"hunter2"}}"#,
        ))
        .unwrap();
        assert_eq!(facts.credentials[0].host, "docker.io");
        assert!(facts.credentials[0].ecr_expires_at.is_none());
        let broken = super::facts(secret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", "{\"auths\": hunter2")).unwrap();
        assert!(broken.problem.unwrap().contains("not a docker config"));
        assert!(!format!("{:?}", broken.credentials).contains("hunter2"));
    }
}
