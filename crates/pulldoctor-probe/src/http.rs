//! A small HTTP/1.1 client over a stream the probe opened itself.
//!
//! Each step owns its connection, so it can say which part took the time and which failed; the
//! probe sends a handful of requests, so nothing here needs pooling beyond keeping one stream per
//! origin alive. Responses are read with a body limit: a manifest is small, and of a layer only
//! the first bytes are wanted.
//!
//! The pure parts, tested here: writing a request, reading a response head (with `httparse`),
//! `Content-Length`, chunked and read-to-close bodies, and `WWW-Authenticate` challenges.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

/// A request to send.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `HEAD`, `POST`, `PUT`.
    pub method: String,
    /// Origin-form (`/v2/`) or, through an HTTP proxy for `http` URLs, absolute-form.
    pub target: String,
    /// The `Host` header value.
    pub host: String,
    /// Other headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body (`Content-Length` is added when not empty, or for POST/PUT).
    pub body: Vec<u8>,
}

impl Request {
    /// A request without body.
    pub fn new(method: &str, target: &str, host: &str) -> Request {
        Request { method: method.into(), target: target.into(), host: host.into(), headers: Vec::new(), body: Vec::new() }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Request {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The bytes on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\nHost: {}\r\n", self.method, self.target, self.host);
        let mut has_agent = false;
        for (name, value) in &self.headers {
            has_agent |= name.eq_ignore_ascii_case("user-agent");
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        if !has_agent {
            out.push_str(concat!("User-Agent: pulldoctor-probe/", env!("CARGO_PKG_VERSION"), "\r\n"));
        }
        if !self.body.is_empty() || matches!(self.method.as_str(), "POST" | "PUT") {
            out.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// A response read from the stream.
#[derive(Debug, Clone, Default)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The reason phrase as sent (Go reports a proxy's refusal by this text alone).
    pub reason: String,
    /// Headers, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body, at most the limit asked for.
    pub body: Vec<u8>,
    /// The body was longer than the limit and was cut.
    pub truncated: bool,
    /// The connection can carry another request.
    pub reusable: bool,
}

impl Response {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every header of that name.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Why an exchange failed.
#[derive(Debug)]
pub enum HttpError {
    /// No (complete) answer in time.
    Timeout,
    /// The peer closed the connection before a complete response.
    Eof,
    /// Not HTTP, or a malformed head or body.
    Malformed(String),
    /// Any other I/O error.
    Io(io::Error),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Timeout => f.write_str("timeout awaiting response headers"),
            HttpError::Eof => f.write_str("EOF"),
            HttpError::Malformed(what) => write!(f, "malformed HTTP response: {what}"),
            HttpError::Io(error) => write!(f, "{error}"),
        }
    }
}

impl From<io::Error> for HttpError {
    fn from(error: io::Error) -> Self {
        match error.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => HttpError::Timeout,
            io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => HttpError::Eof,
            _ => HttpError::Io(error),
        }
    }
}

const MAX_HEAD: usize = 64 * 1024;

/// Buffered reading of one response.
struct Input<'a, S: Read> {
    stream: &'a mut S,
    buffer: Vec<u8>,
    start: usize,
    /// Body bytes read past the limit and not kept.
    dropped: usize,
}

impl<S: Read> Input<'_, S> {
    fn available(&self) -> &[u8] {
        &self.buffer[self.start..]
    }
    /// Reads more; `false` at end of stream.
    fn fill(&mut self) -> Result<bool, HttpError> {
        if self.start > 0 && self.start == self.buffer.len() {
            self.buffer.clear();
            self.start = 0;
        }
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk)?;
        self.buffer.extend_from_slice(&chunk[..n]);
        Ok(n > 0)
    }
    fn consume(&mut self, n: usize) {
        self.start += n;
    }
    fn line(&mut self) -> Result<String, HttpError> {
        loop {
            if let Some(i) = self.available().iter().position(|&b| b == b'\n') {
                let line = String::from_utf8_lossy(&self.available()[..i]).trim_end_matches('\r').to_string();
                self.consume(i + 1);
                return Ok(line);
            }
            if self.available().len() > MAX_HEAD {
                return Err(HttpError::Malformed("line too long".into()));
            }
            if !self.fill()? {
                return Err(HttpError::Eof);
            }
        }
    }
    /// Reads `n` body bytes, keeping at most `room` of them in `out`; returns `false` when it
    /// stopped early because the limit was reached (the rest is left unread).
    fn take(&mut self, mut n: usize, out: &mut Vec<u8>, room: &mut usize) -> Result<bool, HttpError> {
        while n > 0 {
            if *room == 0 {
                return Ok(false);
            }
            if self.available().is_empty() && !self.fill()? {
                return Err(HttpError::Eof);
            }
            let got = self.available().len().min(n);
            let keep = got.min(*room);
            out.extend_from_slice(&self.available()[..keep]);
            *room -= keep;
            self.dropped += got - keep;
            self.consume(got);
            n -= got;
        }
        Ok(true)
    }
}

/// Writes `request` and reads the response, keeping at most `limit` body bytes (a longer body is
/// cut, and the connection is then not reusable).
pub fn exchange<S: Read + Write>(stream: &mut S, request: &Request, limit: usize) -> Result<Response, HttpError> {
    stream.write_all(&request.to_bytes())?;
    stream.flush()?;
    read_response(stream, request.method == "HEAD", limit)
}

/// Reads one response from `stream`; `head_only` for answers to HEAD (and CONNECT), which have
/// no body.
pub fn read_response<S: Read>(stream: &mut S, head_only: bool, limit: usize) -> Result<Response, HttpError> {
    let mut input = Input { stream, buffer: Vec::new(), start: 0, dropped: 0 };
    // the head
    let (mut response, head_len) = loop {
        let mut headers = [httparse::EMPTY_HEADER; 96];
        let mut parsed = httparse::Response::new(&mut headers);
        match parsed.parse(input.available()) {
            Ok(httparse::Status::Complete(len)) => {
                let response = Response {
                    status: parsed.code.unwrap_or(0),
                    reason: parsed.reason.unwrap_or_default().to_string(),
                    headers: parsed
                        .headers
                        .iter()
                        .map(|h| (h.name.to_ascii_lowercase(), String::from_utf8_lossy(h.value).trim().to_string()))
                        .collect(),
                    reusable: parsed.version == Some(1),
                    ..Response::default()
                };
                break (response, len);
            }
            Ok(httparse::Status::Partial) => {
                if input.available().len() > MAX_HEAD {
                    return Err(HttpError::Malformed("response head larger than 64 KiB".into()));
                }
                if !input.fill()? {
                    return Err(if input.available().is_empty() {
                        HttpError::Eof
                    } else {
                        HttpError::Malformed("the connection closed inside the response head".into())
                    });
                }
            }
            Err(error) => {
                let start = String::from_utf8_lossy(&input.available()[..input.available().len().min(40)]).into_owned();
                return Err(HttpError::Malformed(format!("{error} (the answer starts with {start:?})")));
            }
        }
    };
    input.consume(head_len);
    if response.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close")) {
        response.reusable = false;
    }
    if head_only || response.status < 200 || response.status == 204 || response.status == 304 {
        return Ok(response);
    }
    let mut room = limit;
    let mut body = Vec::new();
    let chunked = response.header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let complete = if chunked {
        loop {
            let line = input.line()?;
            let size_text = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_text, 16).map_err(|_| HttpError::Malformed(format!("bad chunk size {size_text:?}")))?;
            if size == 0 {
                // trailers until the empty line
                while !input.line()?.is_empty() {}
                break true;
            }
            if !input.take(size, &mut body, &mut room)? {
                break false;
            }
            input.line()?; // the CRLF after the chunk
        }
    } else if let Some(length) = response.header("content-length") {
        let length: usize = length.trim().parse().map_err(|_| HttpError::Malformed(format!("bad Content-Length {length:?}")))?;
        input.take(length, &mut body, &mut room)?
    } else {
        // read to close
        response.reusable = false;
        loop {
            let available = input.available().len();
            let keep = available.min(room);
            body.extend_from_slice(&input.available()[..keep]);
            room -= keep;
            input.dropped += available - keep;
            input.consume(available);
            if room == 0 {
                break false; // the limit is reached; whatever follows is not read
            }
            if !input.fill()? {
                break true;
            }
        }
    };
    response.truncated = !complete || input.dropped > 0;
    if !complete || input.start < input.buffer.len() {
        // cut short, or bytes past the response we did not ask for: do not reuse
        response.reusable = false;
    }
    response.body = body;
    Ok(response)
}

/// One `WWW-Authenticate` challenge: `Bearer realm="...",service="..."`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// `basic`, `bearer`, ... (lower case).
    pub scheme: String,
    /// Parameters, names lower-cased.
    pub params: BTreeMap<String, String>,
}

/// Parses the challenges of one `WWW-Authenticate` value (RFC 7235: schemes followed by
/// `name=value` or `name="quoted"` parameters, separated by commas).
pub fn parse_challenges(value: &str) -> Vec<Challenge> {
    let mut challenges: Vec<Challenge> = Vec::new();
    let bytes = value.as_bytes();
    let mut i = 0;
    let skip = |i: &mut usize| {
        while *i < bytes.len() && (bytes[*i] == b' ' || bytes[*i] == b',' || bytes[*i] == b'\t') {
            *i += 1;
        }
    };
    while i < bytes.len() {
        skip(&mut i);
        let start = i;
        while i < bytes.len() && !b" =,\t".contains(&bytes[i]) {
            i += 1;
        }
        let token = &value[start..i];
        if token.is_empty() {
            break;
        }
        if i < bytes.len() && bytes[i] == b'=' {
            // a parameter of the current challenge
            i += 1;
            let param_value = if i < bytes.len() && bytes[i] == b'"' {
                i += 1;
                let mut text = String::new();
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' && i + 1 < bytes.len() {
                        i += 1;
                    }
                    let ch = value[i..].chars().next().unwrap_or(' ');
                    text.push(ch);
                    i += ch.len_utf8();
                }
                i += 1; // closing quote
                text
            } else {
                let start = i;
                while i < bytes.len() && bytes[i] != b',' {
                    i += 1;
                }
                value[start..i].trim().to_string()
            };
            if let Some(challenge) = challenges.last_mut() {
                challenge.params.insert(token.to_ascii_lowercase(), param_value);
            }
        } else {
            challenges.push(Challenge { scheme: token.to_ascii_lowercase(), params: BTreeMap::new() });
        }
    }
    challenges
}

/// The distribution spec's error body (`{"errors": [{"code": "UNAUTHORIZED", "message": "..."}]}`),
/// phrased as containers/image prints it: `unauthorized: authentication required`.
pub fn registry_error_text(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let errors = value.get("errors")?.as_array()?;
    let texts: Vec<String> = errors
        .iter()
        .filter_map(|e| {
            let code = e.get("code")?.as_str()?.to_ascii_lowercase().replace('_', " ");
            let message = e.get("message").and_then(|m| m.as_str()).unwrap_or_default();
            Some(if message.is_empty() { code } else { format!("{code}: {message}") })
        })
        .collect();
    (!texts.is_empty()).then(|| texts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(wire: &str, head_only: bool, limit: usize) -> Result<Response, HttpError> {
        read_response(&mut wire.as_bytes(), head_only, limit)
    }

    #[test]
    fn writes_requests() {
        let request = Request::new("GET", "/v2/", "registry.lab.test").header("Accept", "*/*");
        let text = String::from_utf8(request.to_bytes()).unwrap();
        assert!(text.starts_with("GET /v2/ HTTP/1.1\r\nHost: registry.lab.test\r\nAccept: */*\r\nUser-Agent: pulldoctor-probe/"));
        assert!(text.ends_with("\r\n\r\n") && !text.contains("Content-Length"));
        let post = Request { body: b"{}".to_vec(), ..Request::new("POST", "/", "api") };
        assert!(String::from_utf8(post.to_bytes()).unwrap().contains("Content-Length: 2\r\n\r\n{}"));
    }

    #[test]
    fn reads_content_length_chunked_and_close_delimited_bodies() {
        let r = read("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"lab\"\r\nContent-Length: 5\r\n\r\nhello", false, 100)
            .unwrap();
        assert_eq!((r.status, r.reason.as_str(), r.body.as_slice(), r.reusable), (401, "Unauthorized", &b"hello"[..], true));
        assert_eq!(r.header("www-authenticate"), Some("Basic realm=\"lab\""));

        let r = read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n", false, 100)
            .unwrap();
        assert_eq!((r.body.as_slice(), r.truncated, r.reusable), (&b"abcde"[..], false, true));

        let r = read("HTTP/1.0 200 OK\r\n\r\nuntil close", false, 100).unwrap();
        assert_eq!((r.body.as_slice(), r.reusable), (&b"until close"[..], false));

        let r = read("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", false, 4).unwrap();
        assert_eq!((r.body.as_slice(), r.truncated, r.reusable), (&b"0123"[..], true, true), "cut at the limit, read to its end");
        let r = read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n8\r\n89abcdef\r\n0\r\n\r\n", false, 4).unwrap();
        assert_eq!((r.body.as_slice(), r.truncated, r.reusable), (&b"0123"[..], true, false), "stopped at the limit: not reusable");

        let r = read("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nDocker-Content-Digest: sha256:x\r\n\r\n", true, 4).unwrap();
        assert_eq!((r.body.len(), r.header("docker-content-digest")), (0, Some("sha256:x")), "HEAD has no body");

        let r = read("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false, 4).unwrap();
        assert!(!r.reusable);
    }

    #[test]
    fn reports_broken_answers() {
        assert!(matches!(read("", false, 10), Err(HttpError::Eof)));
        assert!(matches!(read("HTTP/1.1 200 OK\r\nContent-Le", false, 10), Err(HttpError::Malformed(_))));
        assert!(matches!(read("\x16\x03\x01\x00garbage\r\n\r\n", false, 10), Err(HttpError::Malformed(_))));
        assert!(matches!(read("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort", false, 100), Err(HttpError::Eof)));
        assert!(matches!(read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false, 100), Err(HttpError::Malformed(_))));
    }

    #[test]
    fn parses_challenges() {
        let c = parse_challenges(r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull""#);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].params["realm"], "https://auth.docker.io/token");
        assert_eq!(c[0].params["scope"], "repository:a/b:pull");
        let c = parse_challenges(r#"Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com""#);
        assert_eq!((c[0].scheme.as_str(), c[0].params["service"].as_str()), ("basic", "ecr.amazonaws.com"));
        let c = parse_challenges(r#"Negotiate, Basic realm="a \"quoted\" realm", charset=UTF-8"#);
        assert_eq!(c.iter().map(|c| c.scheme.as_str()).collect::<Vec<_>>(), ["negotiate", "basic"]);
        assert_eq!(c[1].params["realm"], "a \"quoted\" realm");
        assert_eq!(c[1].params["charset"], "UTF-8");
        assert!(parse_challenges("").is_empty());
    }

    #[test]
    fn phrases_registry_errors_like_containers_image() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"v9"}}]}"#;
        assert_eq!(registry_error_text(body).as_deref(), Some("manifest unknown: manifest unknown"));
        let body = br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#;
        assert_eq!(registry_error_text(body).as_deref(), Some("unauthorized: authentication required"));
        assert_eq!(registry_error_text(b"Not Authorized"), None);
    }
}
