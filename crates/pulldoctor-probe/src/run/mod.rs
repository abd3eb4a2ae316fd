//! The probe itself: the seven steps in order, each filling a [`Step`]. This module holds the
//! run (what every step shares) and the order; each step is a module of its own, and so are the
//! requests they make (`request`).

mod blob;
mod connect;
mod credentials;
mod handshake;
mod image_manifest;
mod instance_role;
mod ping;
mod request;
mod resolve;
mod target;
mod text;

use std::collections::HashMap;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::aws::AwsEnv;
use crate::dns::{Lookup, ResolvConf};
use crate::dockerconfig::{self, Credential, Secret};
use crate::http::Challenge;
use crate::manifest::{Descriptor, Platform};
use crate::net::Stream;
use crate::proxy::{ProxyChoice, ProxyEnv, ProxyRules};
use crate::report::*;
use crate::tls::TlsContext;
use crate::url::Url;
use target::Target;

/// What to probe and how.
#[derive(Debug, Clone)]
pub struct Config {
    /// `IMAGE` or `REGISTRY[:PORT]`, as given.
    pub input: String,
    /// The platform an index is matched against (`None`: this machine's).
    pub platform: Option<Platform>,
    /// The time each step may take.
    pub timeout: Duration,
    /// A pull secret to take credentials from.
    pub pull_secret: Option<PullSecret>,
    /// Where per-registry CAs are looked for (`certs.d` directories).
    pub certs_dirs: Vec<PathBuf>,
    /// The proxy settings the runtime has.
    pub proxy: ProxyEnv,
    /// The AWS endpoints (IMDS, ECR API) from the environment.
    pub aws: AwsEnv,
    /// `/etc/resolv.conf`.
    pub resolv_conf: PathBuf,
    /// `/etc/hosts`.
    pub hosts_file: PathBuf,
    /// Where this process runs: here (`local`), or in a pod pinned to a node.
    pub placement: Placement,
}

/// Where a probe runs. In-cluster, the pod that runs it says (through the downward API) which
/// node and pod it is and whose network namespace it uses.
#[derive(Debug, Clone)]
pub struct Placement {
    pub mode: ProbeMode,
    pub kubernetes_node: Option<String>,
    pub pod: Option<String>,
}

impl Default for Placement {
    fn default() -> Placement {
        Placement { mode: ProbeMode::Local, kubernetes_node: None, pod: None }
    }
}

/// A pull secret file, parsed.
#[derive(Debug, Clone)]
pub struct PullSecret {
    /// The file, as named on the command line.
    pub file: String,
    /// Its credentials.
    pub credentials: Vec<Credential>,
}

/// The probe cannot start: a malformed reference or proxy setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Manifests larger than this are not read (the largest real indexes are far smaller).
const MANIFEST_LIMIT: usize = 4 * 1024 * 1024;
/// How much of a layer is read.
const BLOB_BYTES: usize = 1024;
/// How long one IMDS request may take (the AWS SDKs allow about a second per attempt).
const IMDS_TIMEOUT: Duration = Duration::from_secs(2);

/// Where the credentials step will take credentials from, decided before the steps run.
enum CredentialPlan {
    PullSecret { file: String, credential: Credential, matches: usize },
    InstanceRole,
    None(String),
}

/// A host the first three steps check.
struct Planned {
    url: Url,
    role: HostRole,
}

/// One probe in progress: the target, the settings read once, and what each step leaves for the
/// next (lookups, open connections, the registry's challenge, the credentials, the layer).
struct Run<'a> {
    config: &'a Config,
    target: Target,
    node: Platform,
    resolv: ResolvConf,
    hosts_text: String,
    proxy: ProxyRules,
    tls: TlsContext,
    lookups: HashMap<String, Lookup>,
    pool: HashMap<String, Stream>,
    ready: HashMap<String, (TcpStream, SocketAddr)>,
    plan: CredentialPlan,
    challenge: Option<Challenge>,
    ping_error: Option<String>,
    authorization: Option<Secret>,
    layer: Option<Descriptor>,
}

/// Runs the probe. Fails only when it cannot start (a malformed reference or proxy setting);
/// everything the network does is in the report.
pub fn probe(config: &Config) -> Result<ProbeReport, UsageError> {
    let started_at = Utc::now();
    let started = Instant::now();
    let target = Target::parse(&config.input)?;
    let proxy = ProxyRules::new(&config.proxy).map_err(UsageError)?;
    for (value, source) in [&config.proxy.https_proxy, &config.proxy.http_proxy].into_iter().flatten() {
        let scheme = Url::parse(value).map(|u| u.scheme).unwrap_or_else(|_| "http".into());
        if scheme != "http" {
            return Err(UsageError(format!(
                "{source} uses a {scheme}:// proxy; the runtime can use one, but this probe speaks only to http:// proxies (override with --https-proxy)"
            )));
        }
    }
    let plan = credential_plan(config, &target);
    let mut run = Run {
        config,
        node: config.platform.clone().unwrap_or_else(Platform::this_machine),
        resolv: std::fs::read_to_string(&config.resolv_conf).map(|t| ResolvConf::parse(&t)).unwrap_or_default(),
        hosts_text: std::fs::read_to_string(&config.hosts_file).unwrap_or_default(),
        proxy,
        tls: TlsContext::load(config.certs_dirs.clone()),
        lookups: HashMap::new(),
        pool: HashMap::new(),
        ready: HashMap::new(),
        plan,
        challenge: None,
        ping_error: None,
        authorization: None,
        layer: None,
        target,
    };
    let planned = run.planned_hosts();
    let mut steps: Vec<Step> = Vec::new();
    let mut failed: Option<StepName> = None;
    for name in StepName::ALL {
        if let Some(failed) = failed {
            steps.push(Step::skipped(name, format!("{} failed", failed.as_str())));
            continue;
        }
        let step_started = Instant::now();
        let mut step = match name {
            StepName::Resolve => run.resolve(&planned),
            StepName::Connect => run.connect(&planned),
            StepName::Tls => run.handshakes(&planned),
            StepName::Ping => run.ping(),
            StepName::Credentials => run.credentials(),
            StepName::Manifest => run.manifest(),
            StepName::Blob => run.blob(),
        };
        if step.status != StepStatus::Skipped {
            step.duration_ms = step_started.elapsed().as_millis() as u64;
        }
        if step.failure.is_some() {
            step.status = StepStatus::Failed;
            failed = Some(name);
        }
        steps.push(step);
    }
    let ecr = run.target.ecr.as_ref().map(|ecr| EcrInfo {
        account: ecr.account.clone(),
        region: ecr.region.clone(),
        api_host: run.ecr_api_url().host,
        layer_host: ecr.layer_host(),
    });
    let registry_route = run.proxy.choose("https", &run.target.host, run.target.port);
    let (route, reason) = match &registry_route {
        ProxyChoice::Direct { reason } => ("direct", reason.clone()),
        ProxyChoice::Proxy { url, source } => ("proxy", format!("{} from {source}", url.shown())),
    };
    Ok(ProbeReport {
        kind: KIND.into(),
        api_version: API_VERSION.into(),
        node: NodeInfo {
            name: hostname(),
            mode: config.placement.mode,
            kubernetes_node: config.placement.kubernetes_node.clone(),
            pod: config.placement.pod.clone(),
            platform: run.node.to_string(),
            platform_from: if config.platform.is_some() { "--platform" } else { "this machine" }.into(),
        },
        target: TargetInfo {
            input: config.input.clone(),
            registry: run.target.registry.clone(),
            host: run.target.host.clone(),
            port: run.target.port,
            repository: run.target.repository.clone(),
            reference: run.target.reference.clone(),
            ecr,
        },
        proxy: ProxyInfo {
            https_proxy: config
                .proxy
                .https_proxy
                .as_ref()
                .map(|(v, _)| Url::parse(v).or_else(|_| Url::parse(&format!("http://{v}"))).map(|u| u.shown()).unwrap_or_default()),
            source: config.proxy.https_proxy.as_ref().map(|(_, s)| s.clone()),
            no_proxy: config.proxy.no_proxy.as_ref().map(|(v, _)| v.clone()),
            registry_route: route.into(),
            reason,
        },
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        timeout_ms: config.timeout.as_millis() as u64,
        result: if failed.is_some() { Verdict::Failed } else { Verdict::Passed },
        failed_step: failed,
        steps,
    })
}

fn hostname() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()))
        .or_else(|| std::env::var("HOSTNAME").ok())
}

fn credential_plan(config: &Config, target: &Target) -> CredentialPlan {
    if let Some(secret) = &config.pull_secret {
        let (credential, matches) =
            dockerconfig::lookup(&secret.credentials, &target.registry, target.repository.as_deref().unwrap_or_default());
        if let Some(credential) = credential {
            return CredentialPlan::PullSecret { file: secret.file.clone(), credential: credential.clone(), matches };
        }
    }
    let no_secret = match &config.pull_secret {
        Some(secret) => format!("the pull secret {} has no entry for {}", secret.file, target.registry),
        None => "no pull secret given (--pull-secret)".to_string(),
    };
    match (&target.ecr, config.aws.imds_disabled) {
        (Some(_), false) => CredentialPlan::InstanceRole,
        (Some(_), true) => CredentialPlan::None(format!("{no_secret}, and AWS_EC2_METADATA_DISABLED keeps the instance role out")),
        (None, _) => CredentialPlan::None(format!("{no_secret}, and no credential provider serves {}", target.registry)),
    }
}

impl Run<'_> {
    fn deadline(&self) -> Instant {
        Instant::now() + self.config.timeout
    }

    fn ecr_api_url(&self) -> Url {
        let (base, _) = match &self.target.ecr {
            Some(ecr) => self.config.aws.ecr_base(&ecr.region, &ecr.domain),
            None => (String::new(), None),
        };
        Url::parse(&format!("{base}/")).unwrap_or_else(|_| self.target.url("/"))
    }

    fn planned_hosts(&self) -> Vec<Planned> {
        let mut planned = vec![Planned { url: self.target.url("/v2/"), role: HostRole::Registry }];
        if let Some(ecr) = &self.target.ecr {
            if matches!(self.plan, CredentialPlan::InstanceRole) {
                planned.push(Planned { url: self.ecr_api_url(), role: HostRole::EcrApi });
            }
            let layer = Url::parse(&format!("https://{}/", ecr.layer_host())).unwrap_or_else(|_| self.target.url("/"));
            planned.push(Planned { url: layer, role: HostRole::Layer });
        }
        planned
    }
}
