//! The instance-role path to an ECR token, as the kubelet's ECR credential provider walks it.
//!
//! 1. IMDSv2: `PUT /latest/api/token` (a session token), then
//!    `GET /latest/meta-data/iam/security-credentials/` (the role) and `.../ROLE` (temporary
//!    credentials);
//! 2. `ecr:GetAuthorizationToken`: a SigV4-signed JSON POST to the ECR API; the answer's
//!    `authorizationToken` is base64 of `AWS:PASSWORD`, valid until `expiresAt`.
//!
//! Endpoints come from the standard variables the AWS SDKs read: `AWS_EC2_METADATA_SERVICE_ENDPOINT`
//! (and `..._ENDPOINT_MODE=IPv6`), `AWS_EC2_METADATA_DISABLED`, `AWS_ENDPOINT_URL_ECR`, then
//! `AWS_ENDPOINT_URL`. This module holds the pure parts: endpoints, parsing, error texts.

use base64::Engine;
use chrono::{DateTime, Utc};

use crate::dockerconfig::Secret;
use crate::sigv4::AwsCredentials;

/// The AWS settings the probe reads from the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsEnv {
    /// `AWS_EC2_METADATA_SERVICE_ENDPOINT`.
    pub imds_endpoint: Option<String>,
    /// `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6`.
    pub imds_ipv6: bool,
    /// `AWS_EC2_METADATA_DISABLED=true`.
    pub imds_disabled: bool,
    /// `AWS_ENDPOINT_URL_ECR`.
    pub ecr_endpoint: Option<String>,
    /// `AWS_ENDPOINT_URL`.
    pub endpoint: Option<String>,
}

impl AwsEnv {
    /// Reads the variables through `get`.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> AwsEnv {
        let value = |name: &str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        AwsEnv {
            imds_endpoint: value("AWS_EC2_METADATA_SERVICE_ENDPOINT"),
            imds_ipv6: value("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE").is_some_and(|m| m.eq_ignore_ascii_case("ipv6")),
            imds_disabled: value("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")),
            ecr_endpoint: value("AWS_ENDPOINT_URL_ECR"),
            endpoint: value("AWS_ENDPOINT_URL"),
        }
    }

    /// The IMDS base URL, without a trailing slash.
    pub fn imds_base(&self) -> String {
        match &self.imds_endpoint {
            Some(endpoint) => endpoint.trim_end_matches('/').to_string(),
            None if self.imds_ipv6 => "http://[fd00:ec2::254]".into(),
            None => "http://169.254.169.254".into(),
        }
    }

    /// The ECR API endpoint for `region` (`domain` is `amazonaws.com` or `amazonaws.com.cn`), and
    /// whether it came from a variable.
    pub fn ecr_base(&self, region: &str, domain: &str) -> (String, Option<&'static str>) {
        if let Some(endpoint) = &self.ecr_endpoint {
            return (endpoint.trim_end_matches('/').to_string(), Some("AWS_ENDPOINT_URL_ECR"));
        }
        if let Some(endpoint) = &self.endpoint {
            return (endpoint.trim_end_matches('/').to_string(), Some("AWS_ENDPOINT_URL"));
        }
        (format!("https://api.ecr.{region}.{domain}"), None)
    }
}

/// The role credentials IMDS returned, with their expiry.
pub fn parse_role_credentials(body: &[u8]) -> Result<(AwsCredentials, Option<DateTime<Utc>>), String> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| "the role credentials are not JSON".to_string())?;
    if let Some(code) = value.get("Code").and_then(|c| c.as_str())
        && code != "Success"
    {
        return Err(format!("IMDS says the credentials are not usable: Code {code}"));
    }
    let field = |name: &str| value.get(name).and_then(|v| v.as_str()).filter(|v| !v.is_empty()).map(str::to_string);
    let access_key_id = field("AccessKeyId").ok_or("the role credentials have no AccessKeyId")?;
    let secret = field("SecretAccessKey").ok_or("the role credentials have no SecretAccessKey")?;
    let expiration = field("Expiration").and_then(|e| DateTime::parse_from_rfc3339(&e).ok()).map(|e| e.with_timezone(&Utc));
    Ok((
        AwsCredentials { access_key_id, secret_access_key: Secret::new(secret), session_token: field("Token").map(Secret::new) },
        expiration,
    ))
}

/// An ECR authorization token, decoded.
#[derive(Debug, Clone)]
pub struct EcrToken {
    /// `AWS`.
    pub username: String,
    /// The password; never printed.
    pub password: Secret,
    /// `expiresAt`, when the answer has one.
    pub expires_at: Option<DateTime<Utc>>,
    /// `proxyEndpoint`: the registry the token is for.
    pub proxy_endpoint: Option<String>,
}

/// Reads a `GetAuthorizationToken` answer.
pub fn parse_authorization(body: &[u8]) -> Result<EcrToken, String> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| "the GetAuthorizationToken answer is not JSON".to_string())?;
    let data = value
        .get("authorizationData")
        .and_then(|d| d.as_array())
        .and_then(|d| d.first())
        .ok_or("the GetAuthorizationToken answer has no authorizationData")?;
    let token = data.get("authorizationToken").and_then(|t| t.as_str()).ok_or("authorizationData has no authorizationToken")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or("the authorizationToken is not base64 text")?;
    let (username, password) = decoded.split_once(':').ok_or("the authorizationToken is not USER:PASSWORD")?;
    let expires_at = data
        .get("expiresAt")
        .and_then(|e| e.as_f64())
        .and_then(|seconds| DateTime::from_timestamp(seconds.trunc() as i64, ((seconds.fract() * 1e9) as u32).min(999_999_999)));
    Ok(EcrToken {
        username: username.to_string(),
        password: Secret::new(password),
        expires_at,
        proxy_endpoint: data.get("proxyEndpoint").and_then(|p| p.as_str()).map(str::to_string),
    })
}

/// The AWS SDK's words for an API error answer: `api error AccessDeniedException: User: ...`.
pub fn api_error_text(status: u16, body: &[u8]) -> String {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let text = String::from_utf8_lossy(body);
    // JSON (`__type`, `message`) as ECR answers, or the XML error document some front ends send
    let kind = value
        .get("__type")
        .and_then(|t| t.as_str())
        .map(|t| t.rsplit('#').next().unwrap_or(t).to_string())
        .or_else(|| xml_element(&text, "Code"));
    let message = value
        .get("message")
        .or_else(|| value.get("Message"))
        .and_then(|m| m.as_str())
        .map(str::to_string)
        .or_else(|| xml_element(&text, "Message"))
        .unwrap_or_default();
    match kind {
        Some(kind) => format!("https response error StatusCode: {status}, api error {kind}: {message}"),
        None => format!("https response error StatusCode: {status}, {}", text.chars().take(200).collect::<String>().trim()),
    }
}

/// The text of the first `<name>...</name>` element.
fn xml_element(text: &str, name: &str) -> Option<String> {
    let start = text.find(&format!("<{name}>"))? + name.len() + 2;
    let end = start + text[start..].find(&format!("</{name}>"))?;
    Some(text[start..end].trim().to_string())
}

/// In words: how long until `expires_at`, or that it is past or absent (`issuer` names who said).
pub fn expiry_note(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>, issuer: &str) -> String {
    match expires_at {
        None => format!("{issuer} gave no expiry: when this token stops working is unknown"),
        Some(at) if at <= now => format!(
            "{issuer} gave an expiry in the past ({}): a real ECR token lives 12 hours; this one was used anyway, as the kubelet would, and the registry decides",
            at.format("%Y-%m-%dT%H:%M:%SZ")
        ),
        Some(at) => {
            let left = at - now;
            format!("expires {} (in {} h {} min)", at.format("%Y-%m-%dT%H:%M:%SZ"), left.num_hours(), left.num_minutes() % 60)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_follow_the_sdk_variables() {
        let env = AwsEnv::from_env(|_| None);
        assert_eq!(env.imds_base(), "http://169.254.169.254");
        assert_eq!(env.ecr_base("eu-west-1", "amazonaws.com"), ("https://api.ecr.eu-west-1.amazonaws.com".into(), None));
        let env = AwsEnv::from_env(|name| match name {
            "AWS_EC2_METADATA_SERVICE_ENDPOINT" => Some("http://10.204.0.2:8169/".into()),
            "AWS_ENDPOINT_URL" => Some("http://general:5000".into()),
            "AWS_ENDPOINT_URL_ECR" => Some("http://moto:5001".into()),
            "AWS_EC2_METADATA_DISABLED" => Some("TRUE".into()),
            _ => None,
        });
        assert_eq!(env.imds_base(), "http://10.204.0.2:8169");
        assert_eq!(env.ecr_base("us-east-1", "amazonaws.com"), ("http://moto:5001".into(), Some("AWS_ENDPOINT_URL_ECR")));
        assert!(env.imds_disabled);
        let v6 = AwsEnv::from_env(|name| (name == "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE").then(|| "IPv6".into()));
        assert_eq!(v6.imds_base(), "http://[fd00:ec2::254]");
    }

    #[test]
    fn reads_role_credentials() {
        let body = br#"{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAX","SecretAccessKey":"s","Token":"t","Expiration":"2025-12-03T18:00:00Z"}"#;
        let (credentials, expiration) = parse_role_credentials(body).unwrap();
        assert_eq!(credentials.access_key_id, "ASIAX");
        assert_eq!(credentials.session_token.unwrap().expose(), "t");
        assert_eq!(expiration.unwrap().to_rfc3339(), "2025-12-03T18:00:00+00:00");
        assert!(
            parse_role_credentials(br#"{"Code":"AssumeRoleUnauthorizedAccess"}"#).unwrap_err().contains("AssumeRoleUnauthorizedAccess")
        );
        assert!(parse_role_credentials(b"<html>").is_err());
    }

    #[test]
    fn reads_authorization_tokens_with_and_without_a_usable_expiry() {
        let token = base64::engine::general_purpose::STANDARD.encode("AWS:123456789012-auth-token");
        let body = format!(
            r#"{{"authorizationData":[{{"authorizationToken":"{token}","expiresAt":1764806400.5,"proxyEndpoint":"https://123456789012.dkr.ecr.us-east-1.amazonaws.com"}}]}}"#
        );
        let parsed = parse_authorization(body.as_bytes()).unwrap();
        assert_eq!((parsed.username.as_str(), parsed.password.expose()), ("AWS", "123456789012-auth-token"));
        assert_eq!(parsed.expires_at.unwrap().to_rfc3339(), "2025-12-04T00:00:00.500+00:00");
        let without = format!(r#"{{"authorizationData":[{{"authorizationToken":"{token}"}}]}}"#);
        assert_eq!(parse_authorization(without.as_bytes()).unwrap().expires_at, None);
        assert!(parse_authorization(br#"{"authorizationData":[]}"#).is_err());
        assert!(parse_authorization(br#"{"authorizationData":[{"authorizationToken":"bm9jb2xvbg=="}]}"#).is_err(), "no colon");
    }

    #[test]
    fn expiry_in_words() {
        let now = DateTime::parse_from_rfc3339("2025-12-03T12:00:00Z").unwrap().with_timezone(&Utc);
        assert!(expiry_note(None, now, "moto").starts_with("moto gave no expiry"));
        assert!(expiry_note(Some(now - chrono::Duration::days(3000)), now, "the ECR API").contains("in the past"));
        assert_eq!(expiry_note(Some(now + chrono::Duration::minutes(719)), now, "x"), "expires 2025-12-03T23:59:00Z (in 11 h 59 min)");
    }

    #[test]
    fn api_errors_read_like_the_sdk_and_classify() {
        let body = br#"{"__type":"AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/node/i-1 is not authorized to perform: ecr:GetAuthorizationToken on resource: *"}"#;
        let text = api_error_text(400, body);
        assert!(text.starts_with("https response error StatusCode: 400, api error AccessDeniedException: User:"));
        let class = pulldoctor_classify::classify(&format!("failed to get authorization token: {text}")).class;
        assert_eq!(class, pulldoctor_classify::ErrorClass::AuthDenied);
        let xml = br#"<?xml version="1.0"?><ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message></Error></Errors></ErrorResponse>"#;
        assert_eq!(
            api_error_text(403, xml),
            "https response error StatusCode: 403, api error SignatureDoesNotMatch: The request signature we calculated does not match"
        );
        assert_eq!(api_error_text(500, b"oops"), "https response error StatusCode: 500, oops");
    }
}
