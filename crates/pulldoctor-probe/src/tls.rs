//! The TLS handshake, verified as the runtime verifies it, with the certificate kept for the report.
//!
//! Trust is the system roots (`rustls-native-certs`: `SSL_CERT_FILE` / `SSL_CERT_DIR`, else the
//! distribution's bundle, as Go reads them) plus, for the registry and hosts reached through it
//! (its layer store and token service), the per-registry CAs the runtimes read: `*.crt` in
//! `/etc/containerd/certs.d/REGISTRY/` and `/etc/containers/certs.d/REGISTRY/` (`REGISTRY` is
//! `host[:port]` as the image names it). The ECR API is reached by the kubelet's credential
//! provider, an AWS SDK client: system roots only.
//!
//! A recording verifier wraps webpki's, so the certificate is read (issuer, validity, names) also
//! when it fails, and the failure is named: expired, not yet valid, wrong name, untrusted.
//! Known limit: containerd's `hosts.toml` (`ca = ...`) is not read, only `*.crt` files.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::Utc;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::net::{Stream, set_deadline};
use crate::report::{Handshake, HostRole, TlsOutcome};
use crate::x509;

/// The directories the runtimes read per-registry CAs from.
pub const DEFAULT_CERTS_DIRS: [&str; 2] = ["/etc/containerd/certs.d", "/etc/containers/certs.d"];

/// Trust material, loaded once per probe.
pub struct TlsContext {
    provider: Arc<rustls::crypto::CryptoProvider>,
    system: Vec<CertificateDer<'static>>,
    /// Problems reading the system store (shown as notes).
    pub system_errors: Vec<String>,
    certs_dirs: Vec<PathBuf>,
}

impl TlsContext {
    /// Loads the system roots; `certs_dirs` are searched for per-registry CAs.
    pub fn load(certs_dirs: Vec<PathBuf>) -> TlsContext {
        let native = rustls_native_certs::load_native_certs();
        TlsContext {
            provider: Arc::new(rustls::crypto::ring::default_provider()),
            system: native.certs,
            system_errors: native.errors.iter().map(|e| e.to_string()).collect(),
            certs_dirs,
        }
    }

    /// How many system roots were found.
    pub fn n_system_roots(&self) -> usize {
        self.system.len()
    }

    /// The `*.crt` files for `registry` (`host[:port]`), in directory order, then name order.
    pub fn ca_files(&self, registry: &str) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for dir in &self.certs_dirs {
            let Ok(entries) = std::fs::read_dir(dir.join(registry)) else { continue };
            let mut files: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "crt")).collect();
            files.sort();
            out.extend(files);
        }
        out
    }

    /// Handshakes on `tcp` for `host`; `ca_registry` names the registry whose CAs apply (none
    /// for the ECR API). `address` is what `tcp` is connected to (for the report).
    pub fn handshake(
        &self,
        tcp: TcpStream,
        host: &str,
        role: HostRole,
        ca_registry: Option<&str>,
        address: SocketAddr,
        deadline: Instant,
    ) -> (Handshake, Option<Stream>) {
        let started = Instant::now();
        let ca_files = ca_registry.map(|r| self.ca_files(r)).unwrap_or_default();
        let mut record = Handshake {
            host: host.to_string(),
            role,
            address,
            sni: None,
            outcome: TlsOutcome::Failed,
            protocol: None,
            certificate: None,
            ca_files: ca_files.iter().map(|p| p.display().to_string()).collect(),
            duration_ms: 0,
            error: None,
        };
        let result = self.run(tcp, host, &ca_files, deadline, &mut record);
        record.duration_ms = started.elapsed().as_millis() as u64;
        match result {
            Ok(stream) => {
                record.outcome = TlsOutcome::Verified;
                (record, Some(stream))
            }
            Err((outcome, text)) => {
                record.outcome = outcome;
                record.error = Some(text);
                (record, None)
            }
        }
    }

    fn run(
        &self,
        mut tcp: TcpStream,
        host: &str,
        ca_files: &[PathBuf],
        deadline: Instant,
        record: &mut Handshake,
    ) -> Result<Stream, (TlsOutcome, String)> {
        let mut roots = RootCertStore::empty();
        roots.add_parsable_certificates(self.system.iter().cloned());
        for file in ca_files {
            roots.add_parsable_certificates(read_pem(file));
        }
        if roots.is_empty() {
            return Err((
                TlsOutcome::Untrusted,
                "tls: failed to verify certificate: x509: certificate signed by unknown authority (no trusted CA found: the system store is empty and no per-registry CA is set)".into(),
            ));
        }
        let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
            .build()
            .map_err(|e| (TlsOutcome::Failed, format!("tls: {e}")))?;
        let recorder = Arc::new(Recorder { inner, seen: Mutex::new(None) });
        let config = rustls::ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| (TlsOutcome::Failed, format!("tls: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(recorder.clone())
            .with_no_client_auth();
        let server_name = ServerName::try_from(host.to_string()).map_err(|e| (TlsOutcome::Failed, format!("tls: {e}")))?;
        if matches!(server_name, ServerName::DnsName(_)) {
            record.sni = Some(host.to_string());
        }
        let mut connection =
            rustls::ClientConnection::new(Arc::new(config), server_name).map_err(|e| (TlsOutcome::Failed, format!("tls: {e}")))?;
        set_deadline(&tcp, deadline).map_err(|e| (TlsOutcome::Failed, e.to_string()))?;
        let mut outcome = Ok(());
        while connection.is_handshaking() {
            if let Err(error) = connection.complete_io(&mut tcp) {
                outcome = Err(error);
                break;
            }
        }
        let seen = recorder.seen.lock().map(|mut s| s.take()).unwrap_or(None);
        let certificate = seen.as_ref().and_then(|(der, _)| x509::parse(der));
        record.certificate = certificate.clone();
        match outcome {
            Ok(()) => {
                record.protocol = connection.protocol_version().map(|v| format!("{v:?}"));
                Ok(Stream::Tls(Box::new(rustls::StreamOwned::new(connection, tcp))))
            }
            Err(error) => {
                let tls_error =
                    seen.and_then(|(_, e)| e).or_else(|| error.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()).cloned());
                Err(describe(tls_error, &error, host, certificate.as_ref()))
            }
        }
    }
}

fn read_pem(path: &Path) -> Vec<CertificateDer<'static>> {
    std::fs::read(path).map(|bytes| CertificateDer::pem_slice_iter(&bytes).filter_map(Result::ok).collect()).unwrap_or_default()
}

/// The outcome and Go's text for a failed handshake.
fn describe(
    tls_error: Option<rustls::Error>,
    io_error: &std::io::Error,
    host: &str,
    certificate: Option<&x509::CertificateInfo>,
) -> (TlsOutcome, String) {
    let verify = "tls: failed to verify certificate: x509:";
    let now = Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    let at = |t: Option<chrono::DateTime<Utc>>| t.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_else(|| "?".into());
    match tls_error {
        Some(rustls::Error::InvalidCertificate(error)) => match error {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => (
                TlsOutcome::Expired,
                format!(
                    "{verify} certificate has expired or is not yet valid: current time {now} is after {}",
                    at(certificate.and_then(|c| c.not_after))
                ),
            ),
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => (
                TlsOutcome::NotYetValid,
                format!(
                    "{verify} certificate has expired or is not yet valid: current time {now} is before {}",
                    at(certificate.and_then(|c| c.not_before))
                ),
            ),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                let names = certificate.map(|c| c.names.join(", ")).unwrap_or_default();
                let text = if names.is_empty() {
                    format!("{verify} certificate is not valid for any names, but wanted to match {host}")
                } else {
                    format!("{verify} certificate is valid for {names}, not {host}")
                };
                (TlsOutcome::WrongName, text)
            }
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                (TlsOutcome::Untrusted, format!("{verify} certificate signed by unknown authority"))
            }
            other => (TlsOutcome::Failed, format!("{verify} {other:?}")),
        },
        Some(rustls::Error::InvalidMessage(_)) | Some(rustls::Error::InappropriateMessage { .. }) => {
            (TlsOutcome::NotTls, "http: server gave HTTP response to HTTPS client".into())
        }
        Some(rustls::Error::AlertReceived(alert)) => {
            (TlsOutcome::Failed, format!("remote error: tls: {}", format!("{alert:?}").to_lowercase()))
        }
        Some(other) => (TlsOutcome::Failed, format!("tls: {other}")),
        None => match io_error.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                (TlsOutcome::Timeout, "net/http: TLS handshake timeout".into())
            }
            std::io::ErrorKind::UnexpectedEof => (TlsOutcome::Failed, "EOF".into()),
            std::io::ErrorKind::ConnectionReset => (TlsOutcome::Failed, "read: connection reset by peer".into()),
            _ => (TlsOutcome::Failed, format!("tls: {io_error}")),
        },
    }
}

/// webpki's verifier, keeping the end-entity certificate and the verdict.
#[derive(Debug)]
struct Recorder {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    seen: Mutex<Option<(Vec<u8>, Option<rustls::Error>)>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some((end_entity.to_vec(), result.as_ref().err().cloned()));
        }
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulldoctor_classify::{ErrorClass, classify};

    #[test]
    fn failures_are_named_and_classified_as_tls() {
        let certificate = x509::CertificateInfo {
            subject: "CN=registry.lab.test".into(),
            issuer: "CN=lab CA".into(),
            not_before: None,
            not_after: Some(Utc::now() - chrono::Duration::days(1)),
            names: vec!["registry.lab.test".into(), "*.lab.test".into()],
        };
        let io = std::io::Error::other("handshake failed");
        let cases = [
            (CertificateError::Expired, TlsOutcome::Expired, "certificate has expired"),
            (
                CertificateError::NotValidForName,
                TlsOutcome::WrongName,
                "certificate is valid for registry.lab.test, *.lab.test, not other.test",
            ),
            (CertificateError::UnknownIssuer, TlsOutcome::Untrusted, "certificate signed by unknown authority"),
        ];
        for (error, outcome, text) in cases {
            let (got, message) = describe(Some(rustls::Error::InvalidCertificate(error)), &io, "other.test", Some(&certificate));
            assert_eq!(got, outcome);
            assert!(message.contains(text), "{message}");
            let runtime = format!("pinging container registry other.test: Get \"https://other.test/v2/\": {message}");
            assert_eq!(classify(&runtime).class, ErrorClass::Tls, "{runtime}");
        }
        let timeout = std::io::Error::from(std::io::ErrorKind::WouldBlock);
        let (outcome, message) = describe(None, &timeout, "h", None);
        assert_eq!(outcome, TlsOutcome::Timeout);
        assert_eq!(classify(&format!("Get \"https://h/v2/\": {message}")).class, ErrorClass::NetworkTimeout);
        let plain = describe(Some(rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)), &io, "h", None);
        assert_eq!(plain.0, TlsOutcome::NotTls);
        assert_eq!(classify(&plain.1).class, ErrorClass::Tls);
    }

    #[test]
    fn finds_per_registry_cas() {
        let dir = tempfile::tempdir().unwrap();
        let registry = dir.path().join("registry.lab.test:5000");
        std::fs::create_dir_all(&registry).unwrap();
        std::fs::write(registry.join("ca.crt"), include_str!("../tests/data/leaf.pem")).unwrap();
        std::fs::write(registry.join("client.cert"), "not a CA").unwrap();
        let context =
            TlsContext { certs_dirs: vec![dir.path().to_path_buf(), PathBuf::from("/nonexistent")], ..TlsContext::load(Vec::new()) };
        let files = context.ca_files("registry.lab.test:5000");
        assert_eq!(files, vec![registry.join("ca.crt")]);
        assert_eq!(read_pem(&files[0]).len(), 1);
        assert!(context.ca_files("registry.lab.test").is_empty(), "the port is part of the directory name");
    }
}
