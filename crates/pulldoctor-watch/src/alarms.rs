//! The AWS side of watching: be told the moment someone changes a pull's network path, and see
//! the packets that then go nowhere.
//!
//! - An EventBridge rule for the CloudTrail management events of every call in
//!   `pulldoctor_diagnosis::NETWORK_CHANGES` (the list the diagnosis' CloudTrail timeline uses:
//!   one source of truth), scoped to the cluster's VPCs by the ids their resources have now
//!   (route tables and their associations, NAT and internet gateways, security groups, ACLs,
//!   endpoints, the VPCs), with an SNS topic as its target. A large estate gets several rules: an
//!   event pattern may hold [`PATTERN_LIMIT`] characters.
//! - VPC flow logs for the nodes' subnets (all traffic, one-minute aggregation) into a log group,
//!   and a CloudWatch Logs Insights query that shows registry traffic that was rejected (a
//!   security group or ACL) or never answered (SYN only: no route, a NAT with no way out).
//!
//! As a CloudFormation template, Terraform JSON or plain JSON with the equivalent `aws` commands.
//! Nothing is applied here: the user deploys what is printed.

use std::collections::{BTreeMap, BTreeSet};

use pulldoctor_diagnosis::NETWORK_CHANGES;
use pulldoctor_model::{Model, region_of_zone};
use serde_json::{Value, json};

use crate::request_fields::{IdKind, fields};

/// The most characters an event pattern gets here (EventBridge accepts more; a smaller pattern
/// keeps each rule readable in the console).
pub const PATTERN_LIMIT: usize = 2000;

/// The log format of the flow logs: the default fields, then what the query needs.
pub const FLOW_LOG_FORMAT: &str = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags} ${flow-direction} ${pkt-dst-aws-service}";

/// Rejected or unanswered HTTPS from the nodes: registry pulls that did not get through.
pub const REJECTED_REGISTRY_TRAFFIC: &str = "parse @message \"* * * * * * * * * * * * * * * * * * * *\" as version, accountId, interfaceId, srcAddr, dstAddr, srcPort, dstPort, protocol, packets, bytes, start, end, action, logStatus, vpcId, subnetId, instanceId, tcpFlags, flowDirection, dstService
| filter dstPort = \"443\" and flowDirection = \"egress\" and (action = \"REJECT\" or tcpFlags = \"2\")
| stats count(*) as attempts, max(end) as lastSeen by subnetId, instanceId, dstAddr, dstService, action, tcpFlags
| sort attempts desc
| limit 200";

/// What the alarms cover.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    pub vpcs: Vec<String>,
    /// The subnets the nodes are in: where the flow logs go.
    pub node_subnets: Vec<String>,
    pub region: Option<String>,
    pub account: Option<String>,
    /// The resource ids of the VPCs, by kind.
    pub ids: BTreeMap<IdKind, BTreeSet<String>>,
}

/// How to name and wire what is generated.
#[derive(Debug, Clone)]
pub struct Naming {
    /// Prefix of every name (`pulldoctor`, or the cluster's name).
    pub name: String,
    /// An SNS topic to notify instead of creating one.
    pub topic_arn: Option<String>,
    /// Days the flow logs are kept.
    pub retention_days: u32,
}

/// Why no alarm can be made.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ScopeError {
    #[error("no VPC to watch: the input shows no node with an EC2 instance (give --vpc VPC_ID)")]
    NoVpc,
    #[error("{0} is not in the input's describe-vpcs / describe-subnets")]
    UnknownVpc(String),
}

/// The scope of `vpcs`, or of the VPCs the nodes are in when none is given.
pub fn scope(model: &Model, vpcs: &[String]) -> Result<Scope, ScopeError> {
    let instances: Vec<_> = model.nodes.values().filter_map(|n| model.node_instance(n)).collect();
    let vpcs: BTreeSet<String> =
        if vpcs.is_empty() { instances.iter().filter_map(|i| i.vpc_id.clone()).collect() } else { vpcs.iter().cloned().collect() };
    if vpcs.is_empty() {
        return Err(ScopeError::NoVpc);
    }
    for vpc in &vpcs {
        if !model.vpcs.contains_key(vpc) && !model.subnets.values().any(|s| &s.vpc_id == vpc) {
            return Err(ScopeError::UnknownVpc(vpc.clone()));
        }
    }
    let in_scope = |vpc: Option<&String>| vpc.is_some_and(|v| vpcs.contains(v));
    let node_subnets: BTreeSet<String> =
        instances.iter().filter(|i| in_scope(i.vpc_id.as_ref())).filter_map(|i| i.subnet_id.clone()).collect();
    let mut ids: BTreeMap<IdKind, BTreeSet<String>> = BTreeMap::new();
    let mut add = |kind: IdKind, id: &str| {
        ids.entry(kind).or_default().insert(id.to_string());
    };
    for vpc in &vpcs {
        add(IdKind::Vpc, vpc);
    }
    for subnet in &node_subnets {
        add(IdKind::Subnet, subnet);
    }
    for table in model.route_tables.values().filter(|t| in_scope(Some(&t.vpc_id))) {
        add(IdKind::RouteTable, &table.id);
        for association in table.association_ids.values() {
            add(IdKind::RouteTableAssociation, association);
        }
    }
    for nat in model.nat_gateways.values().filter(|n| in_scope(n.vpc_id.as_ref())) {
        add(IdKind::NatGateway, &nat.id);
    }
    for gateway in model.internet_gateways.values().filter(|g| g.attachments.iter().any(|a| vpcs.contains(&a.vpc_id))) {
        add(if gateway.egress_only { IdKind::EgressOnlyInternetGateway } else { IdKind::InternetGateway }, &gateway.id);
    }
    for group in model.security_groups.values().filter(|g| in_scope(g.vpc_id.as_ref())) {
        add(IdKind::SecurityGroup, &group.id);
    }
    for acl in model.network_acls.values().filter(|a| in_scope(Some(&a.vpc_id))) {
        add(IdKind::NetworkAcl, &acl.id);
    }
    for endpoint in model.vpc_endpoints.values().filter(|e| in_scope(Some(&e.vpc_id))) {
        add(IdKind::VpcEndpoint, &endpoint.id);
    }
    let region = node_subnets
        .iter()
        .filter_map(|s| model.subnets.get(s)?.availability_zone.as_deref())
        .chain(model.nodes.values().filter_map(|n| n.zone.as_deref()))
        .find_map(region_of_zone);
    Ok(Scope {
        vpcs: vpcs.into_iter().collect(),
        node_subnets: node_subnets.into_iter().collect(),
        region,
        account: model.accounts().into_iter().next().map(str::to_string),
        ids,
    })
}

/// `{"a": {"b": value}}` from `a.b`.
fn nested(path: &str, value: Value) -> Value {
    path.rsplit('.').fold(value, |inner, key| json!({ key: inner }))
}

/// The event patterns: one or more, each under [`PATTERN_LIMIT`] characters, together matching
/// every network-changing call that names one of the scope's resources.
pub fn event_patterns(scope: &Scope) -> Vec<Value> {
    // field path -> the ids it may hold
    let mut wanted: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for call in NETWORK_CHANGES {
        for (path, kind) in fields(call).unwrap_or_default() {
            let ids = scope.ids.get(kind).into_iter().flatten().map(String::as_str);
            wanted.entry(path).or_default().extend(ids);
        }
    }
    let base = |alternatives: Vec<Value>| {
        json!({
            "source": ["aws.ec2"],
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {
                "eventSource": ["ec2.amazonaws.com"],
                "eventName": NETWORK_CHANGES,
                "$or": alternatives,
            }
        })
    };
    let room = PATTERN_LIMIT.saturating_sub(base(Vec::new()).to_string().len()).max(200);
    // each alternative: one field with as many ids as fit in the room left
    let mut alternatives: Vec<Value> = Vec::new();
    for (path, ids) in wanted {
        let mut chunk: Vec<&str> = Vec::new();
        for id in ids {
            let grown: Vec<&str> = chunk.iter().copied().chain([id]).collect();
            if !chunk.is_empty() && nested(path, json!({"requestParameters": grown})).to_string().len() + 12 > room {
                alternatives.push(json!({"requestParameters": nested(path, json!(chunk))}));
                chunk.clear();
            }
            chunk.push(id);
        }
        if !chunk.is_empty() {
            alternatives.push(json!({"requestParameters": nested(path, json!(chunk))}));
        }
    }
    // pack the alternatives into patterns
    let mut patterns: Vec<Vec<Value>> = vec![Vec::new()];
    let mut size = 0;
    for alternative in alternatives {
        let length = alternative.to_string().len() + 1;
        let last = patterns.last_mut().expect("one pattern at least");
        if !last.is_empty() && size + length > room {
            patterns.push(Vec::new());
            size = 0;
        }
        patterns.last_mut().expect("one pattern at least").push(alternative);
        size += length;
    }
    patterns.into_iter().filter(|p| !p.is_empty()).map(base).collect()
}

fn describe(scope: &Scope) -> String {
    format!(
        "pulldoctor: changes to the image pull path of {} (route tables and associations, routes, NAT and internet gateways, security group egress, network ACLs, VPC endpoints, VPC DNS attributes)",
        scope.vpcs.join(", ")
    )
}

fn flow_log_role_trust() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
}

fn flow_log_role_policy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"], "Resource": "*"}]})
}

/// A CloudFormation identifier from a resource id: `subnet-0abc` -> `Subnet0abc`.
fn logical(prefix: &str, id: &str) -> String {
    let tail: String = id.split_once('-').map_or(id, |(_, t)| t).chars().filter(char::is_ascii_alphanumeric).collect();
    format!("{prefix}{tail}")
}

/// The CloudFormation template (JSON).
pub fn cloudformation(scope: &Scope, naming: &Naming) -> Value {
    let mut resources = serde_json::Map::new();
    let topic = match &naming.topic_arn {
        Some(arn) => json!(arn),
        None => json!({"Ref": "PullPathAlarmTopic"}),
    };
    let patterns = event_patterns(scope);
    let rule_names: Vec<String> = (1..=patterns.len()).map(|n| format!("PullPathChangeRule{n}")).collect();
    if naming.topic_arn.is_none() {
        resources.insert(
            "PullPathAlarmTopic".into(),
            json!({"Type": "AWS::SNS::Topic", "Properties": {"TopicName": format!("{}-pull-path-changes", naming.name), "DisplayName": "pulldoctor: pull path changes"}}),
        );
        resources.insert(
            "PullPathAlarmTopicPolicy".into(),
            json!({"Type": "AWS::SNS::TopicPolicy", "Properties": {
                "Topics": [{"Ref": "PullPathAlarmTopic"}],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "EventBridgePublishes", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sns:Publish", "Resource": {"Ref": "PullPathAlarmTopic"},
                    "Condition": {"ArnEquals": {"aws:SourceArn": rule_names.iter().map(|r| json!({"Fn::GetAtt": [r, "Arn"]})).collect::<Vec<_>>()}}
                }]}
            }}),
        );
        resources.insert(
            "PullPathAlarmSubscription".into(),
            json!({"Type": "AWS::SNS::Subscription", "Condition": "HasAlarmEmail", "Properties": {"Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}, "TopicArn": {"Ref": "PullPathAlarmTopic"}}}),
        );
    }
    for (n, pattern) in patterns.into_iter().enumerate() {
        resources.insert(
            rule_names[n].clone(),
            json!({"Type": "AWS::Events::Rule", "Properties": {
                "Name": format!("{}-pull-path-changes-{}", naming.name, n + 1),
                "Description": describe(scope).chars().take(512).collect::<String>(),
                "State": "ENABLED",
                "EventPattern": pattern,
                "Targets": [{"Arn": topic, "Id": "pulldoctor-sns"}]
            }}),
        );
    }
    resources.insert(
        "FlowLogGroup".into(),
        json!({"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": format!("/{}/vpc-flow-logs", naming.name), "RetentionInDays": naming.retention_days}}),
    );
    resources.insert(
        "FlowLogRole".into(),
        json!({"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": flow_log_role_trust(),
            "Policies": [{"PolicyName": "deliver-flow-logs", "PolicyDocument": flow_log_role_policy()}]
        }}),
    );
    for subnet in &scope.node_subnets {
        resources.insert(
            logical("FlowLog", subnet),
            json!({"Type": "AWS::EC2::FlowLog", "Properties": {
                "ResourceId": subnet, "ResourceType": "Subnet", "TrafficType": "ALL",
                "LogDestinationType": "cloud-watch-logs", "LogGroupName": {"Ref": "FlowLogGroup"},
                "DeliverLogsPermissionArn": {"Fn::GetAtt": ["FlowLogRole", "Arn"]},
                "LogFormat": FLOW_LOG_FORMAT, "MaxAggregationInterval": 60
            }}),
        );
    }
    resources.insert(
        "RejectedRegistryTrafficQuery".into(),
        json!({"Type": "AWS::Logs::QueryDefinition", "Properties": {
            "Name": format!("{}/rejected-registry-traffic", naming.name),
            "LogGroupNames": [{"Ref": "FlowLogGroup"}],
            "QueryString": REJECTED_REGISTRY_TRAFFIC
        }}),
    );
    let mut template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("{} (generated by pulldoctor alarms; EventBridge receives these calls through a CloudTrail trail that logs write management events in this region)", describe(scope)).chars().take(1024).collect::<String>(),
        "Resources": resources,
        "Outputs": {
            "AlarmTopicArn": {"Description": "The SNS topic the rules notify", "Value": topic},
            "FlowLogGroupName": {"Description": "Where the node subnets' flow logs go", "Value": {"Ref": "FlowLogGroup"}}
        }
    });
    if naming.topic_arn.is_none() {
        template["Parameters"] = json!({"AlarmEmail": {"Type": "String", "Default": "", "Description": "An e-mail address to subscribe to the topic (empty: none)"}});
        template["Conditions"] = json!({"HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}});
    }
    template
}

/// Terraform's `${` starts an interpolation: a literal one is written `$${`.
fn terraform_literal(text: &str) -> String {
    text.replace("${", "$${")
}

/// A Terraform identifier from a resource id: `subnet-0abc` -> `subnet_0abc`.
fn terraform_name(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

/// Terraform configuration in its JSON syntax (`main.tf.json`), for the AWS provider.
pub fn terraform(scope: &Scope, naming: &Naming) -> Value {
    let topic_arn = match &naming.topic_arn {
        Some(arn) => arn.clone(),
        None => "${aws_sns_topic.pull_path_changes.arn}".to_string(),
    };
    let mut resource = serde_json::Map::new();
    let mut add = |kind: &str, name: &str, body: Value| {
        resource.entry(kind.to_string()).or_insert_with(|| json!({}))[name] = body;
    };
    let patterns = event_patterns(scope);
    if naming.topic_arn.is_none() {
        add("aws_sns_topic", "pull_path_changes", json!({"name": format!("{}-pull-path-changes", naming.name)}));
        let sources: Vec<String> =
            (1..=patterns.len()).map(|n| format!("${{aws_cloudwatch_event_rule.pull_path_changes_{n}.arn}}")).collect();
        let policy = json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "EventBridgePublishes", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish", "Resource": topic_arn, "Condition": {"ArnEquals": {"aws:SourceArn": sources}}
        }]});
        add("aws_sns_topic_policy", "pull_path_changes", json!({"arn": topic_arn, "policy": policy.to_string()}));
        add(
            "aws_sns_topic_subscription",
            "alarm_email",
            json!({"count": "${var.alarm_email == \"\" ? 0 : 1}", "topic_arn": topic_arn, "protocol": "email", "endpoint": "${var.alarm_email}"}),
        );
    }
    for (n, pattern) in patterns.into_iter().enumerate() {
        let name = format!("pull_path_changes_{}", n + 1);
        add(
            "aws_cloudwatch_event_rule",
            &name,
            json!({"name": format!("{}-pull-path-changes-{}", naming.name, n + 1), "description": describe(scope).chars().take(512).collect::<String>(), "event_pattern": terraform_literal(&pattern.to_string())}),
        );
        add(
            "aws_cloudwatch_event_target",
            &name,
            json!({"rule": format!("${{aws_cloudwatch_event_rule.{name}.name}}"), "target_id": "pulldoctor-sns", "arn": topic_arn}),
        );
    }
    add(
        "aws_cloudwatch_log_group",
        "flow_logs",
        json!({"name": format!("/{}/vpc-flow-logs", naming.name), "retention_in_days": naming.retention_days}),
    );
    add(
        "aws_iam_role",
        "flow_logs",
        json!({"name_prefix": format!("{}-flow-logs-", naming.name), "assume_role_policy": flow_log_role_trust().to_string()}),
    );
    add(
        "aws_iam_role_policy",
        "flow_logs",
        json!({"name": "deliver-flow-logs", "role": "${aws_iam_role.flow_logs.id}", "policy": flow_log_role_policy().to_string()}),
    );
    for subnet in &scope.node_subnets {
        add(
            "aws_flow_log",
            &terraform_name(subnet),
            json!({
                "subnet_id": subnet, "traffic_type": "ALL", "log_destination_type": "cloud-watch-logs",
                "log_destination": "${aws_cloudwatch_log_group.flow_logs.arn}", "iam_role_arn": "${aws_iam_role.flow_logs.arn}",
                "log_format": terraform_literal(FLOW_LOG_FORMAT), "max_aggregation_interval": 60
            }),
        );
    }
    add(
        "aws_cloudwatch_query_definition",
        "rejected_registry_traffic",
        json!({"name": format!("{}/rejected-registry-traffic", naming.name), "log_group_names": ["${aws_cloudwatch_log_group.flow_logs.name}"], "query_string": terraform_literal(REJECTED_REGISTRY_TRAFFIC)}),
    );
    let mut out = json!({
        "//": "generated by pulldoctor alarms: EventBridge receives these calls through a CloudTrail trail that logs write management events in this region",
        "resource": resource,
        "output": {
            "alarm_topic_arn": {"value": topic_arn},
            "flow_log_group_name": {"value": "${aws_cloudwatch_log_group.flow_logs.name}"}
        }
    });
    if naming.topic_arn.is_none() {
        out["variable"] = json!({"alarm_email": {"type": "string", "default": "", "description": "An e-mail address to subscribe to the topic (empty: none)"}});
    }
    out
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// The same as plain JSON: the patterns, the flow-log settings, the query and the `aws` commands
/// that set it all up without CloudFormation or Terraform.
pub fn plain(scope: &Scope, naming: &Naming) -> Value {
    let account = scope.account.clone().unwrap_or_else(|| "ACCOUNT".into());
    let region = scope.region.clone().unwrap_or_else(|| "REGION".into());
    let topic = naming.topic_arn.clone().unwrap_or_else(|| format!("arn:aws:sns:{region}:{account}:{}-pull-path-changes", naming.name));
    let group = format!("/{}/vpc-flow-logs", naming.name);
    let role = format!("{}-flow-logs", naming.name);
    let patterns = event_patterns(scope);
    let mut commands: Vec<String> = Vec::new();
    if naming.topic_arn.is_none() {
        commands.push(format!("aws sns create-topic --name {}-pull-path-changes", naming.name));
    }
    for (n, pattern) in patterns.iter().enumerate() {
        let rule = format!("{}-pull-path-changes-{}", naming.name, n + 1);
        commands.push(format!("aws events put-rule --name {rule} --event-pattern {}", shell_quote(&pattern.to_string())));
        commands.push(format!("aws events put-targets --rule {rule} --targets Id=pulldoctor-sns,Arn={topic}"));
    }
    if naming.topic_arn.is_none() {
        let policy = json!({"Version": "2012-10-17", "Statement": [{"Sid": "EventBridgePublishes", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish", "Resource": topic}]});
        commands.push(format!(
            "aws sns set-topic-attributes --topic-arn {topic} --attribute-name Policy --attribute-value {}",
            shell_quote(&policy.to_string())
        ));
    }
    commands.push(format!("aws logs create-log-group --log-group-name {group}"));
    commands.push(format!("aws logs put-retention-policy --log-group-name {group} --retention-in-days {}", naming.retention_days));
    commands.push(format!(
        "aws iam create-role --role-name {role} --assume-role-policy-document {}",
        shell_quote(&flow_log_role_trust().to_string())
    ));
    commands.push(format!(
        "aws iam put-role-policy --role-name {role} --policy-name deliver-flow-logs --policy-document {}",
        shell_quote(&flow_log_role_policy().to_string())
    ));
    if !scope.node_subnets.is_empty() {
        commands.push(format!(
            "aws ec2 create-flow-logs --resource-type Subnet --resource-ids {} --traffic-type ALL --max-aggregation-interval 60 --log-destination-type cloud-watch-logs --log-group-name {group} --deliver-logs-permission-arn arn:aws:iam::{account}:role/{role} --log-format {}",
            scope.node_subnets.join(" "),
            shell_quote(FLOW_LOG_FORMAT)
        ));
    }
    commands.push(format!(
        "aws logs put-query-definition --name {}/rejected-registry-traffic --log-group-names {group} --query-string {}",
        naming.name,
        shell_quote(REJECTED_REGISTRY_TRAFFIC)
    ));
    json!({
        "kind": "PulldoctorAlarms",
        "apiVersion": crate::baseline::API_VERSION,
        "scope": {
            "vpcs": scope.vpcs, "nodeSubnets": scope.node_subnets, "region": scope.region, "account": scope.account,
            "resources": scope.ids.values().map(|ids| ids.len()).sum::<usize>(),
        },
        "calls": NETWORK_CHANGES,
        "eventPatterns": patterns,
        "snsTopicArn": topic,
        "flowLogs": {"subnets": scope.node_subnets, "trafficType": "ALL", "logGroup": group, "logFormat": FLOW_LOG_FORMAT},
        "query": {"name": format!("{}/rejected-registry-traffic", naming.name), "queryString": REJECTED_REGISTRY_TRAFFIC},
        "commands": commands,
        "notes": [
            "EventBridge receives these calls through CloudTrail: a trail that logs write management events must exist in the account and region (an organization trail counts)",
            "the rules name the ids the VPCs hold now: generate them again after adding route tables, gateways, security groups, ACLs or endpoints (from cron or CI, with `pulldoctor alarms` on a fresh bundle)",
            "the query shows HTTPS from the node subnets that a security group or ACL rejected, and SYNs that got no answer (no route, a NAT without a way out)"
        ]
    })
}
