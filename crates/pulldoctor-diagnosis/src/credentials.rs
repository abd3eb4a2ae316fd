//! Which credentials can serve a pull: the pull secrets that reach a pod (in the kubelet's
//! order) and whether one covers the image's registry, the node's IAM role (the one
//! node -> instance -> instance profile -> role lookup) and its verdicts for the ECR pull actions,
//! and whether a node pulls with its own role at all. Shared by the access and network checks, the
//! comparison and the live plan.

use pulldoctor_iam::{Decision, NamedPolicy, PolicyDocument, RequestContext, evaluate_pull_in, managed_policy};
use pulldoctor_model::{IamRole, ImageRef, Instance, Model, Node, Pod, RegistryCredential, SecretFacts, normalise_registry_key};

use crate::affected::Failure;

/// Where a credential reached the pod from.
pub struct Reaching<'m> {
    pub name: String,
    pub origin: &'static str,
    pub secret: Option<&'m SecretFacts>,
}

/// The pull secrets that reach a pod, in the order the kubelet tries them.
pub fn reaching<'m>(model: &'m Model, pod: &Pod) -> Vec<Reaching<'m>> {
    let mut out: Vec<Reaching> = Vec::new();
    let mut push = |namespace: &str, name: &str, origin: &'static str| {
        let key = format!("{namespace}/{name}");
        if !out.iter().any(|r| r.name == key) {
            out.push(Reaching { secret: model.secrets.get(&key), name: key, origin });
        }
    };
    for name in &pod.image_pull_secrets {
        push(&pod.namespace, name, "pod spec");
    }
    let account = pod.service_account.as_deref().unwrap_or("default");
    if let Some(sa) = model.service_accounts.get(&format!("{}/{account}", pod.namespace)) {
        for name in &sa.image_pull_secrets {
            push(&pod.namespace, name, "service account");
        }
    }
    if model.secrets.contains_key("openshift-config/pull-secret") {
        push("openshift-config", "pull-secret", "OpenShift global pull secret");
    }
    out
}

/// Does a credential key match a registry (`host[:port]`), as the runtimes match?
pub fn host_matches(credential: &RegistryCredential, registry: &str) -> bool {
    let registry = normalise_registry_key(registry);
    let key = &credential.host;
    if *key == registry {
        return true;
    }
    if let Some(suffix) = key.strip_prefix("*.") {
        return registry.split(':').next().is_some_and(|host| host.ends_with(&format!(".{suffix}")));
    }
    false
}

pub fn secret_covers(model: &Model, pod: &Pod, registry: &str) -> bool {
    reaching(model, pod).iter().any(|r| r.secret.is_some_and(|s| s.credentials.iter().any(|c| host_matches(c, registry))))
}

/// The node role's verdicts for the pull actions on a repository, the managed policies that could
/// not be resolved, and the problems met (as gap `what`/`why` pairs).
pub fn role_verdicts(
    model: &Model,
    role: &IamRole,
    repository_arn: &str,
    account: &str,
    repository: &str,
    context: &RequestContext,
) -> (Vec<pulldoctor_iam::PullVerdict>, Vec<String>, Vec<(String, String)>) {
    let mut problems = Vec::new();
    let mut documents: Vec<(String, PolicyDocument)> = Vec::new();
    for inline in &role.inline_policies {
        match PolicyDocument::parse(&inline.document) {
            Ok(document) => documents.push((format!("{} (inline)", inline.name), document)),
            Err(error) => problems.push((format!("inline policy {} of {}", inline.name, role.name), format!("it does not parse: {error}"))),
        }
    }
    let mut unknown = Vec::new();
    for arn in &role.attached_policy_arns {
        let from_bundle =
            model.managed_policies.get(arn).and_then(|p| p.default_document.as_ref()).and_then(|d| PolicyDocument::parse(d).ok());
        match from_bundle.or_else(|| managed_policy(arn)) {
            Some(document) => documents.push((arn.rsplit('/').next().unwrap_or(arn).to_string(), document)),
            None => {
                problems.push((
                    format!("managed policy {arn} of {}", role.name),
                    "its document is not in the bundle and is not one pulldoctor knows".to_string(),
                ));
                unknown.push(arn.clone());
            }
        }
    }
    let named: Vec<NamedPolicy> = documents.iter().map(|(name, document)| NamedPolicy { name, document }).collect();
    let repo_policy_doc =
        model.repository_policies.get(&format!("{account}/{repository}")).and_then(|p| PolicyDocument::parse_str(&p.policy_text).ok());
    let repo_policy = repo_policy_doc.as_ref().map(|document| NamedPolicy { name: "repository policy", document });
    (evaluate_pull_in(&named, repo_policy.as_ref(), &role.arn, repository_arn, context), unknown, problems)
}

/// How far the node -> EC2 instance -> instance profile -> IAM role lookup got. The one place
/// that follows it: the network path (the principal of an endpoint policy), the node IAM check and
/// the pull-secret check (a node role that covers an expired secret) all ask here.
#[derive(Debug, Clone, Copy)]
pub enum NodeRole<'m> {
    /// The node's EC2 instance is not in the input.
    NoInstance,
    /// The instance has no instance profile, so there is no node role.
    NoProfile { instance: &'m Instance },
    /// The instance profile is not in the IAM details (another account, or IAM not read).
    UnknownProfile { profile_arn: &'m str },
    /// The role, and its details when the input has them.
    Found { role_arn: &'m str, role: Option<&'m IamRole> },
}

/// The IAM role of `node`, as far as the input shows it.
pub fn node_role<'m>(model: &'m Model, node: &Node) -> NodeRole<'m> {
    let Some(instance) = model.node_instance(node) else {
        return NodeRole::NoInstance;
    };
    let Some(profile_arn) = instance.iam_instance_profile_arn.as_deref() else {
        return NodeRole::NoProfile { instance };
    };
    match model.instance_profiles.get(profile_arn).and_then(|p| p.role_arns.first()) {
        Some(role_arn) => NodeRole::Found { role_arn, role: model.iam_roles.get(role_arn) },
        None => NodeRole::UnknownProfile { profile_arn },
    }
}

/// The role ARN of the node a failing pod runs on, when the input shows it.
pub fn node_role_arn<'m>(model: &'m Model, failure: &Failure) -> Option<&'m str> {
    let node = model.nodes.get(failure.pod.node_name.as_deref()?)?;
    match node_role(model, node) {
        NodeRole::Found { role_arn, .. } => Some(role_arn),
        _ => None,
    }
}

/// Whether the role of the node a failing pod runs on may pull its ECR image: `Some((role, true))`
/// when every needed action is allowed, `Some((role, false))` when one is denied, `None` when the
/// input cannot say.
pub fn node_role_allows(model: &Model, failure: &Failure) -> Option<(String, bool)> {
    let image = failure.image_ref.as_ref()?;
    let node = model.nodes.get(failure.pod.node_name.as_deref()?)?;
    role_allows_pull(model, node, image)
}

/// Whether `node`'s IAM role may pull `image` from ECR, as [`node_role_allows`] says it.
pub fn role_allows_pull(model: &Model, node: &Node, image: &ImageRef) -> Option<(String, bool)> {
    let ecr = image.ecr.as_ref()?;
    let NodeRole::Found { role: Some(role), .. } = node_role(model, node) else {
        return None;
    };
    let (verdicts, unknown, _) =
        role_verdicts(model, role, &ecr.repository_arn(&image.repository), &ecr.account, &image.repository, &RequestContext::unknown());
    let needed: Vec<_> = verdicts.iter().filter(|v| NEEDED.contains(&v.action.as_str())).collect();
    if needed.iter().all(|v| matches!(v.decision, Decision::Allowed { .. })) && unknown.is_empty() {
        Some((role.name.clone(), true))
    } else if needed.iter().any(|v| matches!(v.decision, Decision::ExplicitDeny { .. } | Decision::ImplicitDeny)) && unknown.is_empty() {
        Some((role.name.clone(), false))
    } else {
        None
    }
}

/// Whether a node's kubelet gets ECR credentials from the node's own IAM role (the kubelet ECR
/// credential provider), and how that is known. Only then is the node role in a pull's credential
/// path: advice about the node role for a node that pulls with secrets fixes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeCredentials {
    pub in_use: bool,
    /// False when the input does not show it and this is pulldoctor's assumption.
    pub known: bool,
    /// Why, in words, for the evidence.
    pub why: String,
}

/// The first OpenShift minor version whose AWS nodes run the kubelet ECR credential provider
/// (machine-config-operator OCPBUGS-25662, backported to 4.14).
const OPENSHIFT_ECR_PROVIDER: (u32, u32) = (4, 14);

/// Decide per node whether the kubelet ECR credential provider is in use: EKS nodes (an `-eks-`
/// kubelet build, `eks.amazonaws.com/` labels, Bottlerocket) run it with the node role; OpenShift
/// nodes on AWS run it from 4.14; anything else (kubeadm, k3s, Rancher on EC2) runs it only when
/// the kubelet was started with `--image-credential-provider-config`, which no bundle shows, so
/// that is assumed not to be the case, and said.
pub fn node_credentials(node: &Node) -> NodeCredentials {
    let kubelet = node.kubelet_version.as_deref().unwrap_or_default();
    let os_image = node.os_image.as_deref().unwrap_or_default();
    let eks_label = node.labels.keys().find(|k| k.starts_with("eks.amazonaws.com/"));
    if kubelet.contains("-eks-") || eks_label.is_some() || os_image.starts_with("Bottlerocket") {
        let mark = match eks_label {
            _ if kubelet.contains("-eks-") => format!("kubelet {kubelet}"),
            Some(label) => format!("label {label}"),
            None => format!("OS {os_image}"),
        };
        return NodeCredentials {
            in_use: true,
            known: true,
            why: format!(
                "{} is an EKS node ({mark}): its kubelet gets ECR tokens from the ECR credential provider with the node's IAM role",
                node.name
            ),
        };
    }
    let on_aws = node.provider_id.as_deref().is_some_and(|p| p.starts_with("aws://"));
    if let Some(version) = openshift_version(node) {
        let in_use = on_aws && version >= OPENSHIFT_ECR_PROVIDER;
        let (major, minor) = version;
        let why = if in_use {
            format!(
                "{} runs OpenShift {major}.{minor} on AWS, whose kubelet uses the ECR credential provider with the node's IAM role (since 4.14)",
                node.name
            )
        } else if on_aws {
            format!(
                "{} runs OpenShift {major}.{minor}, older than 4.14: its kubelet has no ECR credential provider, so ECR pulls need a pull secret",
                node.name
            )
        } else {
            format!("{} runs OpenShift {major}.{minor} outside AWS: no ECR credential provider", node.name)
        };
        return NodeCredentials { in_use, known: true, why };
    }
    NodeCredentials {
        in_use: false,
        known: false,
        why: format!(
            "{} shows no EKS or OpenShift marks (kubelet {}, {}): a self-managed kubelet uses the ECR credential provider only when started with --image-credential-provider-config, which the bundle does not show (the kubelet's journal does, in its FLAG lines); assumed not, so its ECR pulls use pull secrets",
            node.name,
            if kubelet.is_empty() { "unknown" } else { kubelet },
            if os_image.is_empty() { "OS unknown" } else { os_image }
        ),
    }
}

/// [`node_credentials`], with what the node's own kubelet logged when it started, when its journal
/// is in the bundle: a `FLAG: --image-credential-provider-config` line is the direct answer (set:
/// the providers its file lists are asked, the ECR one with the node's IAM role; empty: none),
/// and it wins over every mark.
pub fn node_credentials_in(model: &Model, node: &Node) -> NodeCredentials {
    let Some(flag) = model.kubelet_flag(&node.name, "image-credential-provider-config") else {
        return node_credentials(node);
    };
    let seen = format!("{}:{}", flag.file, flag.line);
    if flag.value.is_empty() {
        NodeCredentials {
            in_use: false,
            known: true,
            why: format!(
                "{}'s kubelet was started without --image-credential-provider-config (its journal, {seen}): no credential provider, so its ECR pulls use pull secrets",
                node.name
            ),
        }
    } else {
        NodeCredentials {
            in_use: true,
            known: true,
            why: format!(
                "{}'s kubelet was started with --image-credential-provider-config={} (its journal, {seen}): it gets ECR tokens from the ECR credential provider with the node's IAM role",
                node.name, flag.value
            ),
        }
    }
}

/// OpenShift's version from an RHCOS node's OS image (`Red Hat Enterprise Linux CoreOS
/// 416.94.2024...` is 4.16), when the node is one.
fn openshift_version(node: &Node) -> Option<(u32, u32)> {
    let os_image = node.os_image.as_deref()?;
    let rest = os_image.strip_prefix("Red Hat Enterprise Linux CoreOS ").or_else(|| os_image.strip_prefix("Red Hat CoreOS "))?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let (major, minor) = digits.split_at_checked(1)?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The ECR actions a pull with the node's own credentials needs.
pub const NEEDED: &[&str] = &["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];

#[cfg(test)]
mod tests {
    use super::*;

    fn node(kubelet: &str, os_image: &str, labels: &[(&str, &str)]) -> Node {
        Node {
            name: "n1".into(),
            provider_id: Some("aws:///us-east-1a/i-0abc".into()),
            kubelet_version: Some(kubelet.into()),
            os_image: Some(os_image.into()),
            labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..Node::default()
        }
    }

    #[test]
    fn who_pulls_with_the_node_role() {
        assert!(node_credentials(&node("v1.32.1-eks-5d632ec", "Amazon Linux 2023.6.20250203", &[])).in_use);
        assert!(node_credentials(&node("v1.30.0", "Ubuntu", &[("eks.amazonaws.com/nodegroup", "ng")])).in_use);
        let openshift = node_credentials(&node("v1.29.10+67d3387", "Red Hat Enterprise Linux CoreOS 416.94.202411201433-0", &[]));
        assert!(openshift.in_use && openshift.known, "{openshift:?}");
        assert!(!node_credentials(&node("v1.26.5+0001a21", "Red Hat Enterprise Linux CoreOS 413.92.202307260246-0", &[])).in_use);
        let kubeadm = node_credentials(&node("v1.29.3", "Ubuntu 22.04.4 LTS", &[]));
        assert!(!kubeadm.in_use && !kubeadm.known, "{kubeadm:?}");
        assert!(kubeadm.why.contains("assumed"), "{}", kubeadm.why);
    }
}
