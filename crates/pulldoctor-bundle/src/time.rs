//! Timestamps as the AWS CLI and kubectl print them: RFC 3339 strings (`2025-08-25T09:14:00Z`,
//! `2025-08-25T09:14:00+00:00`, `2025-08-25T09:14:00.123000-07:00`) or epoch seconds (numbers).

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer, de::Error};

pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    // `2025-08-25 09:14:00+00:00` and `2025-08-25T09:14:00` (no zone: UTC)
    for format in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(time) = DateTime::parse_from_str(text, format) {
            return Some(time.with_timezone(&Utc));
        }
    }
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|naive| naive.and_utc())
}

pub fn from_epoch(seconds: f64) -> Option<DateTime<Utc>> {
    if !seconds.is_finite() {
        return None;
    }
    let whole = seconds.trunc() as i64;
    let nanos = ((seconds - seconds.trunc()) * 1e9) as u32;
    Utc.timestamp_opt(whole, nanos).single()
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Raw {
    Text(String),
    Number(f64),
}

/// `deserialize_with` for `Option<DateTime<Utc>>` fields; `null` and absence are `None`, a string
/// that is not a timestamp is an error (the JSON path says where).
pub fn optional<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    match Option::<Raw>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Raw::Text(text)) if text.is_empty() => Ok(None),
        Some(Raw::Text(text)) => {
            parse(&text).map(Some).ok_or_else(|| D::Error::custom(format!("`{text}` is not a timestamp (expected RFC 3339)")))
        }
        Some(Raw::Number(seconds)) => {
            from_epoch(seconds).map(Some).ok_or_else(|| D::Error::custom(format!("{seconds} is not a valid epoch time")))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats() {
        for text in [
            "2025-08-25T09:14:00Z",
            "2025-08-25T09:14:00+00:00",
            "2025-08-25T02:14:00-07:00",
            "2025-08-25T09:14:00.000000Z",
            "2025-08-25 09:14:00+00:00",
            "2025-08-25T09:14:00",
        ] {
            assert_eq!(super::parse(text).unwrap().to_rfc3339(), "2025-08-25T09:14:00+00:00", "{text}");
        }
        assert!(super::parse("yesterday").is_none());
        assert_eq!(super::from_epoch(1756113240.0).unwrap().to_rfc3339(), "2025-08-25T09:14:00+00:00");
    }
}
