//! Watching the pull path, so the next outage is seen before a pod meets it.
//!
//! In the incident behind pulldoctor, three route-table associations were removed 21 hours before
//! the first pull failed: cached images hid the break until the next rollout. Every fact needed to
//! raise the alarm that day was readable. This crate holds the logic that raises it, as data and
//! words, without I/O (the binary reads bundles, AWS and the cluster, serves HTTP and writes files):
//!
//! - [`baseline`]: the verdict of every node's path to every registry the cluster uses (the
//!   effective route table and how it was chosen, the route, the egress target and its state, the
//!   endpoint in effect, security groups, ACLs, DNS), plus the access facts (node roles' ECR
//!   permission, pull-secret expiry), taken from a [`Model`](pulldoctor_model::Model) with the
//!   path engine (`pulldoctor-net`) and the diagnosis' credential logic;
//! - [`drift`]: what changed between two baselines, ranked (a broken path first), each change in
//!   words a platform engineer reads at once, with the CloudTrail calls that made it and the
//!   command that returns to the baseline; `words` writes it as text;
//! - [`metrics`]: the agent's Prometheus exposition (path verdicts, probe steps, secret expiry,
//!   the last diagnosis' causes); [`notice`]: the Kubernetes Events and the Slack-compatible
//!   webhook message for a drift;
//! - [`alarms`]: the EventBridge rule (CloudTrail's network-changing calls, scoped to the
//!   cluster's VPCs by resource id), its SNS topic, VPC flow logs for the node subnets and a Logs
//!   Insights query for rejected registry traffic, as CloudFormation, Terraform JSON or plain
//!   JSON; the calls come from `pulldoctor_diagnosis::NETWORK_CHANGES`, the list the diagnosis'
//!   CloudTrail timeline uses.
//!
//! Architecture invariant: no I/O, no clock, no environment: `now` is an input everywhere.

mod access;
pub mod alarms;
pub mod baseline;
pub mod drift;
mod finding;
pub mod metrics;
pub mod notice;
pub mod plan;
mod request_fields;
pub mod words;

pub use baseline::take;
pub use baseline::{Baseline, BaselineError, Options};
pub use drift::{Drift, Finding, Severity, compare};
