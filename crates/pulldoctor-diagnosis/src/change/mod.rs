//! A change to the cloud that a fix makes, as data: what `pulldoctor fix` carries out through the
//! SDK, and what the report prints as an `aws` command. Both come from the same value, so the
//! command a user copies and the call pulldoctor makes cannot drift apart.
//!
//! A fix step becomes a `Change` only when every id in it is real: a placeholder (`SG`, `IGW`,
//! `REGION`) leaves the step as text for the user, never as something pulldoctor would run.
//! Every change here adds or enables; none deletes. Each has its inverse ([`Change::undo`]) for
//! `pulldoctor fix --undo`, filled in with what the change replaced or created when it is made.

use serde::{Deserialize, Serialize};

mod render;

/// Where a route or rule sends or admits traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum Destination {
    Cidr(String),
    Ipv6Cidr(String),
    PrefixList(String),
}

/// One change to EC2. Ids are AWS's (`rtb-...`, `subnet-...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum Change {
    /// `ec2:CreateRoute`
    CreateRoute { table: String, destination: Destination, target: String },
    /// `ec2:ReplaceRoute`; `previous` is the target it had (filled in when made).
    ReplaceRoute {
        table: String,
        destination: Destination,
        target: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous: Option<String>,
    },
    /// `ec2:DeleteRoute` (only as the undo of a route pulldoctor created)
    DeleteRoute { table: String, destination: Destination },
    /// `ec2:AssociateRouteTable`; `association` is the new association's id (filled in when made).
    AssociateRouteTable {
        table: String,
        subnet: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        association: Option<String>,
    },
    /// `ec2:DisassociateRouteTable` (only as the undo of an association pulldoctor made)
    DisassociateRouteTable { association: String },
    /// `ec2:AttachInternetGateway`
    AttachInternetGateway { gateway: String, vpc: String },
    /// `ec2:DetachInternetGateway` (only as an undo)
    DetachInternetGateway { gateway: String, vpc: String },
    /// `ec2:AuthorizeSecurityGroupEgress` / `RevokeSecurityGroupEgress` for tcp `port`.
    SecurityGroupEgress { group: String, port: u16, peer: Destination, allow: bool },
    /// `ec2:AuthorizeSecurityGroupIngress` / `RevokeSecurityGroupIngress` for tcp `port` from a CIDR.
    SecurityGroupIngress { group: String, port: u16, cidr: String, allow: bool },
    /// `ec2:CreateNetworkAclEntry`: allow tcp `from..=to` for `cidr`.
    CreateNetworkAclEntry { acl: String, egress: bool, rule_number: i32, from: u16, to: u16, cidr: String },
    /// `ec2:DeleteNetworkAclEntry` (only as an undo)
    DeleteNetworkAclEntry { acl: String, egress: bool, rule_number: i32 },
    /// `ec2:ModifyVpcEndpoint --(no-)private-dns-enabled`
    EndpointPrivateDns { endpoint: String, enabled: bool },
    /// `ec2:ModifyVpcEndpoint --add-route-table-ids` / `--remove-route-table-ids`
    EndpointRouteTable { endpoint: String, table: String, add: bool },
    /// `ec2:CreateVpcEndpoint` of type Gateway; `endpoint` is its id (filled in when made).
    CreateGatewayEndpoint {
        vpc: String,
        service: String,
        table: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
    },
    /// `ec2:CreateSecurityGroup`, then `AuthorizeSecurityGroupIngress` of tcp `port` from each of
    /// `cidrs`; `group` is its id (filled in when made). Later changes of the same fix name it by
    /// `name` until then.
    CreateSecurityGroup {
        vpc: String,
        name: String,
        description: String,
        port: u16,
        cidrs: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<String>,
    },
    /// `ec2:DeleteSecurityGroup` (only as the undo of a group pulldoctor created)
    DeleteSecurityGroup { group: String },
    /// `ec2:CreateVpcEndpoint` of type Interface with private DNS, one subnet per zone;
    /// `endpoint` is its id (filled in when made).
    CreateInterfaceEndpoint {
        vpc: String,
        service: String,
        subnets: Vec<String>,
        groups: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
    },
    /// `ec2:DeleteVpcEndpoints` (only as the undo of an endpoint pulldoctor created)
    DeleteVpcEndpoint { endpoint: String },
    /// `ec2:ModifyVpcAttribute --enable-dns-support`
    VpcDnsSupport { vpc: String, enabled: bool },
    /// `iam:AttachRolePolicy`
    AttachRolePolicy { role: String, policy_arn: String },
    /// `iam:DetachRolePolicy` (only as the undo of an attachment pulldoctor made)
    DetachRolePolicy { role: String, policy_arn: String },
    /// `ecr:SetRepositoryPolicy`; `previous` is the policy it replaced (filled in when made;
    /// `None` with `replaced: true` means there was none).
    SetRepositoryPolicy {
        registry: String,
        region: String,
        repository: String,
        policy: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous: Option<String>,
        #[serde(default)]
        replaced: bool,
    },
    /// `ecr:DeleteRepositoryPolicy` (only as the undo of a policy pulldoctor set where there was none)
    DeleteRepositoryPolicy { registry: String, region: String, repository: String },
    /// A new ECR token (`ecr:GetAuthorizationToken` in `region`) written into the pull secret's
    /// entry for `registry` (Kubernetes `update secrets`). No undo: the token it replaces had expired.
    RefreshPullSecret { namespace: String, name: String, registry: String, region: String },
}

impl Destination {
    pub fn as_str(&self) -> &str {
        match self {
            Destination::Cidr(s) | Destination::Ipv6Cidr(s) | Destination::PrefixList(s) => s,
        }
    }
}

impl Change {
    /// Groups this change names by the name a [`Change::CreateSecurityGroup`] of the same fix
    /// gives them, replaced by the ids `created` maps them to.
    pub fn with_created_groups(self, created: &std::collections::BTreeMap<String, String>) -> Change {
        match self {
            Change::CreateInterfaceEndpoint { vpc, service, subnets, groups, endpoint } => Change::CreateInterfaceEndpoint {
                vpc,
                service,
                subnets,
                groups: groups.into_iter().map(|g| created.get(&g).cloned().unwrap_or(g)).collect(),
                endpoint,
            },
            other => other,
        }
    }

    /// Whether the change is made through the EC2 API (and so checked with `DryRun`).
    pub fn is_ec2(&self) -> bool {
        !matches!(
            self,
            Change::AttachRolePolicy { .. }
                | Change::DetachRolePolicy { .. }
                | Change::SetRepositoryPolicy { .. }
                | Change::DeleteRepositoryPolicy { .. }
                | Change::RefreshPullSecret { .. }
        )
    }

    /// The IAM actions making this change takes (`ec2:CreateRoute`; a new security group also
    /// authorises its ingress; a pull secret's refresh gets a token): what docs/aws-iam-fix-policy.json grants.
    pub fn actions(&self) -> Vec<String> {
        match self {
            Change::CreateSecurityGroup { .. } => vec!["ec2:CreateSecurityGroup".into(), "ec2:AuthorizeSecurityGroupIngress".into()],
            Change::RefreshPullSecret { .. } => vec!["ecr:GetAuthorizationToken".into()],
            other => vec![other.api_call().split(' ').next().unwrap_or_default().to_string()],
        }
    }

    /// One of every kind of change, with made-up ids (for tests that must see every kind: the
    /// match below stops compiling when a kind is added and not listed).
    pub fn one_of_each() -> Vec<Change> {
        let d = || Destination::Cidr("0.0.0.0/0".into());
        let s = |x: &str| x.to_string();
        let all = vec![
            Change::CreateRoute { table: s("rtb-1"), destination: d(), target: s("nat-1") },
            Change::ReplaceRoute { table: s("rtb-1"), destination: d(), target: s("nat-1"), previous: None },
            Change::DeleteRoute { table: s("rtb-1"), destination: d() },
            Change::AssociateRouteTable { table: s("rtb-1"), subnet: s("subnet-1"), association: None },
            Change::DisassociateRouteTable { association: s("rtbassoc-1") },
            Change::AttachInternetGateway { gateway: s("igw-1"), vpc: s("vpc-1") },
            Change::DetachInternetGateway { gateway: s("igw-1"), vpc: s("vpc-1") },
            Change::SecurityGroupEgress { group: s("sg-1"), port: 443, peer: d(), allow: true },
            Change::SecurityGroupEgress { group: s("sg-1"), port: 443, peer: d(), allow: false },
            Change::SecurityGroupIngress { group: s("sg-1"), port: 443, cidr: s("10.0.0.0/16"), allow: true },
            Change::SecurityGroupIngress { group: s("sg-1"), port: 443, cidr: s("10.0.0.0/16"), allow: false },
            Change::CreateNetworkAclEntry { acl: s("acl-1"), egress: true, rule_number: 99, from: 443, to: 443, cidr: s("0.0.0.0/0") },
            Change::DeleteNetworkAclEntry { acl: s("acl-1"), egress: true, rule_number: 99 },
            Change::EndpointPrivateDns { endpoint: s("vpce-1"), enabled: true },
            Change::EndpointRouteTable { endpoint: s("vpce-1"), table: s("rtb-1"), add: true },
            Change::CreateGatewayEndpoint { vpc: s("vpc-1"), service: s("com.amazonaws.us-east-1.s3"), table: s("rtb-1"), endpoint: None },
            Change::CreateSecurityGroup {
                vpc: s("vpc-1"),
                name: s("g"),
                description: s("d"),
                port: 443,
                cidrs: vec![s("10.0.0.0/16")],
                group: None,
            },
            Change::DeleteSecurityGroup { group: s("sg-1") },
            Change::CreateInterfaceEndpoint {
                vpc: s("vpc-1"),
                service: s("com.amazonaws.us-east-1.ecr.api"),
                subnets: vec![s("subnet-1")],
                groups: vec![s("sg-1")],
                endpoint: None,
            },
            Change::DeleteVpcEndpoint { endpoint: s("vpce-1") },
            Change::VpcDnsSupport { vpc: s("vpc-1"), enabled: true },
            Change::AttachRolePolicy { role: s("node"), policy_arn: s("arn:aws:iam::aws:policy/P") },
            Change::DetachRolePolicy { role: s("node"), policy_arn: s("arn:aws:iam::aws:policy/P") },
            Change::SetRepositoryPolicy {
                registry: s("111122223333"),
                region: s("us-east-1"),
                repository: s("app"),
                policy: s("{}"),
                previous: None,
                replaced: false,
            },
            Change::DeleteRepositoryPolicy { registry: s("111122223333"), region: s("us-east-1"), repository: s("app") },
            Change::RefreshPullSecret { namespace: s("shop"), name: s("ecr"), registry: s("r"), region: s("us-east-1") },
        ];
        for change in &all {
            match change {
                Change::CreateRoute { .. }
                | Change::ReplaceRoute { .. }
                | Change::DeleteRoute { .. }
                | Change::AssociateRouteTable { .. }
                | Change::DisassociateRouteTable { .. }
                | Change::AttachInternetGateway { .. }
                | Change::DetachInternetGateway { .. }
                | Change::SecurityGroupEgress { .. }
                | Change::SecurityGroupIngress { .. }
                | Change::CreateNetworkAclEntry { .. }
                | Change::DeleteNetworkAclEntry { .. }
                | Change::EndpointPrivateDns { .. }
                | Change::EndpointRouteTable { .. }
                | Change::CreateGatewayEndpoint { .. }
                | Change::CreateSecurityGroup { .. }
                | Change::DeleteSecurityGroup { .. }
                | Change::CreateInterfaceEndpoint { .. }
                | Change::DeleteVpcEndpoint { .. }
                | Change::VpcDnsSupport { .. }
                | Change::AttachRolePolicy { .. }
                | Change::DetachRolePolicy { .. }
                | Change::SetRepositoryPolicy { .. }
                | Change::DeleteRepositoryPolicy { .. }
                | Change::RefreshPullSecret { .. } => {}
            }
        }
        all
    }

    /// Whether EC2 accepts `DryRun` for this call (`ModifyVpcAttribute` does not).
    pub fn supports_dry_run(&self) -> bool {
        self.is_ec2() && !matches!(self, Change::VpcDnsSupport { .. })
    }

    /// The call that reverses this one, once it has been made (`None` until what it created or
    /// replaced is known: a new association's id, a replaced route's old target).
    pub fn undo(&self) -> Option<Change> {
        Some(match self {
            Change::CreateRoute { table, destination, .. } => {
                Change::DeleteRoute { table: table.clone(), destination: destination.clone() }
            }
            Change::ReplaceRoute { table, destination, previous, .. } => {
                Change::ReplaceRoute { table: table.clone(), destination: destination.clone(), target: previous.clone()?, previous: None }
            }
            Change::AssociateRouteTable { association, .. } => Change::DisassociateRouteTable { association: association.clone()? },
            Change::AttachInternetGateway { gateway, vpc } => Change::DetachInternetGateway { gateway: gateway.clone(), vpc: vpc.clone() },
            Change::DetachInternetGateway { gateway, vpc } => Change::AttachInternetGateway { gateway: gateway.clone(), vpc: vpc.clone() },
            Change::SecurityGroupEgress { group, port, peer, allow } => {
                Change::SecurityGroupEgress { group: group.clone(), port: *port, peer: peer.clone(), allow: !allow }
            }
            Change::SecurityGroupIngress { group, port, cidr, allow } => {
                Change::SecurityGroupIngress { group: group.clone(), port: *port, cidr: cidr.clone(), allow: !allow }
            }
            Change::CreateNetworkAclEntry { acl, egress, rule_number, .. } => {
                Change::DeleteNetworkAclEntry { acl: acl.clone(), egress: *egress, rule_number: *rule_number }
            }
            Change::EndpointPrivateDns { endpoint, enabled } => {
                Change::EndpointPrivateDns { endpoint: endpoint.clone(), enabled: !enabled }
            }
            Change::EndpointRouteTable { endpoint, table, add } => {
                Change::EndpointRouteTable { endpoint: endpoint.clone(), table: table.clone(), add: !add }
            }
            Change::CreateGatewayEndpoint { endpoint, .. } | Change::CreateInterfaceEndpoint { endpoint, .. } => {
                Change::DeleteVpcEndpoint { endpoint: endpoint.clone()? }
            }
            Change::CreateSecurityGroup { group, .. } => Change::DeleteSecurityGroup { group: group.clone()? },
            Change::VpcDnsSupport { vpc, enabled } => Change::VpcDnsSupport { vpc: vpc.clone(), enabled: !enabled },
            Change::AttachRolePolicy { role, policy_arn } => {
                Change::DetachRolePolicy { role: role.clone(), policy_arn: policy_arn.clone() }
            }
            Change::SetRepositoryPolicy { registry, region, repository, previous, replaced, .. } => match previous {
                Some(previous) => Change::SetRepositoryPolicy {
                    registry: registry.clone(),
                    region: region.clone(),
                    repository: repository.clone(),
                    policy: previous.clone(),
                    previous: None,
                    replaced: false,
                },
                None if *replaced => {
                    Change::DeleteRepositoryPolicy { registry: registry.clone(), region: region.clone(), repository: repository.clone() }
                }
                None => return None,
            },
            Change::RefreshPullSecret { .. } => return None,
            // Deletions are only ever undos; their own undo is not pulldoctor's to make.
            Change::DeleteRoute { .. }
            | Change::DisassociateRouteTable { .. }
            | Change::DeleteNetworkAclEntry { .. }
            | Change::DeleteVpcEndpoint { .. }
            | Change::DeleteSecurityGroup { .. }
            | Change::DetachRolePolicy { .. }
            | Change::DeleteRepositoryPolicy { .. } => {
                return None;
            }
        })
    }

    /// Whether this change removes something (only undos do).
    pub fn deletes(&self) -> bool {
        matches!(
            self,
            Change::DeleteRoute { .. }
                | Change::DisassociateRouteTable { .. }
                | Change::DeleteNetworkAclEntry { .. }
                | Change::DeleteVpcEndpoint { .. }
                | Change::DeleteSecurityGroup { .. }
                | Change::DetachRolePolicy { .. }
                | Change::DeleteRepositoryPolicy { .. }
        ) || matches!(self, Change::SecurityGroupEgress { allow: false, .. } | Change::SecurityGroupIngress { allow: false, .. })
    }

    /// The ids this change names, for the scope check (every one must be in the cluster's VPCs).
    pub fn resources(&self) -> Vec<&str> {
        match self {
            Change::CreateRoute { table, target, .. } | Change::ReplaceRoute { table, target, .. } => vec![table, target],
            Change::DeleteRoute { table, .. } => vec![table],
            Change::AssociateRouteTable { table, subnet, .. } => vec![table, subnet],
            Change::DisassociateRouteTable { association } => vec![association],
            Change::AttachInternetGateway { gateway, vpc } | Change::DetachInternetGateway { gateway, vpc } => vec![gateway, vpc],
            Change::SecurityGroupEgress { group, .. } | Change::SecurityGroupIngress { group, .. } => vec![group],
            Change::CreateNetworkAclEntry { acl, .. } | Change::DeleteNetworkAclEntry { acl, .. } => vec![acl],
            Change::EndpointPrivateDns { endpoint, .. } | Change::DeleteVpcEndpoint { endpoint } => vec![endpoint],
            Change::EndpointRouteTable { endpoint, table, .. } => vec![endpoint, table],
            Change::CreateGatewayEndpoint { vpc, table, .. } => vec![vpc, table],
            Change::VpcDnsSupport { vpc, .. } => vec![vpc],
            Change::CreateSecurityGroup { vpc, .. } => vec![vpc],
            Change::DeleteSecurityGroup { group } => vec![group],
            Change::CreateInterfaceEndpoint { vpc, subnets, groups, .. } => {
                // a group named (not yet an id) is one this fix creates
                return std::iter::once(vpc)
                    .chain(subnets)
                    .chain(groups.iter().filter(|g| g.starts_with("sg-")))
                    .map(String::as_str)
                    .collect();
            }
            Change::AttachRolePolicy { role, .. } | Change::DetachRolePolicy { role, .. } => vec![role],
            Change::SetRepositoryPolicy { repository, .. } | Change::DeleteRepositoryPolicy { repository, .. } => vec![repository],
            Change::RefreshPullSecret { namespace, name, .. } => return vec![namespace, name].into_iter().map(String::as_str).collect(),
        }
        .into_iter()
        .map(String::as_str)
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route() -> Change {
        Change::CreateRoute { table: "rtb-1".into(), destination: Destination::Cidr("0.0.0.0/0".into()), target: "nat-1".into() }
    }

    #[test]
    fn the_command_and_the_call_say_the_same() {
        assert_eq!(route().aws_cli(), "create-route --route-table-id rtb-1 --destination-cidr-block 0.0.0.0/0 --nat-gateway-id nat-1");
        assert_eq!(route().api_call(), "ec2:CreateRoute RouteTableId=rtb-1 DestinationCidrBlock=0.0.0.0/0 NatGatewayId=nat-1");
    }

    #[test]
    fn every_change_has_an_undo_once_made_and_undoing_twice_is_the_change() {
        let made = [
            route(),
            Change::ReplaceRoute {
                table: "rtb-1".into(),
                destination: Destination::Cidr("0.0.0.0/0".into()),
                target: "nat-1".into(),
                previous: Some("nat-0".into()),
            },
            Change::AssociateRouteTable { table: "rtb-1".into(), subnet: "subnet-1".into(), association: Some("rtbassoc-1".into()) },
            Change::AttachInternetGateway { gateway: "igw-1".into(), vpc: "vpc-1".into() },
            Change::SecurityGroupEgress { group: "sg-1".into(), port: 443, peer: Destination::Cidr("0.0.0.0/0".into()), allow: true },
            Change::SecurityGroupIngress { group: "sg-1".into(), port: 443, cidr: "10.0.0.0/16".into(), allow: true },
            Change::CreateNetworkAclEntry {
                acl: "acl-1".into(),
                egress: true,
                rule_number: 99,
                from: 443,
                to: 443,
                cidr: "0.0.0.0/0".into(),
            },
            Change::EndpointPrivateDns { endpoint: "vpce-1".into(), enabled: true },
            Change::EndpointRouteTable { endpoint: "vpce-1".into(), table: "rtb-1".into(), add: true },
            Change::CreateGatewayEndpoint {
                vpc: "vpc-1".into(),
                service: "com.amazonaws.us-east-1.s3".into(),
                table: "rtb-1".into(),
                endpoint: Some("vpce-2".into()),
            },
            Change::VpcDnsSupport { vpc: "vpc-1".into(), enabled: true },
        ];
        for change in made {
            assert!(!change.deletes(), "{change:?}: a fix never deletes");
            let undo = change.undo().unwrap_or_else(|| panic!("{change:?} has no undo"));
            if let Some(again) = undo.undo() {
                assert_eq!(again.aws_cli(), change.aws_cli(), "{change:?}");
            }
        }
        // Not made yet: what it creates or replaces is unknown, so there is no undo.
        let unmade = Change::AssociateRouteTable { table: "rtb-1".into(), subnet: "subnet-1".into(), association: None };
        assert!(unmade.undo().is_none());
    }
}
