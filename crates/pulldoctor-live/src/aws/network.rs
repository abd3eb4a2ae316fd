//! The nodes' VPCs and everything inside them that a pull can cross.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{Filter, VpcAttributeName};
use serde_json::json;

use futures_util::future::join_all;

use super::shapes::{self};
use super::{AwsOptions, FILTER_VALUES, Run, filter};
use crate::Failed;

/// The VPCs to read: `--vpc`, else those of the nodes' instances, else `None` (every VPC).
pub(super) async fn scope_vpcs(run: &Run<'_>, ec2: &aws_sdk_ec2::Client, options: &AwsOptions) -> Option<Vec<String>> {
    if !options.vpc_ids.is_empty() {
        return Some(options.vpc_ids.clone());
    }
    if options.instance_ids.is_empty() && options.node_addresses.is_empty() {
        return None;
    }
    let lookups = options
        .instance_ids
        .chunks(FILTER_VALUES)
        .map(|ids| filter("instance-id", ids))
        .chain(options.node_addresses.chunks(FILTER_VALUES).map(|ips| filter("private-ip-address", ips)))
        .map(|f| run.call("ec2:DescribeInstances", ec2.describe_instances().filters(f).into_paginator().items().send().try_collect()));
    let mut vpcs = BTreeSet::new();
    let mut answered = false;
    for reservations in join_all(lookups).await.into_iter().flatten() {
        answered = true;
        vpcs.extend(reservations.iter().flat_map(|r| r.instances()).filter_map(|i| i.vpc_id().map(str::to_string)));
    }
    if answered && vpcs.is_empty() {
        run.fail(Failed {
            call: "ec2:DescribeInstances".into(),
            denied: false,
            message: {
                let count = options.instance_ids.len() + options.node_addresses.len();
                let named = options.instance_ids.iter().chain(&options.node_addresses).take(3).cloned().collect::<Vec<_>>().join(", ");
                if count == 1 {
                    format!("the cluster's only node instance ({named}) is not in this account and region: check --profile and --region")
                } else {
                    format!(
                        "none of the cluster's {count} node instances ({named}) is in this account and region: check --profile and --region"
                    )
                }
            },
            detail: None,
        });
    }
    // The lookup failing (denied) leaves no scope: read every VPC rather than none.
    answered.then(|| vpcs.into_iter().collect())
}

/// Everything a pull can cross inside the VPCs (`None`: every VPC). Returns the instance profile
/// ARNs of the instances found, whose roles are the ones IAM is cut down to.
pub(super) async fn network(run: &Run<'_>, ec2: &aws_sdk_ec2::Client, vpcs: Option<&[String]>) -> BTreeSet<String> {
    let in_vpcs = |name: &str| vpcs.map(|v| vec![filter(name, v)]);
    let found = listing!(run, "ec2:DescribeVpcs", "Vpcs", ec2.describe_vpcs().set_vpc_ids(vpcs.map(<[String]>::to_vec)), shapes::vpc).await;
    let vpc_ids: Vec<String> = found.iter().flatten().filter_map(|v| v.vpc_id().map(str::to_string)).collect();
    // the DHCP options sets the VPCs use: which DNS servers their instances ask
    let mut dhcp_ids: Vec<String> =
        found.iter().flatten().filter_map(|v| v.dhcp_options_id()).filter(|id| *id != "default").map(str::to_string).collect();
    dhcp_ids.sort();
    dhcp_ids.dedup();
    let dhcp = async {
        if !dhcp_ids.is_empty() {
            listing!(
                run,
                "ec2:DescribeDhcpOptions",
                "DhcpOptions",
                ec2.describe_dhcp_options().set_dhcp_options_ids(Some(dhcp_ids.clone())),
                shapes::dhcp_options
            )
            .await;
        }
    };

    let attributes = vpc_ids.iter().flat_map(|vpc| {
        [(VpcAttributeName::EnableDnsSupport, "EnableDnsSupport"), (VpcAttributeName::EnableDnsHostnames, "EnableDnsHostnames")].map(
            |(attribute, key)| async move {
                let answer =
                    run.call("ec2:DescribeVpcAttribute", ec2.describe_vpc_attribute().vpc_id(vpc).attribute(attribute).send()).await;
                if let Some(output) = answer {
                    let value = match key {
                        "EnableDnsSupport" => output.enable_dns_support().and_then(|a| a.value()),
                        _ => output.enable_dns_hostnames().and_then(|a| a.value()),
                    };
                    run.file(
                        format!("aws/ec2-describe-vpc-attribute-{vpc}-{key}.json"),
                        json!({"VpcId": vpc, key: {"Value": value.unwrap_or(false)}}),
                    );
                }
            },
        )
    });

    let subnets = listing!(run, "ec2:DescribeSubnets", "Subnets", ec2.describe_subnets().set_filters(in_vpcs("vpc-id")), shapes::subnet);
    let route_tables = listing!(
        run,
        "ec2:DescribeRouteTables",
        "RouteTables",
        ec2.describe_route_tables().set_filters(in_vpcs("vpc-id")),
        shapes::route_table
    );
    let nat_gateways = listing!(
        run,
        "ec2:DescribeNatGateways",
        "NatGateways",
        ec2.describe_nat_gateways().set_filter(in_vpcs("vpc-id")),
        shapes::nat_gateway
    );
    // Internet gateways are few per region, and one detached from the VPC (still the target of
    // its routes) is exactly what must be seen: read them all.
    let internet_gateways =
        listing!(run, "ec2:DescribeInternetGateways", "InternetGateways", ec2.describe_internet_gateways(), shapes::internet_gateway);
    let egress_only_gateways = listing!(
        run,
        "ec2:DescribeEgressOnlyInternetGateways",
        "EgressOnlyInternetGateways",
        ec2.describe_egress_only_internet_gateways(),
        shapes::egress_only_gateway
    );
    let endpoints = listing!(
        run,
        "ec2:DescribeVpcEndpoints",
        "VpcEndpoints",
        ec2.describe_vpc_endpoints().set_filters(in_vpcs("vpc-id")),
        shapes::vpc_endpoint
    );
    let security_groups = listing!(
        run,
        "ec2:DescribeSecurityGroups",
        "SecurityGroups",
        ec2.describe_security_groups().set_filters(in_vpcs("vpc-id")),
        shapes::security_group
    );
    let network_acls = listing!(
        run,
        "ec2:DescribeNetworkAcls",
        "NetworkAcls",
        ec2.describe_network_acls().set_filters(in_vpcs("vpc-id")),
        shapes::network_acl
    );
    let instances = async {
        let items = listing!(
            run,
            "ec2:DescribeInstances",
            "Reservations",
            ec2.describe_instances().set_filters(in_vpcs("vpc-id")),
            shapes::reservation
        )
        .await
        .unwrap_or_default();
        items
            .iter()
            .flat_map(|r| r.instances())
            .filter_map(|i| i.iam_instance_profile().and_then(|p| p.arn()).map(str::to_string))
            .collect::<BTreeSet<String>>()
    };
    let interfaces = listing!(
        run,
        "ec2:DescribeNetworkInterfaces",
        "NetworkInterfaces",
        ec2.describe_network_interfaces().set_filters(in_vpcs("vpc-id")),
        shapes::network_interface
    );
    let prefix_lists = async {
        listing!(run, "ec2:DescribePrefixLists", "PrefixLists", ec2.describe_prefix_lists(), shapes::prefix_list).await;
        // Customer-managed lists (routes and security groups can name them) and their entries.
        let managed = listing!(
            run,
            "ec2:DescribeManagedPrefixLists",
            "PrefixLists",
            ec2.describe_managed_prefix_lists(),
            shapes::managed_prefix_list
        )
        .await;
        let own: Vec<String> = managed
            .unwrap_or_default()
            .iter()
            .filter(|p| p.owner_id() != Some("AWS"))
            .filter_map(|p| p.prefix_list_id().map(str::to_string))
            .collect();
        join_all(own.iter().map(|id| async move {
            let entries = run
                .call(
                    "ec2:GetManagedPrefixListEntries",
                    ec2.get_managed_prefix_list_entries().prefix_list_id(id).into_paginator().items().send().try_collect(),
                )
                .await;
            // the output names no prefix list: the file name carries it
            run.listing(&format!("aws/ec2-get-managed-prefix-list-entries-{id}.json"), "Entries", entries, shapes::prefix_list_entry);
        }))
        .await;
    };
    let peering = async {
        let sides: Vec<(&str, Option<Vec<Filter>>)> = match vpcs {
            Some(_) => vec![("requester", in_vpcs("requester-vpc-info.vpc-id")), ("accepter", in_vpcs("accepter-vpc-info.vpc-id"))],
            None => vec![("all", None)],
        };
        join_all(sides.into_iter().map(|(side, filters)| async move {
            let items = run
                .call(
                    "ec2:DescribeVpcPeeringConnections",
                    ec2.describe_vpc_peering_connections().set_filters(filters).into_paginator().items().send().try_collect(),
                )
                .await;
            run.listing(&format!("aws/ec2-describe-vpc-peering-connections-{side}.json"), "VpcPeeringConnections", items, shapes::peering);
        }))
        .await;
    };
    let transit = listing!(
        run,
        "ec2:DescribeTransitGatewayAttachments",
        "TransitGatewayAttachments",
        ec2.describe_transit_gateway_attachments().set_filters(in_vpcs("resource-id")),
        shapes::transit_gateway_attachment
    );
    let (_, _, _, _, _, _, _, _, _, _, profiles, _, _, _, _) = tokio::join!(
        join_all(attributes),
        dhcp,
        subnets,
        route_tables,
        nat_gateways,
        internet_gateways,
        egress_only_gateways,
        endpoints,
        security_groups,
        network_acls,
        instances,
        interfaces,
        prefix_lists,
        peering,
        transit
    );
    profiles
}
