//! The requesting principal and how `Principal` / `NotPrincipal` values match it.
//!
//! Sources (IAM User Guide, *AWS JSON policy elements: Principal* and *NotPrincipal*):
//! - An account id (`"123456789012"`) and the account ARN (`arn:aws:iam::123456789012:root`)
//!   "behave the same way. Both delegate permissions to the account": the resource policy trusts
//!   the account, and that account's identity-based policies must still grant the access. So an
//!   account principal never grants a role access on its own; it makes the resource side of a
//!   cross-account request succeed, and in a `Deny` it covers every principal of the account.
//! - Role ARNs, user ARNs and assumed-role session ARNs name one principal. Principal values take
//!   no wildcards except the bare `"*"` (everyone, including anonymous callers).
//! - An instance role's requests come from the session
//!   `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`; it is matched by a policy naming the role
//!   `arn:aws:iam::ACCOUNT:role/PATH/ROLE`. The session ARN carries no role path, so roles are
//!   compared by account and role name (role names are unique in an account whatever the path).
//! - `NotPrincipal` with `Deny`: AWS evaluates the account, then the role, then the session, so
//!   a principal is exempt only when all of its identities are listed (the documented example
//!   lists the account ARN, the role ARN and the assumed-role session ARN).

/// What a principal ARN names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    /// `arn:aws:iam::ACCOUNT:role/PATH/NAME` (path included in `path`, e.g. `/eks/`).
    Role { name: String, path: String },
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    AssumedRole { role: String, session: String },
    /// `arn:aws:iam::ACCOUNT:user/PATH/NAME`.
    User { name: String },
    /// `arn:aws:iam::ACCOUNT:root`.
    Root,
    /// Anything else (federated users, services): matched only by exact ARN or `*`.
    Other,
}

/// A parsed requesting principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPrincipal {
    /// The ARN as given.
    pub arn: String,
    /// 12-digit account id (empty when the ARN could not be parsed).
    pub account: String,
    pub kind: PrincipalKind,
}

/// Splits an ARN into (partition, service, region, account, resource).
pub fn split_arn(arn: &str) -> Option<(&str, &str, &str, &str, &str)> {
    let mut parts = arn.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let partition = parts.next()?;
    let service = parts.next()?;
    let region = parts.next()?;
    let account = parts.next()?;
    let resource = parts.next()?;
    Some((partition, service, region, account, resource))
}

/// `true` for a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

impl RequestPrincipal {
    /// Parses a role, assumed-role session, user or root ARN. Unparseable input gives
    /// [`PrincipalKind::Other`] with an empty account.
    pub fn parse(arn: &str) -> Self {
        let other = || RequestPrincipal { arn: arn.to_string(), account: String::new(), kind: PrincipalKind::Other };
        let Some((_, service, _, account, resource)) = split_arn(arn) else {
            return other();
        };
        let kind = match service {
            "iam" if resource == "root" => PrincipalKind::Root,
            "iam" => match resource.split_once('/') {
                Some(("role", rest)) => {
                    let (path, name) = match rest.rfind('/') {
                        Some(i) => (format!("/{}", &rest[..=i]), rest[i + 1..].to_string()),
                        None => ("/".to_string(), rest.to_string()),
                    };
                    PrincipalKind::Role { name, path }
                }
                Some(("user", rest)) => PrincipalKind::User { name: rest.rsplit('/').next().unwrap_or(rest).to_string() },
                _ => PrincipalKind::Other,
            },
            "sts" => match resource.split_once('/') {
                Some(("assumed-role", rest)) => match rest.split_once('/') {
                    Some((role, session)) => PrincipalKind::AssumedRole { role: role.to_string(), session: session.to_string() },
                    None => PrincipalKind::Other,
                },
                _ => PrincipalKind::Other,
            },
            _ => PrincipalKind::Other,
        };
        RequestPrincipal { arn: arn.to_string(), account: account.to_string(), kind }
    }

    /// The role name when the principal is a role or a session of a role.
    pub fn role_name(&self) -> Option<&str> {
        match &self.kind {
            PrincipalKind::Role { name, .. } => Some(name),
            PrincipalKind::AssumedRole { role, .. } => Some(role),
            _ => None,
        }
    }

    /// The role ARN this principal acts as (`arn:aws:iam::ACCT:role/NAME`, path unknown for a
    /// session and so omitted).
    pub fn role_arn(&self) -> Option<String> {
        match &self.kind {
            PrincipalKind::Role { .. } => Some(self.arn.clone()),
            PrincipalKind::AssumedRole { role, .. } => {
                let partition = split_arn(&self.arn).map(|p| p.0).unwrap_or("aws");
                Some(format!("arn:{partition}:iam::{}:role/{role}", self.account))
            }
            _ => None,
        }
    }
}

/// How one `AWS` principal value relates to the requesting principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalMatch {
    /// Not this principal.
    None,
    /// The principal's account (account id or `:root` ARN): delegation to that account.
    Account,
    /// The principal itself (its role, user, session ARN) or `*`.
    Direct,
}

/// Which identity of the requesting principal a value names (for `NotPrincipal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Names {
    Nothing,
    Everyone,
    Account,
    Role,
    Session,
    User,
    SameArn,
}

fn names(value: &str, who: &RequestPrincipal) -> Names {
    if value == "*" {
        return Names::Everyone;
    }
    if value == who.arn {
        return Names::SameArn;
    }
    if is_account_id(value) {
        return if value == who.account { Names::Account } else { Names::Nothing };
    }
    let Some((_, service, _, account, resource)) = split_arn(value) else {
        return Names::Nothing;
    };
    if account != who.account || who.account.is_empty() {
        return Names::Nothing;
    }
    match (service, resource.split_once('/')) {
        ("iam", None) if resource == "root" => Names::Account,
        ("iam", Some(("role", rest))) => {
            let name = rest.rsplit('/').next().unwrap_or(rest);
            if who.role_name() == Some(name) { Names::Role } else { Names::Nothing }
        }
        ("iam", Some(("user", rest))) => {
            let name = rest.rsplit('/').next().unwrap_or(rest);
            match &who.kind {
                PrincipalKind::User { name: n } if n == name => Names::User,
                _ => Names::Nothing,
            }
        }
        ("sts", Some(("assumed-role", rest))) => match (rest.split_once('/'), &who.kind) {
            (Some((role, session)), PrincipalKind::AssumedRole { role: r, session: s }) if role == r && session == s => Names::Session,
            // The request principal is given as a role ARN: its session name is unknown, and
            // any session entry of that role is taken to list it.
            (Some((role, _)), PrincipalKind::Role { name, .. }) if role == name => Names::Session,
            _ => Names::Nothing,
        },
        _ => Names::Nothing,
    }
}

/// How an `AWS` principal value matches the requesting principal (for `Principal`).
pub fn match_value(value: &str, who: &RequestPrincipal) -> PrincipalMatch {
    match names(value, who) {
        Names::Nothing => PrincipalMatch::None,
        Names::Account => PrincipalMatch::Account,
        // A session entry for a principal given as a role ARN is not proof that the node's
        // session is that one: only an exact session match counts as naming it.
        Names::Session => match &who.kind {
            PrincipalKind::AssumedRole { .. } => PrincipalMatch::Direct,
            _ => PrincipalMatch::None,
        },
        Names::Everyone | Names::Role | Names::User | Names::SameArn => PrincipalMatch::Direct,
    }
}

/// Best match of a `Principal` element's values (`everyone` is the bare `"*"`).
pub fn match_principal(everyone: bool, aws: &[String], who: &RequestPrincipal) -> PrincipalMatch {
    if everyone {
        return PrincipalMatch::Direct;
    }
    aws.iter().map(|v| match_value(v, who)).max().unwrap_or(PrincipalMatch::None)
}

/// `true` when a `NotPrincipal` element lists every identity AWS checks for this principal
/// (account, then role, then session), so the statement does not apply to it.
pub fn not_principal_exempts(everyone: bool, aws: &[String], who: &RequestPrincipal) -> bool {
    if everyone {
        return true;
    }
    let listed: Vec<Names> = aws.iter().map(|v| names(v, who)).collect();
    if listed.contains(&Names::Everyone) {
        return true;
    }
    let has = |n: Names| listed.contains(&n);
    match &who.kind {
        PrincipalKind::Root => has(Names::Account) || has(Names::SameArn),
        PrincipalKind::User { .. } => has(Names::Account) && (has(Names::User) || has(Names::SameArn)),
        PrincipalKind::Role { .. } => has(Names::Account) && (has(Names::Role) || has(Names::SameArn)) && has(Names::Session),
        PrincipalKind::AssumedRole { .. } => has(Names::Account) && has(Names::Role) && (has(Names::Session) || has(Names::SameArn)),
        PrincipalKind::Other => has(Names::SameArn),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "arn:aws:iam::111122223333:role/eks/node-role";
    const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/node-role/i-0123456789abcdef0";

    /// Data-driven helper: (policy value, request principal ARN, expected match).
    fn check(cases: &[(&str, &str, PrincipalMatch)]) {
        for &(value, who, expected) in cases {
            let who_p = RequestPrincipal::parse(who);
            assert_eq!(match_value(value, &who_p), expected, "value {value:?} vs principal {who:?}");
        }
    }

    #[test]
    fn principal_values() {
        use PrincipalMatch::*;
        check(&[
            ("*", ROLE, Direct),
            ("111122223333", ROLE, Account),
            ("arn:aws:iam::111122223333:root", ROLE, Account),
            ("arn:aws:iam::111122223333:root", SESSION, Account),
            ("444455556666", ROLE, None),
            ("arn:aws:iam::444455556666:root", SESSION, None),
            (ROLE, ROLE, Direct),
            ("arn:aws:iam::111122223333:role/node-role", ROLE, Direct),
            ("arn:aws:iam::111122223333:role/eks/node-role", SESSION, Direct),
            ("arn:aws:iam::111122223333:role/other-role", SESSION, None),
            ("arn:aws:iam::444455556666:role/eks/node-role", SESSION, None),
            (SESSION, SESSION, Direct),
            ("arn:aws:sts::111122223333:assumed-role/node-role/i-0fffffffffffffff0", SESSION, None),
            (SESSION, ROLE, None),
            ("arn:aws:iam::111122223333:user/node-role", ROLE, None),
            ("AROAEXAMPLEUNIQUEID1", ROLE, None),
            ("arn:aws:iam::111122223333:role/*", ROLE, None),
        ]);
    }

    #[test]
    fn parse_kinds() {
        let r = RequestPrincipal::parse(ROLE);
        assert_eq!(r.account, "111122223333");
        assert_eq!(r.kind, PrincipalKind::Role { name: "node-role".into(), path: "/eks/".into() });
        let s = RequestPrincipal::parse(SESSION);
        assert_eq!(s.role_arn().as_deref(), Some("arn:aws:iam::111122223333:role/node-role"));
        assert_eq!(RequestPrincipal::parse("garbage").kind, PrincipalKind::Other);
        assert_eq!(RequestPrincipal::parse("arn:aws:iam::111122223333:root").kind, PrincipalKind::Root);
    }

    #[test]
    fn not_principal_needs_every_identity() {
        let acct = "arn:aws:iam::111122223333:root".to_string();
        let role = "arn:aws:iam::111122223333:role/node-role".to_string();
        let sess = SESSION.to_string();
        let s = RequestPrincipal::parse(SESSION);
        assert!(not_principal_exempts(false, &[acct.clone(), role.clone(), sess.clone()], &s));
        assert!(!not_principal_exempts(false, &[role.clone(), sess.clone()], &s));
        assert!(!not_principal_exempts(false, &[acct.clone(), role.clone()], &s));
        let r = RequestPrincipal::parse(ROLE);
        assert!(not_principal_exempts(false, &[acct.clone(), role.clone(), sess.clone()], &r));
        assert!(!not_principal_exempts(false, &[acct, role], &r));
    }
}
