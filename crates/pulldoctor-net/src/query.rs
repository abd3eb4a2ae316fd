//! What a trace asks: where a path starts and where it goes.

use std::net::IpAddr;

/// Where a path starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// An EC2 instance (a node), by id.
    Instance(String),
    /// Any address of a subnet: security groups are then not evaluated.
    Subnet(String),
}

/// Where a path goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub host: Option<String>,
    /// The dialled address, when an error message names it: it overrides DNS reasoning.
    pub address: Option<IpAddr>,
    pub port: u16,
    /// The ECR repository ARN being pulled, for endpoint policies.
    pub repository_arn: Option<String>,
    /// The principal that pulls (the node role), for endpoint policies.
    pub principal_arn: Option<String>,
}
