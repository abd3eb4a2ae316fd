//! Classifies container image pull error messages.
//!
//! Input is the text a Kubernetes node prints when a pull fails: the kubelet event message
//! (`Failed to pull image "X": rpc error: code = ... desc = ...`), a container status
//! `waiting.message`, or the raw text of the runtime or client underneath (CRI-O / podman /
//! skopeo, which share `containers/image`; containerd and `ctr`; the Docker daemon).
//!
//! [`classify`] returns a [`Classification`]: the [`ErrorClass`], the [`PullStep`] that failed,
//! the facts found in the text (image, host, dialled address, DNS server, HTTP status) and a short
//! explanation with the layers the message makes plausible (`rules_in`) and implausible
//! (`rules_out`). It is a pure function: no I/O, no clock, no environment, and the same input
//! always gives the same output.
//!
//! The decision is made by an ordered catalogue of rules ([`rule_ids`]); the first rule whose
//! pattern matches the normalised message decides. More specific rules come first, so that for
//! example `lookup X on 10.0.0.2:53: ... i/o timeout` is a DNS failure and not a network timeout.

#![warn(missing_docs)]

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// What kind of failure a pull error message describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorClass {
    /// Packets to the registry (or its layer storage / token service) are not answered in time,
    /// or there is no route: `i/o timeout`, `context deadline exceeded`, `no route to host`.
    NetworkTimeout,
    /// A name could not be resolved: `no such host`, `server misbehaving`, a lookup timeout.
    Dns,
    /// The address answered with a TCP reset: nothing listens there.
    ConnectionRefused,
    /// TLS failed: untrusted or expired certificate, wrong name, plain HTTP where HTTPS was expected.
    Tls,
    /// An HTTP(S) proxy on the path failed or refused the CONNECT.
    Proxy,
    /// The registry wants credentials and got none (or none it recognised).
    AuthMissing,
    /// The credentials presented have expired (ECR tokens live 12 hours).
    AuthExpired,
    /// Credentials were presented and the registry (or an IAM / endpoint policy) refused them.
    AuthDenied,
    /// The repository, tag or digest does not exist in the registry.
    ImageNotFound,
    /// The registry throttled the client (HTTP 429, `toomanyrequests`).
    RateLimit,
    /// The image has no variant for the node's OS/architecture.
    PlatformMismatch,
    /// The image reference itself is malformed.
    InvalidReference,
    /// The node ran out of disk space while storing or unpacking the image.
    DiskPressure,
    /// The registry (or a gateway in front of it) answered 5xx.
    RegistryServerError,
    /// A signature / image policy or admission control rejected the image.
    Policy,
    /// `imagePullPolicy: Never` and the image is not on the node.
    NeverPull,
    /// Anything else, including messages whose cause text is missing (back-off only).
    Other,
}

const ALL_CLASSES: &[ErrorClass] = &[
    ErrorClass::NetworkTimeout,
    ErrorClass::Dns,
    ErrorClass::ConnectionRefused,
    ErrorClass::Tls,
    ErrorClass::Proxy,
    ErrorClass::AuthMissing,
    ErrorClass::AuthExpired,
    ErrorClass::AuthDenied,
    ErrorClass::ImageNotFound,
    ErrorClass::RateLimit,
    ErrorClass::PlatformMismatch,
    ErrorClass::InvalidReference,
    ErrorClass::DiskPressure,
    ErrorClass::RegistryServerError,
    ErrorClass::Policy,
    ErrorClass::NeverPull,
    ErrorClass::Other,
];

impl ErrorClass {
    /// The kebab-case name, as serialised (`network-timeout`, `auth-missing`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::NetworkTimeout => "network-timeout",
            ErrorClass::Dns => "dns",
            ErrorClass::ConnectionRefused => "connection-refused",
            ErrorClass::Tls => "tls",
            ErrorClass::Proxy => "proxy",
            ErrorClass::AuthMissing => "auth-missing",
            ErrorClass::AuthExpired => "auth-expired",
            ErrorClass::AuthDenied => "auth-denied",
            ErrorClass::ImageNotFound => "image-not-found",
            ErrorClass::RateLimit => "rate-limit",
            ErrorClass::PlatformMismatch => "platform-mismatch",
            ErrorClass::InvalidReference => "invalid-reference",
            ErrorClass::DiskPressure => "disk-pressure",
            ErrorClass::RegistryServerError => "registry-server-error",
            ErrorClass::Policy => "policy",
            ErrorClass::NeverPull => "never-pull",
            ErrorClass::Other => "other",
        }
    }

    /// Every class, in declaration order.
    pub fn all() -> &'static [ErrorClass] {
        ALL_CLASSES
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the kebab-case names of [`ErrorClass`] or [`PullStep`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} name {name:?}")]
pub struct UnknownName {
    /// `"class"` or `"step"`.
    pub kind: &'static str,
    /// The name that was not recognised.
    pub name: String,
}

impl FromStr for ErrorClass {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ALL_CLASSES.iter().copied().find(|c| c.as_str() == s).ok_or_else(|| UnknownName { kind: "class", name: s.to_string() })
    }
}

/// The part of the pull that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PullStep {
    /// Resolving a host name (registry, token service, layer storage).
    DnsLookup,
    /// Opening the TCP connection to the registry.
    TcpConnect,
    /// The TLS handshake with the registry.
    TlsHandshake,
    /// Going through an HTTP(S) proxy (CONNECT, or reaching the proxy itself).
    ProxyConnect,
    /// Getting or presenting credentials: token realm, credential provider, 401 challenge.
    TokenExchange,
    /// Resolving the reference: the manifest (or index) request.
    Manifest,
    /// Fetching a layer or the image configuration (often from another host: S3, a CDN).
    Blob,
    /// Writing / unpacking the layers on the node.
    Unpack,
    /// A policy or admission check on the image.
    Admission,
    /// Not known from the text.
    Unknown,
}

const ALL_STEPS: &[PullStep] = &[
    PullStep::DnsLookup,
    PullStep::TcpConnect,
    PullStep::TlsHandshake,
    PullStep::ProxyConnect,
    PullStep::TokenExchange,
    PullStep::Manifest,
    PullStep::Blob,
    PullStep::Unpack,
    PullStep::Admission,
    PullStep::Unknown,
];

impl PullStep {
    /// The kebab-case name, as serialised (`dns-lookup`, `tcp-connect`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            PullStep::DnsLookup => "dns-lookup",
            PullStep::TcpConnect => "tcp-connect",
            PullStep::TlsHandshake => "tls-handshake",
            PullStep::ProxyConnect => "proxy-connect",
            PullStep::TokenExchange => "token-exchange",
            PullStep::Manifest => "manifest",
            PullStep::Blob => "blob",
            PullStep::Unpack => "unpack",
            PullStep::Admission => "admission",
            PullStep::Unknown => "unknown",
        }
    }

    /// Every step, in declaration order.
    pub fn all() -> &'static [PullStep] {
        ALL_STEPS
    }
}

impl fmt::Display for PullStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PullStep {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ALL_STEPS.iter().copied().find(|c| c.as_str() == s).ok_or_else(|| UnknownName { kind: "step", name: s.to_string() })
    }
}

/// The result of classifying one pull error message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    /// What kind of failure this is.
    pub class: ErrorClass,
    /// Which part of the pull failed.
    pub step: PullStep,
    /// The image, from `Failed to pull image "X"`, `Back-off pulling image "X"`,
    /// `failed to pull and unpack image "X"`, `initializing source docker://X` and similar.
    pub image: Option<String>,
    /// The host the failing request went to (registry, S3 layer host, token realm, proxy...).
    pub host: Option<String>,
    /// The address dialled, from `dial tcp 52.207.2.251:443` or `tcp A->B`.
    pub dialled: Option<SocketAddr>,
    /// Whether [`Classification::dialled`] is private (RFC 1918, RFC 6598, loopback, link-local,
    /// IPv6 ULA) or public.
    pub dialled_is_private: Option<bool>,
    /// The DNS server from `lookup X on 10.0.0.2:53`.
    pub dns_server: Option<SocketAddr>,
    /// The HTTP status the registry answered, written out or implied by a registry error code
    /// (`toomanyrequests` 429, `manifest unknown` 404, `unauthorized` 401, `denied` 403).
    pub http_status: Option<u16>,
    /// Other classes the text is equally consistent with; other evidence must decide.
    pub ambiguous_with: Vec<ErrorClass>,
    /// Id of the catalogue rule that decided (see [`rule_ids`]).
    pub rule: &'static str,
    /// One or two sentences: what the message means.
    pub explanation: String,
    /// Layers this message makes plausible as the cause.
    pub rules_in: Vec<String>,
    /// Layers this message makes implausible as the current blocker.
    pub rules_out: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Rules

struct Rule {
    id: &'static str,
    class: ErrorClass,
    /// Matched against the normalised, lower-cased message.
    pattern: &'static str,
    ambiguous: &'static [ErrorClass],
    /// Rule-specific first sentence of the explanation; `{host}`, `{addr}`, `{dns}`, `{image}`
    /// are replaced by the facts found (or a neutral word when missing).
    note: &'static str,
}

use ErrorClass as C;

const RULES: &[Rule] = &[
    Rule {
        id: "kubelet.never-pull",
        class: C::NeverPull,
        pattern: r"is not present with pull policy of never|errimageneverpull",
        ambiguous: &[],
        note: "The pod has imagePullPolicy: Never and {image} is not on this node, so the kubelet did not try to pull it.",
    },
    Rule {
        id: "ref.invalid",
        class: C::InvalidReference,
        pattern: r"invalid reference format|couldn'?t parse image reference|could not parse image reference|failed to parse image reference|invalidimagename|repository name must be (lowercase|canonical)|invalid image name|invalid repository name|invalid tag format|invalid checksum digest|invalid image reference",
        ambiguous: &[],
        note: "The image reference {image} is malformed (upper-case letters, a stray space or scheme, a bad tag or digest); no registry was contacted.",
    },
    Rule {
        id: "policy.signature",
        class: C::Policy,
        pattern: r"source image rejected|signaturevalidationfailed|signature validation failed|a signature was required|no signature exists|signature verification failed|rejected by policy|signatures? (is|are) (missing|invalid)",
        ambiguous: &[],
        note: "The runtime's image signature policy (policy.json / ClusterImagePolicy) rejected {image}: the pull itself worked but the image is not allowed.",
    },
    Rule {
        id: "policy.blocked",
        class: C::Policy,
        pattern: r"\bis blocked\b|prohibited by policy|blocked in /etc/containers/registries|blocked by (the )?(registry )?(configuration|policy|administrator)|admission webhook \S+ denied|image policy webhook|imagepolicywebhook|denied by image policy",
        ambiguous: &[],
        note: "A registry block list (OpenShift image.config.openshift.io blockedRegistries / registries.conf) or an admission policy refuses {image}.",
    },
    Rule {
        id: "proxy.connect-failed",
        class: C::Proxy,
        pattern: r"proxyconnect tcp",
        ambiguous: &[],
        note: "The runtime is configured to go through an HTTP(S) proxy and could not reach that proxy (proxyconnect): the request never left for {host}.",
    },
    Rule {
        id: "proxy.auth-required",
        class: C::Proxy,
        pattern: r"proxy authentication required|\b407 proxy|status(?: code)?:? 407\b",
        ambiguous: &[],
        note: "The HTTP proxy answered 407: it wants credentials the runtime's proxy settings do not carry.",
    },
    Rule {
        id: "proxy.connect-status",
        class: C::Proxy,
        pattern: r#"\b(?:get|head|post) "?https?://[^\s"]+"?: (?:forbidden|bad gateway|service unavailable|gateway time-?out|bad request|method not allowed|internal server error)(?:$|["\s])"#,
        ambiguous: &[C::AuthDenied],
        note: "The request to {host} failed with a bare HTTP reason phrase and no status code: that is how Go reports an HTTP(S) proxy refusing the CONNECT. A proxy ACL that does not allow the registry (Forbidden), or a proxy that cannot reach it (Bad Gateway / Service Unavailable / Gateway Timeout).",
    },
    Rule {
        id: "disk.no-space",
        class: C::DiskPressure,
        pattern: r"no space left on device|disk quota exceeded|not enough (free )?space|insufficient (disk )?space",
        ambiguous: &[],
        note: "The node's container storage (/var/lib/containers or /var/lib/containerd) is full: the layers were downloaded or being unpacked when writing failed.",
    },
    Rule {
        id: "platform.no-match",
        class: C::PlatformMismatch,
        pattern: r"no match for platform in manifest|no matching manifest for|no image found in (manifest list|image index) for architecture|does not match the specified platform|choosing (an )?image (from manifest list|instance)|image operating system .* cannot be used on this platform",
        ambiguous: &[],
        note: "The image index of {image} has no variant for this node's OS/architecture (for example an arm64-only image on amd64 nodes).",
    },
    Rule {
        id: "platform.exec-format",
        class: C::PlatformMismatch,
        pattern: r"exec format error",
        ambiguous: &[],
        note: "The binary in the image was built for another CPU architecture: the image was pulled but cannot run on this node.",
    },
    Rule {
        id: "tls.http-to-https",
        class: C::Tls,
        pattern: r"server gave http response to https client|first record does not look like a tls handshake",
        ambiguous: &[],
        note: "{host} speaks plain HTTP where the runtime expected HTTPS: the registry (or mirror) has no TLS and is not configured as insecure for this runtime.",
    },
    Rule {
        id: "tls.expired",
        class: C::Tls,
        pattern: r"certificate has expired|certificate is not yet valid|expired certificate",
        ambiguous: &[],
        note: "The certificate presented for {host} is expired (or not yet valid: check the node clock).",
    },
    Rule {
        id: "tls.name-mismatch",
        class: C::Tls,
        pattern: r"certificate is valid for|certificate is not valid for any names|doesn'?t contain any ip sans|hostname mismatch",
        ambiguous: &[C::Proxy],
        note: "The certificate presented does not cover {host}: the name resolves to a different server (a wrong endpoint, mirror or intercepting proxy) or the registry's certificate lacks this name.",
    },
    Rule {
        id: "tls.unknown-authority",
        class: C::Tls,
        pattern: r"certificate signed by unknown authority|unable to get local issuer certificate|self[- ]signed certificate|certificate is not trusted|unknown certificate authority",
        ambiguous: &[C::Proxy],
        note: "The certificate presented for {host} is signed by a CA the node does not trust: a private registry CA missing from the node's trust store, or a TLS-inspecting proxy / firewall rewriting the connection.",
    },
    Rule {
        id: "ratelimit.toomanyrequests",
        class: C::RateLimit,
        pattern: r"toomanyrequests|too many requests|(?:status(?: code)?:? |\bhttp |: )429\b|rate limit|ratelimit|rate exceeded|throttlingexception|throttled|pull qps exceeded",
        ambiguous: &[],
        note: "The registry ({host}) is throttling pulls: anonymous Docker Hub pulls are limited per source IP (all nodes behind one NAT share it), and ECR limits API calls per account.",
    },
    Rule {
        id: "auth.token-expired",
        class: C::AuthExpired,
        pattern: r"authorization token has expired|token has expired|token is expired|expired token|token expired|expiredtokenexception|security token included in the request is expired",
        ambiguous: &[],
        note: "The registry credential presented for {host} has expired: ECR authorization tokens live 12 hours, so a pull secret made once from `aws ecr get-login-password` stops working after that.",
    },
    Rule {
        id: "auth.ecr-iam-denied",
        class: C::AuthDenied,
        pattern: r"is not authorized to perform:? \S*ecr:|not authorized to perform: ecr:|is not authorized to perform",
        ambiguous: &[],
        note: "AWS authenticated the caller and refused the ECR action: an IAM, repository or VPC endpoint policy does not allow it.",
    },
    Rule {
        id: "auth.incorrect-credentials",
        class: C::AuthDenied,
        pattern: r"incorrect username or password|invalid username(/| or )password|invalid credentials|bad credentials|authentication failed|login attempt .* failed",
        ambiguous: &[],
        note: "Credentials were sent to {host} and rejected: wrong user name or password / token in the pull secret.",
    },
    Rule {
        id: "auth.invalid-token",
        class: C::AuthDenied,
        pattern: r"security token included in the request is invalid|token included in the request is invalid|invalid (bearer |auth(orization)? )?token",
        ambiguous: &[C::AuthExpired],
        note: "The credential presented for {host} was rejected as invalid: a malformed, revoked or (often) expired token in the pull secret or credential helper.",
    },
    Rule {
        id: "auth.no-basic-credentials",
        class: C::AuthMissing,
        pattern: r"no basic auth credentials",
        ambiguous: &[],
        note: "The registry {host} asked for credentials and the runtime had none for it: no matching pull secret and no token from a credential provider.",
    },
    Rule {
        id: "auth.pull-access-denied",
        class: C::AuthDenied,
        pattern: r"pull access denied|repository does not exist or may require|does not exist or no pull access",
        ambiguous: &[C::AuthMissing, C::ImageNotFound],
        note: "The registry refused the pull without saying why: it answers the same way for a repository that does not exist, a private repository without credentials, and credentials without access. Other evidence decides (does the repository exist? is a pull secret attached and valid?).",
    },
    Rule {
        id: "auth.requested-access-denied",
        class: C::AuthDenied,
        pattern: r"requested access to the resource is denied|insufficient_scope",
        ambiguous: &[C::AuthMissing, C::ImageNotFound],
        note: "The registry denied access to the repository: it says this for missing credentials, credentials without pull rights, and (on Docker Hub) repositories that do not exist. Other evidence decides.",
    },
    Rule {
        id: "auth.unauthorized",
        class: C::AuthMissing,
        pattern: r"unauthorized|authentication required|(?:status(?: code)?:? |\bhttp |: )401\b|unauthenticated|no credentials|credentials (were )?not (found|provided)|basic auth required",
        ambiguous: &[C::AuthDenied, C::AuthExpired],
        note: "The registry {host} answered 401: no credentials were sent, or the ones sent were not accepted (wrong, or expired).",
    },
    Rule {
        id: "auth.forbidden",
        class: C::AuthDenied,
        pattern: r"(?:status(?: code)?:? |\bhttp |: )403\b|forbidden|\bdenied: |access denied|access is denied",
        ambiguous: &[C::AuthExpired],
        note: "The registry {host} answered 403: it knows who is asking and refuses (no pull permission, a repository or endpoint policy, or an expired ECR token).",
    },
    Rule {
        id: "notfound.manifest",
        class: C::ImageNotFound,
        pattern: r"manifest unknown|manifest_unknown|name unknown|name_unknown|repository name not known|manifest for \S+ not found|(?:status(?: code)?:? |\bhttp |: )404\b|statuscode: 404|code = notfound|: not found(\W|$)|no such image|image not found|repository does not exist|does not exist in the registry|blob unknown|blob_unknown",
        ambiguous: &[],
        note: "The registry {host} answered that {image} does not exist: wrong repository name, a tag that was never pushed or was deleted (lifecycle policy), or the wrong registry or account.",
    },
    Rule {
        id: "server.5xx",
        class: C::RegistryServerError,
        pattern: r"(?:status(?: code)?:? |\bhttp |: |registry )50[0-4]\b|internal server error|bad gateway|service unavailable|gateway time-?out|received unexpected http status: 5|server error",
        ambiguous: &[],
        note: "{host} answered with a server error (5xx): the registry, or a load balancer / proxy / mirror in front of it, is failing. The request did reach it.",
    },
    Rule {
        id: "dns.nxdomain",
        class: C::Dns,
        pattern: r"no such host|name or service not known|nodename nor servname|could not resolve host|nxdomain|name does not resolve",
        ambiguous: &[],
        note: "The name {host} does not exist for the node's DNS resolver{dns_on} (NXDOMAIN): a typo, a private hosted zone not associated with this VPC, or a split-horizon name.",
    },
    Rule {
        id: "dns.servfail",
        class: C::Dns,
        pattern: r"server misbehaving|servfail",
        ambiguous: &[],
        note: "The DNS server{dns_on} failed to answer for {host} (SERVFAIL): its upstream or a forwarding rule for that zone is broken.",
    },
    Rule {
        id: "dns.timeout",
        class: C::Dns,
        pattern: r"lookup \S+ on \S+: .*time(d ?)?out|lookup \S+: .*i/o timeout|read udp \S+:53: i/o timeout",
        ambiguous: &[],
        note: "The DNS server{dns_on} did not answer the lookup of {host} in time: the resolver is unreachable from the node (security group / NACL / firewall on UDP and TCP 53) or overloaded. No connection to the registry was attempted.",
    },
    Rule {
        id: "dns.failed",
        class: C::Dns,
        pattern: r"temporary failure in name resolution|\blookup [a-z0-9._-]+( on \S+)?: |dial tcp: lookup|name resolution",
        ambiguous: &[],
        note: "Resolving {host} failed{dns_on}: the DNS server refused or could not be reached.",
    },
    Rule {
        id: "conn.refused",
        class: C::ConnectionRefused,
        pattern: r"connection refused|econnrefused|actively refused",
        ambiguous: &[],
        note: "{addr} answered with a TCP reset: the host is reachable but nothing listens on that port (registry down, wrong port, or a firewall that rejects instead of dropping).",
    },
    Rule {
        id: "net.tls-handshake-timeout",
        class: C::NetworkTimeout,
        pattern: r"tls handshake timeout",
        ambiguous: &[C::Proxy],
        note: "The TCP connection to {host} opened but the TLS handshake never completed: something on the path accepts connections and then stalls (a firewall, an MTU problem, or a proxy / endpoint that does not answer).",
    },
    Rule {
        id: "net.unreachable",
        class: C::NetworkTimeout,
        pattern: r"network is unreachable|enetunreach",
        ambiguous: &[],
        note: "The node has no route towards {addr}: its route table has no matching route (no default route / no route to the NAT gateway).",
    },
    Rule {
        id: "net.no-route-to-host",
        class: C::NetworkTimeout,
        pattern: r"no route to host|ehostunreach|host is unreachable",
        ambiguous: &[],
        note: "The path to {addr} is reported unreachable (an ICMP host-unreachable from a router or firewall, or no neighbour answering on the local subnet).",
    },
    Rule {
        id: "net.blackhole",
        class: C::NetworkTimeout,
        pattern: r"connect: invalid argument",
        ambiguous: &[],
        note: "The node's kernel refused to send to {addr}: a blackhole route covers that address.",
    },
    Rule {
        id: "net.io-timeout",
        class: C::NetworkTimeout,
        pattern: r"i/o timeout|connection timed out|did not properly respond after a period of time|etimedout|operation timed out|timeout exceeded while awaiting headers|timeout awaiting response headers|request canceled while waiting for connection|context deadline exceeded|deadlineexceeded|deadline exceeded",
        ambiguous: &[],
        note: "The request to {host} got no answer in time.",
    },
    Rule {
        id: "net.reset",
        class: C::NetworkTimeout,
        pattern: r"connection reset by peer|broken pipe|unexpected eof|: eof\b|http2: server sent goaway|connection closed before",
        ambiguous: &[C::Proxy, C::Tls],
        note: "The connection to {host} was cut in the middle: a firewall, TLS-inspecting proxy or load balancer reset it, or the registry dropped it.",
    },
    Rule {
        id: "tls.other",
        class: C::Tls,
        pattern: r"x509:|\btls: |remote error: tls|handshake failure|ssl routines|failed to verify certificate",
        ambiguous: &[],
        note: "The TLS handshake with {host} failed.",
    },
    Rule {
        id: "kubelet.backoff-only",
        class: C::Other,
        pattern: r#"^(\S+ )?back-off pulling image "[^"]*"\.?$|^(error: )?(imagepullbackoff|errimagepull)$|^back-off pulling image$"#,
        ambiguous: &[],
        note: "This is only the kubelet's back-off notice: the text of the actual pull failure has expired (events are kept about an hour and the container status only keeps the back-off). The next retry shows it again: `kubectl get events -n NS --field-selector involvedObject.name=POD` or `kubectl describe pod POD -n NS` right after the next pull attempt.",
    },
    Rule {
        id: "kubelet.context-canceled",
        class: C::Other,
        pattern: r"context canceled",
        ambiguous: &[C::NetworkTimeout],
        note: "The pull was cancelled by the kubelet (the pod was deleted, or the runtime request timed out on the kubelet's side); the underlying cause is not in this text.",
    },
];

/// Ids of the catalogue rules, in the order they are tried. [`Classification::rule`] is one of
/// these, or `"fallback.other"` (no rule matched) or a `"kubelet.reason-*"` rule applied by
/// [`classify_with_reason`].
pub fn rule_ids() -> Vec<&'static str> {
    RULES.iter().map(|r| r.id).collect()
}

fn compiled_rules() -> &'static [Regex] {
    static RES: OnceLock<Vec<Regex>> = OnceLock::new();
    RES.get_or_init(|| RULES.iter().map(|r| Regex::new(r.pattern).expect("rule pattern is a valid regex")).collect())
}

macro_rules! re {
    ($s:expr) => {{
        static R: OnceLock<Regex> = OnceLock::new();
        R.get_or_init(|| Regex::new($s).expect("valid regex"))
    }};
}

// ---------------------------------------------------------------------------------------------
// Facts

/// Longest message considered; the rest is ignored (kubelet messages are far shorter).
const MAX_LEN: usize = 16 * 1024;

fn normalize(message: &str) -> String {
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
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UrlKind {
    Token,
    Blob,
    Manifest,
    Ping,
    Other,
}

#[derive(Default)]
struct Facts {
    image: Option<String>,
    url_host: Option<String>,
    url_kind: Option<UrlKind>,
    lookup_host: Option<String>,
    dialled: Option<SocketAddr>,
    dns_server: Option<SocketAddr>,
    http_status: Option<u16>,
}

fn parse_sockaddr(s: &str) -> Option<SocketAddr> {
    let s = s.trim_end_matches([',', '.', ')']);
    s.parse::<SocketAddr>().ok()
}

fn extract_image(text: &str) -> Option<String> {
    let patterns: [&Regex; 9] = [
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

fn registry_of(image: &str) -> String {
    let first = image.split('/').next().unwrap_or("");
    if image.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost") {
        first.to_ascii_lowercase()
    } else {
        "docker.io".to_string()
    }
}

fn extract_facts(text: &str) -> Facts {
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
fn is_private(ip: IpAddr) -> bool {
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
fn ecr_registry(host: &str) -> Option<(String, String)> {
    let c = re!(r"^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?(?::\d+)?$").captures(host)?;
    Some((c[1].to_string(), c[2].to_string()))
}

/// The region of an S3 host (`prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com`,
/// `bucket.s3.eu-west-1.amazonaws.com`, `s3.amazonaws.com` => `None` region but still S3).
fn s3_host(host: &str) -> Option<Option<String>> {
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

// ---------------------------------------------------------------------------------------------
// Classification

/// Classifies one pull error message (kubelet event / status message, or raw runtime text).
///
/// Never panics; messages longer than 16 KiB are truncated first.
pub fn classify(message: &str) -> Classification {
    let text = normalize(message);
    let lower = text.to_ascii_lowercase();
    let facts = extract_facts(&text);

    let res = compiled_rules();
    let hit = RULES.iter().zip(res.iter()).find(|(_, r)| r.is_match(&lower)).map(|(rule, _)| rule);

    match hit {
        Some(rule) => build(rule.id, rule.class, rule.ambiguous, rule.note, &lower, facts),
        None => build(
            "fallback.other",
            C::Other,
            &[],
            if lower.is_empty() {
                "The message is empty: the cause of the pull failure is not recorded here."
            } else {
                "The message does not match a known pull failure; read it as is."
            },
            &lower,
            facts,
        ),
    }
}

/// Like [`classify`], with the kubelet's waiting reason when known (`ErrImagePull`,
/// `ImagePullBackOff`, `ErrImageNeverPull`, `InvalidImageName`, `RegistryUnavailable`,
/// `SignatureValidationFailed`, `ImageInspectError`, ...).
///
/// Reasons that decide by themselves (`ErrImageNeverPull`, `InvalidImageName`,
/// `SignatureValidationFailed`) override the message; `RegistryUnavailable` is used when the
/// message alone is not conclusive. Other reasons leave the message's classification unchanged.
pub fn classify_with_reason(reason: Option<&str>, message: &str) -> Classification {
    let c = classify(message);
    let Some(reason) = reason.map(str::trim) else {
        return c;
    };
    let r = reason.to_ascii_lowercase();
    let text = normalize(message);
    let lower = text.to_ascii_lowercase();
    let redo = |id: &'static str, class: ErrorClass, amb: &'static [ErrorClass], note: &'static str| {
        build(id, class, amb, note, &lower, extract_facts(&text))
    };
    match r.as_str() {
        "errimageneverpull" if c.class != C::NeverPull => redo(
            "kubelet.reason-never-pull",
            C::NeverPull,
            &[],
            "The pod has imagePullPolicy: Never and {image} is not on this node, so the kubelet did not try to pull it.",
        ),
        "invalidimagename" if c.class != C::InvalidReference => redo(
            "kubelet.reason-invalid-image-name",
            C::InvalidReference,
            &[],
            "The kubelet could not parse the image reference {image}; no registry was contacted.",
        ),
        "signaturevalidationfailed" if c.class != C::Policy => redo(
            "kubelet.reason-signature-validation-failed",
            C::Policy,
            &[],
            "The runtime rejected {image} because its signature did not satisfy the image policy.",
        ),
        "registryunavailable" if c.class == C::Other => redo(
            "kubelet.reason-registry-unavailable",
            C::NetworkTimeout,
            &[C::Dns, C::ConnectionRefused, C::Tls],
            "The kubelet reports the registry for {image} as unavailable, without the runtime's detail.",
        ),
        _ => c,
    }
}

fn step_for(class: ErrorClass, facts: &Facts, lower: &str, rule_id: &str) -> PullStep {
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
        || lower.contains("blob unknown")
        || lower.contains("blob_unknown");
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
        C::AuthMissing | C::AuthExpired => {
            if blob {
                PullStep::Blob
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

fn build(
    rule_id: &'static str,
    class: ErrorClass,
    ambiguous: &'static [ErrorClass],
    note: &'static str,
    lower: &str,
    facts: Facts,
) -> Classification {
    let step = step_for(class, &facts, lower, rule_id);

    // The host of the failing request: the looked-up name for DNS failures, otherwise the URL
    // of the failing request, otherwise the image's registry.
    let host = if class == C::Dns || (class == C::Proxy && facts.lookup_host.is_some()) {
        facts.lookup_host.clone().or_else(|| facts.url_host.clone())
    } else {
        facts.url_host.clone()
    }
    .or_else(|| {
        if step == PullStep::Blob {
            // the layer host is usually not the registry (S3, a CDN): do not guess it
            return None;
        }
        facts.image.as_deref().and_then(|i| match class {
            C::InvalidReference | C::NeverPull | C::PlatformMismatch | C::DiskPressure | C::Policy | C::Other => None,
            _ => Some(registry_of(i)),
        })
    });
    let dialled_is_private = facts.dialled.map(|a| is_private(a.ip()));

    let mut ambiguous_with: Vec<ErrorClass> = ambiguous.to_vec();
    if class == C::Proxy && facts.lookup_host.is_some() && !ambiguous_with.contains(&C::Dns) {
        ambiguous_with.push(C::Dns);
    }

    let ctx = Ctx {
        class,
        step,
        rule_id,
        lower,
        host: host.as_deref(),
        image: facts.image.as_deref(),
        dialled: facts.dialled,
        private: dialled_is_private,
        dns: facts.dns_server,
    };
    let mut explanation = fill(note, &ctx);
    let extra = extra_explanation(&ctx);
    if !extra.is_empty() {
        explanation.push(' ');
        explanation.push_str(&extra);
    }
    let (rules_in, rules_out) = layers(&ctx);

    Classification {
        class,
        step,
        image: facts.image,
        host,
        dialled: facts.dialled,
        dialled_is_private,
        dns_server: facts.dns_server,
        http_status: facts.http_status,
        ambiguous_with,
        rule: rule_id,
        explanation,
        rules_in,
        rules_out,
    }
}

struct Ctx<'a> {
    class: ErrorClass,
    step: PullStep,
    rule_id: &'static str,
    lower: &'a str,
    host: Option<&'a str>,
    image: Option<&'a str>,
    dialled: Option<SocketAddr>,
    private: Option<bool>,
    dns: Option<SocketAddr>,
}

/// The S3 layer host of a blob failure: the host named in the text, or, when the text names only
/// an address (Docker: `error pulling image configuration: ...: dial tcp A: i/o timeout`), the
/// S3 bucket ECR serves layers from, derived from the image's ECR registry.
fn layer_s3(c: &Ctx<'_>) -> Option<(String, Option<String>)> {
    if let Some(h) = c.host {
        return s3_host(h).map(|region| (h.to_string(), region));
    }
    let registry = registry_of(c.image?);
    let (_, region) = ecr_registry(&registry)?;
    Some((format!("prod-{region}-starport-layer-bucket.s3.{region}.amazonaws.com, where ECR serves layers from"), Some(region)))
}

fn fill(note: &str, c: &Ctx<'_>) -> String {
    let host = c.host.unwrap_or("the registry");
    let addr = c.dialled.map(|a| a.to_string()).unwrap_or_else(|| c.host.unwrap_or("the registry").to_string());
    let image = c.image.map(|i| format!("\"{i}\"")).unwrap_or_else(|| "the image".to_string());
    let dns_on = c.dns.map(|d| format!(" ({d})")).unwrap_or_default();
    note.replace("{host}", host).replace("{addr}", &addr).replace("{image}", &image).replace("{dns_on}", &dns_on)
}

fn extra_explanation(c: &Ctx<'_>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let host = c.host.unwrap_or("the registry");
    if c.class == C::NetworkTimeout && c.rule_id == "net.io-timeout" {
        match (c.step, c.dialled) {
            (PullStep::Blob, _) => match layer_s3(c) {
                Some((s3, Some(region))) => parts.push(format!(
                    "The manifest was fetched, so the registry is reachable; the layer download from S3 ({s3}) is what times out. From a private subnet that path needs an S3 gateway endpoint (com.amazonaws.{region}.s3) in the node subnet's route table, or a NAT route, and security groups / NACLs that allow 443 to the S3 prefix list."
                )),
                Some((s3, None)) => parts.push(format!(
                    "The manifest was fetched, so the registry is reachable; the layer download from S3 ({s3}) is what times out: check the S3 gateway endpoint route or NAT route of the node's subnet and that security groups / NACLs allow 443 to the S3 prefix list."
                )),
                None => parts.push(match c.host {
                    Some(h) => format!(
                        "The manifest step passed; fetching a layer or the image config from {h} (the registry's blob storage or CDN) is what times out, so that host is not reachable from the node."
                    ),
                    None => "The manifest step passed; fetching a layer or the image config is what times out (the text names no host). Registries often serve layers from another host (S3, a CDN) that the node cannot reach.".to_string(),
                }),
            },
            (PullStep::TokenExchange, _) => parts.push(format!(
                "The token service {host} (the registry's auth realm) is what cannot be reached."
            )),
            (_, Some(a)) => parts.push(format!(
                "The node sent a TCP SYN to {a} and nothing came back: packets are dropped on the way (route table, NAT / internet gateway, security group, network ACL or firewall). The registry never saw the request."
            )),
            _ => {
                if c.lower.contains("awaiting headers") && !c.lower.contains("waiting for connection")
                {
                    parts.push(
                        "The connection was open and the request sent, but no response header came back in time: a slow or stuck registry, proxy or endpoint.".to_string(),
                    )
                } else {
                    parts.push(
                        "The text does not say which address was dialled; packets to the registry are dropped or unanswered somewhere on the path.".to_string(),
                    )
                }
            }
        }
    }
    if c.rule_id == "auth.ecr-iam-denied" {
        if c.lower.contains("vpc endpoint policy") {
            parts.push("The denial names a VPC endpoint policy: the request went through an ECR interface endpoint (com.amazonaws.<region>.ecr.dkr / ecr.api) whose endpoint policy does not allow this action for this principal or repository. The node role's IAM policy may well be fine.".to_string());
        } else if c.lower.contains("service control polic") {
            parts.push(
                "The denial names a service control policy (AWS Organizations): an SCP blocks the action for the account.".to_string(),
            );
        } else if c.lower.contains("resource-based policy") {
            parts.push("The denial names a resource-based policy: the ECR repository policy does not grant pull to this principal (typical for cross-account pulls).".to_string());
        } else if c.lower.contains("identity-based policy") {
            parts.push("The denial names an identity-based policy: the node's (or pod's) IAM role lacks ecr:BatchGetImage / ecr:GetDownloadUrlForLayer.".to_string());
        }
    }
    parts.join(" ")
}

fn layers(c: &Ctx<'_>) -> (Vec<String>, Vec<String>) {
    let mut rin: Vec<String> = Vec::new();
    let mut rout: Vec<String> = Vec::new();
    let host = c.host.unwrap_or("the registry");
    let ecr = c.host.and_then(ecr_registry);
    let addr = c.dialled.map(|a| a.to_string());
    let never_reached = "credentials and pull secrets: the request never reached the registry";
    let image_unchecked = "image name, tag and platform: the registry was never asked";

    let path_rules = |rin: &mut Vec<String>| {
        match (addr.as_deref(), c.private) {
        (Some(a), Some(true)) => rin.push(format!(
            "{a} is a private address: an interface VPC endpoint, proxy or registry mirror is on the path for {host}; its security group must allow TCP 443 from the node and the node's subnet must route to it"
        )),
        (Some(a), Some(false)) => rin.push(format!(
            "{a} is a public address: the node reaches it through a NAT gateway (private subnet: route 0.0.0.0/0 -> nat-...) or an internet gateway (public subnet, node with a public IP); check the route table associated with the node's subnet (or the VPC main route table when none is associated)"
        )),
        _ => rin.push(format!(
            "network path from the node to {host}: route table of the node's subnet (NAT / internet gateway or VPC endpoint), security groups, network ACLs"
        )),
    }
    };

    match c.class {
        C::NetworkTimeout => {
            if c.step == PullStep::Blob {
                match layer_s3(c) {
                    Some((s3, region)) => {
                        let endpoint =
                            region.map(|r| format!("com.amazonaws.{r}.s3")).unwrap_or_else(|| "com.amazonaws.<region>.s3".to_string());
                        rin.push(format!(
                            "layer path to S3 ({s3}): an S3 gateway endpoint ({endpoint}) associated with the node subnet's route table, or a NAT route"
                        ));
                        rin.push("security group egress / network ACLs allowing TCP 443 to the S3 prefix list (pl-...)".to_string());
                    }
                    None => rin.push(match c.host {
                        Some(h) => format!("network path from the node to the layer storage host {h}"),
                        None => {
                            "network path from the node to the registry's layer storage (an S3 bucket or CDN host, not named in the text)"
                                .to_string()
                        }
                    }),
                }
                path_rules(&mut rin);
                rout.push("registry API reachability and credentials: the manifest request succeeded".to_string());
                rout.push("image name and tag: the manifest exists".to_string());
            } else if c.step == PullStep::TokenExchange {
                rin.push(format!("network path from the node to the token service {host}"));
                path_rules(&mut rin);
                rout.push("the credentials themselves: the token service was never reached".to_string());
            } else {
                path_rules(&mut rin);
                if c.rule_id == "net.unreachable" {
                    rin.insert(0, "the node's routing: no route matches the destination (missing default route)".to_string());
                } else if c.rule_id == "net.blackhole" {
                    rin.insert(0, "a blackhole route on the node for that destination".to_string());
                } else if c.rule_id == "net.no-route-to-host" {
                    rin.insert(0, "a router or firewall answering host-unreachable, or no neighbour on the local subnet".to_string());
                }
                if c.private == Some(false)
                    && let Some((_, region)) = &ecr
                {
                    rin.push(format!(
                            "if the VPC is meant to use ECR interface endpoints: {host} resolved to a public address, so the endpoint (com.amazonaws.{region}.ecr.dkr) with private DNS is not in effect for this node"
                        ));
                }
                if c.rule_id == "net.tls-handshake-timeout" {
                    rin.push("a firewall or proxy that accepts TCP but stalls TLS; MTU / fragmentation on the path".to_string());
                }
                rout.push(never_reached.to_string());
                rout.push(image_unchecked.to_string());
                if let Some(a) = c.dialled {
                    rout.push(format!("DNS: {host} resolved (to {})", a.ip()));
                }
            }
            if let Some((_, region)) = &ecr
                && c.step != PullStep::Blob
            {
                rin.push(format!(
                        "ECR needs three paths from the node: {host} (registry), api.ecr.{region}.amazonaws.com (tokens) and prod-{region}-starport-layer-bucket.s3.{region}.amazonaws.com (layers)"
                    ));
            }
        }
        C::Dns => {
            match c.dns {
                Some(d) => rin.push(format!(
                    "the DNS server {d} as seen from the node (VPC resolver at the VPC CIDR base +2, a custom DHCP options set, or node-local DNS) and its answer for {host}"
                )),
                None => rin.push(format!("the node's DNS resolution of {host} (/etc/resolv.conf, DHCP options set)")),
            }
            if let Some((_, region)) = &ecr {
                rin.push(format!(
                    "with ECR interface endpoints: private DNS on com.amazonaws.{region}.ecr.dkr, or a Route 53 private hosted zone associated with the VPC"
                ));
            } else {
                rin.push("Route 53 private hosted zones / Resolver forwarding rules associated with the VPC".to_string());
            }
            if c.rule_id == "dns.timeout" {
                rin.push("security groups / network ACLs / firewall for UDP and TCP 53 from the node to the DNS server".to_string());
            }
            rout.push(never_reached.to_string());
            rout.push("network path to the registry itself: no connection was attempted".to_string());
        }
        C::ConnectionRefused => {
            rin.push(format!(
                "the service at {}: registry, mirror or endpoint down, or listening on another port",
                addr.as_deref().unwrap_or(host)
            ));
            rin.push("a host firewall rejecting (REJECT) the connection".to_string());
            if let Some(true) = c.private {
                rin.push(format!("{} is private: a proxy, mirror or VPC endpoint on the path", addr.as_deref().unwrap_or("")));
            }
            rout.push("routing: the address answered".to_string());
            rout.push(never_reached.to_string());
        }
        C::Tls => {
            if c.rule_id == "tls.http-to-https" {
                rin.push(format!(
                    "runtime registry configuration for {host}: mark it insecure (containerd hosts.toml / registries.conf) or serve TLS"
                ));
            } else {
                rin.push(format!("the node's trust store / runtime CA configuration for {host}"));
                rin.push("a TLS-inspecting proxy or firewall on the path".to_string());
            }
            rout.push("routing and DNS: the connection was made".to_string());
            rout.push("credentials: the HTTP request was never sent".to_string());
        }
        C::Proxy => {
            rin.push("the proxy settings of the runtime (HTTPS_PROXY / NO_PROXY in the crio or containerd service environment, the cluster-wide Proxy object)".to_string());
            if let Some(a) = &addr {
                rin.push(format!("reachability of the proxy at {a}"));
            }
            rin.push(format!("whether {host} should be in NO_PROXY (VPC endpoints and internal registries usually should)"));
            rout.push("the registry itself: the request did not get past the proxy".to_string());
        }
        C::AuthMissing => {
            rin.push(format!(
                "the pull secret for {host}: imagePullSecrets on the pod or its service account, and its .dockerconfigjson host key"
            ));
            if let Some((_, region)) = &ecr {
                rin.push(format!(
                    "the kubelet ECR credential provider (or node IAM role): in a private subnet the ECR API host api.ecr.{region}.amazonaws.com may be unreachable (no NAT route, no com.amazonaws.{region}.ecr.api endpoint), so the provider got no token and the runtime pulled without credentials"
                ));
            } else if c.rule_id == "auth.no-basic-credentials" {
                rin.push("a credential provider / helper that should have supplied a token; for ECR in a private subnet, the ECR API host (api.ecr.<region>.amazonaws.com) may be unreachable so the provider got no token".to_string());
            }
            if c.rule_id == "auth.unauthorized" {
                rin.push("credentials that were sent but are wrong or expired".to_string());
            }
            rout.push("network path to the registry: it answered".to_string());
            rout.push("TLS: the HTTP exchange happened".to_string());
        }
        C::AuthExpired => {
            rin.push(format!("the age of the credential for {host}: a static pull secret holding an ECR token (valid 12 hours) must be refreshed, or replaced by the credential provider"));
            rout.push("network path and TLS to the registry: it answered".to_string());
            rout.push("IAM permissions: an expired token is refused before authorisation".to_string());
        }
        C::AuthDenied => {
            if c.rule_id == "auth.ecr-iam-denied" {
                if c.lower.contains("vpc endpoint policy") {
                    rin.push("the policy of the ECR interface VPC endpoint the request went through".to_string());
                }
                rin.push("the IAM policy of the node (or pod) role: ecr:BatchGetImage, ecr:GetDownloadUrlForLayer".to_string());
                rin.push("the ECR repository policy (cross-account pulls) and service control policies".to_string());
            } else if matches!(c.rule_id, "auth.pull-access-denied" | "auth.requested-access-denied") {
                rin.push(format!(
                    "whether the repository of {} exists in {host}",
                    c.image.map(|i| format!("\"{i}\"")).unwrap_or_else(|| "the image".into())
                ));
                rin.push(format!("whether a pull secret for {host} is attached to the pod and valid"));
                rin.push("whether those credentials have pull rights on the repository".to_string());
            } else {
                rin.push(format!("the credentials in the pull secret for {host} and their permissions on the repository"));
            }
            rout.push("network path and TLS to the registry: it answered".to_string());
        }
        C::ImageNotFound => {
            rin.push(format!(
                "the repository and tag/digest of {} in {host}",
                c.image.map(|i| format!("\"{i}\"")).unwrap_or_else(|| "the image".into())
            ));
            if ecr.is_some() {
                rin.push("ECR lifecycle policies that expire tags, and the account/region in the registry host".to_string());
            }
            rout.push("network path, TLS and credentials: the registry answered the request".to_string());
        }
        C::RateLimit => {
            rin.push(format!("pull volume against {host}: authenticate pulls, use a pull-through cache or mirror"));
            rin.push("all nodes behind one NAT gateway share one source IP for anonymous limits".to_string());
            rout.push("network path, DNS and TLS: the registry answered".to_string());
        }
        C::PlatformMismatch => {
            rin.push("the architectures published for the image versus the node's kubernetes.io/arch".to_string());
            rout.push("network path and credentials: the manifest was fetched".to_string());
        }
        C::InvalidReference => {
            rin.push("the image field of the pod spec (upper-case, spaces, scheme, tag format)".to_string());
            rout.push("everything on the network and the registry: nothing was contacted".to_string());
        }
        C::DiskPressure => {
            rin.push("free space on the node's container storage (image garbage collection thresholds, root volume size)".to_string());
            rout.push("network path, credentials and the image name: the download worked".to_string());
        }
        C::RegistryServerError => {
            rin.push(format!("health of {host} or of the load balancer / proxy / mirror in front of it"));
            rout.push("node networking, DNS and TLS: a server answered".to_string());
        }
        C::Policy => {
            rin.push("image signature policy (policy.json, ClusterImagePolicy / ImagePolicy), blocked or allowed registry lists, admission webhooks".to_string());
            rout.push("network path and credentials".to_string());
        }
        C::NeverPull => {
            rin.push("imagePullPolicy: Never on the container, and whether the image was pre-loaded on this node".to_string());
            rout.push("registry, network and credentials: no pull was attempted".to_string());
        }
        C::Other => {
            if c.rule_id == "kubelet.backoff-only" {
                rin.push("the previous pull error of this container: fetch it again from events on the next retry".to_string());
            }
        }
    }
    (rin, rout)
}

#[cfg(test)]
mod tests;
