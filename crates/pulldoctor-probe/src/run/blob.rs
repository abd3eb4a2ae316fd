//! Step 7, blob: the first KiB of one layer, following the redirect to the layer store without the
//! registry's credentials.

use pulldoctor_classify::ErrorClass;

use super::text::{bytes, short_digest};
use super::{BLOB_BYTES, Run};
use crate::http;
use crate::report::*;

impl Run<'_> {
    pub(super) fn blob(&mut self) -> Step {
        let Some(repository) = self.target.repository.clone() else {
            return Step::skipped(StepName::Blob, "no image named, only a registry");
        };
        let Some(layer) = self.layer.clone() else {
            return Step::skipped(StepName::Blob, "the manifest lists no blob to read");
        };
        let mut step = Step::new(StepName::Blob);
        let deadline = self.deadline();
        let mut info = BlobInfo { digest: layer.digest.clone(), size: layer.size, redirected_to: None, status: None, bytes: 0 };
        let mut url = self.target.url(&format!("/v2/{repository}/blobs/{}", layer.digest));
        let mut role = HostRole::Registry;
        let mut hops = Vec::new();
        let context = format!("reading blob {}: ", layer.digest);
        for _ in 0..4 {
            let mut headers = vec![("Range", format!("bytes=0-{}", BLOB_BYTES - 1))];
            // credentials go to the registry only, never to the layer store it redirects to
            if url.host == self.target.host && url.port == self.target.port {
                headers.extend(self.auth_headers());
            }
            let response = match self.request(&mut step, role, "GET", &url, &headers, Vec::new(), BLOB_BYTES, deadline) {
                Ok(response) => response,
                Err(error) => {
                    hops.push(format!("{}: {}", url.host, error.text));
                    step.failure = Some(self.failure(format!("{context}Get \"{url}\": "), &error));
                    break;
                }
            };
            info.status = Some(response.status);
            if matches!(response.status, 301 | 302 | 303 | 307 | 308) {
                let Some(location) = response.header("location") else {
                    step.failure = Some(Failure::from_runtime_or(
                        format!("{context}{} redirect without Location", response.status),
                        ErrorClass::RegistryServerError,
                        "probe.redirect",
                        "blob",
                        "The registry redirected the layer request without saying where to.".into(),
                    ));
                    break;
                };
                match url.join(location) {
                    Ok(next) => {
                        hops.push(format!("{} {} -> {}", url.host, response.status, next.host));
                        info.redirected_to = Some(next.host.clone());
                        url = next;
                        role = HostRole::Layer;
                        continue;
                    }
                    Err(error) => {
                        step.failure = Some(Failure::from_runtime_or(
                            format!("{context}bad redirect: {error}"),
                            ErrorClass::RegistryServerError,
                            "probe.redirect",
                            "blob",
                            "The registry redirected the layer request to something that is not a URL.".into(),
                        ));
                        break;
                    }
                }
            }
            if matches!(response.status, 200 | 206) {
                info.bytes = response.body.len();
                let address = self
                    .lookups
                    .get(&url.host)
                    .and_then(|l| l.addresses.first())
                    .map(|a| format!(" ({}, {})", a.ip, if a.private { "private" } else { "public" }))
                    .unwrap_or_default();
                hops.push(format!(
                    "{}{address} {}: first {} of {}",
                    url.host,
                    response.status,
                    bytes(info.bytes as u64),
                    bytes(layer.size)
                ));
            } else {
                hops.push(format!("{} {} {}", url.host, response.status, response.reason));
                let text = http::registry_error_text(&response.body)
                    .unwrap_or_else(|| format!("fetching blob: {} ({})", response.status, response.reason));
                step.failure = Some(Failure::from_runtime(format!("{context}{text}")));
            }
            break;
        }
        if info.bytes == 0 && step.failure.is_none() {
            step.failure = Some(Failure::from_runtime_or(
                format!("{context}too many redirects"),
                ErrorClass::RegistryServerError,
                "probe.redirect",
                "blob",
                "The layer request was redirected more than three times.".into(),
            ));
        }
        step.summary.push(format!("layer {} ({}): {}", short_digest(&layer.digest), bytes(layer.size), hops.join("; ")));
        step.blob = Some(info);
        step
    }
}
