//! Whatever a server (or a file) sends, the parsers return an answer or an error: never a panic.

use proptest::prelude::*;
use pulldoctor_probe::{dns, dockerconfig, http, manifest, url, x509};

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn wire_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = dns::parse_answer(&bytes, u16::from_be_bytes([bytes.first().copied().unwrap_or(0), bytes.get(1).copied().unwrap_or(0)]), dns::Record::A);
        let _ = http::read_response(&mut bytes.as_slice(), false, 64);
        let _ = x509::parse(&bytes);
        let _ = manifest::parse(&bytes, "");
        let _ = dockerconfig::parse(&bytes);
        let text = String::from_utf8_lossy(&bytes);
        let _ = http::parse_challenges(&text);
        let _ = http::registry_error_text(&bytes);
        let _ = url::Url::parse(&text);
        let _ = pulldoctor_probe::aws::parse_authorization(&bytes);
        let _ = pulldoctor_probe::aws::parse_role_credentials(&bytes);
        let _ = pulldoctor_probe::aws::api_error_text(400, &bytes);
        let _ = dns::ResolvConf::parse(&text).candidates(&text);
        let _ = dns::hosts_lookup(&text, "registry.lab.test");
    }

    #[test]
    fn http_heads_with_odd_bodies_never_panic(
        status in 100u16..600,
        length in proptest::option::of(0usize..100),
        chunked in any::<bool>(),
        body in proptest::collection::vec(any::<u8>(), 0..200),
        limit in 0usize..80,
    ) {
        let mut wire = format!("HTTP/1.1 {status} X\r\n").into_bytes();
        if let Some(length) = length {
            wire.extend_from_slice(format!("Content-Length: {length}\r\n").as_bytes());
        }
        if chunked {
            wire.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
        }
        wire.extend_from_slice(b"\r\n");
        wire.extend_from_slice(&body);
        if let Ok(response) = http::read_response(&mut wire.as_slice(), false, limit) {
            prop_assert!(response.body.len() <= limit);
        }
    }

    /// The challenge parser finds every parameter of a well-formed header, whatever the values.
    #[test]
    fn challenges_keep_their_parameters(realm in "[a-zA-Z0-9:/._-]{1,40}", service in "[a-zA-Z0-9._-]{1,20}") {
        let parsed = http::parse_challenges(&format!("Bearer realm=\"{realm}\",service=\"{service}\""));
        prop_assert_eq!(parsed.len(), 1);
        prop_assert_eq!(&parsed[0].params["realm"], &realm);
        prop_assert_eq!(&parsed[0].params["service"], &service);
    }
}
