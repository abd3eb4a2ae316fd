//! Step 1, resolve: the registry, the ECR API and layer hosts (or the proxy), each asked of the
//! resolv.conf servers directly so the summary names the server that answered.

use super::request::OpenError;
use super::{Planned, Run};
use crate::dns::{self, Lookup, LookupSource};
use crate::proxy::ProxyChoice;
use crate::report::*;

impl Run<'_> {
    pub(super) fn lookup_line(&self, role: HostRole, lookup: &Lookup) -> String {
        let mut line = format!("{} ({}): ", lookup.host, role.describe());
        let failed_first: Vec<String> = lookup
            .attempts
            .iter()
            .filter(|a| {
                a.record == "A" && !matches!(a.outcome, dns::DnsOutcome::Answered | dns::DnsOutcome::Nxdomain | dns::DnsOutcome::NoData)
            })
            .map(|a| format!("{} {}", a.server, a.outcome.describe()))
            .collect();
        if lookup.ok() {
            let addresses: Vec<String> =
                lookup.addresses.iter().map(|a| format!("{} ({})", a.ip, if a.private { "private" } else { "public" })).collect();
            line.push_str(&addresses.join(", "));
            match lookup.source {
                LookupSource::Literal => line.push_str(", an address"),
                LookupSource::HostsFile => line.push_str(&format!(" from {}", self.config.hosts_file.display())),
                LookupSource::Dns => {
                    if let Some(server) = lookup.answered_by {
                        line.push_str(&format!(" from {server}"));
                    }
                }
            }
            if !lookup.cnames.is_empty() {
                line.push_str(&format!(" via CNAME {}", lookup.cnames.join(" -> ")));
            }
            let aws_host = lookup.host.ends_with(".amazonaws.com") || lookup.host.ends_with(".amazonaws.com.cn");
            if aws_host && matches!(role, HostRole::Registry | HostRole::EcrApi | HostRole::Layer) {
                line.push_str(if lookup.addresses.iter().all(|a| a.private) {
                    "; private: a VPC interface endpoint answers for it"
                } else {
                    "; public: no interface endpoint, so the path needs a NAT or internet gateway"
                });
            }
            if !failed_first.is_empty() {
                line.push_str(&format!(" (first: {})", failed_first.join(", ")));
            }
        } else if let Some(last) = lookup.attempts.last() {
            let outcome = lookup.attempts.iter().find(|a| a.outcome == dns::DnsOutcome::Nxdomain).unwrap_or(last);
            line.push_str(&format!("{} from {}", outcome.outcome.describe(), outcome.server));
            if lookup.attempts.len() > 1 {
                let all: Vec<String> =
                    lookup.attempts.iter().map(|a| format!("{} {} {}", a.name, a.server, a.outcome.describe())).collect();
                line.push_str(&format!(" (asked: {})", all.join("; ")));
            }
        } else {
            line.push_str("not resolved: no time left");
        }
        line
    }

    // ---- 1. resolve

    pub(super) fn resolve(&mut self, planned: &[Planned]) -> Step {
        let mut step = Step::new(StepName::Resolve);
        let deadline = self.deadline();
        if self.resolv.servers.is_empty() {
            step.summary.push("no nameserver in resolv.conf".into());
        }
        for host in planned {
            match self.proxy.choose(&host.url.scheme, &host.url.host, host.url.port) {
                ProxyChoice::Direct { .. } => {
                    let lookup = self.lookup(&mut step, &host.url.host, host.role, deadline);
                    step.summary.push(self.lookup_line(host.role, &lookup));
                    if !lookup.ok() && step.failure.is_none() {
                        let error = OpenError::new(format!("dial tcp: {}", lookup.runtime_error()));
                        step.failure = Some(self.failure(self.context(host.role, &host.url), &error));
                    }
                }
                ProxyChoice::Proxy { url, source } => {
                    let lookup = self.lookup(&mut step, &url.host, HostRole::Proxy, deadline);
                    step.summary.push(format!("{}: through the proxy {} ({source}), which resolves it", host.url.host, url.authority()));
                    if !step.summary.iter().any(|l| l.starts_with(&format!("{} (proxy)", url.host))) {
                        step.summary.push(self.lookup_line(HostRole::Proxy, &lookup));
                    }
                    if !lookup.ok() && step.failure.is_none() {
                        let error = OpenError::new(format!("proxyconnect tcp: dial tcp: {}", lookup.runtime_error()));
                        step.failure = Some(self.failure(self.context(host.role, &host.url), &error));
                    }
                }
            }
        }
        step
    }
}
