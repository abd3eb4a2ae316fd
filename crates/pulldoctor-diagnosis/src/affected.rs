//! Find the failing containers and recover the real pull error for each.
//!
//! The best text is the newest `Failed` event of the pod that says `Failed to pull image`; newer
//! kubelets also append the last pull error to the waiting message of `ImagePullBackOff`. When
//! only `Back-off pulling image` is left, the cause text has expired with its event, and the
//! report says what to run to see it again, unless a node's journal in the bundle still holds
//! the error (`MessageSource::NodeLog`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use pulldoctor_classify::{Classification, ErrorClass, classify_with_reason};
use pulldoctor_model::{ContainerState, ImageRef, Model, NodeLogError, Pod, canonical_image, parse_image};

/// Waiting reasons that mean "the image could not be pulled".
pub const PULL_REASONS: &[&str] = &[
    "ErrImagePull",
    "ImagePullBackOff",
    "ErrImageNeverPull",
    "InvalidImageName",
    "RegistryUnavailable",
    "SignatureValidationFailed",
    "ImageInspectError",
    "PullImageError",
];

/// One failing container, with its error read and classified.
#[derive(Debug, Clone)]
pub struct Failure<'m> {
    pub pod: &'m Pod,
    pub container: String,
    pub image: String,
    pub image_ref: Option<ImageRef>,
    pub waiting_reason: Option<String>,
    pub message: Option<String>,
    pub message_source: MessageSource,
    pub classification: Classification,
    pub first_failure: Option<DateTime<Utc>>,
    pub last_failure: Option<DateTime<Utc>>,
    /// When the error text was last seen (its event's or journal line's time): back-off events
    /// go on after the last pull attempt, so `last_failure` can be later.
    pub message_at: Option<DateTime<Utc>>,
    /// kubelet warned that a referenced pull secret could not be retrieved.
    pub missing_secret_event: Option<String>,
    /// Where a node log's text came from (`kubelet journal of NODE, FILE:LINE, TIME`).
    pub message_origin: Option<String>,
}

/// Where a failure's error text was read. Its kebab-case name is part of the JSON report
/// (`affected[].message_source`) and of evidence sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageSource {
    /// The newest `Failed` pull event for the container: the runtime's full error.
    Event,
    /// The container status's waiting message, which carries the error while events have expired.
    ContainerStatus,
    /// The events expired, but a node's journal (kubelet or runtime) kept the error.
    NodeLog,
    /// Only `Back-off pulling image ...` is left: the real error has expired.
    BackOffOnly,
    /// No text at all.
    None,
}

impl MessageSource {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageSource::Event => "event",
            MessageSource::ContainerStatus => "container-status",
            MessageSource::NodeLog => "node-log",
            MessageSource::BackOffOnly => "back-off-only",
            MessageSource::None => "none",
        }
    }

    /// Whether the text is the runtime's error, not only a back-off notice (or nothing).
    pub fn has_real_error(self) -> bool {
        matches!(self, MessageSource::Event | MessageSource::ContainerStatus | MessageSource::NodeLog)
    }
}

impl std::fmt::Display for MessageSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A container that runs, for working-vs-failing comparisons.
#[derive(Debug, Clone)]
pub struct Working<'m> {
    pub pod: &'m Pod,
    pub image_ref: Option<ImageRef>,
    pub started_at: Option<DateTime<Utc>>,
}

fn is_back_off_only(message: &str) -> bool {
    let trimmed = message.trim();
    trimmed.starts_with("Back-off pulling image") && !trimmed.contains(": ") && !trimmed.contains("rpc error")
}

fn event_mentions_container(field_path: Option<&str>, container: &str, image: &str, message: &str) -> bool {
    match field_path {
        Some(path) if path.contains('{') => path.contains(&format!("{{{container}}}")),
        _ => message.contains(image),
    }
}

pub fn find(model: &Model) -> (Vec<Failure<'_>>, Vec<Working<'_>>) {
    let mut failures = Vec::new();
    let mut working = Vec::new();
    // a big outage is many pods failing with a few messages and images: each is classified
    // (regexes) and parsed once, the copies cloned
    let mut classified: HashMap<(Option<String>, String), Classification> = HashMap::new();
    let mut parsed: HashMap<String, Option<ImageRef>> = HashMap::new();
    let mut image_ref = |image: &str| -> Option<ImageRef> {
        if let Some(known) = parsed.get(image) {
            return known.clone();
        }
        let made = parse_image(image).ok();
        parsed.insert(image.to_string(), made.clone());
        made
    };
    for pod in model.pods.values() {
        let events: Vec<_> =
            model.events_for(&pod.namespace, &pod.name).filter(|e| e.involved.kind.as_deref().is_none_or(|k| k == "Pod")).collect();
        for status in &pod.statuses {
            let spec = pod.containers.iter().find(|c| c.name == status.name && c.init == status.init);
            let image = spec.map(|c| c.image.clone()).or_else(|| status.image.clone()).unwrap_or_default();
            match &status.state {
                ContainerState::Running { started_at } => {
                    working.push(Working { pod, image_ref: image_ref(&image), started_at: *started_at });
                }
                ContainerState::Waiting { reason, message } if reason.as_deref().is_some_and(|r| PULL_REASONS.contains(&r)) => {
                    let pull_events: Vec<_> = events
                        .iter()
                        .filter(|e| {
                            let text = e.message.as_deref().unwrap_or_default();
                            e.reason.as_deref() == Some("Failed")
                                && (text.starts_with("Failed to pull image") || text.contains("rpc error"))
                                && event_mentions_container(e.involved.field_path.as_deref(), &status.name, &image, text)
                        })
                        .collect();
                    let newest = pull_events.iter().max_by_key(|e| e.last_seen);
                    let first_failure = events
                        .iter()
                        .filter(|e| matches!(e.reason.as_deref(), Some("Failed" | "BackOff")))
                        .filter_map(|e| e.first_seen)
                        .min();
                    let last_failure = events
                        .iter()
                        .filter(|e| matches!(e.reason.as_deref(), Some("Failed" | "BackOff")))
                        .filter_map(|e| e.last_seen)
                        .max();
                    let status_message = message.as_deref().filter(|m| !m.trim().is_empty());
                    let logged = || newest_logged(model, pod, &status.name, &image);
                    let mut message_origin = None;
                    let mut message_at = None;
                    let (text, source) = match (newest.and_then(|e| e.message.as_deref()), status_message) {
                        (Some(event), _) => {
                            message_at = newest.and_then(|e| e.last_seen);
                            (Some(event.to_string()), MessageSource::Event)
                        }
                        (None, Some(status)) if !is_back_off_only(status) => (Some(status.to_string()), MessageSource::ContainerStatus),
                        (None, status) => match logged() {
                            Some(record) => {
                                message_origin = Some(origin(record));
                                message_at = record.time;
                                (Some(record.message.clone()), MessageSource::NodeLog)
                            }
                            None if status.is_some() => (status.map(str::to_string), MessageSource::BackOffOnly),
                            None => (None, MessageSource::None),
                        },
                    };
                    let key = (reason.clone(), text.clone().unwrap_or_default());
                    let classification = match classified.get(&key) {
                        Some(known) => known.clone(),
                        None => {
                            let made = classify_with_reason(reason.as_deref(), &key.1);
                            classified.insert(key, made.clone());
                            made
                        }
                    };
                    let missing_secret_event = events
                        .iter()
                        .find(|e| e.reason.as_deref() == Some("FailedToRetrieveImagePullSecret"))
                        .and_then(|e| e.message.as_deref().map(str::to_string));
                    failures.push(Failure {
                        pod,
                        container: status.name.clone(),
                        image_ref: image_ref(&image),
                        image,
                        waiting_reason: reason.clone(),
                        message: text,
                        message_source: source,
                        classification,
                        first_failure,
                        last_failure,
                        message_at,
                        missing_secret_event,
                        message_origin,
                    });
                }
                _ => {}
            }
        }
    }
    (failures, working)
}

/// The newest pull error a node's journal holds for this container: one naming the container,
/// else one naming its image (the runtime's lines name no pod).
fn newest_logged<'m>(model: &'m Model, pod: &Pod, container: &str, image: &str) -> Option<&'m NodeLogError> {
    let wanted = canonical_image(image);
    let same_image = |other: &str| canonical_image(other) == wanted;
    let records: Vec<&NodeLogError> = model
        .node_log_errors_for(&pod.namespace, &pod.name)
        .filter(|r| match (&r.container, &r.image) {
            (Some(named), _) => named == container,
            (None, Some(logged)) => same_image(logged),
            (None, None) => false,
        })
        .collect();
    // the newest by time; among equals (or undated), the last read
    records.into_iter().rev().max_by_key(|r| r.time)
}

fn origin(record: &NodeLogError) -> String {
    let when = record.time.map(|t| format!(", {}", t.format("%Y-%m-%dT%H:%M:%SZ"))).unwrap_or_default();
    // the file's last two parts (`k8s/workers-kubelet.log`, `masters/kubelet_service.log`) tell it
    let parts: Vec<&str> = record.file.rsplit(['/', '\\']).take(2).collect();
    let file: Vec<&str> = parts.into_iter().rev().collect();
    format!("{} journal of {}, {}:{}{when}", record.unit.as_str(), record.host, file.join("/"), record.line)
}

/// Classes whose text says the request never got an answer from the registry.
pub fn is_network_class(class: ErrorClass) -> bool {
    matches!(
        class,
        ErrorClass::NetworkTimeout
            | ErrorClass::Dns
            | ErrorClass::ConnectionRefused
            | ErrorClass::ConnectionReset
            | ErrorClass::Proxy
            | ErrorClass::Tls
    )
}
