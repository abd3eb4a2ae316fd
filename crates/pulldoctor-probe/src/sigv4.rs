//! AWS Signature Version 4 for the one call the probe makes (`ecr:GetAuthorizationToken`).
//!
//! Written out (HMAC-SHA256 over the canonical request) rather than linking `aws-sigv4` and the
//! smithy crates it brings, so the probe stays in the default build. The test checks it against
//! botocore's signer on the same request, an independent implementation.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::dockerconfig::Secret;

/// Credentials to sign with (from the instance role).
#[derive(Debug, Clone)]
pub struct AwsCredentials {
    /// `AKIA...` / `ASIA...`.
    pub access_key_id: String,
    /// Never printed.
    pub secret_access_key: Secret,
    /// The session token of temporary credentials; never printed.
    pub session_token: Option<Secret>,
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length: `new_from_slice` cannot fail for it.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Signs a request with no query string; returns the headers to add (`X-Amz-Date`,
/// `X-Amz-Security-Token` when there is a session token, `Authorization`). `headers` are the
/// request's other headers to sign (`Content-Type`, `X-Amz-Target`); `host` is the `Host` value.
#[allow(clippy::too_many_arguments)]
pub fn sign(
    method: &str,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    service: &str,
    region: &str,
    credentials: &AwsCredentials,
    now: DateTime<Utc>,
) -> Vec<(String, String)> {
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let date = now.format("%Y%m%d").to_string();
    let mut signed: Vec<(String, String)> = headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), collapse(v))).collect();
    signed.push(("host".into(), host.to_string()));
    signed.push(("x-amz-date".into(), amz_date.clone()));
    if let Some(token) = &credentials.session_token {
        signed.push(("x-amz-security-token".into(), token.expose().to_string()));
    }
    signed.sort();
    let canonical_headers: String = signed.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let signed_headers = signed.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(";");
    let canonical_request = format!("{method}\n{path}\n\n{canonical_headers}\n{signed_headers}\n{}", hex::encode(Sha256::digest(body)));
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let string_to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", hex::encode(Sha256::digest(canonical_request.as_bytes())));
    let mut key = hmac(format!("AWS4{}", credentials.secret_access_key.expose()).as_bytes(), date.as_bytes());
    for part in [region, service, "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex::encode(hmac(&key, string_to_sign.as_bytes()));
    let mut out = vec![("X-Amz-Date".to_string(), amz_date)];
    if let Some(token) = &credentials.session_token {
        out.push(("X-Amz-Security-Token".into(), token.expose().to_string()));
    }
    out.push((
        "Authorization".into(),
        format!("AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}", credentials.access_key_id),
    ));
    out
}

fn collapse(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_botocore() {
        // botocore.auth.SigV4Auth(Credentials(key, secret, token), "ecr", "us-east-1") on the same
        // request at 2025-12-03T12:00:00Z
        let credentials = AwsCredentials {
            access_key_id: "ASIAEXAMPLEKEY123456".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            session_token: Some(Secret::new("session-token-example")),
        };
        let now = DateTime::parse_from_rfc3339("2025-12-03T12:00:00Z").unwrap().with_timezone(&Utc);
        let headers = sign(
            "POST",
            "api.ecr.us-east-1.amazonaws.com",
            "/",
            &[
                ("Content-Type", "application/x-amz-json-1.1"),
                ("X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"),
            ],
            b"{}",
            "ecr",
            "us-east-1",
            &credentials,
            now,
        );
        let authorization = &headers.iter().find(|(n, _)| n == "Authorization").unwrap().1;
        assert_eq!(
            authorization,
            "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEKEY123456/20251203/us-east-1/ecr/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, \
             Signature=ee2ac22c10c58091eb597fcbeb0ba25a8900979b1f77515b88865043a02f37b5"
        );
        assert!(headers.iter().any(|(n, v)| n == "X-Amz-Date" && v == "20251203T120000Z"));
    }
}
