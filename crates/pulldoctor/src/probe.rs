//! `pulldoctor probe`: flags, the step table, the JSON file and the exit code around
//! `pulldoctor_probe::probe`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use pulldoctor_probe::aws::AwsEnv;
use pulldoctor_probe::manifest::Platform;
use pulldoctor_probe::proxy::ProxyEnv;
use pulldoctor_probe::report::ProbeMode;
use pulldoctor_probe::{Config, Placement, PullSecret, Verdict};

use crate::cli::{Color, Format, ProbeArgs};

/// `10s`, `500ms`, `1.5s`, `2m`, `3` (seconds).
fn parse_duration(text: &str) -> Result<Duration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let value: f64 = number.parse().with_context(|| format!("--timeout `{text}`: not a duration (10s, 500ms)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => bail!("--timeout `{text}`: the unit must be ms, s or m"),
    };
    if !(0.001..=600.0).contains(&seconds) {
        bail!("--timeout `{text}`: between 1ms and 10m");
    }
    Ok(Duration::from_secs_f64(seconds))
}

pub fn probe(args: ProbeArgs) -> Result<ExitCode> {
    if !args.local {
        return in_cluster(args);
    }
    let Some(target) = args.target.clone() else {
        bail!("--local needs IMAGE or REGISTRY: what to probe from here");
    };
    let env = |name: &str| std::env::var(name).ok();
    let mut proxy = ProxyEnv::from_env(env);
    if let Some(value) = args.https_proxy {
        proxy.https_proxy = (!value.is_empty()).then(|| (value, "--https-proxy".to_string()));
    }
    if let Some(value) = args.no_proxy {
        proxy.no_proxy = (!value.is_empty()).then(|| (value, "--no-proxy".to_string()));
    }
    let pull_secret = match &args.pull_secret {
        Some(path) => {
            let bytes = std::fs::read(path).with_context(|| format!("cannot read the pull secret `{}`", path.display()))?;
            let credentials = pulldoctor_probe::dockerconfig::parse(&bytes)
                .map_err(|e| anyhow::anyhow!("the pull secret `{}` cannot be used: {e}", path.display()))?;
            Some(PullSecret { file: path.display().to_string(), credentials })
        }
        None => None,
    };
    let platform = args.platform.as_deref().map(Platform::parse).transpose().map_err(|e| anyhow::anyhow!("--platform: {e}"))?;
    let certs_dirs = if args.certs_dirs.is_empty() {
        pulldoctor_probe::tls::DEFAULT_CERTS_DIRS.iter().map(PathBuf::from).collect()
    } else {
        args.certs_dirs
    };
    let config = Config {
        input: target,
        platform,
        timeout: parse_duration(&args.timeout)?,
        pull_secret,
        certs_dirs,
        proxy,
        aws: AwsEnv::from_env(env),
        resolv_conf: PathBuf::from("/etc/resolv.conf"),
        hosts_file: PathBuf::from("/etc/hosts"),
        placement: placement(env),
    };
    let report = pulldoctor_probe::probe(&config)?;
    let json = serde_json::to_string_pretty(&report)? + "\n";
    if let Some(path) = &args.output {
        std::fs::write(path, &json).with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    let color = color(args.color);
    let output = match args.format {
        Format::Json => json,
        _ => crate::probe_text::text(&report, color),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(output.as_bytes())?;
    stdout.flush()?;
    Ok(if report.result == Verdict::Passed { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn color(choice: Color) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

#[cfg(not(feature = "live"))]
fn in_cluster(_: ProbeArgs) -> Result<ExitCode> {
    bail!(
        "probing on cluster nodes needs live mode: build with `cargo build --release --features live`, or run `pulldoctor probe --local IMAGE` on the node (ssh, or `oc debug node/NAME` and `chroot /host`)"
    )
}

/// `--failing-nodes` (the default), `--node`, `--all-nodes`: in pods on the nodes.
#[cfg(feature = "live")]
fn in_cluster(args: ProbeArgs) -> Result<ExitCode> {
    use pulldoctor_diagnosis::probe_plan::Selection;
    if args.pull_secret.is_some() || args.platform.is_some() || !args.certs_dirs.is_empty() {
        bail!(
            "--pull-secret, --platform and --certs-dir are for --local; in the cluster the probe uses the node's own (its instance role, its architecture, its certs.d)"
        );
    }
    let timeout = parse_duration(&args.timeout)?;
    let selection = if !args.node.is_empty() {
        Selection::Nodes(args.node.clone())
    } else if args.all_nodes {
        Selection::AllNodes
    } else {
        Selection::FailingNodes
    };
    let launch = crate::probe_cluster::Launch {
        selection,
        target: args.target.clone(),
        carrier_image: args.image.clone(),
        binary: args.binary.clone(),
        namespace: args.namespace.clone(),
        pod_network: args.pod_network,
        max_nodes: args.max_nodes,
        timeout: args.timeout.clone(),
        timeout_seconds: timeout.as_secs().max(1),
        https_proxy: args.https_proxy.clone(),
        no_proxy: args.no_proxy.clone(),
        context: args.context.clone(),
    };
    crate::probe_cluster::probe(launch, args.format, args.output.clone(), args.dry_run, color(args.color))
}

/// In a pod the in-cluster launcher made, the pod says where it is (downward API variables);
/// anywhere else the probe runs `local`.
fn placement(env: impl Fn(&str) -> Option<String>) -> Placement {
    let mode = match env("PULLDOCTOR_PROBE_MODE").as_deref() {
        Some("host-network") => ProbeMode::HostNetwork,
        Some("pod-network") => ProbeMode::PodNetwork,
        _ => return Placement::default(),
    };
    Placement { mode, kubernetes_node: env("PULLDOCTOR_NODE_NAME"), pod: env("PULLDOCTOR_POD_NAME") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("10h").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
        assert_eq!(crate::probe_text::duration_text(10_000), "10 s");
        assert_eq!(crate::probe_text::duration_text(2_500), "2.5 s");
        assert_eq!(crate::probe_text::duration_text(12), "12 ms");
    }
}
