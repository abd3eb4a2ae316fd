//! The flags of the commands that watch the pull path: `baseline`, `drift`, `alarms`, `agent`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Color, Format, LiveArgs};

pub const BASELINE_HELP: &str = "\
A baseline is the path engine's verdict for every node's path to every host a pull from a
registry in use needs (the registry; for ECR its layer store and, when pods pull without a pull
secret, the token API), with what decided it: the route table and how the subnet came to use it,
the route, the egress target and its state, the endpoint in effect, each hop (security groups,
ACLs, DNS). Plus the access facts: the node roles' ECR permission and each pull secret's expiry.
It is one JSON document (kind PulldoctorBaseline); `pulldoctor drift FILE` compares with it.

Examples:
  pulldoctor baseline bundle -o baseline.json
  pulldoctor baseline -o baseline.json                  # live (needs --features live)
  pulldoctor baseline examples/rosa-ecr-main-route-table-before --now 2025-08-22T16:00:00Z -o before.json";

#[derive(Args)]
pub struct BaselineArgs {
    /// The bundle directory; without one, the cluster and AWS are read live
    pub bundle: Option<PathBuf>,
    /// Where to write the baseline (JSON); `-` for standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
    /// The instant the facts describe (RFC 3339); default: the latest the bundle shows (live: now)
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Treat JSON files of no recognised kind as errors instead of skipping them
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub live: LiveArgs,
}

pub const DRIFT_HELP: &str = "\
Compares the present with a baseline and says what changed in words: a subnet that lost its
route-table association and now uses a main table with no route out, a route that points at a
deleted NAT gateway, a security group that no longer allows 443 out, a node role that lost ECR
access; with the nodes that can no longer reach each registry, how many running pods depend on it
(they keep running until their next pull), the CloudTrail calls since the baseline that made the
change, and the command that returns to the baseline. Breaks are ranked first. Pull secrets whose
ECR token expires within --warn-expiry are warnings.

BEFORE and AFTER are each a baseline file or a bundle directory; without AFTER the present is
read live. For cron or CI: the exit status, --format json, and --save to keep the new baseline.

Examples:
  pulldoctor drift baseline.json bundle
  pulldoctor drift baseline.json --format json --warn-expiry 48h     # live
  pulldoctor drift examples/rosa-ecr-main-route-table-before examples/rosa-ecr-main-route-table \\
      --before-now 2025-08-22T16:00:00Z

Exit status: 0 when no path broke, 1 when one did (or a node role lost access), 2 for usage or
input errors.";

#[derive(Args)]
pub struct DriftArgs {
    /// The baseline: a file `pulldoctor baseline` wrote, or a bundle directory
    pub before: PathBuf,
    /// The present: a bundle directory or a baseline file; without it, read live
    pub after: Option<PathBuf>,
    /// Warn about pull secrets whose ECR token expires within this long (e.g. 24h, 90m, 2d)
    #[arg(long, default_value = "24h", value_name = "DURATION")]
    pub warn_expiry: String,
    /// text, or json (one document, kind PulldoctorDrift)
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Colour in text output (auto: on a terminal, unless NO_COLOR is set)
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
    /// The instant the present describes (RFC 3339); default: the latest it shows (live: now)
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// When BEFORE is a bundle: the instant it describes
    #[arg(long, value_name = "TIME")]
    pub before_now: Option<String>,
    /// Also write the present's baseline to FILE (to compare with next time)
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Treat JSON files of no recognised kind as errors instead of skipping them
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub live: LiveArgs,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum AlarmFormat {
    Cloudformation,
    Terraform,
    Json,
}

pub const ALARMS_HELP: &str = "\
Generates, from the calls the diagnosis' CloudTrail timeline looks for (route table
associations and routes, NAT and internet gateways, security group egress, ACL entries, VPC
endpoints and their policies, VPC DNS attributes), an EventBridge rule scoped to the cluster's VPCs
by the ids their resources have now, with an SNS topic as target; and VPC flow logs for the
nodes' subnets with a CloudWatch Logs Insights query that shows registry traffic that was
rejected or never answered. Nothing is deployed: deploy what is printed. EventBridge receives
these calls through a CloudTrail trail that logs write management events in the region.

Examples:
  pulldoctor alarms bundle --format cloudformation > pull-path-alarms.json
  aws cloudformation deploy --template-file pull-path-alarms.json --stack-name pull-path-alarms \\
      --capabilities CAPABILITY_IAM --parameter-overrides AlarmEmail=oncall@example.com
  pulldoctor alarms bundle --format terraform > pull-path-alarms.tf.json
  pulldoctor alarms bundle --format json | jq -r '.commands[]'   # the same as aws commands";

#[derive(Args)]
pub struct AlarmsArgs {
    /// The bundle directory; without one, the cluster and AWS are read live
    pub bundle: Option<PathBuf>,
    /// cloudformation (a JSON template), terraform (Terraform JSON syntax) or json (with the aws commands)
    #[arg(long, value_enum, default_value = "cloudformation")]
    pub format: AlarmFormat,
    /// Only these VPCs (repeatable); default: the VPCs of the cluster's nodes
    #[arg(long = "vpc", value_name = "VPC_ID")]
    pub vpcs: Vec<String>,
    /// Prefix of the names of what is created
    #[arg(long, default_value = "pulldoctor")]
    pub name: String,
    /// Notify this SNS topic instead of creating one
    #[arg(long, value_name = "ARN")]
    pub sns_topic_arn: Option<String>,
    /// Days the flow logs are kept
    #[arg(long, default_value_t = 14)]
    pub retention_days: u32,
    /// Write to FILE instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Treat JSON files of no recognised kind as errors instead of skipping them
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub live: LiveArgs,
}

pub const AGENT_HELP: &str = "\
Two modes, both long-running (deploy/ has the manifests):

  --mode cluster (a Deployment): every --interval, reads the cluster and AWS live (in-cluster
  service account; AWS through IRSA, EKS Pod Identity or the node role), re-traces every node's
  path to every registry in use, compares with the last cycle, reads the probes of the node
  agents, and on a broken path or a failing probe runs the full diagnosis. It exports Prometheus
  metrics on /metrics, /healthz and /readyz, logs JSON lines, creates a Kubernetes Event on each
  affected node (--no-events: none) and posts to --webhook-url (Slack-compatible JSON).

  --mode node (a DaemonSet with hostNetwork): every --interval, runs `probe --local` in-process
  against the registries in use (asked of the cluster agent at --cluster-agent, or --target), from
  the node's own network namespace, resolver and instance role, as the runtime would; serves its
  reports on /v1/probes, metrics on /metrics.

It changes nothing in AWS or the cluster: its only writes are the Events.

Examples:
  pulldoctor agent --mode cluster --interval 5m --listen 0.0.0.0:9464
  pulldoctor agent --mode node --cluster-agent http://pulldoctor.pulldoctor.svc:9464";

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum AgentMode {
    Cluster,
    Node,
}

#[derive(Args)]
pub struct AgentArgs {
    /// cluster (watch paths, diagnose, notify) or node (probe from this node)
    #[arg(long, value_enum, default_value = "cluster")]
    pub mode: AgentMode,
    /// Time between cycles: 30s, 5m, 1h
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    pub interval: String,
    /// Where /metrics, /healthz, /readyz (and in node mode /v1/probes) are served
    #[arg(long, default_value = "0.0.0.0:9464", value_name = "ADDRESS:PORT")]
    pub listen: String,
    /// Run one cycle, print its log lines and exit (0: no path blocked, 1: one is)
    #[arg(long)]
    pub once: bool,
    /// Warn about pull secrets whose ECR token expires within this long
    #[arg(long, default_value = "24h", value_name = "DURATION")]
    pub warn_expiry: String,
    /// Do not create Kubernetes Events
    #[arg(long)]
    pub no_events: bool,
    /// The namespace node Events are created in
    #[arg(long, default_value = "default")]
    pub event_namespace: String,
    /// Post breaks and restores to this URL (Slack-compatible JSON); also PULLDOCTOR_WEBHOOK_URL
    #[arg(long, value_name = "URL", env = "PULLDOCTOR_WEBHOOK_URL", hide_env_values = true)]
    pub webhook_url: Option<String>,
    /// The cluster's name in messages
    #[arg(long, default_value = "the cluster")]
    pub cluster_name: String,
    /// Cluster mode: the node agents' pods (label selector, in --probe-namespace)
    #[arg(long, default_value = "app.kubernetes.io/name=pulldoctor,app.kubernetes.io/component=node-probe")]
    pub probe_selector: String,
    /// Cluster mode: the namespace of the node agents (default: this pod's, else pulldoctor)
    #[arg(long, env = "POD_NAMESPACE")]
    pub probe_namespace: Option<String>,
    /// Cluster mode: the port the node agents listen on
    #[arg(long, default_value_t = 9465)]
    pub probe_port: u16,
    /// Node mode: the cluster agent, asked for the registries in use
    #[arg(long, value_name = "URL")]
    pub cluster_agent: Option<String>,
    /// Node mode: probe this image or registry (repeatable), as well as what the cluster agent names
    #[arg(long = "target", value_name = "IMAGE|REGISTRY")]
    pub targets: Vec<String>,
    /// Node mode: this node's name (the downward API's spec.nodeName)
    #[arg(long, env = "NODE_NAME")]
    pub node_name: Option<String>,
    /// Node mode: the time each probe step may take
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub probe_timeout: String,
    #[command(flatten)]
    pub live: LiveArgs,
}
