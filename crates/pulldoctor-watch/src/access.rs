//! Drift in what a pull is allowed to use: a node role that lost (or gained) ECR access, and pull
//! secrets whose ECR token expired or is about to.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use pulldoctor_diagnosis::credentials::NEEDED;
use pulldoctor_diagnosis::text;
use pulldoctor_model::Code;

use crate::baseline::{Baseline, list};
use crate::finding::{Finding, Severity};

pub(crate) fn roles(old: &Baseline, new: &Baseline) -> Vec<Finding> {
    let before: BTreeMap<(&str, &str, &str), Option<bool>> =
        old.node_roles.iter().map(|r| ((r.role.as_str(), r.registry.as_str(), r.repository.as_str()), r.allowed)).collect();
    let mut out = Vec::new();
    for role in &new.node_roles {
        let Some(was) = before.get(&(role.role.as_str(), role.registry.as_str(), role.repository.as_str())).copied() else {
            continue;
        };
        let name = role.role.rsplit('/').next().unwrap_or(&role.role);
        let image = format!("{}/{}", role.registry, role.repository);
        let nodes = if role.nodes.is_empty() {
            "no node pulls with it (they use pull secrets), so only pods without a pull secret would notice".to_string()
        } else {
            format!(
                "pods on {} that pull it with the node role fail on their next pull; running pods are unaffected until then",
                list(&role.nodes)
            )
        };
        let (severity, code, summary) = match (was, role.allowed) {
            (Some(true), Some(false)) => (
                if role.nodes.is_empty() { Severity::Warns } else { Severity::Breaks },
                Some(Code::IamEcrDenied),
                format!("node role {name} may no longer pull {image} (a pull needs {}): {nodes}", list(NEEDED)),
            ),
            (Some(false), Some(true)) => (Severity::Restores, None, format!("node role {name} may pull {image} again")),
            (Some(_), None) => (
                Severity::Warns,
                None,
                format!("whether node role {name} may pull {image} can no longer be told: a policy it uses is not in the input"),
            ),
            _ => continue,
        };
        out.push(Finding {
            severity,
            code,
            summary,
            nodes: role.nodes.clone(),
            subnets: Vec::new(),
            registries: vec![role.registry.clone()],
            resources: vec![role.role.clone()],
            paths: 0,
            pods_at_risk: role.nodes.iter().map(|n| new.pods_on(n, &role.registry)).sum(),
            what_changed: Vec::new(),
            restore: Vec::new(),
            trail_keys: Vec::new(),
        });
    }
    out
}

pub(crate) fn secrets(old: &Baseline, new: &Baseline, now: Option<DateTime<Utc>>, window: Duration) -> Vec<Finding> {
    let Some(now) = now else { return Vec::new() };
    let before: BTreeMap<(&str, &str), Option<DateTime<Utc>>> =
        old.pull_secrets.iter().map(|s| ((s.secret.as_str(), s.registry.as_str()), s.expires_at)).collect();
    let mut out = Vec::new();
    for secret in &new.pull_secrets {
        let Some(expires) = secret.expires_at else { continue };
        let pods = text::count(secret.pods, "pod", "pods");
        let summary = if expires <= now {
            let was_valid = before
                .get(&(secret.secret.as_str(), secret.registry.as_str()))
                .copied()
                .flatten()
                .zip(old.taken_at)
                .is_some_and(|(then, taken)| then > taken);
            format!(
                "pull secret {}: its ECR token for {} expired at {} ({} ago{}); {pods} can use it: a pull that relies on it fails, unless another credential covers the registry (ECR tokens last 12 hours: refresh it from a job, or pull with the node role)",
                secret.secret,
                secret.registry,
                text::minute(expires),
                text::duration(now - expires),
                if was_valid { ", since the baseline" } else { "" }
            )
        } else if expires - now <= window {
            format!(
                "pull secret {}: its ECR token for {} expires at {} (in {}); {pods} can use it: refresh it before then",
                secret.secret,
                secret.registry,
                text::minute(expires),
                text::duration(expires - now)
            )
        } else {
            continue;
        };
        out.push(Finding {
            severity: Severity::Warns,
            code: (expires <= now).then_some(Code::PullSecretExpired),
            summary,
            nodes: Vec::new(),
            subnets: Vec::new(),
            registries: vec![secret.registry.clone()],
            resources: vec![secret.secret.clone()],
            paths: 0,
            pods_at_risk: secret.pods,
            what_changed: Vec::new(),
            restore: Vec::new(),
            trail_keys: Vec::new(),
        });
    }
    out
}
