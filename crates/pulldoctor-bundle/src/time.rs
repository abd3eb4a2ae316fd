//! Timestamps as the AWS CLI and kubectl print them: RFC 3339 strings (`2025-08-25T09:14:00Z`,
//! `2025-08-25T09:14:00+00:00`, `2025-08-25T09:14:00.123000-07:00`) or epoch seconds (numbers).

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserializer, de::Error};

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

/// `deserialize_with` for `Option<DateTime<Utc>>` fields; `null` and absence are `None`, a string
/// that is not a timestamp is an error (the JSON path says where). Read straight from the
/// string or number, without buffering the value first (a big cluster's events carry five each).
pub fn optional<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = Option<DateTime<Utc>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an RFC 3339 timestamp, epoch seconds or null")
        }
        fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_any(self)
        }
        fn visit_str<E: Error>(self, text: &str) -> Result<Self::Value, E> {
            if text.is_empty() {
                return Ok(None);
            }
            parse(text).map(Some).ok_or_else(|| E::custom(format!("`{text}` is not a timestamp (expected RFC 3339)")))
        }
        fn visit_f64<E: Error>(self, seconds: f64) -> Result<Self::Value, E> {
            from_epoch(seconds).map(Some).ok_or_else(|| E::custom(format!("{seconds} is not a valid epoch time")))
        }
        fn visit_i64<E: Error>(self, seconds: i64) -> Result<Self::Value, E> {
            self.visit_f64(seconds as f64)
        }
        fn visit_u64<E: Error>(self, seconds: u64) -> Result<Self::Value, E> {
            self.visit_f64(seconds as f64)
        }
    }
    deserializer.deserialize_option(Visitor)
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
