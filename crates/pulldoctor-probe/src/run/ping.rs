//! Step 4, ping: `GET /v2/`, the registry is alive and says how it wants credentials.

use super::Run;
use super::request::OpenError;
use super::text::capitalise;
use crate::http::{self, Challenge};
use crate::report::*;

impl Run<'_> {
    pub(super) fn ping(&mut self) -> Step {
        let mut step = Step::new(StepName::Ping);
        let deadline = self.deadline();
        let url = self.target.url("/v2/");
        let prefix = format!("pinging container registry {}: ", self.target.registry);
        let response = match self.request(&mut step, HostRole::Registry, "GET", &url, &[], Vec::new(), 64 * 1024, deadline) {
            Ok(response) => response,
            Err(error) => {
                step.summary.push(format!("GET {url}: {}", error.text));
                step.failure = Some(self.failure(format!("{prefix}Get \"{url}\": "), &error));
                return step;
            }
        };
        let api = response.header("docker-distribution-api-version").map(|v| format!(" ({v})")).unwrap_or_default();
        match response.status {
            200 => step.summary.push(format!("GET {url}: 200{api}, the registry is alive and asks for no credentials")),
            401 => {
                let challenges: Vec<Challenge> = response.headers_named("www-authenticate").flat_map(http::parse_challenges).collect();
                let chosen =
                    challenges.iter().find(|c| c.scheme == "bearer").or_else(|| challenges.iter().find(|c| c.scheme == "basic")).cloned();
                let how = match &chosen {
                    Some(challenge) => {
                        let params: Vec<String> = challenge
                            .params
                            .iter()
                            .filter(|(k, _)| matches!(k.as_str(), "realm" | "service"))
                            .map(|(k, v)| format!("{k}=\"{v}\""))
                            .collect();
                        format!("{} {}", capitalise(&challenge.scheme), params.join(" "))
                    }
                    None => "no usable WWW-Authenticate challenge".into(),
                };
                step.summary.push(format!("GET {url}: 401{api}, alive; asks for {how}"));
                self.ping_error = http::registry_error_text(&response.body);
                self.challenge = chosen;
            }
            status => {
                step.summary.push(format!("GET {url}: {status} {}", response.reason));
                let error = OpenError::new(format!("invalid status code from registry {status} ({})", response.reason));
                step.failure = Some(self.failure(prefix, &error));
            }
        }
        step
    }
}
