//! Which DNS servers a VPC's instances ask: `describe-dhcp-options`.

use pulldoctor_model as model;
use serde::Deserialize;

// ---------------------------------------------------------------- describe-dhcp-options

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeDhcpOptions {
    pub dhcp_options: Vec<DhcpOptions>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DhcpOptions {
    pub dhcp_options_id: String,
    #[serde(default)]
    pub owner_id: Option<String>,
    #[serde(default)]
    pub dhcp_configurations: Vec<DhcpConfiguration>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DhcpConfiguration {
    pub key: String,
    #[serde(default)]
    pub values: Vec<DhcpValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DhcpValue {
    pub value: String,
}

impl From<DhcpOptions> for model::DhcpOptions {
    fn from(options: DhcpOptions) -> Self {
        let values = |key: &str| -> Vec<String> {
            options.dhcp_configurations.iter().filter(|c| c.key == key).flat_map(|c| c.values.iter().map(|v| v.value.clone())).collect()
        };
        model::DhcpOptions {
            domain_name_servers: values("domain-name-servers"),
            domain_name: values("domain-name").into_iter().next(),
            id: options.dhcp_options_id,
            owner_id: options.owner_id,
        }
    }
}
