//! One change as its API call(s): with `DryRun` (EC2 only) or for real, returning the change with
//! what it created filled in.

use aws_sdk_ec2::types::{AttributeBooleanValue, PortRange, RuleAction, VpcEndpointType};
use pulldoctor_diagnosis::change::{Change, Destination};

use super::{Fixer, Sent, permission, settle};
use crate::Failed;
use crate::aws::failure;

/// Set a route request's destination: CreateRoute, ReplaceRoute and DeleteRoute are distinct
/// builder types with the same setters.
macro_rules! with_destination {
    ($request:expr, $destination:expr) => {
        match $destination {
            Destination::Cidr(d) => $request.destination_cidr_block(d),
            Destination::Ipv6Cidr(d) => $request.destination_ipv6_cidr_block(d),
            Destination::PrefixList(d) => $request.destination_prefix_list_id(d),
        }
    };
}

/// Set a route request's target by the kind its id names (`nat-`, `tgw-`, ...; else a gateway).
macro_rules! with_target {
    ($request:expr, $target:expr) => {
        match $target.split('-').next().unwrap_or_default() {
            "nat" => $request.nat_gateway_id($target),
            "tgw" => $request.transit_gateway_id($target),
            "pcx" => $request.vpc_peering_connection_id($target),
            "eni" => $request.network_interface_id($target),
            "eigw" => $request.egress_only_internet_gateway_id($target),
            _ => $request.gateway_id($target),
        }
    };
}

impl Fixer {
    pub(super) async fn send(&self, change: &Change, dry: bool) -> Result<Sent<Change>, Failed> {
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
                request = with_destination!(request, destination);
                request = with_target!(request, target);
                same(settle(call, request.send().await.map(|_| ()))?)
            }
            Change::ReplaceRoute { table, destination, target, .. } => {
                let mut request = c.replace_route().route_table_id(table).dry_run(dry);
                request = with_destination!(request, destination);
                request = with_target!(request, target);
                same(settle(call, request.send().await.map(|_| ()))?)
            }
            Change::DeleteRoute { table, destination } => {
                let mut request = c.delete_route().route_table_id(table).dry_run(dry);
                request = with_destination!(request, destination);
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
}
