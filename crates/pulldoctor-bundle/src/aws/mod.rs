//! Wire shapes of the AWS CLI's JSON output, and their conversion into the model.
//!
//! Only the fields pulldoctor uses are declared; unknown fields are ignored, so newer CLI versions
//! keep working. A declared field with the wrong JSON type is an error that names its path.
//!
//! By family of call: `routing` (VPCs, subnets, route tables, gateways, endpoints, prefix lists,
//! peering and transit gateways), `dhcp` (DHCP options: the DNS servers instances ask), `rules` (security groups and network ACLs), `instances`
//! (instances and network interfaces), `account` (ECR, IAM, CloudTrail, STS).

mod account;
mod dhcp;
mod instances;
mod routing;
mod rules;

use serde::Deserialize;

pub use account::*;
pub use dhcp::*;
pub use instances::*;
pub use routing::*;
pub use rules::*;

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct Tag {
    pub key: Option<String>,
    pub value: Option<String>,
}

pub(crate) fn name_tag(tags: &[Tag]) -> Option<String> {
    tags.iter().find(|t| t.key.as_deref() == Some("Name")).and_then(|t| t.value.clone())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupIdentifier {
    pub group_id: String,
}
