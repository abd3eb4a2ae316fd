//! Parses the real CLI/API output shapes under tests/data/ (made with the aws CLI against moto,
//! see tests/data/README.md) and evaluates pulls with them.

use pulldoctor_iam::{Decision, NamedPolicy, PULL_ACTIONS, PolicyDocument, evaluate_pull, managed_policy};
use serde_json::Value;
use std::path::PathBuf;

const ACCOUNT: &str = "123456789012";
const TEAM_REPO: &str = "arn:aws:ecr:us-east-1:123456789012:repository/team/app";
const RH_REPO: &str = "arn:aws:ecr:us-east-1:123456789012:repository/openshift-release-dev/ocp-v4.0-art-dev";

fn data(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

fn kind(d: &Decision) -> &'static str {
    match d {
        Decision::Allowed { .. } => "allowed",
        Decision::ExplicitDeny { .. } => "deny",
        Decision::ImplicitDeny => "implicit",
        Decision::Conditional { .. } => "conditional",
    }
}

/// The identity policies of one role from get-account-authorization-details: inline policies,
/// plus attached managed policies resolved from `Policies[]` (default version only), falling back
/// to the built-in table. Returns (name, document) pairs and the ARNs that stayed unknown.
fn role_policies(gaad: &Value, role_name: &str) -> (Vec<(String, PolicyDocument)>, Vec<String>) {
    let role = gaad["RoleDetailList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["RoleName"] == role_name)
        .unwrap_or_else(|| panic!("role {role_name} in fixture"));
    let mut out = Vec::new();
    let mut unknown = Vec::new();
    for inline in role["RolePolicyList"].as_array().unwrap() {
        let name = inline["PolicyName"].as_str().unwrap().to_string();
        out.push((name, PolicyDocument::parse(&inline["PolicyDocument"]).unwrap()));
    }
    for attached in role["AttachedManagedPolicies"].as_array().unwrap() {
        let arn = attached["PolicyArn"].as_str().unwrap();
        let from_bundle = gaad["Policies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["Arn"] == arn)
            .and_then(|p| p["PolicyVersionList"].as_array().unwrap().iter().find(|v| v["IsDefaultVersion"] == true))
            .map(|v| PolicyDocument::parse(&v["Document"]).unwrap());
        match from_bundle.or_else(|| managed_policy(arn)) {
            Some(doc) => out.push((arn.to_string(), doc)),
            None => unknown.push(arn.to_string()),
        }
    }
    (out, unknown)
}

fn repo_policy(file: &str) -> PolicyDocument {
    let v = data(file);
    assert!(v["policyText"].is_string(), "policyText is a JSON string");
    PolicyDocument::parse(&v["policyText"]).unwrap()
}

fn session(account: &str, role: &str) -> String {
    format!("arn:aws:sts::{account}:assumed-role/{role}/i-0123456789abcdef0")
}

/// Data-driven helper: (role in the GAAD fixture, repository policy file or "", repository ARN,
/// principal ARN override or "", expected kinds in PULL_ACTIONS order).
fn check(cases: &[(&str, &str, &str, &str, [&str; 4])]) {
    let gaad = data("get-account-authorization-details.json");
    for (role, repo_file, repo_arn, principal, expected) in cases {
        let (docs, unknown) = role_policies(&gaad, role);
        assert!(unknown.is_empty(), "{role}: unknown {unknown:?}");
        let named: Vec<NamedPolicy> = docs.iter().map(|(name, document)| NamedPolicy { name, document }).collect();
        let repo_doc = (!repo_file.is_empty()).then(|| repo_policy(repo_file));
        let repo = repo_doc.as_ref().map(|document| NamedPolicy { name: "repository policy", document });
        let principal = if principal.is_empty() { session(ACCOUNT, role) } else { principal.to_string() };
        let verdicts = evaluate_pull(&named, repo.as_ref(), &principal, repo_arn);
        let kinds: Vec<&str> = verdicts.iter().map(|v| kind(&v.decision)).collect();
        assert_eq!(kinds, expected.to_vec(), "{role} -> {repo_arn} ({repo_file}): {verdicts:#?}");
    }
}

#[test]
fn roles_from_account_authorization_details() {
    let team = "get-repository-policy-team-app.json";
    let rh = "get-repository-policy-ocp-art-dev.json";
    check(&[
        // ROSA classic worker role with only the EC2 inline policy: nothing grants ECR.
        ("ManagedOpenShift-Worker-Role", "", TEAM_REPO, "", ["implicit"; 4]),
        ("ManagedOpenShift-Worker-Role", team, TEAM_REPO, "", ["implicit"; 4]),
        // ROSA HCP worker: token yes, repository reads only on red-hat-managed tagged repos.
        ("hcp-worker-role", "", TEAM_REPO, "", ["allowed", "conditional", "conditional", "conditional"]),
        // EKS node with AmazonEC2ContainerRegistryPullOnly: no BatchCheckLayerAvailability.
        ("eks-node-group-role", "", TEAM_REPO, "", ["allowed", "allowed", "allowed", "implicit"]),
        // Customer policy v2 (default): team/* pulls, BatchGetImage denied outside a VPC endpoint
        // (conditional), pulls outside team/* explicitly denied.
        ("scoped-node-role", "", TEAM_REPO, "", ["allowed", "conditional", "allowed", "allowed"]),
        ("scoped-node-role", rh, RH_REPO, "", ["allowed", "deny", "deny", "conditional"]),
        // Cross-account: a spoke-account node whose identity policy (PullOnly) allows, pulling
        // from team/app whose policy trusts account 210987654321.
        (
            "eks-node-group-role",
            team,
            TEAM_REPO,
            "arn:aws:sts::210987654321:assumed-role/eks-node-group-role/i-0aaaaaaaaaaaaaaaa",
            ["allowed", "allowed", "allowed", "implicit"],
        ),
        // ... the same node without the repository policy: identity alone is not enough.
        (
            "eks-node-group-role",
            "",
            TEAM_REPO,
            "arn:aws:sts::210987654321:assumed-role/eks-node-group-role/i-0aaaaaaaaaaaaaaaa",
            ["allowed", "implicit", "implicit", "implicit"],
        ),
        // ... a role named directly (345678901234 role/eks/eks-node-group-role).
        (
            "eks-node-group-role",
            team,
            TEAM_REPO,
            "arn:aws:sts::345678901234:assumed-role/eks-node-group-role/i-0bbbbbbbbbbbbbbbb",
            ["allowed", "allowed", "allowed", "implicit"],
        ),
        // ... an account the policy does not trust.
        (
            "eks-node-group-role",
            team,
            TEAM_REPO,
            "arn:aws:sts::999999999999:assumed-role/eks-node-group-role/i-0cccccccccccccccc",
            ["allowed", "implicit", "implicit", "implicit"],
        ),
        // Repository policy allowing everyone in an organization: conditional across accounts.
        (
            "eks-node-group-role",
            rh,
            RH_REPO,
            "arn:aws:sts::210987654321:assumed-role/eks-node-group-role/i-0aaaaaaaaaaaaaaaa",
            ["allowed", "conditional", "conditional", "implicit"],
        ),
    ]);
}

#[test]
fn builtin_managed_policies_match_the_bundle_copies() {
    let gaad = data("get-account-authorization-details.json");
    let mut compared = 0;
    for p in gaad["Policies"].as_array().unwrap() {
        let arn = p["Arn"].as_str().unwrap();
        if !arn.starts_with("arn:aws:iam::aws:policy/") {
            continue;
        }
        let default = p["PolicyVersionList"].as_array().unwrap().iter().find(|v| v["IsDefaultVersion"] == true).unwrap();
        let from_bundle = PolicyDocument::parse(&default["Document"]).unwrap();
        let builtin = managed_policy(arn).unwrap_or_else(|| panic!("{arn} built in"));
        assert_eq!(builtin, from_bundle, "{arn}");
        compared += 1;
    }
    assert_eq!(compared, 4);
}

#[test]
fn non_default_policy_versions_are_not_the_effective_ones() {
    let gaad = data("get-account-authorization-details.json");
    let p =
        gaad["Policies"].as_array().unwrap().iter().find(|p| p["Arn"] == "arn:aws:iam::123456789012:policy/ecr-pull-team-only").unwrap();
    assert_eq!(p["DefaultVersionId"], "v2");
    let versions = p["PolicyVersionList"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    let v1 = versions.iter().find(|v| v["VersionId"] == "v1").unwrap();
    assert_eq!(v1["IsDefaultVersion"], false);
    let old = PolicyDocument::parse(&v1["Document"]).unwrap();
    assert!(old.statements.iter().any(|s| s.sid.as_deref() == Some("DenyOutsideTeam")));
    let standalone = data("get-policy-version-scoped-v2.json");
    let v2 = PolicyDocument::parse(&standalone["PolicyVersion"]["Document"]).unwrap();
    let default = versions.iter().find(|v| v["VersionId"] == "v2").unwrap();
    assert_eq!(v2, PolicyDocument::parse(&default["Document"]).unwrap());
}

#[test]
fn url_encoded_document_from_the_iam_query_api() {
    let xml =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/iam-query-api-GetRolePolicy-response.xml"))
            .unwrap();
    let start = xml.find("<PolicyDocument>").unwrap() + "<PolicyDocument>".len();
    let end = xml.find("</PolicyDocument>").unwrap();
    let encoded = &xml[start..end];
    assert!(encoded.starts_with("%7B%22Version%22"), "{encoded}");
    let from_api = PolicyDocument::parse_str(encoded).unwrap();
    let from_api_value = PolicyDocument::parse(&Value::String(encoded.to_string())).unwrap();
    let cli = data("get-role-policy-rosa-worker.json");
    let from_cli = PolicyDocument::parse(&cli["PolicyDocument"]).unwrap();
    assert_eq!(from_api, from_cli);
    assert_eq!(from_api_value, from_cli);
}

#[test]
fn every_document_in_the_data_parses() {
    let gaad = data("get-account-authorization-details.json");
    let mut n = 0;
    for role in gaad["RoleDetailList"].as_array().unwrap() {
        PolicyDocument::parse(&role["AssumeRolePolicyDocument"]).unwrap();
        n += 1;
        for inline in role["RolePolicyList"].as_array().unwrap() {
            PolicyDocument::parse(&inline["PolicyDocument"]).unwrap();
            n += 1;
        }
    }
    for p in gaad["Policies"].as_array().unwrap() {
        for v in p["PolicyVersionList"].as_array().unwrap() {
            PolicyDocument::parse(&v["Document"]).unwrap();
            n += 1;
        }
    }
    repo_policy("get-repository-policy-team-app.json");
    repo_policy("get-repository-policy-ocp-art-dev.json");
    assert!(n >= 10, "{n}");
    assert_eq!(PULL_ACTIONS.len(), 4);
}

#[test]
#[ignore = "prints sample verdicts for humans: cargo test -p pulldoctor-iam -- --ignored --nocapture"]
fn print_sample_verdicts() {
    let gaad = data("get-account-authorization-details.json");
    let (docs, _) = role_policies(&gaad, "hcp-worker-role");
    let named: Vec<NamedPolicy> = docs.iter().map(|(name, document)| NamedPolicy { name, document }).collect();
    for v in evaluate_pull(&named, None, &session(ACCOUNT, "hcp-worker-role"), TEAM_REPO) {
        println!("{}", serde_json::to_string_pretty(&v).unwrap());
    }
}
