//! Carrying out a fix's [`Change`]s through the EC2 API: look at what is there now, check the call
//! with `DryRun`, make it, and return it with what it created (an association's or an endpoint's
//! id) or replaced (a route's old target), so its undo is exact.
//!
//! The caller (`pulldoctor fix`) decides whether to act; this module only makes the calls it is
//! given. Nothing here deletes except the undo calls of changes pulldoctor itself made.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, Ipv6Range, PrefixListId};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use pulldoctor_diagnosis::change::{Change, Destination};
use serde_json::{Value, json};

use crate::aws::{failure, sdk_config};
use crate::{Cluster, Failed};

mod look;
mod send;

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

pub(super) enum Sent<T> {
    Done(T),
    WouldSucceed,
}

pub(super) fn settle<T, E: ProvideErrorMetadata + std::error::Error + 'static>(
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

pub(super) fn permission(port: u16, peer: &Destination) -> IpPermission {
    let builder = IpPermission::builder().ip_protocol("tcp").from_port(i32::from(port)).to_port(i32::from(port));
    match peer {
        Destination::Cidr(cidr) => builder.ip_ranges(IpRange::builder().cidr_ip(cidr).build()),
        Destination::Ipv6Cidr(cidr) => builder.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(cidr).build()),
        Destination::PrefixList(list) => builder.prefix_list_ids(PrefixListId::builder().prefix_list_id(list).build()),
    }
    .build()
}

/// Whether `rules` hold a tcp rule covering `port` for `peer` exactly.
pub(super) fn has_rule(rules: &[IpPermission], port: u16, peer: &Destination) -> bool {
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

pub(super) fn rules_json(rules: &[IpPermission]) -> Value {
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

pub(super) fn filter(name: &str, value: &str) -> Filter {
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

    pub(super) fn ecr(&self, region: &str) -> aws_sdk_ecr::Client {
        aws_sdk_ecr::Client::from_conf(
            aws_sdk_ecr::config::Builder::from(&self.config).region(aws_config::Region::new(region.to_string())).build(),
        )
    }

    pub(super) fn cluster(&self, call: &str) -> Result<&Cluster, Failed> {
        self.cluster.as_ref().ok_or_else(|| Failed {
            call: call.into(),
            denied: false,
            message: "no cluster connection for this change".into(),
            detail: None,
        })
    }

    /// The repository's policy now (`None`: it has none).
    pub(super) async fn repository_policy(&self, registry: &str, region: &str, repository: &str) -> Result<Option<String>, Failed> {
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

    /// The table's routes, and the route for `destination` now: (target, active).
    pub(super) async fn route(&self, table: &str, destination: &Destination) -> Result<(Value, Option<(String, bool)>), Failed> {
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

    pub(super) async fn group_rules(&self, group: &str, egress: bool) -> Result<Vec<IpPermission>, Failed> {
        let answer =
            self.client.describe_security_groups().group_ids(group).send().await.map_err(|e| failure("ec2:DescribeSecurityGroups", &e))?;
        Ok(answer
            .security_groups()
            .iter()
            .flat_map(|g| if egress { g.ip_permissions_egress() } else { g.ip_permissions() })
            .cloned()
            .collect())
    }

    /// The endpoints of `service` in `vpc` that are not deleted.
    pub(super) async fn endpoints_of(&self, vpc: &str, service: &str) -> Result<Vec<aws_sdk_ec2::types::VpcEndpoint>, Failed> {
        let answer = self
            .client
            .describe_vpc_endpoints()
            .filters(filter("vpc-id", vpc))
            .filters(filter("service-name", service))
            .send()
            .await
            .map_err(|e| failure("ec2:DescribeVpcEndpoints", &e))?;
        Ok(answer
            .vpc_endpoints()
            .iter()
            .filter(|e| e.state().is_none_or(|s| !s.as_str().eq_ignore_ascii_case("deleted")))
            .cloned()
            .collect())
    }

    pub(super) async fn endpoint(&self, endpoint: &str) -> Result<Option<aws_sdk_ec2::types::VpcEndpoint>, Failed> {
        match self.client.describe_vpc_endpoints().vpc_endpoint_ids(endpoint).send().await {
            Ok(answer) => Ok(answer.vpc_endpoints().first().cloned()),
            Err(error) if error.code().is_some_and(|c| c.starts_with("InvalidVpcEndpointId")) => Ok(None),
            Err(error) => Err(failure("ec2:DescribeVpcEndpoints", &error)),
        }
    }
}
