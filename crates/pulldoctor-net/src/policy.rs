//! VPC endpoint policies, evaluated with the IAM engine: an endpoint policy is a resource policy
//! that every request through the endpoint must satisfy (a missing policy means full access). The
//! endpoint-policy hop of gateway and interface endpoints.

use pulldoctor_iam::{Decision, Effect, NamedPolicy, PolicyDocument, PrincipalSpec, evaluate_resource_policy};
use pulldoctor_model::{Code, VpcEndpoint};

use crate::recorder::{Flow, Walk};
use crate::result::{HopKind, HopStatus};

pub enum Outcome {
    Allowed(String),
    Denied(String),
    Unknown(String),
}

pub fn evaluate(text: &str, action: &str, resource: &str, principal: Option<&str>) -> Outcome {
    let document = match PolicyDocument::parse_str(text) {
        Ok(document) => document,
        Err(error) => return Outcome::Unknown(format!("the policy does not parse: {error}")),
    };
    let policy = NamedPolicy { name: "endpoint policy", document: &document };
    // Without the pulling principal, only statements for every principal (`*`) can be judged.
    let principal_arn = principal.unwrap_or("arn:aws:iam::000000000000:role/pulldoctor-unknown-principal");
    let account = principal_arn.split(':').nth(4).unwrap_or_default();
    match evaluate_resource_policy(&policy, principal_arn, account, action, resource) {
        Decision::Allowed { by } => Outcome::Allowed(by),
        Decision::ExplicitDeny { by } => Outcome::Denied(format!("explicitly denied by {by}")),
        Decision::ImplicitDeny if principal.is_some() => Outcome::Denied("no statement allows it".into()),
        Decision::ImplicitDeny if allows_only_everyone(&document) => {
            Outcome::Denied("no statement allows it (every Allow statement is for all principals, so who pulls does not matter)".into())
        }
        Decision::ImplicitDeny => Outcome::Unknown("no statement allows every principal, and the pulling role is not known".into()),
        Decision::Conditional { statements, condition_keys } => {
            Outcome::Unknown(format!("{} depend on conditions ({})", statements.join(", "), condition_keys.join(", ")))
        }
    }
}

/// True when every `Allow` statement applies to all principals (`"Principal": "*"` or
/// `{"AWS": "*"}`): then the caller's identity cannot change an implicit deny.
fn allows_only_everyone(document: &PolicyDocument) -> bool {
    document.statements.iter().filter(|s| s.effect == Effect::Allow).all(|s| match &s.principal {
        Some(PrincipalSpec::Principal(set)) => set.everyone || set.aws.iter().any(|a| a == "*"),
        None => true,
        Some(PrincipalSpec::NotPrincipal(_)) => false,
    })
}

/// The endpoint-policy hop: a policy that does not allow `action` on `resource` blocks the path; one
/// that cannot be judged offline is recorded as unknown.
pub(crate) fn check(endpoint: &VpcEndpoint, action: &str, resource: &str, principal: Option<&str>, walk: &mut Walk) -> Flow {
    let Some(text) = endpoint.policy_document.as_deref() else {
        return Flow::Continue;
    };
    match evaluate(text, action, resource, principal) {
        Outcome::Allowed(by) => {
            walk.hop(
                HopKind::EndpointPolicy,
                Some(&endpoint.id),
                HopStatus::Pass,
                format!("the policy of {} allows {action}", endpoint.id),
                Some(by),
            );
            Flow::Continue
        }
        Outcome::Denied(why) => {
            walk.hop(
                HopKind::EndpointPolicy,
                Some(&endpoint.id),
                HopStatus::Fail,
                format!("the policy of {} does not allow {action} on {resource}", endpoint.id),
                Some(why.clone()),
            );
            walk.block(
                Code::EndpointPolicyDenied,
                format!("the endpoint policy of {} does not allow {action} on {resource} ({why})", endpoint.id),
                vec![endpoint.id.clone()],
            )
        }
        Outcome::Unknown(why) => {
            walk.hop(
                HopKind::EndpointPolicy,
                Some(&endpoint.id),
                HopStatus::Unknown,
                format!("the policy of {} cannot be evaluated offline: {why}", endpoint.id),
                None,
            );
            Flow::Continue
        }
    }
}
