//! What one probe saw of one host, and of the steps after the network: reduced to the few
//! outcomes a cause can be judged by, each with the words that say it.

use pulldoctor_model::ProbeRun;
use pulldoctor_model::probe::{ConnectOutcome, ProbeConnection, StepName, StepStatus};

/// The probe's attempt to reach a host directly (not through a proxy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostSeen {
    /// A TCP connection was made.
    Reached(String),
    /// Packets went out and nothing came back in time, or the node had no route.
    Blocked(String),
    /// Something answered with a reset.
    Refused(String),
    /// The name did not resolve.
    NotResolved(String),
    /// The host was reached through a proxy: the node's own path to it was not tried.
    ThroughProxy(String),
    /// The probe never tried it (an earlier step failed, or the pull does not need it).
    NotTried,
}

/// `10 s`, `2.5 s`, `3 ms`.
pub fn duration(ms: u64) -> String {
    if ms >= 10_000 {
        format!("{} s", (ms + 500) / 1000)
    } else if ms >= 1000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{ms} ms")
    }
}

fn connect_words(c: &ProbeConnection) -> String {
    let how = match c.outcome {
        ConnectOutcome::Connected => format!("connected in {}", duration(c.duration_ms)),
        ConnectOutcome::Timeout => format!("timed out after {}", duration(c.duration_ms)),
        ConnectOutcome::NetworkUnreachable => "failed: network is unreachable (no route on the node)".to_string(),
        ConnectOutcome::HostUnreachable => "failed: no route to host".to_string(),
        ConnectOutcome::Refused => format!("was refused after {}", duration(c.duration_ms)),
        ConnectOutcome::ProxyRefused => "was refused by the proxy".to_string(),
        ConnectOutcome::Error => format!("failed ({})", c.error.as_deref().unwrap_or("error")),
    };
    format!("TCP connect to {} ({}) {how}", c.address, c.role.describe())
}

/// What `run` saw of `host`: the best outcome among its direct connections (one that connected
/// wins: the host is reachable), else the first failure.
pub fn host(run: &ProbeRun, host: &str) -> HostSeen {
    let mine = |name: &str| name.eq_ignore_ascii_case(host);
    let direct: Vec<&ProbeConnection> = run.connections.iter().filter(|c| mine(&c.host) && c.via.is_none()).collect();
    if let Some(connected) = direct.iter().find(|c| c.outcome == ConnectOutcome::Connected) {
        return HostSeen::Reached(connect_words(connected));
    }
    if let Some(blocked) = direct.iter().find(|c| c.outcome.is_blocked()) {
        return HostSeen::Blocked(connect_words(blocked));
    }
    if let Some(refused) = direct.iter().find(|c| c.outcome == ConnectOutcome::Refused) {
        return HostSeen::Refused(connect_words(refused));
    }
    if let Some(proxied) = run.connections.iter().find(|c| mine(&c.host) && c.via.is_some()) {
        return HostSeen::ThroughProxy(format!("{host} went through the proxy {}", proxied.via.as_deref().unwrap_or("?")));
    }
    if let Some(lookup) = run.lookups.iter().find(|l| mine(&l.host) && l.addresses.is_empty()) {
        let message = run.failure.as_ref().filter(|f| f.step == StepName::Resolve).map(|f| f.message.as_str());
        return HostSeen::NotResolved(match message {
            Some(message) => format!("{} did not resolve: {message}", lookup.host),
            None => format!("{} did not resolve", lookup.host),
        });
    }
    HostSeen::NotTried
}

/// How far the pull got, in words: `every step passed in 412 ms`, or the failed step, its class
/// and the runtime's text.
pub fn outcome(run: &ProbeRun) -> String {
    match &run.failure {
        None => {
            let total: u64 = run.steps.iter().map(|s| s.duration_ms).sum();
            let last = run.steps.iter().rev().find(|s| s.status == StepStatus::Passed).map(|s| s.name.as_str()).unwrap_or("none");
            format!("every step passed (through {last}) in {}", duration(total))
        }
        Some(failure) => format!("failed at {} ({}): {}", failure.step.as_str(), failure.class, failure.message),
    }
}

/// The probe's failure, when it failed at one of `steps` with one of `classes`.
pub fn failed_with(run: &ProbeRun, steps: &[StepName], classes: &[&str]) -> Option<String> {
    run.failure
        .as_ref()
        .filter(|f| steps.contains(&f.step) && classes.contains(&f.class.as_str()))
        .map(|f| format!("failed at {} ({}): {}", f.step.as_str(), f.class, f.message))
}

impl HostSeen {
    /// The words, for an outcome that has some.
    pub fn words(&self) -> Option<&str> {
        match self {
            HostSeen::Reached(w) | HostSeen::Blocked(w) | HostSeen::Refused(w) | HostSeen::NotResolved(w) | HostSeen::ThroughProxy(w) => {
                Some(w)
            }
            HostSeen::NotTried => None,
        }
    }

    /// One word for the outcome: `connected`, `timed out`, ...
    pub fn short(&self) -> &'static str {
        match self {
            HostSeen::Reached(_) => "connected",
            HostSeen::Blocked(_) => "no answer",
            HostSeen::Refused(_) => "refused",
            HostSeen::NotResolved(_) => "not resolved",
            HostSeen::ThroughProxy(_) => "through the proxy",
            HostSeen::NotTried => "not tried",
        }
    }
}

/// What the host is for in `run`'s pull (`registry`, `ECR API`, `layer store`), from its records.
pub fn role_of(run: &ProbeRun, host: &str) -> String {
    run.connections
        .iter()
        .find(|c| c.host.eq_ignore_ascii_case(host))
        .map(|c| c.role.describe().to_string())
        .or_else(|| run.lookups.iter().find(|l| l.host.eq_ignore_ascii_case(host)).map(|l| l.role.describe().to_string()))
        .unwrap_or_else(|| host.to_string())
}
