//! Carrying out a fix's [`Change`]s through the EC2 API: look at what is there now, check the call
//! with `DryRun`, make it, and return it with what it created (an association's or an endpoint's
//! id) or replaced (a route's old target), so its undo is exact.
//!
//! The caller (`pulldoctor fix`) decides whether to act; this module only makes the calls it is
//! given. Nothing here deletes except the undo calls of changes pulldoctor itself made.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, IpPermission, IpRange, Ipv6Range, PortRange, PrefixListId, RuleAction, VpcAttributeName, VpcEndpointType,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use pulldoctor_diagnosis::change::{Change, Destination};
use serde_json::{Value, json};

use crate::aws::{failure, sdk_config};
use crate::{Cluster, Failed};

/// Makes changes in one account: EC2 in one region, IAM, ECR in the registry's region, and (for
/// a pull secret's refresh) the cluster.
pub struct Fixer {
    client: Client,
    sts: aws_sdk_sts::Client,
    iam: aws_sdk_iam::Client,
    config: aws_config::SdkConfig,
    cluster: Option<Cluster>,
}

/// What a change touches, as it is now.
#[derive(Debug, Clone)]
pub struct Look {
    /// The resource's relevant state (routes, rules, attachments), for the change record.
    pub state: Value,
    /// The change is already in effect: making it again would change nothing.
    pub done: bool,
    /// What a route's destination points at now (its target id), for `ReplaceRoute`'s undo.
    pub previous: Option<String>,
}

/// How a `DryRun` check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// `DryRunOperation`: permitted and valid, nothing changed.
    WouldSucceed,
    /// The endpoint ignored `DryRun` and made the change (moto does for several calls): the
    /// change, with what it created, as made.
    Made(Change),
    /// `ModifyVpcAttribute` takes no `DryRun`.
    NotSupported,
}

enum Sent<T> {
    Done(T),
    WouldSucceed,
}

fn settle<T, E: ProvideErrorMetadata + std::error::Error + 'static>(
    call: &str,
    result: Result<T, SdkError<E, HttpResponse>>,
) -> Result<Sent<T>, Failed> {
    match result {
        Ok(value) => Ok(Sent::Done(value)),
        Err(error) if error.code() == Some("DryRunOperation") => Ok(Sent::WouldSucceed),
        Err(error) => Err(failure(call, &error)),
    }
}

fn route_target(route: &aws_sdk_ec2::types::Route) -> Option<String> {
    route
        .nat_gateway_id()
        .or(route.gateway_id())
        .or(route.transit_gateway_id())
        .or(route.vpc_peering_connection_id())
        .or(route.network_interface_id())
        .or(route.egress_only_internet_gateway_id())
        .or(route.instance_id())
        .map(str::to_string)
}

fn route_destination(route: &aws_sdk_ec2::types::Route) -> Option<&str> {
    route.destination_cidr_block().or(route.destination_ipv6_cidr_block()).or(route.destination_prefix_list_id())
}

fn permission(port: u16, peer: &Destination) -> IpPermission {
    let builder = IpPermission::builder().ip_protocol("tcp").from_port(i32::from(port)).to_port(i32::from(port));
    match peer {
        Destination::Cidr(cidr) => builder.ip_ranges(IpRange::builder().cidr_ip(cidr).build()),
        Destination::Ipv6Cidr(cidr) => builder.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(cidr).build()),
        Destination::PrefixList(list) => builder.prefix_list_ids(PrefixListId::builder().prefix_list_id(list).build()),
    }
    .build()
}

/// Whether `rules` hold a tcp rule covering `port` for `peer` exactly.
fn has_rule(rules: &[IpPermission], port: u16, peer: &Destination) -> bool {
    let port = i32::from(port);
    rules.iter().any(|rule| {
        let protocol = rule.ip_protocol().unwrap_or_default();
        let covers =
            protocol == "-1" || (protocol == "tcp" && rule.from_port().unwrap_or(0) <= port && rule.to_port().unwrap_or(65535) >= port);
        covers
            && match peer {
                Destination::Cidr(cidr) => rule.ip_ranges().iter().any(|r| r.cidr_ip() == Some(cidr)),
                Destination::Ipv6Cidr(cidr) => rule.ipv6_ranges().iter().any(|r| r.cidr_ipv6() == Some(cidr)),
                Destination::PrefixList(list) => rule.prefix_list_ids().iter().any(|p| p.prefix_list_id() == Some(list)),
            }
    })
}

fn rules_json(rules: &[IpPermission]) -> Value {
    Value::Array(
        rules
            .iter()
            .map(|r| {
                json!({
                    "IpProtocol": r.ip_protocol(),
                    "FromPort": r.from_port(),
                    "ToPort": r.to_port(),
                    "IpRanges": r.ip_ranges().iter().filter_map(|x| x.cidr_ip()).collect::<Vec<_>>(),
                    "Ipv6Ranges": r.ipv6_ranges().iter().filter_map(|x| x.cidr_ipv6()).collect::<Vec<_>>(),
                    "PrefixListIds": r.prefix_list_ids().iter().filter_map(|x| x.prefix_list_id()).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

impl Fixer {
    /// Clients for the account and region the standard chain (or `profile`, `region`) gives.
    pub async fn connect(profile: Option<&str>, region: Option<&str>) -> Result<Fixer, Failed> {
        let config = sdk_config(profile, region).await;
        if config.region().is_none() {
            return Err(Failed {
                call: "aws".into(),
                denied: false,
                message: "no AWS region: give --region or set AWS_REGION".into(),
                detail: None,
            });
        }
        Ok(Fixer {
            client: Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            config,
            cluster: None,
        })
    }

    /// The cluster, for changes to it (a pull secret's refresh).
    pub fn with_cluster(mut self, cluster: Cluster) -> Fixer {
        self.cluster = Some(cluster);
        self
    }

    fn ecr(&self, region: &str) -> aws_sdk_ecr::Client {
        aws_sdk_ecr::Client::from_conf(
            aws_sdk_ecr::config::Builder::from(&self.config).region(aws_config::Region::new(region.to_string())).build(),
        )
    }

    fn cluster(&self, call: &str) -> Result<&Cluster, Failed> {
        self.cluster.as_ref().ok_or_else(|| Failed {
            call: call.into(),
            denied: false,
            message: "no cluster connection for this change".into(),
            detail: None,
        })
    }

    /// The repository's policy now (`None`: it has none).
    async fn repository_policy(&self, registry: &str, region: &str, repository: &str) -> Result<Option<String>, Failed> {
        match self.ecr(region).get_repository_policy().registry_id(registry).repository_name(repository).send().await {
            Ok(answer) => Ok(answer.policy_text().map(str::to_string)),
            Err(error) if error.code() == Some("RepositoryPolicyNotFoundException") => Ok(None),
            Err(error) => Err(failure("ecr:GetRepositoryPolicy", &error)),
        }
    }

    /// Who makes the changes: (account, ARN).
    pub async fn caller(&self) -> Result<(String, String), Failed> {
        let identity = self.sts.get_caller_identity().send().await.map_err(|e| failure("sts:GetCallerIdentity", &e))?;
        Ok((identity.account().unwrap_or_default().to_string(), identity.arn().unwrap_or_default().to_string()))
    }

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
                let answer = self
                    .client
                    .describe_vpc_endpoints()
                    .filters(filter("vpc-id", vpc))
                    .filters(filter("service-name", service))
                    .send()
                    .await
                    .map_err(|e| failure("ec2:DescribeVpcEndpoints", &e))?;
                let live: Vec<_> = answer
                    .vpc_endpoints()
                    .iter()
                    .filter(|e| e.state().is_none_or(|s| s.as_str().to_ascii_lowercase() != "deleted"))
                    .collect();
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
                let answer = self
                    .client
                    .describe_vpc_endpoints()
                    .filters(filter("vpc-id", vpc))
                    .filters(filter("service-name", service))
                    .send()
                    .await
                    .map_err(|e| failure("ec2:DescribeVpcEndpoints", &e))?;
                let live: Vec<&aws_sdk_ec2::types::VpcEndpoint> = answer
                    .vpc_endpoints()
                    .iter()
                    .filter(|e| e.state().is_none_or(|s| !s.as_str().eq_ignore_ascii_case("deleted")))
                    .collect();
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

    /// Check `change` with `DryRun` (permission and validity, no change).
    pub async fn check(&self, change: &Change) -> Result<Checked, Failed> {
        if !change.supports_dry_run() || !change.is_ec2() {
            return Ok(Checked::NotSupported);
        }
        Ok(match self.send(change, true).await? {
            Sent::WouldSucceed => Checked::WouldSucceed,
            Sent::Done(made) => Checked::Made(made),
        })
    }

    /// Make `change`; it comes back with what it created filled in.
    pub async fn make(&self, change: &Change) -> Result<Change, Failed> {
        match self.send(change, false).await? {
            Sent::Done(made) => Ok(made),
            // Only a DryRun call answers DryRunOperation.
            Sent::WouldSucceed => Err(Failed {
                call: change.api_call(),
                denied: false,
                message: "the endpoint answered DryRunOperation to a real call".into(),
                detail: None,
            }),
        }
    }

    async fn send(&self, change: &Change, dry: bool) -> Result<Sent<Change>, Failed> {
        let call = change.api_call();
        let call = call.split(' ').next().unwrap_or_default();
        let same = |sent: Sent<()>| match sent {
            Sent::Done(()) => Sent::Done(change.clone()),
            Sent::WouldSucceed => Sent::WouldSucceed,
        };
        let c = &self.client;
        Ok(match change {
            Change::CreateRoute { table, destination, target } => {
                let mut request = c.create_route().route_table_id(table).dry_run(dry);
                request = match destination {
                    Destination::Cidr(d) => request.destination_cidr_block(d),
                    Destination::Ipv6Cidr(d) => request.destination_ipv6_cidr_block(d),
                    Destination::PrefixList(d) => request.destination_prefix_list_id(d),
                };
                request = match target.split('-').next().unwrap_or_default() {
                    "nat" => request.nat_gateway_id(target),
                    "tgw" => request.transit_gateway_id(target),
                    "pcx" => request.vpc_peering_connection_id(target),
                    "eni" => request.network_interface_id(target),
                    "eigw" => request.egress_only_internet_gateway_id(target),
                    _ => request.gateway_id(target),
                };
                same(settle(call, request.send().await.map(|_| ()))?)
            }
            Change::ReplaceRoute { table, destination, target, .. } => {
                let mut request = c.replace_route().route_table_id(table).dry_run(dry);
                request = match destination {
                    Destination::Cidr(d) => request.destination_cidr_block(d),
                    Destination::Ipv6Cidr(d) => request.destination_ipv6_cidr_block(d),
                    Destination::PrefixList(d) => request.destination_prefix_list_id(d),
                };
                request = match target.split('-').next().unwrap_or_default() {
                    "nat" => request.nat_gateway_id(target),
                    "tgw" => request.transit_gateway_id(target),
                    "pcx" => request.vpc_peering_connection_id(target),
                    "eni" => request.network_interface_id(target),
                    "eigw" => request.egress_only_internet_gateway_id(target),
                    _ => request.gateway_id(target),
                };
                same(settle(call, request.send().await.map(|_| ()))?)
            }
            Change::DeleteRoute { table, destination } => {
                let mut request = c.delete_route().route_table_id(table).dry_run(dry);
                request = match destination {
                    Destination::Cidr(d) => request.destination_cidr_block(d),
                    Destination::Ipv6Cidr(d) => request.destination_ipv6_cidr_block(d),
                    Destination::PrefixList(d) => request.destination_prefix_list_id(d),
                };
                same(settle(call, request.send().await.map(|_| ()))?)
            }
            Change::AssociateRouteTable { table, subnet, .. } => {
                match settle(call, c.associate_route_table().route_table_id(table).subnet_id(subnet).dry_run(dry).send().await)? {
                    Sent::WouldSucceed => Sent::WouldSucceed,
                    Sent::Done(answer) => Sent::Done(Change::AssociateRouteTable {
                        table: table.clone(),
                        subnet: subnet.clone(),
                        association: answer.association_id().map(str::to_string),
                    }),
                }
            }
            Change::DisassociateRouteTable { association } => {
                same(settle(call, c.disassociate_route_table().association_id(association).dry_run(dry).send().await.map(|_| ()))?)
            }
            Change::AttachInternetGateway { gateway, vpc } => same(settle(
                call,
                c.attach_internet_gateway().internet_gateway_id(gateway).vpc_id(vpc).dry_run(dry).send().await.map(|_| ()),
            )?),
            Change::DetachInternetGateway { gateway, vpc } => same(settle(
                call,
                c.detach_internet_gateway().internet_gateway_id(gateway).vpc_id(vpc).dry_run(dry).send().await.map(|_| ()),
            )?),
            Change::SecurityGroupEgress { group, port, peer, allow: true } => same(settle(
                call,
                c.authorize_security_group_egress()
                    .group_id(group)
                    .ip_permissions(permission(*port, peer))
                    .dry_run(dry)
                    .send()
                    .await
                    .map(|_| ()),
            )?),
            Change::SecurityGroupEgress { group, port, peer, allow: false } => same(settle(
                call,
                c.revoke_security_group_egress()
                    .group_id(group)
                    .ip_permissions(permission(*port, peer))
                    .dry_run(dry)
                    .send()
                    .await
                    .map(|_| ()),
            )?),
            Change::SecurityGroupIngress { group, port, cidr, allow: true } => same(settle(
                call,
                c.authorize_security_group_ingress()
                    .group_id(group)
                    .ip_permissions(permission(*port, &Destination::Cidr(cidr.clone())))
                    .dry_run(dry)
                    .send()
                    .await
                    .map(|_| ()),
            )?),
            Change::SecurityGroupIngress { group, port, cidr, allow: false } => same(settle(
                call,
                c.revoke_security_group_ingress()
                    .group_id(group)
                    .ip_permissions(permission(*port, &Destination::Cidr(cidr.clone())))
                    .dry_run(dry)
                    .send()
                    .await
                    .map(|_| ()),
            )?),
            Change::CreateNetworkAclEntry { acl, egress, rule_number, from, to, cidr } => same(settle(
                call,
                c.create_network_acl_entry()
                    .network_acl_id(acl)
                    .egress(*egress)
                    .rule_number(*rule_number)
                    .protocol("6")
                    .port_range(PortRange::builder().from(i32::from(*from)).to(i32::from(*to)).build())
                    .cidr_block(cidr)
                    .rule_action(RuleAction::Allow)
                    .dry_run(dry)
                    .send()
                    .await
                    .map(|_| ()),
            )?),
            Change::DeleteNetworkAclEntry { acl, egress, rule_number } => same(settle(
                call,
                c.delete_network_acl_entry()
                    .network_acl_id(acl)
                    .egress(*egress)
                    .rule_number(*rule_number)
                    .dry_run(dry)
                    .send()
                    .await
                    .map(|_| ()),
            )?),
            Change::EndpointPrivateDns { endpoint, enabled } => same(settle(
                call,
                c.modify_vpc_endpoint().vpc_endpoint_id(endpoint).private_dns_enabled(*enabled).dry_run(dry).send().await.map(|_| ()),
            )?),
            Change::EndpointRouteTable { endpoint, table, add } => {
                let request = c.modify_vpc_endpoint().vpc_endpoint_id(endpoint).dry_run(dry);
                let request = if *add { request.add_route_table_ids(table) } else { request.remove_route_table_ids(table) };
                same(settle(call, request.send().await.map(|_| ()))?)
            }
            Change::CreateGatewayEndpoint { vpc, service, table, .. } => {
                let request = c
                    .create_vpc_endpoint()
                    .vpc_id(vpc)
                    .vpc_endpoint_type(VpcEndpointType::Gateway)
                    .service_name(service)
                    .route_table_ids(table)
                    .dry_run(dry);
                match settle(call, request.send().await)? {
                    Sent::WouldSucceed => Sent::WouldSucceed,
                    Sent::Done(answer) => Sent::Done(Change::CreateGatewayEndpoint {
                        vpc: vpc.clone(),
                        service: service.clone(),
                        table: table.clone(),
                        endpoint: answer.vpc_endpoint().and_then(|e| e.vpc_endpoint_id()).map(str::to_string),
                    }),
                }
            }
            Change::CreateSecurityGroup { vpc, name, description, port, cidrs, .. } => {
                let request = c.create_security_group().vpc_id(vpc).group_name(name).description(description).dry_run(dry);
                match settle(call, request.send().await)? {
                    Sent::WouldSucceed => Sent::WouldSucceed,
                    Sent::Done(answer) => {
                        let group = answer.group_id().unwrap_or_default().to_string();
                        for cidr in cidrs {
                            let rule = permission(*port, &Destination::Cidr(cidr.clone()));
                            c.authorize_security_group_ingress()
                                .group_id(&group)
                                .ip_permissions(rule)
                                .send()
                                .await
                                .map_err(|e| failure("ec2:AuthorizeSecurityGroupIngress", &e))?;
                        }
                        Sent::Done(Change::CreateSecurityGroup {
                            vpc: vpc.clone(),
                            name: name.clone(),
                            description: description.clone(),
                            port: *port,
                            cidrs: cidrs.clone(),
                            group: Some(group),
                        })
                    }
                }
            }
            Change::DeleteSecurityGroup { group } => {
                same(settle(call, c.delete_security_group().group_id(group).dry_run(dry).send().await.map(|_| ()))?)
            }
            Change::CreateInterfaceEndpoint { vpc, service, subnets, groups, .. } => {
                let request = c
                    .create_vpc_endpoint()
                    .vpc_id(vpc)
                    .vpc_endpoint_type(VpcEndpointType::Interface)
                    .service_name(service)
                    .set_subnet_ids(Some(subnets.clone()))
                    .set_security_group_ids(Some(groups.clone()))
                    .private_dns_enabled(true)
                    .dry_run(dry);
                match settle(call, request.send().await)? {
                    Sent::WouldSucceed => Sent::WouldSucceed,
                    Sent::Done(answer) => Sent::Done(Change::CreateInterfaceEndpoint {
                        vpc: vpc.clone(),
                        service: service.clone(),
                        subnets: subnets.clone(),
                        groups: groups.clone(),
                        endpoint: answer.vpc_endpoint().and_then(|e| e.vpc_endpoint_id()).map(str::to_string),
                    }),
                }
            }
            Change::DeleteVpcEndpoint { endpoint } => {
                same(settle(call, c.delete_vpc_endpoints().vpc_endpoint_ids(endpoint).dry_run(dry).send().await.map(|_| ()))?)
            }
            Change::VpcDnsSupport { vpc, enabled } => same(settle(
                call,
                c.modify_vpc_attribute()
                    .vpc_id(vpc)
                    .enable_dns_support(AttributeBooleanValue::builder().value(*enabled).build())
                    .send()
                    .await
                    .map(|_| ()),
            )?),
            // Not EC2: no DryRun (the caller asks only EC2 changes to check).
            Change::AttachRolePolicy { role, policy_arn } => {
                self.iam
                    .attach_role_policy()
                    .role_name(role)
                    .policy_arn(policy_arn)
                    .send()
                    .await
                    .map_err(|e| failure("iam:AttachRolePolicy", &e))?;
                Sent::Done(change.clone())
            }
            Change::DetachRolePolicy { role, policy_arn } => {
                self.iam
                    .detach_role_policy()
                    .role_name(role)
                    .policy_arn(policy_arn)
                    .send()
                    .await
                    .map_err(|e| failure("iam:DetachRolePolicy", &e))?;
                Sent::Done(change.clone())
            }
            Change::SetRepositoryPolicy { registry, region, repository, policy, .. } => {
                self.ecr(region)
                    .set_repository_policy()
                    .registry_id(registry)
                    .repository_name(repository)
                    .policy_text(policy)
                    .send()
                    .await
                    .map_err(|e| failure("ecr:SetRepositoryPolicy", &e))?;
                Sent::Done(change.clone())
            }
            Change::DeleteRepositoryPolicy { registry, region, repository } => {
                self.ecr(region)
                    .delete_repository_policy()
                    .registry_id(registry)
                    .repository_name(repository)
                    .send()
                    .await
                    .map_err(|e| failure("ecr:DeleteRepositoryPolicy", &e))?;
                Sent::Done(change.clone())
            }
            Change::RefreshPullSecret { namespace, name, registry, region } => {
                use base64::Engine as _;
                let answer =
                    self.ecr(region).get_authorization_token().send().await.map_err(|e| failure("ecr:GetAuthorizationToken", &e))?;
                let token = answer.authorization_data().first().and_then(|d| d.authorization_token()).unwrap_or_default();
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(token)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .unwrap_or_default();
                let Some((username, password)) = decoded.split_once(':') else {
                    return Err(Failed {
                        call: "ecr:GetAuthorizationToken".into(),
                        denied: false,
                        message: "the token is not base64 of USER:PASSWORD".into(),
                        detail: None,
                    });
                };
                self.cluster("update secrets")?.write_registry_credentials(namespace, name, registry, username, password).await?;
                Sent::Done(change.clone())
            }
        })
    }

    /// The table's routes, and the route for `destination` now: (target, active).
    async fn route(&self, table: &str, destination: &Destination) -> Result<(Value, Option<(String, bool)>), Failed> {
        let answer =
            self.client.describe_route_tables().route_table_ids(table).send().await.map_err(|e| failure("ec2:DescribeRouteTables", &e))?;
        let routes: Vec<_> = answer.route_tables().iter().flat_map(|t| t.routes()).collect();
        let state = json!({
            "RouteTableId": table,
            "Routes": routes.iter().map(|r| json!({"Destination": route_destination(r), "Target": route_target(r), "State": r.state().map(|s| s.as_str())})).collect::<Vec<_>>(),
        });
        let current = routes
            .iter()
            .find(|r| route_destination(r) == Some(destination.as_str()))
            .map(|r| (route_target(r).unwrap_or_default(), r.state().is_none_or(|s| s.as_str() == "active")));
        Ok((state, current))
    }

    async fn group_rules(&self, group: &str, egress: bool) -> Result<Vec<IpPermission>, Failed> {
        let answer =
            self.client.describe_security_groups().group_ids(group).send().await.map_err(|e| failure("ec2:DescribeSecurityGroups", &e))?;
        Ok(answer
            .security_groups()
            .iter()
            .flat_map(|g| if egress { g.ip_permissions_egress() } else { g.ip_permissions() })
            .cloned()
            .collect())
    }

    async fn endpoint(&self, endpoint: &str) -> Result<Option<aws_sdk_ec2::types::VpcEndpoint>, Failed> {
        match self.client.describe_vpc_endpoints().vpc_endpoint_ids(endpoint).send().await {
            Ok(answer) => Ok(answer.vpc_endpoints().first().cloned()),
            Err(error) if error.code().is_some_and(|c| c.starts_with("InvalidVpcEndpointId")) => Ok(None),
            Err(error) => Err(failure("ec2:DescribeVpcEndpoints", &error)),
        }
    }
}
