//! What a change touches, as it is now: the "before" of the change record, whether the change is
//! already in effect (so running a fix twice changes nothing), and what it would replace.

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{RuleAction, VpcAttributeName};
use pulldoctor_diagnosis::change::{Change, Destination};
use serde_json::{Value, json};

use super::{Fixer, Look, filter, has_rule, rules_json};
use crate::Failed;
use crate::aws::failure;

impl Fixer {
    /// What `change` touches, as it is now, and whether the change is already in effect.
    pub async fn look(&self, change: &Change) -> Result<Look, Failed> {
        match change {
            Change::CreateRoute { table, destination, target } | Change::ReplaceRoute { table, destination, target, .. } => {
                let (state, current) = self.route(table, destination).await?;
                let done = current.as_ref().is_some_and(|(t, active)| t == target && *active);
                Ok(Look { state, done, previous: current.map(|(t, _)| t) })
            }
            Change::DeleteRoute { table, destination } => {
                let (state, current) = self.route(table, destination).await?;
                Ok(Look { state, done: current.is_none(), previous: current.map(|(t, _)| t) })
            }
            Change::AssociateRouteTable { table, subnet, .. } => {
                let call = "ec2:DescribeRouteTables";
                let tables = self
                    .client
                    .describe_route_tables()
                    .filters(filter("association.subnet-id", subnet))
                    .send()
                    .await
                    .map_err(|e| failure(call, &e))?;
                let explicit: Vec<String> = tables.route_tables().iter().filter_map(|t| t.route_table_id().map(str::to_string)).collect();
                let done = explicit.iter().any(|t| t == table);
                if !done && !explicit.is_empty() {
                    return Err(Failed {
                        call: call.into(),
                        denied: false,
                        message: format!(
                            "{subnet} is now explicitly associated with {}: the plan assumed the main table; diagnose again",
                            explicit.join(", ")
                        ),
                        detail: None,
                    });
                }
                Ok(Look { state: json!({"SubnetId": subnet, "ExplicitRouteTables": explicit}), done, previous: None })
            }
            Change::DisassociateRouteTable { association } => {
                let tables = self
                    .client
                    .describe_route_tables()
                    .filters(filter("association.route-table-association-id", association))
                    .send()
                    .await
                    .map_err(|e| failure("ec2:DescribeRouteTables", &e))?;
                let present = !tables.route_tables().is_empty();
                Ok(Look { state: json!({"AssociationId": association, "Present": present}), done: !present, previous: None })
            }
            Change::AttachInternetGateway { gateway, vpc } | Change::DetachInternetGateway { gateway, vpc } => {
                let answer = self
                    .client
                    .describe_internet_gateways()
                    .internet_gateway_ids(gateway)
                    .send()
                    .await
                    .map_err(|e| failure("ec2:DescribeInternetGateways", &e))?;
                let attached: Vec<String> = answer
                    .internet_gateways()
                    .iter()
                    .flat_map(|g| g.attachments())
                    .filter_map(|a| a.vpc_id().map(str::to_string))
                    .collect();
                let is_attached = attached.iter().any(|v| v == vpc);
                let done = if matches!(change, Change::AttachInternetGateway { .. }) { is_attached } else { !is_attached };
                Ok(Look { state: json!({"InternetGatewayId": gateway, "AttachedTo": attached}), done, previous: None })
            }
            Change::SecurityGroupEgress { group, port, peer, allow } => {
                let rules = self.group_rules(group, true).await?;
                let present = has_rule(&rules, *port, peer);
                Ok(Look {
                    state: json!({"GroupId": group, "IpPermissionsEgress": rules_json(&rules)}),
                    done: present == *allow,
                    previous: None,
                })
            }
            Change::SecurityGroupIngress { group, port, cidr, allow } => {
                let rules = self.group_rules(group, false).await?;
                let present = has_rule(&rules, *port, &Destination::Cidr(cidr.clone()));
                Ok(Look { state: json!({"GroupId": group, "IpPermissions": rules_json(&rules)}), done: present == *allow, previous: None })
            }
            Change::CreateNetworkAclEntry { acl, egress, rule_number, .. } | Change::DeleteNetworkAclEntry { acl, egress, rule_number } => {
                let answer = self
                    .client
                    .describe_network_acls()
                    .network_acl_ids(acl)
                    .send()
                    .await
                    .map_err(|e| failure("ec2:DescribeNetworkAcls", &e))?;
                let entries: Vec<Value> = answer
                    .network_acls()
                    .iter()
                    .flat_map(|a| a.entries())
                    .map(|e| {
                        json!({"RuleNumber": e.rule_number(), "Egress": e.egress(), "Protocol": e.protocol(), "RuleAction": e.rule_action().map(|a| a.as_str()), "CidrBlock": e.cidr_block(), "PortRange": e.port_range().map(|p| json!({"From": p.from(), "To": p.to()}))})
                    })
                    .collect();
                let slot = answer
                    .network_acls()
                    .iter()
                    .flat_map(|a| a.entries())
                    .find(|e| e.rule_number() == Some(*rule_number) && e.egress() == Some(*egress));
                let done = match change {
                    Change::CreateNetworkAclEntry { from, to, cidr, .. } => match slot {
                        None => false,
                        Some(entry) => {
                            let same = entry.rule_action() == Some(&RuleAction::Allow)
                                && entry.cidr_block() == Some(cidr.as_str())
                                && entry.port_range().is_some_and(|p| p.from() == Some(i32::from(*from)) && p.to() == Some(i32::from(*to)));
                            if !same {
                                return Err(Failed {
                                    call: "ec2:DescribeNetworkAcls".into(),
                                    denied: false,
                                    message: format!(
                                        "{acl} already has another {} rule numbered {rule_number}: diagnose again",
                                        if *egress { "egress" } else { "ingress" }
                                    ),
                                    detail: None,
                                });
                            }
                            true
                        }
                    },
                    _ => slot.is_none(),
                };
                Ok(Look { state: json!({"NetworkAclId": acl, "Entries": entries}), done, previous: None })
            }
            Change::EndpointPrivateDns { endpoint, enabled } => {
                let found = self.endpoint(endpoint).await?;
                let now = found.as_ref().and_then(|e| e.private_dns_enabled()).unwrap_or(false);
                Ok(Look { state: json!({"VpcEndpointId": endpoint, "PrivateDnsEnabled": now}), done: now == *enabled, previous: None })
            }
            Change::EndpointRouteTable { endpoint, table, add } => {
                let found = self.endpoint(endpoint).await?;
                let tables: Vec<String> = found.iter().flat_map(|e| e.route_table_ids()).cloned().collect();
                let present = tables.contains(table);
                Ok(Look { state: json!({"VpcEndpointId": endpoint, "RouteTableIds": tables}), done: present == *add, previous: None })
            }
            Change::CreateGatewayEndpoint { vpc, service, table, .. } => {
                let live = self.endpoints_of(vpc, service).await?;
                let on_table = live.iter().find(|e| e.route_table_ids().contains(table));
                let state = json!({"VpcId": vpc, "ServiceName": service, "Endpoints": live.iter().map(|e| json!({"VpcEndpointId": e.vpc_endpoint_id(), "RouteTableIds": e.route_table_ids()})).collect::<Vec<_>>()});
                Ok(Look { state, done: on_table.is_some(), previous: on_table.and_then(|e| e.vpc_endpoint_id().map(str::to_string)) })
            }
            Change::CreateSecurityGroup { vpc, name, .. } => {
                let answer = self
                    .client
                    .describe_security_groups()
                    .filters(filter("vpc-id", vpc))
                    .filters(filter("group-name", name))
                    .send()
                    .await
                    .map_err(|e| failure("ec2:DescribeSecurityGroups", &e))?;
                let existing = answer.security_groups().first().and_then(|g| g.group_id()).map(str::to_string);
                Ok(Look {
                    state: json!({"VpcId": vpc, "GroupName": name, "GroupId": existing}),
                    done: existing.is_some(),
                    previous: existing,
                })
            }
            Change::DeleteSecurityGroup { group } => {
                let present = match self.client.describe_security_groups().group_ids(group).send().await {
                    Ok(answer) => !answer.security_groups().is_empty(),
                    Err(error) if error.code().is_some_and(|c| c.starts_with("InvalidGroup")) => false,
                    Err(error) => return Err(failure("ec2:DescribeSecurityGroups", &error)),
                };
                Ok(Look { state: json!({"GroupId": group, "Present": present}), done: !present, previous: None })
            }
            Change::CreateInterfaceEndpoint { vpc, service, .. } => {
                let live = self.endpoints_of(vpc, service).await?;
                let existing = live.first().and_then(|e| e.vpc_endpoint_id()).map(str::to_string);
                let state = json!({"VpcId": vpc, "ServiceName": service, "VpcEndpointId": existing});
                Ok(Look { state, done: existing.is_some(), previous: existing })
            }
            Change::DeleteVpcEndpoint { endpoint } => {
                let found = self.endpoint(endpoint).await?;
                let gone = found.as_ref().is_none_or(|e| e.state().is_some_and(|s| s.as_str().eq_ignore_ascii_case("deleted")));
                Ok(Look { state: json!({"VpcEndpointId": endpoint, "Present": !gone}), done: gone, previous: None })
            }
            Change::VpcDnsSupport { vpc, enabled } => {
                let answer = self
                    .client
                    .describe_vpc_attribute()
                    .vpc_id(vpc)
                    .attribute(VpcAttributeName::EnableDnsSupport)
                    .send()
                    .await
                    .map_err(|e| failure("ec2:DescribeVpcAttribute", &e))?;
                let now = answer.enable_dns_support().and_then(|v| v.value()).unwrap_or(false);
                Ok(Look { state: json!({"VpcId": vpc, "EnableDnsSupport": now}), done: now == *enabled, previous: None })
            }
            Change::AttachRolePolicy { role, policy_arn } | Change::DetachRolePolicy { role, policy_arn } => {
                let answer = self
                    .iam
                    .list_attached_role_policies()
                    .role_name(role)
                    .send()
                    .await
                    .map_err(|e| failure("iam:ListAttachedRolePolicies", &e))?;
                let attached: Vec<String> = answer.attached_policies().iter().filter_map(|p| p.policy_arn().map(str::to_string)).collect();
                let present = attached.contains(policy_arn);
                let done = if matches!(change, Change::AttachRolePolicy { .. }) { present } else { !present };
                Ok(Look { state: json!({"RoleName": role, "AttachedPolicies": attached}), done, previous: None })
            }
            Change::SetRepositoryPolicy { registry, region, repository, policy, .. } => {
                let now = self.repository_policy(registry, region, repository).await?;
                let parsed = |text: &str| serde_json::from_str::<Value>(text).ok();
                let done = now.as_deref().and_then(parsed).is_some_and(|n| Some(n) == parsed(policy));
                Ok(Look { state: json!({"RepositoryName": repository, "RegistryId": registry, "PolicyText": now}), done, previous: now })
            }
            Change::DeleteRepositoryPolicy { registry, region, repository } => {
                let now = self.repository_policy(registry, region, repository).await?;
                Ok(Look {
                    state: json!({"RepositoryName": repository, "RegistryId": registry, "PolicyText": now}),
                    done: now.is_none(),
                    previous: now,
                })
            }
            Change::RefreshPullSecret { namespace, name, registry, .. } => {
                let registries = self.cluster("get secrets")?.secret_registries(namespace, name).await?;
                // A refresh always writes a new token: the diagnosis decides whether one is needed.
                Ok(Look {
                    state: json!({"Secret": format!("{namespace}/{name}"), "Registries": registries, "Refreshes": registry}),
                    done: false,
                    previous: None,
                })
            }
        }
    }
}
