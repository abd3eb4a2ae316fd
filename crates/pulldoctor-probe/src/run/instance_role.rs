//! The node's instance role as the kubelet's ECR credential provider uses it: IMDSv2, the role's
//! temporary credentials, then a SigV4-signed `ecr:GetAuthorizationToken`.

use std::time::Instant;

use chrono::Utc;
use pulldoctor_classify::ErrorClass;

use super::{IMDS_TIMEOUT, Run};
use crate::aws;
use crate::report::*;
use crate::sigv4;
use crate::url::Url;

impl Run<'_> {
    /// IMDSv2 → role credentials → `ecr:GetAuthorizationToken`.
    pub(super) fn ecr_token(&mut self, step: &mut Step, info: &mut CredentialsInfo, deadline: Instant) -> Result<aws::EcrToken, Failure> {
        let imds_base = self.config.aws.imds_base();
        let imds = |path: &str| Url::parse(&format!("{imds_base}{path}"));
        let imds_deadline = || deadline.min(Instant::now() + IMDS_TIMEOUT);
        let metadata_failure =
            |run: &Self, url: &Url, text: String| Failure::from_runtime(format!("{}{text}", run.context(HostRole::Metadata, url)));
        let token_url = imds("/latest/api/token").map_err(|e| Failure::from_runtime(format!("AWS_EC2_METADATA_SERVICE_ENDPOINT: {e}")))?;
        let response = self
            .request(
                step,
                HostRole::Metadata,
                "PUT",
                &token_url,
                &[("X-aws-ec2-metadata-token-ttl-seconds", "21600".into())],
                Vec::new(),
                4096,
                imds_deadline(),
            )
            .map_err(|error| {
                step.summary.push(format!("IMDSv2 token from {}: {}", token_url.authority(), error.text));
                self.failure(self.context(HostRole::Metadata, &token_url), &error)
            })?;
        if response.status != 200 {
            step.summary.push(format!("IMDSv2 token from {}: {} {}", token_url.authority(), response.status, response.reason));
            return Err(metadata_failure(self, &token_url, format!("StatusCode: {} {}", response.status, response.reason)));
        }
        let session = String::from_utf8_lossy(&response.body).trim().to_string();
        let header = [("X-aws-ec2-metadata-token", session)];
        let roles_url = imds("/latest/meta-data/iam/security-credentials/").map_err(|e| Failure::from_runtime(e.to_string()))?;
        let response =
            self.request(step, HostRole::Metadata, "GET", &roles_url, &header, Vec::new(), 4096, imds_deadline()).map_err(|error| {
                step.summary.push(format!("instance role from {}: {}", roles_url.authority(), error.text));
                self.failure(self.context(HostRole::Metadata, &roles_url), &error)
            })?;
        let role = String::from_utf8_lossy(&response.body).lines().next().unwrap_or_default().trim().to_string();
        if response.status != 200 || role.is_empty() {
            step.summary.push(format!("instance role from {}: {} {}, no role", roles_url.authority(), response.status, response.reason));
            return Err(Failure::from_runtime_or(
                format!("{}StatusCode: {}, no EC2 IMDS role found", self.context(HostRole::Metadata, &roles_url), response.status),
                ErrorClass::AuthMissing,
                "probe.no-instance-role",
                "token-exchange",
                "The node has no instance role (IMDS lists none), so the kubelet's ECR credential provider has nothing to ask ECR with: the pull goes without credentials.".into(),
            ));
        }
        info.role = Some(role.clone());
        let role_url =
            imds(&format!("/latest/meta-data/iam/security-credentials/{role}")).map_err(|e| Failure::from_runtime(e.to_string()))?;
        let response =
            self.request(step, HostRole::Metadata, "GET", &role_url, &header, Vec::new(), 16 * 1024, imds_deadline()).map_err(|error| {
                step.summary.push(format!("credentials of role {role}: {}", error.text));
                self.failure(self.context(HostRole::Metadata, &role_url), &error)
            })?;
        let (credentials, role_expiry) = aws::parse_role_credentials(&response.body).map_err(|e| {
            step.summary.push(format!("credentials of role {role}: {e}"));
            Failure::from_runtime_or(
                format!("{}{e}", self.context(HostRole::Metadata, &role_url)),
                ErrorClass::AuthMissing,
                "probe.role-credentials",
                "token-exchange",
                "IMDS did not hand out usable credentials for the instance role.".into(),
            )
        })?;
        let role_until = role_expiry.map(|t| format!(", valid until {}", t.format("%Y-%m-%dT%H:%M:%SZ"))).unwrap_or_default();
        step.summary.push(format!("instance role `{role}` from IMDSv2 at {}: temporary credentials{role_until}", token_url.authority()));

        let Some(ecr) = self.target.ecr.clone() else { return Err(Failure::from_runtime("not an ECR registry".into())) };
        let url = self.ecr_api_url();
        let body = b"{}".to_vec();
        let base = [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"),
        ];
        let signed = sigv4::sign("POST", &url.host_header(), "/", &base, &body, "ecr", &ecr.region, &credentials, Utc::now());
        let mut headers: Vec<(&str, String)> = base.iter().map(|(n, v)| (*n, v.to_string())).collect();
        headers.extend(signed.iter().map(|(n, v)| (n.as_str(), v.clone())));
        let prefix = "failed to get authorization token: operation error ECR: GetAuthorizationToken, ";
        let response = self.request(step, HostRole::EcrApi, "POST", &url, &headers, body, 64 * 1024, deadline).map_err(|error| {
            step.summary.push(format!("ecr:GetAuthorizationToken at {}: {}", url.authority(), error.text));
            self.failure(format!("{prefix}request send failed, Post \"{url}\": "), &error)
        })?;
        if response.status != 200 {
            let text = aws::api_error_text(response.status, &response.body);
            step.summary.push(format!("ecr:GetAuthorizationToken at {}: {text}", url.authority()));
            return Err(Failure::from_runtime(format!("{prefix}{text}")));
        }
        let token = aws::parse_authorization(&response.body).map_err(|e| {
            step.summary.push(format!("ecr:GetAuthorizationToken at {}: {e}", url.authority()));
            Failure::from_runtime_or(
                format!("{prefix}{e}"),
                ErrorClass::AuthMissing,
                "probe.bad-token-answer",
                "token-exchange",
                "The ECR API answered 200 without a usable authorization token.".into(),
            )
        })?;
        let issuer = if self.config.aws.ecr_endpoint.is_some() || self.config.aws.endpoint.is_some() {
            "the ECR endpoint set in the environment"
        } else {
            "ECR"
        };
        let note = aws::expiry_note(token.expires_at, Utc::now(), issuer);
        step.summary.push(format!("ecr:GetAuthorizationToken at {}: a token for user `{}`; {note}", url.authority(), token.username));
        info.username = Some(token.username.clone());
        info.token_expires_at = token.expires_at;
        info.expiry_note = Some(note);
        Ok(token)
    }
}
