use pulldoctor_model::Code;
use std::collections::BTreeMap;

use pulldoctor_classify::ErrorClass;
use pulldoctor_model::{ClusterProxy, ImageRef, InputKind};

use crate::affected::is_network_class;
use crate::check::{Check, CheckInfo};
use crate::context::{Context, Findings};
use crate::declare_check;
use crate::fix::{mutating, read_only};
use crate::report::{Cause, Confidence, Evidence, Fix, FixOption, Layer, Timing};

declare_check! {
    /// ## What it checks
    /// Cluster-wide pull settings on OpenShift: the cluster `Proxy` (is the registry in `noProxy`,
    /// and does the error show the proxy failing), the `Image` config (`blockedRegistries`,
    /// `allowedRegistries`), and mirror policies (ImageDigestMirrorSet / ImageContentSourcePolicy)
    /// that redirect a pull, with `NeverContactSource` blocking the source. It also clears what
    /// people suspect but cannot break a pull: NetworkPolicies.
    ///
    /// ## Why it breaks pulls
    /// The runtime on the node honours the proxy, the registry policy and the mirrors before it
    /// ever reaches the registry. Network policies do not matter: the kubelet pulls from the node's
    /// network namespace, not the pod's (saying so saves the seed's failed hypothesis #1).
    ///
    /// ## Evidence
    /// `oc get proxy cluster`, `oc get image.config.openshift.io cluster`, `oc get
    /// imagedigestmirrorset,imagecontentsourcepolicy`, `kubectl get networkpolicies`, the error.
    ///
    /// ## Fix and its risk
    /// `oc patch proxy/cluster` (noProxy), `oc edit image.config.openshift.io/cluster`, fixing the
    /// mirror set: all cluster-wide and roll out to every node through the machine config operator.
    ///
    /// ## Known limits
    /// Host-level firewalls and hand-edited `registries.conf` on nodes are not read.
    pub ClusterPolicy, name: "cluster-policy", layer: Cluster, codes: [Code::ProxyMisconfigured, Code::ClusterRegistryBlocked, Code::ClusterMirrorMisconfigured],
}

impl Check for ClusterPolicy {
    fn info(&self) -> &'static CheckInfo {
        &Self::INFO
    }

    fn run(&self, cx: &Context, out: &mut Findings) {
        if cx.failures.is_empty() {
            return;
        }
        let mut namespaces: Vec<&str> = cx.failures.iter().map(|f| f.pod.namespace.as_str()).collect();
        namespaces.sort_unstable();
        namespaces.dedup();
        let policies: Vec<String> = cx
            .model
            .network_policies
            .iter()
            .filter(|p| namespaces.contains(&p.namespace.as_str()))
            .map(|p| format!("{}/{}", p.namespace, p.name))
            .collect();
        if !policies.is_empty() {
            out.rule_out(
                Layer::Cluster,
                format!("network policies ({})", policies.join(", ")),
                "network policies do not apply to image pulls: the kubelet and the runtime pull from the node's network, not the pod's",
            );
        }
        if cx.model.inputs.contains(&InputKind::ClusterProxy) {
            match &cx.model.proxy {
                Some(proxy) if proxy.https_proxy.is_none() && proxy.http_proxy.is_none() => {
                    out.rule_out(
                        Layer::Proxy,
                        "cluster proxy",
                        "the cluster Proxy sets no httpProxy or httpsProxy: nodes connect directly",
                    );
                }
                Some(proxy) => proxy_causes(cx, proxy, out),
                None => {}
            }
        }
        registry_policy(cx, out);
        mirrors(cx, out);
    }
}

/// Go's `NO_PROXY` rules (which CRI-O and the kubelet use): `*` matches everything, a domain
/// (with or without a leading dot) matches itself and its subdomains, an address or CIDR matches
/// addresses.
pub fn no_proxy_matches(entries: &[String], host: &str) -> bool {
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    let address: Option<std::net::IpAddr> = host.parse().ok();
    entries.iter().any(|entry| {
        let entry = entry.trim().to_ascii_lowercase();
        if entry == "*" {
            return true;
        }
        if let (Some(ip), Ok(net)) = (address, entry.parse::<ipnet::IpNet>()) {
            return net.contains(&ip);
        }
        let domain = entry.trim_start_matches('.');
        !domain.is_empty() && (host == domain || host.ends_with(&format!(".{domain}")))
    })
}

fn proxy_causes(cx: &Context, proxy: &ClusterProxy, out: &mut Findings) {
    let entries = proxy.effective_no_proxy.clone().unwrap_or_else(|| proxy.no_proxy.clone());
    let proxy_url = proxy.https_proxy.clone().or(proxy.http_proxy.clone()).unwrap_or_default();
    let mut by_registry: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for failure in &cx.failures {
        let Some(image) = &failure.image_ref else { continue };
        if no_proxy_matches(&entries, &image.registry) {
            continue;
        }
        let class = failure.classification.class;
        let through_proxy = class == ErrorClass::Proxy || failure.message.as_deref().is_some_and(|m| m.contains("proxyconnect"));
        if through_proxy || is_network_class(class) {
            let pods = by_registry.entry(image.registry.clone()).or_default();
            if pods.last() != Some(&failure.pod.key()) {
                pods.push(failure.pod.key());
            }
        }
    }
    for (registry, pods) in by_registry {
        let host = registry.split(':').next().unwrap_or(&registry).to_string();
        let suggestion = if host.ends_with(".amazonaws.com") { ".amazonaws.com".to_string() } else { host.clone() };
        let mut new_list = proxy.no_proxy.clone();
        new_list.push(suggestion.clone());
        out.causes.push(Cause {
            code: Code::ProxyMisconfigured,
            layer: Layer::Proxy,
            summary: format!("pulls from {registry} go through the cluster proxy {proxy_url} (noProxy does not cover it), and the proxy does not get through"),
            confidence: Confidence::High,
            timing: Timing::Now,
            resources: vec!["proxy/cluster".to_string(), registry.clone()],
            pods,
            evidence: vec![Evidence { source: "proxy".into(), text: format!("noProxy in effect: {}", entries.join(",")) }],
            fix: Fix {
                options: vec![FixOption {
                    title: format!("Exempt {suggestion} from the proxy (or fix the proxy)"),
                    commands: vec![mutating(format!("oc patch proxy/cluster --type=merge -p '{{\"spec\":{{\"noProxy\":\"{}\"}}}}'", new_list.join(",")), "adds the registry to noProxy; the machine config operator rolls it out to every node")],
                    blast_radius: "every node (rolling reboot by the machine config operator)".into(),
                    preferred: true,
                    rationale: "with a VPC route (NAT or endpoint) to the registry the proxy is not needed for it".into(),
                }],
                verify: vec![read_only("oc get proxy/cluster -o jsonpath='{.status.noProxy}'", "shows the noProxy nodes use")],
            },
        });
    }
}

fn matches_source(entry: &str, image: &ImageRef) -> bool {
    let entry = entry.trim().to_ascii_lowercase();
    let full = format!("{}/{}", image.registry, image.repository);
    if let Some(domain) = entry.strip_prefix("*.") {
        return image.host().ends_with(&format!(".{domain}"));
    }
    image.registry == entry || full == entry || full.starts_with(&format!("{entry}/"))
}

fn registry_policy(cx: &Context, out: &mut Findings) {
    let Some(policy) = &cx.model.image_policy else { return };
    let mut pods_by_registry: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for failure in &cx.failures {
        let Some(image) = &failure.image_ref else { continue };
        let blocked = policy.blocked_registries.iter().find(|e| matches_source(e, image)).map(|e| format!("blockedRegistries lists {e}"));
        let not_allowed = (!policy.allowed_registries.is_empty() && !policy.allowed_registries.iter().any(|e| matches_source(e, image)))
            .then(|| format!("allowedRegistries ({}) does not include it", policy.allowed_registries.join(", ")));
        if let Some(why) = blocked.or(not_allowed) {
            let entry = pods_by_registry.entry(image.registry.clone()).or_insert_with(|| (why, Vec::new()));
            if entry.1.last() != Some(&failure.pod.key()) {
                entry.1.push(failure.pod.key());
            }
        }
    }
    for (registry, (why, pods)) in pods_by_registry {
        out.causes.push(Cause {
            code: Code::ClusterRegistryBlocked,
            layer: Layer::Cluster,
            summary: format!("the cluster's image policy forbids {registry}: {why}"),
            confidence: Confidence::High,
            timing: Timing::Now,
            resources: vec!["image/cluster".to_string(), registry.clone()],
            pods,
            evidence: vec![Evidence { source: "image-config".into(), text: why.clone() }],
            fix: Fix {
                options: vec![FixOption {
                    title: format!("Allow {registry} in image.config.openshift.io/cluster, or mirror the image to an allowed registry"),
                    commands: vec![mutating(
                        "oc edit image.config.openshift.io/cluster   # spec.registrySources",
                        "changes the registries nodes may pull from",
                    )],
                    blast_radius: "every node (rolled out by the machine config operator)".into(),
                    preferred: true,
                    rationale: "the node's runtime rejects the pull before contacting the registry".into(),
                }],
                verify: vec![],
            },
        });
    }
}

fn mirrors(cx: &Context, out: &mut Findings) {
    let mut causes: BTreeMap<String, Cause> = BTreeMap::new();
    for failure in &cx.failures {
        let Some(image) = &failure.image_ref else { continue };
        for rule in cx.model.mirrors.iter().filter(|r| matches_source(&r.source, image)) {
            // Digest-only rules (ICSP, IDMS) mirror pulls by digest; NeverContactSource blocks the source for every pull.
            let applies = image.digest.is_some() || !rule.digest_only || rule.never_contact_source;
            let message = failure.message.as_deref().unwrap_or_default();
            let mirror_hosts: Vec<String> = rule.mirrors.iter().map(|m| m.split('/').next().unwrap_or(m).to_string()).collect();
            let error_names_mirror = mirror_hosts.iter().any(|h| message.contains(h.as_str()));
            let source_blocked =
                rule.never_contact_source && (message.contains("blocked") || failure.classification.class == ErrorClass::Policy);
            if !(applies && (error_names_mirror || source_blocked)) {
                continue;
            }
            let object = match rule.object.split_once('/') {
                Some((kind, name)) => format!("{}/{name}", kind.to_ascii_lowercase()),
                None => rule.object.to_ascii_lowercase(),
            };
            let cause = causes.entry(object.clone()).or_insert_with(|| {
                let mut resources = vec![object.clone()];
                resources.extend(mirror_hosts.iter().cloned());
                Cause {
                    code: Code::ClusterMirrorMisconfigured,
                    layer: Layer::Cluster,
                    summary: format!(
                        "{object} sends pulls of {} to {}{}, and the mirror does not serve this image",
                        rule.source,
                        rule.mirrors.join(", "),
                        if rule.never_contact_source { " and never contacts the source (NeverContactSource)" } else { "" }
                    ),
                    confidence: Confidence::High,
                    timing: Timing::Now,
                    resources,
                    pods: Vec::new(),
                    evidence: vec![Evidence {
                        source: "mirror-policy".into(),
                        text: format!("{}: {} -> {}", rule.object, rule.source, rule.mirrors.join(", ")),
                    }],
                    fix: Fix {
                        options: vec![FixOption {
                            title: format!("Mirror the image to {}, or let the source be contacted", rule.mirrors.join(", ")),
                            commands: vec![mutating(
                                format!("oc image mirror {} {}", image.original, rule.mirrors.first().cloned().unwrap_or_default()),
                                "copies the image into the mirror",
                            )],
                            blast_radius: format!("pulls of {} on every node", rule.source),
                            preferred: true,
                            rationale: "the mirror is asked first (and alone, with NeverContactSource)".into(),
                        }],
                        verify: vec![],
                    },
                }
            });
            if cause.pods.last() != Some(&failure.pod.key()) {
                cause.pods.push(failure.pod.key());
            }
        }
    }
    out.causes.extend(causes.into_values());
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_proxy_rules() {
        let entries: Vec<String> = [".amazonaws.com", "10.0.0.0/16", "quay.io"].iter().map(|s| s.to_string()).collect();
        assert!(super::no_proxy_matches(&entries, "818140567777.dkr.ecr.us-east-1.amazonaws.com"));
        assert!(super::no_proxy_matches(&entries, "quay.io"));
        assert!(super::no_proxy_matches(&entries, "cdn.quay.io"));
        assert!(super::no_proxy_matches(&entries, "10.0.3.4:5000"));
        assert!(!super::no_proxy_matches(&entries, "docker.io"));
        assert!(super::no_proxy_matches(&["*".to_string()], "anything"));
    }
}
