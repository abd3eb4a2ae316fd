//! A change to the cloud that a fix makes, as data: what `pulldoctor fix` carries out through the
//! SDK, and what the report prints as an `aws` command. Both come from the same value, so the
//! command a user copies and the call pulldoctor makes cannot drift apart.
//!
//! A fix step becomes a `Change` only when every id in it is real: a placeholder (`SG`, `IGW`,
//! `REGION`) leaves the step as text for the user, never as something pulldoctor would run.
//! Every change here adds or enables; none deletes. Each has its inverse ([`Change::undo`]) for
//! `pulldoctor fix --undo`, filled in with what the change replaced or created when it is made.

use serde::{Deserialize, Serialize};

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
    pub fn flag(&self) -> String {
        match self {
            Destination::Cidr(cidr) => format!("--destination-cidr-block {cidr}"),
            Destination::Ipv6Cidr(cidr) => format!("--destination-ipv6-cidr-block {cidr}"),
            Destination::PrefixList(list) => format!("--destination-prefix-list-id {list}"),
        }
    }

    fn permission(&self) -> String {
        match self {
            Destination::Cidr(cidr) => format!("IpRanges=[{{CidrIp={cidr}}}]"),
            Destination::Ipv6Cidr(cidr) => format!("Ipv6Ranges=[{{CidrIpv6={cidr}}}]"),
            Destination::PrefixList(list) => format!("PrefixListIds=[{{PrefixListId={list}}}]"),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Destination::Cidr(s) | Destination::Ipv6Cidr(s) | Destination::PrefixList(s) => s,
        }
    }
}

fn target_flag(target: &str) -> String {
    if target.starts_with("nat-") {
        format!("--nat-gateway-id {target}")
    } else if target.starts_with("tgw-") {
        format!("--transit-gateway-id {target}")
    } else if target.starts_with("pcx-") {
        format!("--vpc-peering-connection-id {target}")
    } else if target.starts_with("eni-") {
        format!("--network-interface-id {target}")
    } else if target.starts_with("eigw-") {
        format!("--egress-only-internet-gateway-id {target}")
    } else {
        format!("--gateway-id {target}")
    }
}

impl Change {
    /// The `aws ec2` arguments that make this change (without `--dry-run`).
    pub fn aws_cli(&self) -> String {
        match self {
            Change::CreateRoute { table, destination, target } => {
                format!("create-route --route-table-id {table} {} {}", destination.flag(), target_flag(target))
            }
            Change::ReplaceRoute { table, destination, target, .. } => {
                format!("replace-route --route-table-id {table} {} {}", destination.flag(), target_flag(target))
            }
            Change::DeleteRoute { table, destination } => format!("delete-route --route-table-id {table} {}", destination.flag()),
            Change::AssociateRouteTable { table, subnet, .. } => {
                format!("associate-route-table --route-table-id {table} --subnet-id {subnet}")
            }
            Change::DisassociateRouteTable { association } => format!("disassociate-route-table --association-id {association}"),
            Change::AttachInternetGateway { gateway, vpc } => {
                format!("attach-internet-gateway --internet-gateway-id {gateway} --vpc-id {vpc}")
            }
            Change::DetachInternetGateway { gateway, vpc } => {
                format!("detach-internet-gateway --internet-gateway-id {gateway} --vpc-id {vpc}")
            }
            Change::SecurityGroupEgress { group, port, peer, allow } => format!(
                "{}-security-group-egress --group-id {group} --ip-permissions 'IpProtocol=tcp,FromPort={port},ToPort={port},{}'",
                if *allow { "authorize" } else { "revoke" },
                peer.permission()
            ),
            Change::SecurityGroupIngress { group, port, cidr, allow } => format!(
                "{}-security-group-ingress --group-id {group} --protocol tcp --port {port} --cidr {cidr}",
                if *allow { "authorize" } else { "revoke" }
            ),
            Change::CreateNetworkAclEntry { acl, egress, rule_number, from, to, cidr } => format!(
                "create-network-acl-entry --network-acl-id {acl} {} --rule-number {rule_number} --protocol tcp --port-range From={from},To={to} --cidr-block {cidr} --rule-action allow",
                if *egress { "--egress" } else { "--ingress" }
            ),
            Change::DeleteNetworkAclEntry { acl, egress, rule_number } => format!(
                "delete-network-acl-entry --network-acl-id {acl} {} --rule-number {rule_number}",
                if *egress { "--egress" } else { "--ingress" }
            ),
            Change::EndpointPrivateDns { endpoint, enabled } => {
                format!("modify-vpc-endpoint --vpc-endpoint-id {endpoint} --{}private-dns-enabled", if *enabled { "" } else { "no-" })
            }
            Change::EndpointRouteTable { endpoint, table, add } => {
                format!(
                    "modify-vpc-endpoint --vpc-endpoint-id {endpoint} --{}-route-table-ids {table}",
                    if *add { "add" } else { "remove" }
                )
            }
            Change::CreateGatewayEndpoint { vpc, service, table, .. } => {
                format!("create-vpc-endpoint --vpc-id {vpc} --vpc-endpoint-type Gateway --service-name {service} --route-table-ids {table}")
            }
            Change::DeleteVpcEndpoint { endpoint } => format!("delete-vpc-endpoints --vpc-endpoint-ids {endpoint}"),
            Change::CreateSecurityGroup { vpc, name, description, .. } => {
                format!("create-security-group --vpc-id {vpc} --group-name {name} --description '{description}'")
            }
            Change::DeleteSecurityGroup { group } => format!("delete-security-group --group-id {group}"),
            Change::CreateInterfaceEndpoint { vpc, service, subnets, groups, .. } => format!(
                "create-vpc-endpoint --vpc-id {vpc} --vpc-endpoint-type Interface --service-name {service} --subnet-ids {} --security-group-ids {} --private-dns-enabled",
                subnets.join(" "),
                groups.iter().map(|g| group_ref(g)).collect::<Vec<_>>().join(" ")
            ),
            Change::VpcDnsSupport { vpc, enabled } => {
                format!("modify-vpc-attribute --vpc-id {vpc} --enable-dns-support '{{\"Value\":{enabled}}}'")
            }
            other => other.command(),
        }
    }

    /// The whole command a person would type (`aws ec2 ...`, `aws iam ...`, `kubectl ...`).
    pub fn command(&self) -> String {
        match self {
            Change::AttachRolePolicy { role, policy_arn } => {
                format!("aws iam attach-role-policy --role-name {role} --policy-arn {policy_arn}")
            }
            Change::DetachRolePolicy { role, policy_arn } => {
                format!("aws iam detach-role-policy --role-name {role} --policy-arn {policy_arn}")
            }
            Change::SetRepositoryPolicy { registry, region, repository, .. } => format!(
                "aws ecr set-repository-policy --region {region} --registry-id {registry} --repository-name {repository} --policy-text file://repository-policy.json"
            ),
            Change::DeleteRepositoryPolicy { registry, region, repository } => {
                format!("aws ecr delete-repository-policy --region {region} --registry-id {registry} --repository-name {repository}")
            }
            Change::RefreshPullSecret { namespace, name, registry, region } => format!(
                "kubectl create secret docker-registry {name} -n {namespace} --docker-server={registry} --docker-username=AWS --docker-password=\"$(aws ecr get-login-password --region {region})\" --dry-run=client -o yaml | kubectl apply -f -"
            ),
            // The group's id is needed by the commands after it: kept in a shell variable.
            Change::CreateSecurityGroup { vpc, name, description, port, cidrs, .. } => {
                let mut line = format!(
                    "{}=$(aws ec2 create-security-group --vpc-id {vpc} --group-name {name} --description '{description}' --query GroupId --output text)",
                    variable(name)
                );
                for cidr in cidrs {
                    line.push_str(&format!(
                        " && aws ec2 authorize-security-group-ingress --group-id \"${}\" --protocol tcp --port {port} --cidr {cidr}",
                        variable(name)
                    ));
                }
                line
            }
            ec2 => format!("aws ec2 {}", ec2.aws_cli()),
        }
    }

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

    /// The API call, as `--dry-run` prints it: `ec2:CreateRoute RouteTableId=... ...`.
    pub fn api_call(&self) -> String {
        let (action, params): (&str, Vec<(&str, String)>) = match self {
            Change::CreateRoute { table, destination, target } | Change::ReplaceRoute { table, destination, target, .. } => (
                if matches!(self, Change::CreateRoute { .. }) { "CreateRoute" } else { "ReplaceRoute" },
                vec![
                    ("RouteTableId", table.clone()),
                    (destination_param(destination), destination.as_str().into()),
                    (target_param(target), target.clone()),
                ],
            ),
            Change::DeleteRoute { table, destination } => {
                ("DeleteRoute", vec![("RouteTableId", table.clone()), (destination_param(destination), destination.as_str().into())])
            }
            Change::AssociateRouteTable { table, subnet, .. } => {
                ("AssociateRouteTable", vec![("RouteTableId", table.clone()), ("SubnetId", subnet.clone())])
            }
            Change::DisassociateRouteTable { association } => ("DisassociateRouteTable", vec![("AssociationId", association.clone())]),
            Change::AttachInternetGateway { gateway, vpc } => {
                ("AttachInternetGateway", vec![("InternetGatewayId", gateway.clone()), ("VpcId", vpc.clone())])
            }
            Change::DetachInternetGateway { gateway, vpc } => {
                ("DetachInternetGateway", vec![("InternetGatewayId", gateway.clone()), ("VpcId", vpc.clone())])
            }
            Change::SecurityGroupEgress { group, port, peer, allow } => (
                if *allow { "AuthorizeSecurityGroupEgress" } else { "RevokeSecurityGroupEgress" },
                vec![("GroupId", group.clone()), ("IpPermissions", format!("tcp {port} {}", peer.as_str()))],
            ),
            Change::SecurityGroupIngress { group, port, cidr, allow } => (
                if *allow { "AuthorizeSecurityGroupIngress" } else { "RevokeSecurityGroupIngress" },
                vec![("GroupId", group.clone()), ("IpPermissions", format!("tcp {port} {cidr}"))],
            ),
            Change::CreateNetworkAclEntry { acl, egress, rule_number, from, to, cidr } => (
                "CreateNetworkAclEntry",
                vec![
                    ("NetworkAclId", acl.clone()),
                    ("Egress", egress.to_string()),
                    ("RuleNumber", rule_number.to_string()),
                    ("Protocol", "6".into()),
                    ("PortRange", format!("{from}-{to}")),
                    ("CidrBlock", cidr.clone()),
                    ("RuleAction", "allow".into()),
                ],
            ),
            Change::DeleteNetworkAclEntry { acl, egress, rule_number } => (
                "DeleteNetworkAclEntry",
                vec![("NetworkAclId", acl.clone()), ("Egress", egress.to_string()), ("RuleNumber", rule_number.to_string())],
            ),
            Change::EndpointPrivateDns { endpoint, enabled } => {
                ("ModifyVpcEndpoint", vec![("VpcEndpointId", endpoint.clone()), ("PrivateDnsEnabled", enabled.to_string())])
            }
            Change::EndpointRouteTable { endpoint, table, add } => (
                "ModifyVpcEndpoint",
                vec![("VpcEndpointId", endpoint.clone()), (if *add { "AddRouteTableIds" } else { "RemoveRouteTableIds" }, table.clone())],
            ),
            Change::CreateGatewayEndpoint { vpc, service, table, .. } => (
                "CreateVpcEndpoint",
                vec![
                    ("VpcId", vpc.clone()),
                    ("VpcEndpointType", "Gateway".into()),
                    ("ServiceName", service.clone()),
                    ("RouteTableIds", table.clone()),
                ],
            ),
            Change::DeleteVpcEndpoint { endpoint } => ("DeleteVpcEndpoints", vec![("VpcEndpointIds", endpoint.clone())]),
            Change::CreateSecurityGroup { vpc, name, port, cidrs, .. } => (
                "CreateSecurityGroup",
                vec![
                    ("VpcId", vpc.clone()),
                    ("GroupName", name.clone()),
                    ("then AuthorizeSecurityGroupIngress", format!("tcp {port} {}", cidrs.join(","))),
                ],
            ),
            Change::DeleteSecurityGroup { group } => ("DeleteSecurityGroup", vec![("GroupId", group.clone())]),
            Change::CreateInterfaceEndpoint { vpc, service, subnets, groups, .. } => (
                "CreateVpcEndpoint",
                vec![
                    ("VpcId", vpc.clone()),
                    ("VpcEndpointType", "Interface".into()),
                    ("ServiceName", service.clone()),
                    ("SubnetIds", subnets.join(",")),
                    ("SecurityGroupIds", groups.join(",")),
                    ("PrivateDnsEnabled", "true".into()),
                ],
            ),
            Change::VpcDnsSupport { vpc, enabled } => {
                ("ModifyVpcAttribute", vec![("VpcId", vpc.clone()), ("EnableDnsSupport", enabled.to_string())])
            }
            Change::AttachRolePolicy { role, policy_arn } => {
                return format!("iam:AttachRolePolicy RoleName={role} PolicyArn={policy_arn}");
            }
            Change::DetachRolePolicy { role, policy_arn } => {
                return format!("iam:DetachRolePolicy RoleName={role} PolicyArn={policy_arn}");
            }
            Change::SetRepositoryPolicy { registry, region, repository, .. } => {
                return format!("ecr:SetRepositoryPolicy RegistryId={registry} RepositoryName={repository} (in {region})");
            }
            Change::DeleteRepositoryPolicy { registry, region, repository } => {
                return format!("ecr:DeleteRepositoryPolicy RegistryId={registry} RepositoryName={repository} (in {region})");
            }
            Change::RefreshPullSecret { namespace, name, registry, region } => {
                return format!("ecr:GetAuthorizationToken (in {region}), then update secret {namespace}/{name} for {registry}");
            }
        };
        let params: Vec<String> = params.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("ec2:{action} {}", params.join(" "))
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

/// A security group on a command line: its id, or the shell variable that holds the id of the
/// group created (by name) earlier in the same fix.
fn group_ref(group: &str) -> String {
    if group.starts_with("sg-") { group.to_string() } else { format!("\"${}\"", variable(group)) }
}

/// `pulldoctor-ecr-endpoints` -> `PULLDOCTOR_ECR_ENDPOINTS`
fn variable(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

fn destination_param(destination: &Destination) -> &'static str {
    match destination {
        Destination::Cidr(_) => "DestinationCidrBlock",
        Destination::Ipv6Cidr(_) => "DestinationIpv6CidrBlock",
        Destination::PrefixList(_) => "DestinationPrefixListId",
    }
}

fn target_param(target: &str) -> &'static str {
    if target.starts_with("nat-") {
        "NatGatewayId"
    } else if target.starts_with("tgw-") {
        "TransitGatewayId"
    } else if target.starts_with("pcx-") {
        "VpcPeeringConnectionId"
    } else if target.starts_with("eni-") {
        "NetworkInterfaceId"
    } else if target.starts_with("eigw-") {
        "EgressOnlyInternetGatewayId"
    } else {
        "GatewayId"
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
