//! The ordered rule table: which pattern in the normalised, lower-cased message decides which
//! [`ErrorClass`], with the rule's first explanation sentence. The first rule that matches wins, so
//! more specific rules come first. Only data and its compiled regexes live here; facts come from
//! `facts`, explanations from `explain`.

use std::sync::OnceLock;

use regex::Regex;

use crate::class::ErrorClass;

/// One entry of the rule table.
pub(crate) struct Rule {
    /// Stable id, reported as [`crate::Classification::rule`] (`family.what`).
    pub(crate) id: &'static str,
    /// The class this rule decides.
    pub(crate) class: ErrorClass,
    /// Matched against the normalised, lower-cased message.
    pub(crate) pattern: &'static str,
    /// Other classes the matching text is equally consistent with.
    pub(crate) also_possible: &'static [ErrorClass],
    /// Rule-specific first sentence of the explanation; `{host}`, `{addr}`, `{dns}`, `{image}`
    /// are replaced by the facts found (or a neutral word when missing).
    pub(crate) note: &'static str,
}

use ErrorClass as C;

/// The rules, in the order they are tried.
pub(crate) const RULES: &[Rule] = &[
    Rule {
        id: "kubelet.never-pull",
        class: C::NeverPull,
        pattern: r"is not present with pull policy of never|errimageneverpull",
        also_possible: &[],
        note: "The pod has imagePullPolicy: Never and {image} is not on this node, so the kubelet did not try to pull it.",
    },
    Rule {
        id: "ref.short-name",
        class: C::InvalidReference,
        pattern: r#"short-name resolution enforced|short-name "[^"]*" did not resolve to an alias|short name mode is enforcing|returns ambiguous list|no registries configured while trying to pull an unqualified image"#,
        also_possible: &[],
        note: "{image} is a short name (no registry in it) and the runtime (CRI-O or podman, through containers/image) could not turn it into a full one: registries.conf has no alias for it and lists either no unqualified-search registries, or several while short-name mode is enforcing, which would need a terminal to ask which one to use. No registry was contacted: write the full name (docker.io/library/nginx:1.27).",
    },
    Rule {
        id: "ref.invalid",
        class: C::InvalidReference,
        pattern: r"invalid reference format|couldn'?t parse image reference|could not parse image reference|failed to parse image reference|invalidimagename|repository name must be (lowercase|canonical)|invalid image name|invalid repository name|invalid tag format|invalid checksum digest|invalid image reference",
        also_possible: &[],
        note: "The image reference {image} is malformed (upper-case letters, a stray space or scheme, a bad tag or digest); no registry was contacted.",
    },
    Rule {
        id: "policy.signature",
        class: C::Policy,
        pattern: r"source image rejected|signaturevalidationfailed|signature validation failed|a signature was required|no signature exists|signature verification failed|rejected by policy|signatures? (is|are) (missing|invalid)",
        also_possible: &[],
        note: "The runtime's image signature policy (policy.json / ClusterImagePolicy) rejected {image}: the pull itself worked but the image is not allowed.",
    },
    Rule {
        id: "policy.blocked",
        class: C::Policy,
        pattern: r"\bis blocked\b|prohibited by policy|blocked in /etc/containers/registries|blocked by (the )?(registry )?(configuration|policy|administrator)|admission webhook \S+ denied|image policy webhook|imagepolicywebhook|denied by image policy",
        also_possible: &[],
        note: "A registry block list (OpenShift image.config.openshift.io blockedRegistries / registries.conf) or an admission policy refuses {image}.",
    },
    Rule {
        id: "proxy.connect-failed",
        class: C::Proxy,
        pattern: r"proxyconnect tcp",
        also_possible: &[],
        note: "The runtime is configured to go through an HTTP(S) proxy and could not reach that proxy (proxyconnect): the request never left for {host}.",
    },
    Rule {
        id: "proxy.auth-required",
        class: C::Proxy,
        pattern: r"proxy authentication required|\b407 proxy|status(?: code)?:? 407\b",
        also_possible: &[],
        note: "The HTTP proxy answered 407: it wants credentials the runtime's proxy settings do not carry.",
    },
    Rule {
        id: "proxy.connect-status",
        class: C::Proxy,
        pattern: r#"\b(?:get|head|post) "?https?://[^\s"]+"?: (?:forbidden|bad gateway|service unavailable|gateway time-?out|bad request|method not allowed|internal server error)(?:$|["\s])"#,
        also_possible: &[C::AuthDenied],
        note: "The request to {host} failed with a bare HTTP reason phrase and no status code: that is how Go reports an HTTP(S) proxy refusing the CONNECT. A proxy ACL that does not allow the registry (Forbidden), or a proxy that cannot reach it (Bad Gateway / Service Unavailable / Gateway Timeout).",
    },
    Rule {
        id: "disk.no-space",
        class: C::DiskPressure,
        pattern: r"no space left on device|disk quota exceeded|not enough (free )?space|insufficient (disk )?space",
        also_possible: &[],
        note: "The node's container storage (/var/lib/containers or /var/lib/containerd) is full: the layers were downloaded or being unpacked when writing failed.",
    },
    Rule {
        id: "platform.no-match",
        class: C::PlatformMismatch,
        pattern: r"no match for platform in manifest|no matching manifest for|no image found in (manifest list|image index) for architecture|does not match the specified platform|choosing (an )?image (from manifest list|instance)|image operating system .* cannot be used on this platform",
        also_possible: &[],
        note: "The image index of {image} has no variant for this node's OS/architecture (for example an arm64-only image on amd64 nodes).",
    },
    Rule {
        id: "platform.exec-format",
        class: C::PlatformMismatch,
        pattern: r"exec format error",
        also_possible: &[],
        note: "The binary in the image was built for another CPU architecture: the image was pulled but cannot run on this node.",
    },
    Rule {
        id: "tls.http-to-https",
        class: C::Tls,
        pattern: r"server gave http response to https client|first record does not look like a tls handshake",
        also_possible: &[],
        note: "{host} speaks plain HTTP where the runtime expected HTTPS: the registry (or mirror) has no TLS and is not configured as insecure for this runtime.",
    },
    Rule {
        id: "tls.expired",
        class: C::Tls,
        pattern: r"certificate has expired|certificate is not yet valid|expired certificate",
        also_possible: &[],
        note: "The certificate presented for {host} is expired (or not yet valid: check the node clock).",
    },
    Rule {
        id: "tls.name-mismatch",
        class: C::Tls,
        pattern: r"certificate is valid for|certificate is not valid for any names|doesn'?t contain any ip sans|hostname mismatch",
        also_possible: &[C::Proxy],
        note: "The certificate presented does not cover {host}: the name resolves to a different server (a wrong endpoint, mirror or intercepting proxy) or the registry's certificate lacks this name.",
    },
    Rule {
        id: "tls.unknown-authority",
        class: C::Tls,
        pattern: r"certificate signed by unknown authority|unable to get local issuer certificate|self[- ]signed certificate|certificate is not trusted|unknown certificate authority",
        also_possible: &[C::Proxy],
        note: "The certificate presented for {host} is signed by a CA the node does not trust: a private registry CA missing from the node's trust store, or a TLS-inspecting proxy / firewall rewriting the connection.",
    },
    Rule {
        id: "ratelimit.toomanyrequests",
        class: C::RateLimit,
        pattern: r"toomanyrequests|too many requests|(?:status(?: code)?:? |\bhttp |: )429\b|rate limit|ratelimit|rate exceeded|throttlingexception|throttled|pull qps exceeded",
        also_possible: &[],
        note: "The registry ({host}) is throttling pulls: anonymous Docker Hub pulls are limited per source IP (all nodes behind one NAT share it), and ECR limits API calls per account.",
    },
    Rule {
        id: "auth.token-expired",
        class: C::AuthExpired,
        pattern: r"authorization token has expired|token has expired|token is expired|expired token|token expired|expiredtokenexception|security token included in the request is expired",
        also_possible: &[],
        note: "The registry credential presented for {host} has expired: ECR authorization tokens live 12 hours, so a pull secret made once from `aws ecr get-login-password` stops working after that.",
    },
    Rule {
        id: "auth.ecr-iam-denied",
        class: C::AuthDenied,
        pattern: r"is not authorized to perform:? \S*ecr:|not authorized to perform: ecr:|is not authorized to perform",
        also_possible: &[],
        note: "AWS authenticated the caller and refused the ECR action: an IAM, repository or VPC endpoint policy does not allow it.",
    },
    Rule {
        id: "auth.incorrect-credentials",
        class: C::AuthDenied,
        pattern: r"incorrect username or password|invalid username(/| or )password|invalid credentials|bad credentials|authentication failed|login attempt .* failed",
        also_possible: &[],
        note: "Credentials were sent to {host} and rejected: wrong user name or password / token in the pull secret.",
    },
    Rule {
        id: "auth.invalid-token",
        class: C::AuthDenied,
        pattern: r"security token included in the request is invalid|token included in the request is invalid|invalid (bearer |auth(orization)? )?token",
        also_possible: &[C::AuthExpired],
        note: "The credential presented for {host} was rejected as invalid: a malformed, revoked or (often) expired token in the pull secret or credential helper.",
    },
    Rule {
        id: "auth.no-basic-credentials",
        class: C::AuthMissing,
        pattern: r"no basic auth credentials",
        also_possible: &[],
        note: "The registry {host} asked for credentials and the runtime had none for it: no matching pull secret and no token from a credential provider.",
    },
    Rule {
        id: "auth.pull-access-denied",
        class: C::AuthMissing,
        pattern: r"pull access denied|repository does not exist or may require|does not exist or no pull access",
        also_possible: &[C::ImageNotFound, C::AuthDenied],
        note: "The registry {host} did not authorise the pull and would not say why: Docker Hub (and registries that copy it) answers this way for a private repository pulled without credentials, for a repository that does not exist, and for credentials without access to it. Whether the pod has a pull secret for {host} is the first thing to check, then whether {image} exists there.",
    },
    Rule {
        id: "auth.requested-access-denied",
        class: C::AuthMissing,
        pattern: r"requested access to the resource is denied|insufficient_scope",
        also_possible: &[C::ImageNotFound, C::AuthDenied],
        note: "The registry {host} denied access to the repository without saying why: it says this when no usable credentials were sent, when the credentials sent have no pull rights, and (on Docker Hub) when the repository does not exist.",
    },
    Rule {
        id: "auth.unauthorized",
        class: C::AuthMissing,
        pattern: r"unauthorized|authentication required|(?:status(?: code)?:? |\bhttp |: )401\b|unauthenticated|no credentials|credentials (were )?not (found|provided)|basic auth required",
        also_possible: &[C::AuthDenied, C::AuthExpired],
        note: "The registry {host} answered 401: no credentials were sent, or the ones sent were not accepted (wrong, or expired).",
    },
    Rule {
        id: "auth.forbidden",
        class: C::AuthDenied,
        pattern: r"(?:status(?: code)?:? |\bhttp |: )403\b|forbidden|\bdenied: |access denied|access is denied",
        also_possible: &[C::AuthExpired],
        note: "The registry {host} answered 403: it knows who is asking and refuses (no pull permission, a repository or endpoint policy, or an expired ECR token).",
    },
    Rule {
        id: "notfound.blob",
        class: C::ImageNotFound,
        pattern: r"unknown blob|blob unknown|blob_unknown|fetching blob:? (?:invalid status code from registry |statuscode: |received unexpected http status: )?404|status 404 while fetching image layer|content descriptor \S+ (?:\([^)]*\) )?from remote: not found|content at \S+/blobs/\S+ not found",
        also_possible: &[],
        note: "The registry {host} has the manifest of {image} but not one of the blobs it lists (a layer or the image config): the blob was deleted (registry garbage collection, a retention or cleanup job, a mirror or pull-through cache that dropped it), its upload never finished, or the registry's storage lost it. The tag exists; nothing on the node or the network is at fault.",
    },
    Rule {
        id: "notfound.manifest",
        class: C::ImageNotFound,
        pattern: r"manifest unknown|manifest_unknown|name unknown|name_unknown|repository name not known|manifest for \S+ not found|(?:status(?: code)?:? |\bhttp |: )404\b|statuscode: 404|code = notfound|: not found(\W|$)|no such image|image not found|\bimage \S+ not found|\btag \S+ not found in repository|\brepository \S+ not found\b|repository does not exist|does not exist in the registry",
        also_possible: &[],
        note: "The registry {host} answered that {image} does not exist: wrong repository name, a tag that was never pushed or was deleted (lifecycle policy), or the wrong registry or account.",
    },
    Rule {
        id: "server.5xx",
        class: C::RegistryServerError,
        pattern: r"(?:status(?: code)?:? |\bhttp |: |registry )50[0-4]\b|internal server error|bad gateway|service unavailable|gateway time-?out|received unexpected http status: 5|server error: status 5\d\d",
        also_possible: &[],
        note: "{host} answered with a server error (5xx): the registry, or a load balancer / proxy / mirror in front of it, is failing. The request did reach it.",
    },
    Rule {
        id: "dns.nxdomain",
        class: C::Dns,
        pattern: r"no such host|name or service not known|nodename nor servname|could not resolve host|nxdomain|name does not resolve",
        also_possible: &[],
        note: "The name {host} does not exist for the node's DNS resolver{dns_on} (NXDOMAIN): a typo, a private hosted zone not associated with this VPC, or a split-horizon name.",
    },
    Rule {
        id: "dns.servfail",
        class: C::Dns,
        pattern: r"server misbehaving|servfail",
        also_possible: &[],
        note: "The DNS server{dns_on} failed to answer for {host} (SERVFAIL): its upstream or a forwarding rule for that zone is broken.",
    },
    Rule {
        id: "dns.timeout",
        class: C::Dns,
        pattern: r"lookup \S+ on \S+: .*time(d ?)?out|lookup \S+: .*i/o timeout|read udp \S+:53: i/o timeout",
        also_possible: &[],
        note: "The DNS server{dns_on} did not answer the lookup of {host} in time: the resolver is unreachable from the node (security group / NACL / firewall on UDP and TCP 53) or overloaded. No connection to the registry was attempted.",
    },
    Rule {
        id: "dns.failed",
        class: C::Dns,
        pattern: r"temporary failure in name resolution|\blookup [a-z0-9._-]+( on \S+)?: |dial tcp: lookup|name resolution",
        also_possible: &[],
        note: "Resolving {host} failed{dns_on}: the DNS server refused or could not be reached.",
    },
    Rule {
        id: "conn.refused",
        class: C::ConnectionRefused,
        pattern: r"connection refused|econnrefused|actively refused",
        also_possible: &[],
        note: "{addr} answered with a TCP reset: the host is reachable but nothing listens on that port (registry down, wrong port, or a firewall that rejects instead of dropping).",
    },
    Rule {
        id: "net.tls-handshake-timeout",
        class: C::NetworkTimeout,
        pattern: r"tls handshake timeout",
        also_possible: &[C::Proxy],
        note: "The TCP connection to {host} opened but the TLS handshake never completed: something on the path accepts connections and then stalls (a firewall, an MTU problem, or a proxy / endpoint that does not answer).",
    },
    Rule {
        id: "net.unreachable",
        class: C::NetworkTimeout,
        pattern: r"network is unreachable|enetunreach",
        also_possible: &[],
        note: "The node has no route towards {addr}: its route table has no matching route (no default route / no route to the NAT gateway).",
    },
    Rule {
        id: "net.no-route-to-host",
        class: C::NetworkTimeout,
        pattern: r"no route to host|ehostunreach|host is unreachable",
        also_possible: &[],
        note: "The path to {addr} is reported unreachable (an ICMP host-unreachable from a router or firewall, or no neighbour answering on the local subnet).",
    },
    Rule {
        id: "net.blackhole",
        class: C::NetworkTimeout,
        pattern: r"connect: invalid argument",
        also_possible: &[],
        note: "The node's kernel refused to send to {addr}: a blackhole route covers that address.",
    },
    Rule {
        id: "net.io-timeout",
        class: C::NetworkTimeout,
        pattern: r"i/o timeout|connection timed out|did not properly respond after a period of time|etimedout|operation timed out|timeout exceeded while awaiting headers|timeout awaiting response headers|request canceled while waiting for connection|context deadline exceeded|deadlineexceeded|deadline exceeded",
        also_possible: &[],
        note: "The request to {host} got no answer in time.",
    },
    Rule {
        id: "conn.reset",
        class: C::ConnectionReset,
        pattern: r"connection reset by peer|econnreset|forcibly closed by the remote host|broken pipe|unexpected eof|: eof\b|http2: server sent goaway|connection closed before",
        also_possible: &[C::Proxy, C::RegistryServerError],
        note: "The connection to {host} was cut before the answer was complete (a TCP reset, or the other end closing early): something on the path answered and then dropped it. That is a firewall or proxy that resets connections (TLS inspection, an egress filter, AWS Network Firewall with a reject rule), a load balancer, or the registry itself closing under load; security groups and network ACLs drop silently and give timeouts instead.",
    },
    Rule {
        id: "tls.other",
        class: C::Tls,
        pattern: r"x509:|\btls: |remote error: tls|handshake failure|ssl routines|failed to verify certificate",
        also_possible: &[],
        note: "The TLS handshake with {host} failed.",
    },
    Rule {
        id: "kubelet.backoff-only",
        class: C::Other,
        pattern: r#"^(\S+ )?back-off pulling image "[^"]*"\.?$|^(error: )?(imagepullbackoff|errimagepull)$|^back-off pulling image$"#,
        also_possible: &[],
        note: "This is only the kubelet's back-off notice: the text of the actual pull failure has expired (events are kept about an hour and the container status only keeps the back-off). The next retry shows it again: `kubectl get events -n NS --field-selector involvedObject.name=POD` or `kubectl describe pod POD -n NS` right after the next pull attempt.",
    },
    Rule {
        id: "kubelet.context-canceled",
        class: C::Other,
        pattern: r"context canceled",
        also_possible: &[C::NetworkTimeout],
        note: "The pull was cancelled by the kubelet (the pod was deleted, or the runtime request timed out on the kubelet's side); the underlying cause is not in this text.",
    },
];

/// The patterns of [`RULES`], compiled once, in the same order.
pub(crate) fn compiled_rules() -> &'static [Regex] {
    static RES: OnceLock<Vec<Regex>> = OnceLock::new();
    RES.get_or_init(|| RULES.iter().map(|r| Regex::new(r.pattern).expect("rule pattern is a valid regex")).collect())
}
