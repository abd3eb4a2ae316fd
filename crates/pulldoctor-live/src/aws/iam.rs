//! IAM, cut down to the node roles and the managed policies they attach.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::shapes::{list, object, text};

/// `get-account-authorization-details` cut down to the nodes' roles and the managed policies they
/// attach (all of it when no instance profile is known).
pub(super) fn iam_details(
    pages: &[aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput],
    profiles: &BTreeSet<String>,
) -> Value {
    let decode = |document: Option<&str>| -> Option<Value> {
        let text = document?;
        let decoded = pulldoctor_iam::percent_decode(text).ok()?;
        serde_json::from_str(&decoded).ok().or(Some(Value::String(decoded)))
    };
    let node_role = |role: &aws_sdk_iam::types::RoleDetail| {
        profiles.is_empty() || role.instance_profile_list().iter().any(|p| profiles.contains(p.arn()))
    };
    let roles: Vec<&aws_sdk_iam::types::RoleDetail> = pages.iter().flat_map(|p| p.role_detail_list()).filter(|r| node_role(r)).collect();
    let attached: BTreeSet<&str> = roles.iter().flat_map(|r| r.attached_managed_policies()).filter_map(|p| p.policy_arn()).collect();
    let roles: Vec<Value> = roles
        .iter()
        .map(|r| {
            object(vec![
                ("RoleName", text(r.role_name())),
                ("Arn", text(r.arn())),
                (
                    "InstanceProfileList",
                    list(r.instance_profile_list(), |p| {
                        object(vec![
                            ("InstanceProfileName", text(Some(p.instance_profile_name()))),
                            ("Arn", text(Some(p.arn()))),
                            (
                                "Roles",
                                list(p.roles(), |role| {
                                    object(vec![("Arn", text(Some(role.arn()))), ("RoleName", text(Some(role.role_name())))])
                                }),
                            ),
                        ])
                    }),
                ),
                (
                    "RolePolicyList",
                    list(r.role_policy_list(), |p| {
                        object(vec![("PolicyName", text(p.policy_name())), ("PolicyDocument", decode(p.policy_document()))])
                    }),
                ),
                (
                    "AttachedManagedPolicies",
                    list(r.attached_managed_policies(), |p| {
                        object(vec![("PolicyName", text(p.policy_name())), ("PolicyArn", text(p.policy_arn()))])
                    }),
                ),
            ])
        })
        .collect();
    let policies: Vec<Value> = pages
        .iter()
        .flat_map(|p| p.policies())
        .filter(|p| profiles.is_empty() || p.arn().is_some_and(|arn| attached.contains(arn)))
        .map(|p| {
            object(vec![
                ("PolicyName", text(p.policy_name())),
                ("Arn", text(p.arn())),
                ("DefaultVersionId", text(p.default_version_id())),
                (
                    "PolicyVersionList",
                    list(p.policy_version_list(), |v| {
                        object(vec![
                            ("Document", decode(v.document())),
                            ("VersionId", text(v.version_id())),
                            ("IsDefaultVersion", Some(Value::Bool(v.is_default_version()))),
                        ])
                    }),
                ),
            ])
        })
        .collect();
    json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles, "Policies": policies})
}
