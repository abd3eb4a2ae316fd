//! `pulldoctor fix`'s flags.

use std::path::PathBuf;

use clap::Args;

use super::BundleOrLive;

pub const FIX_HELP: &str = "\
Diagnoses live (or reads BUNDLE and refuses unless the live state plans the same changes), shows
the plan for the chosen cause (what changes, its blast radius, the alternatives), asks, then makes
the change through the AWS SDK and kube-rs: each EC2 call first with DryRun, then for real. It
writes a change record (what was there before and after, who, when, the calls that undo it) and
finishes by collecting again, tracing every affected node to every host its pulls need, and
diagnosing: fixed, partly fixed, not fixed, or not confirmed (exit 0 only for fixed). With
--probe it also runs the in-cluster probe from the cause's nodes: a pull that still fails there
is not fixed, whatever the configuration says.

It makes what it can state with real ids in the cluster's own account: routes, route-table
associations, internet gateway attachments, security group and network ACL rules, endpoint
private DNS, missing ECR and S3 endpoints (with a security group for the nodes), S3 gateway
routes, the VPC resolver, the node role's ECR pull policy, a repository policy statement, an
expired ECR pull secret's token (--option 1). It prints the rest for you (a new NAT gateway,
endpoint policies, pull secrets' credentials, cluster configuration) and refuses what lies outside
the cluster's VPCs or in another account. It deletes only what an --undo record says it created.

Running it again when the cause is gone changes nothing. In a pipe it needs --yes. Permissions:
docs/aws-iam-fix-policy.json and docs/clusterrole-fix.yaml (and for --probe the pulldoctor-prober
role of docs/clusterrole.yaml). Needs --features live.

Examples:
  pulldoctor fix --dry-run                 # the plan and the API calls, nothing changed
  pulldoctor fix                           # the top cause's preferred option; asks first
  pulldoctor fix --cause route.no-route --option 2 --yes --record fix.json
  pulldoctor fix --yes --probe             # and prove it: probe the pull from the cause's nodes
  pulldoctor fix --cause pullsecret.expired --option 1 --restart-failing
  pulldoctor fix --undo fix.json
  pulldoctor fix case-bundle/ --yes        # plan from a bundle, refused if live differs";

#[derive(Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub from: BundleOrLive,
    /// The cause to fix: its number in the report (1 is the top one) or its code (route.no-route)
    #[arg(long, value_name = "N|CODE", default_value = "1")]
    pub cause: String,
    /// The fix option to carry out (1, 2, ... as the report lists them) [default: the preferred one]
    #[arg(long, value_name = "N")]
    pub option: Option<usize>,
    /// Act without asking (needed when standard input is not a terminal)
    #[arg(long)]
    pub yes: bool,
    /// Print the plan and the API calls it would make; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Where to write the change record [default: pulldoctor-fix-TIME.json]
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Reverse the changes a record says were made (newest first), then diagnose again
    #[arg(long, value_name = "RECORD", conflicts_with_all = ["cause", "option", "bundles"])]
    pub undo: Option<PathBuf>,
    /// After the change, also run the in-cluster probe on the cause's nodes (one per subnet first,
    /// at most 5) and judge by what it observed, not only by the configuration. Probes IMAGE when
    /// given (`--probe=IMAGE`), else the image each node's pods failed on (see `pulldoctor probe
    /// --help` for how the probe gets onto a node without a pull)
    #[arg(long, value_name = "IMAGE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub probe: Option<String>,
    /// After a fix that worked, delete the failing pods that a ReplicaSet (a Deployment's),
    /// StatefulSet or DaemonSet owns so they pull again now (bare pods are never deleted)
    #[arg(long)]
    pub restart_failing: bool,
}
