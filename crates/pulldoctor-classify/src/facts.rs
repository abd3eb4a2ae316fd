//! Facts read from the message text: the image, the host and kind of the failing request, the
//! dialled address, the DNS server, the HTTP status, and from those (with the class) the pull
//! step that failed. Also the host helpers the explanations use (private addresses, ECR
//! registries, S3 layer hosts).

use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;

use regex::Regex;

use crate::class::{ErrorClass, PullStep};

use ErrorClass as C;

/// A regex compiled once, on first use.
macro_rules! re {
    ($s:expr) => {{
        static R: OnceLock<Regex> = OnceLock::new();
        R.get_or_init(|| Regex::new($s).expect("valid regex"))
    }};
}

/// Longest message considered; the rest is ignored (kubelet messages are far shorter).
const MAX_LEN: usize = 16 * 1024;

/// Normalises a message for matching and fact extraction: at most [`MAX_LEN`] bytes, log escapes
/// undone, white space folded, and the Docker Engine API's HTTP 500 wrapper removed (see
/// [`strip_daemon_500`]).
pub(crate) fn normalize(message: &str) -> String {
    let mut s = message;
    if s.len() > MAX_LEN {
        let mut end = MAX_LEN;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s = &s[..end];
    }
    // Logs escape quotes and newlines (`msg="... \"X\" ..."`); undo that, then fold whitespace.
    let s = s.replace("\\\"", "\"").replace("\\n", " ").replace("\\t", " ");
    let mut out = String::with_capacity(s.len());
    let mut last_space = true;
    for ch in s.chars() {
        if ch.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        } else {
            out.push(ch);
            last_space = false;
        }
    }
    while out.ends_with(' ') {
        out.pop();
    }
    strip_daemon_500(&out)
}

/// Removes the HTTP 500 the Docker Engine API answers its client with for any failed pull, so
/// that the real error inside decides: `(HTTP code 500) server error - {"message":"Get ...: dial
/// tcp: lookup ..."}` (dockerode, Kitematic), `500 Server Error: Internal Server Error ("...")`
/// and `500 Server Error for http+docker://...: Internal Server Error ("...")` (docker-py),
/// `API error (500): ...` (go-dockerclient, as old kubelets print it). That 500 is the daemon's,
/// not the registry's: a registry 5xx is reported inside as `received unexpected HTTP status: 5xx`.
fn strip_daemon_500(text: &str) -> String {
    let wrapper = re!(
        r"(?i)\(http code 500\) server error - |http code is 500 which indicates error: server error - |\bserver error - |\b500 server error(?: for \S+)?: internal server error \(|\bapi error \(500\): "
    );
    wrapper.replace_all(text, "").into_owned()
}

/// What the failing request asked for, from its URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UrlKind {
    Token,
    Blob,
    Manifest,
    Ping,
    Other,
}

/// What the message text says, before any rule decides.
#[derive(Default)]
pub(crate) struct Facts {
    pub(crate) image: Option<String>,
    pub(crate) url_host: Option<String>,
    pub(crate) url_kind: Option<UrlKind>,
    pub(crate) lookup_host: Option<String>,
    pub(crate) dialled: Option<SocketAddr>,
    pub(crate) dns_server: Option<SocketAddr>,
    pub(crate) http_status: Option<u16>,
}

fn parse_sockaddr(s: &str) -> Option<SocketAddr> {
    let s = s.trim_end_matches([',', '.', ')']);
    s.parse::<SocketAddr>().ok()
}

fn extract_image(text: &str) -> Option<String> {
    let patterns: [&Regex; 12] = [
        re!(r#"(?i)failed to pull image "([^"\s]+)""#),
        re!(r#"(?i)back-off pulling image "([^"\s]+)""#),
        re!(r#"(?i)container image "([^"\s]+)" is not present"#),
        re!(r#"(?i)pulling image "([^"\s]+)""#),
        re!(r#"(?i)failed to pull and unpack image "([^"\s]+)""#),
        re!(r#"(?i)failed to resolve reference "([^"\s]+)""#),
        re!(
            r#"(?i)(?:initializing source|unable to copy from source|parsing image name "?) ?docker://([^\s":]+(?::\d+)?[^\s":]*(?::[\w][\w.-]*)?(?:@sha256:[0-9a-f]+)?)"#
        ),
        re!(r#"(?i)pull access denied for ([^\s,]+),"#),
        re!(r#"(?i)manifest for ([^\s]+) not found"#),
        // containers/image short-name resolution (CRI-O, podman)
        re!(r#"(?i)short-name "([^"\s]+)""#),
        re!(r#"(?i)image name (\S+) returns ambiguous list"#),
        re!(r#"(?i)failed to inspect image "([^"\s]+)""#),
    ];
    for r in patterns {
        if let Some(c) = r.captures(text) {
            return Some(c[1].trim_end_matches(':').to_string());
        }
    }
    // c/image: `reading manifest TAG in REPO` / `Error reading manifest TAG in REPO`
    if let Some(c) = re!(r"(?i)reading manifest (\S+) in ([^\s:]+(?::\d+)?[^\s:]*)").captures(text) {
        let tag = &c[1];
        let sep = if tag.starts_with("sha256:") { "@" } else { ":" };
        return Some(format!("{}{}{}", &c[2], sep, tag));
    }
    None
}

fn url_kind(host: &str, path: &str) -> UrlKind {
    let p = path.to_ascii_lowercase();
    if p.contains("/blobs/") || is_layer_storage_host(host) {
        UrlKind::Blob
    } else if p.contains("/manifests/") {
        UrlKind::Manifest
    } else if p.contains("token")
        || p.contains("/oauth2/")
        || p.contains("/v2/auth")
        || p.contains("scope=repository")
        || host.starts_with("auth.")
    {
        UrlKind::Token
    } else if p == "/v2/" || p == "/v2" || p.is_empty() || p == "/" {
        UrlKind::Ping
    } else {
        UrlKind::Other
    }
}

fn extract_url(text: &str) -> Option<(String, UrlKind)> {
    // The request that failed: `Get "https://host/path": ...`, `Head https://...: ...`,
    // `unexpected status code https://...: 429 ...`. Take the last one: wrappers come first.
    let r = re!(
        r#"(?i)(?:\b(?:get|head|post|put)\s+"?|unexpected status code\s+|unexpected status from \S+ request to\s+)(https?)://([a-z0-9.-]+|\[[0-9a-f:]+\])(:\d+)?([^\s"]*)"#
    );
    let mut best = None;
    for c in r.captures_iter(text) {
        let host = c[2].to_ascii_lowercase();
        let mut path = c.get(4).map(|m| m.as_str()).unwrap_or("");
        path = path.trim_end_matches(':');
        let kind = url_kind(&host, path);
        let port = c.get(3).map(|m| m.as_str()).unwrap_or("");
        let shown = if port.is_empty() || port == ":443" { host.clone() } else { format!("{host}{port}") };
        best = Some((shown, kind));
    }
    if best.is_some() {
        return best;
    }
    let hosts: [&Regex; 3] = [
        re!(r"(?i)pulling from host ([a-z0-9.-]+(?::\d+)?) failed"),
        re!(r"(?i)pinging (?:container|docker) registry ([a-z0-9.-]+(?::\d+)?)"),
        re!(r"(?i)\bhost ([a-z0-9.-]+\.[a-z]{2,}(?::\d+)?)"),
    ];
    for (i, r) in hosts.iter().enumerate() {
        if let Some(c) = r.captures(text) {
            let kind = if i == 1 { UrlKind::Ping } else { UrlKind::Other };
            return Some((c[1].to_ascii_lowercase(), kind));
        }
    }
    None
}

pub(crate) fn registry_of(image: &str) -> String {
    let first = image.split('/').next().unwrap_or("");
    if image.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost") {
        first.to_ascii_lowercase()
    } else {
        "docker.io".to_string()
    }
}

pub(crate) fn extract_facts(text: &str) -> Facts {
    let mut f = Facts { image: extract_image(text), ..Facts::default() };
    if let Some((h, k)) = extract_url(text) {
        f.url_host = Some(h);
        f.url_kind = Some(k);
    }
    // DNS: `lookup HOST on 10.0.0.2:53: ...`, `lookup HOST: ...`
    if let Some(c) = re!(r"(?i)\blookup ([a-z0-9._-]+)(?: on (\[[0-9a-f:.]+\]:\d+|\d{1,3}(?:\.\d{1,3}){3}:\d+|\S+?))?:").captures(text) {
        f.lookup_host = Some(c[1].to_ascii_lowercase());
        if let Some(m) = c.get(2) {
            f.dns_server = parse_sockaddr(m.as_str());
        }
    }
    // The TCP peer: `dial tcp 1.2.3.4:443:`, `dial tcp [2600::1]:443:`, `read tcp A->B: ...`
    if let Some(c) = re!(r"(?i)dial tcp (\d{1,3}(?:\.\d{1,3}){3}:\d+|\[[0-9a-f:.%a-z]+\]:\d+)").captures(text) {
        f.dialled = parse_sockaddr(&c[1]);
    } else if let Some(c) = re!(r"(?i)\btcp \S+->(\d{1,3}(?:\.\d{1,3}){3}:\d+|\[[0-9a-f:.]+\]:\d+)").captures(text) {
        f.dialled = parse_sockaddr(&c[1]);
    }
    f.http_status = extract_status(text);
    f
}

fn extract_status(text: &str) -> Option<u16> {
    const REASONS: &str = r"(?i)\b(4\d\d|5\d\d) (?:unauthorized|forbidden|not found|too many requests|internal server error|bad gateway|service unavailable|gateway time-?out|proxy authentication required|bad request|method not allowed|request timeout|conflict|not implemented)";
    let explicit: [&Regex; 7] = [
        re!(REASONS),
        re!(r"(?i)status(?: code)?:? (\d{3})\b"),
        re!(r"(?i)\bstatus (\d{3}) "),
        re!(r"(?i)http code:? (\d{3})\b"),
        re!(r"(?i)\bhttp (\d{3}) response"),
        re!(
            r"(?i)\b([45]\d\d) \((?:unauthorized|forbidden|not found|too many requests|internal server error|bad gateway|service unavailable|gateway time-?out)\)"
        ),
        re!(r"(?i)https?://\S+: (\d{3})(?:\s|$)"),
    ];
    for r in explicit {
        if let Some(c) = r.captures(text)
            && let Ok(n) = c[1].parse::<u16>()
            && (100..600).contains(&n)
        {
            return Some(n);
        }
    }
    let lower = text.to_ascii_lowercase();
    // Go's CONNECT failure: `Get "https://...": Proxy Authentication Required` (phrase only)
    if lower.contains(": proxy authentication required") {
        return Some(407);
    }
    // registry error codes (distribution spec) imply the status
    let implied: [(&str, u16); 8] = [
        ("toomanyrequests", 429),
        ("manifest unknown", 404),
        ("name unknown", 404),
        ("blob unknown", 404),
        ("unauthorized: ", 401),
        ("no basic auth credentials", 401),
        ("denied: ", 403),
        ("requested access to the resource is denied", 403),
    ];
    implied.iter().find(|(k, _)| lower.contains(k)).map(|&(_, n)| n)
}

/// RFC 1918, RFC 6598 (shared address space, used by some VPC setups), loopback, link-local,
/// IPv6 ULA, link-local and loopback.
pub(crate) fn is_private(ip: IpAddr) -> bool {
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

/// `(account, region)` for `<account>.dkr.ecr.<region>.amazonaws.com`.
pub(crate) fn ecr_registry(host: &str) -> Option<(String, String)> {
    let c = re!(r"^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?(?::\d+)?$").captures(host)?;
    Some((c[1].to_string(), c[2].to_string()))
}

/// The region of an S3 host (`prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com`,
/// `bucket.s3.eu-west-1.amazonaws.com`, `s3.amazonaws.com` => `None` region but still S3).
pub(crate) fn s3_host(host: &str) -> Option<Option<String>> {
    if !(host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn")) {
        return None;
    }
    if !re!(r"starport-layer-bucket|(?:^|\.)s3[.-]").is_match(host) {
        return None;
    }
    let region = re!(r"(?:^|\.)s3[.-](?:dualstack\.)?([a-z]{2}(?:-gov)?-[a-z]+-\d)\.")
        .captures(host)
        .or_else(|| re!(r"prod-([a-z]{2}(?:-gov)?-[a-z]+-\d)-starport").captures(host))
        .map(|c| c[1].to_string());
    Some(region)
}

/// Hosts that serve layers for registries (S3 for ECR and Quay, CDNs for Docker Hub, GCR, GHCR).
fn is_layer_storage_host(host: &str) -> bool {
    s3_host(host).is_some()
        || host.ends_with(".cloudfront.net")
        || host.ends_with("cloudflare.docker.com")
        || host.ends_with(".r2.cloudflarestorage.com")
        || host == "storage.googleapis.com"
        || host.ends_with(".blob.core.windows.net")
        || host.ends_with(".githubusercontent.com")
        || (host.starts_with("cdn") && host.ends_with(".quay.io"))
}

pub(crate) fn step_for(class: ErrorClass, facts: &Facts, lower: &str, rule_id: &str) -> PullStep {
    let kind = facts.url_kind;
    let token = kind == Some(UrlKind::Token)
        || lower.contains("failed to authorize")
        || lower.contains("fetch anonymous token")
        || lower.contains("oauth token")
        || lower.contains("fetching token");
    let blob = kind == Some(UrlKind::Blob)
        || lower.contains("error pulling image configuration")
        || lower.contains("reading blob")
        || lower.contains("copying blob")
        || lower.contains("fetching blob")
        || lower.contains("storing blob")
        || lower.contains("fetching image layer")
        || lower.contains("blob unknown")
        || lower.contains("blob_unknown")
        || lower.contains("unknown blob")
        || lower.contains("content descriptor")
        || lower.contains("/blobs/");
    let by_request = |default: PullStep| {
        if blob {
            PullStep::Blob
        } else if token {
            PullStep::TokenExchange
        } else {
            default
        }
    };
    match class {
        C::Dns => {
            if lower.contains("proxyconnect") {
                PullStep::ProxyConnect
            } else {
                PullStep::DnsLookup
            }
        }
        C::Proxy => PullStep::ProxyConnect,
        C::Tls => by_request(PullStep::TlsHandshake),
        C::NetworkTimeout | C::ConnectionRefused => {
            if blob {
                PullStep::Blob
            } else if token {
                PullStep::TokenExchange
            } else if rule_id == "net.tls-handshake-timeout" {
                PullStep::TlsHandshake
            } else if lower.contains("awaiting headers") && !lower.contains("waiting for connection") {
                PullStep::Manifest
            } else if facts.url_host.is_none() && facts.dialled.is_none() && !lower.contains("dial tcp") && !lower.contains("connect:") {
                // a bare `context deadline exceeded`: nothing says where the time went
                PullStep::Unknown
            } else {
                PullStep::TcpConnect
            }
        }
        C::ConnectionReset => {
            if blob {
                PullStep::Blob
            } else if token {
                PullStep::TokenExchange
            } else if lower.contains("connect: connection reset") {
                PullStep::TcpConnect
            } else if kind == Some(UrlKind::Manifest) {
                PullStep::Manifest
            } else {
                // a reset on the /v2/ ping or with no URL: the TLS handshake or the first request
                PullStep::Unknown
            }
        }
        C::AuthMissing | C::AuthExpired => {
            if blob {
                PullStep::Blob
            } else if matches!(rule_id, "auth.pull-access-denied" | "auth.requested-access-denied") {
                // a token was handed out (anonymous or not); the manifest request was refused
                PullStep::Manifest
            } else {
                PullStep::TokenExchange
            }
        }
        C::AuthDenied | C::RateLimit | C::RegistryServerError | C::ImageNotFound => by_request(PullStep::Manifest),
        C::PlatformMismatch => {
            if rule_id == "platform.exec-format" {
                PullStep::Unknown
            } else {
                PullStep::Manifest
            }
        }
        C::DiskPressure => PullStep::Unpack,
        C::Policy => PullStep::Admission,
        C::InvalidReference | C::NeverPull | C::Other => PullStep::Unknown,
    }
}
