//! Step 6, manifest: the reference's manifest, and for an index the entry for this node's platform.

use std::time::Instant;

use pulldoctor_classify::ErrorClass;
use sha2::{Digest, Sha256};

use super::text::{bytes, media_kind, short_digest};
use super::{MANIFEST_LIMIT, Run};
use crate::http;
use crate::manifest::{self, Manifest};
use crate::report::*;

impl Run<'_> {
    pub(super) fn manifest(&mut self) -> Step {
        let (Some(repository), Some(reference)) = (self.target.repository.clone(), self.target.reference.clone()) else {
            return Step::skipped(StepName::Manifest, "no image named, only a registry: give IMAGE to read a manifest");
        };
        let mut step = Step::new(StepName::Manifest);
        let deadline = self.deadline();
        let context = self.manifest_context();
        let Some((body, content_type, digest)) = self.fetch_manifest(&mut step, &repository, &reference, &context, deadline) else {
            return step;
        };
        let mut info = ManifestInfo {
            digest: Some(digest.clone()),
            media_type: Some(content_type.clone()),
            platforms: Vec::new(),
            chosen_platform: None,
            image_digest: None,
            layers: 0,
        };
        let parsed = manifest::parse(&body, &content_type);
        let image = match parsed {
            Ok(Manifest::Index(entries)) => {
                info.platforms = manifest::platforms(&entries);
                let Some(entry) = manifest::choose(&entries, &self.node).cloned() else {
                    step.summary.push(format!(
                        "{reference}: {} index for {}; none for this node ({})",
                        short_digest(&digest),
                        info.platforms.join(", "),
                        self.node
                    ));
                    step.failure = Some(Failure::from_runtime(format!(
                        "choosing an image from manifest list docker://{}:{reference}: no image found in image index for architecture \"{}\", variant \"{}\", OS \"{}\"",
                        self.target.name(),
                        self.node.architecture,
                        self.node.variant,
                        self.node.os
                    )));
                    step.manifest = Some(info);
                    return step;
                };
                let platform = entry.platform().map(|p| p.to_string()).unwrap_or_default();
                info.chosen_platform = Some(platform.clone());
                step.summary.push(format!(
                    "{reference}: {} index for {}; {platform} chosen for this node ({})",
                    short_digest(&digest),
                    info.platforms.join(", "),
                    self.node
                ));
                let Some((body, content_type, image_digest)) =
                    self.fetch_manifest(&mut step, &repository, &entry.digest, &context, deadline)
                else {
                    step.manifest = Some(info);
                    return step;
                };
                info.image_digest = Some(image_digest);
                manifest::parse(&body, &content_type)
            }
            other => {
                info.image_digest = Some(digest.clone());
                other
            }
        };
        match image {
            Ok(Manifest::Image { config, layers }) => {
                info.layers = layers.len();
                let kind = media_kind(info.media_type.as_deref().unwrap_or_default());
                let size: u64 = layers.iter().map(|l| l.size).sum();
                step.summary.push(format!(
                    "{}: {kind} image, {} layer(s), {}",
                    short_digest(info.image_digest.as_deref().unwrap_or(&digest)),
                    layers.len(),
                    bytes(size)
                ));
                self.layer = layers.into_iter().next().or(config);
            }
            Ok(Manifest::Index(_)) => {
                step.summary.push("the index points at another index".into());
                step.failure = Some(Failure::from_runtime_or(
                    format!("{context}unsupported: nested image index"),
                    ErrorClass::Other,
                    "probe.nested-index",
                    "manifest",
                    "The index entry for this node is itself an index.".into(),
                ));
            }
            Err(error) => {
                step.summary.push(error.clone());
                step.failure = Some(Failure::from_runtime_or(
                    format!("{context}{error}"),
                    ErrorClass::RegistryServerError,
                    "probe.bad-manifest",
                    "manifest",
                    "The registry answered the manifest request with something that is not a manifest.".into(),
                ));
            }
        }
        step.manifest = Some(info);
        step
    }

    /// GET a manifest; on failure fills the step and returns `None`.
    pub(super) fn fetch_manifest(
        &mut self,
        step: &mut Step,
        repository: &str,
        reference: &str,
        context: &str,
        deadline: Instant,
    ) -> Option<(Vec<u8>, String, String)> {
        let url = self.target.url(&format!("/v2/{repository}/manifests/{reference}"));
        let mut headers = vec![("Accept", manifest::ACCEPT.to_string())];
        headers.extend(self.auth_headers());
        let response = match self.request(step, HostRole::Registry, "GET", &url, &headers, Vec::new(), MANIFEST_LIMIT, deadline) {
            Ok(response) => response,
            Err(error) => {
                step.summary.push(format!("GET {url}: {}", error.text));
                step.failure = Some(self.failure(format!("{context}Get \"{url}\": "), &error));
                return None;
            }
        };
        if response.status != 200 {
            step.summary.push(format!("GET {url}: {} {}", response.status, response.reason));
            let text = http::registry_error_text(&response.body)
                .unwrap_or_else(|| format!("received unexpected HTTP status: {} {}", response.status, response.reason));
            step.failure = Some(Failure::from_runtime(format!("{context}{text}")));
            return None;
        }
        let computed = format!("sha256:{}", hex::encode(Sha256::digest(&response.body)));
        let digest = response.header("docker-content-digest").map(str::to_string).unwrap_or(computed.clone());
        if reference.starts_with("sha256:") && computed != reference && !response.truncated {
            step.summary.push(format!("the manifest's sha256 is {computed}, not the {reference} asked for"));
        }
        let content_type = response.header("content-type").unwrap_or_default().to_string();
        Some((response.body, content_type, digest))
    }
}
