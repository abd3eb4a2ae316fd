//! The probe end to end against an in-process registry that speaks the Bearer token flow
//! (Docker Hub, Quay, GHCR do; the lab's docker-registry speaks Basic): TLS with a test CA from a
//! certs.d directory, `/v2/` answering 401 Bearer, a token service checking Basic credentials,
//! a manifest, and a blob redirected to another host name that must not see the credentials.
//!
//! The key in tests/data is a test key made for this test (`localhost`, 127.0.0.1), nothing else.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use pulldoctor_probe::aws::AwsEnv;
use pulldoctor_probe::dockerconfig;
use pulldoctor_probe::proxy::ProxyEnv;
use pulldoctor_probe::{Config, ProbeReport, PullSecret, StepName, StepStatus, Verdict};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

const TOKEN: &str = "fake-bearer-token-0123";
const MANIFEST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:c0","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:1a","size":5000}]}"#;

struct Request {
    method: String,
    path: String,
    authorization: Option<String>,
}

fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut authorization = None;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("authorization")
        {
            authorization = Some(value.trim().to_string());
        }
    }
    Some(Request { method, path, authorization })
}

fn respond(stream: &mut impl Write, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
}

/// Status line, headers and body of an answer.
type Answer = (String, Vec<(&'static str, String)>, Vec<u8>);

/// Serves one connection; `handle` answers each request.
fn serve<S: Read + Write>(stream: S, handle: &(dyn Fn(&Request) -> Answer + Sync)) {
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        let (status, headers, body) = handle(&request);
        respond(reader.get_mut(), &status, &headers, &body);
    }
}

struct Fake {
    registry_port: u16,
    token_port: u16,
    certs: tempfile::TempDir,
    hosts: PathBuf,
}

/// Starts the registry (TLS) and the token service (plain HTTP) on loopback; they live as long as
/// the test process.
fn start(password: &'static str) -> Fake {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let chain = vec![CertificateDer::from_pem_file(data.join("localhost.pem")).unwrap()];
    let key = PrivateKeyDer::from_pem_file(data.join("localhost.key")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap(),
    );
    let registry = TcpListener::bind("127.0.0.1:0").unwrap();
    let tokens = TcpListener::bind("127.0.0.1:0").unwrap();
    let (registry_port, token_port) = (registry.local_addr().unwrap().port(), tokens.local_addr().unwrap().port());

    std::thread::spawn(move || {
        for stream in tokens.incoming().flatten() {
            std::thread::spawn(move || {
                let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("puller:{password}")));
                serve(stream, &|request| {
                    let scope_ok = request.path.contains("scope=repository%3Ademo%2Fapp%3Apull") && request.path.contains("service=fake");
                    if request.authorization.as_deref() == Some(expected.as_str()) && scope_ok {
                        let body = format!(r#"{{"token":"{TOKEN}","expires_in":300}}"#);
                        ("200 OK".into(), vec![("Content-Type", "application/json".into())], body.into_bytes())
                    } else {
                        let body = br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#.to_vec();
                        ("401 Unauthorized".into(), vec![], body)
                    }
                });
            });
        }
    });
    std::thread::spawn(move || {
        for tcp in registry.incoming().flatten() {
            let server = server.clone();
            std::thread::spawn(move || {
                let Ok(connection) = rustls::ServerConnection::new(server) else { return };
                let stream = rustls::StreamOwned::new(connection, tcp);
                serve(stream, &|request| {
                    let bearer = request.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"));
                    let challenge =
                        format!("Bearer realm=\"http://127.0.0.1:{token_port}/token\",service=\"fake\",scope=\"repository:demo/app:pull\"");
                    match (request.method.as_str(), request.path.as_str()) {
                        // the layer store, reached under another name: it must not get the token
                        (_, path) if path.starts_with("/layers/") => {
                            if request.authorization.is_some() {
                                ("400 Bad Request".into(), vec![], b"credentials sent to the layer store".to_vec())
                            } else {
                                ("206 Partial Content".into(), vec![], vec![0x1f; 1024])
                            }
                        }
                        _ if !bearer => ("401 Unauthorized".into(), vec![("WWW-Authenticate", challenge)], b"{}".to_vec()),
                        ("GET", "/v2/") => {
                            ("200 OK".into(), vec![("Docker-Distribution-API-Version", "registry/2.0".into())], b"{}".to_vec())
                        }
                        ("GET", "/v2/demo/app/manifests/1.0") => (
                            "200 OK".into(),
                            vec![("Content-Type", "application/vnd.oci.image.manifest.v1+json".into())],
                            MANIFEST.as_bytes().to_vec(),
                        ),
                        ("GET", "/v2/demo/app/blobs/sha256:1a") => (
                            "307 Temporary Redirect".into(),
                            vec![("Location", format!("https://localhost:{registry_port}/layers/1a?X-Amz-Signature=s3cr3t"))],
                            Vec::new(),
                        ),
                        _ => (
                            "404 Not Found".into(),
                            vec![],
                            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#.to_vec(),
                        ),
                    }
                });
            });
        }
    });

    let certs = tempfile::tempdir().unwrap();
    let dir = certs.path().join(format!("127.0.0.1:{registry_port}"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(data.join("ca.pem"), dir.join("ca.crt")).unwrap();
    let hosts = certs.path().join("hosts");
    std::fs::write(&hosts, "127.0.0.1 localhost\n").unwrap();
    Fake { registry_port, token_port, certs, hosts }
}

fn probe(fake: &Fake, image: &str, password: &str) -> ProbeReport {
    let secret = format!(
        r#"{{"auths":{{"127.0.0.1:{}":{{"auth":"{}"}}}}}}"#,
        fake.registry_port,
        base64::engine::general_purpose::STANDARD.encode(format!("puller:{password}"))
    );
    let config = Config {
        input: image.to_string(),
        platform: None,
        timeout: Duration::from_secs(5),
        pull_secret: Some(PullSecret { file: "secret.json".into(), credentials: dockerconfig::parse(secret.as_bytes()).unwrap() }),
        certs_dirs: vec![fake.certs.path().to_path_buf()],
        proxy: ProxyEnv::default(),
        aws: AwsEnv::default(),
        resolv_conf: PathBuf::from("/nonexistent/resolv.conf"),
        hosts_file: fake.hosts.clone(),
        placement: Default::default(),
    };
    pulldoctor_probe::probe(&config).unwrap()
}

fn step(report: &ProbeReport, name: StepName) -> &pulldoctor_probe::Step {
    report.steps.iter().find(|s| s.name == name).unwrap()
}

#[test]
fn bearer_flow_end_to_end() {
    let fake = start("correct-horse");
    let image = format!("127.0.0.1:{}/demo/app:1.0", fake.registry_port);
    let report = probe(&fake, &image, "correct-horse");
    let json = serde_json::to_string_pretty(&report).unwrap();
    assert_eq!(report.result, Verdict::Passed, "{json}");
    let credentials = step(&report, StepName::Credentials).credentials.clone().unwrap();
    assert_eq!(credentials.scheme, "bearer");
    assert_eq!(credentials.realm.as_deref(), Some(format!("http://127.0.0.1:{}/token", fake.token_port).as_str()));
    let lifetime = credentials.token_expires_at.unwrap() - chrono::Utc::now();
    assert!((290..=300).contains(&lifetime.num_seconds()), "{lifetime}");
    let blob = step(&report, StepName::Blob).blob.clone().unwrap();
    assert_eq!((blob.redirected_to.as_deref(), blob.status, blob.bytes), (Some("localhost"), Some(206), 1024));
    // the TLS step used the registry's certs.d CA; the redirect's new name was resolved from /etc/hosts
    let handshake = &step(&report, StepName::Tls).handshakes[0];
    assert!(handshake.ca_files[0].ends_with("ca.crt") && handshake.sni.is_none(), "no SNI for an IP address");
    assert_eq!(step(&report, StepName::Blob).lookups[0].lookup.source, pulldoctor_probe::dns::LookupSource::HostsFile);
    for secret in [TOKEN, "correct-horse", "X-Amz-Signature", "s3cr3t"] {
        assert!(!json.contains(secret), "the report shows `{secret}`");
    }
}

#[test]
fn a_refused_token_request_is_classified_like_containers_image_reports_it() {
    let fake = start("correct-horse");
    let image = format!("127.0.0.1:{}/demo/app:1.0", fake.registry_port);
    let report = probe(&fake, &image, "wrong");
    assert_eq!(report.failed_step, Some(StepName::Credentials));
    let failure = step(&report, StepName::Credentials).failure.clone().unwrap();
    assert_eq!(failure.class, pulldoctor_classify::ErrorClass::AuthDenied, "{failure:?}");
    assert!(failure.message.contains("unable to retrieve auth token: invalid username/password: unauthorized"), "{}", failure.message);
    assert!(report.steps[5..].iter().all(|s| s.status == StepStatus::Skipped));
}

#[test]
fn a_missing_tag_fails_the_manifest_step() {
    let fake = start("correct-horse");
    let report = probe(&fake, &format!("127.0.0.1:{}/demo/app:v9", fake.registry_port), "correct-horse");
    assert_eq!(report.failed_step, Some(StepName::Manifest));
    let failure = step(&report, StepName::Manifest).failure.clone().unwrap();
    assert_eq!(failure.class, pulldoctor_classify::ErrorClass::ImageNotFound);
    assert_eq!(step(&report, StepName::Blob).skipped_because.as_deref(), Some("manifest failed"));
}
