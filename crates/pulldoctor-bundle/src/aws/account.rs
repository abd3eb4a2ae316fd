//! Account-level calls: ECR repositories, images and policies, IAM, CloudTrail, STS.

use chrono::{DateTime, Utc};
use pulldoctor_model as model;
use serde::Deserialize;

use crate::time;

// ---------------------------------------------------------------- ECR

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeRepositories {
    pub repositories: Vec<Repository>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Repository {
    pub repository_arn: String,
    pub registry_id: String,
    pub repository_name: String,
    #[serde(default)]
    pub repository_uri: Option<String>,
    #[serde(default, deserialize_with = "time::optional")]
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeImages {
    pub image_details: Vec<ImageDetail>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageDetail {
    pub registry_id: String,
    pub repository_name: String,
    pub image_digest: String,
    #[serde(default)]
    pub image_tags: Vec<String>,
    #[serde(default, deserialize_with = "time::optional")]
    pub image_pushed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub image_manifest_media_type: Option<String>,
    #[serde(default)]
    pub artifact_media_type: Option<String>,
    #[serde(default)]
    pub image_size_in_bytes: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryPolicyOutput {
    pub registry_id: String,
    pub repository_name: String,
    pub policy_text: String,
}

// ---------------------------------------------------------------- IAM

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuthorizationDetails {
    #[serde(default)]
    pub role_detail_list: Vec<RoleDetail>,
    #[serde(default)]
    pub policies: Vec<ManagedPolicyDetail>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleDetail {
    pub role_name: String,
    pub arn: String,
    #[serde(default)]
    pub instance_profile_list: Vec<InstanceProfile>,
    #[serde(default)]
    pub role_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceProfile {
    pub instance_profile_name: String,
    pub arn: String,
    #[serde(default)]
    pub roles: Vec<ProfileRole>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProfileRole {
    pub arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    pub policy_name: String,
    pub policy_document: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedPolicy {
    pub policy_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPolicyDetail {
    /// AWS always prints it; moto does not. The ARN ends with it, so it is not needed.
    #[serde(default)]
    pub policy_name: Option<String>,
    pub arn: String,
    #[serde(default)]
    pub default_version_id: Option<String>,
    #[serde(default)]
    pub policy_version_list: Vec<PolicyVersion>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersion {
    #[serde(default)]
    pub document: Option<serde_json::Value>,
    #[serde(default)]
    pub version_id: Option<String>,
    #[serde(default)]
    pub is_default_version: bool,
}

// ---------------------------------------------------------------- CloudTrail and STS

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LookupEvents {
    pub events: Vec<TrailEvent>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TrailEvent {
    pub event_id: String,
    pub event_name: String,
    #[serde(default, deserialize_with = "time::optional")]
    pub event_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub event_source: Option<String>,
    #[serde(default)]
    pub resources: Vec<TrailResource>,
    /// The full event as a JSON string; resource ids are picked out of it.
    #[serde(default)]
    pub cloud_trail_event: Option<String>,
}

/// AWS resource ids (`subnet-0abc...`, `rtbassoc-...`) mentioned anywhere in a text.
pub fn resource_ids(text: &str) -> Vec<String> {
    const PREFIXES: &[&str] =
        &["subnet", "rtb", "rtbassoc", "nat", "igw", "eigw", "sg", "acl", "aclassoc", "vpce", "vpc", "eni", "tgw", "pcx", "i"];
    let mut out: Vec<String> = Vec::new();
    for token in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        let Some((prefix, tail)) = token.rsplit_once('-') else { continue };
        if PREFIXES.contains(&prefix)
            && tail.len() >= 8
            && tail.len() <= 17
            && tail.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            let id = token.to_string();
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TrailResource {
    #[serde(default)]
    pub resource_name: Option<String>,
}

impl From<TrailEvent> for model::TrailEvent {
    fn from(event: TrailEvent) -> Self {
        model::TrailEvent {
            id: event.event_id,
            name: event.event_name,
            time: event.event_time,
            username: event.username,
            source: event.event_source,
            resources: {
                let mut ids: Vec<String> = event.resources.into_iter().filter_map(|r| r.resource_name).collect();
                for id in event.cloud_trail_event.as_deref().map(resource_ids).unwrap_or_default() {
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                ids
            },
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_in_cloudtrail_text() {
        let text = r#"{"requestParameters":{"associationId":"rtbassoc-0699de6921bac8857","subnetId":"subnet-0591e7f615056cdc1"},"x":"i-0abc12345678","no":"sg-XYZ","vpc":"vpc-075da49e833c3ce06"}"#;
        assert_eq!(
            super::resource_ids(text),
            vec!["rtbassoc-0699de6921bac8857", "subnet-0591e7f615056cdc1", "i-0abc12345678", "vpc-075da49e833c3ce06"]
        );
    }
}
