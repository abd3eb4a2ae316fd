//! After a fix: collect again, trace every affected node to every host its pulls need, diagnose
//! again, and say fixed, partly fixed, not fixed or not confirmed; then, if asked, restart the
//! failing pods that a controller owns.

use std::process::ExitCode;

use anyhow::Result;
use pulldoctor_diagnosis::report::{Cause, Timing};
use pulldoctor_model::Model;

use super::{diagnose_live, failed, observed};
use crate::cli::FixArgs;

/// The paths of the cause's pods, traced again from their nodes to every host their pulls need,
/// by name (a fresh resolution: the address their last error dialled may predate the change):
/// (node, host, verdict, blocker code).
fn retrace(model: &Model, pods: &[String]) -> Vec<(String, String, pulldoctor_net::Verdict, Option<pulldoctor_model::Code>)> {
    let engine = pulldoctor_net::Engine::new(model);
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for key in pods {
        let Some(pod) = model.pods.get(key) else { continue };
        let Some(node) = pod.node_name.as_ref().and_then(|n| model.nodes.get(n)) else { continue };
        let Some(instance) = model.node_instance(node) else { continue };
        for container in &pod.containers {
            let Ok(image) = pulldoctor_model::parse_image(&container.image) else { continue };
            for host in pulldoctor_diagnosis::pull_hosts::pull_hosts(&image, image.ecr.is_some()) {
                if !seen.insert((instance.id.clone(), host.host.clone())) {
                    continue;
                }
                let target = pulldoctor_net::Target { host: Some(host.host.clone()), port: host.port, ..Default::default() };
                let result = engine.trace(&pulldoctor_net::Origin::Instance(instance.id.clone()), &target);
                out.push((node.name.clone(), host.host, result.verdict, result.blocker.map(|b| b.code)));
            }
        }
    }
    out
}

/// Collect, trace and diagnose again (with `--probe`, probe from the cause's nodes too): fixed,
/// partly fixed or not fixed.
pub(super) fn verify(args: &FixArgs, cause: &Cause) -> Result<ExitCode> {
    use pulldoctor_net::Verdict;
    let probe = |model: &Model| {
        let (nodes, all) = observed::probe_nodes(model, &cause.pods);
        println!(
            "probing the pull from {} of the cause's {all} node(s){}",
            nodes.len(),
            if nodes.len() < all { " (one per subnet first)" } else { "" }
        );
        let image = args.probe.clone().filter(|i| !i.is_empty());
        observed::documents(model, args.from.context.clone(), nodes, image)
    };
    let extra: Option<super::Extra> = args.probe.is_some().then_some(&probe);
    println!("verifying: collecting, tracing and diagnosing again{}", if extra.is_some() { ", probing" } else { "" });
    let after = diagnose_live(args, extra)?;
    let observed = observed::Observed::of(&after.report, args.probe.is_some());
    observed::print(&observed);
    let pods = if cause.pods.len() > 5 {
        format!("{} and {} more", cause.pods[..5].join(", "), cause.pods.len() - 5)
    } else {
        cause.pods.join(", ")
    };
    let network = cause.layer == pulldoctor_diagnosis::report::Layer::Network;
    let paths = if network { retrace(&after.model, &cause.pods) } else { Vec::new() };
    let blocked: Vec<_> = paths.iter().filter(|(_, _, verdict, _)| *verdict == Verdict::Blocked).collect();
    let reachable = paths.iter().filter(|(_, _, verdict, _)| *verdict == Verdict::Reachable).count();
    if network {
        println!(
            "re-traced {} path(s) from the affected nodes: {reachable} open, {} blocked, {} unknown",
            paths.len(),
            blocked.len(),
            paths.len() - reachable - blocked.len()
        );
        for (node, host, _, code) in &blocked {
            println!("  blocked: {node} -> {host} ({})", code.map(|c| c.as_str()).unwrap_or("?"));
        }
        if let Some((_, _, _, code)) = blocked.iter().find(|(_, _, _, code)| *code == Some(cause.code)) {
            println!("not fixed: the path is still blocked by {}", code.map(|c| c.as_str()).unwrap_or("?"));
            return Ok(ExitCode::from(1));
        }
        if let Some((node, host, _, code)) = blocked.first() {
            println!(
                "partly fixed: {} is gone; {node} -> {host} is now blocked by {}",
                cause.code,
                code.map(|c| c.as_str()).unwrap_or("?")
            );
            return Ok(ExitCode::from(1));
        }
    }
    // Nothing in the configuration blocks the path: what the probe observed outweighs it.
    if let Some(verdict) = observed::verdict(&observed, cause.layer, cause.code.as_str()) {
        println!("{verdict}");
        return Ok(ExitCode::from(1));
    }
    let mut paths_open = false;
    if network {
        if reachable < paths.len() && observed.pulled_from().is_some() {
            println!("the probe settles what the configuration could not follow: the pull works from the nodes it ran on");
        } else if reachable < paths.len() {
            for (node, host, _, _) in paths.iter().filter(|(_, _, verdict, _)| *verdict == Verdict::Unknown) {
                println!("  unknown: {node} -> {host} (`pulldoctor path --from {node} --to {host}` shows where the trace stops)");
            }
            println!("not confirmed: nothing blocks the re-traced paths, but not every one could be followed to the end");
            return Ok(ExitCode::from(1));
        }
        paths_open = !paths.is_empty();
    }
    let same = after.report.causes.iter().find(|c| c.code == cause.code && c.resources.iter().any(|r| cause.resources.contains(r)));
    let next = after.report.causes.iter().find(|c| c.timing == Timing::Now && c.code != cause.code);
    match (same, paths_open) {
        (Some(still), false) => {
            println!("not fixed: {} is still there: {}", still.code, still.summary);
            return Ok(ExitCode::from(1));
        }
        // Every path traces open by name; the diagnosis still sees the pods' last errors, which
        // dialled where the old configuration sent them.
        (Some(_), true) => println!(
            "the pods' last errors still show {} (they were made before the change); they clear when the pods pull again",
            cause.code
        ),
        (None, _) => {}
    }
    if let Some(next) = next {
        println!("partly fixed: {} is gone; the next cause is {}: {}", cause.code, next.code, next.summary);
        println!("next: pulldoctor fix --cause {}", next.code);
        return Ok(ExitCode::from(1));
    }
    let seen = match observed.pulled_from() {
        Some(nodes) => format!(" (the probe pulled from {} node(s): {})", nodes.len(), nodes.join(", ")),
        None => String::new(),
    };
    println!("fixed: {} is gone and no cause of a failing pull remains on the path{seen}", cause.code);
    if !pods.is_empty() {
        println!("these pods pull again at their next back-off (at most 5 minutes): {pods}");
    }
    if args.restart_failing {
        restart(args, &after.model, &cause.pods)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Delete the failing pods a controller owns, so they are recreated now; never bare pods.
fn restart(args: &FixArgs, model: &Model, pods: &[String]) -> Result<()> {
    const CONTROLLED: &[&str] = &["ReplicaSet", "StatefulSet", "DaemonSet"];
    let (owned, bare): (Vec<&String>, Vec<&String>) = pods.iter().partition(|key| {
        model
            .pods
            .get(*key)
            .and_then(|p| p.owner.as_deref())
            .and_then(|o| o.split_once('/'))
            .is_some_and(|(kind, _)| CONTROLLED.contains(&kind))
    });
    for pod in &bare {
        println!("not restarted (no Deployment, StatefulSet or DaemonSet owns it): {pod}");
    }
    if owned.is_empty() {
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let cluster = runtime
        .block_on(pulldoctor_live::Cluster::connect(&pulldoctor_live::KubeOptions { context: args.from.context.clone(), namespace: None }))
        .map_err(failed)?;
    for pod in owned {
        let (namespace, name) = pod.split_once('/').unwrap_or(("default", pod));
        match runtime.block_on(cluster.delete_pod(namespace, name)) {
            Ok(()) => println!("restarted (deleted; its controller recreates it): {pod}"),
            Err(e) => println!("could not restart {pod}: {}", e.message),
        }
    }
    Ok(())
}
