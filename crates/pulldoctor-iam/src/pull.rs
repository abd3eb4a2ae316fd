//! A pull's verdict: the node's identity policies and the repository's policy, combined the way
//! AWS combines them within one account and across accounts.

use crate::context::RequestContext;
use crate::eval::*;
use crate::principal::RequestPrincipal;

fn describe(decision: &Decision) -> String {
    match decision {
        Decision::Allowed { by } => format!("allow ({by})"),
        Decision::ExplicitDeny { by } => format!("explicit deny ({by})"),
        Decision::ImplicitDeny => "no statement allows it (implicit deny)".to_string(),
        Decision::Conditional { statements, condition_keys } => {
            format!("depends on conditions that cannot be checked offline ({}; keys: {})", statements.join(", "), condition_keys.join(", "))
        }
    }
}

/// For each of [`PULL_ACTIONS`]: the combined verdict for `principal_arn` pulling from
/// `repository_arn` (`arn:aws:ecr:REGION:ACCOUNT:repository/NAME`).
///
/// Combination (IAM User Guide, *Policy evaluation for requests within a single account*:
/// "If either the identity-based policy or the resource-based policy within the same account
/// allows the request and the other doesn't, the request is still allowed"; *Cross-account policy
/// evaluation logic*: the resource policy must trust the principal or its account AND the
/// principal's identity policy must allow; Amazon ECR User Guide, *Private repository policies*):
/// - an unconditional `Deny` on either side → explicit deny;
/// - same account: allowed when the identity policies allow OR the repository policy allows this
///   principal directly;
/// - different accounts (or an account that cannot be determined): allowed only when the identity
///   policies allow AND the repository policy allows the principal or its account;
/// - `ecr:GetAuthorizationToken`: identity policies only, resource `*`;
/// - anything resting on a `Condition` (or a conditional `Deny` that could override the allow)
///   → [`Decision::Conditional`].
///
/// Unknown managed policies are the caller's business: pass only documents you have, and report
/// a gap when an attached policy could not be resolved (see [`crate::managed_policy`]).
pub fn evaluate_pull(
    identity: &[NamedPolicy],
    repository_policy: Option<&NamedPolicy>,
    principal_arn: &str,
    repository_arn: &str,
) -> Vec<PullVerdict> {
    evaluate_pull_in(identity, repository_policy, principal_arn, repository_arn, &RequestContext::unknown())
}

/// [`evaluate_pull`] for a request whose path decides some condition keys ([`RequestContext`]):
/// conditions on those keys are evaluated, the rest stay [`Decision::Conditional`]. The
/// explanation says which values the request carried.
pub fn evaluate_pull_in(
    identity: &[NamedPolicy],
    repository_policy: Option<&NamedPolicy>,
    principal_arn: &str,
    repository_arn: &str,
    context: &RequestContext,
) -> Vec<PullVerdict> {
    let who = RequestPrincipal::parse(principal_arn);
    let repo_account = repository_account(repository_arn);
    let same_account = matches!(repo_account, Some(a) if !who.account.is_empty() && a == who.account);
    let principal_desc = if who.account.is_empty() {
        format!("{principal_arn} (account unknown)")
    } else {
        format!("{principal_arn} (account {})", who.account)
    };
    let scope = match (repo_account, same_account) {
        (Some(a), true) => format!("same-account request in {a}"),
        (Some(a), false) if !who.account.is_empty() => format!("cross-account request from {} to a repository of {a}", who.account),
        (Some(a), false) => format!("request to a repository of {a} from a principal whose account is unknown, treated as cross-account"),
        (None, _) => {
            format!("repository ARN {repository_arn:?} has no account, treated as cross-account")
        }
    };

    // Say what the request carried only where a policy asks about it.
    let decides = identity
        .iter()
        .chain(repository_policy)
        .any(|policy| policy.document.statements.iter().flat_map(|stmt| &stmt.conditions).any(|condition| context.decides(&condition.key)));
    PULL_ACTIONS
        .iter()
        .map(|&action| {
            if action == GET_AUTHORIZATION_TOKEN {
                let tally = tally_identity(identity, action, "*", context);
                let decision = tally.decision();
                let explanation = format!(
                    "{action} for {principal_desc}: not a repository action (its resource is \"*\"), so only identity policies count and a repository policy cannot grant it. Result: {}.",
                    describe(&decision)
                );
                return PullVerdict {
                    action: action.to_string(),
                    identity: decision.clone(),
                    decision,
                    repository: None,
                    explanation,
                };
            }

            let id = tally_identity(identity, action, repository_arn, context);
            let res = repository_policy.map(|p| tally_resource(p, &who, action, repository_arn, context));
            let res_side: Option<&Tally> = res.as_ref().map(|(direct, with_account)| {
                if same_account { direct } else { with_account }
            });
            let empty = Tally::default();
            let res_t = res_side.unwrap_or(&empty);

            let decision = combine(&id, res_t, same_account);
            let identity_decision = id.decision();
            let repository_decision = res_side.map(Tally::decision);

            let rule = if same_account {
                "Within one account either side may allow (a repository statement naming only the account delegates to the identity policies)"
            } else {
                "Across accounts both the identity policies and the repository policy (naming the principal or its account) must allow"
            };
            let repo_text = match &repository_decision {
                Some(d) => describe(d),
                None => "none given".to_string(),
            };
            let request = if decides { format!(" The request, by its network path: {}.", context.describe()) } else { String::new() };
            let explanation = format!(
                "{action} on {repository_arn} for {principal_desc}: {scope}.{request} Identity policies: {}. Repository policy: {repo_text}. {rule}. Result: {}.",
                describe(&identity_decision),
                describe(&decision)
            );
            PullVerdict {
                action: action.to_string(),
                decision,
                identity: identity_decision,
                repository: repository_decision,
                explanation,
            }
        })
        .collect()
}

fn combine(id: &Tally, res: &Tally, same_account: bool) -> Decision {
    if let Some(d) = id.deny.first().or_else(|| res.deny.first()) {
        return Decision::ExplicitDeny { by: d.label.clone() };
    }
    let (id_t, res_t) = (id.allows(), res.allows());
    let allow = if same_account { id_t.or(res_t) } else { id_t.and(res_t) };
    let cond_denies: Vec<&Hit> = id.cond_deny.iter().chain(res.cond_deny.iter()).collect();
    match allow {
        Tri::No => Decision::ImplicitDeny,
        Tri::Yes if cond_denies.is_empty() => {
            let by = if same_account {
                id.allow.first().or_else(|| res.allow.first()).map(hit_by).unwrap_or_default()
            } else {
                format!("{} and {}", id.allow.first().map(hit_by).unwrap_or_default(), res.allow.first().map(hit_by).unwrap_or_default())
            };
            Decision::Allowed { by }
        }
        Tri::Yes => conditional(cond_denies.into_iter()),
        Tri::Maybe => {
            let mut relevant: Vec<&Hit> = Vec::new();
            if same_account {
                // Neither side allows unconditionally; any conditional allow could make it.
                relevant.extend(id.cond_allow.iter());
                relevant.extend(res.cond_allow.iter());
            } else {
                if id_t == Tri::Maybe {
                    relevant.extend(id.cond_allow.iter());
                }
                if res_t == Tri::Maybe {
                    relevant.extend(res.cond_allow.iter());
                }
            }
            relevant.extend(cond_denies);
            conditional(relevant.into_iter())
        }
    }
}
