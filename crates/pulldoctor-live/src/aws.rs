//! AWS calls, each written as the JSON the AWS CLI prints for it.

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::VpcAttributeName;
use aws_smithy_types::date_time::Format;
use serde_json::{Map, Value, json};

use crate::{Collected, Failed, File};

/// Which credentials and region to use; `None` follows the standard chain and configuration.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// Only these VPCs (the ones holding the cluster's nodes); empty: every VPC the account shows.
    pub vpc_ids: Vec<String>,
    /// ECR repositories whose images and policy to read (`describe-images`, `get-repository-policy`).
    pub repositories: Vec<String>,
}

/// Build a JSON object from `(key, value)` pairs, leaving out absent values the way the CLI does.
fn object(pairs: Vec<(&str, Option<Value>)>) -> Value {
    let mut map = Map::new();
    for (key, value) in pairs {
        if let Some(value) = value {
            map.insert(key.to_string(), value);
        }
    }
    Value::Object(map)
}

fn text(value: Option<&str>) -> Option<Value> {
    value.map(|v| Value::String(v.to_string()))
}

fn list<T>(items: &[T], each: impl Fn(&T) -> Value) -> Option<Value> {
    Some(Value::Array(items.iter().map(each).collect()))
}

fn strings(items: &[String]) -> Option<Value> {
    Some(Value::Array(items.iter().map(|s| Value::String(s.clone())).collect()))
}

fn time(value: Option<&aws_smithy_types::DateTime>) -> Option<Value> {
    value.and_then(|t| t.fmt(Format::DateTime).ok()).map(Value::String)
}

fn tags(items: &[aws_sdk_ec2::types::Tag]) -> Option<Value> {
    list(items, |t| object(vec![("Key", text(t.key())), ("Value", text(t.value()))]))
}

fn failure<E: ProvideErrorMetadata + std::fmt::Debug>(call: &str, error: &E) -> Failed {
    let code = error.code().unwrap_or("");
    let denied = matches!(code, "UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException" | "UnauthorizedException");
    let message = match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        _ => format!("{error:?}").chars().take(300).collect(),
    };
    Failed { call: call.to_string(), denied, message }
}

/// Collect the AWS side of a bundle.
pub async fn collect_aws(options: &AwsOptions) -> Collected {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(RetryConfig::adaptive());
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &options.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    let config = loader.load().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let mut out = Collected::default();
    let vpc_filter = |name: &str| {
        (!options.vpc_ids.is_empty())
            .then(|| aws_sdk_ec2::types::Filter::builder().name(name).set_values(Some(options.vpc_ids.clone())).build())
    };

    macro_rules! record {
        ($call:expr, $name:expr, $key:expr, $result:expr, $each:expr) => {
            match $result {
                Ok(items) => out.files.push(File { name: $name.to_string(), json: json!({ $key: items.iter().map($each).collect::<Vec<Value>>() }) }),
                Err(error) => out.failed.push(failure($call, &error)),
            }
        };
    }

    // --- VPCs and their DNS attributes
    let vpcs = ec2
        .describe_vpcs()
        .set_vpc_ids((!options.vpc_ids.is_empty()).then(|| options.vpc_ids.clone()))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let vpc_ids: Vec<String> = vpcs.as_ref().map(|v| v.iter().filter_map(|v| v.vpc_id().map(str::to_string)).collect()).unwrap_or_default();
    record!("ec2:DescribeVpcs", "aws/ec2-describe-vpcs.json", "Vpcs", vpcs, |v: &aws_sdk_ec2::types::Vpc| object(vec![
        ("VpcId", text(v.vpc_id())),
        ("OwnerId", text(v.owner_id())),
        ("CidrBlock", text(v.cidr_block())),
        ("IsDefault", v.is_default().map(Value::Bool)),
        ("CidrBlockAssociationSet", list(v.cidr_block_association_set(), |a| object(vec![("CidrBlock", text(a.cidr_block()))]))),
        (
            "Ipv6CidrBlockAssociationSet",
            list(v.ipv6_cidr_block_association_set(), |a| object(vec![("Ipv6CidrBlock", text(a.ipv6_cidr_block()))]))
        ),
        ("Tags", tags(v.tags())),
    ]));
    for vpc in &vpc_ids {
        for (attribute, key) in
            [(VpcAttributeName::EnableDnsSupport, "EnableDnsSupport"), (VpcAttributeName::EnableDnsHostnames, "EnableDnsHostnames")]
        {
            match ec2.describe_vpc_attribute().vpc_id(vpc).attribute(attribute).send().await {
                Ok(output) => {
                    let value = match key {
                        "EnableDnsSupport" => output.enable_dns_support().and_then(|a| a.value()),
                        _ => output.enable_dns_hostnames().and_then(|a| a.value()),
                    };
                    out.files.push(File {
                        name: format!("aws/ec2-describe-vpc-attribute-{vpc}-{key}.json"),
                        json: json!({"VpcId": vpc, key: {"Value": value.unwrap_or(false)}}),
                    });
                }
                Err(error) => out.failed.push(failure("ec2:DescribeVpcAttribute", &error)),
            }
        }
    }

    // --- subnets and route tables
    record!(
        "ec2:DescribeSubnets",
        "aws/ec2-describe-subnets.json",
        "Subnets",
        ec2.describe_subnets().set_filters(vpc_filter("vpc-id").map(|f| vec![f])).into_paginator().items().send().try_collect().await,
        |s: &aws_sdk_ec2::types::Subnet| object(vec![
            ("SubnetId", text(s.subnet_id())),
            ("VpcId", text(s.vpc_id())),
            ("OwnerId", text(s.owner_id())),
            ("CidrBlock", text(s.cidr_block())),
            ("AvailabilityZone", text(s.availability_zone())),
            ("MapPublicIpOnLaunch", s.map_public_ip_on_launch().map(Value::Bool)),
            (
                "Ipv6CidrBlockAssociationSet",
                list(s.ipv6_cidr_block_association_set(), |a| object(vec![("Ipv6CidrBlock", text(a.ipv6_cidr_block()))]))
            ),
            ("Tags", tags(s.tags())),
        ])
    );
    record!(
        "ec2:DescribeRouteTables",
        "aws/ec2-describe-route-tables.json",
        "RouteTables",
        ec2.describe_route_tables().set_filters(vpc_filter("vpc-id").map(|f| vec![f])).into_paginator().items().send().try_collect().await,
        |t: &aws_sdk_ec2::types::RouteTable| object(vec![
            ("RouteTableId", text(t.route_table_id())),
            ("VpcId", text(t.vpc_id())),
            ("OwnerId", text(t.owner_id())),
            (
                "Associations",
                list(t.associations(), |a| object(vec![
                    ("Main", a.main().map(Value::Bool)),
                    ("RouteTableAssociationId", text(a.route_table_association_id())),
                    ("RouteTableId", text(a.route_table_id())),
                    ("SubnetId", text(a.subnet_id())),
                    ("AssociationState", a.association_state().map(|s| object(vec![("State", text(s.state().map(|x| x.as_str())))]))),
                ]))
            ),
            (
                "Routes",
                list(t.routes(), |r| object(vec![
                    ("DestinationCidrBlock", text(r.destination_cidr_block())),
                    ("DestinationIpv6CidrBlock", text(r.destination_ipv6_cidr_block())),
                    ("DestinationPrefixListId", text(r.destination_prefix_list_id())),
                    ("GatewayId", text(r.gateway_id())),
                    ("EgressOnlyInternetGatewayId", text(r.egress_only_internet_gateway_id())),
                    ("NatGatewayId", text(r.nat_gateway_id())),
                    ("TransitGatewayId", text(r.transit_gateway_id())),
                    ("VpcPeeringConnectionId", text(r.vpc_peering_connection_id())),
                    ("NetworkInterfaceId", text(r.network_interface_id())),
                    ("InstanceId", text(r.instance_id())),
                    ("LocalGatewayId", text(r.local_gateway_id())),
                    ("CarrierGatewayId", text(r.carrier_gateway_id())),
                    ("CoreNetworkArn", text(r.core_network_arn())),
                    ("Origin", text(r.origin().map(|x| x.as_str()))),
                    ("State", text(r.state().map(|x| x.as_str()))),
                ]))
            ),
            ("Tags", tags(t.tags())),
        ])
    );

    // --- gateways and endpoints
    record!(
        "ec2:DescribeNatGateways",
        "aws/ec2-describe-nat-gateways.json",
        "NatGateways",
        ec2.describe_nat_gateways().set_filter(vpc_filter("vpc-id").map(|f| vec![f])).into_paginator().items().send().try_collect().await,
        |n: &aws_sdk_ec2::types::NatGateway| object(vec![
            ("NatGatewayId", text(n.nat_gateway_id())),
            ("VpcId", text(n.vpc_id())),
            ("SubnetId", text(n.subnet_id())),
            ("State", text(n.state().map(|x| x.as_str()))),
            ("ConnectivityType", text(n.connectivity_type().map(|x| x.as_str()))),
            ("FailureMessage", text(n.failure_message())),
            (
                "NatGatewayAddresses",
                list(n.nat_gateway_addresses(), |a| object(vec![("PublicIp", text(a.public_ip())), ("PrivateIp", text(a.private_ip()))]))
            ),
        ])
    );
    record!(
        "ec2:DescribeInternetGateways",
        "aws/ec2-describe-internet-gateways.json",
        "InternetGateways",
        ec2.describe_internet_gateways().into_paginator().items().send().try_collect().await,
        |g: &aws_sdk_ec2::types::InternetGateway| object(vec![
            ("InternetGatewayId", text(g.internet_gateway_id())),
            ("OwnerId", text(g.owner_id())),
            (
                "Attachments",
                list(g.attachments(), |a| object(vec![("VpcId", text(a.vpc_id())), ("State", text(a.state().map(|x| x.as_str())))]))
            ),
        ])
    );
    record!(
        "ec2:DescribeEgressOnlyInternetGateways",
        "aws/ec2-describe-egress-only-internet-gateways.json",
        "EgressOnlyInternetGateways",
        ec2.describe_egress_only_internet_gateways().into_paginator().items().send().try_collect().await,
        |g: &aws_sdk_ec2::types::EgressOnlyInternetGateway| object(vec![
            ("EgressOnlyInternetGatewayId", text(g.egress_only_internet_gateway_id())),
            (
                "Attachments",
                list(g.attachments(), |a| object(vec![("VpcId", text(a.vpc_id())), ("State", text(a.state().map(|x| x.as_str())))]))
            ),
        ])
    );
    record!(
        "ec2:DescribeVpcEndpoints",
        "aws/ec2-describe-vpc-endpoints.json",
        "VpcEndpoints",
        ec2.describe_vpc_endpoints().set_filters(vpc_filter("vpc-id").map(|f| vec![f])).into_paginator().items().send().try_collect().await,
        |e: &aws_sdk_ec2::types::VpcEndpoint| object(vec![
            ("VpcEndpointId", text(e.vpc_endpoint_id())),
            ("VpcId", text(e.vpc_id())),
            ("ServiceName", text(e.service_name())),
            ("VpcEndpointType", text(e.vpc_endpoint_type().map(|x| x.as_str()))),
            ("State", text(e.state().map(|x| x.as_str()))),
            ("PrivateDnsEnabled", e.private_dns_enabled().map(Value::Bool)),
            ("SubnetIds", strings(e.subnet_ids())),
            ("RouteTableIds", strings(e.route_table_ids())),
            ("NetworkInterfaceIds", strings(e.network_interface_ids())),
            ("Groups", list(e.groups(), |g| object(vec![("GroupId", text(g.group_id())), ("GroupName", text(g.group_name()))]))),
            ("PolicyDocument", text(e.policy_document())),
        ])
    );

    // --- security groups and ACLs
    let permission = |p: &aws_sdk_ec2::types::IpPermission| {
        object(vec![
            ("IpProtocol", text(p.ip_protocol())),
            ("FromPort", p.from_port().map(Value::from)),
            ("ToPort", p.to_port().map(Value::from)),
            ("IpRanges", list(p.ip_ranges(), |r| object(vec![("CidrIp", text(r.cidr_ip()))]))),
            ("Ipv6Ranges", list(p.ipv6_ranges(), |r| object(vec![("CidrIpv6", text(r.cidr_ipv6()))]))),
            ("PrefixListIds", list(p.prefix_list_ids(), |r| object(vec![("PrefixListId", text(r.prefix_list_id()))]))),
            (
                "UserIdGroupPairs",
                list(p.user_id_group_pairs(), |r| object(vec![("GroupId", text(r.group_id())), ("UserId", text(r.user_id()))])),
            ),
        ])
    };
    record!(
        "ec2:DescribeSecurityGroups",
        "aws/ec2-describe-security-groups.json",
        "SecurityGroups",
        ec2.describe_security_groups()
            .set_filters(vpc_filter("vpc-id").map(|f| vec![f]))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await,
        |g: &aws_sdk_ec2::types::SecurityGroup| object(vec![
            ("GroupId", text(g.group_id())),
            ("GroupName", text(g.group_name())),
            ("VpcId", text(g.vpc_id())),
            ("OwnerId", text(g.owner_id())),
            ("IpPermissions", list(g.ip_permissions(), permission)),
            ("IpPermissionsEgress", list(g.ip_permissions_egress(), permission)),
        ])
    );
    record!(
        "ec2:DescribeNetworkAcls",
        "aws/ec2-describe-network-acls.json",
        "NetworkAcls",
        ec2.describe_network_acls().set_filters(vpc_filter("vpc-id").map(|f| vec![f])).into_paginator().items().send().try_collect().await,
        |a: &aws_sdk_ec2::types::NetworkAcl| object(vec![
            ("NetworkAclId", text(a.network_acl_id())),
            ("VpcId", text(a.vpc_id())),
            ("IsDefault", a.is_default().map(Value::Bool)),
            (
                "Associations",
                list(a.associations(), |s| object(vec![
                    ("NetworkAclAssociationId", text(s.network_acl_association_id())),
                    ("SubnetId", text(s.subnet_id()))
                ]))
            ),
            (
                "Entries",
                list(a.entries(), |e| object(vec![
                    ("RuleNumber", e.rule_number().map(Value::from)),
                    ("Egress", e.egress().map(Value::Bool)),
                    ("Protocol", text(e.protocol())),
                    ("RuleAction", text(e.rule_action().map(|x| x.as_str()))),
                    ("CidrBlock", text(e.cidr_block())),
                    ("Ipv6CidrBlock", text(e.ipv6_cidr_block())),
                    (
                        "PortRange",
                        e.port_range().map(|p| object(vec![("From", p.from().map(Value::from)), ("To", p.to().map(Value::from))]))
                    ),
                ]))
            ),
        ])
    );

    // --- instances and interfaces
    record!(
        "ec2:DescribeInstances",
        "aws/ec2-describe-instances.json",
        "Reservations",
        ec2.describe_instances().set_filters(vpc_filter("vpc-id").map(|f| vec![f])).into_paginator().items().send().try_collect().await,
        |r: &aws_sdk_ec2::types::Reservation| object(vec![
            ("ReservationId", text(r.reservation_id())),
            ("OwnerId", text(r.owner_id())),
            (
                "Instances",
                list(r.instances(), |i| object(vec![
                    ("InstanceId", text(i.instance_id())),
                    ("VpcId", text(i.vpc_id())),
                    ("SubnetId", text(i.subnet_id())),
                    ("PrivateIpAddress", text(i.private_ip_address())),
                    ("PrivateDnsName", text(i.private_dns_name())),
                    ("PublicIpAddress", text(i.public_ip_address())),
                    ("Architecture", text(i.architecture().map(|x| x.as_str()))),
                    ("Placement", i.placement().map(|p| object(vec![("AvailabilityZone", text(p.availability_zone()))]))),
                    ("State", i.state().map(|s| object(vec![("Name", text(s.name().map(|x| x.as_str())))]))),
                    ("IamInstanceProfile", i.iam_instance_profile().map(|p| object(vec![("Arn", text(p.arn())), ("Id", text(p.id()))]))),
                    (
                        "SecurityGroups",
                        list(i.security_groups(), |g| object(vec![("GroupId", text(g.group_id())), ("GroupName", text(g.group_name()))]))
                    ),
                    (
                        "NetworkInterfaces",
                        list(i.network_interfaces(), |n| object(vec![
                            ("NetworkInterfaceId", text(n.network_interface_id())),
                            ("Association", n.association().map(|a| object(vec![("PublicIp", text(a.public_ip()))]))),
                            ("Ipv6Addresses", list(n.ipv6_addresses(), |a| object(vec![("Ipv6Address", text(a.ipv6_address()))]))),
                        ]))
                    ),
                    ("Tags", tags(i.tags())),
                ]))
            ),
        ])
    );
    record!(
        "ec2:DescribeNetworkInterfaces",
        "aws/ec2-describe-network-interfaces.json",
        "NetworkInterfaces",
        ec2.describe_network_interfaces()
            .set_filters(vpc_filter("vpc-id").map(|f| vec![f]))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await,
        |n: &aws_sdk_ec2::types::NetworkInterface| object(vec![
            ("NetworkInterfaceId", text(n.network_interface_id())),
            ("SubnetId", text(n.subnet_id())),
            ("VpcId", text(n.vpc_id())),
            ("PrivateIpAddress", text(n.private_ip_address())),
            (
                "PrivateIpAddresses",
                list(n.private_ip_addresses(), |p| object(vec![
                    ("PrivateIpAddress", text(p.private_ip_address())),
                    ("Association", p.association().map(|a| object(vec![("PublicIp", text(a.public_ip()))]))),
                ]))
            ),
            ("Association", n.association().map(|a| object(vec![("PublicIp", text(a.public_ip()))]))),
            ("Groups", list(n.groups(), |g| object(vec![("GroupId", text(g.group_id()))]))),
            ("Attachment", n.attachment().map(|a| object(vec![("InstanceId", text(a.instance_id()))]))),
            ("InterfaceType", text(n.interface_type().map(|x| x.as_str()))),
            ("Description", text(n.description())),
        ])
    );

    // --- prefix lists, peering, transit gateways
    record!(
        "ec2:DescribePrefixLists",
        "aws/ec2-describe-prefix-lists.json",
        "PrefixLists",
        ec2.describe_prefix_lists().into_paginator().items().send().try_collect().await,
        |p: &aws_sdk_ec2::types::PrefixList| object(vec![
            ("PrefixListId", text(p.prefix_list_id())),
            ("PrefixListName", text(p.prefix_list_name())),
            ("Cidrs", strings(p.cidrs()))
        ])
    );
    record!(
        "ec2:DescribeVpcPeeringConnections",
        "aws/ec2-describe-vpc-peering-connections.json",
        "VpcPeeringConnections",
        ec2.describe_vpc_peering_connections().into_paginator().items().send().try_collect().await,
        |p: &aws_sdk_ec2::types::VpcPeeringConnection| object(vec![
            ("VpcPeeringConnectionId", text(p.vpc_peering_connection_id())),
            ("RequesterVpcInfo", p.requester_vpc_info().map(|i| object(vec![("VpcId", text(i.vpc_id()))]))),
            ("AccepterVpcInfo", p.accepter_vpc_info().map(|i| object(vec![("VpcId", text(i.vpc_id()))]))),
            ("Status", p.status().map(|s| object(vec![("Code", text(s.code().map(|x| x.as_str())))]))),
        ])
    );
    record!(
        "ec2:DescribeTransitGatewayAttachments",
        "aws/ec2-describe-transit-gateway-attachments.json",
        "TransitGatewayAttachments",
        ec2.describe_transit_gateway_attachments().into_paginator().items().send().try_collect().await,
        |a: &aws_sdk_ec2::types::TransitGatewayAttachment| object(vec![
            ("TransitGatewayAttachmentId", text(a.transit_gateway_attachment_id())),
            ("TransitGatewayId", text(a.transit_gateway_id())),
            ("ResourceType", text(a.resource_type().map(|x| x.as_str()))),
            ("ResourceId", text(a.resource_id())),
            ("State", text(a.state().map(|x| x.as_str()))),
        ])
    );

    // --- who we are
    match aws_sdk_sts::Client::new(&config).get_caller_identity().send().await {
        Ok(identity) => out.files.push(File {
            name: "aws/sts-get-caller-identity.json".into(),
            json: object(vec![("UserId", text(identity.user_id())), ("Account", text(identity.account())), ("Arn", text(identity.arn()))]),
        }),
        Err(error) => out.failed.push(failure("sts:GetCallerIdentity", &error)),
    }

    // --- ECR
    let ecr = aws_sdk_ecr::Client::new(&config);
    record!(
        "ecr:DescribeRepositories",
        "aws/ecr-describe-repositories.json",
        "repositories",
        ecr.describe_repositories().into_paginator().items().send().try_collect().await,
        |r: &aws_sdk_ecr::types::Repository| object(vec![
            ("repositoryArn", text(r.repository_arn())),
            ("registryId", text(r.registry_id())),
            ("repositoryName", text(r.repository_name())),
            ("repositoryUri", text(r.repository_uri())),
            ("createdAt", time(r.created_at())),
        ])
    );
    for repository in &options.repositories {
        let file = repository.replace('/', "_");
        record!(
            "ecr:DescribeImages",
            format!("aws/ecr-describe-images-{file}.json"),
            "imageDetails",
            ecr.describe_images().repository_name(repository).into_paginator().items().send().try_collect().await,
            |i: &aws_sdk_ecr::types::ImageDetail| object(vec![
                ("registryId", text(i.registry_id())),
                ("repositoryName", text(i.repository_name())),
                ("imageDigest", text(i.image_digest())),
                ("imageTags", strings(i.image_tags())),
                ("imagePushedAt", time(i.image_pushed_at())),
                ("imageSizeInBytes", i.image_size_in_bytes().map(Value::from)),
                ("imageManifestMediaType", text(i.image_manifest_media_type())),
                ("artifactMediaType", text(i.artifact_media_type())),
            ])
        );
        match ecr.get_repository_policy().repository_name(repository).send().await {
            Ok(policy) => out.files.push(File {
                name: format!("aws/ecr-get-repository-policy-{file}.json"),
                json: object(vec![
                    ("registryId", text(policy.registry_id())),
                    ("repositoryName", text(policy.repository_name())),
                    ("policyText", text(policy.policy_text())),
                ]),
            }),
            // No policy is an answer, not a failure.
            Err(error) if error.code() == Some("RepositoryPolicyNotFoundException") => {}
            Err(error) => out.failed.push(failure("ecr:GetRepositoryPolicy", &error)),
        }
    }

    // --- IAM: roles, instance profiles, the policies they use (documents decoded as the CLI does)
    let decode = |document: Option<&str>| -> Option<Value> {
        let text = document?;
        let decoded = pulldoctor_iam::percent_decode(text).ok()?;
        serde_json::from_str(&decoded).ok().or(Some(Value::String(decoded)))
    };
    match aws_sdk_iam::Client::new(&config)
        .get_account_authorization_details()
        .filter(aws_sdk_iam::types::EntityType::Role)
        .filter(aws_sdk_iam::types::EntityType::AwsManagedPolicy)
        .filter(aws_sdk_iam::types::EntityType::LocalManagedPolicy)
        .into_paginator()
        .send()
        .try_collect()
        .await
    {
        Ok(pages) => {
            let roles: Vec<Value> = pages
                .iter()
                .flat_map(|p| p.role_detail_list())
                .map(|r| {
                    object(vec![
                        ("RoleName", text(r.role_name())),
                        ("Arn", text(r.arn())),
                        (
                            "InstanceProfileList",
                            list(r.instance_profile_list(), |p| {
                                object(vec![
                                    ("InstanceProfileName", text(Some(p.instance_profile_name()))),
                                    ("Arn", text(Some(p.arn()))),
                                    (
                                        "Roles",
                                        list(p.roles(), |role| {
                                            object(vec![("Arn", text(Some(role.arn()))), ("RoleName", text(Some(role.role_name())))])
                                        }),
                                    ),
                                ])
                            }),
                        ),
                        (
                            "RolePolicyList",
                            list(r.role_policy_list(), |p| {
                                object(vec![("PolicyName", text(p.policy_name())), ("PolicyDocument", decode(p.policy_document()))])
                            }),
                        ),
                        (
                            "AttachedManagedPolicies",
                            list(r.attached_managed_policies(), |p| {
                                object(vec![("PolicyName", text(p.policy_name())), ("PolicyArn", text(p.policy_arn()))])
                            }),
                        ),
                    ])
                })
                .collect();
            let policies: Vec<Value> = pages
                .iter()
                .flat_map(|p| p.policies())
                .map(|p| {
                    object(vec![
                        ("PolicyName", text(p.policy_name())),
                        ("Arn", text(p.arn())),
                        ("DefaultVersionId", text(p.default_version_id())),
                        (
                            "PolicyVersionList",
                            list(p.policy_version_list(), |v| {
                                object(vec![
                                    ("Document", decode(v.document())),
                                    ("VersionId", text(v.version_id())),
                                    ("IsDefaultVersion", Some(Value::Bool(v.is_default_version()))),
                                ])
                            }),
                        ),
                    ])
                })
                .collect();
            out.files.push(File {
                name: "aws/iam-get-account-authorization-details.json".into(),
                json: json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles, "Policies": policies}),
            });
        }
        Err(error) => out.failed.push(failure("iam:GetAccountAuthorizationDetails", &error)),
    }
    out
}
