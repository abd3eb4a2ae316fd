//! The agent's small HTTP: a server for /metrics, the health endpoints and its JSON views (plain
//! HTTP/1.1, one request per connection, a thread per connection: Prometheus and the kubelet
//! scrape a few times a minute), and a client for the node agents' probes and the webhook
//! (HTTPS through the probe's rustls with the system roots).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use pulldoctor_probe::http::{Request, exchange};
use pulldoctor_probe::url::Url;

/// An answer: status, content type, body.
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(status: u16, body: impl Into<String>) -> Reply {
        Reply { status, content_type: "text/plain; charset=utf-8", body: body.into().into_bytes() }
    }
    pub fn json(value: &serde_json::Value) -> Reply {
        Reply { status: 200, content_type: "application/json", body: (value.to_string() + "\n").into_bytes() }
    }
}

/// Serve `route(path)` on `listen` from a thread of its own; returns the bound address.
pub fn serve(listen: &str, route: Arc<dyn Fn(&str) -> Reply + Send + Sync>) -> Result<std::net::SocketAddr> {
    let listener = TcpListener::bind(listen).with_context(|| format!("cannot listen on {listen}"))?;
    let address = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let route = route.clone();
            std::thread::spawn(move || answer(stream, route.as_ref()));
        }
    });
    Ok(address)
}

fn answer(stream: TcpStream, route: &dyn Fn(&str) -> Reply) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let path = target.split('?').next().unwrap_or("/");
    let reply = if method == "GET" || method == "HEAD" { route(path) } else { Reply::text(405, "only GET\n") };
    let reason = match reply.status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Service Unavailable",
    };
    let mut stream = &stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reply.status,
        reply.content_type,
        reply.body.len()
    );
    if method == "GET" {
        let _ = stream.write_all(&reply.body);
    }
}

/// One request to `url` (http or https), the status and body back.
pub fn request(method: &str, url: &str, body: Option<&[u8]>, timeout: Duration) -> Result<(u16, Vec<u8>)> {
    let url = Url::parse(url).map_err(|e| anyhow!("`{url}`: {e}"))?;
    let deadline = Instant::now() + timeout;
    let address = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {}", url.host))?
        .next()
        .ok_or_else(|| anyhow!("{} has no address", url.host))?;
    let tcp = TcpStream::connect_timeout(&address, timeout).with_context(|| format!("cannot connect to {address}"))?;
    tcp.set_read_timeout(Some(timeout))?;
    tcp.set_write_timeout(Some(timeout))?;
    let mut request = Request::new(method, &url.path, &url.host_header()).header("Accept", "application/json");
    if let Some(body) = body {
        request = request.header("Content-Type", "application/json");
        request.body = body.to_vec();
    }
    let response = match url.scheme.as_str() {
        "http" => exchange(&mut { tcp }, &request, 1 << 20),
        "https" => {
            let tls = pulldoctor_probe::tls::TlsContext::load(Vec::new());
            let (handshake, stream) = tls.handshake(tcp, &url.host, pulldoctor_probe::report::HostRole::Registry, None, address, deadline);
            let Some(mut stream) = stream else { bail!("TLS with {} failed: {}", url.host, handshake.error.unwrap_or_default()) };
            exchange(&mut stream, &request, 1 << 20)
        }
        other => bail!("`{other}` URLs are not supported (http or https)"),
    }
    .map_err(|e| anyhow!("{e}"))?;
    Ok((response.status, response.body))
}

/// GET a JSON document.
pub fn get_json(url: &str, timeout: Duration) -> Result<serde_json::Value> {
    let (status, body) = request("GET", url, None, timeout)?;
    if status != 200 {
        bail!("GET {url}: HTTP {status}");
    }
    serde_json::from_slice(&body).with_context(|| format!("GET {url}: not JSON"))
}

/// Read all of a reader (for tests of the server).
#[allow(dead_code)]
pub fn read_all(mut reader: impl Read) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = reader.read_to_end(&mut out);
    out
}
