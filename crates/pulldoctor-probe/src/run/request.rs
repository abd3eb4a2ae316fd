//! Requests for steps 4 to 7 and the pieces every step shares: a host's lookup (asked once per
//! probe), a connection opened the way the runtime would (proxy or direct, then TLS), one HTTP
//! exchange on a kept-alive connection, and a failure phrased as the runtime prints it.

use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

use pulldoctor_classify::ErrorClass;

use super::Run;
use crate::dns::{self, Lookup};
use crate::http::{self, HttpError, Response};
use crate::net::{self, Stream};
use crate::proxy::ProxyChoice;
use crate::report::*;
use crate::url::Url;

/// Why a request could not be made: Go's text, and the proxy's status line when a proxy refused.
pub(super) struct OpenError {
    pub(super) text: String,
    pub(super) proxy_status: Option<String>,
    pub(super) proxy: Option<String>,
}

impl OpenError {
    pub(super) fn new(text: String) -> OpenError {
        OpenError { text, proxy_status: None, proxy: None }
    }
}

impl Run<'_> {
    /// The text before the failure, as the program that reaches `role`'s host would print it.
    pub(super) fn context(&self, role: HostRole, url: &Url) -> String {
        match role {
            HostRole::Registry | HostRole::Proxy => {
                format!("pinging container registry {}: Get \"{}\": ", self.target.registry, self.target.url("/v2/"))
            }
            HostRole::EcrApi => {
                format!(
                    "failed to get authorization token: operation error ECR: GetAuthorizationToken, request send failed, Post \"{url}\": "
                )
            }
            HostRole::Layer => format!("reading blob: Get \"{url}\": "),
            HostRole::TokenRealm => format!("Get \"{url}\": "),
            HostRole::Metadata => format!(
                "failed to refresh cached credentials, no EC2 IMDS role found, operation error ec2imds: GetMetadata, request send failed, Get \"{url}\": "
            ),
        }
    }

    /// A failure from the runtime's text; a proxy's refusal that the classifier does not know by
    /// its reason phrase is still a proxy failure.
    pub(super) fn failure(&self, prefix: String, error: &OpenError) -> Failure {
        let message = format!("{prefix}{}", error.text);
        match &error.proxy_status {
            Some(status) => Failure::from_runtime_or(
                message,
                ErrorClass::Proxy,
                "probe.proxy-refused",
                "proxy-connect",
                format!(
                    "The proxy {} refused the CONNECT with `{status}`: its access rules do not allow this host and port, or it cannot reach them.",
                    error.proxy.as_deref().unwrap_or("in use")
                ),
            ),
            None => Failure::from_runtime(message),
        }
    }

    pub(super) fn lookup(&mut self, step: &mut Step, host: &str, role: HostRole, deadline: Instant) -> Lookup {
        if let Some(lookup) = self.lookups.get(host) {
            return lookup.clone();
        }
        let budget = deadline.saturating_duration_since(Instant::now());
        let lookup = dns::resolve(host, &self.resolv, &self.hosts_text, budget);
        step.lookups.push(HostLookup { role, lookup: lookup.clone() });
        self.lookups.insert(host.to_string(), lookup.clone());
        lookup
    }

    /// TCP to the proxy, then CONNECT to `target` (for https).
    pub(super) fn through_proxy(
        &mut self,
        step: &mut Step,
        proxy: &Url,
        target: &Url,
        role: HostRole,
        deadline: Instant,
    ) -> Result<(TcpStream, SocketAddr), OpenError> {
        let lookup = self.lookup(step, &proxy.host, HostRole::Proxy, deadline);
        if !lookup.ok() {
            return Err(OpenError::new(format!("proxyconnect tcp: dial tcp: {}", lookup.runtime_error())));
        }
        let mut first_error = None;
        let mut connected = None;
        for ip in lookup.ips().into_iter().take(8) {
            let address = SocketAddr::new(ip, proxy.port);
            let left = deadline.saturating_duration_since(Instant::now());
            let (mut record, tcp) = net::connect(&proxy.host, HostRole::Proxy, address, left);
            record.host = target.host.clone();
            record.role = role;
            record.via = Some(proxy.authority());
            if let Some(error) = &record.error {
                first_error.get_or_insert_with(|| error.clone());
            }
            if tcp.is_none() {
                step.connections.push(record);
                continue;
            }
            connected = tcp.map(|tcp| (tcp, address, record));
            break;
        }
        let Some((mut tcp, address, mut record)) = connected else {
            return Err(OpenError::new(format!("proxyconnect tcp: {}", first_error.unwrap_or_default())));
        };
        if target.scheme == "https" {
            let started = Instant::now();
            let result = net::proxy_connect(&mut tcp, proxy, &target.authority(), deadline);
            record.duration_ms += started.elapsed().as_millis() as u64;
            if let Err((status, text)) = result {
                record.outcome = if status.is_some() { ConnectOutcome::ProxyRefused } else { ConnectOutcome::Error };
                record.proxy_status = status.clone();
                record.error = Some(text.clone());
                step.connections.push(record);
                return Err(OpenError { text, proxy_status: status, proxy: Some(proxy.authority()) });
            }
        }
        step.connections.push(record);
        Ok((tcp, address))
    }

    /// Opens a connection for `url` the way the runtime would: proxy or direct, then TLS.
    pub(super) fn open(&mut self, step: &mut Step, role: HostRole, url: &Url, deadline: Instant) -> Result<Stream, OpenError> {
        let (tcp, address) = match self.proxy.choose(&url.scheme, &url.host, url.port) {
            ProxyChoice::Proxy { url: proxy, .. } => self.through_proxy(step, &proxy, url, role, deadline)?,
            ProxyChoice::Direct { .. } => {
                let lookup = self.lookup(step, &url.host, role, deadline);
                if !lookup.ok() {
                    return Err(OpenError::new(format!("dial tcp: {}", lookup.runtime_error())));
                }
                let mut first_error = None;
                let mut connected = None;
                for ip in lookup.ips().into_iter().take(8) {
                    let left = deadline.saturating_duration_since(Instant::now());
                    let (record, tcp) = net::connect(&url.host, role, SocketAddr::new(ip, url.port), left);
                    if let Some(error) = &record.error {
                        first_error.get_or_insert_with(|| error.clone());
                    }
                    let address = record.address;
                    step.connections.push(record);
                    if let Some(tcp) = tcp {
                        connected = Some((tcp, address));
                        break;
                    }
                }
                connected.ok_or_else(|| OpenError::new(first_error.unwrap_or_else(|| "dial tcp: no address".into())))?
            }
        };
        if url.scheme != "https" {
            return Ok(Stream::Plain(tcp));
        }
        let ca_registry = self.ca_registry(role);
        let (record, stream) = self.tls.handshake(tcp, &url.host, role, ca_registry.as_deref(), address, deadline);
        let error = record.error.clone();
        step.handshakes.push(record);
        stream.ok_or_else(|| OpenError::new(error.unwrap_or_default()))
    }

    /// One request; reuses a kept-alive connection to the same origin when there is one.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn request(
        &mut self,
        step: &mut Step,
        role: HostRole,
        method: &str,
        url: &Url,
        headers: &[(&str, String)],
        body: Vec<u8>,
        limit: usize,
        deadline: Instant,
    ) -> Result<Response, OpenError> {
        let started = Instant::now();
        let proxied_http = url.scheme == "http" && matches!(self.proxy.choose(&url.scheme, &url.host, url.port), ProxyChoice::Proxy { .. });
        let target = if proxied_http { format!("http://{}{}", url.host_header(), url.path) } else { url.path.clone() };
        let mut request = http::Request { body, ..http::Request::new(method, &target, &url.host_header()) };
        for (name, value) in headers {
            request = request.header(name, value.clone());
        }
        let key = format!("{}://{}", url.scheme, url.authority());
        let mut result = None;
        if !proxied_http && let Some(mut stream) = self.pool.remove(&key) {
            // a kept-alive connection the server may have closed meanwhile: retry once on a new one
            if stream.set_deadline(deadline).is_ok() {
                match http::exchange(&mut stream, &request, limit) {
                    Ok(response) => result = Some(Ok((response, stream))),
                    Err(HttpError::Eof | HttpError::Io(_)) => {}
                    Err(error) => result = Some(Err(error)),
                }
            }
        }
        let result = match result {
            Some(result) => result,
            None => {
                let mut stream = match self.open(step, role, url, deadline) {
                    Ok(stream) => stream,
                    Err(error) => {
                        step.requests.push(Exchange {
                            method: method.into(),
                            url: url.shown(),
                            status: None,
                            duration_ms: started.elapsed().as_millis() as u64,
                        });
                        return Err(error);
                    }
                };
                let _ = stream.set_deadline(deadline);
                http::exchange(&mut stream, &request, limit).map(|response| (response, stream))
            }
        };
        let duration_ms = started.elapsed().as_millis() as u64;
        match result {
            Ok((response, stream)) => {
                step.requests.push(Exchange { method: method.into(), url: url.shown(), status: Some(response.status), duration_ms });
                if response.reusable && !proxied_http {
                    self.pool.insert(key, stream);
                }
                Ok(response)
            }
            Err(error) => {
                step.requests.push(Exchange { method: method.into(), url: url.shown(), status: None, duration_ms });
                Err(OpenError::new(match error {
                    HttpError::Timeout => "net/http: timeout awaiting response headers".into(),
                    HttpError::Eof => "EOF".into(),
                    HttpError::Malformed(what) => format!("net/http: HTTP/1.x transport connection broken: {what}"),
                    HttpError::Io(error) => error.to_string(),
                }))
            }
        }
    }

    pub(super) fn auth_headers(&self) -> Vec<(&'static str, String)> {
        self.authorization.iter().map(|a| ("Authorization", a.expose().to_string())).collect()
    }
}
