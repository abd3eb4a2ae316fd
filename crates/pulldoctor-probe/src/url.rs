//! The few URLs a pull uses (`https://host[:port]/path?query`), parsed just enough to dial them.
//!
//! Not a general URL parser: no percent-decoding of the host, no relative resolution beyond what
//! an HTTP redirect needs ([`Url::join`]). Query strings are kept for requests but never shown:
//! a pre-signed S3 URL carries its signature and session token there ([`Url::shown`]).

use std::fmt;

/// A parsed absolute `http`/`https` URL (or a proxy URL, whose scheme may be anything).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// Lower-case scheme: `https`, `http`, ...
    pub scheme: String,
    /// User name from `user:password@`, percent-decoded (proxy URLs).
    pub user: Option<String>,
    /// Password from `user:password@`, percent-decoded; never printed.
    pub password: Option<String>,
    /// Lower-case host name or IP address, without brackets.
    pub host: String,
    /// The port, explicit or the scheme's default.
    pub port: u16,
    /// Whether the port was written in the URL.
    pub explicit_port: bool,
    /// Path and query, at least `/`.
    pub path: String,
}

impl Url {
    /// Parses `scheme://[user[:password]@]host[:port][/path][?query]`.
    pub fn parse(text: &str) -> Result<Url, String> {
        let (scheme, rest) = text.split_once("://").ok_or_else(|| format!("`{text}` is not an absolute URL (no scheme://)"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) {
            return Err(format!("`{text}` has an invalid scheme"));
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        let path = path.split('#').next().unwrap_or_default();
        let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            Some(info) => match info.split_once(':') {
                Some((user, password)) => (Some(percent_decode(user)), Some(percent_decode(password))),
                None => (Some(percent_decode(info)), None),
            },
            None => (None, None),
        };
        let (host, port) = split_host_port(hostport).ok_or_else(|| format!("`{text}` has an invalid host or port"))?;
        if host.is_empty() {
            return Err(format!("`{text}` names no host"));
        }
        let default_port = match scheme.as_str() {
            "https" => 443,
            "http" => 80,
            "socks5" | "socks5h" => 1080,
            _ => 0,
        };
        Ok(Url {
            scheme,
            user,
            password,
            host: host.to_ascii_lowercase(),
            port: port.unwrap_or(default_port),
            explicit_port: port.is_some(),
            path,
        })
    }

    /// `host:port` as dialled (`[v6]:port` for IPv6).
    pub fn authority(&self) -> String {
        format!("{}:{}", bracket(&self.host), self.port)
    }

    /// The `Host` header: the port only when it is not the scheme's default.
    pub fn host_header(&self) -> String {
        if self.explicit_port && !matches!((self.scheme.as_str(), self.port), ("https", 443) | ("http", 80)) {
            self.authority()
        } else {
            bracket(&self.host)
        }
    }

    /// The URL as it can be shown: no user information and no query string (pre-signed URLs
    /// carry signatures and session tokens there).
    pub fn shown(&self) -> String {
        let path = self.path.split('?').next().unwrap_or_default();
        format!("{}://{}{}", self.scheme, self.host_header(), path)
    }

    /// A redirect target (`Location`) relative to this URL.
    pub fn join(&self, location: &str) -> Result<Url, String> {
        if location.contains("://") {
            Url::parse(location)
        } else if let Some(rest) = location.strip_prefix("//") {
            Url::parse(&format!("{}://{rest}", self.scheme))
        } else if location.starts_with('/') {
            Ok(Url { path: location.to_string(), ..self.clone() })
        } else {
            let base = self.path.split('?').next().unwrap_or("/");
            let dir = &base[..base.rfind('/').map(|i| i + 1).unwrap_or(0)];
            Ok(Url { path: format!("{dir}{location}"), ..self.clone() })
        }
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown())
    }
}

fn bracket(host: &str) -> String {
    if host.contains(':') { format!("[{host}]") } else { host.to_string() }
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`; `None` when the port is not a number.
pub fn split_host_port(text: &str) -> Option<(String, Option<u16>)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        return Some((host.to_string(), port));
    }
    match text.rsplit_once(':') {
        Some((host, _)) if host.contains(':') => Some((text.to_string(), None)), // a bare IPv6 address
        Some((host, port)) => Some((host.to_string(), Some(port.parse().ok()?))),
        None => Some((text.to_string(), None)),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(byte) = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query component (RFC 3986 unreserved characters stay).
pub fn query_escape(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_a_pull_uses() {
        let url = Url::parse("https://Registry.Lab.test/v2/").unwrap();
        assert_eq!((url.host.as_str(), url.port, url.path.as_str()), ("registry.lab.test", 443, "/v2/"));
        assert_eq!(url.host_header(), "registry.lab.test");
        let url = Url::parse("http://user:p%40ss@10.0.0.1:3128").unwrap();
        assert_eq!((url.user.as_deref(), url.password.as_deref(), url.port, url.path.as_str()), (Some("user"), Some("p@ss"), 3128, "/"));
        assert_eq!(url.shown(), "http://10.0.0.1:3128/", "no user information is shown");
        let url = Url::parse("https://[2600:1f18::1]:8443/v2/?x=1").unwrap();
        assert_eq!((url.host.as_str(), url.authority().as_str()), ("2600:1f18::1", "[2600:1f18::1]:8443"));
        assert!(Url::parse("registry.lab.test/v2/").is_err());
        assert!(Url::parse("https://host:notaport/").is_err());
        assert!(Url::parse("https:///v2/").is_err());
    }

    #[test]
    fn shown_drops_the_query_of_a_presigned_url() {
        let url = Url::parse("https://bucket.s3.us-east-1.amazonaws.com/a/b?X-Amz-Signature=secret&X-Amz-Security-Token=t").unwrap();
        assert_eq!(url.shown(), "https://bucket.s3.us-east-1.amazonaws.com/a/b");
        assert!(!url.to_string().contains("secret"));
    }

    #[test]
    fn joins_redirects() {
        let base = Url::parse("https://registry.lab.test:8443/v2/demo/app/blobs/sha256:ab").unwrap();
        assert_eq!(base.join("https://layers.lab.test/x?sig=1").unwrap().host, "layers.lab.test");
        assert_eq!(base.join("/other").unwrap().authority(), "registry.lab.test:8443");
        assert_eq!(base.join("sibling").unwrap().path, "/v2/demo/app/blobs/sibling");
        assert_eq!(base.join("//cdn.lab.test/y").unwrap().scheme, "https");
    }

    #[test]
    fn escapes_queries() {
        assert_eq!(query_escape("repository:demo/app:pull"), "repository%3Ademo%2Fapp%3Apull");
    }
}
