//! Command-line flags, as small structs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const COLLECT_HELP: &str = "\
Reads the cluster first, then only what its failures point at: the VPCs of the nodes, the ECR
repositories of the failing pods, the node roles, the pull secrets those pods can use, and
CloudTrail's network changes from 14 days before the first failure. Calls run concurrently; a
spinner shows them on a terminal. Everything is read-only: docs/aws-iam-policy.json and
docs/clusterrole.yaml are the permissions. A denied call becomes a gap in the report.

Examples:
  pulldoctor collect -o bundle
  pulldoctor collect -o bundle --profile prod --context prod-east -n shop
  pulldoctor collect -o bundle --skip-kubernetes --vpc vpc-0abc --repository team/app";

const AFTER_HELP: &str = "\
Exit status: 0 when no pod fails to pull, 1 when failures were diagnosed, 2 for usage or input errors.

A bundle is a directory of plain command outputs, e.g.:
  aws ec2 describe-route-tables --output json > bundle/route-tables.json
  kubectl get pods,events -A -o json           > bundle/pods.json
See the README for the full list of commands.";

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
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Args)]
pub struct Input {
    /// The bundle directory (read recursively: every *.json file in it)
    pub bundle: PathBuf,
    /// Treat JSON files of no recognised kind as errors instead of skipping them
    #[arg(long)]
    pub strict: bool,
}

#[derive(Args)]
pub struct Diagnose {
    /// The bundle directory; without one, pulldoctor collects live from the current kubeconfig
    /// context and the standard AWS credential chain (needs `--features live`)
    pub bundle: Option<PathBuf>,
    /// Treat JSON files of no recognised kind as errors instead of skipping them
    #[arg(long)]
    pub strict: bool,
    /// Live: AWS profile
    #[arg(long)]
    pub profile: Option<String>,
    /// Live: AWS region (default: from the profile, AWS_REGION, or the nodes' zones)
    #[arg(long)]
    pub region: Option<String>,
    /// Live: kubeconfig context
    #[arg(long)]
    pub context: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
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
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
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
