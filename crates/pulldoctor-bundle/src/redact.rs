//! Redaction of bundle files that leave the machine (the live collector's pull secrets, the
//! escalation archive): every credential replaced by [`MARKER`], keeping what the diagnosis reads
//! (registry hosts, user names, the ECR token's expiry, creation times), so a redacted bundle
//! diagnoses as the original does.
//!
//! What is replaced, wherever it appears in a file (alone, in a `List`, or nested):
//! - a `Secret`'s `data` and `stringData` values (also the items of a `SecretList`, which need
//!   not say their kind): docker configs keep their registries, user
//!   names and ECR expiry, every other value becomes the marker; its annotations go (a
//!   `last-applied-configuration` holds the secret again);
//! - the `kubectl.kubernetes.io/last-applied-configuration` annotation of any object;
//! - the value of every container environment variable (pods, and the templates of workloads);
//! - the password of a proxy URL (`http://user:password@proxy:3128`) in OpenShift's cluster Proxy.
//!
//! A file that is not JSON cannot be checked and is refused: the caller leaves it out.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

/// What replaces a credential.
pub const MARKER: &str = "REDACTED-BY-PULLDOCTOR";

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// A docker config (`.dockerconfigjson` or `.dockercfg` content) with every secret value replaced.
/// An ECR password becomes a token envelope holding only its `expiration`, so the reader still
/// sees when it expires. `None` when the bytes are not a JSON object.
pub fn docker_config(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut config: Value = serde_json::from_slice(bytes).ok()?;
    let auths = match config.get_mut("auths") {
        Some(auths) => auths,
        None => &mut config,
    };
    for entry in auths.as_object_mut()?.values_mut() {
        let Some(entry) = entry.as_object_mut() else { continue };
        let mut username = entry.get("username").and_then(Value::as_str).map(str::to_string);
        let mut password = entry.get("password").and_then(Value::as_str).map(str::to_string);
        if let Some(pair) =
            entry.get("auth").and_then(Value::as_str).and_then(|a| STANDARD.decode(a).ok()).and_then(|b| String::from_utf8(b).ok())
            && let Some((user, pass)) = pair.split_once(':')
        {
            username.get_or_insert(user.to_string());
            password.get_or_insert(pass.to_string());
        }
        let expiry = password.as_deref().and_then(crate::ecr_token_expiry);
        let replacement = match expiry {
            Some(expiry) => STANDARD.encode(json!({"payload": MARKER, "expiration": expiry.timestamp()}).to_string()),
            None => MARKER.to_string(),
        };
        for field in ["password", "auth", "identitytoken", "registrytoken", "email"] {
            entry.remove(field);
        }
        let user = username.unwrap_or_default();
        entry.insert("username".into(), Value::String(user.clone()));
        entry.insert("password".into(), Value::String(replacement.clone()));
        entry.insert("auth".into(), Value::String(STANDARD.encode(format!("{user}:{replacement}"))));
    }
    serde_json::to_vec(&config).ok()
}

/// A `Secret` object redacted in place; returns how many values were replaced.
pub fn secret(object: &mut Value) -> usize {
    let mut replaced = 0;
    for (field, encoded) in [("data", true), ("stringData", false)] {
        let Some(values) = object.get_mut(field).and_then(Value::as_object_mut) else { continue };
        for (key, value) in values.iter_mut() {
            let docker = key == ".dockerconfigjson" || key == ".dockercfg";
            let plain = value.as_str().and_then(|text| if encoded { STANDARD.decode(text).ok() } else { Some(text.as_bytes().to_vec()) });
            let redacted = plain.filter(|_| docker).and_then(|bytes| docker_config(&bytes)).unwrap_or_else(|| MARKER.as_bytes().to_vec());
            *value = Value::String(if encoded { STANDARD.encode(redacted) } else { String::from_utf8_lossy(&redacted).into_owned() });
            replaced += 1;
        }
    }
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        replaced += usize::from(metadata.remove("annotations").is_some());
        metadata.remove("managedFields");
    }
    replaced
}

/// A bundle file after redaction, and how many values were replaced in it.
#[derive(Debug)]
pub struct Redacted {
    pub bytes: Vec<u8>,
    pub replaced: usize,
}

/// A whole bundle file redacted. Files with nothing to replace come back byte for byte.
pub fn file(bytes: &[u8]) -> Result<Redacted, String> {
    let mut value: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON ({e}), so it cannot be checked for credentials"))?;
    let replaced = walk(&mut value);
    if replaced == 0 {
        return Ok(Redacted { bytes: bytes.to_vec(), replaced });
    }
    let mut bytes = serde_json::to_vec_pretty(&value).map_err(|e| e.to_string())?;
    bytes.push(b'\n');
    Ok(Redacted { bytes, replaced })
}

fn walk(value: &mut Value) -> usize {
    match value {
        Value::Array(items) => items.iter_mut().map(walk).sum(),
        Value::Object(object) => {
            let mut replaced = 0;
            match object.get("kind").and_then(Value::as_str) {
                Some("Secret") => {
                    let mut whole = Value::Object(std::mem::take(object));
                    replaced += secret(&mut whole);
                    if let Value::Object(redacted) = whole {
                        *object = redacted;
                    }
                }
                Some("SecretList") => {
                    for item in object.get_mut("items").and_then(Value::as_array_mut).into_iter().flatten() {
                        replaced += secret(item);
                    }
                }
                Some("Proxy") => replaced += proxy(object),
                _ => {}
            }
            if let Some(annotations) = object.get_mut("metadata").and_then(|m| m.get_mut("annotations")).and_then(Value::as_object_mut) {
                replaced += usize::from(annotations.remove(LAST_APPLIED).is_some());
            }
            for containers in ["containers", "initContainers", "ephemeralContainers"] {
                for container in object.get_mut(containers).and_then(Value::as_array_mut).into_iter().flatten() {
                    for variable in container.get_mut("env").and_then(Value::as_array_mut).into_iter().flatten() {
                        if let Some(slot) = variable.get_mut("value").filter(|v| v.as_str().is_some_and(|t| !t.is_empty())) {
                            *slot = Value::String(MARKER.into());
                            replaced += 1;
                        }
                    }
                }
            }
            replaced + object.values_mut().map(walk).sum::<usize>()
        }
        _ => 0,
    }
}

/// The password of every proxy URL in a cluster Proxy's spec and status.
fn proxy(object: &mut Map<String, Value>) -> usize {
    let mut replaced = 0;
    for part in ["spec", "status"] {
        for field in ["httpProxy", "httpsProxy"] {
            let Some(slot) = object.get_mut(part).and_then(|p| p.get_mut(field)) else { continue };
            if let Some(url) = slot.as_str().and_then(without_password) {
                *slot = Value::String(url);
                replaced += 1;
            }
        }
    }
    replaced
}

/// `scheme://user:password@host...` with the password replaced; `None` when there is none.
fn without_password(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (userinfo, host) = rest.split_once('@')?;
    let (user, _) = userinfo.split_once(':')?;
    let scheme = if scheme.is_empty() { String::new() } else { format!("{scheme}://") };
    Some(format!("{scheme}{user}:{MARKER}@{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_configs_keep_facts_and_drop_secrets() {
        let password = STANDARD.encode(r#"{"payload":"hunter2-payload","datakey":"a2V5","expiration":1756128000}"#);
        let config = json!({"auths": {"111122223333.dkr.ecr.us-east-1.amazonaws.com": {
            "auth": STANDARD.encode(format!("AWS:{password}")), "email": "x@example.com"},
            "quay.io": {"username": "robot", "password": "hunter2", "auth": STANDARD.encode("robot:hunter2")}}});
        let redacted = String::from_utf8(docker_config(config.to_string().as_bytes()).unwrap()).unwrap();
        assert!(!redacted.contains("hunter2") && !redacted.contains(&password) && !redacted.contains("x@example.com"));
        let value: Value = serde_json::from_str(&redacted).unwrap();
        let ecr = &value["auths"]["111122223333.dkr.ecr.us-east-1.amazonaws.com"];
        assert_eq!(ecr["username"], "AWS");
        assert_eq!(crate::ecr_token_expiry(ecr["password"].as_str().unwrap()).unwrap().timestamp(), 1_756_128_000);
        assert_eq!(value["auths"]["quay.io"]["username"], "robot");
    }

    #[test]
    fn whole_files_lose_every_credential_and_keep_their_shape() {
        let data = STANDARD.encode(r#"{"auths":{"quay.io":{"auth":"cm9ib3Q6Y2FuYXJ5LXBhc3N3b3Jk"}}}"#);
        let list = json!({"kind": "List", "items": [
            {"kind": "Secret", "type": "kubernetes.io/dockerconfigjson", "metadata": {"name": "pull", "annotations": {LAST_APPLIED: "canary-applied"}},
             "data": {".dockerconfigjson": data}},
            {"kind": "Secret", "type": "Opaque", "metadata": {"name": "other"}, "data": {"token": STANDARD.encode("canary-token")},
             "stringData": {"password": "canary-string"}},
            {"kind": "Pod", "metadata": {"name": "p", "annotations": {LAST_APPLIED: "canary-pod"}},
             "spec": {"containers": [{"name": "c", "env": [{"name": "TOKEN", "value": "canary-env"}, {"name": "FROM", "valueFrom": {}}]}]}},
            {"kind": "Proxy", "spec": {"httpsProxy": "http://proxy-user:canary-proxy@proxy.example:3128"}},
        ]});
        let redacted = file(list.to_string().as_bytes()).unwrap();
        let text = String::from_utf8(redacted.bytes).unwrap();
        for canary in ["canary", "Y2FuYXJ5", STANDARD.encode("canary-token").as_str(), &data] {
            assert!(!text.contains(canary), "{canary} left in {text}");
        }
        assert!(text.contains("proxy-user") && text.contains("proxy.example:3128"));
        let value: Value = serde_json::from_str(&text).unwrap();
        let config = STANDARD.decode(value["items"][0]["data"][".dockerconfigjson"].as_str().unwrap()).unwrap();
        assert!(String::from_utf8(config).unwrap().contains("\"quay.io\""), "the registry stays");
        assert!(text.contains("valueFrom"), "references to secrets are no secret");
        assert_eq!(redacted.replaced, 7);
        // the items of a SecretList, as the API server lists them, carry no kind of their own
        let list =
            json!({"kind": "SecretList", "items": [{"metadata": {"name": "x"}, "data": {"token": STANDARD.encode("canary-token")}}]});
        let text = String::from_utf8(file(list.to_string().as_bytes()).unwrap().bytes).unwrap();
        assert!(!text.contains(&STANDARD.encode("canary-token")), "{text}");
        // nothing to replace: the bytes are untouched
        let plain = br#"{"RouteTables": []}"#;
        assert_eq!(file(plain).unwrap().bytes, plain);
        assert!(file(b"{cut").is_err());
    }
}
