//! Command-line flags, as small structs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod fix;
mod watch;
pub use fix::*;
pub use watch::*;

const COLLECT_HELP: &str = "\
Reads the cluster first, then only what its failures point at: the VPCs of the nodes, the ECR
repositories of the failing pods, the node roles, the pull secrets those pods can use, and
CloudTrail's network changes from 14 days before the first failure. Calls run concurrently; a
spinner shows them on a terminal. Everything is read-only: docs/aws-iam-policy.json and
docs/clusterrole.yaml are the permissions. A denied call becomes a gap in the report.

Examples:
  pulldoctor collect -o bundle
  pulldoctor collect --archive case.tar.gz       # one file for a support case
  pulldoctor collect -o bundle --profile prod --context prod-east -n shop
  pulldoctor collect -o bundle --skip-kubernetes --vpc vpc-0abc --repository team/app";

const AFTER_HELP: &str = "\
Exit status: 0 when no pod fails to pull, 1 when failures were diagnosed, 2 for usage or input errors.

A bundle is a directory of plain command outputs (JSON or YAML), e.g.:
  aws ec2 describe-route-tables --output json > bundle/route-tables.json
  kubectl get pods,events -A -o yaml           > bundle/pods.yaml
It may also be what you already have: an OpenShift must-gather (its folder or its .tar.gz),
a .tar/.tar.gz/.zip of a bundle, .gz files, nodes' journals (journalctl -u kubelet,
oc adm node-logs).
Give several to read them together: pulldoctor diagnose must-gather.local.123/ aws/
See the README (\"Read what you already have\") for the full list.";

#[derive(Parser)]
#[command(name = "pulldoctor", version, about = "Find out why a Kubernetes or OpenShift cluster cannot pull its images", after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Diagnose failing pulls: ranked causes, evidence, what is ruled out, and the fix
    Diagnose(Diagnose),
    /// Trace the network path from a node, instance or subnet to a host, hop by hop
    Path(PathArgs),
    /// Compare pods that pull from a registry with pods that fail to: what separates them
    Compare(CompareArgs),
    /// Classify pull error messages (arguments, or one per line on standard input)
    Classify(ClassifyArgs),
    /// Explain a cause code or a check (no argument: list them all)
    Explain(ExplainArgs),
    /// Print the JSON Schema of `diagnose --format json`
    Schema,
    /// Collect a bundle live into DIR: the cluster with kube-rs (kubeconfig), then AWS with the SDK, scoped to what fails
    #[command(after_help = COLLECT_HELP)]
    Collect(CollectArgs),
    /// Try one pull step by step from here: DNS, TCP, TLS, ping, credentials, manifest, layer
    #[command(after_help = PROBE_HELP)]
    Probe(ProbeArgs),
    /// The interactive troubleshooter: every layer with its verdict, from the failing pod to the fix
    #[command(after_help = TUI_HELP)]
    Tui(TuiArgs),
    /// Record every node's path to every registry in use, and the access facts, in FILE
    #[command(after_help = BASELINE_HELP)]
    Baseline(BaselineArgs),
    /// What changed since a baseline, broken paths first; exit 1 when a path broke
    #[command(after_help = DRIFT_HELP)]
    Drift(DriftArgs),
    /// Generate AWS alarms: an EventBridge rule for changes to the pull path, VPC flow logs, a query
    #[command(after_help = ALARMS_HELP)]
    Alarms(AlarmsArgs),
    /// Carry out a cause's fix (asks first), record it and prove it worked
    #[command(after_help = FIX_HELP)]
    Fix(FixArgs),
    /// Run in the cluster: re-trace every path on an interval, probe, diagnose, export metrics
    #[command(after_help = AGENT_HELP)]
    Agent(AgentArgs),
}

const TUI_HELP: &str = "\
Left: the layers a pull crosses (symptoms, scope, network path, DNS, endpoints, access, image,
cluster policy), each with its verdict (✗ broken, ! after the fix, ? unknown, ✓ clear, · not
checked), then causes, working vs failing, gaps and the fix plan. Right: the selected one.

From a failing pod to its fix: Enter (the pods), Enter (the pod's cause and its evidence), f (the
fix). Keys: arrows or hjkl, / search, y copy a command, r collect again, a write the escalation
package, ? help, q quit. It needs a terminal: in a pipe it refuses (exit 2); use `diagnose`.
Without a bundle it collects live (needs --features live) and shows the calls as they run.

Examples:
  pulldoctor tui examples/rosa-ecr-main-route-table
  pulldoctor tui --context prod-east --profile prod";

#[derive(Args)]
pub struct TuiArgs {
    #[command(flatten)]
    pub from: BundleOrLive,
    /// Judge token expiry and ages at this instant (RFC 3339) instead of the latest time the bundle shows
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// Colour (auto: unless NO_COLOR is set)
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
    /// Leave the mouse to the terminal (its own selection and copy) instead of clicks and the wheel
    #[arg(long)]
    pub no_mouse: bool,
}

impl TuiArgs {
    pub fn now_time(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.now
    }
}

fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    pulldoctor_bundle::time::parse(text).ok_or_else(|| format!("`{text}` is not an RFC 3339 time (e.g. 2025-08-25T11:30:00Z)"))
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

/// What `diagnose` writes.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum ReportFormat {
    // (no doc comments here: clap would print every value on a line of its own)
    Text,
    Json,
    Markdown,
    Html,
}

impl ReportFormat {
    /// The format a file name asks for: `.html`/`.htm`, `.json`, `.md`; else none.
    pub fn from_extension(path: &std::path::Path) -> Option<ReportFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "html" | "htm" => Some(ReportFormat::Html),
            "json" => Some(ReportFormat::Json),
            "md" | "markdown" => Some(ReportFormat::Markdown),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Args)]
pub struct Input {
    /// Bundles to read together: directories (read recursively), archives (.tar, .tar.gz, .tgz,
    /// .zip) or single files; JSON, YAML, nodes' journals, also .gz
    #[arg(required = true, value_name = "BUNDLE")]
    pub bundles: Vec<PathBuf>,
    /// Treat files of no recognised kind as errors instead of skipping them
    #[arg(long)]
    pub strict: bool,
}

/// Where `diagnose` and `tui` read from: bundles, or live.
#[derive(Args, Clone)]
pub struct BundleOrLive {
    /// Bundles to read together (directories, archives, files: see `pulldoctor --help`); without
    /// one, pulldoctor collects live from the current kubeconfig context and the standard AWS
    /// credential chain (needs `--features live`)
    #[arg(value_name = "BUNDLE")]
    pub bundles: Vec<PathBuf>,
    /// Treat files of no recognised kind as errors instead of skipping them
    #[arg(long)]
    pub strict: bool,
    /// Print the SDK's own error under each collection failure (live, or from the bundle's
    /// collect-failures.json) on standard error
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// Live: AWS profile
    #[arg(long)]
    pub profile: Option<String>,
    /// Live: AWS region (default: from the profile, AWS_REGION, or the nodes' zones)
    #[arg(long)]
    pub region: Option<String>,
    /// Live: kubeconfig context
    #[arg(long)]
    pub context: Option<String>,
}

#[derive(Args)]
pub struct Diagnose {
    #[command(flatten)]
    pub from: BundleOrLive,
    /// text (100 columns), json (docs/report.md), markdown (a ticket), or html (one self-contained
    /// page with the network drawn) [default: text, or what -o's extension says: .html .json .md]
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// List every failing container, gap and traced path in the text and Markdown reports (more
    /// than 20 failing containers are otherwise grouped by error class, namespace and image, gaps
    /// with one reason folded, and paths that differ only in the address dialled shown once; the
    /// JSON always has both the groups and every item)
    #[arg(long)]
    pub all: bool,
    /// Write the report to FILE instead of standard output (e.g. -o report.html)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write an escalation package to FILE (.tar.gz): the bundle with credentials replaced,
    /// the HTML, Markdown and JSON reports, and a manifest of what was collected and denied
    #[arg(long, value_name = "FILE")]
    pub archive: Option<PathBuf>,
    /// Colour in text output (auto: when standard output is a terminal and NO_COLOR is unset)
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
    /// Judge token expiry and ages at this instant (RFC 3339) instead of the latest time the bundle shows
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Only pods in this namespace
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Only this pod (NAME or NAMESPACE/NAME)
    #[arg(long)]
    pub pod: Option<String>,
    /// Only pods on this node
    #[arg(long)]
    pub node: Option<String>,
    /// Only containers whose image reference contains this text
    #[arg(long)]
    pub image: Option<String>,
    /// Live: probe the failing nodes (and one working node) first, in pods in the namespace
    /// pulldoctor, and join what they observe to the causes (see `pulldoctor probe --help`)
    #[arg(long, conflicts_with = "bundles")]
    pub probe: bool,
}

#[derive(Args)]
pub struct PathArgs {
    #[command(flatten)]
    pub input: Input,
    /// Where the path starts: a node name, an instance id (i-...) or a subnet id (subnet-...)
    #[arg(long)]
    pub from: String,
    /// Where it goes: HOST[:PORT] or ADDRESS[:PORT]; HOST@ADDRESS[:PORT] names both (a dialled address)
    #[arg(long)]
    pub to: String,
    /// Output format (text or json)
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Colour (see diagnose --color)
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
}

#[derive(Args)]
pub struct ClassifyArgs {
    /// Messages to classify; with none, one message per line is read from standard input
    pub messages: Vec<String>,
    /// text, or json (one JSON object per line)
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Args)]
pub struct ExplainArgs {
    /// A cause code (e.g. route.no-route) or a check name (e.g. network-path)
    pub code: Option<String>,
    /// Print every code and check as one Markdown document (docs/codes.md is this output)
    #[arg(long, conflicts_with = "code")]
    pub markdown: bool,
}

#[derive(Args)]
pub struct CompareArgs {
    #[command(flatten)]
    pub input: Input,
    /// text, or json
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Only pods in this namespace
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
}

#[derive(Args)]
pub struct CollectArgs {
    /// Directory to write the bundle into (created; files are the JSON the AWS CLI prints)
    #[arg(short = 'o', long = "output", required_unless_present = "archive")]
    pub output: Option<PathBuf>,
    /// Write an escalation package to FILE (.tar.gz) to attach to a support case: the bundle with
    /// credentials replaced, the HTML, Markdown and JSON reports, and a manifest of what was
    /// collected and what was denied
    #[arg(long, value_name = "FILE")]
    pub archive: Option<PathBuf>,
    /// Under each call that failed, print the SDK's own error too
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// AWS profile (default: the standard credential chain)
    #[arg(long)]
    pub profile: Option<String>,
    /// AWS region (default: the nodes' region from their zones, else the profile or AWS_REGION)
    #[arg(long)]
    pub region: Option<String>,
    /// Only these VPCs (repeatable); default: the VPCs holding the cluster's nodes (every VPC
    /// when no node names its EC2 instance, e.g. with --skip-kubernetes)
    #[arg(long = "vpc", value_name = "VPC_ID")]
    pub vpcs: Vec<String>,
    /// Also read this ECR repository's images and policy (repeatable): a name in your own
    /// registry (team/app) or an image reference (ACCOUNT.dkr.ecr.REGION.amazonaws.com/team/app).
    /// The failing pods' repositories are always read
    #[arg(long = "repository", value_name = "REPO")]
    pub repositories: Vec<String>,
    /// Kubeconfig context (default: the current one, or the in-cluster config)
    #[arg(long)]
    pub context: Option<String>,
    /// Only this namespace for pods, events, service accounts and network policies (default: all)
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Do not read AWS
    #[arg(long)]
    pub skip_aws: bool,
    /// Do not read the cluster
    #[arg(long)]
    pub skip_kubernetes: bool,
}

pub const PROBE_HELP: &str = "\
Runs one pull step by step: resolve (which DNS server answered, private or public addresses),
connect (each address, or through HTTPS_PROXY as the runtime would), tls (issuer, expiry, names;
expired, wrong-name and untrusted named), ping (GET /v2/ and how it asks for credentials),
credentials (a pull secret, or the node's instance role through IMDSv2 and
ecr:GetAuthorizationToken; the token's expiry, never the token), manifest (digest, media type,
the index variant for this platform) and blob (the first bytes of one layer, through the
redirect to the layer store). A failed step is classified like `pulldoctor classify`; the steps
after it are skipped. It sends a handful of read requests, never pushes, prints no secret.

Where it runs:
  --local            here, in this process (on a node: ssh, or `oc debug node/NAME`, `chroot /host`)
  --failing-nodes    (the default without --local) in pods pinned to the nodes whose pods fail to
                     pull, one per subnet first, plus one node that works, to compare
  --node NAME        on that node (repeatable); --all-nodes: on every ready node
In the cluster each pod uses the node's network (hostNetwork; add --pod-network for a pod's too),
tolerates every taint, ends within its deadline and is deleted afterwards. It cannot pull through
the broken path, so it runs from what the node already holds: a pulldoctor image there (kept by
the agent), else an image with a shell into which this static binary is copied (exec, like
`kubectl cp`); or name a pulldoctor image in a mirror that works with --image. --dry-run prints
the pods and creates nothing. RBAC: the optional pulldoctor-prober role in docs/clusterrole.yaml.

Examples:
  pulldoctor probe --local 123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:v1
  pulldoctor probe --local quay.io/org/app:1.0 --pull-secret pull-secret.json --format json
  pulldoctor probe --local registry.example.com:5000 -o probe.json
  pulldoctor probe --dry-run                     # the pods --failing-nodes would create
  pulldoctor probe -o bundle/probes              # probe failing nodes + one working; keep the results
  pulldoctor probe --node ip-10-0-60-229.ec2.internal --image mirror.example.com/tools/pulldoctor:0.1.0

Exit status: 0 when every step passed (on every node), 1 when one failed (or a node could not be
probed), 2 for usage errors.";

#[derive(Args)]
pub struct ProbeArgs {
    /// IMAGE (REGISTRY/REPOSITORY[:TAG|@DIGEST]) or a REGISTRY[:PORT] alone; in the cluster it
    /// defaults to the image each node's pods fail on
    pub target: Option<String>,
    /// Run the probe here, in this process
    #[arg(long, conflicts_with_all = ["node", "failing_nodes", "all_nodes", "dry_run", "image", "pod_network"])]
    pub local: bool,
    /// Take credentials from this pull secret: a .dockerconfigjson file, or the output of
    /// `kubectl get secret NAME -o json` (--local only)
    #[arg(long, value_name = "FILE")]
    pub pull_secret: Option<PathBuf>,
    /// Match an image index against this platform instead of this machine's (e.g. linux/arm64)
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Time each step may take: 10s, 500ms, 2 (seconds)
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub timeout: String,
    /// text, or json (the document -o writes; in the cluster a PulldoctorProbeList)
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Also write the result as JSON: to FILE with --local, into the directory DIR in the
    /// cluster (probe-NODE.json each; put it in a bundle and `diagnose` joins them)
    #[arg(short = 'o', long = "output", value_name = "FILE|DIR")]
    pub output: Option<PathBuf>,
    /// Where per-registry CAs are (DIR/REGISTRY/*.crt); repeatable. Default:
    /// /etc/containerd/certs.d and /etc/containers/certs.d (in the cluster: the node's)
    #[arg(long = "certs-dir", value_name = "DIR")]
    pub certs_dirs: Vec<PathBuf>,
    /// The runtime's HTTPS proxy, instead of HTTPS_PROXY/https_proxy here ("" for none); in the
    /// cluster the default is OpenShift's cluster proxy, else none
    #[arg(long, value_name = "URL")]
    pub https_proxy: Option<String>,
    /// The runtime's NO_PROXY list, instead of NO_PROXY/no_proxy here
    #[arg(long, value_name = "LIST")]
    pub no_proxy: Option<String>,
    /// Colour in text output (auto: on a terminal, unless NO_COLOR is set)
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
    /// In the cluster: probe on this node (repeatable)
    #[arg(long, value_name = "NAME", conflicts_with_all = ["failing_nodes", "all_nodes"])]
    pub node: Vec<String>,
    /// In the cluster: probe on the nodes whose pods fail to pull, and one that works (the default)
    #[arg(long, conflicts_with = "all_nodes")]
    pub failing_nodes: bool,
    /// In the cluster: probe on every ready node
    #[arg(long)]
    pub all_nodes: bool,
    /// In the cluster: also probe from a pod's network namespace (a second pod per node)
    #[arg(long)]
    pub pod_network: bool,
    /// In the cluster: the namespace for the probe pods (it must allow host networking and a
    /// read-only hostPath: see the README)
    #[arg(short = 'n', long, default_value = "pulldoctor", value_name = "NS")]
    pub namespace: String,
    /// In the cluster: run this pulldoctor image (from a mirror the nodes can reach) instead of
    /// what the nodes hold
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// In the cluster: the static pulldoctor binary to copy into a node's image (default: this
    /// one, when it is static and of the node's architecture)
    #[arg(long, value_name = "FILE")]
    pub binary: Option<PathBuf>,
    /// In the cluster: at most this many failing nodes (one per subnet or zone first)
    #[arg(long, default_value = "5", value_name = "N")]
    pub max_nodes: usize,
    /// In the cluster: print the pods that would be created, create nothing
    #[arg(long)]
    pub dry_run: bool,
    /// In the cluster: kubeconfig context
    #[arg(long)]
    pub context: Option<String>,
}

/// Where the facts come from when no bundle is given: the cluster and AWS, live.
#[derive(Args, Clone, Default)]
pub struct LiveArgs {
    /// Live: AWS profile (default: the standard chain: environment, IRSA or EKS Pod Identity, the node role)
    #[arg(long)]
    pub profile: Option<String>,
    /// Live: AWS region (default: from the profile, AWS_REGION, or the nodes' zones)
    #[arg(long)]
    pub region: Option<String>,
    /// Live: kubeconfig context (default: the current one, or the in-cluster service account)
    #[arg(long)]
    pub context: Option<String>,
}
