//! Name resolution as the runtime does it, with each server's answer kept.
//!
//! containerd and CRI-O resolve with Go's built-in resolver: `/etc/hosts` first, then the
//! `nameserver`s of `/etc/resolv.conf` in order, the names to try built from `search` and `ndots`.
//! The probe asks those servers itself with a small DNS client (A, then AAAA; TCP when the UDP
//! answer is truncated) so that it can say which server answered, or that one refused (REFUSED),
//! failed (SERVFAIL), denied the name (NXDOMAIN), did not answer (timeout) or is not there
//! (ICMP port unreachable, `connection refused`). Go phrases the last failure as
//! `lookup HOST on SERVER: no such host` (NXDOMAIN, or no address), `server misbehaving`
//! (SERVFAIL, REFUSED), or `read udp A->SERVER: i/o timeout`: [`Lookup::runtime_error`].

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// What `/etc/resolv.conf` says, as Go's resolver reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvConf {
    /// `nameserver` lines, port 53 (Go's default `127.0.0.1:53`, `[::1]:53` when none).
    pub servers: Vec<SocketAddr>,
    /// `search` (or `domain`) suffixes.
    pub search: Vec<String>,
    /// `options ndots:N` (default 1).
    pub ndots: usize,
    /// `options timeout:N` (default 5 s).
    pub timeout: Duration,
    /// `options attempts:N` (default 2).
    pub attempts: u32,
}

impl Default for ResolvConf {
    fn default() -> Self {
        ResolvConf { servers: default_servers(), search: Vec::new(), ndots: 1, timeout: Duration::from_secs(5), attempts: 2 }
    }
}

fn default_servers() -> Vec<SocketAddr> {
    vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 53), SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 53)]
}

impl ResolvConf {
    /// Parses the file's text (unknown lines are ignored, as Go does).
    pub fn parse(text: &str) -> ResolvConf {
        let mut conf = ResolvConf { servers: Vec::new(), ..ResolvConf::default() };
        for line in text.lines() {
            let line = line.split(['#', ';']).next().unwrap_or_default();
            let mut words = line.split_whitespace();
            match words.next() {
                Some("nameserver") => {
                    if let Some(ip) = words.next().and_then(|w| w.split('%').next()?.parse::<IpAddr>().ok()) {
                        conf.servers.push(SocketAddr::new(ip, 53));
                    }
                }
                Some("domain") => conf.search = words.next().map(|d| vec![d.trim_end_matches('.').to_string()]).unwrap_or_default(),
                Some("search") => conf.search = words.map(|d| d.trim_end_matches('.').to_string()).collect(),
                Some("options") => {
                    for option in words {
                        if let Some(n) = option.strip_prefix("ndots:").and_then(|n| n.parse::<usize>().ok()) {
                            conf.ndots = n.min(15);
                        } else if let Some(n) = option.strip_prefix("timeout:").and_then(|n| n.parse::<u64>().ok()) {
                            conf.timeout = Duration::from_secs(n.clamp(1, 30));
                        } else if let Some(n) = option.strip_prefix("attempts:").and_then(|n| n.parse::<u32>().ok()) {
                            conf.attempts = n.clamp(1, 5);
                        }
                    }
                }
                _ => {}
            }
        }
        if conf.servers.is_empty() {
            conf.servers = default_servers();
        }
        conf
    }

    /// The names to ask for, in Go's order: the name itself first when it has at least `ndots`
    /// dots, then with each search suffix, then (if not yet) the name itself. A name ending in
    /// `.` is asked as is.
    pub fn candidates(&self, name: &str) -> Vec<String> {
        if let Some(rooted) = name.strip_suffix('.') {
            return vec![rooted.to_string()];
        }
        let has_ndots = name.matches('.').count() >= self.ndots;
        let mut names = Vec::new();
        if has_ndots {
            names.push(name.to_string());
        }
        for suffix in &self.search {
            names.push(format!("{name}.{suffix}"));
        }
        if !has_ndots {
            names.push(name.to_string());
        }
        names
    }
}

/// The addresses `/etc/hosts` gives `name` (case-insensitive; aliases count).
pub fn hosts_lookup(hosts: &str, name: &str) -> Vec<IpAddr> {
    let name = name.trim_end_matches('.');
    let mut out = Vec::new();
    for line in hosts.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let mut words = line.split_whitespace();
        let Some(ip) = words.next().and_then(|w| w.split('%').next()?.parse::<IpAddr>().ok()) else { continue };
        if words.any(|w| w.trim_end_matches('.').eq_ignore_ascii_case(name)) && !out.contains(&ip) {
            out.push(ip);
        }
    }
    out
}

/// RFC 1918, RFC 6598 (100.64.0.0/10), loopback, link-local, IPv6 ULA: addresses that are not
/// on the internet. A registry name resolving to one means a VPC interface endpoint (or another
/// private path) is in effect.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private() || v4.is_loopback() || v4.is_link_local() || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback() || (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// A server's answer, or why there was none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DnsOutcome {
    /// NOERROR with addresses.
    Answered,
    /// NOERROR without an address of the type asked.
    NoData,
    /// NXDOMAIN: the name does not exist for this server.
    Nxdomain,
    /// SERVFAIL.
    Servfail,
    /// REFUSED: the server will not answer this client or this name.
    Refused,
    /// Another error code.
    OtherError,
    /// No answer in time.
    Timeout,
    /// Nothing listens there (ICMP port unreachable: `connection refused`).
    Unreachable,
    /// The query could not be sent (no route to the server, ...).
    SendFailed,
    /// The answer could not be parsed.
    Malformed,
}

impl DnsOutcome {
    /// Words for the text output.
    pub fn describe(self) -> &'static str {
        match self {
            DnsOutcome::Answered => "answered",
            DnsOutcome::NoData => "no address for the name",
            DnsOutcome::Nxdomain => "NXDOMAIN (no such name)",
            DnsOutcome::Servfail => "SERVFAIL",
            DnsOutcome::Refused => "REFUSED",
            DnsOutcome::OtherError => "an error code",
            DnsOutcome::Timeout => "no answer (timeout)",
            DnsOutcome::Unreachable => "not listening (port unreachable)",
            DnsOutcome::SendFailed => "could not be sent to",
            DnsOutcome::Malformed => "a malformed answer",
        }
    }
}

/// One question put to one server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsAttempt {
    /// The server asked (`10.0.0.2:53`).
    pub server: SocketAddr,
    /// The name asked (with a search suffix when one was applied).
    pub name: String,
    /// `A` or `AAAA`.
    pub record: String,
    /// Its outcome.
    pub outcome: DnsOutcome,
    /// How long it took.
    pub duration_ms: u64,
    /// The local address the query left from (for Go's `read udp A->B` text).
    #[serde(skip)]
    pub local: Option<SocketAddr>,
    /// The OS error, when sending failed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// A parsed DNS answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// The response code (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED).
    pub rcode: u8,
    /// The TC bit: the answer did not fit UDP.
    pub truncated: bool,
    /// Addresses of the type asked.
    pub addresses: Vec<IpAddr>,
    /// CNAME targets met on the way, in order.
    pub cnames: Vec<String>,
}

/// The record types the probe asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// IPv4.
    A,
    /// IPv6.
    Aaaa,
}

impl Record {
    fn code(self) -> u16 {
        match self {
            Record::A => 1,
            Record::Aaaa => 28,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Record::A => "A",
            Record::Aaaa => "AAAA",
        }
    }
}

/// The bytes of a query for `name` (recursion desired).
pub fn build_query(id: u16, name: &str, record: Record) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(32 + name.len());
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]); // RD; 1 question
    for label in name.trim_end_matches('.').split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!("`{name}` is not a valid DNS name"));
        }
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out.extend_from_slice(&record.code().to_be_bytes());
    out.extend_from_slice(&[0, 1]); // class IN
    if out.len() > 512 {
        return Err(format!("`{name}` is too long for a DNS name"));
    }
    Ok(out)
}

/// Reads a (possibly compressed) name at `at`; returns it and the offset after it.
fn read_name(message: &[u8], mut at: usize) -> Option<(String, usize)> {
    let mut labels = Vec::new();
    let mut end = None;
    for _ in 0..128 {
        let len = *message.get(at)? as usize;
        if len == 0 {
            return Some((labels.join("."), end.unwrap_or(at + 1)));
        }
        if len & 0xc0 == 0xc0 {
            let pointer = ((len & 0x3f) << 8) | *message.get(at + 1)? as usize;
            end.get_or_insert(at + 2);
            at = pointer;
            continue;
        }
        let label = message.get(at + 1..at + 1 + len)?;
        labels.push(String::from_utf8_lossy(label).to_ascii_lowercase());
        at += 1 + len;
    }
    None // a pointer loop
}

/// Parses an answer to the query with `id`.
pub fn parse_answer(message: &[u8], id: u16, record: Record) -> Result<Answer, String> {
    if message.len() < 12 {
        return Err("shorter than a DNS header".into());
    }
    if u16::from_be_bytes([message[0], message[1]]) != id {
        return Err("the answer's id does not match the query".into());
    }
    if message[2] & 0x80 == 0 {
        return Err("not a response".into());
    }
    let mut answer = Answer { rcode: message[3] & 0x0f, truncated: message[2] & 0x02 != 0, ..Answer::default() };
    let questions = u16::from_be_bytes([message[4], message[5]]);
    let answers = u16::from_be_bytes([message[6], message[7]]);
    let mut at = 12;
    for _ in 0..questions {
        let (_, next) = read_name(message, at).ok_or("a malformed question")?;
        at = next + 4;
    }
    for _ in 0..answers {
        let (_, next) = read_name(message, at).ok_or("a malformed answer name")?;
        let fixed = message.get(next..next + 10).ok_or("a truncated answer record")?;
        let kind = u16::from_be_bytes([fixed[0], fixed[1]]);
        let length = u16::from_be_bytes([fixed[8], fixed[9]]) as usize;
        let data_at = next + 10;
        let data = message.get(data_at..data_at + length).ok_or("a truncated answer record")?;
        match kind {
            1 if record == Record::A && length == 4 => answer.addresses.push(IpAddr::from([data[0], data[1], data[2], data[3]])),
            28 if record == Record::Aaaa && length == 16 => {
                let mut octets = [0u8; 16];
                octets.copy_from_slice(data);
                answer.addresses.push(IpAddr::from(octets));
            }
            5 => {
                if let Some((target, _)) = read_name(message, data_at) {
                    answer.cnames.push(target);
                }
            }
            _ => {}
        }
        at = data_at + length;
    }
    Ok(answer)
}

fn next_id() -> u16 {
    static COUNTER: AtomicU16 = AtomicU16::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    (nanos as u16) ^ COUNTER.fetch_add(0x9e37, Ordering::Relaxed)
}

/// Asks `server` once, over UDP (TCP when the answer is truncated), within `timeout`.
pub fn ask(server: SocketAddr, name: &str, record: Record, timeout: Duration) -> (DnsAttempt, Option<Answer>) {
    let started = Instant::now();
    let mut attempt = DnsAttempt {
        server,
        name: name.to_string(),
        record: record.name().into(),
        outcome: DnsOutcome::Timeout,
        duration_ms: 0,
        local: None,
        error: None,
    };
    let result = ask_udp(server, name, record, timeout, &mut attempt).and_then(|answer| {
        if answer.truncated {
            let left = timeout.saturating_sub(started.elapsed()).max(Duration::from_millis(1));
            ask_tcp(server, name, record, left)
        } else {
            Ok(answer)
        }
    });
    attempt.duration_ms = started.elapsed().as_millis() as u64;
    match result {
        Ok(answer) => {
            attempt.outcome = match answer.rcode {
                0 if answer.addresses.is_empty() => DnsOutcome::NoData,
                0 => DnsOutcome::Answered,
                2 => DnsOutcome::Servfail,
                3 => DnsOutcome::Nxdomain,
                5 => DnsOutcome::Refused,
                _ => DnsOutcome::OtherError,
            };
            (attempt, Some(answer))
        }
        Err((outcome, error)) => {
            attempt.outcome = outcome;
            attempt.error = error;
            (attempt, None)
        }
    }
}

type AskError = (DnsOutcome, Option<String>);

fn io_outcome(error: &std::io::Error) -> AskError {
    match error.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => (DnsOutcome::Timeout, None),
        std::io::ErrorKind::ConnectionRefused => (DnsOutcome::Unreachable, None),
        _ => (DnsOutcome::SendFailed, Some(error.to_string())),
    }
}

fn ask_udp(server: SocketAddr, name: &str, record: Record, timeout: Duration, attempt: &mut DnsAttempt) -> Result<Answer, AskError> {
    let id = next_id();
    let query = build_query(id, name, record).map_err(|e| (DnsOutcome::SendFailed, Some(e)))?;
    let bind: SocketAddr = if server.is_ipv4() { "0.0.0.0:0".parse().unwrap_or(server) } else { "[::]:0".parse().unwrap_or(server) };
    let socket = UdpSocket::bind(bind).map_err(|e| io_outcome(&e))?;
    socket.connect(server).map_err(|e| io_outcome(&e))?;
    attempt.local = socket.local_addr().ok();
    socket.send(&query).map_err(|e| io_outcome(&e))?;
    let deadline = Instant::now() + timeout;
    let mut buffer = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err((DnsOutcome::Timeout, None));
        }
        socket.set_read_timeout(Some(left)).map_err(|e| io_outcome(&e))?;
        let n = socket.recv(&mut buffer).map_err(|e| io_outcome(&e))?;
        // an answer to something else (a late answer to an earlier query): keep waiting
        match parse_answer(&buffer[..n], id, record) {
            Ok(answer) => return Ok(answer),
            Err(error) if error.contains("id does not match") => continue,
            Err(error) => return Err((DnsOutcome::Malformed, Some(error))),
        }
    }
}

fn ask_tcp(server: SocketAddr, name: &str, record: Record, timeout: Duration) -> Result<Answer, AskError> {
    let id = next_id();
    let query = build_query(id, name, record).map_err(|e| (DnsOutcome::SendFailed, Some(e)))?;
    let mut stream = TcpStream::connect_timeout(&server, timeout).map_err(|e| io_outcome(&e))?;
    stream.set_read_timeout(Some(timeout)).map_err(|e| io_outcome(&e))?;
    stream.set_write_timeout(Some(timeout)).map_err(|e| io_outcome(&e))?;
    let mut framed = (query.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&query);
    stream.write_all(&framed).map_err(|e| io_outcome(&e))?;
    let mut length = [0u8; 2];
    stream.read_exact(&mut length).map_err(|e| io_outcome(&e))?;
    let mut message = vec![0u8; u16::from_be_bytes(length) as usize];
    stream.read_exact(&mut message).map_err(|e| io_outcome(&e))?;
    parse_answer(&message, id, record).map_err(|e| (DnsOutcome::Malformed, Some(e)))
}

/// Where the addresses came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LookupSource {
    /// The name is an IP address.
    Literal,
    /// `/etc/hosts`.
    HostsFile,
    /// A DNS server.
    Dns,
}

/// One address and whether it is private.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// The address.
    pub ip: IpAddr,
    /// RFC 1918 / 6598 / ULA / loopback / link-local (see [`is_private`]).
    pub private: bool,
}

/// Resolving one host: the answer and every server asked on the way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lookup {
    /// The host.
    pub host: String,
    /// Where the addresses came from (when there are any).
    pub source: LookupSource,
    /// The server that answered (NOERROR with addresses, or NXDOMAIN).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub answered_by: Option<SocketAddr>,
    /// The addresses, IPv4 first.
    pub addresses: Vec<Address>,
    /// CNAMEs met (a `vpce-...` name means an interface endpoint).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub cnames: Vec<String>,
    /// Every question put, in order.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub attempts: Vec<DnsAttempt>,
    /// How long it took.
    pub duration_ms: u64,
}

impl Lookup {
    /// Whether the host resolved.
    pub fn ok(&self) -> bool {
        !self.addresses.is_empty()
    }

    /// The addresses only.
    pub fn ips(&self) -> Vec<IpAddr> {
        self.addresses.iter().map(|a| a.ip).collect()
    }

    /// Go's text for a failed lookup, as the runtime would print it after `dial tcp: `.
    pub fn runtime_error(&self) -> String {
        let Some(last) = self.attempts.iter().rfind(|a| a.record == "A").or(self.attempts.last()) else {
            return format!("lookup {}: no such host", self.host);
        };
        // Go reports NXDOMAIN for any candidate as "no such host"; otherwise the last error
        let nxdomain = self.attempts.iter().find(|a| matches!(a.outcome, DnsOutcome::Nxdomain | DnsOutcome::NoData));
        let (attempt, text) = match last.outcome {
            _ if nxdomain.is_some() && !matches!(last.outcome, DnsOutcome::Timeout | DnsOutcome::Unreachable) => {
                (nxdomain.unwrap_or(last), "no such host".to_string())
            }
            DnsOutcome::Nxdomain | DnsOutcome::NoData | DnsOutcome::Answered => (last, "no such host".into()),
            DnsOutcome::Servfail | DnsOutcome::Refused | DnsOutcome::OtherError | DnsOutcome::Malformed => {
                (last, "server misbehaving".into())
            }
            DnsOutcome::Timeout => (last, format!("read udp {}->{}: i/o timeout", local_text(last), last.server)),
            DnsOutcome::Unreachable => (last, format!("read udp {}->{}: read: connection refused", local_text(last), last.server)),
            DnsOutcome::SendFailed => (last, format!("dial udp {}: {}", last.server, last.error.clone().unwrap_or_default())),
        };
        format!("lookup {} on {}: {text}", self.host, attempt.server)
    }
}

fn local_text(attempt: &DnsAttempt) -> String {
    attempt.local.map(|l| l.to_string()).unwrap_or_else(|| "0.0.0.0:0".into())
}

/// Resolves `host` the runtime's way: an IP literal, `/etc/hosts` (its text given), then the
/// servers of `conf`, trying the candidate names in order, each server in turn until one
/// answers, within `budget`.
pub fn resolve(host: &str, conf: &ResolvConf, hosts_file: &str, budget: Duration) -> Lookup {
    let started = Instant::now();
    let mut lookup = Lookup {
        host: host.to_string(),
        source: LookupSource::Dns,
        answered_by: None,
        addresses: Vec::new(),
        cnames: Vec::new(),
        attempts: Vec::new(),
        duration_ms: 0,
    };
    let finish = |mut lookup: Lookup, addresses: Vec<IpAddr>| {
        let mut addresses: Vec<IpAddr> = addresses;
        addresses.sort_by_key(|a| a.is_ipv6());
        lookup.addresses = addresses.into_iter().map(|ip| Address { ip, private: is_private(ip) }).collect();
        lookup.duration_ms = started.elapsed().as_millis() as u64;
        lookup
    };
    if let Ok(ip) = host.parse::<IpAddr>() {
        lookup.source = LookupSource::Literal;
        return finish(lookup, vec![ip]);
    }
    let from_hosts = hosts_lookup(hosts_file, host);
    if !from_hosts.is_empty() {
        lookup.source = LookupSource::HostsFile;
        return finish(lookup, from_hosts);
    }
    let deadline = started + budget;
    'names: for name in conf.candidates(host) {
        for _ in 0..conf.attempts {
            for &server in &conf.servers {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break 'names;
                }
                let (attempt, answer) = ask(server, &name, Record::A, left.min(conf.timeout));
                let outcome = attempt.outcome;
                lookup.attempts.push(attempt);
                match outcome {
                    DnsOutcome::Answered | DnsOutcome::NoData => {
                        let mut answer = answer.unwrap_or_default();
                        let left = deadline.saturating_duration_since(Instant::now());
                        if !left.is_zero() {
                            let (attempt, v6) = ask(server, &name, Record::Aaaa, left.min(conf.timeout));
                            lookup.attempts.push(attempt);
                            if let Some(v6) = v6.filter(|v6| v6.rcode == 0) {
                                answer.addresses.extend(v6.addresses);
                                for cname in v6.cnames {
                                    if !answer.cnames.contains(&cname) {
                                        answer.cnames.push(cname);
                                    }
                                }
                            }
                        }
                        if answer.addresses.is_empty() {
                            // no address of either type: Go says "no such host"; try the next name
                            continue 'names;
                        }
                        lookup.answered_by = Some(server);
                        lookup.cnames = answer.cnames;
                        return finish(lookup, answer.addresses);
                    }
                    DnsOutcome::Nxdomain => {
                        lookup.answered_by = Some(server);
                        continue 'names; // authoritative for this name: the next candidate
                    }
                    _ => {} // the next server
                }
            }
        }
    }
    finish(lookup, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_resolv_conf_like_go() {
        let conf = ResolvConf::parse(
            "# generated\nnameserver 10.0.0.2\nnameserver fe80::1%eth0\nsearch ec2.internal cluster.local.\noptions ndots:5 timeout:2 attempts:3 rotate\nnameserver bogus\n",
        );
        assert_eq!(conf.servers, vec!["10.0.0.2:53".parse().unwrap(), "[fe80::1]:53".parse().unwrap()]);
        assert_eq!(conf.search, ["ec2.internal", "cluster.local"]);
        assert_eq!((conf.ndots, conf.timeout, conf.attempts), (5, Duration::from_secs(2), 3));
        assert_eq!(ResolvConf::parse("").servers.len(), 2, "Go falls back to localhost");
    }

    #[test]
    fn candidate_names_follow_ndots_and_search() {
        let conf = ResolvConf::parse("nameserver 10.0.0.2\nsearch a.svc cluster.local\noptions ndots:5");
        let ecr = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
        assert_eq!(conf.candidates(ecr)[0], ecr, "5 dots: asked as is first");
        assert_eq!(
            conf.candidates("registry.lab.test"),
            ["registry.lab.test.a.svc", "registry.lab.test.cluster.local", "registry.lab.test"],
            "fewer dots than ndots: search suffixes first"
        );
        assert_eq!(conf.candidates("quay.io."), ["quay.io"]);
        let node = ResolvConf::parse("nameserver 10.0.0.2\nsearch ec2.internal");
        assert_eq!(node.candidates("quay.io"), ["quay.io", "quay.io.ec2.internal"]);
    }

    #[test]
    fn reads_hosts_files() {
        let hosts = "127.0.0.1 localhost\n10.1.2.3 registry.lab.test registry # lab\n::1 localhost ip6-localhost\n";
        assert_eq!(hosts_lookup(hosts, "REGISTRY"), vec!["10.1.2.3".parse::<IpAddr>().unwrap()]);
        assert_eq!(hosts_lookup(hosts, "localhost").len(), 2);
        assert!(hosts_lookup(hosts, "lab").is_empty());
    }

    /// An answer the way a server writes one: the question, then records using compression.
    fn answer(id: u16, rcode: u8, records: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut query = build_query(id, "registry.lab.test", Record::A).unwrap();
        query[2] = 0x81;
        query[3] = 0x80 | rcode;
        query[7] = records.len() as u8;
        for (kind, data) in records {
            query.extend_from_slice(&[0xc0, 12]); // pointer to the question's name
            query.extend_from_slice(&kind.to_be_bytes());
            query.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
            query.extend_from_slice(&(data.len() as u16).to_be_bytes());
            query.extend_from_slice(data);
        }
        query
    }

    #[test]
    fn parses_answers_with_cnames_and_compression() {
        let cname = b"\x04vpce\xc0\x15".to_vec(); // vpce + a pointer to the question's "lab.test" (offset 21)
        let message = answer(7, 0, &[(5, cname), (1, vec![10, 204, 0, 10]), (28, vec![0; 16])]);
        let parsed = parse_answer(&message, 7, Record::A).unwrap();
        assert_eq!(parsed.addresses, vec!["10.204.0.10".parse::<IpAddr>().unwrap()], "the AAAA record is not what was asked");
        assert_eq!(parsed.cnames, ["vpce.lab.test"]);
        assert_eq!(parse_answer(&answer(7, 3, &[]), 7, Record::A).unwrap().rcode, 3);
        assert!(parse_answer(&message, 8, Record::A).is_err(), "another query's answer");
        assert!(parse_answer(&message[..message.len() - 3], 7, Record::A).is_err());
        let mut looped = vec![0u8; 12];
        looped.extend_from_slice(&[0xc0, 12]); // a name that points at itself
        assert_eq!(read_name(&looped, 12), None);
        assert!(build_query(1, "a..b", Record::A).is_err());
    }

    fn failed(outcome: DnsOutcome) -> Lookup {
        Lookup {
            host: "registry.lab.test".into(),
            source: LookupSource::Dns,
            answered_by: None,
            addresses: Vec::new(),
            cnames: Vec::new(),
            attempts: vec![DnsAttempt {
                server: "10.204.0.2:53".parse().unwrap(),
                name: "registry.lab.test".into(),
                record: "A".into(),
                outcome,
                duration_ms: 1,
                local: Some("10.204.0.1:40000".parse().unwrap()),
                error: None,
            }],
            duration_ms: 1,
        }
    }

    #[test]
    fn phrases_failures_as_go_does_and_classify_agrees() {
        use pulldoctor_classify::{ErrorClass, classify};
        let cases = [
            (DnsOutcome::Nxdomain, "lookup registry.lab.test on 10.204.0.2:53: no such host"),
            (DnsOutcome::Refused, "lookup registry.lab.test on 10.204.0.2:53: server misbehaving"),
            (DnsOutcome::Timeout, "lookup registry.lab.test on 10.204.0.2:53: read udp 10.204.0.1:40000->10.204.0.2:53: i/o timeout"),
            (
                DnsOutcome::Unreachable,
                "lookup registry.lab.test on 10.204.0.2:53: read udp 10.204.0.1:40000->10.204.0.2:53: read: connection refused",
            ),
        ];
        for (outcome, text) in cases {
            assert_eq!(failed(outcome).runtime_error(), text);
            let runtime = format!("pinging container registry registry.lab.test: Get \"https://registry.lab.test/v2/\": dial tcp: {text}");
            assert_eq!(classify(&runtime).class, ErrorClass::Dns, "{runtime}");
        }
    }

    #[test]
    fn private_addresses() {
        for (ip, private) in [("10.0.0.1", true), ("100.64.1.1", true), ("52.207.2.251", false), ("fd00::1", true), ("2600::1", false)] {
            assert_eq!(is_private(ip.parse().unwrap()), private, "{ip}");
        }
    }
}
