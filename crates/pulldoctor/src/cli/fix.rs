//! `pulldoctor fix`'s flags.

use std::path::PathBuf;

use clap::Args;

use super::BundleOrLive;

pub const FIX_HELP: &str = "\
Diagnoses live (or reads BUNDLE and checks it against the live state), shows the plan for the
chosen cause (what changes, its blast radius, the alternatives), asks before acting, then makes
the change through the EC2 API: each call first with DryRun, then for real. It writes a change
record (what was there before, what is there after, who, when, and the calls that undo it) and
finishes by collecting, tracing and diagnosing again: fixed, partly fixed, or not fixed.

It makes network fixes pulldoctor can state with real ids: routes, route-table associations,
internet gateway attachments, security group and network ACL rules, endpoint private DNS, S3
gateway endpoints and their route tables, the VPC resolver. Everything else (access fixes, new
NAT gateways, interface endpoints that need a security group chosen) it prints for you to run.
It never deletes anything except, with --undo, what a record says it created.

Running it again when the cause is gone changes nothing. In a pipe it needs --yes.

Examples:
  pulldoctor fix --dry-run                 # the plan and the API calls, nothing changed
  pulldoctor fix                           # asks before each change set
  pulldoctor fix --cause route.no-route --option 2 --yes --record fix.json
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
    /// After a fix that worked, delete the failing pods that a Deployment, StatefulSet or
    /// DaemonSet owns so they pull again now (bare pods are never deleted)
    #[arg(long)]
    pub restart_failing: bool,
}
