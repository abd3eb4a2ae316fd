//! The explanation of a classification: the rule's note with the facts filled in, extra
//! sentences for cases the note cannot cover (where a timeout happened, which policy denied), and
//! the layers the message rules in and out.

use std::net::SocketAddr;

use crate::class::{ErrorClass, PullStep};
use crate::facts::{ecr_registry, registry_of, s3_host};

use ErrorClass as C;

/// What the explanation is built from: the decision and the facts found.
pub(crate) struct Ctx<'a> {
    pub(crate) class: ErrorClass,
    pub(crate) also_possible: &'a [ErrorClass],
    pub(crate) step: PullStep,
    pub(crate) rule_id: &'static str,
    pub(crate) lower: &'a str,
    pub(crate) host: Option<&'a str>,
    pub(crate) image: Option<&'a str>,
    pub(crate) dialled: Option<SocketAddr>,
    pub(crate) private: Option<bool>,
    pub(crate) dns: Option<SocketAddr>,
}

/// A classification's explanation: the sentences, and the layers ruled in and out.
pub(crate) struct Explanation {
    /// The rule's note with the facts filled in, then any extra sentences.
    pub(crate) text: String,
    /// Layers this message makes plausible as the cause.
    pub(crate) rules_in: Vec<String>,
    /// Layers this message makes implausible as the current blocker.
    pub(crate) rules_out: Vec<String>,
}

/// Explains a decision: `note` is the deciding rule's first sentence (with `{host}`, `{addr}`,
/// `{image}`, `{dns_on}` placeholders), `c` the decision and the facts.
pub(crate) fn explain(note: &str, c: &Ctx<'_>) -> Explanation {
    let mut text = fill(note, c);
    let extra = extra_explanation(c);
    if !extra.is_empty() {
        text.push(' ');
        text.push_str(&extra);
    }
    if let Some(others) = alternatives(c.also_possible) {
        text.push(' ');
        text.push_str(&others);
    }
    let (rules_in, rules_out) = layers(c);
    Explanation { text, rules_in, rules_out }
}

/// The sentence that names the other classes the text is just as consistent with, so that the
/// explanation never reads as more certain than the message is; `None` when there are none.
fn alternatives(others: &[ErrorClass]) -> Option<String> {
    let phrases: Vec<String> = others.iter().map(|&class| format!("{} ({class})", in_words(class))).collect();
    let list = match phrases.as_slice() {
        [] => return None,
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    };
    Some(format!("From this text alone it could also be {list}: other evidence decides."))
}

/// A class in a few words, for [`alternatives`].
fn in_words(class: ErrorClass) -> &'static str {
    match class {
        C::NetworkTimeout => "a path that drops the packets",
        C::Dns => "a name that does not resolve",
        C::ConnectionRefused => "nothing listening at the address",
        C::ConnectionReset => "a connection cut on the way",
        C::Tls => "a TLS problem",
        C::Proxy => "a proxy on the path",
        C::AuthMissing => "missing credentials",
        C::AuthExpired => "an expired credential",
        C::AuthDenied => "credentials without pull rights",
        C::ImageNotFound => "a repository or tag that does not exist",
        C::RateLimit => "throttling",
        C::PlatformMismatch => "no variant for this platform",
        C::InvalidReference => "a malformed image name",
        C::DiskPressure => "a full disk",
        C::RegistryServerError => "the registry (or a server in front of it) failing",
        C::Policy => "a policy refusing the image",
        C::NeverPull => "imagePullPolicy: Never",
        C::Other => "a cause the text does not name",
    }
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
    // "The registry {host} answered" reads "The registry the registry answered" without a host.
    let registry_host = c.host.map(|h| format!("registry {h}")).unwrap_or_else(|| "registry".to_string());
    note.replace("registry {host}", &registry_host)
        .replace("{host}", host)
        .replace("{addr}", &addr)
        .replace("{image}", &image)
        .replace("{dns_on}", &dns_on)
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
        C::ConnectionReset => {
            if c.step == PullStep::Blob {
                rin.push(match c.host {
                    Some(h) => format!("the path to the layer storage host {h}: layer downloads are long and large, so a middlebox with a time or size limit, an MTU black hole or a flaky link shows there first"),
                    None => "the path to the registry's layer storage (often another host: S3, a CDN): layer downloads are long and large, so a middlebox with a time or size limit, an MTU black hole or a flaky link shows there first".to_string(),
                });
            }
            rin.push(format!("a firewall, egress filter or TLS-inspecting proxy between the node and {host} that resets connections (for example an AWS Network Firewall reject rule)"));
            rin.push("a load balancer, mirror or pull-through cache in front of the registry that closes connections (idle timeout, connection limit)".to_string());
            rin.push(format!("the health of {host}: an outage cuts connections from every node at once"));
            rout.push("DNS and routing: something at the far end answered before the connection was cut".to_string());
            rout.push("security groups and network ACLs dropping packets: those drop silently and give timeouts, not resets".to_string());
            rout.push(if c.step == PullStep::Blob {
                "credentials and the image name: the manifest was fetched".to_string()
            } else {
                "credentials and the image name: a cut connection is not how a registry refuses a pull".to_string()
            });
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
        C::AuthMissing if matches!(c.rule_id, "auth.pull-access-denied" | "auth.requested-access-denied") => {
            rin.push(format!("whether a pull secret for {host} is attached to the pod (or its service account) and valid"));
            rin.push(format!(
                "whether the repository of {} exists in {host} (a name that was never pushed, a typo, an image built only locally)",
                c.image.map(|i| format!("\"{i}\"")).unwrap_or_else(|| "the image".into())
            ));
            rin.push("whether those credentials have pull rights on the repository".to_string());
            if let Some((_, region)) = &ecr {
                rin.push(format!(
                    "for ECR, the kubelet credential provider or credential helper: with no token from it (the ECR API host api.ecr.{region}.amazonaws.com unreachable, a missing IAM permission) the runtime pulls without credentials"
                ));
            }
            rout.push("network path and TLS to the registry: it answered".to_string());
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
            } else {
                rin.push(format!("the credentials in the pull secret for {host} and their permissions on the repository"));
            }
            rout.push("network path and TLS to the registry: it answered".to_string());
        }
        C::ImageNotFound if c.rule_id == "notfound.blob" => {
            rin.push(format!(
                "the blobs of {} in {host}: re-push the image, or re-sync the mirror or pull-through cache that serves it; check garbage collection and retention jobs on the registry",
                c.image.map(|i| format!("\"{i}\"")).unwrap_or_else(|| "the image".into())
            ));
            rout.push("network path, TLS and credentials: the registry answered the request".to_string());
            rout.push("the repository and tag: their manifest was found".to_string());
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
        C::InvalidReference if c.rule_id == "ref.short-name" => {
            rin.push("the image field of the pod spec: the image without a registry host (write docker.io/..., quay.io/..., or the mirror's name)".to_string());
            rin.push("the node's registries.conf (/etc/containers/registries.conf and registries.conf.d): unqualified-search-registries, [aliases] and short-name-mode; CRI-O 1.34 and later enforce short names, and on OpenShift the machine config renders this file".to_string());
            rout.push("everything on the network and the registry: nothing was contacted".to_string());
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
