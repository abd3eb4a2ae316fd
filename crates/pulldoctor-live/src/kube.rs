//! Cluster calls with kube-rs, each written as the List `kubectl get -o json` prints. Pull secrets
//! are read only when a pod or its service account references them, and are written with every
//! token and password replaced, keeping what the diagnosis needs (hosts, user names, ECR expiry).

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod, Secret, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kube::{Client, Config};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::{Collected, Failed, File};

/// Which cluster: the kubeconfig context (default: the current one, or in-cluster config).
#[derive(Debug, Clone, Default)]
pub struct KubeOptions {
    pub context: Option<String>,
    /// Only this namespace (pods, events, service accounts, network policies); default: all.
    pub namespace: Option<String>,
}

const MARKER: &str = "REDACTED-BY-PULLDOCTOR";

fn failed(call: &str, error: &kube::Error) -> Failed {
    let denied = matches!(error, kube::Error::Api(status) if status.code == 401 || status.code == 403);
    Failed { call: call.to_string(), denied, message: error.to_string() }
}

async fn list_all<K>(api: &Api<K>) -> Result<Vec<K>, kube::Error>
where
    K: Clone + DeserializeOwned + std::fmt::Debug,
{
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut params = ListParams::default().limit(500);
        if let Some(token) = &token {
            params = params.continue_token(token);
        }
        let page = api.list(&params).await?;
        items.extend(page.items);
        token = page.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            return Ok(items);
        }
    }
}

fn list_file<K: Serialize>(name: &str, items: &[K]) -> File {
    File { name: name.to_string(), json: json!({"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}}) }
}

/// A docker config with every secret value replaced. An ECR password becomes a token envelope
/// holding only its `expiration`, so the reader still sees when it expires.
pub fn redact_docker_config(bytes: &[u8]) -> Option<Vec<u8>> {
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
        let expiry = password.as_deref().and_then(pulldoctor_bundle::ecr_token_expiry);
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

fn redact_secret(secret: &Secret) -> Value {
    let mut value = serde_json::to_value(secret).unwrap_or_default();
    if let Some(data) = value.get_mut("data").and_then(Value::as_object_mut) {
        for (key, encoded) in data.iter_mut() {
            let redacted = encoded
                .as_str()
                .and_then(|e| STANDARD.decode(e).ok())
                .filter(|_| key == ".dockerconfigjson" || key == ".dockercfg")
                .and_then(|bytes| redact_docker_config(&bytes))
                .map(|bytes| STANDARD.encode(bytes))
                .unwrap_or_else(|| STANDARD.encode(MARKER));
            *encoded = Value::String(redacted);
        }
    }
    if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("annotations");
        metadata.remove("managedFields");
    }
    value
}

pub async fn collect_kubernetes(options: &KubeOptions) -> Collected {
    // The AWS SDK and kube-rs bring two TLS crypto providers: name one for kube's client.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut out = Collected::default();
    let config = match &options.context {
        Some(context) => {
            let kube_options = kube::config::KubeConfigOptions { context: Some(context.clone()), ..Default::default() };
            Config::from_kubeconfig(&kube_options).await.map_err(|e| e.to_string())
        }
        None => Config::infer().await.map_err(|e| e.to_string()),
    };
    let client = match config.and_then(|c| Client::try_from(c).map_err(|e| e.to_string())) {
        Ok(client) => client,
        Err(message) => {
            out.failed.push(Failed { call: "kubeconfig".into(), denied: false, message });
            return out;
        }
    };
    let scoped = |client: &Client| -> (Api<Pod>, Api<Event>, Api<ServiceAccount>, Api<NetworkPolicy>) {
        match &options.namespace {
            Some(ns) => (
                Api::namespaced(client.clone(), ns),
                Api::namespaced(client.clone(), ns),
                Api::namespaced(client.clone(), ns),
                Api::namespaced(client.clone(), ns),
            ),
            None => (Api::all(client.clone()), Api::all(client.clone()), Api::all(client.clone()), Api::all(client.clone())),
        }
    };
    let (pods_api, events_api, accounts_api, policies_api) = scoped(&client);
    let pods = match list_all(&pods_api).await {
        Ok(pods) => pods,
        Err(error) => {
            out.failed.push(failed("list pods", &error));
            Vec::new()
        }
    };
    out.files.push(list_file("k8s/pods.json", &pods));
    let accounts = match list_all(&accounts_api).await {
        Ok(accounts) => accounts,
        Err(error) => {
            out.failed.push(failed("list serviceaccounts", &error));
            Vec::new()
        }
    };
    out.files.push(list_file("k8s/serviceaccounts.json", &accounts));
    match list_all(&events_api).await {
        Ok(events) => out.files.push(list_file("k8s/events.json", &events)),
        Err(error) => out.failed.push(failed("list events", &error)),
    }
    match list_all(&Api::<Node>::all(client.clone())).await {
        Ok(nodes) => out.files.push(list_file("k8s/nodes.json", &nodes)),
        Err(error) => out.failed.push(failed("list nodes", &error)),
    }
    match list_all(&policies_api).await {
        Ok(policies) => out.files.push(list_file("k8s/networkpolicies.json", &policies)),
        Err(error) => out.failed.push(failed("list networkpolicies", &error)),
    }
    match list_all(&Api::<Namespace>::all(client.clone())).await {
        Ok(namespaces) => out.files.push(list_file("k8s/namespaces.json", &namespaces)),
        Err(error) => out.failed.push(failed("list namespaces", &error)),
    }
    // Only the pull secrets something references, plus OpenShift's global one.
    let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
    for pod in &pods {
        let namespace = pod.metadata.namespace.clone().unwrap_or_else(|| "default".into());
        let spec = pod.spec.as_ref();
        for reference in spec.and_then(|s| s.image_pull_secrets.as_ref()).into_iter().flatten() {
            wanted.insert((namespace.clone(), reference.name.clone()));
        }
        let account = spec.and_then(|s| s.service_account_name.clone()).unwrap_or_else(|| "default".into());
        for sa in accounts
            .iter()
            .filter(|a| a.metadata.namespace.as_deref() == Some(namespace.as_str()) && a.metadata.name.as_deref() == Some(account.as_str()))
        {
            for reference in sa.image_pull_secrets.iter().flatten() {
                wanted.insert((namespace.clone(), reference.name.clone()));
            }
        }
    }
    wanted.insert(("openshift-config".into(), "pull-secret".into()));
    let mut secrets = Vec::new();
    for (namespace, name) in wanted {
        match Api::<Secret>::namespaced(client.clone(), &namespace).get_opt(&name).await {
            Ok(Some(secret)) => secrets.push(redact_secret(&secret)),
            Ok(None) => {}
            Err(error) => out.failed.push(failed(&format!("get secret {namespace}/{name}"), &error)),
        }
    }
    out.files.push(File {
        name: "k8s/secrets.json".into(),
        json: json!({"apiVersion": "v1", "kind": "List", "items": secrets, "metadata": {"resourceVersion": ""}}),
    });
    // OpenShift's cluster-wide pull configuration, when the API has it.
    for (kind, file) in [("Proxy", "k8s/openshift-proxy.json"), ("Image", "k8s/openshift-image.json")] {
        let resource = ApiResource::from_gvk(&GroupVersionKind::gvk("config.openshift.io", "v1", kind));
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
        match api.get_opt("cluster").await {
            Ok(Some(object)) => out.files.push(File { name: file.into(), json: serde_json::to_value(&object).unwrap_or_default() }),
            Ok(None) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(error) => out.failed.push(failed(&format!("get {kind} cluster"), &error)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_facts_and_drops_secrets() {
        let password =
            STANDARD.encode(r#"{"payload":"c2VjcmV0","datakey":"a2V5","version":"2","type":"DATA_KEY","expiration":1756156440}"#);
        let config = json!({"auths": {"818140567777.dkr.ecr.us-east-1.amazonaws.com": {"auth": STANDARD.encode(format!("AWS:{password}"))}, "quay.io": {"username": "bot", "password": "hunter2-token"}}});
        let redacted = String::from_utf8(redact_docker_config(config.to_string().as_bytes()).unwrap()).unwrap();
        assert!(!redacted.contains("c2VjcmV0") && !redacted.contains("hunter2") && !redacted.contains(&password));
        let value: Value = serde_json::from_str(&redacted).unwrap();
        let ecr = value["auths"]["818140567777.dkr.ecr.us-east-1.amazonaws.com"]["password"].as_str().unwrap();
        assert_eq!(pulldoctor_bundle::ecr_token_expiry(ecr).unwrap().timestamp(), 1756156440);
        assert_eq!(value["auths"]["quay.io"]["username"], "bot");
    }
}
