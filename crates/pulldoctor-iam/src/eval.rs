//! Policy evaluation: statements → per-side tallies → decisions, and the same-account /
//! cross-account combination for ECR pulls.

use crate::context::{self, Outcome, RequestContext};
use crate::policy::{ActionSpec, Effect, PolicyDocument, PrincipalSpec, ResourceSpec, Statement};
use crate::principal::{PrincipalMatch, RequestPrincipal, is_account_id, match_principal, not_principal_exempts, split_arn};
use crate::wildcard::{Token, match_tokens, matches};

/// The ECR actions a container runtime needs to pull an image from a private repository, in the
/// order they are used: a registry token first, then the manifest, then the layers
/// (Amazon ECR User Guide, *Private repository policies* and *Identity-based policy examples*).
pub const PULL_ACTIONS: &[&str] =
    &["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"];

/// The one pull action that is not a repository action: "Amazon ECR requires that users have
/// permission to make calls to the ecr:GetAuthorizationToken API through an IAM policy"; its
/// resource is `*` and repository policies cannot grant it.
pub const GET_AUTHORIZATION_TOKEN: &str = "ecr:GetAuthorizationToken";

/// A policy document with the name it is reported under: an inline policy name, a managed policy
/// ARN, or `repository policy of team/app`.
#[derive(Debug, Clone, Copy)]
pub struct NamedPolicy<'a> {
    pub name: &'a str,
    pub document: &'a PolicyDocument,
}

/// Outcome of evaluating one action against one side (identity policies, repository policy) or
/// the combination.
///
/// Statement labels (`by`, `statements`) are `"{policy name}#{Sid}"`, or `"{policy name}#{index}"`
/// (0-based statement index) when the statement has no `Sid`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Decision {
    /// Allowed by this statement (the first unconditional `Allow` found).
    Allowed { by: String },
    /// An unconditional `Deny` applies: it wins over every `Allow`.
    ExplicitDeny { by: String },
    /// No statement allows the request.
    ImplicitDeny,
    /// The outcome depends on `Condition` blocks (or policy variables) that cannot be evaluated
    /// offline: an `Allow` that holds only under conditions, or a conditional `Deny` that would
    /// override an allow. `statements` are labels with the effect, e.g.
    /// `"ROSAWorkerInstancePolicy#ECRReadOnlyAccessRedHatManaged (Allow)"`; `condition_keys` are
    /// the keys involved, e.g. `aws:ResourceTag/red-hat-managed`.
    Conditional { statements: Vec<String>, condition_keys: Vec<String> },
}

/// The combined verdict for one pull action.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PullVerdict {
    /// e.g. `ecr:BatchGetImage`.
    pub action: String,
    /// The combined decision (same-account: either side may allow; cross-account: both must).
    pub decision: Decision,
    /// What the identity-based policies alone say.
    pub identity: Decision,
    /// What the repository policy contributes: `None` for `ecr:GetAuthorizationToken` and when no
    /// repository policy was given. In a cross-account request this counts statements that name
    /// the principal's account (account trust); within one account it counts only statements that
    /// name the principal itself (or `*`), since naming the account just delegates back to the
    /// identity policies.
    pub repository: Option<Decision>,
    /// One paragraph a person can read.
    pub explanation: String,
}

/// The repository policy seen both ways, see [`evaluate_resource_policy_detailed`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ResourcePolicyDecision {
    /// Counting only statements that name the principal itself (its role, user or session ARN,
    /// or `*`): these grant access on their own.
    pub direct: Decision,
    /// Also counting statements that name the principal's account (`123456789012` or
    /// `arn:aws:iam::123456789012:root`): the resource side of a cross-account request.
    pub including_account_trust: Decision,
}

// ---------------------------------------------------------------------------------------------
// statement matching

enum Applies {
    No,
    Yes,
    /// Applies only if the listed policy variables take matching values.
    Variables(Vec<String>),
}

fn action_matches(stmt: &Statement, action: &str) -> bool {
    match &stmt.action {
        ActionSpec::Action(list) => list.iter().any(|p| matches(p, action, true)),
        ActionSpec::NotAction(list) => !list.iter().any(|p| matches(p, action, true)),
    }
}

/// Compiles a resource pattern; with policy variables enabled, `${key}` becomes `*` (any value)
/// and its key is returned, `${*}`, `${?}`, `${$}` are the literal characters.
fn compile_resource(pattern: &str, variables: bool) -> (Vec<Token>, Vec<String>) {
    if !variables || !pattern.contains("${") {
        return (crate::wildcard::tokenize(pattern), Vec::new());
    }
    let mut tokens = Vec::new();
    let mut keys = Vec::new();
    let mut rest = pattern;
    while let Some(start) = rest.find("${") {
        tokens.extend(crate::wildcard::tokenize(&rest[..start]));
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                let inner = &after[..end];
                match inner {
                    "*" => tokens.push(Token::Lit('*')),
                    "?" => tokens.push(Token::Lit('?')),
                    "$" => tokens.push(Token::Lit('$')),
                    _ => {
                        // `${aws:username, 'default'}`: the key is before the comma.
                        let key = inner.split(',').next().unwrap_or(inner).trim();
                        keys.push(key.to_string());
                        tokens.push(Token::AnyMany);
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                tokens.extend(crate::wildcard::tokenize(&rest[start..]));
                rest = "";
            }
        }
    }
    tokens.extend(crate::wildcard::tokenize(rest));
    (tokens, keys)
}

fn resource_pattern_applies(pattern: &str, resource: &str, variables: bool) -> Applies {
    let (tokens, keys) = compile_resource(pattern, variables);
    let text: Vec<char> = resource.chars().collect();
    if !match_tokens(&tokens, &text, false) {
        Applies::No
    } else if keys.is_empty() {
        Applies::Yes
    } else {
        Applies::Variables(keys)
    }
}

fn resource_applies(stmt: &Statement, resource: &str, variables: bool, resource_policy: bool) -> Applies {
    let (list, negated) = match &stmt.resource {
        // A resource policy statement without Resource applies to the resource the policy is
        // attached to. An identity policy statement without Resource is invalid in IAM and
        // applies to nothing here.
        None => {
            return if resource_policy { Applies::Yes } else { Applies::No };
        }
        Some(ResourceSpec::Resource(list)) => (list, false),
        Some(ResourceSpec::NotResource(list)) => (list, true),
    };
    let mut var_keys = Vec::new();
    let mut any_yes = false;
    for pattern in list {
        match resource_pattern_applies(pattern, resource, variables) {
            Applies::Yes => any_yes = true,
            Applies::Variables(keys) => var_keys.extend(keys),
            Applies::No => {}
        }
    }
    match (negated, any_yes, var_keys.is_empty()) {
        (false, true, _) => Applies::Yes,
        (false, false, false) => Applies::Variables(var_keys),
        (false, false, true) => Applies::No,
        (true, true, _) => Applies::No,
        (true, false, false) => Applies::Variables(var_keys),
        (true, false, true) => Applies::Yes,
    }
}

/// How the statement's Principal / NotPrincipal relates to `who` (resource policies only).
fn principal_level(stmt: &Statement, who: &RequestPrincipal) -> PrincipalMatch {
    match &stmt.principal {
        // A resource policy statement must name a principal; without one it applies to nobody.
        None => PrincipalMatch::None,
        Some(PrincipalSpec::Principal(set)) => match_principal(set.everyone, &set.aws, who),
        Some(PrincipalSpec::NotPrincipal(set)) => {
            if not_principal_exempts(set.everyone, &set.aws, who) {
                PrincipalMatch::None
            } else {
                PrincipalMatch::Direct
            }
        }
    }
}

fn label(policy: &str, stmt: &Statement, index: usize) -> String {
    match stmt.sid.as_deref() {
        Some(sid) if !sid.is_empty() => format!("{policy}#{sid}"),
        _ => format!("{policy}#{index}"),
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub(crate) label: String,
    pub(crate) effect: Effect,
    /// Condition keys and policy variables; empty for an unconditional statement.
    pub(crate) keys: Vec<String>,
    /// Allowed only through an account principal (delegation to the account).
    pub(crate) account_level: bool,
}

impl Hit {
    pub(crate) fn conditional(&self) -> bool {
        !self.keys.is_empty()
    }
    pub(crate) fn with_effect(&self) -> String {
        format!("{} ({})", self.label, self.effect)
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Tally {
    pub(crate) allow: Vec<Hit>,
    pub(crate) cond_allow: Vec<Hit>,
    pub(crate) deny: Vec<Hit>,
    pub(crate) cond_deny: Vec<Hit>,
}

impl Tally {
    pub(crate) fn push(&mut self, hit: Hit) {
        match (hit.effect, hit.conditional()) {
            (Effect::Allow, false) => self.allow.push(hit),
            (Effect::Allow, true) => self.cond_allow.push(hit),
            (Effect::Deny, false) => self.deny.push(hit),
            (Effect::Deny, true) => self.cond_deny.push(hit),
        }
    }

    pub(crate) fn allows(&self) -> Tri {
        if !self.allow.is_empty() {
            Tri::Yes
        } else if !self.cond_allow.is_empty() {
            Tri::Maybe
        } else {
            Tri::No
        }
    }

    pub(crate) fn decision(&self) -> Decision {
        if let Some(d) = self.deny.first() {
            return Decision::ExplicitDeny { by: d.label.clone() };
        }
        if let Some(a) = self.allow.first() {
            if self.cond_deny.is_empty() {
                return Decision::Allowed { by: hit_by(a) };
            }
            return conditional(self.cond_deny.iter());
        }
        if !self.cond_allow.is_empty() {
            return conditional(self.cond_allow.iter().chain(self.cond_deny.iter()));
        }
        Decision::ImplicitDeny
    }
}

pub(crate) fn hit_by(hit: &Hit) -> String {
    if hit.account_level { format!("{} (names the principal's account)", hit.label) } else { hit.label.clone() }
}

pub(crate) fn conditional<'a>(hits: impl Iterator<Item = &'a Hit>) -> Decision {
    let mut statements = Vec::new();
    let mut keys = Vec::new();
    for h in hits {
        let s = h.with_effect();
        if !statements.contains(&s) {
            statements.push(s);
        }
        keys.extend(h.keys.iter().cloned());
    }
    keys.sort();
    keys.dedup();
    Decision::Conditional { statements, condition_keys: keys }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tri {
    No,
    Maybe,
    Yes,
}

impl Tri {
    pub(crate) fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
            (Tri::Maybe, _) | (_, Tri::Maybe) => Tri::Maybe,
            _ => Tri::No,
        }
    }
    pub(crate) fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Maybe, _) | (_, Tri::Maybe) => Tri::Maybe,
            _ => Tri::Yes,
        }
    }
}

fn statement_keys(stmt: &Statement, variable_keys: Vec<String>) -> Vec<String> {
    let mut keys = stmt.condition_keys();
    keys.extend(variable_keys);
    keys.sort();
    keys.dedup();
    keys
}

/// The keys a statement still depends on once the context has decided what it can; `None` when a
/// decided condition is false, so the statement does not apply to this request.
fn open_keys(stmt: &Statement, variable_keys: Vec<String>, context: &RequestContext) -> Option<Vec<String>> {
    if context.is_empty() {
        return Some(statement_keys(stmt, variable_keys));
    }
    let mut keys = variable_keys;
    for condition in &stmt.conditions {
        match context::evaluate(condition, context) {
            Outcome::True => {}
            Outcome::False => return None,
            Outcome::Unknown => keys.push(condition.key.clone()),
        }
    }
    keys.sort();
    keys.dedup();
    Some(keys)
}

pub(crate) fn tally_identity(policies: &[NamedPolicy], action: &str, resource: &str, context: &RequestContext) -> Tally {
    let mut tally = Tally::default();
    for policy in policies {
        let variables = policy.document.policy_variables_enabled();
        for (i, stmt) in policy.document.statements.iter().enumerate() {
            if !action_matches(stmt, action) {
                continue;
            }
            let var_keys = match resource_applies(stmt, resource, variables, false) {
                Applies::No => continue,
                Applies::Yes => Vec::new(),
                Applies::Variables(keys) => keys,
            };
            let Some(keys) = open_keys(stmt, var_keys, context) else { continue };
            tally.push(Hit { label: label(policy.name, stmt, i), effect: stmt.effect, keys, account_level: false });
        }
    }
    tally
}

/// (direct, including account trust)
pub(crate) fn tally_resource(
    policy: &NamedPolicy,
    who: &RequestPrincipal,
    action: &str,
    resource: &str,
    context: &RequestContext,
) -> (Tally, Tally) {
    let mut direct = Tally::default();
    let mut with_account = Tally::default();
    let variables = policy.document.policy_variables_enabled();
    for (i, stmt) in policy.document.statements.iter().enumerate() {
        if !action_matches(stmt, action) {
            continue;
        }
        let level = principal_level(stmt, who);
        if level == PrincipalMatch::None {
            continue;
        }
        let var_keys = match resource_applies(stmt, resource, variables, true) {
            Applies::No => continue,
            Applies::Yes => Vec::new(),
            Applies::Variables(keys) => keys,
        };
        let Some(keys) = open_keys(stmt, var_keys, context) else { continue };
        let hit = Hit { label: label(policy.name, stmt, i), effect: stmt.effect, keys, account_level: level == PrincipalMatch::Account };
        // A Deny naming the account covers every principal in it; an Allow naming only the
        // account delegates to that account's identity policies.
        if stmt.effect == Effect::Deny || level == PrincipalMatch::Direct {
            direct.push(hit.clone());
        }
        with_account.push(hit);
    }
    (direct, with_account)
}

/// The account in the principal ARN wins; `principal_account` is the fallback for ARNs without
/// one (unparseable input).
pub(crate) fn request_principal(principal_arn: &str, principal_account: &str) -> RequestPrincipal {
    let mut who = RequestPrincipal::parse(principal_arn);
    if who.account.is_empty() {
        who.account = principal_account.to_string();
    }
    who
}

// ---------------------------------------------------------------------------------------------
// public evaluation API

/// Evaluates identity-based policies (inline and attached managed policies of a role or user)
/// for one action on one resource.
///
/// Semantics (IAM User Guide, *Policy evaluation logic*; *The difference between explicit and
/// implicit denies*; *IAM JSON policy elements: Action / NotAction / Resource / NotResource*):
/// - a statement applies when its `Action` matches (or `NotAction` does not match) the action,
///   case-insensitively with `*`/`?` wildcards, and its `Resource` matches (or `NotResource`
///   does not match) the resource ARN, case-sensitively with wildcards;
/// - an applicable unconditional `Deny` → [`Decision::ExplicitDeny`], whatever allows;
/// - otherwise an unconditional `Allow` → [`Decision::Allowed`], unless a conditional `Deny`
///   also applies → [`Decision::Conditional`];
/// - otherwise an `Allow` with a `Condition` → [`Decision::Conditional`] (never guessed);
/// - otherwise [`Decision::ImplicitDeny`].
///
/// `Principal` elements are ignored (identity policies cannot have them). For
/// `ecr:GetAuthorizationToken` pass `"*"` as the resource: a statement scoped to repository ARNs
/// does not grant it. Permissions boundaries, session policies and SCPs are not modelled.
pub fn evaluate_identity(policies: &[NamedPolicy], action: &str, resource: &str) -> Decision {
    tally_identity(policies, action, resource, &RequestContext::unknown()).decision()
}

/// Evaluates a resource-based policy (an ECR repository policy) for `principal_arn` (its account
/// is taken from the ARN; `principal_account` is used when the ARN has none). [`Decision::Allowed`] only when an `Allow` statement names this principal
/// itself (its role ARN, user ARN, assumed-role session ARN, or `*`); a statement naming only the
/// account delegates to the account's identity policies and does not count here, see
/// [`evaluate_resource_policy_detailed`]. A `Deny` naming the account does apply.
///
/// Assumed-role sessions (`arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`) are matched by
/// statements naming the role `arn:aws:iam::ACCT:role/[PATH/]ROLE` (compared by role name, since
/// the session ARN has no path). A statement without `Resource` applies to the repository.
pub fn evaluate_resource_policy(
    policy: &NamedPolicy,
    principal_arn: &str,
    principal_account: &str,
    action: &str,
    resource: &str,
) -> Decision {
    evaluate_resource_policy_detailed(policy, principal_arn, principal_account, action, resource).direct
}

/// Like [`evaluate_resource_policy`], also reporting the decision when statements naming the
/// principal's account count (what a cross-account request needs from the resource side).
pub fn evaluate_resource_policy_detailed(
    policy: &NamedPolicy,
    principal_arn: &str,
    principal_account: &str,
    action: &str,
    resource: &str,
) -> ResourcePolicyDecision {
    let who = request_principal(principal_arn, principal_account);
    let (direct, with_account) = tally_resource(policy, &who, action, resource, &RequestContext::unknown());
    ResourcePolicyDecision { direct: direct.decision(), including_account_trust: with_account.decision() }
}

/// The account id of an ECR repository ARN (`arn:aws:ecr:REGION:ACCOUNT:repository/NAME`).
pub fn repository_account(repository_arn: &str) -> Option<&str> {
    let (_, service, _, account, resource) = split_arn(repository_arn)?;
    (service == "ecr" && is_account_id(account) && resource.starts_with("repository/")).then_some(account)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate_pull;
    use serde_json::json;

    const ACCT: &str = "111122223333";
    const OTHER: &str = "444455556666";
    const REPO: &str = "arn:aws:ecr:us-east-1:111122223333:repository/team/app";
    const ROLE: &str = "arn:aws:iam::111122223333:role/node-role";
    const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/node-role/i-0123456789abcdef0";
    const OTHER_SESSION: &str = "arn:aws:sts::444455556666:assumed-role/spoke-node-role/i-0fedcba9876543210";

    fn doc(v: serde_json::Value) -> PolicyDocument {
        PolicyDocument::parse(&v).expect("test policy parses")
    }

    fn kind(d: &Decision) -> &'static str {
        match d {
            Decision::Allowed { .. } => "allowed",
            Decision::ExplicitDeny { .. } => "deny",
            Decision::ImplicitDeny => "implicit",
            Decision::Conditional { .. } => "conditional",
        }
    }

    /// Data-driven helper for identity policies: (statements JSON, action, resource, expected).
    fn check_identity(cases: &[(serde_json::Value, &str, &str, &str)]) {
        for (statements, action, resource, expected) in cases {
            let d = doc(json!({"Version": "2012-10-17", "Statement": statements}));
            let got = evaluate_identity(&[NamedPolicy { name: "p", document: &d }], action, resource);
            assert_eq!(kind(&got), *expected, "{statements} / {action} / {resource}: {got:?}");
        }
    }

    #[test]
    fn identity_semantics() {
        check_identity(&[
            // wildcards, case-insensitive actions
            (json!({"Effect":"Allow","Action":"ecr:*","Resource":"*"}), "ecr:BatchGetImage", REPO, "allowed"),
            (json!({"Effect":"Allow","Action":"ECR:batchget*","Resource":"*"}), "ecr:BatchGetImage", REPO, "allowed"),
            (json!({"Effect":"Allow","Action":"ecr:Get*","Resource":"*"}), "ecr:BatchGetImage", REPO, "implicit"),
            (json!({"Effect":"Allow","Action":"*","Resource":"*"}), "ecr:GetAuthorizationToken", "*", "allowed"),
            // resources: case-sensitive, wildcard, GetAuthorizationToken needs "*"
            (
                json!({"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:111122223333:repository/team/*"}),
                "ecr:BatchGetImage",
                REPO,
                "allowed",
            ),
            (
                json!({"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:111122223333:repository/Team/*"}),
                "ecr:BatchGetImage",
                REPO,
                "implicit",
            ),
            (
                json!({"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:111122223333:repository/*"}),
                "ecr:GetAuthorizationToken",
                "*",
                "implicit",
            ),
            // NotAction / NotResource
            (json!({"Effect":"Allow","NotAction":"ecr:PutImage","Resource":"*"}), "ecr:BatchGetImage", REPO, "allowed"),
            (json!({"Effect":"Allow","NotAction":"ecr:Batch*","Resource":"*"}), "ecr:BatchGetImage", REPO, "implicit"),
            (
                json!({"Effect":"Allow","Action":"ecr:*","NotResource":"arn:aws:ecr:*:*:repository/secret/*"}),
                "ecr:BatchGetImage",
                REPO,
                "allowed",
            ),
            (
                json!({"Effect":"Allow","Action":"ecr:*","NotResource":"arn:aws:ecr:*:*:repository/team/*"}),
                "ecr:BatchGetImage",
                REPO,
                "implicit",
            ),
            // explicit deny wins
            (
                json!([{"Effect":"Allow","Action":"ecr:*","Resource":"*"},{"Effect":"Deny","Action":"ecr:BatchGetImage","Resource":REPO}]),
                "ecr:BatchGetImage",
                REPO,
                "deny",
            ),
            (
                json!([{"Effect":"Allow","Action":"ecr:*","Resource":"*"},{"Effect":"Deny","NotAction":"ecr:BatchGetImage","Resource":"*"}]),
                "ecr:BatchGetImage",
                REPO,
                "allowed",
            ),
            (
                json!([{"Effect":"Allow","Action":"ecr:*","Resource":"*"},{"Effect":"Deny","Action":"ecr:*","NotResource":REPO}]),
                "ecr:BatchGetImage",
                REPO,
                "allowed",
            ),
            (
                json!([{"Effect":"Allow","Action":"ecr:*","Resource":"*"},{"Effect":"Deny","Action":"ecr:*","NotResource":REPO}]),
                "ecr:GetAuthorizationToken",
                "*",
                "deny",
            ),
            // conditions
            (
                json!({"Effect":"Allow","Action":"ecr:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"a"}}}),
                "ecr:BatchGetImage",
                REPO,
                "conditional",
            ),
            (
                json!([{"Effect":"Allow","Action":"ecr:*","Resource":"*"},{"Effect":"Deny","Action":"ecr:*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}]),
                "ecr:BatchGetImage",
                REPO,
                "conditional",
            ),
            (
                json!({"Effect":"Deny","Action":"ecr:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}),
                "ecr:BatchGetImage",
                REPO,
                "implicit",
            ),
            // policy variables (2012-10-17) are treated like conditions
            (
                json!({"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${aws:PrincipalTag/team}/*"}),
                "ecr:BatchGetImage",
                REPO,
                "conditional",
            ),
            (
                json!({"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${aws:PrincipalTag/team}/x"}),
                "ecr:BatchGetImage",
                REPO,
                "implicit",
            ),
            // identity statements without Resource are invalid and apply to nothing
            (json!({"Effect":"Allow","Action":"ecr:*"}), "ecr:BatchGetImage", REPO, "implicit"),
            (json!([]), "ecr:BatchGetImage", REPO, "implicit"),
        ]);
    }

    #[test]
    fn decision_labels_and_keys() {
        let d = doc(json!({"Version":"2012-10-17","Statement":[
            {"Sid":"Pull","Effect":"Allow","Action":"ecr:*","Resource":"*"},
            {"Effect":"Deny","Action":"ecr:*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"},"Bool":{"aws:SecureTransport":"false"}}}
        ]}));
        let p = [NamedPolicy { name: "inline", document: &d }];
        assert_eq!(
            evaluate_identity(&p, "ecr:BatchGetImage", REPO),
            Decision::Conditional {
                statements: vec!["inline#1 (Deny)".into()],
                condition_keys: vec!["aws:SecureTransport".into(), "aws:SourceVpce".into()],
            }
        );
        assert_eq!(
            evaluate_identity(&p, "ecr:PutImage", "arn:aws:s3:::b"),
            Decision::Conditional {
                statements: vec!["inline#1 (Deny)".into()],
                condition_keys: vec!["aws:SecureTransport".into(), "aws:SourceVpce".into()],
            }
        );
        let only_allow = doc(json!({"Statement":{"Sid":"Pull","Effect":"Allow","Action":"ecr:*","Resource":"*"}}));
        assert_eq!(
            evaluate_identity(&[NamedPolicy { name: "inline", document: &only_allow }], "ecr:BatchGetImage", REPO),
            Decision::Allowed { by: "inline#Pull".into() }
        );
    }

    /// Data-driven helper for repository policies:
    /// (statements JSON, principal ARN, expected direct, expected including account trust).
    fn check_resource(cases: &[(serde_json::Value, &str, &str, &str)]) {
        for (statements, principal, direct, with_account) in cases {
            let d = doc(json!({"Version": "2008-10-17", "Statement": statements}));
            let p = NamedPolicy { name: "repo", document: &d };
            let account = RequestPrincipal::parse(principal).account;
            let got = evaluate_resource_policy_detailed(&p, principal, &account, "ecr:BatchGetImage", REPO);
            assert_eq!(
                (kind(&got.direct), kind(&got.including_account_trust)),
                (*direct, *with_account),
                "{statements} for {principal}: {got:?}"
            );
            assert_eq!(evaluate_resource_policy(&p, principal, &account, "ecr:BatchGetImage", REPO), got.direct);
        }
    }

    #[test]
    fn resource_policy_principals() {
        let pull = json!(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]);
        check_resource(&[
            (json!({"Effect":"Allow","Principal":"*","Action":pull}), SESSION, "allowed", "allowed"),
            (json!({"Effect":"Allow","Principal":{"AWS":"*"},"Action":pull}), OTHER_SESSION, "allowed", "allowed"),
            (json!({"Effect":"Allow","Principal":{"AWS":ROLE},"Action":pull}), SESSION, "allowed", "allowed"),
            (
                json!({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/some/path/node-role"},"Action":pull}),
                SESSION,
                "allowed",
                "allowed",
            ),
            (json!({"Effect":"Allow","Principal":{"AWS":[ACCT]},"Action":pull}), SESSION, "implicit", "allowed"),
            (
                json!({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":pull}),
                OTHER_SESSION,
                "implicit",
                "allowed",
            ),
            (json!({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":pull}), SESSION, "implicit", "implicit"),
            (json!({"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":pull}), SESSION, "implicit", "implicit"),
            (json!({"Effect":"Allow","Principal":{"AWS":ROLE},"Action":"ecr:PutImage"}), SESSION, "implicit", "implicit"),
            (
                json!({"Effect":"Allow","Principal":{"AWS":ROLE},"Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/other"}),
                SESSION,
                "implicit",
                "implicit",
            ),
            (json!({"Effect":"Allow","Principal":{"AWS":ROLE},"Action":"ecr:*","Resource":REPO}), SESSION, "allowed", "allowed"),
            // Deny naming the account covers every principal of the account
            (
                json!([{"Effect":"Allow","Principal":"*","Action":pull},{"Effect":"Deny","Principal":{"AWS":ACCT},"Action":"ecr:*"}]),
                SESSION,
                "deny",
                "deny",
            ),
            (
                json!([{"Effect":"Allow","Principal":"*","Action":pull},{"Effect":"Deny","Principal":{"AWS":OTHER},"Action":"ecr:*"}]),
                SESSION,
                "allowed",
                "allowed",
            ),
            // NotPrincipal with Deny: exempt only when account, role and session are listed
            (
                json!([{"Effect":"Allow","Principal":"*","Action":pull},{"Effect":"Deny","NotPrincipal":{"AWS":[ROLE]},"Action":"ecr:*"}]),
                SESSION,
                "deny",
                "deny",
            ),
            (
                json!([{"Effect":"Allow","Principal":"*","Action":pull},{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:root", ROLE, SESSION]},"Action":"ecr:*"}]),
                SESSION,
                "allowed",
                "allowed",
            ),
            // conditions in a repository policy
            (
                json!({"Effect":"Allow","Principal":"*","Action":pull,"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}),
                SESSION,
                "conditional",
                "conditional",
            ),
        ]);
    }

    fn one(verdicts: &[PullVerdict], action: &str) -> PullVerdict {
        verdicts.iter().find(|v| v.action == action).cloned().unwrap()
    }

    /// Data-driven helper for evaluate_pull: (identity statements, repository statements or null,
    /// principal, expected kinds in PULL_ACTIONS order).
    fn check_pull(cases: &[(serde_json::Value, serde_json::Value, &str, [&str; 4])]) {
        for (id_statements, repo_statements, principal, expected) in cases {
            let id_doc = doc(json!({"Version":"2012-10-17","Statement": id_statements}));
            let repo_doc = (!repo_statements.is_null()).then(|| doc(json!({"Version":"2012-10-17","Statement": repo_statements})));
            let id = [NamedPolicy { name: "node", document: &id_doc }];
            let repo = repo_doc.as_ref().map(|d| NamedPolicy { name: "repo", document: d });
            let verdicts = evaluate_pull(&id, repo.as_ref(), principal, REPO);
            let kinds: Vec<&str> = verdicts.iter().map(|v| kind(&v.decision)).collect();
            assert_eq!(kinds, expected.to_vec(), "identity {id_statements} repo {repo_statements} principal {principal}: {verdicts:#?}");
            assert_eq!(verdicts.iter().map(|v| v.action.as_str()).collect::<Vec<_>>(), PULL_ACTIONS);
        }
    }

    #[test]
    fn same_account_either_side_cross_account_both() {
        let read_all = json!({"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"],"Resource":"*"});
        let token_only = json!({"Effect":"Allow","Action":"ecr:GetAuthorizationToken","Resource":"*"});
        let nothing = json!([]);
        let repo_role = json!({"Effect":"Allow","Principal":{"AWS":ROLE},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"]});
        let repo_spoke_account = json!({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"]});
        let repo_own_account = json!({"Effect":"Allow","Principal":{"AWS":ACCT},"Action":"ecr:*"});
        let repo_deny = json!([{"Effect":"Allow","Principal":"*","Action":"ecr:*"},{"Effect":"Deny","Principal":"*","Action":"ecr:GetDownloadUrlForLayer"}]);
        let repo_cond =
            json!({"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}});
        check_pull(&[
            // same account: identity alone is enough
            (read_all.clone(), serde_json::Value::Null, SESSION, ["allowed"; 4]),
            // same account: repository policy naming the role is enough (token still needs identity)
            (token_only.clone(), repo_role.clone(), SESSION, ["allowed"; 4]),
            (nothing.clone(), repo_role.clone(), SESSION, ["implicit", "allowed", "allowed", "allowed"]),
            // same account: naming only the account delegates back to identity policies
            (token_only.clone(), repo_own_account.clone(), SESSION, ["allowed", "implicit", "implicit", "implicit"]),
            // explicit deny in the repository policy beats identity allow
            (read_all.clone(), repo_deny.clone(), SESSION, ["allowed", "allowed", "deny", "allowed"]),
            // cross account: both needed
            (read_all.clone(), serde_json::Value::Null, OTHER_SESSION, ["allowed", "implicit", "implicit", "implicit"]),
            (read_all.clone(), repo_spoke_account.clone(), OTHER_SESSION, ["allowed"; 4]),
            (token_only.clone(), repo_spoke_account.clone(), OTHER_SESSION, ["allowed", "implicit", "implicit", "implicit"]),
            (read_all.clone(), repo_role.clone(), OTHER_SESSION, ["allowed", "implicit", "implicit", "implicit"]),
            // conditions
            (read_all.clone(), repo_cond.clone(), OTHER_SESSION, ["allowed", "conditional", "conditional", "conditional"]),
            (read_all.clone(), repo_cond.clone(), SESSION, ["allowed"; 4]),
            (token_only.clone(), repo_cond.clone(), SESSION, ["allowed", "conditional", "conditional", "conditional"]),
        ]);
    }

    #[test]
    fn verdict_fields_and_explanations() {
        let id_doc = doc(json!({"Version":"2012-10-17","Statement":{"Sid":"All","Effect":"Allow","Action":"ecr:*","Resource":"*"}}));
        let repo_doc = doc(
            json!({"Version":"2008-10-17","Statement":{"Sid":"Spoke","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"ecr:BatchGetImage"}}),
        );
        let id = [NamedPolicy { name: "node-inline", document: &id_doc }];
        let repo = NamedPolicy { name: "repository policy of team/app", document: &repo_doc };
        let v = evaluate_pull(&id, Some(&repo), OTHER_SESSION, REPO);
        let token = one(&v, "ecr:GetAuthorizationToken");
        assert_eq!(token.repository, None);
        assert!(token.explanation.contains("not a repository action"), "{}", token.explanation);
        let get = one(&v, "ecr:BatchGetImage");
        assert_eq!(
            get.decision,
            Decision::Allowed { by: "node-inline#All and repository policy of team/app#Spoke (names the principal's account)".into() }
        );
        assert!(get.explanation.contains("cross-account request from 444455556666 to a repository of 111122223333"), "{}", get.explanation);
        let layer = one(&v, "ecr:GetDownloadUrlForLayer");
        assert_eq!(layer.identity, Decision::Allowed { by: "node-inline#All".into() });
        assert_eq!(layer.repository, Some(Decision::ImplicitDeny));
        assert_eq!(layer.decision, Decision::ImplicitDeny);
        // serialisable for --format json
        let text = serde_json::to_string(&layer).unwrap();
        assert!(text.contains("\"ImplicitDeny\""), "{text}");
    }

    #[test]
    fn unparseable_arns_are_treated_as_cross_account() {
        let id_doc = doc(json!({"Statement":{"Effect":"Allow","Action":"ecr:*","Resource":"*"}}));
        let id = [NamedPolicy { name: "x", document: &id_doc }];
        let v = evaluate_pull(&id, None, "not-an-arn", REPO);
        assert_eq!(kind(&one(&v, "ecr:BatchGetImage").decision), "implicit");
        let v = evaluate_pull(&id, None, SESSION, "team/app");
        assert_eq!(kind(&one(&v, "ecr:BatchGetImage").decision), "implicit");
        assert_eq!(repository_account(REPO), Some(ACCT));
        assert_eq!(repository_account("arn:aws:s3:::bucket"), None);
    }
}
