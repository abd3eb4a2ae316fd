//! `pulldoctor agent`: the long-running, in-cluster form.
//!
//! Two modes (deploy/ has both manifests):
//!
//! - **cluster** (`cluster.rs`, a Deployment of one replica): on an interval, reads the cluster and
//!   AWS live, takes a baseline (every node's path to every registry in use), compares it with the
//!   last cycle's, reads the node agents' probes, runs the full diagnosis when a path is blocked or
//!   a probe fails, exports it all on /metrics, and on a break or a restore creates an Event on
//!   each affected node and posts to the webhook.
//! - **node** (`node.rs`, a DaemonSet with `hostNetwork`): on an interval, runs the probe of
//!   `pulldoctor probe --local` in-process against the registries in use, from the node's own
//!   network namespace, resolver and instance role, the way the runtime pulls.
//!
//! Why a DaemonSet for the probe, not probe pods scheduled on demand: a pod started when pulls fail
//! must itself be pulled, through the path that is broken; a DaemonSet's pods are already running
//! (their image on the node) when the path breaks, so they keep probing through the outage. They
//! run where the runtime runs (`hostNetwork`: the node's routes, security groups, resolv.conf and
//! IMDS), need no RBAC at all, and the cluster agent needs no right to create pods. The seam: the
//! cluster agent only reads `GET /v1/probes` (a JSON array of `PulldoctorProbe` documents) from
//! the pods its `--probe-selector` matches, so an in-cluster launcher (`probe --node`, being built
//! beside this) can serve the same document instead.

mod cluster;
mod http;
mod log;
mod node;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{AgentArgs, AgentMode};

pub fn agent(args: AgentArgs) -> Result<ExitCode> {
    match args.mode {
        AgentMode::Cluster => cluster::run(args),
        AgentMode::Node => node::run(args),
    }
}
