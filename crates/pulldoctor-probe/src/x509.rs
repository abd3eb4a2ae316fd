//! The few facts of an X.509 certificate a report needs: subject, issuer, validity and names.
//!
//! A small DER reader instead of a full X.509 crate: the probe never decides trust here (rustls
//! and webpki do that); it only reads what to show, including from certificates that failed
//! verification (an expired or wrong-name certificate is exactly the one to describe).

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// What a certificate says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateInfo {
    /// `CN=..., O=...` of the subject.
    pub subject: String,
    /// `CN=..., O=...` of the issuer.
    pub issuer: String,
    /// Start of validity.
    pub not_before: Option<DateTime<Utc>>,
    /// End of validity.
    pub not_after: Option<DateTime<Utc>>,
    /// DNS names and IP addresses of the subjectAltName extension, in order.
    pub names: Vec<String>,
}

struct Der<'a> {
    tag: u8,
    content: &'a [u8],
}

/// Reads one element at the start of `input`; returns it and the rest.
fn element(input: &[u8]) -> Option<(Der<'_>, &[u8])> {
    let tag = *input.first()?;
    let first = *input.get(1)? as usize;
    let (length, header) = if first < 0x80 {
        (first, 2)
    } else {
        let count = first & 0x7f;
        if count == 0 || count > 4 {
            return None;
        }
        let mut length = 0usize;
        for i in 0..count {
            length = (length << 8) | *input.get(2 + i)? as usize;
        }
        (length, 2 + count)
    };
    let content = input.get(header..header.checked_add(length)?)?;
    Some((Der { tag, content }, &input[header + length..]))
}

fn children(content: &[u8]) -> Vec<Der<'_>> {
    let mut out = Vec::new();
    let mut rest = content;
    while let Some((child, next)) = element(rest) {
        out.push(child);
        rest = next;
    }
    out
}

const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
const OID_O: &[u8] = &[0x55, 0x04, 0x0a];
const OID_OU: &[u8] = &[0x55, 0x04, 0x0b];
const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];

fn name_text(name: &Der<'_>) -> String {
    let mut parts = Vec::new();
    for set in children(name.content) {
        for pair in children(set.content) {
            let fields = children(pair.content);
            let [oid, value] = fields.as_slice() else { continue };
            let label = match oid.content {
                OID_CN => "CN",
                OID_O => "O",
                OID_OU => "OU",
                _ => continue,
            };
            parts.push(format!("{label}={}", String::from_utf8_lossy(value.content)));
        }
    }
    parts.join(", ")
}

fn time(der: &Der<'_>) -> Option<DateTime<Utc>> {
    let text = std::str::from_utf8(der.content).ok()?.strip_suffix('Z')?;
    let digits = |range: std::ops::Range<usize>| text.get(range)?.parse::<u32>().ok();
    let (year, rest) = match der.tag {
        0x17 => {
            let yy = digits(0..2)? as i32;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, 2)
        }
        0x18 => (digits(0..4)? as i32, 4),
        _ => return None,
    };
    let field = |i: usize| digits(rest + 2 * i..rest + 2 * i + 2);
    let date = NaiveDate::from_ymd_opt(year, field(0)?, field(1)?)?;
    let seconds = field(4).unwrap_or(0).min(59);
    Some(date.and_hms_opt(field(2)?, field(3)?, seconds)?.and_utc())
}

fn san(extension_value: &[u8]) -> Vec<String> {
    let Some((sequence, _)) = element(extension_value) else { return Vec::new() };
    children(sequence.content)
        .into_iter()
        .filter_map(|general_name| match general_name.tag {
            0x82 => Some(String::from_utf8_lossy(general_name.content).into_owned()),
            0x87 => match general_name.content.len() {
                4 => {
                    let o: [u8; 4] = general_name.content.try_into().ok()?;
                    Some(IpAddr::from(o).to_string())
                }
                16 => {
                    let o: [u8; 16] = general_name.content.try_into().ok()?;
                    Some(IpAddr::from(o).to_string())
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Reads a DER certificate; `None` when it is not one.
pub fn parse(der: &[u8]) -> Option<CertificateInfo> {
    let (certificate, _) = element(der)?;
    let (tbs, _) = element(certificate.content)?;
    let fields = children(tbs.content);
    // an explicit [0] version first, when present
    let fields: Vec<&Der<'_>> = fields.iter().skip(usize::from(fields.first()?.tag == 0xa0)).collect();
    // serial, signature, issuer, validity, subject, key, then optional [1] [2] [3]
    let issuer = fields.get(2)?;
    let validity = children(fields.get(3)?.content);
    let subject = fields.get(4)?;
    let mut names = Vec::new();
    if let Some(extensions) = fields.iter().find(|f| f.tag == 0xa3)
        && let Some((list, _)) = element(extensions.content)
    {
        for extension in children(list.content) {
            let parts = children(extension.content);
            if parts.first().is_some_and(|oid| oid.content == OID_SAN)
                && let Some(value) = parts.iter().rev().find(|p| p.tag == 0x04)
            {
                names = san(value.content);
            }
        }
    }
    Some(CertificateInfo {
        subject: name_text(subject),
        issuer: name_text(issuer),
        not_before: validity.first().and_then(time),
        not_after: validity.get(1).and_then(time),
        names,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    /// A leaf made with `openssl req -x509 -days 1 -subj /CN=registry.lab.test/O=pulldoctor lab
    /// -addext subjectAltName=DNS:registry.lab.test,DNS:*.lab.test,IP:10.204.0.10` (no key kept).
    const LEAF: &str = include_str!("../tests/data/leaf.pem");

    fn der(pem: &str) -> Vec<u8> {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD.decode(body).unwrap()
    }

    #[test]
    fn reads_an_openssl_certificate() {
        let info = parse(&der(LEAF)).unwrap();
        assert_eq!(info.subject, "CN=registry.lab.test, O=pulldoctor lab");
        assert_eq!(info.issuer, info.subject, "self-signed");
        assert_eq!(info.names, ["registry.lab.test", "*.lab.test", "10.204.0.10"]);
        let (from, to) = (info.not_before.unwrap(), info.not_after.unwrap());
        assert_eq!((to - from).num_days(), 1);
    }

    #[test]
    fn garbage_is_no_certificate() {
        assert_eq!(parse(b""), None);
        assert_eq!(parse(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        let mut cut = der(LEAF);
        cut.truncate(cut.len() / 2);
        assert_eq!(parse(&cut), None);
        for len in 0..64 {
            let _ = parse(&der(LEAF)[..len]); // never panics
        }
    }

    #[test]
    fn reads_both_time_forms() {
        let utc = Der { tag: 0x17, content: b"491231235959Z" };
        assert_eq!(time(&utc).unwrap().to_rfc3339(), "2049-12-31T23:59:59+00:00");
        let generalized = Der { tag: 0x18, content: b"20510101000000Z" };
        assert_eq!(time(&generalized).unwrap().to_rfc3339(), "2051-01-01T00:00:00+00:00");
        assert_eq!(time(&Der { tag: 0x17, content: b"bad" }), None);
    }
}
