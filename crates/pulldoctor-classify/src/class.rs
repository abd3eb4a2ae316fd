//! The vocabulary of a classification: what kind of failure ([`ErrorClass`]), which part of the
//! pull failed ([`PullStep`]), and the result type ([`Classification`]). Plain data with stable
//! kebab-case names; no matching logic lives here.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

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
    /// A connection was cut before the answer was complete: `connection reset by peer`,
    /// `unexpected EOF`, `broken pipe`. Something on the path answered (a firewall that resets, a
    /// proxy, a load balancer, the registry) and then dropped it; not a timeout, not a refusal.
    ConnectionReset,
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
    ErrorClass::ConnectionReset,
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
            ErrorClass::ConnectionReset => "connection-reset",
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
    /// Other classes the text is just as consistent with: the message alone cannot tell them from
    /// [`Classification::class`], so other evidence (is a pull secret attached? does the
    /// repository exist? is the path open?) must decide. Empty when the text is conclusive. The
    /// explanation names them too.
    pub also_possible: Vec<ErrorClass>,
    /// Id of the catalogue rule that decided (see [`rule_ids`](crate::rule_ids)).
    pub rule: &'static str,
    /// One or two sentences: what the message means.
    pub explanation: String,
    /// Layers this message makes plausible as the cause.
    pub rules_in: Vec<String>,
    /// Layers this message makes implausible as the current blocker.
    pub rules_out: Vec<String>,
}
