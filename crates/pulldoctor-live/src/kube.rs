//! Cluster calls with kube-rs, each written as the List `kubectl get -o json` prints. Pull secrets
//! are read one by one, only those the caller names (the ones failing pods can use), and are
//! written with every token and password replaced, keeping what the diagnosis needs (hosts, user
//! names, ECR expiry, creation time).

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Mutex;

use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod, Secret, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kube::{Client, Config};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::{Collected, Failed, File, Progress};

/// Which cluster: the kubeconfig context (default: the current one, or in-cluster config).
#[derive(Debug, Clone, Default)]
pub struct KubeOptions {
    pub context: Option<String>,
    /// Only this namespace (pods, events, service accounts, network policies); default: all.
    pub namespace: Option<String>,
}

fn failed(call: &str, error: &kube::Error) -> Failed {
    let denied = matches!(error, kube::Error::Api(status) if status.code == 401 || status.code == 403);
    Failed { call: call.to_string(), denied, message: error.to_string(), detail: None }
}

/// Every object of `api`, page by page, written as the `{kind}List` the API answers
/// (`{"apiVersion": "v1", "kind": "PodList", ..., "items": [...]}`) as each page arrives: only one
/// page is ever held as typed objects.
async fn list_text<K>(api: &Api<K>, kind: &str) -> Result<Vec<u8>, kube::Error>
where
    K: Clone + DeserializeOwned + Serialize + std::fmt::Debug,
{
    let mut text = format!(r#"{{"apiVersion":"v1","kind":"{kind}List","metadata":{{"resourceVersion":""}},"items":["#).into_bytes();
    let mut first = true;
    let mut token: Option<String> = None;
    loop {
        let mut params = ListParams::default().limit(500);
        if let Some(token) = &token {
            params = params.continue_token(token);
        }
        let page = api.list(&params).await?;
        for item in &page.items {
            if !first {
                text.push(b',');
            }
            first = false;
            serde_json::to_writer(&mut text, item).map_err(kube::Error::SerdeError)?;
        }
        token = page.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            text.extend_from_slice(b"]}");
            return Ok(text);
        }
    }
}

/// A typed list, as the API answers it (`kind: PodList`), so that an empty one still says what
/// was read and found absent.
fn list_file<K: Serialize>(name: &str, kind: &str, items: &[K]) -> File {
    File::value(name, json!({"apiVersion": "v1", "kind": format!("{kind}List"), "items": items, "metadata": {"resourceVersion": ""}}))
}

/// A docker config with every secret value replaced (kept here under its old name).
pub fn redact_docker_config(bytes: &[u8]) -> Option<Vec<u8>> {
    pulldoctor_bundle::redact::docker_config(bytes)
}

fn redact_secret(secret: &Secret) -> Value {
    let mut value = serde_json::to_value(secret).unwrap_or_default();
    pulldoctor_bundle::redact::secret(&mut value);
    value
}

/// A connected cluster: the client and the namespace scope.
pub struct Cluster {
    pub(crate) client: Client,
    namespace: Option<String>,
}

/// One list or get, timed by the progress display; a failure is recorded in `out`.
async fn step<T>(
    progress: &dyn Progress,
    out: &Mutex<Collected>,
    call: &str,
    future: impl Future<Output = Result<T, kube::Error>>,
) -> Option<T> {
    progress.start(call);
    let result = future.await;
    progress.finish(call, result.is_ok());
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            out.lock().unwrap_or_else(|e| e.into_inner()).failed.push(failed(call, &error));
            None
        }
    }
}

/// An API the cluster may not have (OpenShift's, elsewhere): a 404 is an answer, "not here",
/// not a failure.
async fn unless_missing<T>(future: impl Future<Output = Result<T, kube::Error>>) -> Result<Option<T>, kube::Error> {
    match future.await {
        Ok(value) => Ok(Some(value)),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(None),
        Err(error) => Err(error),
    }
}

/// List every object of `api` (`list <plural>`), written as `k8s/<plural>.json`. A list that
/// failed is not written: an empty one would say "there are none" (no pods: healthy).
async fn list_into<K>(progress: &dyn Progress, out: &Mutex<Collected>, api: Api<K>)
where
    K: kube::Resource<DynamicType = ()> + Clone + DeserializeOwned + Serialize + std::fmt::Debug,
{
    let plural = K::plural(&());
    if let Some(text) = step(progress, out, &format!("list {plural}"), list_text(&api, &K::kind(&()))).await {
        push(out, File { name: format!("k8s/{plural}.json"), json: Value::Null, text: Some(text) });
    }
}

fn push(out: &Mutex<Collected>, file: File) {
    out.lock().unwrap_or_else(|e| e.into_inner()).files.push(file);
}

impl Cluster {
    /// The kubeconfig context (`None`: the current one, or the in-cluster service account).
    pub async fn connect(options: &KubeOptions) -> Result<Cluster, Failed> {
        // The AWS SDK and kube-rs bring two TLS crypto providers: name one for kube's client.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = match &options.context {
            Some(context) => {
                let kube_options = kube::config::KubeConfigOptions { context: Some(context.clone()), ..Default::default() };
                Config::from_kubeconfig(&kube_options).await.map_err(|e| e.to_string())
            }
            None => Config::infer().await.map_err(|e| e.to_string()),
        };
        // Bounded waits, as for AWS: a hung API server becomes a failure the report shows.
        let config = config.map(|mut c| {
            c.connect_timeout = Some(std::time::Duration::from_secs(10));
            c.read_timeout = Some(std::time::Duration::from_secs(60));
            c
        });
        match config.and_then(|c| Client::try_from(c).map_err(|e| e.to_string())) {
            Ok(client) => Ok(Cluster { client, namespace: options.namespace.clone() }),
            Err(message) => Err(Failed { call: "kubeconfig".into(), denied: false, message, detail: None }),
        }
    }

    fn scoped<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        <K as kube::Resource>::DynamicType: Default,
    {
        match &self.namespace {
            Some(namespace) => Api::namespaced(self.client.clone(), namespace),
            None => Api::all(self.client.clone()),
        }
    }

    /// Pods, events, nodes, service accounts, network policies, namespaces and OpenShift's
    /// cluster Proxy and Image config and mirror sets, all at once; every list paginated.
    pub async fn objects(&self, progress: &dyn Progress) -> Collected {
        let out = Mutex::new(Collected::default());
        let out = &out;
        let pods = list_into(progress, out, self.scoped::<Pod>());
        let accounts = list_into(progress, out, self.scoped::<ServiceAccount>());
        let events = list_into(progress, out, self.scoped::<Event>());
        let nodes = list_into(progress, out, Api::<Node>::all(self.client.clone()));
        let policies = list_into(progress, out, self.scoped::<NetworkPolicy>());
        let namespaces = list_into(progress, out, Api::<Namespace>::all(self.client.clone()));
        // OpenShift's cluster-wide pull configuration, when the API has it.
        let openshift = [("Proxy", "k8s/openshift-proxy.json"), ("Image", "k8s/openshift-image.json")].map(|(kind, file)| async move {
            let resource = ApiResource::from_gvk(&GroupVersionKind::gvk("config.openshift.io", "v1", kind));
            let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &resource);
            let call = format!("get {kind} cluster");
            if let Some(Some(Some(object))) = step(progress, out, &call, unless_missing(api.get_opt("cluster"))).await {
                push(out, File::value(file, serde_json::to_value(&object).unwrap_or_default()));
            }
        });
        let [proxy, image] = openshift;
        // OpenShift's mirror configuration: where pulls of some registries really go.
        let mirrors = [
            ("operator.openshift.io", "v1alpha1", "ImageContentSourcePolicy", "k8s/openshift-imagecontentsourcepolicies.json"),
            ("config.openshift.io", "v1", "ImageDigestMirrorSet", "k8s/openshift-imagedigestmirrorsets.json"),
            ("config.openshift.io", "v1", "ImageTagMirrorSet", "k8s/openshift-imagetagmirrorsets.json"),
        ]
        .map(|(group, version, kind, file)| async move {
            let gvk = GroupVersionKind::gvk(group, version, kind);
            let resource = ApiResource::from_gvk(&gvk);
            let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &resource);
            let call = format!("list {}", resource.plural);
            if let Some(Some(list)) = step(progress, out, &call, unless_missing(api.list(&ListParams::default()))).await {
                // list items carry no kind of their own: give them theirs, as kubectl does
                let types = kube::api::TypeMeta { api_version: resource.api_version.clone(), kind: kind.to_string() };
                let items: Vec<DynamicObject> = list.items.into_iter().map(|o| DynamicObject { types: Some(types.clone()), ..o }).collect();
                push(out, list_file(file, kind, &items));
            }
        });
        let [icsp, idms, itms] = mirrors;
        tokio::join!(pods, accounts, events, nodes, policies, namespaces, proxy, image, icsp, idms, itms);
        let mut collected = std::mem::take(&mut *out.lock().unwrap_or_else(|e| e.into_inner()));
        collected.files.sort_by(|a, b| a.name.cmp(&b.name));
        collected
    }

    /// Delete one pod so its controller recreates it (`pulldoctor fix --restart-failing`; the
    /// caller makes sure a controller owns it).
    pub async fn delete_pod(&self, namespace: &str, name: &str) -> Result<(), Failed> {
        let api = Api::<Pod>::namespaced(self.client.clone(), namespace);
        api.delete(name, &kube::api::DeleteParams::default()).await.map(|_| ()).map_err(|e| failed("delete pods", &e))
    }

    /// The registry hosts a docker-config secret holds credentials for (never the credentials).
    pub async fn secret_registries(&self, namespace: &str, name: &str) -> Result<Vec<String>, Failed> {
        let api = Api::<Secret>::namespaced(self.client.clone(), namespace);
        let secret = api.get(name).await.map_err(|e| failed("get secrets", &e))?;
        let (_, config) = docker_config_of(&secret).ok_or_else(|| Failed {
            call: "get secrets".into(),
            denied: false,
            message: format!("{namespace}/{name} is not a docker-config secret (.dockerconfigjson or .dockercfg)"),
            detail: None,
        })?;
        let auths = config.get("auths").unwrap_or(&config);
        Ok(auths.as_object().map(|a| a.keys().cloned().collect()).unwrap_or_default())
    }

    /// Put `username`/`password` for `registry` into the docker-config secret `namespace/name`
    /// (its other registries kept), with `update secrets`. The credentials go only to the API.
    pub async fn write_registry_credentials(
        &self,
        namespace: &str,
        name: &str,
        registry: &str,
        username: &str,
        password: &str,
    ) -> Result<(), Failed> {
        use base64::Engine as _;
        let api = Api::<Secret>::namespaced(self.client.clone(), namespace);
        let mut secret = api.get(name).await.map_err(|e| failed("get secrets", &e))?;
        let (key, mut config) = docker_config_of(&secret).ok_or_else(|| Failed {
            call: "get secrets".into(),
            denied: false,
            message: format!("{namespace}/{name} is not a docker-config secret (.dockerconfigjson or .dockercfg)"),
            detail: None,
        })?;
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        let entry = json!({"username": username, "password": password, "auth": auth});
        if key == ".dockerconfigjson" {
            config["auths"][registry] = entry;
        } else {
            config[registry] = entry;
        }
        let bytes = serde_json::to_vec(&config).map_err(|e| Failed {
            call: "update secrets".into(),
            denied: false,
            message: e.to_string(),
            detail: None,
        })?;
        secret.data.get_or_insert_with(Default::default).insert(key, k8s_openapi::ByteString(bytes));
        api.replace(name, &kube::api::PostParams::default(), &secret).await.map(|_| ()).map_err(|e| failed("update secrets", &e))
    }

    /// Create a core/v1 Event (the agent's notice on a node).
    pub async fn create_event(&self, namespace: &str, event: &Value) -> Result<(), Failed> {
        let event: Event = serde_json::from_value(event.clone()).map_err(|e| Failed {
            call: "create events".into(),
            denied: false,
            message: format!("not an Event: {e}"),
            detail: None,
        })?;
        let api = Api::<Event>::namespaced(self.client.clone(), namespace);
        api.create(&kube::api::PostParams::default(), &event).await.map(|_| ()).map_err(|e| failed("create events", &e))
    }

    /// The pods matching `selector` in `namespace`: (node name, pod IP) of each running one.
    pub async fn pod_addresses(&self, namespace: &str, selector: &str) -> Result<Vec<(String, String)>, Failed> {
        let api = Api::<Pod>::namespaced(self.client.clone(), namespace);
        let pods = api.list(&ListParams::default().labels(selector)).await.map_err(|e| failed("list pods", &e))?;
        Ok(pods
            .items
            .into_iter()
            .filter_map(|pod| {
                let node = pod.spec.as_ref()?.node_name.clone()?;
                let status = pod.status?;
                (status.phase.as_deref() == Some("Running")).then_some(())?;
                Some((node, status.pod_ip?))
            })
            .collect())
    }

    /// The named pull secrets (`namespace`, `name`), redacted; a missing one is simply absent.
    pub async fn secrets(&self, wanted: &BTreeSet<(String, String)>, progress: &dyn Progress) -> Collected {
        let out = Mutex::new(Collected::default());
        let reads = wanted.iter().map(|(namespace, name)| {
            let api = Api::<Secret>::namespaced(self.client.clone(), namespace);
            let out = &out;
            async move {
                let call = format!("get secret {namespace}/{name}");
                step(progress, out, &call, async move { api.get_opt(name).await }).await.flatten().map(|secret| redact_secret(&secret))
            }
        });
        let secrets: Vec<Value> = futures_util::future::join_all(reads).await.into_iter().flatten().collect();
        let mut collected = out.into_inner().unwrap_or_else(|e| e.into_inner());
        // Only the secrets read: one that could not be read is a failure, not an absence.
        collected.files.push(list_file("k8s/secrets.json", "Secret", &secrets));
        collected
    }
}

/// The docker config a secret holds: its data key and the parsed JSON.
fn docker_config_of(secret: &Secret) -> Option<(String, Value)> {
    let data = secret.data.as_ref()?;
    [".dockerconfigjson", ".dockercfg"]
        .iter()
        .find_map(|key| data.get(*key).and_then(|bytes| serde_json::from_slice(&bytes.0).ok()).map(|config| (key.to_string(), config)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

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
