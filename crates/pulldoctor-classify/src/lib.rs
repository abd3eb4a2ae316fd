//! Classifies container image pull error messages.
//!
//! Input is the text a Kubernetes node prints when a pull fails: the kubelet event message
//! (`Failed to pull image "X": rpc error: code = ... desc = ...`), a container status
//! `waiting.message`, or the raw text of the runtime or client underneath (CRI-O / podman /
//! skopeo, which share `containers/image`; containerd and `ctr`; the Docker daemon).
//!
//! [`classify`] returns a [`Classification`]: the [`ErrorClass`], the [`PullStep`] that failed,
//! the facts found in the text (image, host, dialled address, DNS server, HTTP status) and a short
//! explanation with the layers the message makes plausible (`rules_in`) and implausible
//! (`rules_out`). It is a pure function: no I/O, no clock, no environment, and the same input
//! always gives the same output.
//!
//! The decision is made by an ordered catalogue of rules ([`rule_ids`]); the first rule whose
//! pattern matches the normalised message decides. More specific rules come first, so that for
//! example `lookup X on 10.0.0.2:53: ... i/o timeout` is a DNS failure and not a network timeout.

#![warn(missing_docs)]

// Dependencies flow one way: `class` (vocabulary) <- `rules` (the table) and `facts` (what the
// text says, the pull step) <- `explain` (sentences, layers) <- this file (classify, build).
mod class;
mod explain;
mod facts;
mod rules;

pub use class::{Classification, ErrorClass, PullStep, UnknownName};

use class::ErrorClass as C;
use explain::{Ctx, Explanation, explain};
use facts::{Facts, extract_facts, is_private, normalize, registry_of, step_for};
use rules::{RULES, compiled_rules};

/// Ids of the catalogue rules, in the order they are tried. [`Classification::rule`] is one of
/// these, or `"fallback.other"` (no rule matched) or a `"kubelet.reason-*"` rule applied by
/// [`classify_with_reason`].
pub fn rule_ids() -> Vec<&'static str> {
    RULES.iter().map(|r| r.id).collect()
}

/// Classifies one pull error message (kubelet event / status message, or raw runtime text).
///
/// Never panics; messages longer than 16 KiB are truncated first.
pub fn classify(message: &str) -> Classification {
    let text = normalize(message);
    let lower = text.to_ascii_lowercase();
    let facts = extract_facts(&text);

    let res = compiled_rules();
    let hit = RULES.iter().zip(res.iter()).find(|(_, r)| r.is_match(&lower)).map(|(rule, _)| rule);

    match hit {
        Some(rule) => build(rule.id, rule.class, rule.also_possible, rule.note, &lower, facts),
        None => build(
            "fallback.other",
            C::Other,
            &[],
            if lower.is_empty() {
                "The message is empty: the cause of the pull failure is not recorded here."
            } else {
                "The message does not match a known pull failure; read it as is."
            },
            &lower,
            facts,
        ),
    }
}

/// Like [`classify`], with the kubelet's waiting reason when known (`ErrImagePull`,
/// `ImagePullBackOff`, `ErrImageNeverPull`, `InvalidImageName`, `RegistryUnavailable`,
/// `SignatureValidationFailed`, `ImageInspectError`, ...).
///
/// Reasons that decide by themselves (`ErrImageNeverPull`, `InvalidImageName`,
/// `SignatureValidationFailed`) override the message; `RegistryUnavailable` is used when the
/// message alone is not conclusive. Other reasons leave the message's classification unchanged.
pub fn classify_with_reason(reason: Option<&str>, message: &str) -> Classification {
    let c = classify(message);
    let Some(reason) = reason.map(str::trim) else {
        return c;
    };
    let r = reason.to_ascii_lowercase();
    let text = normalize(message);
    let lower = text.to_ascii_lowercase();
    let redo = |id: &'static str, class: ErrorClass, amb: &'static [ErrorClass], note: &'static str| {
        build(id, class, amb, note, &lower, extract_facts(&text))
    };
    match r.as_str() {
        "errimageneverpull" if c.class != C::NeverPull => redo(
            "kubelet.reason-never-pull",
            C::NeverPull,
            &[],
            "The pod has imagePullPolicy: Never and {image} is not on this node, so the kubelet did not try to pull it.",
        ),
        "invalidimagename" if c.class != C::InvalidReference => redo(
            "kubelet.reason-invalid-image-name",
            C::InvalidReference,
            &[],
            "The kubelet could not parse the image reference {image}; no registry was contacted.",
        ),
        "signaturevalidationfailed" if c.class != C::Policy => redo(
            "kubelet.reason-signature-validation-failed",
            C::Policy,
            &[],
            "The runtime rejected {image} because its signature did not satisfy the image policy.",
        ),
        "registryunavailable" if c.class == C::Other => redo(
            "kubelet.reason-registry-unavailable",
            C::NetworkTimeout,
            &[C::Dns, C::ConnectionRefused, C::ConnectionReset, C::Tls],
            "The kubelet reports the registry for {image} as unavailable, without the runtime's detail.",
        ),
        _ => c,
    }
}

fn build(
    rule_id: &'static str,
    class: ErrorClass,
    also_possible: &'static [ErrorClass],
    note: &'static str,
    lower: &str,
    facts: Facts,
) -> Classification {
    let step = step_for(class, &facts, lower, rule_id);

    // The host of the failing request: the looked-up name for DNS failures, otherwise the URL
    // of the failing request, otherwise the image's registry.
    let host = if class == C::Dns || (class == C::Proxy && facts.lookup_host.is_some()) {
        facts.lookup_host.clone().or_else(|| facts.url_host.clone())
    } else {
        facts.url_host.clone()
    }
    .or_else(|| {
        if step == PullStep::Blob {
            // the layer host is usually not the registry (S3, a CDN): do not guess it
            return None;
        }
        facts.image.as_deref().and_then(|i| match class {
            C::InvalidReference | C::NeverPull | C::PlatformMismatch | C::DiskPressure | C::Policy | C::Other => None,
            _ => Some(registry_of(i)),
        })
    });
    let dialled_is_private = facts.dialled.map(|a| is_private(a.ip()));

    let mut also_possible: Vec<ErrorClass> = also_possible.to_vec();
    if class == C::Proxy && facts.lookup_host.is_some() && !also_possible.contains(&C::Dns) {
        also_possible.push(C::Dns);
    }

    let ctx = Ctx {
        class,
        also_possible: &also_possible,
        step,
        rule_id,
        lower,
        host: host.as_deref(),
        image: facts.image.as_deref(),
        dialled: facts.dialled,
        private: dialled_is_private,
        dns: facts.dns_server,
    };
    let Explanation { text: explanation, rules_in, rules_out } = explain(note, &ctx);

    Classification {
        class,
        step,
        image: facts.image,
        host,
        dialled: facts.dialled,
        dialled_is_private,
        dns_server: facts.dns_server,
        http_status: facts.http_status,
        also_possible,
        rule: rule_id,
        explanation,
        rules_in,
        rules_out,
    }
}

#[cfg(test)]
mod tests;
