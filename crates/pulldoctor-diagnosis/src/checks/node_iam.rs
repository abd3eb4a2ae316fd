use pulldoctor_model::Code;
use std::collections::BTreeSet;

use pulldoctor_classify::ErrorClass;
use pulldoctor_iam::{Decision, RequestContext};
use pulldoctor_model::{InputKind, Instance, Node};

use crate::affected::{Failure, is_network_class};
use crate::change::Change;
use crate::check::{Check, CheckInfo};
use crate::context::{Context, Findings};
use crate::credentials::{NEEDED, NodeCredentials, NodeRole, node_credentials_in, node_role, reaching, role_verdicts, secret_covers};
use crate::declare_check;
use crate::fix::{mutating, read_only};
use crate::report::{Cause, Confidence, Evidence, Fix, FixOption, Layer, Timing};
use crate::request::{self, PathRequest};

declare_check! {
    /// ## What it checks
    /// For ECR images pulled with the node's own credentials: first whether the node's kubelet runs
    /// the ECR credential provider at all (EKS nodes and OpenShift 4.14+ on AWS do; other kubelets
    /// are assumed not to, and the report says so), since only then is the node role in the
    /// pull's path. Then the node's instance profile (none is a finding), its role, the role's inline and
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
    /// Conditions on `aws:SourceVpce`, `aws:SourceVpc`, `aws:SourceIp` and `aws:VpcSourceIp`
    /// (and their `IfExists` forms) are decided from the node's traced path to the registry (an
    /// interface endpoint, or a NAT or internet gateway and its public address); other condition
    /// keys, permission boundaries, SCPs and session policies are not evaluated, and a decision
    /// that depends on them is a gap. A self-managed kubelet's `--image-credential-provider-config`
    /// is not in a bundle: without EKS or OpenShift marks the node is assumed not to use it.
    pub NodeIam, name: "node-iam", layer: Access, codes: [Code::IamEcrDenied, Code::EcrRepositoryPolicyDenied],
}

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
            // The node role is in a pull's credential path only where the kubelet runs the ECR
            // credential provider; there it is evaluated for every ECR pull (clearing it is worth
            // saying), and a denial is a cause only when no pull secret covers the registry.
            let credentials = node_credentials_in(model, node);
            if !credentials.in_use {
                if is_auth(failure.classification.class) {
                    out.rule_out(
                        Layer::Access,
                        format!("the IAM role of node {}", node.name),
                        format!("not in this pull's credential path: {}", credentials.why),
                    );
                }
                continue;
            }
            let may_cause = !secret_covers(model, failure.pod, &image.registry);
            let role_arn = match node_role(model, node) {
                NodeRole::NoInstance => continue,
                NodeRole::NoProfile { instance } => {
                    if may_cause && seen.insert((instance.id.clone(), String::new())) {
                        out.causes.push(no_instance_profile(cx, failure, node, instance, &credentials));
                    }
                    continue;
                }
                _ if !model.inputs.contains(&InputKind::IamAuthorizationDetails) => {
                    out.gap(
                        "node IAM roles",
                        "the bundle has no IAM authorization details",
                        Some(InputKind::IamAuthorizationDetails.command().into()),
                    );
                    continue;
                }
                NodeRole::UnknownProfile { profile_arn } => {
                    out.gap(
                        format!("instance profile {profile_arn}"),
                        "not in the bundle's IAM details (another account?)",
                        Some(InputKind::IamAuthorizationDetails.command().into()),
                    );
                    continue;
                }
                NodeRole::Found { role_arn, .. } => role_arn,
            };
            let repository_arn = ecr.repository_arn(&image.repository);
            if !seen.insert((role_arn.to_string(), repository_arn.clone())) {
                continue;
            }
            let Some(role) = model.iam_roles.get(role_arn) else {
                continue;
            };
            // The condition keys the node's path to the registry decides (aws:SourceVpce, ...).
            let host = image.registry.split(':').next().unwrap_or(&image.registry);
            let path = model.node_instance(node).and_then(|instance| request::from_instance(&cx.engine, model, instance, host));
            evaluate_role(cx, failure, role, &repository_arn, &ecr.account, &image.repository, may_cause, &credentials, path.as_ref(), out);
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
    credentials: &NodeCredentials,
    path: Option<&PathRequest>,
    out: &mut Findings,
) {
    let unknown_context = RequestContext::unknown();
    let context = path.map_or(&unknown_context, |p| &p.context);
    let (verdicts, unknown, problems) = role_verdicts(cx.model, role, repository_arn, account, repository, context);
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
    let auth = is_auth(class);
    // Identity allows but the repository side refuses: the repository policy is the blocker.
    let repository_side = denied.iter().all(|v| matches!(v.identity, Decision::Allowed { .. }));
    let (code, resources, summary, fix) = if repository_side {
        (
            Code::EcrRepositoryPolicyDenied,
            vec![repository_arn.to_string(), role.arn.clone()],
            format!(
                "the repository policy of {repository} does not let {} pull ({}){}",
                role.name,
                denied.iter().map(|v| v.action.as_str()).collect::<Vec<_>>().join(", "),
                deciding_path(&denied, path)
            ),
            match path.filter(|_| !deciding_path(&denied, path).is_empty()) {
                Some(path) => path_condition_fix(repository, account, path, cx, failure),
                None => FixOption {
                    title: format!("Allow {} in the repository policy of {repository}", role.arn),
                    commands: vec![{
                        let mut command = mutating(
                            format!(
                                "aws ecr set-repository-policy --registry-id {account} --repository-name {repository} --policy-text file://repository-policy.json   # add a statement allowing {} ecr:BatchGetImage, ecr:GetDownloadUrlForLayer, ecr:BatchCheckLayerAvailability",
                                role.arn
                            ),
                            "replaces the repository policy",
                        );
                        // An explicit deny outranks any allow: then adding a statement is not the fix.
                        if !denied.iter().any(|v| matches!(v.decision, Decision::ExplicitDeny { .. })) {
                            command.change = repository_policy_change(cx, failure, account, repository, &role.arn);
                        }
                        command
                    }],
                    blast_radius: format!("who may pull from {repository}"),
                    preferred: true,
                    rationale: "cross-account pulls need the repository side to allow the principal or its account".into(),
                },
            },
        )
    } else {
        (
            Code::IamEcrDenied,
            vec![role.name.clone(), role.arn.clone()],
            format!(
                "the node role {} is not allowed {} on {repository}",
                role.name,
                denied.iter().map(|v| v.action.as_str()).collect::<Vec<_>>().join(", ")
            ),
            FixOption {
                title: format!("Attach AmazonEC2ContainerRegistryPullOnly to {}", role.name),
                commands: vec![{
                    let change = Change::AttachRolePolicy {
                        role: role.name.clone(),
                        policy_arn: "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly".into(),
                    };
                    let mut command = mutating(change.command(), "grants the node role the ECR pull actions");
                    command.change = Some(change);
                    command
                }],
                blast_radius: format!("every node (and anything else) that uses {}", role.name),
                preferred: true,
                rationale: "the AWS managed pull policy grants exactly what the credential provider needs".into(),
            },
        )
    };
    let evidence = std::iter::once(Evidence { source: "credentials".into(), text: credentials.why.clone() })
        .chain(path.map(|p| Evidence {
            source: "path".into(),
            text: format!(
                "{}'s request to the registry leaves {}: {}",
                failure.pod.node_name.as_deref().unwrap_or("the node"),
                p.how,
                p.context.describe()
            ),
        }))
        .chain(denied.iter().map(|v| Evidence { source: "iam".into(), text: v.explanation.clone() }))
        .collect();
    out.causes.push(Cause {
        code,
        layer: Layer::Access,
        summary,
        // A pod that brings its own ECR pull secret meant to pull with it: the node role is the
        // kubelet's fallback, so a secret problem outranks it.
        confidence: if brings_ecr_secret(cx, failure) {
            Confidence::Low
        } else if auth {
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
            verify: vec![read_only(
                format!("aws iam list-attached-role-policies --role-name {}", role.name),
                "shows the role's managed policies",
            )],
        },
    });
}

/// `: its statement X denies it, and the request leaves through NAT gateway nat-1 (...)` when an
/// explicit deny was decided with the path's condition keys, else nothing.
/// The repository's policy with a statement added that lets `principal` pull; `None` when the
/// region is unknown or the recorded policy is not JSON (pulldoctor then leaves it to the user).
fn repository_policy_change(cx: &Context, failure: &Failure, account: &str, repository: &str, principal: &str) -> Option<Change> {
    let region = failure.image_ref.as_ref().and_then(|i| i.ecr.as_ref()).map(|e| e.region.clone())?;
    let statement = serde_json::json!({
        "Sid": "PulldoctorAllowPull",
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
    });
    let existing = cx.model.repository_policies.get(&format!("{account}/{repository}"));
    let policy = match existing {
        Some(existing) => {
            let mut document: serde_json::Value = serde_json::from_str(&existing.policy_text).ok()?;
            match document.get_mut("Statement") {
                Some(serde_json::Value::Array(statements)) => statements.push(statement),
                Some(single) => *single = serde_json::Value::Array(vec![single.take(), statement]),
                None => document["Statement"] = serde_json::Value::Array(vec![statement]),
            }
            document
        }
        None => serde_json::json!({"Version": "2012-10-17", "Statement": [statement]}),
    };
    Some(Change::SetRepositoryPolicy {
        registry: account.to_string(),
        region,
        repository: repository.to_string(),
        policy: policy.to_string(),
        previous: None,
        replaced: false,
    })
}

fn deciding_path(denied: &[&pulldoctor_iam::PullVerdict], path: Option<&PathRequest>) -> String {
    let Some(path) = path else { return String::new() };
    let statements: BTreeSet<&str> = denied
        .iter()
        .filter_map(|v| match &v.decision {
            Decision::ExplicitDeny { by } => Some(by.as_str()),
            _ => None,
        })
        .collect();
    if statements.is_empty() {
        return String::new();
    }
    format!(": {} denies the request, which leaves {}", statements.into_iter().collect::<Vec<_>>().join(", "), path.how)
}

/// A repository policy whose condition the request's path fails (`aws:SourceVpce`, ...): give the
/// cluster's VPC an ECR endpoint and name it in the policy, or change the condition.
fn path_condition_fix(repository: &str, account: &str, path: &PathRequest, cx: &Context, failure: &Failure) -> FixOption {
    let vpc = failure
        .pod
        .node_name
        .as_deref()
        .and_then(|n| cx.model.nodes.get(n))
        .and_then(|node| cx.model.node_instance(node))
        .and_then(|instance| instance.subnet_id.as_deref())
        .and_then(|subnet| cx.model.subnets.get(subnet))
        .map(|subnet| subnet.vpc_id.clone())
        .unwrap_or_else(|| "VPC".into());
    let region = failure.image_ref.as_ref().and_then(|i| i.ecr.as_ref()).map(|e| e.region.clone()).unwrap_or_else(|| "REGION".into());
    FixOption {
        title: format!("Let {vpc}'s requests meet the policy's condition: an ECR endpoint there, named in the policy"),
        commands: vec![
            mutating(
                format!(
                    "aws ec2 create-vpc-endpoint --vpc-id {vpc} --vpc-endpoint-type Interface --service-name com.amazonaws.{region}.ecr.dkr --subnet-ids NODE_SUBNETS --security-group-ids SG_ALLOWING_443_FROM_NODES --private-dns-enabled"
                ),
                "gives the nodes a private way to the registry (ecr.api likewise for tokens, and the S3 gateway endpoint for layers)",
            ),
            read_only(
                format!(
                    "aws ecr get-repository-policy --registry-id {account} --repository-name {repository} --query policyText --output text > repository-policy.json"
                ),
                "saves the policy to edit",
            ),
            mutating(
                format!(
                    "aws ecr set-repository-policy --registry-id {account} --repository-name {repository} --policy-text file://repository-policy.json   # with the new endpoint id added to the aws:SourceVpce values"
                ),
                "lets requests through the new endpoint pass the condition",
            ),
        ],
        blast_radius: format!("{vpc}'s ECR traffic moves to the endpoint; who may pull from {repository}"),
        preferred: true,
        rationale: format!(
            "the request leaves {}, which the policy's condition refuses; IAM on the node role is not the problem",
            path.how
        ),
    }
}

/// Whether a pull secret for some ECR registry reaches the failing pod.
fn brings_ecr_secret(cx: &Context, failure: &Failure) -> bool {
    reaching(cx.model, failure.pod).iter().filter_map(|r| r.secret).any(|secret| {
        secret.credentials.iter().any(|c| pulldoctor_model::parse_ecr_host(c.host.split(':').next().unwrap_or_default()).is_some())
    })
}

fn is_auth(class: ErrorClass) -> bool {
    matches!(class, ErrorClass::AuthMissing | ErrorClass::AuthDenied | ErrorClass::AuthExpired)
}

/// A node whose kubelet pulls ECR images with the node role, on an instance with no instance
/// profile: there is no role, so the credential provider gets no token (a finding, not a gap).
fn no_instance_profile(cx: &Context, failure: &Failure, node: &Node, instance: &Instance, credentials: &NodeCredentials) -> Cause {
    let class = failure.classification.class;
    let auth = is_auth(class);
    Cause {
        code: Code::IamEcrDenied,
        layer: Layer::Access,
        summary: format!(
            "node {}'s instance {} has no instance profile, so the kubelet's ECR credential provider has no role to get a token with",
            node.name, instance.id
        ),
        confidence: if brings_ecr_secret(cx, failure) {
            Confidence::Low
        } else if auth {
            Confidence::High
        } else {
            Confidence::Medium
        },
        timing: if is_network_class(class) { Timing::AfterFix } else { Timing::Now },
        resources: vec![instance.id.clone(), node.name.clone()],
        pods: cx.failures.iter().filter(|f| f.pod.node_name.as_deref() == Some(node.name.as_str())).map(|f| f.pod.key()).collect(),
        evidence: vec![
            Evidence { source: "credentials".into(), text: credentials.why.clone() },
            Evidence { source: "instance".into(), text: format!("describe-instances shows no IamInstanceProfile on {}", instance.id) },
        ],
        fix: Fix {
            options: vec![FixOption {
                title: format!("Give {} an instance profile whose role may pull from ECR", instance.id),
                commands: vec![mutating(
                    format!(
                        "aws ec2 associate-iam-instance-profile --instance-id {} --iam-instance-profile Name=NODE_INSTANCE_PROFILE   # its role with AmazonEC2ContainerRegistryPullOnly attached",
                        instance.id
                    ),
                    "attaches the node role the credential provider uses",
                )],
                blast_radius: format!("only {}; nodes launched later need the profile in their launch template", instance.id),
                preferred: true,
                rationale: "the credential provider signs its token request with the instance's role".into(),
            }],
            verify: vec![read_only(
                format!("aws ec2 describe-iam-instance-profile-associations --filters Name=instance-id,Values={}", instance.id),
                "shows the instance's profile",
            )],
        },
    }
}
