//! Live collection, shared by `diagnose` (no bundle) and `collect`: the cluster first, then what
//! the failures point at in AWS and the pull secrets they can use, both at once.
//!
//! The plan (which instances, repositories, secrets, CloudTrail window) is decided by
//! `pulldoctor_diagnosis::plan` from the cluster alone; the collectors carry it out and return
//! CLI-shaped JSON, which goes through the same bundle reader as a bundle on disk.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use anyhow::{Context as _, Result, anyhow};
use pulldoctor_bundle::ReadOptions;
use pulldoctor_diagnosis::plan::{Plan, plan};
use pulldoctor_live::{AwsOptions, Cluster, Collected, KubeOptions, Progress, Quiet, Repository};

/// What to collect; the AWS scope is filled in from the cluster unless given.
pub struct Request {
    /// `None`: do not read the cluster.
    pub kube: Option<KubeOptions>,
    /// `None`: do not read AWS. Explicit `vpc_ids` and `repositories` are kept; the nodes'
    /// instances, the failing pods' repositories, the region and the CloudTrail window are added.
    pub aws: Option<AwsOptions>,
    /// Stop (an error) when the cluster cannot be read: without it there is nothing to diagnose.
    pub need_cluster: bool,
    /// Read for a baseline: every pod's ECR repositories and pull secrets, not only the failing ones'.
    pub every_pod: bool,
    /// Look up CloudTrail from this instant (a baseline's) instead of the failures' window.
    pub changes_since: Option<chrono::DateTime<chrono::Utc>>,
}

pub struct Gathered {
    pub collected: Collected,
    pub plan: Plan,
    /// How many ECR repositories AWS was asked about: the failing pods' and `--repository`'s.
    pub repositories: usize,
}

/// A spinner on standard error while calls run (only on a terminal).
pub struct Spinner {
    pub bar: indicatif::ProgressBar,
    state: Mutex<(usize, usize, Vec<String>)>,
    /// What the calls are doing: `collecting`, `probing`.
    doing: &'static str,
}

impl Spinner {
    pub fn new(doing: &'static str) -> Spinner {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {elapsed:>3} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Spinner { bar, state: Mutex::new((0, 0, Vec::new())), doing }
    }

    fn show(&self, state: &(usize, usize, Vec<String>)) {
        let (done, failed, running) = state;
        let now = running.last().map(|c| format!(" · {c}")).unwrap_or_default();
        let failed = if *failed > 0 { format!(", {failed} failed") } else { String::new() };
        self.bar.set_message(format!("{}: {done} done{failed}, {} running{now}", self.doing, running.len()));
    }
}

impl Progress for Spinner {
    fn start(&self, call: &str) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.2.push(call.to_string());
        self.show(&state);
    }

    fn finish(&self, call: &str, ok: bool) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(at) = state.2.iter().position(|c| c == call) {
            state.2.remove(at);
        }
        state.0 += 1;
        state.1 += usize::from(!ok);
        self.show(&state);
    }
}

pub fn gather(request: Request) -> Result<Gathered> {
    let spinner = std::io::stderr().is_terminal().then(|| Spinner::new("collecting"));
    let progress: &dyn Progress = match &spinner {
        Some(spinner) => spinner,
        None => &Quiet,
    };
    let gathered = gather_with(request, progress);
    if let Some(spinner) = spinner {
        spinner.bar.finish_and_clear();
    }
    gathered
}

/// [`gather`], reporting each call to `progress` instead of drawing a spinner (the TUI).
pub fn gather_with(request: Request, progress: &dyn Progress) -> Result<Gathered> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let mut collected = Collected::default();
        let mut cluster_plan = Plan::default();
        let cluster = match &request.kube {
            None => None,
            Some(options) => match Cluster::connect(options).await {
                Ok(cluster) => Some(cluster),
                Err(failed) => {
                    collected.failed.push(failed);
                    None
                }
            },
        };
        if let Some(cluster) = &cluster {
            let objects = cluster.objects(progress).await;
            let cluster_model = model_of(&objects)?;
            cluster_plan = plan(&cluster_model);
            if request.every_pod {
                pulldoctor_watch::plan::widen(&mut cluster_plan, &cluster_model);
            }
            collected.absorb(objects);
        }
        if request.need_cluster
            && let Some(failed) = collected.failed.iter().find(|f| f.call == "kubeconfig" || f.call == "list pods")
        {
            return Err(anyhow!(
                "no bundle given, and the cluster could not be read ({}: {}); give a bundle directory, or fix the kubeconfig (`kubectl get pods -A` must work)",
                failed.call,
                failed.message
            ));
        }
        if let Some(since) = request.changes_since {
            cluster_plan.changes_since = Some(since);
        }
        let aws = request.aws.as_ref().map(|given| scoped(given, &cluster_plan));
        let secrets = async {
            match &cluster {
                Some(cluster) => cluster.secrets(&cluster_plan.secrets, progress).await,
                None => Collected::default(),
            }
        };
        let cloud = async {
            match &aws {
                Some(options) => pulldoctor_live::collect_aws(options, progress).await,
                None => Collected::default(),
            }
        };
        let (secrets, cloud) = tokio::join!(secrets, cloud);
        collected.absorb(secrets);
        collected.absorb(cloud);
        let repositories = aws.as_ref().map_or(0, |options| options.repositories.len());
        // When it was read: everything in the bundle was true then, so a diagnosis of it (now or
        // next week) judges the failures' age against this instant.
        collected.files.push(pulldoctor_live::File::value(
            "pulldoctor-collect.json",
            serde_json::json!({"PulldoctorCollect": {
                "collected_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "pulldoctor_version": env!("CARGO_PKG_VERSION"),
            }}),
        ));
        Ok(Gathered { collected, plan: cluster_plan, repositories })
    })
}

/// The given AWS options, with the scope the cluster gives added where the user gave none.
fn scoped(given: &AwsOptions, plan: &Plan) -> AwsOptions {
    let mut options = given.clone();
    options.region = given.region.clone().or_else(|| plan.region.clone());
    if given.vpc_ids.is_empty() {
        options.instance_ids = plan.instance_ids.iter().cloned().collect();
        options.node_addresses = plan.node_addresses.iter().cloned().collect();
    }
    for repository in &plan.repositories {
        options.repositories.push(Repository {
            account: Some(repository.account.clone()),
            region: Some(repository.region.clone()),
            name: repository.name.clone(),
        });
    }
    options.repositories.sort();
    options.repositories.dedup();
    options.trail_events = pulldoctor_diagnosis::NETWORK_CHANGES.iter().map(|e| e.to_string()).collect();
    options.changes_since = plan.changes_since.map(SystemTime::from);
    options
}

/// Each call that could not be made, one line on standard error (the report lists them as gaps);
/// with `verbose`, the library's own error under it.
pub fn print_failures(collected: &Collected, verbose: bool) {
    for failed in &collected.failed {
        let kind = if failed.denied { "denied (add this permission to read it)" } else { "failed" };
        eprintln!("pulldoctor: {} {kind}: {}", failed.call, failed.message);
        if let Some(detail) = failed.detail.as_deref().filter(|_| verbose) {
            eprintln!("  detail: {detail}");
        }
    }
}

/// Read collected files with the bundle reader, as if they were on disk.
pub fn model_of(collected: &Collected) -> Result<pulldoctor_model::Model> {
    Ok(read(collected, &ReadOptions { strict: false, threads: pulldoctor::fs::available_threads() })?.model)
}

/// Add documents made from the collected cluster (the probes' results) to what was collected, so
/// the reader reads them with the rest.
pub fn add_documents(
    collected: &mut Collected,
    make: impl FnOnce(&pulldoctor_model::Model) -> Result<Vec<(String, serde_json::Value)>>,
) -> Result<()> {
    let documents = make(&model_of(collected)?)?;
    collected.files.extend(documents.into_iter().map(|(name, json)| pulldoctor_live::File::value(name, json)));
    Ok(())
}

/// The collected files as a bundle on disk would hold them (with `collect-failures.json`).
pub fn files(collected: &Collected) -> crate::archive::BundleFiles {
    collected.failures_file().iter().chain(&collected.files).map(|f| (f.name.clone(), Ok(f.bytes(true).into_owned()))).collect()
}

/// What `diagnose` and `tui` collect without a bundle: the whole cluster (all namespaces, even
/// with -n: pods elsewhere that still pull are the comparison), then what it points at in AWS.
pub fn cluster_request(from: &crate::cli::BundleOrLive) -> Request {
    Request {
        kube: Some(KubeOptions { context: from.context.clone(), namespace: None }),
        aws: Some(AwsOptions { profile: from.profile.clone(), region: from.region.clone(), ..Default::default() }),
        need_cluster: true,
        every_pod: false,
        changes_since: None,
    }
}

/// Where a live collection reads from, in words.
pub fn describe_source(context: Option<&str>, profile: Option<&str>) -> String {
    format!("live collection (kubeconfig context {}, AWS profile {})", context.unwrap_or("current"), profile.unwrap_or("default chain"))
}

pub fn read(collected: &Collected, options: &ReadOptions) -> Result<pulldoctor_bundle::Bundle> {
    let failures = collected.failures_file();
    // a Kubernetes list is read from the text it was written to as it arrived (no copy)
    let files: Vec<(PathBuf, std::borrow::Cow<[u8]>)> =
        failures.iter().chain(&collected.files).map(|f| (PathBuf::from(&f.name), f.bytes(false))).collect();
    pulldoctor_bundle::read_contents(files.iter().map(|(p, b)| (p.as_path(), Ok::<&[u8], pulldoctor_bundle::FileError>(b))), options)
        .map_err(|e| anyhow!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulldoctor_diagnosis::plan::Repository as Needed;
    use pulldoctor_live::Failed;

    fn plan() -> Plan {
        Plan {
            instance_ids: ["i-0aaa".to_string()].into(),
            region: Some("eu-west-1".into()),
            repositories: [Needed { account: "111122223333".into(), region: "eu-west-1".into(), name: "team/app".into() }].into(),
            ..Plan::default()
        }
    }

    #[test]
    fn the_cluster_scopes_aws_where_the_user_did_not() {
        let options = scoped(&AwsOptions::default(), &plan());
        assert_eq!(options.region.as_deref(), Some("eu-west-1"));
        assert_eq!(options.instance_ids, vec!["i-0aaa".to_string()]);
        assert_eq!(options.repositories.len(), 1);
        assert_eq!(options.repositories[0].account.as_deref(), Some("111122223333"));
        assert_eq!(options.trail_events.len(), pulldoctor_diagnosis::NETWORK_CHANGES.len());
    }

    #[test]
    fn what_the_user_gave_wins() {
        let given = AwsOptions {
            region: Some("us-west-2".into()),
            vpc_ids: vec!["vpc-0given".into()],
            repositories: vec![Repository { name: "extra".into(), ..Repository::default() }],
            ..AwsOptions::default()
        };
        let options = scoped(&given, &plan());
        assert_eq!(options.region.as_deref(), Some("us-west-2"));
        assert_eq!(options.vpc_ids, vec!["vpc-0given".to_string()]);
        assert!(options.instance_ids.is_empty(), "--vpc replaces the nodes' VPCs");
        assert_eq!(options.repositories.len(), 2, "--repository adds to the failing pods' ones");
    }

    #[test]
    fn repeated_failures_are_counted_once() {
        let failed = |call: &str, message: &str| Failed { call: call.into(), denied: false, message: message.into(), detail: None };
        let mut collected = Collected {
            files: Vec::new(),
            failed: vec![
                failed("cloudtrail:LookupEvents", "boom"),
                failed("ec2:DescribeVpcs", "boom"),
                failed("cloudtrail:LookupEvents", "boom"),
            ],
        };
        collected.merge_failures();
        assert_eq!(collected.failed.len(), 2);
        assert_eq!(collected.failed[0].message, "boom (2 calls)");
    }
}
