//! One function per command. Each returns the exit code; errors become exit status 2.

use std::io::{BufRead, IsTerminal};
use std::net::IpAddr;
use std::process::ExitCode;

use anyhow::{Context as _, Result, anyhow, bail};
#[cfg(feature = "live")]
use pulldoctor::fs;
use pulldoctor_diagnosis::{Options, checks::CHECKS, codes};
use pulldoctor_model::Model;
use pulldoctor_net::{Engine, Origin, Target};

use crate::cli::{
    ClassifyArgs, Cli, CollectArgs, Color, Command, CompareArgs, Diagnose, ExplainArgs, Format, Input, PathArgs, ReportFormat,
};
#[cfg(feature = "live")]
use crate::shared::warn_unreadable;
use crate::shared::{emit, load, style, threads};

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Diagnose(args) => diagnose(args),
        Command::Path(args) => path(args),
        Command::Compare(args) => compare(args),
        Command::Classify(args) => classify(args),
        Command::Explain(args) => explain(args),
        Command::Collect(args) => collect(args),
        Command::Probe(args) => crate::probe::probe(args),
        Command::Tui(args) => crate::tui::tui(args),
        Command::Baseline(args) => crate::watch::baseline(args),
        Command::Drift(args) => crate::watch::drift(args),
        Command::Alarms(args) => crate::watch::alarms(args),
        Command::Agent(args) => crate::agent::agent(args),
        Command::Fix(args) => crate::fix::fix(args),
        Command::Schema => {
            emit(&(serde_json::to_string_pretty(&pulldoctor_diagnosis::report::schema())? + "\n"))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}

fn diagnose(args: Diagnose) -> Result<ExitCode> {
    let (model, notes, files, source) = if args.from.bundles.is_empty() {
        live_model(&args)?
    } else {
        let (model, notes) = load(&Input { bundles: args.from.bundles.clone(), strict: args.from.strict })?;
        // The package takes the files as they are on disk (then redacts them).
        let files = match &args.archive {
            Some(_) => crate::archive::bundle_files(&args.from.bundles)?,
            None => Vec::new(),
        };
        let names: Vec<String> = args.from.bundles.iter().map(|b| b.display().to_string()).collect();
        (model, notes, files, format!("bundle {}", names.join(", ")))
    };
    if args.from.verbose && !args.from.bundles.is_empty() {
        for failed in model.collection_failures.iter().filter(|f| f.detail.is_some()) {
            eprintln!(
                "pulldoctor: {} during collection: {}\n  detail: {}",
                failed.call,
                failed.message,
                failed.detail.as_deref().unwrap_or_default()
            );
        }
    }
    let now = match &args.now {
        Some(text) => Some(
            pulldoctor_bundle::time::parse(text)
                .with_context(|| format!("--now `{text}` is not an RFC 3339 time (e.g. 2025-08-25T11:30:00Z)"))?,
        ),
        None => None,
    };
    let options = Options { now, namespace: args.namespace, pod: args.pod, node: args.node, image: args.image, threads: threads() };
    let mut report = pulldoctor_diagnosis::diagnose(&model, &options);
    report.notes = notes;
    let format = args.format.or_else(|| args.output.as_deref().and_then(ReportFormat::from_extension)).unwrap_or(ReportFormat::Text);
    // Colour only where a terminal shows it: never in a file.
    let color = if args.output.is_some() && args.color == Color::Auto { Color::Never } else { args.color };
    let output = match format {
        ReportFormat::Text => {
            let mut text = pulldoctor_render::text_all(&report, style(color), args.all);
            for note in &report.notes {
                text.push_str(&pulldoctor_render::wrap(note, "note: ", "      "));
            }
            text
        }
        ReportFormat::Json => pulldoctor_render::json(&report),
        ReportFormat::Markdown => pulldoctor_render::markdown_all(&report, args.all),
        ReportFormat::Html => pulldoctor_render::html(&report),
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, output).with_context(|| format!("cannot write the report to `{}`", path.display()))?;
            eprintln!("pulldoctor: wrote the {} report to {}", format!("{format:?}").to_lowercase(), path.display());
        }
        None => emit(&output)?,
    }
    if let Some(path) = &args.archive {
        let case = crate::archive::Case { source, files, model: &model, report: &report, created: chrono::Utc::now() };
        let written = crate::archive::write(path, &case)?;
        eprintln!("{}", crate::archive::summary(path, &written));
    }
    Ok(if report.affected.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// `host`, `host:port`, `1.2.3.4`, `1.2.3.4:443`, `[::1]:443`, `host@1.2.3.4:443`.
pub fn parse_destination(text: &str) -> Result<Target> {
    let (name, rest) = match text.split_once('@') {
        Some((host, rest)) => (Some(host.to_string()), rest),
        None => (None, text),
    };
    let (address_part, port) = if let Some(stripped) = rest.strip_prefix('[') {
        let (inner, after) = stripped.split_once(']').ok_or_else(|| anyhow!("`{text}`: missing `]`"))?;
        let port =
            after.strip_prefix(':').map(str::parse::<u16>).transpose().with_context(|| format!("`{text}`: the port is not a number"))?;
        (inner.to_string(), port)
    } else if rest.matches(':').count() == 1 {
        let (host, port) = rest.split_once(':').unwrap_or((rest, ""));
        (host.to_string(), Some(port.parse::<u16>().with_context(|| format!("`{text}`: the port `{port}` is not a number"))?))
    } else {
        (rest.to_string(), None)
    };
    if address_part.is_empty() {
        bail!("--to `{text}` names no host or address");
    }
    let mut target = Target { port: port.unwrap_or(443), ..Target::default() };
    match address_part.parse::<IpAddr>() {
        Ok(ip) => {
            target.address = Some(ip);
            target.host = name;
        }
        Err(_) if name.is_some() => bail!("`{text}`: after `@` comes the dialled address, and `{address_part}` is not an IP address"),
        Err(_) => target.host = Some(address_part),
    }
    Ok(target)
}

fn resolve_from(model: &Model, from: &str) -> Result<Origin> {
    if from.starts_with("subnet-") {
        if !model.subnets.contains_key(from) {
            bail!("subnet `{from}` is not in the bundle");
        }
        return Ok(Origin::Subnet(from.to_string()));
    }
    if from.starts_with("i-") {
        return Ok(Origin::Instance(from.to_string()));
    }
    let node = model.nodes.get(from).ok_or_else(|| {
        let known: Vec<&str> = model.nodes.keys().map(String::as_str).take(5).collect();
        anyhow!(
            "`{from}` is not a node, instance id (i-...) or subnet id (subnet-...) in the bundle (nodes: {})",
            if known.is_empty() { "none".into() } else { known.join(", ") }
        )
    })?;
    let instance = model.node_instance(node).ok_or_else(|| {
        anyhow!("node `{from}` has no EC2 instance in the bundle (providerID {})", node.provider_id.as_deref().unwrap_or("none"))
    })?;
    Ok(Origin::Instance(instance.id.clone()))
}

fn path(args: PathArgs) -> Result<ExitCode> {
    let (model, _) = load(&args.input)?;
    let from = resolve_from(&model, &args.from)?;
    let target = parse_destination(&args.to)?;
    let engine = Engine::new(&model);
    let result = pulldoctor_diagnosis::report::Path::from(&engine.trace(&from, &target));
    let output = match args.format {
        Format::Json => serde_json::to_string_pretty(&result)? + "\n",
        _ => pulldoctor_render::path_text(&result, &[], &[], style(args.color)),
    };
    emit(&output)?;
    Ok(match result.verdict {
        pulldoctor_diagnosis::report::Verdict::Reachable => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    })
}

/// The model, the reader's notes, the files it was read from (for `--archive`) and where they came from.
type Loaded = (Model, Vec<String>, crate::archive::BundleFiles, String);

#[cfg(not(feature = "live"))]
fn live_model(_: &Diagnose) -> Result<Loaded> {
    bail!(
        "give a bundle directory (this pulldoctor was built without live collection: build it with `cargo build --release --features live`)"
    )
}

/// Live: collect the cluster, then what it points at in AWS, and read both with the same reader
/// a bundle goes through.
#[cfg(feature = "live")]
fn live_model(args: &Diagnose) -> Result<Loaded> {
    // All namespaces are read even with -n: pods elsewhere that still pull are the comparison.
    let mut gathered = crate::live::gather(crate::live::cluster_request(&args.from))?;
    crate::live::print_failures(&gathered.collected, args.from.verbose);
    if args.probe {
        // probe the failing nodes (and one that works) and read the documents with the rest
        crate::live::add_documents(&mut gathered.collected, |cluster| {
            let failing = pulldoctor_diagnosis::probe_plan::Selection::FailingNodes;
            crate::probe_cluster::probe_files(cluster, args.from.context.clone(), failing, None)
        })?;
    }
    let options = pulldoctor_bundle::ReadOptions { strict: args.from.strict, threads: fs::available_threads() };
    let bundle = crate::live::read(&gathered.collected, &options)?;
    warn_unreadable(&bundle.model);
    let files = crate::live::files(&gathered.collected);
    Ok((bundle.model, bundle.notes, files, crate::live::describe_source(args.from.context.as_deref(), args.from.profile.as_deref())))
}

#[cfg(not(feature = "live"))]
fn collect(_: CollectArgs) -> Result<ExitCode> {
    bail!("this pulldoctor was built without live collection: build it with `cargo build --release --features live`")
}

#[cfg(feature = "live")]
fn collect(args: CollectArgs) -> Result<ExitCode> {
    let repositories = args
        .repositories
        .iter()
        .map(|name| match pulldoctor_model::parse_image(name).ok().and_then(|i| i.ecr.map(|ecr| (ecr, i.repository))) {
            // a full image reference: its registry's account and region
            Some((ecr, repository)) => {
                pulldoctor_live::Repository { account: Some(ecr.account), region: Some(ecr.region), name: repository }
            }
            None => pulldoctor_live::Repository { name: name.clone(), ..Default::default() },
        })
        .collect();
    let (skip_aws, vpcs_given) = (args.skip_aws, args.vpcs.len());
    let source = crate::live::describe_source(args.context.as_deref(), args.profile.as_deref());
    let request = crate::live::Request {
        kube: (!args.skip_kubernetes).then_some(pulldoctor_live::KubeOptions { context: args.context, namespace: args.namespace }),
        aws: (!args.skip_aws).then(|| pulldoctor_live::AwsOptions {
            profile: args.profile,
            region: args.region,
            vpc_ids: args.vpcs,
            repositories,
            ..Default::default()
        }),
        need_cluster: false,
        every_pod: false,
        changes_since: None,
    };
    let gathered = crate::live::gather(request)?;
    let collected = gathered.collected;
    let written_to = args.output.as_ref().map_or_else(|| "the package".to_string(), |dir| dir.display().to_string());
    let written = match &args.output {
        Some(dir) => collected.write(dir).with_context(|| format!("cannot write the bundle into `{}`", dir.display()))?,
        None => collected.files.len(),
    };
    // The failures first: the summary is the last line.
    crate::live::print_failures(&collected, args.verbose);
    if let Some(path) = &args.archive
        && !collected.files.is_empty()
    {
        let options = pulldoctor_bundle::ReadOptions { strict: false, threads: fs::available_threads() };
        let bundle = crate::live::read(&collected, &options)?;
        let report = pulldoctor_diagnosis::diagnose(&bundle.model, &Options { threads: threads(), ..Options::default() });
        let case = crate::archive::Case {
            source,
            files: crate::live::files(&collected),
            model: &bundle.model,
            report: &report,
            created: chrono::Utc::now(),
        };
        let packed = crate::archive::write(path, &case)?;
        eprintln!("{}", crate::archive::summary(path, &packed));
    }
    let plan = &gathered.plan;
    let nodes = plan.instance_ids.len() + plan.node_addresses.len();
    let aws_scope = match (skip_aws, vpcs_given, nodes) {
        (true, _, _) => None,
        (false, 0, 0) => Some("every VPC (no node named its instance)".to_string()),
        (false, 0, 1) => Some("the VPC of 1 node instance".to_string()),
        (false, 0, nodes) => Some(format!("the VPCs of {nodes} node instances")),
        (false, 1, _) => Some("the 1 VPC given".to_string()),
        (false, given, _) => Some(format!("the {given} VPCs given")),
    };
    if collected.files.is_empty() {
        eprintln!("pulldoctor: nothing could be collected into {written_to}:");
    } else {
        eprintln!(
            "pulldoctor: wrote {} into {written_to} ({}{})",
            if written == 1 { "1 file".to_string() } else { format!("{written} files") },
            if plan.failing == 1 { "1 failing container".to_string() } else { format!("{} failing containers", plan.failing) },
            aws_scope
                .map(|s| format!(
                    "; AWS: {s}, {}",
                    if gathered.repositories == 1 {
                        "1 ECR repository".to_string()
                    } else {
                        format!("{} ECR repositories", gathered.repositories)
                    }
                ))
                .unwrap_or_default(),
        );
    }
    // The failures travel with the bundle (collect-failures.json): diagnosing it reports them as gaps.
    Ok(if collected.files.is_empty() { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

fn compare(args: CompareArgs) -> Result<ExitCode> {
    let (model, _) = load(&args.input)?;
    let options = Options { namespace: args.namespace, threads: threads(), ..Options::default() };
    let report = pulldoctor_diagnosis::diagnose(&model, &options);
    let output = match args.format {
        Format::Json => serde_json::to_string_pretty(&report.comparisons)? + "\n",
        _ => {
            let mut text = String::new();
            if report.comparisons.is_empty() {
                text.push_str("no pod fails to pull: nothing to compare\n");
            }
            for comparison in report.comparisons.iter().filter(|c| c.working == 0) {
                text.push_str(&format!(
                    "{}: {} failing pod(s) and none that pull from it: nothing to compare with\n",
                    comparison.registry, comparison.failing
                ));
            }
            let with_working: Vec<_> = report.comparisons.iter().filter(|c| c.working > 0).collect();
            text.push_str(&pulldoctor_render::comparisons_text(&with_working));
            text
        }
    };
    emit(&output)?;
    Ok(if report.affected.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn classify(args: ClassifyArgs) -> Result<ExitCode> {
    let messages: Vec<String> = if args.messages.is_empty() {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            eprintln!("pulldoctor: reading messages from standard input, one per line (Ctrl-D to end)");
        }
        stdin
            .lock()
            .lines()
            .collect::<std::io::Result<Vec<_>>>()
            .context("cannot read standard input")?
            .into_iter()
            .filter(|l| !l.trim().is_empty())
            .collect()
    } else {
        args.messages
    };
    let mut out = String::new();
    for message in &messages {
        let classification = pulldoctor_classify::classify(message);
        match args.format {
            Format::Json => {
                let mut value = serde_json::to_value(&classification)?;
                value["message"] = serde_json::Value::String(message.clone());
                out.push_str(&serde_json::to_string(&value)?);
                out.push('\n');
            }
            _ => {
                let step = serde_json::to_value(classification.step)?.as_str().unwrap_or_default().to_string();
                out.push_str(&format!("{}  (step: {step})\n", classification.class.as_str()));
                out.push_str(&pulldoctor_render::wrap(&classification.explanation, "  ", "  "));
                if let Some(host) = &classification.host {
                    out.push_str(&format!("  host: {host}\n"));
                }
                if let Some(dialled) = classification.dialled {
                    out.push_str(&format!("  dialled: {dialled}\n"));
                }
                for line in &classification.rules_in {
                    out.push_str(&pulldoctor_render::wrap(line, "  look at: ", "           "));
                }
                for line in &classification.rules_out {
                    out.push_str(&pulldoctor_render::wrap(line, "  not: ", "       "));
                }
            }
        }
    }
    emit(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// Every cause code and every check, as Markdown (docs/codes.md).
pub fn codes_markdown() -> String {
    let mut out = String::from(
        "# Cause codes and checks\n\nGenerated by `pulldoctor explain --markdown`; `pulldoctor explain CODE` prints one entry.\n\n## Cause codes\n\n",
    );
    for code in codes::all() {
        let layer = serde_json::to_value(code.layer).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        out.push_str(&format!(
            "### `{}` ({layer})\n\n{}\n\n- Typical message: `{}`\n- Fix: {}\n",
            code.code, code.meaning, code.typical_message, code.fix
        ));
        if let Some(check) = CHECKS.iter().find(|c| c.info().codes.contains(&code.code)) {
            out.push_str(&format!("- Produced by the check [`{0}`](#check-{0})\n", check.info().name));
        }
        out.push('\n');
    }
    out.push_str("## Checks\n\n");
    for check in CHECKS {
        let info = check.info();
        out.push_str(&format!(
            "### check-{}\n\nCodes: {}\n\n",
            info.name,
            if info.codes.is_empty() {
                "none (clears layers)".to_string()
            } else {
                info.codes.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
            }
        ));
        // the doc comment's `## ` headings become level-4 headings here
        for line in info.docs.lines() {
            let line = line.strip_prefix(' ').unwrap_or(line);
            match line.strip_prefix("## ") {
                Some(heading) => out.push_str(&format!("#### {heading}\n")),
                None => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        out.push('\n');
    }
    out
}

fn explain(args: ExplainArgs) -> Result<ExitCode> {
    if args.markdown {
        emit(&codes_markdown())?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    match args.code.as_deref() {
        None => {
            out.push_str("Cause codes:\n");
            for code in codes::all() {
                out.push_str(&format!("  {:<32} {}\n", code.code, if code.implemented { "" } else { "(documented; check not built yet)" }));
            }
            out.push_str("\nChecks:\n");
            for check in CHECKS {
                out.push_str(&format!(
                    "  {:<32} {}\n",
                    check.info().name,
                    check.info().codes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        Some(name) => {
            if let Some(code) = codes::find(name) {
                out.push_str(&format!("{}\n\n", code.code));
                out.push_str(&pulldoctor_render::wrap(code.meaning, "What it means: ", "  "));
                out.push_str(&format!("Typical message: {}\n", code.typical_message));
                out.push_str(&pulldoctor_render::wrap(code.fix, "Fix: ", "  "));
                if let Some(check) = CHECKS.iter().find(|c| c.info().codes.contains(&code.code)) {
                    out.push_str(&format!("\nProduced by the check `{}`:\n{}", check.info().name, check.info().docs));
                }
            } else if let Some(check) = CHECKS.iter().find(|c| c.info().name == name) {
                out.push_str(&format!("{}\n{}", check.info().name, check.info().docs));
            } else {
                bail!("`{name}` is neither a cause code nor a check: run `pulldoctor explain` for the list");
            }
        }
    }
    emit(&out)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn destinations() {
        let t = super::parse_destination("818140567777.dkr.ecr.us-east-1.amazonaws.com").unwrap();
        assert_eq!((t.host.as_deref(), t.address, t.port), (Some("818140567777.dkr.ecr.us-east-1.amazonaws.com"), None, 443));
        let t = super::parse_destination("52.207.2.251:8443").unwrap();
        assert_eq!((t.host, t.address.map(|a| a.to_string()), t.port), (None, Some("52.207.2.251".into()), 8443));
        let t = super::parse_destination("host.example@10.0.1.5").unwrap();
        assert_eq!(t.host.as_deref(), Some("host.example"));
        assert!(super::parse_destination("host:notaport").is_err());
        let t = super::parse_destination("[2600::1]:443").unwrap();
        assert!(t.address.unwrap().is_ipv6());
    }
}
