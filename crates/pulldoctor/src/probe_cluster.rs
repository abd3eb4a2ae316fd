//! `pulldoctor probe` in the cluster (`--failing-nodes`, `--node`, `--all-nodes`) and
//! `diagnose --probe`: read the cluster, decide where to probe
//! (`pulldoctor_diagnosis::probe_plan`), make each node's pod (`pulldoctor_probe::launch`), run
//! them (`pulldoctor_live::Cluster::run_probe_pod`: create, wait, copy in, read, delete) and
//! gather their documents.
//!
//! How the probe gets onto a node without a pull through the broken path, in order: the image the
//! user names (`--image`, a mirror that works); a pulldoctor image the node already holds (the
//! agent keeps one on every node); else an image with a shell the node holds, into which this
//! static binary (or `--binary`) is copied through `exec`. Several such images are tried in turn
//! when one cannot run it. A node no way fits is reported with what to do, never skipped quietly.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use pulldoctor_diagnosis::probe_plan::{self, NodeRole, Request, Selection, Target};
use pulldoctor_live::{Cluster, KubeOptions, PodEnd, PodRun, ProbePod, Progress, Quiet, Upload};
use pulldoctor_model::Model;
use pulldoctor_probe::ProbeReport;
use pulldoctor_probe::launch::{self, Carrier, PodRequest};
use pulldoctor_probe::report::ProbeMode;
use serde_json::{Value, json};

use crate::elf;

/// What the user asked for.
pub struct Launch {
    pub selection: Selection,
    /// The image to probe (else each node's failing one).
    pub target: Option<String>,
    /// `--image`: a pulldoctor image from a mirror.
    pub carrier_image: Option<String>,
    /// `--binary`: the binary to copy (else this one, when static).
    pub binary: Option<PathBuf>,
    pub namespace: String,
    pub pod_network: bool,
    pub max_nodes: usize,
    /// As given (`10s`), and in seconds.
    pub timeout: String,
    pub timeout_seconds: u64,
    pub https_proxy: Option<String>,
    pub no_proxy: Option<String>,
    pub context: Option<String>,
}

/// One node and network to probe, with the pods to try in order (one per carrier).
pub struct Planned {
    pub target: Target,
    pub network: ProbeMode,
    pub attempts: Vec<(ProbePod, Carrier)>,
}

/// A node and network no way to probe fits, and why.
pub struct Unplaced {
    pub node: String,
    pub network: ProbeMode,
    pub why: String,
}

pub struct Prepared {
    pub run: String,
    pub planned: Vec<Planned>,
    pub unplaced: Vec<Unplaced>,
    pub notes: Vec<String>,
}

/// What one node's probe gave.
pub struct Outcome {
    pub target: Target,
    pub network: ProbeMode,
    /// The carrier that ran it.
    pub carrier: Option<Carrier>,
    /// The probe's document, as written and as read.
    pub document: Option<(Value, ProbeReport)>,
    /// Why there is no document, or what went wrong on the way (carriers that could not run).
    pub problems: Vec<String>,
    /// Every pod's launcher steps, for `--format json` consumers and the tests.
    pub pods: Vec<PodRun>,
}

/// A short run id for pod names: five base-36 characters from the clock.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    let mut n = nanos / 1000;
    (0..5)
        .map(|_| {
            let digit = (n % 36) as u32;
            n /= 36;
            char::from_digit(digit, 36).unwrap_or('0')
        })
        .collect()
}

/// The binary to copy and what it is built for, or why there is none.
type Copyable = Result<(Arc<Vec<u8>>, elf::Binary), String>;

/// The binary to copy, read once: `--binary`, else this executable when it is static.
fn copyable_binary(launch: &Launch) -> Copyable {
    let (path, given) = match &launch.binary {
        Some(path) => (path.clone(), true),
        None => (std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?, false),
    };
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let binary = elf::inspect(&bytes).ok_or_else(|| format!("`{}` is not a 64-bit Linux binary", path.display()))?;
    if !binary.is_static && !given {
        return Err(format!(
            "this pulldoctor ({}) is dynamically linked and would not run inside another image: give a static one with --binary (the container image's /pulldoctor, or `cargo build --release --target x86_64-unknown-linux-musl`)",
            path.display()
        ));
    }
    Ok((Arc::new(bytes), binary))
}

/// The runtime's proxy: as given, else OpenShift's cluster-wide one (which CRI-O gets), else none.
fn proxy(model: &Model, launch: &Launch) -> (Option<String>, Option<String>) {
    if launch.https_proxy.is_some() {
        return (launch.https_proxy.clone().filter(|p| !p.is_empty()), launch.no_proxy.clone());
    }
    let cluster = model.proxy.as_ref();
    let https = cluster.and_then(|p| p.https_proxy.clone()).filter(|p| !p.is_empty());
    let no_proxy = launch.no_proxy.clone().or_else(|| {
        cluster.map(|p| p.effective_no_proxy.clone().unwrap_or_else(|| p.no_proxy.clone()).join(",")).filter(|n| !n.is_empty())
    });
    (https, no_proxy)
}

/// Decide every pod (pure but for reading the binary to copy).
pub fn prepare(model: &Model, launch: &Launch) -> Result<Prepared> {
    let request = Request { selection: launch.selection.clone(), image: launch.target.clone(), max_failing_nodes: launch.max_nodes };
    let plan = probe_plan::plan(model, &request).map_err(|e| anyhow!(e))?;
    let run = run_id();
    let (https_proxy, no_proxy) = proxy(model, launch);
    let mut binary: Option<Copyable> = None;
    let mut prepared = Prepared { run: run.clone(), planned: Vec::new(), unplaced: Vec::new(), notes: plan.notes };
    let networks: &[ProbeMode] =
        if launch.pod_network { &[ProbeMode::HostNetwork, ProbeMode::PodNetwork] } else { &[ProbeMode::HostNetwork] };
    // creation to exit: starting the container, the upload, seven steps
    let deadline = 90 + 8 * launch.timeout_seconds;
    for target in plan.targets {
        for &network in networks {
            let mut carriers: Vec<Carrier> = Vec::new();
            let mut upload = None;
            if let Some(image) = &launch.carrier_image {
                carriers.push(Carrier::Pulldoctor { image: image.clone(), pull_if_absent: true });
            } else if let Some(image) = &target.pulldoctor_image {
                carriers.push(Carrier::Pulldoctor { image: image.clone(), pull_if_absent: false });
            } else {
                let loaded = binary.get_or_insert_with(|| copyable_binary(launch));
                match loaded {
                    Err(why) => {
                        prepared.unplaced.push(Unplaced { node: target.node.clone(), network, why: why.clone() });
                        continue;
                    }
                    Ok((_, found)) if target.architecture.as_deref().is_some_and(|a| a != found.architecture) => {
                        prepared.unplaced.push(Unplaced {
                            node: target.node.clone(),
                            network,
                            why: format!(
                                "the node is {} and the binary to copy is {}: give one for {0} with --binary",
                                target.architecture.as_deref().unwrap_or("?"),
                                found.architecture
                            ),
                        });
                        continue;
                    }
                    Ok((bytes, _)) => {
                        carriers.extend(target.carriers.iter().map(|image| Carrier::Copy { image: image.clone() }));
                        upload = Some(Upload { command: launch::upload_command(bytes.len() as u64), bytes: bytes.clone() });
                    }
                }
            }
            if carriers.is_empty() {
                prepared.unplaced.push(Unplaced {
                    node: target.node.clone(),
                    network,
                    why: "the node holds no pulldoctor image and no image with a shell to copy it into (status.images)".into(),
                });
                continue;
            }
            let args = launch::probe_args(&target.image, &launch.timeout, https_proxy.as_deref(), no_proxy.as_deref());
            let attempts = carriers
                .into_iter()
                .enumerate()
                .map(|(i, carrier)| {
                    let attempt_run = if i == 0 { run.clone() } else { format!("{run}-{}", i + 1) };
                    let request = PodRequest {
                        name: launch::pod_name(&target.node, network, &attempt_run),
                        namespace: launch.namespace.clone(),
                        node: target.node.clone(),
                        network,
                        carrier: carrier.clone(),
                        args: args.clone(),
                        deadline_seconds: deadline,
                        run: run.clone(),
                    };
                    let upload = if matches!(carrier, Carrier::Copy { .. }) { upload.clone() } else { None };
                    (ProbePod { pod: launch::pod(&request), upload, wait: Duration::from_secs(deadline + 15) }, carrier)
                })
                .collect();
            prepared.planned.push(Planned { target: target.clone(), network, attempts });
        }
    }
    Ok(prepared)
}

fn role(target: &Target) -> &'static str {
    match target.role {
        NodeRole::Failing => "failing",
        NodeRole::Working => "working",
        NodeRole::Chosen => "chosen",
    }
}

/// The plan in words, on standard error: which node, why, with what.
pub fn describe(prepared: &Prepared, namespace: &str) -> String {
    let mut out = format!("probe pods in namespace {namespace} (run {}):\n", prepared.run);
    for planned in &prepared.planned {
        let carrier = planned.attempts.first().map(|(_, c)| c.describe()).unwrap_or_default();
        let more = if planned.attempts.len() > 1 {
            format!(" (then {} more image(s) if it cannot run)", planned.attempts.len() - 1)
        } else {
            String::new()
        };
        out.push_str(&pulldoctor_render::wrap(
            &format!(
                "{} [{}, {}]: {}; probes {} with {carrier}{more}",
                planned.target.node,
                role(&planned.target),
                planned.network.as_str(),
                planned.target.why,
                planned.target.image
            ),
            "  - ",
            "    ",
        ));
    }
    for unplaced in &prepared.unplaced {
        out.push_str(&pulldoctor_render::wrap(
            &format!("{} [{}]: NOT PROBED: {}", unplaced.node, unplaced.network.as_str(), unplaced.why),
            "  - ",
            "    ",
        ));
    }
    for note in &prepared.notes {
        out.push_str(&pulldoctor_render::wrap(note, "  note: ", "    "));
    }
    out
}

/// `--dry-run`: the pods, as one List `kubectl apply -f -` would take (the first carrier of each).
pub fn dry_run_list(prepared: &Prepared) -> Value {
    let items: Vec<Value> = prepared.planned.iter().filter_map(|p| p.attempts.first()).map(|(pod, _)| pod.pod.clone()).collect();
    json!({"apiVersion": "v1", "kind": "List", "items": items})
}

/// The probe's document in a pod's output (its log: the JSON, perhaps after lines on stderr).
fn document(output: &str) -> Result<(Value, ProbeReport), String> {
    let start = output.find("{\n").or_else(|| output.find('{')).ok_or("the pod printed no JSON")?;
    let value: Value =
        serde_json::from_str(output[start..].trim()).map_err(|e| format!("the pod's output is not a probe document: {e}"))?;
    let report: ProbeReport =
        serde_json::from_value(value.clone()).map_err(|e| format!("the pod's output is not a probe document: {e}"))?;
    Ok((value, report))
}

fn end_words(ended: &PodEnd) -> String {
    match ended {
        PodEnd::Exited(code) => format!("the probe exited {code}"),
        PodEnd::NotStarted { reason, message } => format!("it did not start: {reason} {message}").trim_end().to_string(),
        PodEnd::TimedOut { last_state } => format!("it did not end in time (last seen: {last_state})"),
        PodEnd::Failed { call, denied: true, message } => {
            format!("{call} was denied ({message}): bind the pulldoctor-prober role of docs/clusterrole.yaml in the probe namespace")
        }
        PodEnd::Failed { call, message, .. } => format!("{call} failed: {message}"),
    }
}

/// Each planned probe: its pods tried in turn until one runs (one that cannot start is followed by
/// the next carrier; any other end stops there).
async fn execute(cluster: &Cluster, planned: &Planned, progress: &dyn Progress) -> Outcome {
    let mut outcome = Outcome {
        target: planned.target.clone(),
        network: planned.network,
        carrier: None,
        document: None,
        problems: Vec::new(),
        pods: Vec::new(),
    };
    for (pod, carrier) in &planned.attempts {
        let run = cluster.run_probe_pod(pod, progress).await;
        let ended = run.ended.clone();
        let output = run.output.clone();
        outcome.pods.push(run);
        match ended {
            PodEnd::NotStarted { .. } => {
                outcome.problems.push(format!("{}: {}", carrier.describe(), end_words(&ended)));
                continue;
            }
            PodEnd::Exited(_) => {
                outcome.carrier = Some(carrier.clone());
                match output.as_deref().map(document) {
                    Some(Ok(found)) => outcome.document = Some(found),
                    Some(Err(why)) => outcome.problems.push(why),
                    None => outcome.problems.push("its log could not be read".into()),
                }
            }
            _ => outcome.problems.push(format!("{}: {}", carrier.describe(), end_words(&ended))),
        }
        break;
    }
    if outcome.document.is_none() && outcome.carrier.is_none() && outcome.problems.iter().all(|p| p.contains("did not start")) {
        outcome.problems.push(
            "no image the node holds could run the probe: mirror the pulldoctor image to a registry the node reaches and give --image, or run `pulldoctor probe --local` on the node (oc debug node/NAME)".into(),
        );
    }
    outcome
}

/// Connect, then run every planned probe, at most 8 at once.
pub fn run(prepared: &Prepared, context: Option<String>) -> Result<Vec<Outcome>> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let spinner = std::io::stderr().is_terminal().then(|| crate::live::Spinner::new("probing"));
    let progress: &dyn Progress = match &spinner {
        Some(spinner) => spinner,
        None => &Quiet,
    };
    let outcomes = runtime.block_on(async {
        let cluster = Cluster::connect(&KubeOptions { context, namespace: None })
            .await
            .map_err(|failed| anyhow!("cannot reach the cluster ({}): {}", failed.call, failed.message))?;
        use futures_util::StreamExt;
        let mut outcomes: Vec<(usize, Outcome)> = futures_util::stream::iter(prepared.planned.iter().enumerate())
            .map(|(position, planned)| {
                let cluster = &cluster;
                async move { (position, execute(cluster, planned, progress).await) }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        outcomes.sort_by_key(|(position, _)| *position);
        Ok::<_, anyhow::Error>(outcomes.into_iter().map(|(_, o)| o).collect())
    });
    if let Some(spinner) = spinner {
        spinner.bar.finish_and_clear();
    }
    outcomes
}

/// The file a document goes to: `probe-NODE.json`, `probe-NODE-pod-network.json`.
pub fn file_name(outcome: &Outcome) -> String {
    let suffix = if outcome.network == ProbeMode::PodNetwork { "-pod-network" } else { "" };
    format!("probe-{}{suffix}.json", outcome.target.node.replace('/', "_"))
}

/// Read the cluster into a model (no AWS: the probe needs only nodes and failing pods).
pub fn cluster_model(context: Option<String>) -> Result<Model> {
    let request = crate::live::Request {
        kube: Some(KubeOptions { context, namespace: None }),
        aws: None,
        need_cluster: false,
        every_pod: false,
        changes_since: None,
    };
    let gathered = crate::live::gather(request)?;
    if let Some(failed) =
        gathered.collected.failed.iter().find(|f| f.call == "kubeconfig" || f.call == "list nodes" || f.call == "list pods")
    {
        bail!(
            "the cluster could not be read ({}: {}): the in-cluster probe needs the nodes and pods (`kubectl get nodes,pods -A` must work); or run `pulldoctor probe --local IMAGE` on a node",
            failed.call,
            failed.message
        );
    }
    crate::live::print_failures(&gathered.collected, false);
    crate::live::model_of(&gathered.collected)
}

/// `diagnose --probe` (the failing nodes and one working node) and `fix --probe` (the fixed
/// cause's nodes): the probe on `selection` for `image` (else each node's failing image), the
/// documents as bundle files (`probes/probe-NODE.json`); what could not be probed on standard
/// error.
pub fn probe_files(model: &Model, context: Option<String>, selection: Selection, image: Option<String>) -> Result<Vec<(String, Value)>> {
    let launch = Launch {
        selection,
        target: image,
        carrier_image: None,
        binary: None,
        namespace: "pulldoctor".into(),
        pod_network: false,
        max_nodes: 5,
        timeout: "10s".into(),
        timeout_seconds: 10,
        https_proxy: None,
        no_proxy: None,
        context: context.clone(),
    };
    let prepared = prepare(model, &launch)?;
    eprint!("{}", describe(&prepared, &launch.namespace));
    let outcomes = run(&prepared, context)?;
    let mut files = Vec::new();
    for outcome in &outcomes {
        for problem in &outcome.problems {
            eprintln!("pulldoctor: probe on {}: {problem}", outcome.target.node);
        }
        if let Some((value, _)) = &outcome.document {
            files.push((format!("probes/{}", file_name(outcome)), value.clone()));
        }
    }
    Ok(files)
}

/// `pulldoctor probe` in the cluster.
pub fn probe(
    launch: Launch,
    format: crate::cli::Format,
    output: Option<PathBuf>,
    dry_run: bool,
    color: bool,
) -> Result<std::process::ExitCode> {
    let model = cluster_model(launch.context.clone())?;
    let prepared = prepare(&model, &launch)?;
    eprint!("{}", describe(&prepared, &launch.namespace));
    if dry_run {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all((serde_json::to_string_pretty(&dry_run_list(&prepared))? + "\n").as_bytes())?;
        eprintln!("pulldoctor: dry run: nothing was created; without --dry-run these pods are created, read and deleted");
        return Ok(std::process::ExitCode::SUCCESS);
    }
    if prepared.planned.is_empty() {
        bail!("no node could be probed (see above)");
    }
    let outcomes = run(&prepared, launch.context.clone())?;
    if let Some(dir) = &output {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
        for outcome in &outcomes {
            if let Some((value, _)) = &outcome.document {
                let path = dir.join(file_name(outcome));
                std::fs::write(&path, serde_json::to_string_pretty(value)? + "\n")
                    .with_context(|| format!("cannot write `{}`", path.display()))?;
            }
        }
    }
    let text = match format {
        crate::cli::Format::Json => {
            let items: Vec<&Value> = outcomes.iter().filter_map(|o| o.document.as_ref().map(|(v, _)| v)).collect();
            serde_json::to_string_pretty(&json!({"kind": "PulldoctorProbeList", "apiVersion": "pulldoctor/v1", "items": items}))? + "\n"
        }
        _ => report_text(&outcomes, &prepared, color),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    for outcome in &outcomes {
        for problem in &outcome.problems {
            eprintln!("pulldoctor: probe on {} ({}): {problem}", outcome.target.node, outcome.network.as_str());
        }
    }
    let all_passed = outcomes.iter().all(|o| o.document.as_ref().is_some_and(|(_, r)| r.result == pulldoctor_probe::Verdict::Passed));
    Ok(if all_passed && prepared.unplaced.is_empty() { std::process::ExitCode::SUCCESS } else { std::process::ExitCode::from(1) })
}

/// Each node's step table, then one line per node.
fn report_text(outcomes: &[Outcome], prepared: &Prepared, color: bool) -> String {
    let mut out = String::new();
    for outcome in outcomes {
        let head =
            format!("== {} ({}, {}): {} ==", outcome.target.node, role(&outcome.target), outcome.network.as_str(), outcome.target.why);
        out.push_str(&pulldoctor_render::wrap(&head, "", "   "));
        match &outcome.document {
            Some((_, report)) => out.push_str(&crate::probe_text::text(report, color)),
            None => out.push_str(&pulldoctor_render::wrap(&format!("not probed: {}", outcome.problems.join("; ")), "", "  ")),
        }
        out.push('\n');
    }
    out.push_str(&format!("{:<34} {:<8} {:<13} RESULT\n", "NODE", "ROLE", "NETWORK"));
    for outcome in outcomes {
        let result = match &outcome.document {
            Some((_, report)) => match (report.result, report.failed_step) {
                (pulldoctor_probe::Verdict::Passed, _) => format!("passed in {} ms", report.duration_ms),
                (_, step) => {
                    let failure = step.and_then(|s| report.steps.iter().find(|x| x.name == s)).and_then(|s| s.failure.as_ref());
                    format!("FAILED at {} ({})", step.map(|s| s.as_str()).unwrap_or("?"), failure.map(|f| f.class.as_str()).unwrap_or("?"))
                }
            },
            None => "not probed".to_string(),
        };
        out.push_str(&format!("{:<34} {:<8} {:<13} {result}\n", outcome.target.node, role(&outcome.target), outcome.network.as_str()));
    }
    for unplaced in &prepared.unplaced {
        out.push_str(&format!("{:<34} {:<8} {:<13} not probed: {}\n", unplaced.node, "", unplaced.network.as_str(), unplaced.why));
    }
    out
}
