//! AWS calls, each written as the JSON the AWS CLI prints for it.
//!
//! Scoping: when the cluster's node instances are known, their VPCs are found first and only
//! those are read (with everything inside them that a pull can cross); the ECR repositories are
//! the failing pods' ones; IAM is cut down to the nodes' roles and the policies they use;
//! CloudTrail is asked only for the calls that change a pull's network path, in the window before
//! the first failure. Calls run concurrently (at most [`CONCURRENT_CALLS`] at once; CloudTrail's
//! `LookupEvents`, limited by AWS to 2 per second, at most 2), with the SDK's adaptive retries.

mod shapes;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{Filter, VpcAttributeName};
use futures_util::future::join_all;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::{Collected, Failed, File, Progress};
use shapes::{list, object, text};

/// At most this many AWS calls in flight at once.
pub const CONCURRENT_CALLS: usize = 8;
/// CloudTrail answers `LookupEvents` at 2 requests per second per account and region.
const CONCURRENT_TRAIL_LOOKUPS: usize = 2;
/// Pages of 50 events read per CloudTrail lookup (the newest 250 events of each kind).
const TRAIL_PAGES: usize = 5;
/// EC2 accepts at most 200 values in one filter.
const FILTER_VALUES: usize = 200;

/// An ECR repository to read; `None` account or region: the caller's own registry and region.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Repository {
    pub account: Option<String>,
    pub region: Option<String>,
    pub name: String,
}

/// What to read, and with which credentials and region (`None`: the standard chain and configuration).
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// Only these VPCs. Empty: the VPCs of `instance_ids` and `node_addresses`, or when those are
    /// empty too, every VPC the account shows.
    pub vpc_ids: Vec<String>,
    /// The cluster nodes' EC2 instances: their VPCs are the ones read.
    pub instance_ids: Vec<String>,
    /// Private addresses of nodes whose provider id names no instance.
    pub node_addresses: Vec<String>,
    /// ECR repositories whose listing, images and policy to read. Empty: only the listing of the
    /// caller's own registry.
    pub repositories: Vec<Repository>,
    /// CloudTrail event names to look up (empty: no CloudTrail lookup).
    pub trail_events: Vec<String>,
    /// Start of the CloudTrail window (default: 14 days ago).
    pub changes_since: Option<SystemTime>,
}

fn failure<E: ProvideErrorMetadata + std::error::Error>(call: &str, error: &E) -> Failed {
    let code = error.code().unwrap_or("");
    let denied = matches!(code, "UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException" | "UnauthorizedException");
    let message = match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        // no error code: the whole chain (connection refused, an unreadable answer, ...)
        _ => {
            let chain = aws_smithy_types::error::display::DisplayErrorContext(error).to_string();
            // DisplayErrorContext ends with the error's Debug form in parentheses: keep the words.
            let words = chain
                .match_indices(" (")
                .find(|(at, _)| chain[at + 2..].starts_with(|c: char| c.is_ascii_uppercase()))
                .map(|(at, _)| &chain[..at]);
            words.unwrap_or(&chain).chars().take(300).collect()
        }
    };
    Failed { call: call.to_string(), denied, message }
}

/// One collection: the concurrency limit, the progress display and what has been gathered.
struct Run<'p> {
    progress: &'p dyn Progress,
    limit: Semaphore,
    out: Mutex<Collected>,
}

impl Run<'_> {
    /// Make one call (the future is not started before a slot is free); a failure is recorded.
    async fn call<T, E: ProvideErrorMetadata + std::error::Error>(
        &self,
        call: &str,
        future: impl Future<Output = Result<T, E>>,
    ) -> Option<T> {
        self.answer(call, future, |_| false).await.ok().flatten()
    }

    /// Like [`Run::call`], but an error for which `is_answer` holds (e.g. "no policy") is not a
    /// failure: it comes back as `Err(code)`.
    async fn answer<T, E: ProvideErrorMetadata + std::error::Error>(
        &self,
        call: &str,
        future: impl Future<Output = Result<T, E>>,
        is_answer: impl Fn(&str) -> bool,
    ) -> Result<Option<T>, String> {
        let _slot = self.limit.acquire().await;
        self.progress.start(call);
        let result = future.await;
        self.progress.finish(call, result.is_ok());
        match result {
            Ok(value) => Ok(Some(value)),
            Err(error) if error.code().is_some_and(&is_answer) => Err(error.code().unwrap_or_default().to_string()),
            Err(error) => {
                self.fail(failure(call, &error));
                Ok(None)
            }
        }
    }

    fn file(&self, name: impl Into<String>, json: Value) {
        self.out.lock().unwrap_or_else(|e| e.into_inner()).files.push(File { name: name.into(), json });
    }

    fn fail(&self, failed: Failed) {
        self.out.lock().unwrap_or_else(|e| e.into_inner()).failed.push(failed);
    }

    /// A listing call written as `{key: [...]}`.
    fn listing<T>(&self, name: &str, key: &str, items: Option<Vec<T>>, each: impl Fn(&T) -> Value) -> Option<Vec<T>> {
        let items = items?;
        self.file(name, json!({ key: items.iter().map(each).collect::<Vec<Value>>() }));
        Some(items)
    }
}

/// A paginated describe call, written as the CLI prints it to `aws/<service>-<describe-x>.json`
/// (the file name made from the action: `ec2:DescribeSubnets` → `ec2-describe-subnets.json`).
macro_rules! listing {
    ($run:expr, $call:literal, $key:literal, $request:expr, $shape:expr) => {
        async {
            let items = $run.call($call, $request.into_paginator().items().send().try_collect()).await;
            $run.listing(&cli_file_name($call), $key, items, $shape)
        }
    };
}

/// `ec2:DescribeSubnets` → `aws/ec2-describe-subnets.json`.
fn cli_file_name(call: &str) -> String {
    let (service, action) = call.split_once(':').unwrap_or(("aws", call));
    let mut name = format!("aws/{service}-");
    for (i, c) in action.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            name.push('-');
        }
        name.push(c.to_ascii_lowercase());
    }
    name + ".json"
}

fn filter(name: &str, values: &[String]) -> Filter {
    Filter::builder().name(name).set_values(Some(values.to_vec())).build()
}

/// Collect the AWS side of a bundle.
pub async fn collect_aws(options: &AwsOptions, progress: &dyn Progress) -> Collected {
    // Bounded waits: at 3 a.m. a hung endpoint must become a gap, not a silent terminal.
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(30))
        .operation_timeout(Duration::from_secs(120))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(RetryConfig::adaptive()).timeout_config(timeouts);
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &options.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return Collected {
            files: Vec::new(),
            failed: vec![Failed {
                call: "aws".into(),
                denied: false,
                message: "no AWS region: give --region or set AWS_REGION (no node named its zone), so nothing was read from AWS".into(),
            }],
        };
    }
    let run = Run { progress, limit: Semaphore::new(CONCURRENT_CALLS), out: Mutex::new(Collected::default()) };
    let ec2 = aws_sdk_ec2::Client::new(&config);

    // Who we are, first: without credentials or a reachable endpoint every other call would fail
    // the same way, and one clear failure says more than twenty.
    let sts = aws_sdk_sts::Client::new(&config);
    run.progress.start("sts:GetCallerIdentity");
    let identity = sts.get_caller_identity().send().await;
    run.progress.finish("sts:GetCallerIdentity", identity.is_ok());
    match identity {
        Ok(identity) => run.file(
            "aws/sts-get-caller-identity.json",
            object(vec![("UserId", text(identity.user_id())), ("Account", text(identity.account())), ("Arn", text(identity.arn()))]),
        ),
        Err(error) => {
            let mut failed = failure("sts:GetCallerIdentity", &error);
            if matches!(error, aws_sdk_sts::error::SdkError::DispatchFailure(_) | aws_sdk_sts::error::SdkError::TimeoutError(_)) {
                failed.call = "aws".into();
                failed.message = format!(
                    "AWS could not be asked anything, so nothing was read from it (credentials: --profile, AWS_PROFILE or AWS_ACCESS_KEY_ID; endpoint: AWS_ENDPOINT_URL): {}",
                    failed.message
                );
                run.fail(failed);
                return run.out.into_inner().unwrap_or_else(|e| e.into_inner());
            }
            run.fail(failed);
        }
    }
    let network = async {
        match scope_vpcs(&run, &ec2, options).await {
            Some(vpcs) if vpcs.is_empty() => BTreeSet::new(),
            scope => network(&run, &ec2, scope.as_deref()).await,
        }
    };
    let iam = run.call(
        "iam:GetAccountAuthorizationDetails",
        aws_sdk_iam::Client::new(&config)
            .get_account_authorization_details()
            .filter(aws_sdk_iam::types::EntityType::Role)
            .filter(aws_sdk_iam::types::EntityType::AwsManagedPolicy)
            .filter(aws_sdk_iam::types::EntityType::LocalManagedPolicy)
            .into_paginator()
            .send()
            .try_collect(),
    );
    let (profiles, _, _, iam) = tokio::join!(network, ecr(&run, &config, options), trail(&run, &config, options), iam);
    if let Some(pages) = iam {
        run.file("aws/iam-get-account-authorization-details.json", iam_details(&pages, &profiles));
    }
    let mut out = run.out.into_inner().unwrap_or_else(|e| e.into_inner());
    out.files.sort_by(|a, b| a.name.cmp(&b.name));
    out.merge_failures();
    out
}

/// The VPCs to read: `--vpc`, else those of the nodes' instances, else `None` (every VPC).
async fn scope_vpcs(run: &Run<'_>, ec2: &aws_sdk_ec2::Client, options: &AwsOptions) -> Option<Vec<String>> {
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
            message: format!(
                "none of the cluster's {} node instance(s) ({}) is in this account and region: check --profile and --region",
                options.instance_ids.len() + options.node_addresses.len(),
                options.instance_ids.iter().chain(&options.node_addresses).take(3).cloned().collect::<Vec<_>>().join(", ")
            ),
        });
    }
    // The lookup failing (denied) leaves no scope: read every VPC rather than none.
    answered.then(|| vpcs.into_iter().collect())
}

/// Everything a pull can cross inside the VPCs (`None`: every VPC). Returns the instance profile
/// ARNs of the instances found, whose roles are the ones IAM is cut down to.
async fn network(run: &Run<'_>, ec2: &aws_sdk_ec2::Client, vpcs: Option<&[String]>) -> BTreeSet<String> {
    let in_vpcs = |name: &str| vpcs.map(|v| vec![filter(name, v)]);
    let found = listing!(run, "ec2:DescribeVpcs", "Vpcs", ec2.describe_vpcs().set_vpc_ids(vpcs.map(<[String]>::to_vec)), shapes::vpc).await;
    let vpc_ids: Vec<String> = found.iter().flatten().filter_map(|v| v.vpc_id().map(str::to_string)).collect();

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
    let (_, _, _, _, _, _, _, _, _, profiles, _, _, _, _) = tokio::join!(
        join_all(attributes),
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

/// The repositories' registries (listing), images and policies.
async fn ecr(run: &Run<'_>, config: &aws_config::SdkConfig, options: &AwsOptions) {
    let client = |region: Option<&str>| match region {
        Some(region) => aws_sdk_ecr::Client::from_conf(
            aws_sdk_ecr::config::Builder::from(config).region(aws_config::Region::new(region.to_string())).build(),
        ),
        None => aws_sdk_ecr::Client::new(config),
    };
    let region_name =
        |region: Option<&str>| region.map(str::to_string).or_else(|| config.region().map(|r| r.to_string())).unwrap_or_default();
    // One listing per registry (account and region): "the repository does not exist" needs it.
    let mut registries: BTreeMap<(Option<String>, Option<String>), Vec<&str>> = BTreeMap::new();
    for repository in &options.repositories {
        registries.entry((repository.account.clone(), repository.region.clone())).or_default().push(&repository.name);
    }
    if registries.is_empty() {
        registries.insert((None, None), Vec::new());
    }
    join_all(registries.iter().map(|((account, region), names)| {
        let ecr = client(region.as_deref());
        let registry = format!("{}-{}", account.as_deref().unwrap_or("own"), region_name(region.as_deref()));
        async move {
            let items = run
                .call(
                    "ecr:DescribeRepositories",
                    ecr.describe_repositories().set_registry_id(account.clone()).into_paginator().items().send().try_collect(),
                )
                .await;
            run.listing(&format!("aws/ecr-describe-repositories-{registry}.json"), "repositories", items, shapes::repository);
            join_all(names.iter().map(|name| {
                let ecr = ecr.clone();
                let file = format!("{registry}-{}", name.replace('/', "_"));
                async move {
                    let missing = |code: &str| code == "RepositoryNotFoundException";
                    let images = ecr
                        .describe_images()
                        .set_registry_id(account.clone())
                        .repository_name(*name)
                        .into_paginator()
                        .items()
                        .send()
                        .try_collect();
                    // A missing repository is an answer the listing already gives, not a failure.
                    if let Ok(images) = run.answer("ecr:DescribeImages", images, missing).await {
                        run.listing(&format!("aws/ecr-describe-images-{file}.json"), "imageDetails", images, shapes::image);
                    }
                    let policy = ecr.get_repository_policy().set_registry_id(account.clone()).repository_name(*name).send();
                    let no_policy = |code: &str| code == "RepositoryPolicyNotFoundException" || missing(code);
                    if let Ok(Some(policy)) = run.answer("ecr:GetRepositoryPolicy", policy, no_policy).await {
                        run.file(
                            format!("aws/ecr-get-repository-policy-{file}.json"),
                            object(vec![
                                ("registryId", text(policy.registry_id())),
                                ("repositoryName", text(policy.repository_name())),
                                ("policyText", text(policy.policy_text())),
                            ]),
                        );
                    }
                }
            }))
            .await;
        }
    }))
    .await;
}

/// CloudTrail: each network-changing call in the window, newest first, as `lookup-events` prints.
async fn trail(run: &Run<'_>, config: &aws_config::SdkConfig, options: &AwsOptions) {
    if options.trail_events.is_empty() {
        return;
    }
    let client = aws_sdk_cloudtrail::Client::new(config);
    let since = options.changes_since.unwrap_or_else(|| SystemTime::now() - Duration::from_secs(14 * 24 * 3600));
    let gate = Semaphore::new(CONCURRENT_TRAIL_LOOKUPS);
    // After a failure the other lookups would fail the same way (denied, or no CloudTrail there):
    // one gap says it.
    let broken = std::sync::atomic::AtomicBool::new(false);
    join_all(options.trail_events.iter().map(|name| {
        let (client, gate, broken) = (&client, &gate, &broken);
        async move {
            let _turn = gate.acquire().await;
            if broken.load(std::sync::atomic::Ordering::Relaxed) {
                return;
            }
            let attribute = aws_sdk_cloudtrail::types::LookupAttribute::builder()
                .attribute_key(aws_sdk_cloudtrail::types::LookupAttributeKey::EventName)
                .attribute_value(name)
                .build();
            let Ok(attribute) = attribute else { return };
            let pages = async {
                let mut stream = client
                    .lookup_events()
                    .lookup_attributes(attribute)
                    .start_time(aws_smithy_types::DateTime::from(since))
                    .into_paginator()
                    .send();
                let mut pages = Vec::new();
                while let Some(page) = stream.next().await {
                    pages.push(page?);
                    if pages.len() == TRAIL_PAGES {
                        break;
                    }
                }
                Ok::<_, aws_sdk_cloudtrail::error::SdkError<aws_sdk_cloudtrail::operation::lookup_events::LookupEventsError>>(pages)
            };
            match run.call("cloudtrail:LookupEvents", pages).await {
                Some(pages) => {
                    let events: Vec<Value> = pages.iter().flat_map(|p| p.events()).map(shapes::trail_event).collect();
                    run.file(format!("aws/cloudtrail-lookup-events-{name}.json"), json!({"Events": events}));
                }
                None => broken.store(true, std::sync::atomic::Ordering::Relaxed),
            }
        }
    }))
    .await;
}

/// `get-account-authorization-details` cut down to the nodes' roles and the managed policies they
/// attach (all of it when no instance profile is known).
fn iam_details(
    pages: &[aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput],
    profiles: &BTreeSet<String>,
) -> Value {
    let decode = |document: Option<&str>| -> Option<Value> {
        let text = document?;
        let decoded = pulldoctor_iam::percent_decode(text).ok()?;
        serde_json::from_str(&decoded).ok().or(Some(Value::String(decoded)))
    };
    let node_role = |role: &aws_sdk_iam::types::RoleDetail| {
        profiles.is_empty() || role.instance_profile_list().iter().any(|p| profiles.contains(p.arn()))
    };
    let roles: Vec<&aws_sdk_iam::types::RoleDetail> = pages.iter().flat_map(|p| p.role_detail_list()).filter(|r| node_role(r)).collect();
    let attached: BTreeSet<&str> = roles.iter().flat_map(|r| r.attached_managed_policies()).filter_map(|p| p.policy_arn()).collect();
    let roles: Vec<Value> = roles
        .iter()
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
        .filter(|p| profiles.is_empty() || p.arn().is_some_and(|arn| attached.contains(arn)))
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
    json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles, "Policies": policies})
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_follow_the_cli_command() {
        assert_eq!(super::cli_file_name("ec2:DescribeSubnets"), "aws/ec2-describe-subnets.json");
        assert_eq!(super::cli_file_name("ec2:DescribeEgressOnlyInternetGateways"), "aws/ec2-describe-egress-only-internet-gateways.json");
    }
}
