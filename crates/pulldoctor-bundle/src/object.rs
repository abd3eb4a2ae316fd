//! One Kubernetes object, parsed into its typed wire shape (`k8s`) and on into its model object,
//! from a value or straight from a list item's bytes (`stream`); and where a file's objects are
//! gathered (pods and events, the big lists, each in a vector of their own).

use std::path::Path;

use pulldoctor_model::{self as model, InputKind};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::FileError;
use crate::{k8s, probe, secrets};

/// A file's Kubernetes objects: pods and events (the big lists) each in a vector of their own,
/// the rest in order. Each kind keeps the order of the file.
#[derive(Default)]
pub(crate) struct Objects {
    pub(crate) pods: Vec<model::Pod>,
    pub(crate) events: Vec<model::Event>,
    pub(crate) other: Vec<K8sObject>,
    /// The events' messages seen so far, each held once: a big outage's events repeat a few
    /// texts (the same error for every pod of an image), and they are most of an event's size.
    messages: std::collections::HashSet<std::sync::Arc<str>>,
}

impl Objects {
    pub(crate) fn push(&mut self, object: K8sObject) {
        match object {
            K8sObject::Pod(pod) => self.pods.push(pod),
            K8sObject::Event(mut event) => {
                if let Some(message) = event.message.take() {
                    event.message = Some(match self.messages.get(&*message) {
                        Some(known) => known.clone(),
                        None => {
                            self.messages.insert(message.clone());
                            message
                        }
                    });
                }
                self.events.push(event)
            }
            other => self.other.push(other),
        }
    }
}

pub(crate) enum K8sObject {
    Pod(model::Pod),
    Event(model::Event),
    Node(model::Node),
    ServiceAccount(model::ServiceAccount),
    Secret(model::SecretFacts),
    NetworkPolicy(model::NetworkPolicy),
    Namespace(model::Namespace),
    Proxy(model::ClusterProxy),
    ImagePolicy(model::ImagePolicy),
    Mirrors(Vec<model::MirrorRule>, InputKind),
    /// A Secret whose data `oc adm inspect` (must-gather) replaced by `N bytes long`.
    ElidedSecret,
}

/// Where [`parse_object`] gets its typed shape from: a value already parsed, or the bytes of a
/// list's item (`stream`).
pub(crate) trait Source {
    /// The value as `T`; an error names the file and the JSON path (under `at`).
    fn typed<T: DeserializeOwned>(&mut self, file: &Path, at: &str) -> Result<T, FileError>;
}

impl Source for &Value {
    fn typed<T: DeserializeOwned>(&mut self, file: &Path, at: &str) -> Result<T, FileError> {
        typed(file, at, self)
    }
}

pub(crate) fn typed<T: DeserializeOwned>(file: &Path, prefix: &str, value: &Value) -> Result<T, FileError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let inner = error.path().to_string();
        let json_path = match (prefix.is_empty(), inner.as_str()) {
            (true, _) => inner.clone(),
            (false, ".") => prefix.to_string(),
            (false, _) => format!("{prefix}.{inner}"),
        };
        FileError {
            file: file.to_path_buf(),
            json_path: if json_path == "." { String::new() } else { json_path },
            message: error.into_inner().to_string(),
        }
    })
}

/// The kind of a list's items, from the list's (`PodList` -> `Pod`): items straight from the API
/// carry no kind of their own.
pub(crate) fn implied_kind(list_kind: &str) -> Option<&str> {
    list_kind.strip_suffix("List").filter(|k| !k.is_empty())
}

/// List items held as values, at their positions in `items`, into `objects` (or their kinds into
/// `skipped`): each by its own `kind` and `apiVersion`, else the list's.
pub(crate) fn parse_items<'v>(
    file: &Path,
    items: impl IntoIterator<Item = (usize, &'v Value)>,
    implied: Option<&str>,
    list_api: &str,
    objects: &mut Objects,
    skipped: &mut Vec<String>,
) -> Result<(), FileError> {
    for (position, item) in items {
        let kind = item.get("kind").and_then(Value::as_str).or(implied).unwrap_or_default();
        let api = item.get("apiVersion").and_then(Value::as_str).unwrap_or(list_api);
        match parse_object(file, &format!("items[{position}]"), kind, api, &mut &*item)? {
            Some(object) => objects.push(object),
            None => skipped.push(kind.to_string()),
        }
    }
    Ok(())
}

/// The Kubernetes kinds [`parse_object`] reads (by kind alone; `Proxy` and `Image` also need
/// their API group, checked when the object is parsed).
pub(crate) fn is_read_kind(kind: &str) -> bool {
    matches!(
        kind,
        "Pod"
            | "Event"
            | "Node"
            | "ServiceAccount"
            | "Secret"
            | "NetworkPolicy"
            | "Namespace"
            | "Proxy"
            | "Image"
            | "ImageContentSourcePolicy"
            | "ImageDigestMirrorSet"
            | "ImageTagMirrorSet"
    ) || kind == probe::KIND
        || kind == probe::LIST_KIND
}

pub(crate) fn parse_object(file: &Path, at: &str, kind: &str, api: &str, value: &mut impl Source) -> Result<Option<K8sObject>, FileError> {
    let object = match (kind, api) {
        ("Pod", _) => value.typed::<k8s::Pod>(file, at)?.into_model().map(K8sObject::Pod),
        ("Event", _) => Some(K8sObject::Event(value.typed::<k8s::Event>(file, at)?.into())),
        ("Node", _) => value.typed::<k8s::Node>(file, at)?.into_model().map(K8sObject::Node),
        ("ServiceAccount", _) => {
            let account: k8s::ServiceAccount = value.typed(file, at)?;
            account.metadata.name.clone().map(|name| {
                K8sObject::ServiceAccount(model::ServiceAccount {
                    namespace: account.metadata.namespace.unwrap_or_else(|| "default".into()),
                    name,
                    image_pull_secrets: account.image_pull_secrets.into_iter().filter_map(|r| r.name).collect(),
                })
            })
        }
        ("Secret", _) => {
            let secret: k8s::Secret = value.typed(file, at)?;
            if secrets::is_elided(&secret) { Some(K8sObject::ElidedSecret) } else { secrets::facts(secret).map(K8sObject::Secret) }
        }
        ("NetworkPolicy", _) => {
            let policy: k8s::NetworkPolicy = value.typed(file, at)?;
            policy.metadata.name.clone().map(|name| {
                K8sObject::NetworkPolicy(model::NetworkPolicy {
                    namespace: policy.metadata.namespace.unwrap_or_else(|| "default".into()),
                    name,
                    policy_types: policy.spec.policy_types,
                })
            })
        }
        ("Namespace", _) => {
            let namespace: k8s::Namespace = value.typed(file, at)?;
            namespace
                .metadata
                .name
                .map(|name| K8sObject::Namespace(model::Namespace { name, created: namespace.metadata.creation_timestamp }))
        }
        ("Proxy", api) if api.starts_with("config.openshift.io") => Some(K8sObject::Proxy(value.typed::<k8s::Proxy>(file, at)?.into())),
        ("Image", api) if api.starts_with("config.openshift.io") => {
            Some(K8sObject::ImagePolicy(value.typed::<k8s::ImageConfig>(file, at)?.into()))
        }
        ("ImageContentSourcePolicy", _) => {
            Some(K8sObject::Mirrors(value.typed::<k8s::MirrorSet>(file, at)?.into_rules(kind), InputKind::ImageContentSourcePolicies))
        }
        ("ImageDigestMirrorSet" | "ImageTagMirrorSet", _) => {
            Some(K8sObject::Mirrors(value.typed::<k8s::MirrorSet>(file, at)?.into_rules(kind), InputKind::ImageDigestMirrorSets))
        }
        _ => return Ok(None),
    };
    Ok(object)
}
