//! TCP connections, directly or through an HTTP proxy's CONNECT, with Go's words for failures.
//!
//! The runtime's Go dialer reports `dial tcp ADDR: i/o timeout` (dropped packets),
//! `dial tcp ADDR: connect: connection refused` (a reset), `connect: network is unreachable` (no
//! route) and `connect: no route to host` (ICMP host unreachable); a proxy it cannot reach as
//! `proxyconnect tcp: dial tcp ...`, and a proxy that refuses the CONNECT by its reason phrase
//! alone (`Forbidden`). The probe writes the same texts, so `classify` reads them the same way.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use base64::Engine;

use crate::http::{self, HttpError};
use crate::report::{ConnectOutcome, Connection, HostRole};
use crate::url::Url;

/// An open connection: plain TCP (`http`, or a proxy tunnel before TLS) or TLS.
pub enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(tls) => &tls.sock,
        }
    }

    /// Bounds every following read and write by `deadline`.
    pub fn set_deadline(&self, deadline: Instant) -> io::Result<()> {
        set_deadline(self.tcp(), deadline)
    }
}

/// Sets read and write timeouts on `tcp` to the time left before `deadline` (at least 1 ms).
pub fn set_deadline(tcp: &TcpStream, deadline: Instant) -> io::Result<()> {
    let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
    tcp.set_read_timeout(Some(left))?;
    tcp.set_write_timeout(Some(left))
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.read(buf),
            Stream::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.write(buf),
            Stream::Tls(tls) => tls.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(tcp) => tcp.flush(),
            Stream::Tls(tls) => tls.flush(),
        }
    }
}

/// The outcome of a connect error, and Go's text after `dial tcp ADDR: `.
pub fn connect_error(error: &io::Error) -> (ConnectOutcome, String) {
    match (error.kind(), error.raw_os_error()) {
        (io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock, _) => (ConnectOutcome::Timeout, "i/o timeout".into()),
        (io::ErrorKind::ConnectionRefused, _) => (ConnectOutcome::Refused, "connect: connection refused".into()),
        (_, Some(101)) => (ConnectOutcome::NetworkUnreachable, "connect: network is unreachable".into()),
        (_, Some(113)) => (ConnectOutcome::HostUnreachable, "connect: no route to host".into()),
        (_, Some(22)) => (ConnectOutcome::Error, "connect: invalid argument".into()),
        _ => (ConnectOutcome::Error, format!("connect: {error}")),
    }
}

/// Opens TCP to `address` for `host` within `timeout`.
pub fn connect(host: &str, role: HostRole, address: SocketAddr, timeout: Duration) -> (Connection, Option<TcpStream>) {
    let started = Instant::now();
    let result = TcpStream::connect_timeout(&address, timeout.max(Duration::from_millis(1)));
    let duration_ms = started.elapsed().as_millis() as u64;
    let mut record = Connection {
        host: host.to_string(),
        role,
        address,
        source: None,
        via: None,
        outcome: ConnectOutcome::Connected,
        proxy_status: None,
        duration_ms,
        error: None,
    };
    match result {
        Ok(tcp) => {
            let _ = tcp.set_nodelay(true);
            record.source = tcp.local_addr().ok().map(|a| a.ip());
            (record, Some(tcp))
        }
        Err(error) => {
            let (outcome, text) = connect_error(&error);
            record.outcome = outcome;
            record.error = Some(format!("dial tcp {address}: {text}"));
            record.source = source_toward(address);
            (record, None)
        }
    }
}

/// The address the kernel would send from toward `address`: a UDP socket "connected" to it picks
/// the route and the source without sending a packet. `None` when there is no route.
pub fn source_toward(address: SocketAddr) -> Option<std::net::IpAddr> {
    let any: SocketAddr = if address.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { (std::net::Ipv6Addr::UNSPECIFIED, 0).into() };
    let socket = std::net::UdpSocket::bind(any).ok()?;
    socket.connect(address).ok()?;
    socket.local_addr().ok().map(|a| a.ip()).filter(|ip| !ip.is_unspecified())
}

/// Connects to `addresses` all at once (at most 8), each within `timeout`: the connect step's
/// view of every address. Results come back in the addresses' order.
pub fn connect_all(host: &str, role: HostRole, addresses: &[SocketAddr], timeout: Duration) -> Vec<(Connection, Option<TcpStream>)> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = addresses.iter().take(8).map(|&address| scope.spawn(move || connect(host, role, address, timeout))).collect();
        handles
            .into_iter()
            .zip(addresses)
            .map(|(handle, &address)| {
                handle.join().unwrap_or_else(|_| {
                    let record = Connection {
                        host: host.to_string(),
                        role,
                        address,
                        source: None,
                        via: None,
                        outcome: ConnectOutcome::Error,
                        proxy_status: None,
                        duration_ms: 0,
                        error: Some("the connecting thread failed".into()),
                    };
                    (record, None)
                })
            })
            .collect()
    })
}

/// Asks the proxy on `tcp` to CONNECT to `host:port`. On refusal returns the status line and
/// Go's error text (the reason phrase alone).
pub fn proxy_connect(tcp: &mut TcpStream, proxy: &Url, target: &str, deadline: Instant) -> Result<(), (Option<String>, String)> {
    set_deadline(tcp, deadline).map_err(|e| (None, format!("proxyconnect tcp: {e}")))?;
    let mut request = http::Request::new("CONNECT", target, target);
    if let Some(user) = &proxy.user {
        let pair = format!("{user}:{}", proxy.password.as_deref().unwrap_or_default());
        request = request.header("Proxy-Authorization", format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair)));
    }
    tcp.write_all(&request.to_bytes()).map_err(|e| (None, format!("proxyconnect tcp: {e}")))?;
    match http::read_response(tcp, true, 0) {
        Ok(response) if response.status == 200 => Ok(()),
        Ok(response) => {
            let line = format!("{} {}", response.status, response.reason);
            // Go: the text after the status code, or "unknown status code" without one
            let text = if response.reason.is_empty() { "unknown status code".to_string() } else { response.reason.clone() };
            Err((Some(line), text))
        }
        Err(HttpError::Timeout) => Err((None, "proxyconnect tcp: i/o timeout".into())),
        Err(HttpError::Eof) => Err((None, "proxyconnect tcp: EOF".into())),
        Err(error) => Err((None, format!("proxyconnect tcp: {error}"))),
    }
}
