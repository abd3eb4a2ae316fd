//! AWS calls, each written as the JSON the AWS CLI prints for it.
//!
//! Scoping: when the cluster's node instances are known, their VPCs are found first and only
//! those are read (with everything inside them that a pull can cross); the ECR repositories are
//! the failing pods' ones; IAM is cut down to the nodes' roles and the policies they use;
//! CloudTrail is asked only for the calls that change a pull's network path, in the window before
//! the first failure. Calls run concurrently (at most [`CONCURRENT_CALLS`] at once; CloudTrail's
//! `LookupEvents`, limited by AWS to 2 per second, at most 2), with the SDK's adaptive retries.

mod shapes;

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::Filter;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::{Collected, Failed, File, Progress};
use shapes::{object, text};

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

/// A failed AWS call in the user's terms: AWS's own error code and message when AWS answered
/// with one; otherwise what happened (no connection, no answer in time, an answer that is not the
/// AWS API's, with its HTTP status), and the SDK's own error kept as `detail` for `--verbose`.
pub(crate) fn failure<E: ProvideErrorMetadata + std::error::Error + 'static>(call: &str, error: &SdkError<E, HttpResponse>) -> Failed {
    let code = error.code().unwrap_or("");
    let denied = matches!(code, "UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException" | "UnauthorizedException");
    let chain = aws_smithy_types::error::display::DisplayErrorContext(error).to_string();
    let detail = Some(chain.chars().take(1000).collect::<String>());
    let message = match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        _ => match error {
            SdkError::TimeoutError(_) => format!("no answer to {call} within the time limit"),
            SdkError::DispatchFailure(failure) if failure.is_timeout() => format!("no answer to {call} within the time limit"),
            SdkError::DispatchFailure(failure) if failure.is_io() => {
                "could not connect to the AWS endpoint (no network path, or nothing listening: check AWS_ENDPOINT_URL and the proxy)"
                    .to_string()
            }
            SdkError::DispatchFailure(_) => "the request could not be sent to the AWS endpoint".to_string(),
            SdkError::ConstructionFailure(_) => "the request could not be built (is a region or are credentials missing?)".to_string(),
            _ => match error.raw_response().map(|response| response.status().as_u16()) {
                Some(status) => format!(
                    "the endpoint answered with HTTP {status} and a body that is not the AWS API's: it is not the service {call} needs (check AWS_ENDPOINT_URL, or a proxy in between)"
                ),
                None => "the endpoint's answer could not be read".to_string(),
            },
        },
    };
    Failed { call: call.to_string(), denied, message, detail }
}

/// One collection: the concurrency limit, the progress display and what has been gathered.
struct Run<'p> {
    progress: &'p dyn Progress,
    limit: Semaphore,
    out: Mutex<Collected>,
}

impl Run<'_> {
    /// Make one call (the future is not started before a slot is free); a failure is recorded.
    async fn call<T, E: ProvideErrorMetadata + std::error::Error + 'static>(
        &self,
        call: &str,
        future: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    ) -> Option<T> {
        self.answer(call, future, |_| false).await.ok().flatten()
    }

    /// Like [`Run::call`], but an error for which `is_answer` holds (e.g. "no policy") is not a
    /// failure: it comes back as `Err(code)`.
    async fn answer<T, E: ProvideErrorMetadata + std::error::Error + 'static>(
        &self,
        call: &str,
        future: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
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
        self.out.lock().unwrap_or_else(|e| e.into_inner()).files.push(File::value(name, json));
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
            $run.listing(&$crate::aws::cli_file_name($call), $key, items, $shape)
        }
    };
}

// After `listing!`, which they use (macro_rules! are visible only below their definition).
mod iam;
mod network;
mod registry;
mod trail;

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

/// The SDK's configuration: the standard chain, `profile` and `region` when given, adaptive
/// retries and bounded waits (at 3 a.m. a hung endpoint must become a gap, not a silent terminal).
pub(crate) async fn sdk_config(profile: Option<&str>, region: Option<&str>) -> aws_config::SdkConfig {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(30))
        .operation_timeout(Duration::from_secs(120))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(RetryConfig::adaptive()).timeout_config(timeouts);
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region.to_string()));
    }
    loader.load().await
}

/// Collect the AWS side of a bundle.
pub async fn collect_aws(options: &AwsOptions, progress: &dyn Progress) -> Collected {
    let config = sdk_config(options.profile.as_deref(), options.region.as_deref()).await;
    if config.region().is_none() {
        return Collected {
            files: Vec::new(),
            failed: vec![Failed {
                call: "aws".into(),
                denied: false,
                message: "no AWS region: give --region or set AWS_REGION (no node named its zone), so nothing was read from AWS".into(),
                detail: None,
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
        match network::scope_vpcs(&run, &ec2, options).await {
            Some(vpcs) if vpcs.is_empty() => BTreeSet::new(),
            scope => network::network(&run, &ec2, scope.as_deref()).await,
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
    let (profiles, _, _, iam) = tokio::join!(network, registry::ecr(&run, &config, options), trail::trail(&run, &config, options), iam);
    if let Some(pages) = iam {
        run.file("aws/iam-get-account-authorization-details.json", iam::iam_details(&pages, &profiles));
    }
    let mut out = run.out.into_inner().unwrap_or_else(|e| e.into_inner());
    out.files.sort_by(|a, b| a.name.cmp(&b.name));
    out.merge_failures();
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_follow_the_cli_command() {
        assert_eq!(super::cli_file_name("ec2:DescribeSubnets"), "aws/ec2-describe-subnets.json");
        assert_eq!(super::cli_file_name("ec2:DescribeEgressOnlyInternetGateways"), "aws/ec2-describe-egress-only-internet-gateways.json");
    }
}
