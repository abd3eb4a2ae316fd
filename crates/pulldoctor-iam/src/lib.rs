//! Offline IAM policy evaluation for ECR image pulls.
//!
//! Answers: may this principal (a node's instance role, usually seen as an assumed-role session)
//! perform the ECR pull actions on this repository, given the identity-based policies of the role
//! and the repository's resource policy? Pure library: no I/O, no clock, no environment.
//!
//! # Semantics and their sources
//!
//! All from the AWS IAM User Guide and the Amazon ECR User Guide:
//! - *Policy evaluation logic*, *The difference between explicit and implicit denies*: an
//!   applicable `Deny` always wins; without an applicable `Allow` the request is implicitly
//!   denied.
//! - *Policy evaluation for requests within a single account*: "If either the identity-based
//!   policy or the resource-based policy within the same account allows the request and the other
//!   doesn't, the request is still allowed."
//! - *Cross-account policy evaluation logic*: the resource-based policy must specify the principal
//!   (or its account) and the principal's identity-based policy must allow the access: both.
//! - *AWS JSON policy elements: Principal*: an account id and `arn:aws:iam::ACCOUNT:root` "behave
//!   the same way. Both delegate permissions to the account"; they do not grant a role access by
//!   themselves.
//! - *IAM JSON policy elements: Action*: "The prefix and the action name are case insensitive";
//!   `*` and `?` wildcards. *NotAction* / *NotResource*: match everything except the listed items.
//! - *IAM JSON policy elements: Resource*: ARNs are case-sensitive, `*` / `?` wildcards.
//! - *IAM JSON policy elements: Effect*: "Valid values for Effect are Allow and Deny. The Effect
//!   value is case sensitive."
//! - Amazon ECR *Private repository policies*: "A user or role only needs to be allowed permission
//!   for an action through either a repository policy or an IAM policy but not both" (same
//!   account), and `ecr:GetAuthorizationToken` must be granted through an IAM policy.
//!
//! Conditions are never evaluated: a statement with a `Condition` (or a resource pattern with a
//! policy variable such as `${aws:PrincipalTag/team}`) that would decide the outcome makes the
//! decision [`Decision::Conditional`], naming the statements and condition keys.
//!
//! Not modelled: SCPs/RCPs, permissions boundaries, session policies, VPC endpoint policies, the
//! ECR registry policy (it only covers replication and pull-through cache).
//!
//! # Example
//!
//! ```
//! use pulldoctor_iam::{Decision, NamedPolicy, PolicyDocument, evaluate_pull, managed_policy};
//!
//! let ro = managed_policy("arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly").unwrap();
//! let identity = [NamedPolicy { name: "AmazonEC2ContainerRegistryReadOnly", document: &ro }];
//! let verdicts = evaluate_pull(
//!     &identity,
//!     None,
//!     "arn:aws:sts::123456789012:assumed-role/ManagedOpenShift-Worker-Role/i-0123456789abcdef0",
//!     "arn:aws:ecr:us-east-1:123456789012:repository/team/app",
//! );
//! assert!(verdicts.iter().all(|v| matches!(v.decision, Decision::Allowed { .. })));
//! ```

mod context;
mod eval;
mod managed;
mod policy;
pub mod principal;
mod pull;
pub mod wildcard;

pub use context::RequestContext;
pub use eval::{
    Decision, GET_AUTHORIZATION_TOKEN, NamedPolicy, PULL_ACTIONS, PullVerdict, ResourcePolicyDecision, evaluate_identity,
    evaluate_resource_policy, evaluate_resource_policy_detailed, repository_account,
};
pub use managed::{KNOWN_MANAGED_POLICIES, managed_policy};
pub use policy::{
    ActionSpec, Condition, Effect, PolicyDocument, PolicyError, PrincipalSet, PrincipalSpec, ResourceSpec, Statement, VERSION_2008,
    VERSION_2012, percent_decode,
};
pub use pull::{evaluate_pull, evaluate_pull_in};
