use pulldoctor_model::InputKind;

use super::{Check, CheckInfo, Context, Findings};
use crate::declare_check;
use crate::report::Layer;

declare_check! {
    /// ## What it checks
    /// Cluster objects that people suspect in a pull failure but that cannot cause one, and
    /// cluster-wide pull settings: NetworkPolicies in the namespaces of failing pods, and on
    /// OpenShift the cluster Proxy and Image configuration.
    ///
    /// ## Why it breaks pulls
    /// It mostly does not: network policies select pod traffic, and the kubelet and the container
    /// runtime pull from the node's own network namespace. Saying so, with the policy's name,
    /// saves the hour spent deleting it (the seed's failed hypothesis #1).
    ///
    /// ## Evidence
    /// `kubectl get networkpolicies -A -o json`, `oc get proxy cluster -o json`.
    ///
    /// ## Fix and its risk
    /// None: this check clears layers; the proxy and registry-policy causes have their own codes.
    ///
    /// ## Known limits
    /// Host-level firewalls on the node (iptables/nftables rules outside Kubernetes) are not read.
    pub ClusterPolicy, name: "cluster-policy", layer: Cluster, codes: [],
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
                _ => {}
            }
        }
    }
}
