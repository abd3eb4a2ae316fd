//! Find the failing containers and recover the real pull error for each.
//!
//! The best text is the newest `Failed` event of the pod that says `Failed to pull image`; newer
//! kubelets also append the last pull error to the waiting message of `ImagePullBackOff`. When
//! only `Back-off pulling image` is left, the cause text has expired with its event, and the
//! report says what to run to see it again.

use chrono::{DateTime, Utc};
use pulldoctor_classify::{Classification, ErrorClass, classify_with_reason};
use pulldoctor_model::{ContainerState, ImageRef, Model, Pod, parse_image};

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
    pub message_source: &'static str,
    pub classification: Classification,
    pub first_failure: Option<DateTime<Utc>>,
    pub last_failure: Option<DateTime<Utc>>,
    /// kubelet warned that a referenced pull secret could not be retrieved.
    pub missing_secret_event: Option<String>,
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
    for pod in model.pods.values() {
        let events: Vec<_> =
            model.events_for(&pod.namespace, &pod.name).filter(|e| e.involved.kind.as_deref().is_none_or(|k| k == "Pod")).collect();
        for status in &pod.statuses {
            let spec = pod.containers.iter().find(|c| c.name == status.name && c.init == status.init);
            let image = spec.map(|c| c.image.clone()).or_else(|| status.image.clone()).unwrap_or_default();
            match &status.state {
                ContainerState::Running { started_at } => {
                    working.push(Working { pod, image_ref: parse_image(&image).ok(), started_at: *started_at });
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
                    let (text, source) = match (newest.and_then(|e| e.message.as_deref()), status_message) {
                        (Some(event), _) => (Some(event.to_string()), "event"),
                        (None, Some(status)) if !is_back_off_only(status) => (Some(status.to_string()), "container-status"),
                        (None, Some(status)) => (Some(status.to_string()), "back-off-only"),
                        (None, None) => (None, "none"),
                    };
                    let classification = classify_with_reason(reason.as_deref(), text.as_deref().unwrap_or_default());
                    let missing_secret_event = events
                        .iter()
                        .find(|e| e.reason.as_deref() == Some("FailedToRetrieveImagePullSecret"))
                        .and_then(|e| e.message.clone());
                    failures.push(Failure {
                        pod,
                        container: status.name.clone(),
                        image_ref: parse_image(&image).ok(),
                        image,
                        waiting_reason: reason.clone(),
                        message: text,
                        message_source: source,
                        classification,
                        first_failure,
                        last_failure,
                        missing_secret_event,
                    });
                }
                _ => {}
            }
        }
    }
    (failures, working)
}

/// Classes whose text says the request never got an answer from the registry.
pub fn is_network_class(class: ErrorClass) -> bool {
    matches!(class, ErrorClass::NetworkTimeout | ErrorClass::Dns | ErrorClass::ConnectionRefused | ErrorClass::Proxy | ErrorClass::Tls)
}
