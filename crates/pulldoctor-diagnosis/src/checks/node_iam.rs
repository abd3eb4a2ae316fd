use std::collections::BTreeSet;

use pulldoctor_classify::ErrorClass;
use pulldoctor_iam::{Decision, NamedPolicy, PolicyDocument, evaluate_pull, managed_policy};
use pulldoctor_model::{InputKind, Node};

use super::{Check, CheckInfo, Context, Findings};
use crate::affected::{Failure, is_network_class};
use crate::declare_check;
use crate::report::{Cause, Command, Confidence, Evidence, Fix, FixOption, Layer, Safety, Timing};

declare_check! {
    /// ## What it checks
    /// For ECR images pulled with the node's own credentials (the kubelet ECR credential provider
    /// on EKS and self-managed nodes): the node's instance profile, its role, the role's inline and
    /// attached managed policies (the bundle's documents, else pulldoctor's copy of the AWS managed
    /// ECR policies), and the repository policy, evaluated with IAM's rules for
    /// `ecr:GetAuthorizationToken`, `ecr:BatchGetImage`, `ecr:GetDownloadUrlForLayer` and
    /// `ecr:BatchCheckLayerAvailability`: explicit deny wins, cross-account pulls need both sides.
    ///
    /// ## Why it breaks pulls
    /// Without `GetAuthorizationToken` the credential provider gets no token and the runtime pulls
    /// anonymously (`no basic auth credentials`); without `BatchGetImage` ECR answers 403.
    ///
    /// ## Evidence
    /// `aws iam get-account-authorization-details`, `aws ecr get-repository-policy`,
    /// `aws ec2 describe-instances` (the instance profile).
    ///
    /// ## Fix and its risk
    /// Attach `AmazonEC2ContainerRegistryPullOnly` (or `ReadOnly`) to the node role, or allow the
    /// node role's account in the repository policy: mutating, affects every node with that role.
    ///
    /// ## Known limits
    /// Conditions, permission boundaries, SCPs and session policies are not evaluated: a decision
    /// that depends on them is a gap.
    pub NodeIam, name: "node-iam", layer: Access, codes: ["iam.ecr-denied", "ecr.repository-policy-denied"],
}

/// The node role's verdicts for the pull actions on a repository, the managed policies that could
/// not be resolved, and the problems met (as gap `what`/`why` pairs).
pub fn role_verdicts(
    model: &pulldoctor_model::Model,
    role: &pulldoctor_model::IamRole,
    repository_arn: &str,
    account: &str,
    repository: &str,
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
    (evaluate_pull(&named, repo_policy.as_ref(), &role.arn, repository_arn), unknown, problems)
}

/// Whether the role of the node a failing pod runs on may pull its ECR image: `Some((role, true))`
/// when every needed action is allowed, `Some((role, false))` when one is denied, `None` when the
/// bundle cannot say.
pub fn node_role_allows(cx: &Context, failure: &Failure) -> Option<(String, bool)> {
    let model = cx.model;
    let image = failure.image_ref.as_ref()?;
    let ecr = image.ecr.as_ref()?;
    let node = model.nodes.get(failure.pod.node_name.as_deref()?)?;
    let instance = model.node_instance(node)?;
    let role_arn = model.instance_profiles.get(instance.iam_instance_profile_arn.as_deref()?)?.role_arns.first()?;
    let role = model.iam_roles.get(role_arn)?;
    let (verdicts, unknown, _) = role_verdicts(model, role, &ecr.repository_arn(&image.repository), &ecr.account, &image.repository);
    let needed: Vec<_> = verdicts.iter().filter(|v| NEEDED.contains(&v.action.as_str())).collect();
    if needed.iter().all(|v| matches!(v.decision, Decision::Allowed { .. })) && unknown.is_empty() {
        Some((role.name.clone(), true))
    } else if needed.iter().any(|v| matches!(v.decision, Decision::ExplicitDeny { .. } | Decision::ImplicitDeny)) && unknown.is_empty() {
        Some((role.name.clone(), false))
    } else {
        None
    }
}

/// Does this node pull ECR images with its own role (kubelet credential provider)? OpenShift's
/// CRI-O nodes do not by default: they use pull secrets.
pub fn uses_node_credentials(node: &Node) -> bool {
    !node.container_runtime.as_deref().is_some_and(|r| r.starts_with("cri-o"))
}

const NEEDED: &[&str] = &["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];

impl Check for NodeIam {
    fn info(&self) -> &'static CheckInfo {
        &Self::INFO
    }

    fn run(&self, cx: &Context, out: &mut Findings) {
        let model = cx.model;
        let mut seen = BTreeSet::new();
        for failure in &cx.failures {
            let Some(image) = &failure.image_ref else {
                continue;
            };
            let Some(ecr) = &image.ecr else { continue };
            let Some(node) = failure.pod.node_name.as_deref().and_then(|n| model.nodes.get(n)) else {
                continue;
            };
            // The role is evaluated for every ECR pull (clearing it is worth saying); a denial is a
            // cause only where the node's own credentials are what the pull uses.
            let may_cause = uses_node_credentials(node) && !super::pull_secrets::secret_covers(model, failure.pod, &image.registry);
            let Some(instance) = model.node_instance(node) else {
                continue;
            };
            let Some(profile_arn) = instance.iam_instance_profile_arn.as_deref() else {
                out.gap(
                    format!("the IAM role of node {}", node.name),
                    "its instance has no instance profile in the bundle",
                    Some(InputKind::Instances.command().into()),
                );
                continue;
            };
            if !model.inputs.contains(&InputKind::IamAuthorizationDetails) {
                out.gap(
                    "node IAM roles",
                    "the bundle has no IAM authorization details",
                    Some(InputKind::IamAuthorizationDetails.command().into()),
                );
                continue;
            }
            let Some(role_arn) = model.instance_profiles.get(profile_arn).and_then(|p| p.role_arns.first()) else {
                out.gap(
                    format!("instance profile {profile_arn}"),
                    "not in the bundle's IAM details (another account?)",
                    Some(InputKind::IamAuthorizationDetails.command().into()),
                );
                continue;
            };
            let repository_arn = ecr.repository_arn(&image.repository);
            if !seen.insert((role_arn.clone(), repository_arn.clone())) {
                continue;
            }
            let Some(role) = model.iam_roles.get(role_arn) else {
                continue;
            };
            evaluate_role(cx, failure, role, &repository_arn, &ecr.account, &image.repository, may_cause, out);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn evaluate_role(
    cx: &Context,
    failure: &Failure,
    role: &pulldoctor_model::IamRole,
    repository_arn: &str,
    account: &str,
    repository: &str,
    may_cause: bool,
    out: &mut Findings,
) {
    let (verdicts, unknown, problems) = role_verdicts(cx.model, role, repository_arn, account, repository);
    for (what, why) in problems {
        out.gap(what, why, Some(InputKind::IamAuthorizationDetails.command().into()));
    }
    let denied: Vec<_> = verdicts
        .iter()
        .filter(|v| NEEDED.contains(&v.action.as_str()) && matches!(v.decision, Decision::ExplicitDeny { .. } | Decision::ImplicitDeny))
        .collect();
    let conditional: Vec<_> =
        verdicts.iter().filter(|v| NEEDED.contains(&v.action.as_str()) && matches!(v.decision, Decision::Conditional { .. })).collect();
    if !denied.is_empty() && !may_cause {
        return;
    }
    if denied.is_empty() {
        if conditional.is_empty() && unknown.is_empty() {
            out.rule_out(Layer::Access, format!("node role {}", role.name), format!("allows {} on {repository_arn}", NEEDED.join(", ")));
        } else if !conditional.is_empty() {
            out.gap(
                format!("whether {} may pull {repository}", role.name),
                format!(
                    "{} depend{} on policy conditions that cannot be evaluated offline",
                    conditional.iter().map(|v| v.action.as_str()).collect::<Vec<_>>().join(", "),
                    if conditional.len() == 1 { "s" } else { "" }
                ),
                None,
            );
        }
        return;
    }
    let class = failure.classification.class;
    let auth = matches!(class, ErrorClass::AuthMissing | ErrorClass::AuthDenied | ErrorClass::AuthExpired);
    // Identity allows but the repository side refuses: the repository policy is the blocker.
    let repository_side = denied.iter().all(|v| matches!(v.identity, Decision::Allowed { .. }));
    let (code, resources, summary, fix) = if repository_side {
        (
            "ecr.repository-policy-denied",
            vec![repository_arn.to_string(), role.arn.clone()],
            format!(
                "the repository policy of {repository} does not let {} pull ({})",
                role.name,
                denied.iter().map(|v| v.action.as_str()).collect::<Vec<_>>().join(", ")
            ),
            FixOption {
                title: format!("Allow {} in the repository policy of {repository}", role.arn),
                commands: vec![Command {
                    command: format!(
                        "aws ecr set-repository-policy --registry-id {account} --repository-name {repository} --policy-text file://repository-policy.json   # add a statement allowing {} ecr:BatchGetImage, ecr:GetDownloadUrlForLayer, ecr:BatchCheckLayerAvailability",
                        role.arn
                    ),
                    safety: Safety::Mutating,
                    changes: "replaces the repository policy".into(),
                }],
                blast_radius: format!("who may pull from {repository}"),
                preferred: true,
                rationale: "cross-account pulls need the repository side to allow the principal or its account".into(),
            },
        )
    } else {
        (
            "iam.ecr-denied",
            vec![role.name.clone(), role.arn.clone()],
            format!(
                "the node role {} is not allowed {} on {repository}",
                role.name,
                denied.iter().map(|v| v.action.as_str()).collect::<Vec<_>>().join(", ")
            ),
            FixOption {
                title: format!("Attach AmazonEC2ContainerRegistryPullOnly to {}", role.name),
                commands: vec![Command {
                    command: format!(
                        "aws iam attach-role-policy --role-name {} --policy-arn arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
                        role.name
                    ),
                    safety: Safety::Mutating,
                    changes: "grants the node role the ECR pull actions".into(),
                }],
                blast_radius: format!("every node (and anything else) that uses {}", role.name),
                preferred: true,
                rationale: "the AWS managed pull policy grants exactly what the credential provider needs".into(),
            },
        )
    };
    let evidence = denied.iter().map(|v| Evidence { source: "iam".into(), text: v.explanation.clone() }).collect();
    out.causes.push(Cause {
        code,
        layer: Layer::Access,
        summary,
        confidence: if auth {
            Confidence::High
        } else if is_network_class(class) {
            Confidence::Medium
        } else {
            Confidence::Low
        },
        timing: if is_network_class(class) { Timing::AfterFix } else { Timing::Now },
        resources,
        pods: cx
            .failures
            .iter()
            .filter(|f| {
                f.image_ref.as_ref().and_then(|i| i.ecr.as_ref()).is_some_and(|e| {
                    e.repository_arn(&f.image_ref.as_ref().map(|i| i.repository.clone()).unwrap_or_default()) == repository_arn
                })
            })
            .map(|f| f.pod.key())
            .collect(),
        evidence,
        fix: Fix {
            options: vec![fix],
            verify: vec![Command {
                command: format!("aws iam list-attached-role-policies --role-name {}", role.name),
                safety: Safety::ReadOnly,
                changes: "shows the role's managed policies".into(),
            }],
        },
    });
}
