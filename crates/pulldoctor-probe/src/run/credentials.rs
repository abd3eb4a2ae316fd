//! Step 5, credentials: what the kubelet would present (a pull secret, the instance role, none),
//! presented the way the registry asked: Basic on `GET /v2/`, or the Bearer token exchange.

use std::time::Instant;

use chrono::Utc;
use pulldoctor_classify::ErrorClass;

use crate::dockerconfig::Secret;
use crate::http::{self, Challenge};
use base64::Engine;

use super::{CredentialPlan, Run};
use crate::report::*;
use crate::url::{Url, query_escape};

impl Run<'_> {
    pub(super) fn manifest_context(&self) -> String {
        match (&self.target.repository, &self.target.reference) {
            (Some(_), Some(reference)) => format!("reading manifest {reference} in {}: ", self.target.name()),
            _ => format!("pinging container registry {}: ", self.target.registry),
        }
    }

    pub(super) fn credentials(&mut self) -> Step {
        let mut step = Step::new(StepName::Credentials);
        let deadline = self.deadline();
        let scheme = self.challenge.as_ref().map(|c| c.scheme.clone()).unwrap_or_else(|| "none".into());
        let mut info = CredentialsInfo {
            source: CredentialSource::None,
            scheme: scheme.clone(),
            file: None,
            key: None,
            username: None,
            role: None,
            realm: None,
            service: None,
            token_expires_at: None,
            expiry_note: None,
            accepted: false,
        };
        let plan = std::mem::replace(&mut self.plan, CredentialPlan::None(String::new()));
        let credentials: Option<(String, Secret)> = match &plan {
            CredentialPlan::PullSecret { file, credential, matches } => {
                info.source = CredentialSource::PullSecret;
                info.file = Some(file.clone());
                info.key = Some(credential.key.clone());
                info.username = Some(credential.username.clone());
                let others =
                    if *matches > 1 { format!(" ({} entries match; the most specific is tried first)", matches) } else { String::new() };
                step.summary.push(format!("pull secret {file}: entry `{}`, user `{}`{others}", credential.key, credential.username));
                Some((credential.username.clone(), credential.password.clone()))
            }
            CredentialPlan::InstanceRole => {
                info.source = CredentialSource::InstanceRole;
                match self.ecr_token(&mut step, &mut info, deadline) {
                    Ok(token) => Some((token.username, token.password)),
                    Err(failure) => {
                        step.failure = Some(failure);
                        self.plan = plan;
                        step.credentials = Some(info);
                        return step;
                    }
                }
            }
            CredentialPlan::None(reason) => {
                step.summary.push(format!("no credentials: {reason}"));
                None
            }
        };
        self.plan = plan;
        match self.challenge.clone() {
            None => {
                info.accepted = true;
                step.summary.push("the registry asked for none: the pull is anonymous".into());
            }
            Some(challenge) if challenge.scheme == "basic" => match credentials {
                None => {
                    let text = self.ping_error.clone().unwrap_or_else(|| "unauthorized: authentication required".into());
                    step.summary.push("the registry wants Basic credentials and the kubelet has none to send".into());
                    step.failure = Some(Failure::from_runtime(format!("{}{text}", self.manifest_context())));
                }
                Some((user, password)) => {
                    let pair = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", password.expose()));
                    self.authorization = Some(Secret::new(format!("Basic {pair}")));
                    self.check_basic(&mut step, &mut info, &user, deadline);
                }
            },
            Some(challenge) if challenge.scheme == "bearer" => self.bearer(&mut step, &mut info, &challenge, credentials, deadline),
            Some(challenge) => {
                step.summary.push(format!("the registry asks for `{}`, which the runtimes do not speak", challenge.scheme));
                step.failure = Some(Failure::from_runtime_or(
                    format!("{}unauthorized: unsupported authentication scheme {}", self.manifest_context(), challenge.scheme),
                    ErrorClass::AuthMissing,
                    "probe.auth-scheme",
                    "token-exchange",
                    "The registry asks for an authentication scheme other than Basic or Bearer.".into(),
                ));
            }
        }
        step.credentials = Some(info);
        step
    }

    /// Presents Basic credentials on `GET /v2/`, as the runtime presents them on every request.
    pub(super) fn check_basic(&mut self, step: &mut Step, info: &mut CredentialsInfo, user: &str, deadline: Instant) {
        let url = self.target.url("/v2/");
        let headers = self.auth_headers();
        let headers: Vec<(&str, String)> = headers.iter().map(|(n, v)| (*n, v.clone())).collect();
        match self.request(step, HostRole::Registry, "GET", &url, &headers, Vec::new(), 64 * 1024, deadline) {
            Ok(response) if response.status == 200 => {
                info.accepted = true;
                step.summary.push(format!("Basic credentials for `{user}` accepted: GET {url} 200"));
            }
            Ok(response) => {
                step.summary
                    .push(format!("Basic credentials for `{user}` sent and rejected: GET {url} {} {}", response.status, response.reason));
                let text = http::registry_error_text(&response.body).unwrap_or_else(|| match response.status {
                    401 => "unauthorized: authentication required".into(),
                    403 => "denied: requested access to the resource is denied".into(),
                    status => format!("received unexpected HTTP status: {status} {}", response.reason),
                });
                step.failure = Some(Failure::from_runtime(format!("{}{text}", self.manifest_context())));
            }
            Err(error) => {
                step.summary.push(format!("GET {url}: {}", error.text));
                step.failure = Some(self.failure(format!("{}Get \"{url}\": ", self.manifest_context()), &error));
            }
        }
    }

    pub(super) fn bearer(
        &mut self,
        step: &mut Step,
        info: &mut CredentialsInfo,
        challenge: &Challenge,
        credentials: Option<(String, Secret)>,
        deadline: Instant,
    ) {
        let realm_text = challenge.params.get("realm").cloned().unwrap_or_default();
        info.realm = Some(realm_text.clone());
        info.service = challenge.params.get("service").cloned();
        let Ok(mut realm) = Url::parse(&realm_text) else {
            step.summary.push(format!("the Bearer realm `{realm_text}` is not a URL"));
            step.failure = Some(Failure::from_runtime_or(
                format!("{}unauthorized: invalid bearer realm {realm_text:?}", self.manifest_context()),
                ErrorClass::RegistryServerError,
                "probe.bad-realm",
                "token-exchange",
                "The registry's WWW-Authenticate names a token service that is not a URL.".into(),
            ));
            return;
        };
        let mut query = Vec::new();
        if let Some(service) = &info.service {
            query.push(format!("service={}", query_escape(service)));
        }
        if let Some(repository) = &self.target.repository {
            query.push(format!("scope={}", query_escape(&format!("repository:{repository}:pull"))));
        }
        if !query.is_empty() {
            let separator = if realm.path.contains('?') { '&' } else { '?' };
            realm.path = format!("{}{separator}{}", realm.path, query.join("&"));
        }
        let mut headers = Vec::new();
        if let Some((user, password)) = &credentials {
            let pair = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", password.expose()));
            headers.push(("Authorization", format!("Basic {pair}")));
        }
        let who = credentials.as_ref().map(|(u, _)| format!("as `{u}`")).unwrap_or_else(|| "anonymously".into());
        let response = match self.request(step, HostRole::TokenRealm, "GET", &realm, &headers, Vec::new(), 256 * 1024, deadline) {
            Ok(response) => response,
            Err(error) => {
                step.summary.push(format!("token from {realm}: {}", error.text));
                step.failure = Some(self.failure(self.context(HostRole::TokenRealm, &realm), &error));
                return;
            }
        };
        match response.status {
            200 => {
                let value: serde_json::Value = serde_json::from_slice(&response.body).unwrap_or_default();
                let token = value.get("token").or_else(|| value.get("access_token")).and_then(|t| t.as_str()).filter(|t| !t.is_empty());
                let Some(token) = token else {
                    step.summary.push(format!("token from {realm}: 200 without a token"));
                    step.failure = Some(Failure::from_runtime_or(
                        format!("{}unauthorized: the token service answered without a token", self.manifest_context()),
                        ErrorClass::RegistryServerError,
                        "probe.no-token",
                        "token-exchange",
                        "The token service answered 200 without a token.".into(),
                    ));
                    return;
                };
                self.authorization = Some(Secret::new(format!("Bearer {token}")));
                let now = Utc::now();
                let issued = value
                    .get("issued_at")
                    .and_then(|t| t.as_str())
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or(now);
                let lifetime = value.get("expires_in").and_then(|e| e.as_i64()).unwrap_or(60);
                let expires = issued + chrono::Duration::seconds(lifetime);
                info.token_expires_at = Some(expires);
                info.expiry_note = Some(format!("a bearer token for {lifetime} s (until {})", expires.format("%H:%M:%SZ")));
                info.accepted = true;
                step.summary.push(format!("Bearer token from {} {who}: 200, valid {lifetime} s", realm.host));
            }
            status => {
                step.summary.push(format!("token from {} {who}: {status} {}", realm.host, response.reason));
                let detail = http::registry_error_text(&response.body).unwrap_or_else(|| format!("{status} {}", response.reason));
                let text = if status == 401 {
                    format!("unable to retrieve auth token: invalid username/password: {detail}")
                } else {
                    format!("unable to retrieve auth token: unexpected http code: {status} ({}), URL: {realm}", response.reason)
                };
                step.failure = Some(Failure::from_runtime(format!("{}{text}", self.manifest_context())));
            }
        }
    }
}
