use chrono::{DateTime, Utc};
use pulldoctor_classify::ErrorClass;
use pulldoctor_model::Code;
use pulldoctor_model::{InputKind, RegistryCredential};

use crate::affected::{Failure, is_network_class};
use crate::change::Change;
use crate::check::{Check, CheckInfo};
use crate::context::{Context, Findings};
use crate::credentials::{self, Reaching, host_matches, reaching};
use crate::fix::{display, mutating, read_only};
use crate::report::{Cause, Confidence, Evidence, Fix, FixOption, Layer, Timing};
use crate::{declare_check, text};

declare_check! {
    /// ## What it checks
    /// Which pull credentials reach each failing container: the pod's `imagePullSecrets`, its
    /// service account's, and on OpenShift the global pull secret `openshift-config/pull-secret`;
    /// whether one matches the image's registry host the way the runtimes match (host and port,
    /// `https://` and paths dropped, Docker Hub aliases folded); whether referenced secrets exist;
    /// and, for ECR credentials, the token's `expiration` compared with the failure time.
    ///
    /// ## Why it breaks pulls
    /// ECR tokens live 12 hours: a pull secret made once with `aws ecr get-login-password` stops
    /// working half a day later, and pulls fail with `authorization token has expired` or
    /// `no basic auth credentials`. A secret for another host, or a name that does not exist, is
    /// the same as no secret.
    ///
    /// ## Evidence
    /// `kubectl get secrets,serviceaccounts -A -o json` (tokens are decoded for their expiry and
    /// never printed), `kubectl get events` (`FailedToRetrieveImagePullSecret`).
    ///
    /// ## Fix and its risk
    /// Recreate the secret with a fresh token (mutating, namespace-scoped), better: a refresher
    /// (CronJob) or the kubelet ECR credential provider, which needs no secret at all.
    ///
    /// ## Known limits
    /// Credentials outside the cluster (a node's `/var/lib/kubelet/config.json`, a credential
    /// provider's own configuration) are not visible in a bundle.
    pub PullSecrets, name: "pull-secrets", layer: Access, codes: [
        Code::PullSecretExpired, Code::PullSecretMissing, Code::PullSecretWrongRegistry, Code::PullSecretNotFound,
    ],
}

/// OpenShift's internal registry, which per-service-account `*-dockercfg-*` secrets are for.
fn is_internal_registry(host: &str) -> bool {
    host.starts_with("image-registry.openshift-image-registry.svc") || host.starts_with("172.30.")
}

fn when(failure: &Failure, now: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    failure.last_failure.or(now)
}

fn is_auth(class: ErrorClass) -> bool {
    matches!(class, ErrorClass::AuthMissing | ErrorClass::AuthExpired | ErrorClass::AuthDenied)
}

/// A pull secret for the image's registry, attached to the pod's service account.
fn new_secret_fix(failure: &Failure, registry: &str, ecr_region: Option<&str>) -> Fix {
    let namespace = &failure.pod.namespace;
    let account = failure.pod.service_account.as_deref().unwrap_or("default");
    let host = registry.split(':').next().unwrap_or(registry);
    let name = format!("{}-pull", host.split('.').next().unwrap_or("registry"));
    let password = match ecr_region {
        Some(region) => format!("--docker-username=AWS --docker-password=\"$(aws ecr get-login-password --region {region})\""),
        None => "--docker-username=USER --docker-password=TOKEN".to_string(),
    };
    let mut options = vec![FixOption {
        title: format!("Create a pull secret for {registry} and attach it to service account {namespace}/{account}"),
        commands: vec![
            mutating(
                format!("kubectl create secret docker-registry {name} -n {namespace} --docker-server={registry} {password}"),
                format!("creates {namespace}/{name} with credentials for {registry}"),
            ),
            mutating(
                format!(
                    "kubectl patch serviceaccount {account} -n {namespace} --type=json -p '[{{\"op\":\"add\",\"path\":\"/imagePullSecrets/-\",\"value\":{{\"name\":\"{name}\"}}}}]'"
                ),
                format!("makes every pod of {namespace}/{account} use it (a pod's own imagePullSecrets work too)"),
            ),
        ],
        blast_radius: format!("pods in {namespace} that run as {account}"),
        preferred: true,
        rationale: "the runtime matches credentials by registry host: the secret must name this host".into(),
    }];
    if ecr_region.is_some() {
        options[0].rationale.push_str("; an ECR token in a secret expires after 12 hours, so it needs a refresher");
        options.push(FixOption {
            title: "Let the kubelet get ECR tokens itself".into(),
            commands: vec![display(
                "# configure the kubelet ECR credential provider (--image-credential-provider-config) on every node, with a node role that has AmazonEC2ContainerRegistryPullOnly",
                "no secret to expire",
            )],
            blast_radius: "every node's kubelet configuration".into(),
            preferred: false,
            rationale: "the lasting fix for ECR: EKS and OpenShift 4.14+ on AWS do this already; a self-managed kubelet needs it configured".into(),
        });
    }
    Fix { options, verify: vec![] }
}

fn refresh_fix(namespace: &str, name: &str, registry: &str, region: &str) -> Fix {
    let change =
        Change::RefreshPullSecret { namespace: namespace.into(), name: name.into(), registry: registry.into(), region: region.into() };
    let mut refresh = mutating(change.command(), format!("replaces the token in {namespace}/{name}; it expires again in 12 hours"));
    refresh.change = Some(change);
    Fix {
        options: vec![
            FixOption {
                title: format!("Refresh {namespace}/{name} with a new ECR token"),
                commands: vec![refresh],
                blast_radius: format!("pods in {namespace} that use {name}"),
                preferred: false,
                rationale: "fixes it for 12 hours".into(),
            },
            FixOption {
                title: "Stop depending on a 12-hour token".into(),
                commands: vec![display(
                    "# EKS: the kubelet ECR credential provider (node role needs AmazonEC2ContainerRegistryPullOnly); elsewhere: a CronJob that refreshes the secret every few hours",
                    "removes the expiry problem for good",
                )],
                blast_radius: "the cluster's pull configuration".into(),
                preferred: true,
                rationale: "an ECR token in a secret always expires; a refresher or the credential provider does not".into(),
            },
        ],
        verify: vec![read_only(
            format!("kubectl get secret {name} -n {namespace} -o jsonpath='{{.metadata.creationTimestamp}}'"),
            "shows when the secret was last written",
        )],
    }
}

impl Check for PullSecrets {
    fn info(&self) -> &'static CheckInfo {
        &Self::INFO
    }

    fn run(&self, cx: &Context, out: &mut Findings) {
        let model = cx.model;
        if !model.inputs.contains(&InputKind::Secrets) {
            if !cx.failures.is_empty() {
                out.gap(
                    "pull secrets",
                    "the bundle has no secrets, so pull credentials and ECR token expiry cannot be checked",
                    Some(InputKind::Secrets.command().into()),
                );
            }
            return;
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut role_allows = std::collections::HashMap::new();
        // each pod's causes are made one by one; alike ones are merged at the end
        let first_cause = out.causes.len();
        for failure in &cx.failures {
            let Some(image) = &failure.image_ref else {
                continue;
            };
            if !seen.insert((failure.pod.namespace.clone(), failure.pod.name.clone(), image.registry.clone())) {
                continue;
            }
            let class = failure.classification.class;
            let timing = if is_auth(class) { Timing::Now } else { Timing::AfterFix };
            let at = when(failure, cx.now);
            let reaching = reaching(model, failure.pod);
            // referenced but absent
            for missing in reaching.iter().filter(|r| r.secret.is_none()) {
                // Live collection could not read it (denied, or failed): unknown, not absent.
                let read_failed = format!("get secret {}", missing.name);
                if let Some(failed) = model.collection_failures.iter().find(|f| f.call == read_failed) {
                    out.gap(
                        format!("secret {}", missing.name),
                        format!("it could not be read during collection ({}), so whether it exists is unknown", failed.message),
                        Some(format!(
                            "kubectl get secret {} -n {} -o json",
                            missing.name.split('/').nth(1).unwrap_or_default(),
                            failure.pod.namespace
                        )),
                    );
                    continue;
                }
                let mut evidence = vec![Evidence {
                    source: "secret".into(),
                    text: format!("{} is referenced by the {} but not in the bundle's secrets", missing.name, missing.origin),
                }];
                if let Some(event) = &failure.missing_secret_event {
                    evidence.push(Evidence { source: "event".into(), text: event.clone() });
                }
                if failure.missing_secret_event.is_none() && !is_auth(class) {
                    out.gap(
                        format!("secret {}", missing.name),
                        "referenced but not in the bundle (it may exist: secrets may have been filtered when the bundle was made)",
                        Some(InputKind::Secrets.command().into()),
                    );
                    continue;
                }
                out.causes.push(Cause {
                    code: Code::PullSecretNotFound,
                    layer: Layer::Access,
                    summary: format!("{} references pull secret {}, which does not exist", failure.pod.key(), missing.name),
                    confidence: if failure.missing_secret_event.is_some() { Confidence::High } else { Confidence::Medium },
                    timing,
                    resources: vec![missing.name.clone()],
                    pods: vec![failure.pod.key()],
                    evidence,
                    fix: Fix {
                        options: vec![FixOption {
                            title: format!("Create {} (or fix the name the pod references)", missing.name),
                            commands: vec![mutating(format!("kubectl create secret docker-registry {} -n {} --docker-server={} --docker-username=USER --docker-password=PASSWORD", missing.name.split('/').nth(1).unwrap_or_default(), failure.pod.namespace, image.registry), "creates the secret")],
                            blast_radius: format!("pods in {} that reference it", failure.pod.namespace),
                            preferred: true,
                            rationale: "the kubelet skips a pull secret it cannot read".into(),
                        }],
                        verify: vec![],
                    },
                });
            }
            let matching: Vec<(&Reaching, &RegistryCredential)> = reaching
                .iter()
                .filter_map(|r| r.secret.map(|s| (r, s)))
                .flat_map(|(r, s)| s.credentials.iter().filter(|c| host_matches(c, &image.registry)).map(move |c| (r, c)))
                .collect();
            for (reach, credential) in &matching {
                // The decoded `expiration`; for an ECR credential whose token does not carry one,
                // the secret's age: ECR tokens live 12 hours from when they were issued.
                let is_ecr = pulldoctor_model::parse_ecr_host(credential.host.split(':').next().unwrap_or_default()).is_some();
                let estimated = credential.ecr_expires_at.is_none();
                let Some(expiry) = credential
                    .ecr_expires_at
                    .or_else(|| is_ecr.then(|| reach.secret.and_then(|s| s.created).map(|c| c + chrono::Duration::hours(12))).flatten())
                else {
                    continue;
                };
                let expiry_source = if estimated {
                    "estimated as 12 hours after the secret was written (the token carries no readable expiry)"
                } else {
                    "decoded from the token"
                };
                let Some(at) = at else {
                    out.gap(format!("expiry of {}", reach.name), "no failure time or --now to compare the token's expiry with", None);
                    continue;
                };
                let created = reach.secret.and_then(|s| s.created);
                let mut age = created.map(|c| format!(", written {} before", text::duration(at - c))).unwrap_or_default();
                if estimated {
                    age.push_str(&format!("; {expiry_source}"));
                }
                // Behind a non-auth error, an expired token bites later only if nothing else can
                // authenticate: the kubelet also tries its ECR credential provider (EKS, and OpenShift
                // 4.14+ on AWS), which uses the node role.
                let covered_by_node = (timing == Timing::AfterFix)
                    .then(|| {
                        // the same node and image answer the same (IAM evaluation: once each)
                        let key = (failure.pod.node_name.clone(), failure.image.clone());
                        role_allows.entry(key).or_insert_with(|| credentials::node_role_allows(cx.model, failure)).clone()
                    })
                    .flatten()
                    .filter(|(_, allowed)| *allowed);
                if expiry <= at
                    && let Some((role, _)) = covered_by_node
                {
                    out.rule_out(
                        Layer::Access,
                        format!("expired ECR token in {}", reach.name),
                        format!(
                            "expired at {} ({} before the failure{age}), but not a blocker: the node role {role} may pull this repository, and the kubelet's ECR credential provider (EKS; OpenShift 4.14+ on AWS) uses it when the secret's token is refused. Refresh or delete the secret anyway",
                            text::minute(expiry),
                            text::duration(at - expiry)
                        ),
                    );
                } else if expiry <= at {
                    let region = image.ecr.as_ref().map(|e| e.region.clone()).unwrap_or_else(|| "REGION".into());
                    let (namespace, name) = reach.name.split_once('/').unwrap_or(("default", &reach.name));
                    let mut summary = format!(
                        "the ECR token in {} expired at {} ({} before the failure{age})",
                        reach.name,
                        text::minute(expiry),
                        text::duration(at - expiry)
                    );
                    if timing == Timing::AfterFix {
                        summary.push_str("; the current error is not an auth error, so this will bite once the path to the registry works");
                    }
                    out.causes.push(Cause {
                        code: Code::PullSecretExpired,
                        layer: Layer::Access,
                        summary,
                        confidence: if is_auth(class) { Confidence::High } else { Confidence::Medium },
                        timing,
                        resources: vec![reach.name.clone()],
                        pods: vec![failure.pod.key()],
                        evidence: vec![Evidence {
                            source: "secret".into(),
                            text: format!(
                                "{} ({}) holds an ECR token for {} that expires at {} ({expiry_source})",
                                reach.name,
                                reach.origin,
                                credential.host,
                                expiry.to_rfc3339()
                            ),
                        }],
                        fix: refresh_fix(namespace, name, &image.registry, &region),
                    });
                } else {
                    out.rule_out(
                        Layer::Access,
                        format!("ECR token in {}", reach.name),
                        format!("valid until {} ({} after the last failure{age})", text::minute(expiry), text::duration(expiry - at)),
                    );
                }
            }
            if matching.is_empty() {
                // Secrets a user chose: not the cluster-wide global pull secret, not OpenShift's
                // generated per-service-account secrets for the internal registry.
                let others: Vec<String> = reaching
                    .iter()
                    .filter(|r| r.origin != "OpenShift global pull secret")
                    .filter_map(|r| r.secret)
                    .flat_map(|s| {
                        s.credentials.iter().filter(|c| !is_internal_registry(&c.host)).map(move |c| format!("{} ({})", s.key(), c.host))
                    })
                    .collect();
                // A pull whose denial names the AWS identity that made it (`User:
                // arn:aws:sts::...:assumed-role/...`) had credentials, just not rights: no secret
                // cause. ECR images on nodes whose kubelet runs the ECR credential provider need no
                // secret (the node role is their path), unless the pod brings secrets for other
                // registries: then the wrong secret is what the user meant to pull with.
                let named_identity = failure.message.as_deref().is_some_and(|m| m.contains("User: arn:aws"));
                let node_role_path = image.ecr.is_some()
                    && failure
                        .pod
                        .node_name
                        .as_deref()
                        .and_then(|n| model.nodes.get(n))
                        .is_some_and(|node| credentials::node_credentials_in(model, node).in_use);
                if is_auth(class) && !named_identity && (!node_role_path || !others.is_empty()) {
                    let (code, summary) = if others.is_empty() {
                        (Code::PullSecretMissing, format!("no pull secret reaches {} for {}", failure.pod.key(), image.registry))
                    } else {
                        (
                            Code::PullSecretWrongRegistry,
                            format!(
                                "the pull secrets reaching {} are for other registries ({}), not {}",
                                failure.pod.key(),
                                others.join(", "),
                                image.registry
                            ),
                        )
                    };
                    out.causes.push(Cause {
                        code,
                        layer: Layer::Access,
                        summary,
                        confidence: Confidence::Medium,
                        timing,
                        resources: std::iter::once(failure.pod.key()).chain(reaching.iter().map(|r| r.name.clone())).collect(),
                        pods: vec![failure.pod.key()],
                        evidence: vec![Evidence {
                            source: "secret".into(),
                            text: format!(
                                "registry {} is matched by no credential of: {}",
                                image.registry,
                                if reaching.is_empty() {
                                    "(no pull secrets)".to_string()
                                } else {
                                    reaching.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ")
                                }
                            ),
                        }],
                        fix: new_secret_fix(failure, &image.registry, image.ecr.as_ref().map(|e| e.region.as_str())),
                    });
                }
            } else if !matching.iter().any(|(_, c)| c.ecr_expires_at.is_some()) && is_network_class(class) {
                let names: Vec<&str> = matching.iter().map(|(r, _)| r.name.as_str()).collect();
                out.rule_out(
                    Layer::Access,
                    format!("pull credentials for {}", image.registry),
                    format!("{} hold{} credentials for it", names.join(", "), if names.len() == 1 { "s" } else { "" }),
                );
            }
            if is_network_class(class) {
                let classification = &failure.classification;
                let what = match (classification.dialled, classification.host.as_deref()) {
                    (Some(address), _) => format!("{} to {address}", class.as_str()),
                    (None, Some(host)) => format!("{} reaching {host}", class.as_str()),
                    (None, None) => class.as_str().to_string(),
                };
                let reason = format!(
                    "the error is a {what}: the request never reached the registry, so credentials, IAM and repository policies were never checked"
                );
                if !out.ruled_out.iter().any(|r| r.check == "registry authentication as the current blocker") {
                    out.rule_out(Layer::Access, "registry authentication as the current blocker", reason);
                }
            }
        }
        out.merge_alike_causes(first_cause);
    }
}
