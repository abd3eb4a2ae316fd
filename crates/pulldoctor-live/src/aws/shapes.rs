//! The AWS CLI's JSON for each SDK type: the same field names, and absent fields left out the way
//! the CLI leaves them out, so the bundle reader reads a collected file exactly as a CLI one.

use aws_smithy_types::date_time::Format;
use serde_json::{Map, Value};

/// Build a JSON object from `(key, value)` pairs, leaving out absent values the way the CLI does.
pub fn object(pairs: Vec<(&str, Option<Value>)>) -> Value {
    let mut map = Map::new();
    for (key, value) in pairs {
        if let Some(value) = value {
            map.insert(key.to_string(), value);
        }
    }
    Value::Object(map)
}

pub fn text(value: Option<&str>) -> Option<Value> {
    value.map(|v| Value::String(v.to_string()))
}

pub fn list<T>(items: &[T], each: impl Fn(&T) -> Value) -> Option<Value> {
    Some(Value::Array(items.iter().map(each).collect()))
}

pub fn strings(items: &[String]) -> Option<Value> {
    Some(Value::Array(items.iter().map(|s| Value::String(s.clone())).collect()))
}

pub fn time(value: Option<&aws_smithy_types::DateTime>) -> Option<Value> {
    value.and_then(|t| t.fmt(Format::DateTime).ok()).map(Value::String)
}

fn tags(items: &[aws_sdk_ec2::types::Tag]) -> Option<Value> {
    list(items, |t| object(vec![("Key", text(t.key())), ("Value", text(t.value()))]))
}

pub fn vpc(v: &aws_sdk_ec2::types::Vpc) -> Value {
    object(vec![
        ("VpcId", text(v.vpc_id())),
        ("OwnerId", text(v.owner_id())),
        ("CidrBlock", text(v.cidr_block())),
        ("IsDefault", v.is_default().map(Value::Bool)),
        ("DhcpOptionsId", text(v.dhcp_options_id())),
        ("CidrBlockAssociationSet", list(v.cidr_block_association_set(), |a| object(vec![("CidrBlock", text(a.cidr_block()))]))),
        (
            "Ipv6CidrBlockAssociationSet",
            list(v.ipv6_cidr_block_association_set(), |a| object(vec![("Ipv6CidrBlock", text(a.ipv6_cidr_block()))])),
        ),
        ("Tags", tags(v.tags())),
    ])
}

pub fn dhcp_options(d: &aws_sdk_ec2::types::DhcpOptions) -> Value {
    object(vec![
        ("DhcpOptionsId", text(d.dhcp_options_id())),
        ("OwnerId", text(d.owner_id())),
        (
            "DhcpConfigurations",
            list(d.dhcp_configurations(), |c| {
                object(vec![("Key", text(c.key())), ("Values", list(c.values(), |v| object(vec![("Value", text(v.value()))])))])
            }),
        ),
        ("Tags", tags(d.tags())),
    ])
}

pub fn subnet(s: &aws_sdk_ec2::types::Subnet) -> Value {
    object(vec![
        ("SubnetId", text(s.subnet_id())),
        ("VpcId", text(s.vpc_id())),
        ("OwnerId", text(s.owner_id())),
        ("CidrBlock", text(s.cidr_block())),
        ("AvailabilityZone", text(s.availability_zone())),
        ("MapPublicIpOnLaunch", s.map_public_ip_on_launch().map(Value::Bool)),
        (
            "Ipv6CidrBlockAssociationSet",
            list(s.ipv6_cidr_block_association_set(), |a| object(vec![("Ipv6CidrBlock", text(a.ipv6_cidr_block()))])),
        ),
        ("Tags", tags(s.tags())),
    ])
}

pub fn route_table(t: &aws_sdk_ec2::types::RouteTable) -> Value {
    object(vec![
        ("RouteTableId", text(t.route_table_id())),
        ("VpcId", text(t.vpc_id())),
        ("OwnerId", text(t.owner_id())),
        (
            "Associations",
            list(t.associations(), |a| {
                object(vec![
                    ("Main", a.main().map(Value::Bool)),
                    ("RouteTableAssociationId", text(a.route_table_association_id())),
                    ("RouteTableId", text(a.route_table_id())),
                    ("SubnetId", text(a.subnet_id())),
                    ("GatewayId", text(a.gateway_id())),
                    ("AssociationState", a.association_state().map(|s| object(vec![("State", text(s.state().map(|x| x.as_str())))]))),
                ])
            }),
        ),
        (
            "Routes",
            list(t.routes(), |r| {
                object(vec![
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
                ])
            }),
        ),
        ("Tags", tags(t.tags())),
    ])
}

pub fn nat_gateway(n: &aws_sdk_ec2::types::NatGateway) -> Value {
    object(vec![
        ("NatGatewayId", text(n.nat_gateway_id())),
        ("VpcId", text(n.vpc_id())),
        ("SubnetId", text(n.subnet_id())),
        ("State", text(n.state().map(|x| x.as_str()))),
        ("ConnectivityType", text(n.connectivity_type().map(|x| x.as_str()))),
        ("FailureCode", text(n.failure_code())),
        ("FailureMessage", text(n.failure_message())),
        ("CreateTime", time(n.create_time())),
        ("DeleteTime", time(n.delete_time())),
        (
            "NatGatewayAddresses",
            list(n.nat_gateway_addresses(), |a| {
                object(vec![
                    ("AllocationId", text(a.allocation_id())),
                    ("NetworkInterfaceId", text(a.network_interface_id())),
                    ("PublicIp", text(a.public_ip())),
                    ("PrivateIp", text(a.private_ip())),
                ])
            }),
        ),
    ])
}

pub fn internet_gateway(g: &aws_sdk_ec2::types::InternetGateway) -> Value {
    object(vec![
        ("InternetGatewayId", text(g.internet_gateway_id())),
        ("OwnerId", text(g.owner_id())),
        (
            "Attachments",
            list(g.attachments(), |a| object(vec![("VpcId", text(a.vpc_id())), ("State", text(a.state().map(|x| x.as_str())))])),
        ),
    ])
}

pub fn egress_only_gateway(g: &aws_sdk_ec2::types::EgressOnlyInternetGateway) -> Value {
    object(vec![
        ("EgressOnlyInternetGatewayId", text(g.egress_only_internet_gateway_id())),
        (
            "Attachments",
            list(g.attachments(), |a| object(vec![("VpcId", text(a.vpc_id())), ("State", text(a.state().map(|x| x.as_str())))])),
        ),
    ])
}

pub fn vpc_endpoint(e: &aws_sdk_ec2::types::VpcEndpoint) -> Value {
    object(vec![
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
        ("OwnerId", text(e.owner_id())),
    ])
}

fn permission(p: &aws_sdk_ec2::types::IpPermission) -> Value {
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
}

pub fn security_group(g: &aws_sdk_ec2::types::SecurityGroup) -> Value {
    object(vec![
        ("GroupId", text(g.group_id())),
        ("GroupName", text(g.group_name())),
        ("VpcId", text(g.vpc_id())),
        ("OwnerId", text(g.owner_id())),
        ("IpPermissions", list(g.ip_permissions(), permission)),
        ("IpPermissionsEgress", list(g.ip_permissions_egress(), permission)),
    ])
}

pub fn network_acl(a: &aws_sdk_ec2::types::NetworkAcl) -> Value {
    object(vec![
        ("NetworkAclId", text(a.network_acl_id())),
        ("VpcId", text(a.vpc_id())),
        ("OwnerId", text(a.owner_id())),
        ("IsDefault", a.is_default().map(Value::Bool)),
        (
            "Associations",
            list(a.associations(), |s| {
                object(vec![
                    ("NetworkAclAssociationId", text(s.network_acl_association_id())),
                    ("NetworkAclId", text(s.network_acl_id())),
                    ("SubnetId", text(s.subnet_id())),
                ])
            }),
        ),
        (
            "Entries",
            list(a.entries(), |e| {
                object(vec![
                    ("RuleNumber", e.rule_number().map(Value::from)),
                    ("Egress", e.egress().map(Value::Bool)),
                    ("Protocol", text(e.protocol())),
                    ("RuleAction", text(e.rule_action().map(|x| x.as_str()))),
                    ("CidrBlock", text(e.cidr_block())),
                    ("Ipv6CidrBlock", text(e.ipv6_cidr_block())),
                    (
                        "PortRange",
                        e.port_range().map(|p| object(vec![("From", p.from().map(Value::from)), ("To", p.to().map(Value::from))])),
                    ),
                ])
            }),
        ),
    ])
}

pub fn reservation(r: &aws_sdk_ec2::types::Reservation) -> Value {
    object(vec![
        ("ReservationId", text(r.reservation_id())),
        ("OwnerId", text(r.owner_id())),
        (
            "Instances",
            list(r.instances(), |i| {
                object(vec![
                    ("InstanceId", text(i.instance_id())),
                    ("InstanceType", text(i.instance_type().map(|x| x.as_str()))),
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
                        list(i.security_groups(), |g| object(vec![("GroupId", text(g.group_id())), ("GroupName", text(g.group_name()))])),
                    ),
                    (
                        "NetworkInterfaces",
                        list(i.network_interfaces(), |n| {
                            object(vec![
                                ("NetworkInterfaceId", text(n.network_interface_id())),
                                ("Association", n.association().map(|a| object(vec![("PublicIp", text(a.public_ip()))]))),
                                ("Ipv6Addresses", list(n.ipv6_addresses(), |a| object(vec![("Ipv6Address", text(a.ipv6_address()))]))),
                            ])
                        }),
                    ),
                    ("Tags", tags(i.tags())),
                ])
            }),
        ),
    ])
}

pub fn network_interface(n: &aws_sdk_ec2::types::NetworkInterface) -> Value {
    object(vec![
        ("NetworkInterfaceId", text(n.network_interface_id())),
        ("SubnetId", text(n.subnet_id())),
        ("VpcId", text(n.vpc_id())),
        ("PrivateIpAddress", text(n.private_ip_address())),
        (
            "PrivateIpAddresses",
            list(n.private_ip_addresses(), |p| {
                object(vec![
                    ("PrivateIpAddress", text(p.private_ip_address())),
                    ("Association", p.association().map(|a| object(vec![("PublicIp", text(a.public_ip()))]))),
                ])
            }),
        ),
        ("Association", n.association().map(|a| object(vec![("PublicIp", text(a.public_ip()))]))),
        ("Groups", list(n.groups(), |g| object(vec![("GroupId", text(g.group_id()))]))),
        ("Attachment", n.attachment().map(|a| object(vec![("InstanceId", text(a.instance_id()))]))),
        ("InterfaceType", text(n.interface_type().map(|x| x.as_str()))),
        ("Description", text(n.description())),
    ])
}

pub fn prefix_list(p: &aws_sdk_ec2::types::PrefixList) -> Value {
    object(vec![("PrefixListId", text(p.prefix_list_id())), ("PrefixListName", text(p.prefix_list_name())), ("Cidrs", strings(p.cidrs()))])
}

pub fn managed_prefix_list(p: &aws_sdk_ec2::types::ManagedPrefixList) -> Value {
    object(vec![
        ("PrefixListId", text(p.prefix_list_id())),
        ("AddressFamily", text(p.address_family())),
        ("State", text(p.state().map(|x| x.as_str()))),
        ("PrefixListArn", text(p.prefix_list_arn())),
        ("PrefixListName", text(p.prefix_list_name())),
        ("MaxEntries", p.max_entries().map(Value::from)),
        ("Version", p.version().map(Value::from)),
        ("OwnerId", text(p.owner_id())),
    ])
}

pub fn prefix_list_entry(e: &aws_sdk_ec2::types::PrefixListEntry) -> Value {
    object(vec![("Cidr", text(e.cidr())), ("Description", text(e.description()))])
}

pub fn peering(p: &aws_sdk_ec2::types::VpcPeeringConnection) -> Value {
    let info = |i: &aws_sdk_ec2::types::VpcPeeringConnectionVpcInfo| {
        object(vec![
            ("VpcId", text(i.vpc_id())),
            ("OwnerId", text(i.owner_id())),
            ("Region", text(i.region())),
            ("CidrBlock", text(i.cidr_block())),
            ("CidrBlockSet", list(i.cidr_block_set(), |c| object(vec![("CidrBlock", text(c.cidr_block()))]))),
        ])
    };
    object(vec![
        ("VpcPeeringConnectionId", text(p.vpc_peering_connection_id())),
        ("RequesterVpcInfo", p.requester_vpc_info().map(info)),
        ("AccepterVpcInfo", p.accepter_vpc_info().map(info)),
        ("Status", p.status().map(|s| object(vec![("Code", text(s.code().map(|x| x.as_str()))), ("Message", text(s.message()))]))),
    ])
}

pub fn transit_gateway_attachment(a: &aws_sdk_ec2::types::TransitGatewayAttachment) -> Value {
    object(vec![
        ("TransitGatewayAttachmentId", text(a.transit_gateway_attachment_id())),
        ("TransitGatewayId", text(a.transit_gateway_id())),
        ("ResourceType", text(a.resource_type().map(|x| x.as_str()))),
        ("ResourceId", text(a.resource_id())),
        ("State", text(a.state().map(|x| x.as_str()))),
    ])
}

pub fn repository(r: &aws_sdk_ecr::types::Repository) -> Value {
    object(vec![
        ("repositoryArn", text(r.repository_arn())),
        ("registryId", text(r.registry_id())),
        ("repositoryName", text(r.repository_name())),
        ("repositoryUri", text(r.repository_uri())),
        ("createdAt", time(r.created_at())),
    ])
}

pub fn image(i: &aws_sdk_ecr::types::ImageDetail) -> Value {
    object(vec![
        ("registryId", text(i.registry_id())),
        ("repositoryName", text(i.repository_name())),
        ("imageDigest", text(i.image_digest())),
        ("imageTags", strings(i.image_tags())),
        ("imagePushedAt", time(i.image_pushed_at())),
        ("imageSizeInBytes", i.image_size_in_bytes().map(Value::from)),
        ("imageManifestMediaType", text(i.image_manifest_media_type())),
        ("artifactMediaType", text(i.artifact_media_type())),
    ])
}

/// A CloudTrail event as `aws cloudtrail lookup-events` prints it, with access key ids masked
/// (an identifier, not a secret, but nothing the diagnosis needs).
pub fn trail_event(e: &aws_sdk_cloudtrail::types::Event) -> Value {
    const MASK: &str = "REDACTED-BY-PULLDOCTOR";
    let body = e.cloud_trail_event().map(|body| match serde_json::from_str::<Value>(body) {
        Ok(mut value) => {
            if let Some(identity) = value.get_mut("userIdentity").and_then(Value::as_object_mut)
                && identity.contains_key("accessKeyId")
            {
                identity.insert("accessKeyId".into(), Value::String(MASK.into()));
            }
            value.to_string()
        }
        Err(_) => body.to_string(),
    });
    object(vec![
        ("EventId", text(e.event_id())),
        ("EventName", text(e.event_name())),
        ("ReadOnly", text(e.read_only())),
        ("AccessKeyId", e.access_key_id().map(|_| Value::String(MASK.into()))),
        ("EventTime", time(e.event_time())),
        ("EventSource", text(e.event_source())),
        ("Username", text(e.username())),
        (
            "Resources",
            list(e.resources(), |r| object(vec![("ResourceType", text(r.resource_type())), ("ResourceName", text(r.resource_name()))])),
        ),
        ("CloudTrailEvent", body.map(Value::String)),
    ])
}
