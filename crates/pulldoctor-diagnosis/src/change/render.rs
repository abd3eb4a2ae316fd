//! A change as text: the `aws` command a person types (`aws_cli`, `command`) and the API call
//! `--dry-run` prints (`api_call`), all from the one value.

use super::{Change, Destination};

impl Destination {
    pub fn flag(&self) -> String {
        match self {
            Destination::Cidr(cidr) => format!("--destination-cidr-block {cidr}"),
            Destination::Ipv6Cidr(cidr) => format!("--destination-ipv6-cidr-block {cidr}"),
            Destination::PrefixList(list) => format!("--destination-prefix-list-id {list}"),
        }
    }

    pub(super) fn permission(&self) -> String {
        match self {
            Destination::Cidr(cidr) => format!("IpRanges=[{{CidrIp={cidr}}}]"),
            Destination::Ipv6Cidr(cidr) => format!("Ipv6Ranges=[{{CidrIpv6={cidr}}}]"),
            Destination::PrefixList(list) => format!("PrefixListIds=[{{PrefixListId={list}}}]"),
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
