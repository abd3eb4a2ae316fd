//! Step 3, tls: the handshake on each connection step 2 opened, verified against the system roots
//! and the runtime's per-registry CAs, the certificate described also when it fails.

use chrono::Utc;

use super::request::OpenError;
use super::{Planned, Run};
use crate::report::*;

impl Run<'_> {
    pub(super) fn ca_registry(&self, role: HostRole) -> Option<String> {
        matches!(role, HostRole::Registry | HostRole::Layer | HostRole::TokenRealm).then(|| self.target.registry.clone())
    }

    pub(super) fn handshakes(&mut self, planned: &[Planned]) -> Step {
        let mut step = Step::new(StepName::Tls);
        let deadline = self.deadline();
        for host in planned {
            if host.url.scheme != "https" {
                step.summary.push(format!("{} ({}): plain {}, no TLS", host.url.host, host.role.describe(), host.url.scheme));
                continue;
            }
            let Some((tcp, address)) = self.ready.remove(&host.url.authority()) else { continue };
            let ca_registry = self.ca_registry(host.role);
            let (record, stream) = self.tls.handshake(tcp, &host.url.host, host.role, ca_registry.as_deref(), address, deadline);
            step.summary.push(handshake_line(&record, self.tls.n_system_roots()));
            if let Some(error) = &record.error
                && step.failure.is_none()
            {
                step.failure = Some(self.failure(self.context(host.role, &host.url), &OpenError::new(error.clone())));
            }
            if let Some(stream) = stream
                && host.role == HostRole::Registry
            {
                self.pool.insert(format!("https://{}", host.url.authority()), stream);
            }
            step.handshakes.push(record);
        }
        step
    }
}

pub(super) fn handshake_line(record: &Handshake, n_system_roots: usize) -> String {
    let mut line = format!("{} ({}): ", record.host, record.role.describe());
    let outcome = match record.outcome {
        TlsOutcome::Verified => format!("{} verified", record.protocol.as_deref().unwrap_or("TLS")),
        TlsOutcome::Expired => "certificate EXPIRED".into(),
        TlsOutcome::NotYetValid => "certificate NOT YET VALID".into(),
        TlsOutcome::WrongName => "certificate for ANOTHER NAME".into(),
        TlsOutcome::Untrusted => "certificate from an UNTRUSTED CA".into(),
        TlsOutcome::NotTls => "the server speaks plain HTTP".into(),
        TlsOutcome::Timeout => "handshake timed out".into(),
        TlsOutcome::Failed => format!("handshake failed ({})", record.error.as_deref().unwrap_or("?")),
    };
    line.push_str(&outcome);
    if let Some(certificate) = &record.certificate {
        let until = certificate.not_after.map(|t| {
            let days = (t - Utc::now()).num_days();
            format!(
                ", valid until {} ({})",
                t.format("%Y-%m-%d %H:%M"),
                if days >= 0 { format!("{days} d left") } else { format!("{} d ago", -days) }
            )
        });
        line.push_str(&format!(
            "; {} issued by {}{}; names {}",
            certificate.subject,
            certificate.issuer,
            until.unwrap_or_default(),
            if certificate.names.is_empty() { "none".to_string() } else { certificate.names.join(", ") }
        ));
    }
    // the CA files by their last two components (`REGISTRY/ca.crt`); the JSON has the full paths
    let short: Vec<String> = record
        .ca_files
        .iter()
        .map(|file| {
            let parts: Vec<&str> = file.rsplit('/').take(2).collect();
            parts.into_iter().rev().collect::<Vec<_>>().join("/")
        })
        .collect();
    let trust = if short.is_empty() {
        format!("; trusted: {n_system_roots} system roots")
    } else {
        format!("; trusted: {n_system_roots} system roots + certs.d {}", short.join(", "))
    };
    line.push_str(&trust);
    line
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    #[test]
    fn handshake_lines_name_the_trouble() {
        let record = Handshake {
            host: "registry.lab.test".into(),
            role: HostRole::Registry,
            address: "10.204.0.10:443".parse().unwrap(),
            sni: Some("registry.lab.test".into()),
            outcome: TlsOutcome::Expired,
            protocol: None,
            certificate: Some(crate::x509::CertificateInfo {
                subject: "CN=registry.lab.test".into(),
                issuer: "CN=lab CA".into(),
                not_before: None,
                not_after: Some(Utc::now() - chrono::Duration::days(3)),
                names: vec!["registry.lab.test".into()],
            }),
            ca_files: vec!["/etc/containers/certs.d/registry.lab.test/ca.crt".into()],
            duration_ms: 4,
            error: None,
        };
        let line = handshake_line(&record, 140);
        assert!(line.starts_with("registry.lab.test (registry): certificate EXPIRED; CN=registry.lab.test issued by CN=lab CA"), "{line}");
        assert!(line.contains("3 d ago") || line.contains("2 d ago"), "{line}");
        assert!(line.contains("140 system roots + certs.d registry.lab.test/ca.crt"), "{line}");
    }
}
