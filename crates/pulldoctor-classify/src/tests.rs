//! Unit tests: one data-driven helper, one line per case.

use super::*;

/// Classifies `message` and asserts class and step; returns the classification for more checks.
fn check(message: &str, class: ErrorClass, step: PullStep) -> Classification {
    let c = classify(message);
    assert_eq!((c.class, c.step), (class, step), "message: {message}\nrule: {}\nexplanation: {}", c.rule, c.explanation);
    c
}

const SEED: &str = r#"Failed to pull image "818140567777.dkr.ecr.us-east-1.amazonaws.com/harness-delegate:latest": rpc error: code = DeadlineExceeded desc = initializing source docker://818140567777.dkr.ecr.us-east-1.amazonaws.com/harness-delegate:latest: pinging container registry 818140567777.dkr.ecr.us-east-1.amazonaws.com: Get "https://818140567777.dkr.ecr.us-east-1.amazonaws.com/v2/": dial tcp 52.207.2.251:443: i/o timeout"#;

#[test]
fn seed_incident_is_a_tcp_timeout_to_a_public_address() {
    let c = check(SEED, ErrorClass::NetworkTimeout, PullStep::TcpConnect);
    assert_eq!(c.image.as_deref(), Some("818140567777.dkr.ecr.us-east-1.amazonaws.com/harness-delegate:latest"));
    assert_eq!(c.host.as_deref(), Some("818140567777.dkr.ecr.us-east-1.amazonaws.com"));
    assert_eq!(c.dialled, Some("52.207.2.251:443".parse().unwrap()));
    assert_eq!(c.dialled_is_private, Some(false));
    assert!(c.rules_in.iter().any(|r| r.contains("NAT gateway") && r.contains("internet gateway")));
    assert!(c.rules_out.iter().any(|r| r.starts_with("credentials")));
    assert_eq!(c.rule, "net.io-timeout");
}

#[test]
fn dns_lookup_timeout_is_dns_not_network_timeout() {
    let c = check(
        r#"Failed to pull image "818140567777.dkr.ecr.us-east-1.amazonaws.com/app:1": rpc error: code = Unknown desc = failed to pull and unpack image "818140567777.dkr.ecr.us-east-1.amazonaws.com/app:1": failed to resolve reference "818140567777.dkr.ecr.us-east-1.amazonaws.com/app:1": failed to do request: Head "https://818140567777.dkr.ecr.us-east-1.amazonaws.com/v2/app/manifests/1": dial tcp: lookup 818140567777.dkr.ecr.us-east-1.amazonaws.com on 10.0.0.2:53: read udp 10.0.1.5:41234->10.0.0.2:53: i/o timeout"#,
        ErrorClass::Dns,
        PullStep::DnsLookup,
    );
    assert_eq!(c.rule, "dns.timeout");
    assert_eq!(c.dns_server, Some("10.0.0.2:53".parse().unwrap()));
    assert_eq!(c.dialled, None, "the UDP peer is the DNS server, not a dialled registry");
    assert_eq!(c.host.as_deref(), Some("818140567777.dkr.ecr.us-east-1.amazonaws.com"));
}

#[test]
fn s3_layer_timeout_after_manifest_is_blob_step() {
    let c = check(
        r#"Failed to pull image "818140567777.dkr.ecr.us-east-1.amazonaws.com/harness-delegate:latest": rpc error: code = DeadlineExceeded desc = failed to pull and unpack image "818140567777.dkr.ecr.us-east-1.amazonaws.com/harness-delegate:latest": failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/ab12/data?X-Amz-Algorithm=AWS4-HMAC-SHA256": dial tcp 52.216.185.34:443: i/o timeout"#,
        ErrorClass::NetworkTimeout,
        PullStep::Blob,
    );
    assert_eq!(c.host.as_deref(), Some("prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com"));
    assert!(c.explanation.contains("S3 gateway endpoint"), "{}", c.explanation);
    assert!(c.rules_in.iter().any(|r| r.contains("prefix list")));
    assert!(c.rules_out.iter().any(|r| r.contains("manifest request succeeded")));
    // the old Docker form without an address, on the legacy global S3 name
    let c = check(
        r#"Failed to pull image "111111111111.dkr.ecr.us-east-1.amazonaws.com/my/container:e877": rpc error: code = Unknown desc = error pulling image configuration: Get https://prod-us-east-1-starport-layer-bucket.s3.amazonaws.com/c8f1/data: dial tcp: i/o timeout"#,
        ErrorClass::NetworkTimeout,
        PullStep::Blob,
    );
    assert_eq!(c.host.as_deref(), Some("prod-us-east-1-starport-layer-bucket.s3.amazonaws.com"));
    assert!(c.explanation.contains("S3"));
}

#[test]
fn no_basic_auth_credentials_mentions_ecr_api_reachability() {
    let c = check(
        r#"Failed to pull image "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.6.3": rpc error: code = Unknown desc = Error response from daemon: Get https://602401143452.dkr.ecr.us-west-2.amazonaws.com/v2/amazon-k8s-cni/manifests/v1.6.3: no basic auth credentials"#,
        ErrorClass::AuthMissing,
        PullStep::TokenExchange,
    );
    assert!(c.rules_in.iter().any(|r| r.contains("api.ecr.us-west-2.amazonaws.com") && r.contains("private subnet")), "{:?}", c.rules_in);
    assert_eq!(c.http_status, Some(401));
}

#[test]
fn pull_access_denied_is_ambiguous() {
    // Docker Hub cannot tell a missing repository from missing credentials: primary auth-missing
    // (what it says outright), the others listed and named in the explanation
    let c = check(
        r#"Failed to pull image "acme/private-app:latest": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/acme/private-app:latest": failed to resolve reference "docker.io/acme/private-app:latest": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"#,
        ErrorClass::AuthMissing,
        PullStep::Manifest,
    );
    assert_eq!(c.also_possible, vec![ErrorClass::ImageNotFound, ErrorClass::AuthDenied]);
    assert!(c.explanation.contains("could also be"), "{}", c.explanation);
    assert!(c.explanation.contains("(image-not-found)"), "the explanation names every other candidate: {}", c.explanation);
    assert!(c.rules_in.iter().any(|r| r.contains("pull secret")) && c.rules_in.iter().any(|r| r.contains("exists")), "{:?}", c.rules_in);
    let c = check(
        "Error response from daemon: pull access denied for acme/private-app, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
        ErrorClass::AuthMissing,
        PullStep::Manifest,
    );
    assert_eq!(c.image.as_deref(), Some("acme/private-app"));
    assert!(c.also_possible.contains(&ErrorClass::ImageNotFound));
    // when the text inside says what happened, it decides and nothing else is claimed
    let c = check(
        "Error response from daemon: pull access denied for 111122223333.dkr.ecr.us-east-1.amazonaws.com/payments/api, repository does not exist or may require 'docker login': denied: User: arn:aws:sts::111122223333:assumed-role/node/i-0 is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:111122223333:repository/payments/api",
        ErrorClass::AuthDenied,
        PullStep::Manifest,
    );
    assert!(c.also_possible.is_empty());
}

#[test]
fn private_dialled_address_points_at_an_endpoint_public_at_nat() {
    let private = check(
        r#"Failed to pull image "818140567777.dkr.ecr.us-east-1.amazonaws.com/a:1": rpc error: code = Unknown desc = failed to pull and unpack image "818140567777.dkr.ecr.us-east-1.amazonaws.com/a:1": failed to resolve reference "818140567777.dkr.ecr.us-east-1.amazonaws.com/a:1": failed to do request: Head "https://818140567777.dkr.ecr.us-east-1.amazonaws.com/v2/a/manifests/1": dial tcp 10.0.12.34:443: i/o timeout"#,
        ErrorClass::NetworkTimeout,
        PullStep::TcpConnect,
    );
    assert_eq!(private.dialled_is_private, Some(true));
    assert!(private.rules_in.iter().any(|r| r.contains("interface VPC endpoint")));
    assert!(!private.rules_in.iter().any(|r| r.contains("NAT gateway")));
    let public = check(SEED, ErrorClass::NetworkTimeout, PullStep::TcpConnect);
    assert!(public.rules_in.iter().any(|r| r.contains("NAT gateway")));
    assert!(public.rules_in.iter().any(|r| r.contains("private DNS is not in effect")));
    // IPv6 ULA and CGNAT count as private
    assert_eq!(classify("dial tcp [fd00:ec2::23]:443: i/o timeout").dialled_is_private, Some(true));
    assert_eq!(classify("dial tcp 100.64.3.4:443: i/o timeout").dialled_is_private, Some(true));
    assert_eq!(classify("dial tcp [2600:1f18::1]:443: i/o timeout").dialled_is_private, Some(false));
}

#[test]
fn ecr_denials() {
    let c = check(
        r#"Failed to pull image "444455556666.dkr.ecr.us-east-1.amazonaws.com/payments/api:2.3.1": rpc error: code = Unknown desc = reading manifest 2.3.1 in 444455556666.dkr.ecr.us-east-1.amazonaws.com/payments/api: denied: User: arn:aws:sts::444455556666:assumed-role/ROSA-Worker-Role/i-0a1b2c3d4e5f60718 is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:444455556666:repository/payments/api because no VPC endpoint policy allows the ecr:BatchGetImage action"#,
        ErrorClass::AuthDenied,
        PullStep::Manifest,
    );
    assert_eq!(c.rule, "auth.ecr-iam-denied");
    assert!(c.explanation.contains("VPC endpoint policy"));
    assert_eq!(c.image.as_deref(), Some("444455556666.dkr.ecr.us-east-1.amazonaws.com/payments/api:2.3.1"));
    let c = check(
        "Error response from daemon: pull access denied for 111122223333.dkr.ecr.us-east-1.amazonaws.com/payments/api, repository does not exist or may require 'docker login': denied: Your authorization token has expired. Reauthenticate and try again.",
        ErrorClass::AuthExpired,
        PullStep::TokenExchange,
    );
    assert!(c.explanation.contains("12 hours"));
}

#[test]
fn one_line_per_form() {
    use ErrorClass as C;
    use PullStep as S;
    let cases: &[(&str, C, S)] = &[
        (r#"Container image "nginx:1.27" is not present with pull policy of Never"#, C::NeverPull, S::Unknown),
        (
            r#"Failed to apply default image tag "Nginx:latest": couldn't parse image reference "Nginx:latest": invalid reference format: repository name must be lowercase"#,
            C::InvalidReference,
            S::Unknown,
        ),
        (
            r#"Failed to pull image "quay.io/acme/app:1": rpc error: code = Unknown desc = Source image rejected: A signature was required, but no signature exists"#,
            C::Policy,
            S::Admission,
        ),
        (
            r#"Failed to pull image "docker.io/library/nginx:latest": rpc error: code = Unknown desc = registry docker.io is blocked in /etc/containers/registries.conf or /etc/containers/registries.conf.d"#,
            C::Policy,
            S::Admission,
        ),
        (
            r#"rpc error: code = Unknown desc = pinging container registry registry-1.docker.io: Get "https://registry-1.docker.io/v2/": proxyconnect tcp: dial tcp 10.0.0.50:3128: i/o timeout"#,
            C::Proxy,
            S::ProxyConnect,
        ),
        (
            r#"error pinging docker registry registry-1.docker.io: Get "https://registry-1.docker.io/v2/": proxyconnect tcp: dial tcp: lookup http: Temporary failure in name resolution"#,
            C::Proxy,
            S::ProxyConnect,
        ),
        (
            r#"failed to pull and unpack image "docker.io/library/python:3.12": failed to extract layer sha256:1a2b: write /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/41/fs/usr/lib/libpython3.12.so: no space left on device: unknown"#,
            C::DiskPressure,
            S::Unpack,
        ),
        (
            r#"Failed to pull image "busybox:arm": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/busybox:arm": no match for platform in manifest: not found"#,
            C::PlatformMismatch,
            S::Manifest,
        ),
        ("exec /usr/bin/app: exec format error", C::PlatformMismatch, S::Unknown),
        (
            r#"Error response from daemon: Get "https://registry.lab.test:5000/v2/": http: server gave HTTP response to HTTPS client"#,
            C::Tls,
            S::TlsHandshake,
        ),
        (
            r#"failed to do request: Head "https://harbor.corp/v2/a/manifests/1": tls: failed to verify certificate: x509: certificate signed by unknown authority"#,
            C::Tls,
            S::TlsHandshake,
        ),
        (r#"Get "https://r.example/v2/": x509: certificate has expired or is not yet valid"#, C::Tls, S::TlsHandshake),
        (r#"Get "https://r.example/v2/": net/http: TLS handshake timeout"#, C::NetworkTimeout, S::TlsHandshake),
        (
            r#"Error reading manifest latest in docker.io/library/busybox: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit"#,
            C::RateLimit,
            S::Manifest,
        ),
        (r#"unauthorized: authentication required"#, C::AuthMissing, S::TokenExchange),
        (
            r#"failed to resolve reference "r.example/a:1": pulling from host r.example failed with status code [manifests 1]: 403 Forbidden"#,
            C::AuthDenied,
            S::Manifest,
        ),
        (
            r#"Error response from daemon: manifest for nginx:nope not found: manifest unknown: manifest unknown"#,
            C::ImageNotFound,
            S::Manifest,
        ),
        (
            r#"rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:nope": failed to resolve reference "docker.io/library/nginx:nope": docker.io/library/nginx:nope: not found"#,
            C::ImageNotFound,
            S::Manifest,
        ),
        (
            r#"reading manifest 1.0 in e503.lab.test/demo/app: received unexpected HTTP status: 503 Service Unavailable"#,
            C::RegistryServerError,
            S::Manifest,
        ),
        (r#"dial tcp: lookup nosuch.example on 10.0.0.2:53: no such host"#, C::Dns, S::DnsLookup),
        (r#"dial tcp: lookup r.example on 10.0.0.2:53: server misbehaving"#, C::Dns, S::DnsLookup),
        (r#"dial tcp 10.0.0.7:5000: connect: connection refused"#, C::ConnectionRefused, S::TcpConnect),
        (r#"dial tcp 10.0.0.7:443: connect: network is unreachable"#, C::NetworkTimeout, S::TcpConnect),
        (r#"dial tcp 10.0.0.7:443: connect: no route to host"#, C::NetworkTimeout, S::TcpConnect),
        (
            r#"Get "https://r.example/v2/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)"#,
            C::NetworkTimeout,
            S::TcpConnect,
        ),
        (
            r#"Get "https://r.example/v2/a/manifests/1": net/http: timeout awaiting response headers (Client.Timeout exceeded while awaiting headers)"#,
            C::NetworkTimeout,
            S::Manifest,
        ),
        (
            r#"failed to authorize: failed to fetch anonymous token: Get "https://auth.docker.io/token?scope=repository%3Alibrary%2Fnginx%3Apull&service=registry.docker.io": dial tcp 54.236.113.205:443: i/o timeout"#,
            C::NetworkTimeout,
            S::TokenExchange,
        ),
        (r#"Back-off pulling image "nginx:1.27""#, C::Other, S::Unknown),
        ("", C::Other, S::Unknown),
    ];
    for (m, c, s) in cases {
        check(m, *c, *s);
    }
}

#[test]
fn backoff_only_says_how_to_get_the_cause_back() {
    let c = check(r#"Back-off pulling image "quay.io/acme/app:2""#, ErrorClass::Other, PullStep::Unknown);
    assert_eq!(c.rule, "kubelet.backoff-only");
    assert!(c.explanation.contains("kubectl get events -n NS --field-selector involvedObject.name=POD"));
    assert!(c.explanation.contains("kubectl describe pod"));
    assert_eq!(c.image.as_deref(), Some("quay.io/acme/app:2"));
}

#[test]
fn reasons() {
    let c = classify_with_reason(Some("ErrImageNeverPull"), "something unclear");
    assert_eq!(c.class, ErrorClass::NeverPull);
    let c = classify_with_reason(Some("InvalidImageName"), r#"Failed to apply default image tag "a b": couldn't parse"#);
    assert_eq!(c.class, ErrorClass::InvalidReference);
    let c = classify_with_reason(Some("SignatureValidationFailed"), "image rejected");
    assert_eq!((c.class, c.step), (ErrorClass::Policy, PullStep::Admission));
    let c = classify_with_reason(Some("RegistryUnavailable"), "");
    assert_eq!(c.class, ErrorClass::NetworkTimeout);
    let c = classify_with_reason(Some("ImagePullBackOff"), r#"Back-off pulling image "x:1""#);
    assert_eq!(c.rule, "kubelet.backoff-only");
    let c = classify_with_reason(Some("ErrImagePull"), SEED);
    assert_eq!(c, classify(SEED));
    assert_eq!(classify_with_reason(None, SEED), classify(SEED));
}

#[test]
fn names_round_trip() {
    for c in ErrorClass::all() {
        assert_eq!(c.as_str().parse::<ErrorClass>().unwrap(), *c);
        assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        let back: ErrorClass = serde_json::from_value(serde_json::json!(c.as_str())).unwrap();
        assert_eq!(back, *c);
    }
    for s in PullStep::all() {
        assert_eq!(s.as_str().parse::<PullStep>().unwrap(), *s);
        assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
    }
    assert!("nope".parse::<ErrorClass>().is_err());
    assert_eq!(ErrorClass::all().len(), 18);
}

#[test]
fn escaped_log_form_is_understood() {
    // containerd's log line quotes the error with backslashes
    let c = classify(
        r#"error="failed to do request: Head \"https://r.example/v2/a/manifests/1\": dial tcp 52.1.2.3:443: i/o timeout" host=r.example"#,
    );
    assert_eq!((c.class, c.step), (ErrorClass::NetworkTimeout, PullStep::TcpConnect));
    assert_eq!(c.host.as_deref(), Some("r.example"));
}

#[test]
fn deterministic_and_serialisable() {
    let a = serde_json::to_string(&classify(SEED)).unwrap();
    let b = serde_json::to_string(&classify(SEED)).unwrap();
    assert_eq!(a, b);
    assert!(a.contains(r#""class":"network-timeout""#));
    assert!(a.contains(r#""step":"tcp-connect""#));
}

#[test]
fn status_numbers_in_tags_and_ports_do_not_decide() {
    check(
        r#"Failed to pull image "registry.example:5003/build:503": rpc error: code = Unknown desc = failed to pull and unpack image "registry.example:5003/build:503": failed to resolve reference "registry.example:5003/build:503": failed to do request: Head "https://registry.example:5003/v2/build/manifests/503": dial tcp 10.0.0.9:5003: i/o timeout"#,
        ErrorClass::NetworkTimeout,
        PullStep::TcpConnect,
    );
    check(
        r#"Failed to pull image "app:429": rpc error: code = Unknown desc = Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.0.0.2:53: no such host"#,
        ErrorClass::Dns,
        PullStep::DnsLookup,
    );
}

#[test]
fn proxy_connect_refusal_is_proxy_not_registry_403() {
    // Go prints only the proxy's reason phrase when a CONNECT is refused
    let c = check(
        r#"ctr: failed to resolve reference "registry.lab.test:5005/demo/app:1.0": failed to do request: Head "https://registry.lab.test:5005/v2/demo/app/manifests/1.0": Forbidden"#,
        ErrorClass::Proxy,
        PullStep::ProxyConnect,
    );
    assert_eq!(c.rule, "proxy.connect-status");
    // a registry 403 carries the number
    check(
        r#"failed to resolve reference "r.example/a:1": pulling from host r.example failed with status code [manifests 1]: 403 Forbidden"#,
        ErrorClass::AuthDenied,
        PullStep::Manifest,
    );
    let c = check(
        r#"initializing source docker://registry.lab.test:5005/demo/app:1.0: pinging container registry registry.lab.test:5005: Get "https://registry.lab.test:5005/v2/": Proxy Authentication Required"#,
        ErrorClass::Proxy,
        PullStep::ProxyConnect,
    );
    assert_eq!(c.http_status, Some(407));
}

#[test]
fn docker_blob_timeout_without_host_names_ecr_s3() {
    let c = check(
        r#"Failed to pull image "818140567777.dkr.ecr.us-east-1.amazonaws.com/harness-delegate:latest": rpc error: code = Unknown desc = error pulling image configuration: download failed after attempts=6: dial tcp 52.216.8.16:443: i/o timeout"#,
        ErrorClass::NetworkTimeout,
        PullStep::Blob,
    );
    assert_eq!(c.host, None, "the registry is not the host that timed out");
    assert!(c.explanation.contains("prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com"));
    assert!(c.rules_in.iter().any(|r| r.contains("com.amazonaws.us-east-1.s3")));
}

#[test]
fn local_dns_drop_and_refused_dns_are_dns() {
    let c = check(
        "dial tcp: lookup r.example on 10.0.0.2:53: write udp 10.0.1.5:33291->10.0.0.2:53: write: operation not permitted",
        ErrorClass::Dns,
        PullStep::DnsLookup,
    );
    assert_eq!(c.dialled, None);
    check(
        "dial tcp: lookup r.example on 10.0.0.2:53: read udp 10.0.1.5:50486->10.0.0.2:53: read: connection refused",
        ErrorClass::Dns,
        PullStep::DnsLookup,
    );
}

#[test]
fn a_cut_connection_is_not_a_timeout_nor_a_refusal() {
    let c = check(
        "Error response from daemon: Get https://registry-1.docker.io/v2/library/busybox/manifests/1.36: read tcp 10.0.1.5:51234->54.236.113.205:443: read: connection reset by peer",
        ErrorClass::ConnectionReset,
        PullStep::Manifest,
    );
    assert_eq!(c.rule, "conn.reset");
    assert!(c.rules_out.iter().any(|r| r.contains("security groups") && r.contains("timeouts")), "{:?}", c.rules_out);
    assert!(c.explanation.contains("(proxy)"), "{}", c.explanation);
    check("error pulling image configuration: unexpected EOF", ErrorClass::ConnectionReset, PullStep::Blob);
    check("dial tcp 10.0.0.7:443: connect: connection reset by peer", ErrorClass::ConnectionReset, PullStep::TcpConnect);
    // the neighbours keep their classes
    check("dial tcp 10.0.0.7:443: connect: connection refused", ErrorClass::ConnectionRefused, PullStep::TcpConnect);
    check("dial tcp 10.0.0.7:443: i/o timeout", ErrorClass::NetworkTimeout, PullStep::TcpConnect);
    // a reset while asking the DNS server is still DNS
    check(
        "dial tcp: lookup r.example on 10.0.0.2:53: read udp 10.0.1.5:50486->10.0.0.2:53: read: connection reset by peer",
        ErrorClass::Dns,
        PullStep::DnsLookup,
    );
}

#[test]
fn the_docker_daemons_500_gives_way_to_the_error_inside() {
    // dockerode / Kitematic
    let c = check(
        r#"(HTTP code 500) server error - {"message":"Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io on 10.0.2.3:53: no such host"}"#,
        ErrorClass::Dns,
        PullStep::DnsLookup,
    );
    assert_eq!(c.http_status, None, "the 500 was the daemon's, not the registry's");
    // docker-py, both forms
    check(
        r#"500 Server Error for http+docker://localhost/v1.43/images/create?tag=1&fromImage=acme%2Fapp: Internal Server Error ("Get "https://registry.example/v2/": dial tcp 203.0.113.9:443: i/o timeout")"#,
        ErrorClass::NetworkTimeout,
        PullStep::TcpConnect,
    );
    check(
        r#"500 Server Error: Internal Server Error ("Get https://registry.example/v2/acme/app/manifests/1: read tcp 10.0.1.5:40000->203.0.113.9:443: read: connection reset by peer")"#,
        ErrorClass::ConnectionReset,
        PullStep::Manifest,
    );
    // go-dockerclient, as dockershim kubelets printed it
    check(
        r#"Failed to pull image "registry.example/app:1": API error (500): Get https://registry.example/v2/: x509: certificate signed by unknown authority"#,
        ErrorClass::Tls,
        PullStep::TlsHandshake,
    );
    // a registry 5xx inside the wrapper is still the registry's
    let c = check(
        r#"(HTTP code 500) server error - {"message":"received unexpected HTTP status: 503 Service Unavailable"}"#,
        ErrorClass::RegistryServerError,
        PullStep::Manifest,
    );
    assert_eq!(c.http_status, Some(503));
}

#[test]
fn unresolvable_short_names_are_reference_problems_not_dns() {
    // containers/image's own texts (podman 4.3.1 here; CRI-O returns the same through the CRI)
    let c = check(
        r#"Error: short-name "demo/app:1.0" did not resolve to an alias and no unqualified-search registries are defined in "/etc/containers/registries.conf""#,
        ErrorClass::InvalidReference,
        PullStep::Unknown,
    );
    assert_eq!(c.rule, "ref.short-name");
    assert_eq!(c.image.as_deref(), Some("demo/app:1.0"));
    assert!(c.rules_in.iter().any(|r| r.contains("unqualified-search-registries")), "{:?}", c.rules_in);
    // 'short-name resolution' contains 'name resolution': it must not read as a DNS failure
    check("Error: short-name resolution enforced but cannot prompt without a TTY", ErrorClass::InvalidReference, PullStep::Unknown);
    let c = check(
        r#"Failed to pull image "nginx": short name mode is enforcing, but image name nginx:latest returns ambiguous list"#,
        ErrorClass::InvalidReference,
        PullStep::Unknown,
    );
    assert_eq!(c.image.as_deref(), Some("nginx"));
    assert_eq!(c.host, None, "a short name has no registry to blame");
}

#[test]
fn a_missing_blob_is_not_found_at_the_blob_step() {
    // skopeo 1.9.3 against docker-registry 2.8.2 after the layer's data file was deleted
    let c = check(
        "reading blob sha256:5a68580da96bf0a5ef34abc84aed6277241019e66a229cd2d7c9fe7f599ba779: Error fetching blob: invalid status code from registry 404 (Not Found)",
        ErrorClass::ImageNotFound,
        PullStep::Blob,
    );
    assert_eq!(c.rule, "notfound.blob");
    assert_eq!(c.http_status, Some(404));
    assert!(c.rules_out.iter().any(|r| r.contains("manifest was found")), "{:?}", c.rules_out);
    check(
        r#"failed to copy: httpReadSeeker: failed open: content at https://r.example/v2/a/blobs/sha256:0123 not found: not found"#,
        ErrorClass::ImageNotFound,
        PullStep::Blob,
    );
    // Docker 1.x: the 'Server error' is a 404 on a layer, not a server error
    check(
        "Error pulling image (latest) from acme/app, Server error: Status 404 while fetching image layer (9723)",
        ErrorClass::ImageNotFound,
        PullStep::Blob,
    );
    // the ECS agent's not-found forms
    check("CannotPullContainerError: Error: image acme/app:1.0 not found", ErrorClass::ImageNotFound, PullStep::Manifest);
    check("CannotPullContainerError: Tag 1.0 not found in repository docker.io/acme/app", ErrorClass::ImageNotFound, PullStep::Manifest);
}
