//! `pulldoctor baseline`, `drift` and `alarms`: reading the facts (a bundle, a baseline file, or
//! live), writing files and the exit status around the pure logic of `pulldoctor-watch`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use pulldoctor_model::Model;
use pulldoctor_watch::{Baseline, alarms, drift, words};

use crate::cli::{AlarmFormat, AlarmsArgs, BaselineArgs, DriftArgs, Format, Input, LiveArgs};
use crate::shared::{emit, load, style, threads};

/// `30s`, `5m`, `24h`, `2d`, `90` (seconds).
pub fn parse_span(text: &str, flag: &str) -> Result<chrono::Duration> {
    let text = text.trim();
    let at = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(at);
    let value: i64 = number.parse().map_err(|_| anyhow!("{flag} `{text}`: not a duration (30s, 5m, 24h, 2d)"))?;
    let span = match unit {
        "" | "s" => chrono::Duration::seconds(value),
        "m" => chrono::Duration::minutes(value),
        "h" => chrono::Duration::hours(value),
        "d" => chrono::Duration::days(value),
        _ => bail!("{flag} `{text}`: the unit must be s, m, h or d"),
    };
    Ok(span)
}

pub fn parse_time(text: Option<&str>, flag: &str) -> Result<Option<DateTime<Utc>>> {
    text.map(|t| {
        DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&Utc))
            .with_context(|| format!("{flag} `{t}` is not an RFC 3339 time (e.g. 2025-08-25T11:30:00Z)"))
    })
    .transpose()
}

/// The model of a bundle directory.
fn bundle_model(dir: &Path, strict: bool) -> Result<Model> {
    Ok(load(&Input { bundles: vec![dir.to_path_buf()], strict })?.0)
}

/// The model read live, with every pod's repositories and pull secrets (a baseline covers all).
#[cfg(feature = "live")]
pub fn live_model(live: &LiveArgs, changes_since: Option<DateTime<Utc>>) -> Result<Model> {
    let request = crate::live::Request {
        kube: Some(pulldoctor_live::KubeOptions { context: live.context.clone(), namespace: None }),
        aws: Some(pulldoctor_live::AwsOptions { profile: live.profile.clone(), region: live.region.clone(), ..Default::default() }),
        need_cluster: true,
        every_pod: true,
        changes_since,
    };
    let gathered = crate::live::gather(request)?;
    crate::live::print_failures(&gathered.collected, false);
    crate::live::model_of(&gathered.collected)
}

#[cfg(not(feature = "live"))]
pub fn live_model(_: &LiveArgs, _: Option<DateTime<Utc>>) -> Result<Model> {
    bail!(
        "give a bundle directory (this pulldoctor was built without live collection: build it with `cargo build --release --features live`)"
    )
}

/// The baseline of a bundle directory, or of the cluster read live (`now`: the wall clock).
fn take(
    bundle: Option<&Path>,
    now: Option<DateTime<Utc>>,
    strict: bool,
    live: &LiveArgs,
    since: Option<DateTime<Utc>>,
) -> Result<Baseline> {
    let (model, source, now) = match bundle {
        Some(dir) => (bundle_model(dir, strict)?, dir.display().to_string(), now),
        None => (live_model(live, since)?, "live".to_string(), now.or_else(|| Some(Utc::now()))),
    };
    Ok(pulldoctor_watch::baseline::take(&model, &pulldoctor_watch::Options { now, threads: threads(), source }))
}

/// A baseline file, or the baseline of a bundle directory.
fn read_side(path: &Path, now: Option<DateTime<Utc>>, strict: bool) -> Result<Baseline> {
    if path.is_dir() {
        return take(Some(path), now, strict, &LiveArgs::default(), None);
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read the baseline `{}`", path.display()))?;
    Baseline::from_json(&bytes).map_err(|e| anyhow!("`{}`: {e}", path.display()))
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value)? + "\n";
    if path == Path::new("-") {
        return emit(&text);
    }
    std::fs::write(path, text).with_context(|| format!("cannot write `{}`", path.display()))
}

pub fn baseline(args: BaselineArgs) -> Result<ExitCode> {
    let now = parse_time(args.now.as_deref(), "--now")?;
    let baseline = take(args.bundle.as_deref(), now, args.strict, &args.live, None)?;
    write_json(&args.output, &serde_json::to_value(&baseline)?)?;
    let summary = words::baseline_text(&baseline);
    if args.output == Path::new("-") {
        eprint!("{summary}");
    } else {
        emit(&format!("{summary}wrote {}\n", args.output.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn drift(args: DriftArgs) -> Result<ExitCode> {
    let warn_expiry = parse_span(&args.warn_expiry, "--warn-expiry")?;
    let old = read_side(&args.before, parse_time(args.before_now.as_deref(), "--before-now")?, args.strict)?;
    let now = parse_time(args.now.as_deref(), "--now")?;
    let new = match &args.after {
        Some(path) => read_side(path, now, args.strict)?,
        None => take(None, now, args.strict, &args.live, old.taken_at)?,
    };
    let drift = drift::compare(&old, &new, &drift::Options { warn_expiry, now });
    if let Some(path) = &args.save {
        write_json(path, &serde_json::to_value(&new)?)?;
    }
    let output = match args.format {
        Format::Json => serde_json::to_string_pretty(&drift)? + "\n",
        _ => words::drift_text(&drift, style(args.color).color),
    };
    emit(&output)?;
    Ok(if drift.broke() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

pub fn alarms(args: AlarmsArgs) -> Result<ExitCode> {
    let model = match &args.bundle {
        Some(dir) => bundle_model(dir, args.strict)?,
        None => live_model(&args.live, None)?,
    };
    let scope = alarms::scope(&model, &args.vpcs).map_err(|e| anyhow!("{e}"))?;
    let naming = alarms::Naming { name: args.name.clone(), topic_arn: args.sns_topic_arn.clone(), retention_days: args.retention_days };
    let document = match args.format {
        AlarmFormat::Cloudformation => alarms::cloudformation(&scope, &naming),
        AlarmFormat::Terraform => alarms::terraform(&scope, &naming),
        AlarmFormat::Json => alarms::plain(&scope, &naming),
    };
    match &args.output {
        Some(path) => write_json(path, &document)?,
        None => emit(&(serde_json::to_string_pretty(&document)? + "\n"))?,
    }
    eprintln!(
        "pulldoctor: alarms for {} ({} resource ids, {} rule(s)); flow logs for {} node subnet(s)",
        scope.vpcs.join(", "),
        scope.ids.values().map(|ids| ids.len()).sum::<usize>(),
        alarms::event_patterns(&scope).len(),
        scope.node_subnets.len()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn spans() {
        assert_eq!(super::parse_span("24h", "--x").unwrap(), chrono::Duration::hours(24));
        assert_eq!(super::parse_span("2d", "--x").unwrap(), chrono::Duration::days(2));
        assert_eq!(super::parse_span("90", "--x").unwrap(), chrono::Duration::seconds(90));
        assert!(super::parse_span("soon", "--x").is_err());
        assert!(super::parse_span("3w", "--x").is_err());
    }
}
