//! Step 2, connect: TCP to every address of every planned host, or through the proxy's CONNECT.

use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

use super::request::OpenError;
use super::text::ms;
use super::{Planned, Run};
use crate::net;
use crate::proxy::ProxyChoice;
use crate::report::*;

/// One host's connection attempts, each with its stream when it connected.
type Dialled = Vec<(Connection, Option<TcpStream>)>;

impl Run<'_> {
    pub(super) fn connect(&mut self, planned: &[Planned]) -> Step {
        let mut step = Step::new(StepName::Connect);
        let deadline = self.deadline();
        // Every direct host at once, each with the whole step's time: a registry that times out
        // must not leave the ECR API and the layer store no time to be tried in.
        let mut wanted: Vec<Option<Vec<SocketAddr>>> = Vec::new();
        for host in planned {
            wanted.push(match self.proxy.choose(&host.url.scheme, &host.url.host, host.url.port) {
                ProxyChoice::Direct { .. } => {
                    let lookup = self.lookup(&mut step, &host.url.host, host.role, deadline);
                    Some(lookup.ips().into_iter().map(|ip| SocketAddr::new(ip, host.url.port)).collect())
                }
                ProxyChoice::Proxy { .. } => None,
            });
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let mut dialled: Vec<Option<Dialled>> = std::thread::scope(|scope| {
            let handles: Vec<_> = planned
                .iter()
                .zip(&wanted)
                .map(|(host, addresses)| {
                    addresses.as_ref().map(|addresses| scope.spawn(move || net::connect_all(&host.url.host, host.role, addresses, left)))
                })
                .collect();
            handles.into_iter().map(|handle| handle.map(|h| h.join().unwrap_or_default())).collect()
        });
        for (position, host) in planned.iter().enumerate() {
            let key = host.url.authority();
            match self.proxy.choose(&host.url.scheme, &host.url.host, host.url.port) {
                ProxyChoice::Direct { .. } => {
                    let addresses = wanted[position].clone().unwrap_or_default();
                    let results = dialled[position].take().unwrap_or_default();
                    let n_ok = results.iter().filter(|(_, tcp)| tcp.is_some()).count();
                    let mut parts = Vec::new();
                    for (record, tcp) in results {
                        parts.push(match &record.error {
                            None => format!("{} connected in {}", record.address, ms(record.duration_ms)),
                            Some(error) => format!("{} {} ({error})", record.address, outcome_words(record.outcome, record.duration_ms)),
                        });
                        if let Some(tcp) = tcp
                            && !self.ready.contains_key(&key)
                        {
                            self.ready.insert(key.clone(), (tcp, record.address));
                        }
                        step.connections.push(record);
                    }
                    let of = if addresses.len() > 1 { format!(" ({n_ok} of {} addresses)", addresses.len()) } else { String::new() };
                    step.summary.push(format!("{} ({}){of}: {}", host.url.host, host.role.describe(), parts.join("; ")));
                    if n_ok == 0 && step.failure.is_none() {
                        let error = step
                            .connections
                            .iter()
                            .find(|c| c.host == host.url.host && c.error.is_some())
                            .and_then(|c| c.error.clone())
                            .unwrap_or_else(|| format!("dial tcp: lookup {}: no such host", host.url.host));
                        step.failure = Some(self.failure(self.context(host.role, &host.url), &OpenError::new(error)));
                    }
                }
                ProxyChoice::Proxy { url: proxy, .. } => match self.through_proxy(&mut step, &proxy, &host.url, host.role, deadline) {
                    Ok((tcp, address)) => {
                        step.summary.push(format!(
                            "{} ({}): through the proxy {} at {address}: {}",
                            host.url.host,
                            host.role.describe(),
                            proxy.authority(),
                            if host.url.scheme == "https" { "CONNECT answered 200" } else { "connected" }
                        ));
                        self.ready.insert(key, (tcp, address));
                    }
                    Err(error) => {
                        step.summary.push(format!(
                            "{} ({}): through the proxy {}: {}",
                            host.url.host,
                            host.role.describe(),
                            proxy.authority(),
                            error.text
                        ));
                        if step.failure.is_none() {
                            step.failure = Some(self.failure(self.context(host.role, &host.url), &error));
                        }
                    }
                },
            }
        }
        step
    }
}

pub(super) fn outcome_words(outcome: ConnectOutcome, duration_ms: u64) -> String {
    match outcome {
        ConnectOutcome::Connected => "connected".into(),
        ConnectOutcome::Timeout => format!("timed out after {}", ms(duration_ms)),
        ConnectOutcome::Refused => "refused".into(),
        ConnectOutcome::NetworkUnreachable => "unreachable: no route".into(),
        ConnectOutcome::HostUnreachable => "host unreachable".into(),
        ConnectOutcome::ProxyRefused => "refused by the proxy".into(),
        ConnectOutcome::Error => "failed".into(),
    }
}
