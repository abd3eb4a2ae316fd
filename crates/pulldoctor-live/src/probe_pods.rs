//! Running a probe pod with kube-rs: create it, wait for it (copying the binary in through `exec`
//! when its image only carries it), read its output from the log, and delete it, whatever
//! happened on the way. The pods themselves are pure JSON made by `pulldoctor_probe::launch`;
//! this is the only code that changes cluster state, and only in the namespace it is given.

use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, AttachParams, DeleteParams, LogParams, PostParams};
use tokio::io::AsyncWriteExt;

use crate::{Cluster, Progress};

/// One probe pod to run.
#[derive(Debug, Clone)]
pub struct ProbePod {
    /// The pod, as `pulldoctor_probe::launch::pod` makes it (its namespace is in its metadata).
    pub pod: serde_json::Value,
    /// What to copy in once it runs (its image carries the binary otherwise).
    pub upload: Option<Upload>,
    /// How long to wait for it in all, creation to exit.
    pub wait: Duration,
}

/// The binary to copy into a running pod: the command that takes it (from standard input) and
/// its bytes.
#[derive(Debug, Clone)]
pub struct Upload {
    pub command: Vec<String>,
    pub bytes: Arc<Vec<u8>>,
}

/// How a probe pod ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PodEnd {
    /// The probe ran and exited with this code (0: every step passed, 1: one failed).
    Exited(i32),
    /// It never ran: the image is not on the node, has no shell, cannot start (the reason and the
    /// kubelet's message).
    NotStarted { reason: String, message: String },
    /// It did not end in time.
    TimedOut { last_state: String },
    /// An API call failed (create denied, exec refused, ...).
    Failed { call: String, denied: bool, message: String },
}

/// What became of one probe pod.
#[derive(Debug, Clone)]
pub struct PodRun {
    pub name: String,
    pub namespace: String,
    /// The container's output: the probe's JSON document, when it ran.
    pub output: Option<String>,
    pub ended: PodEnd,
    /// What the launcher did, in order (`create`, `running`, `upload 1234 bytes`, `exited 1`,
    /// `log`, `delete`): the sequence the tests assert and `--verbose` shows.
    pub steps: Vec<String>,
}

/// The waiting reasons that mean the container will never start as asked.
const NEVER_STARTS: &[&str] = &[
    "ErrImageNeverPull",
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CreateContainerError",
    "CreateContainerConfigError",
    "RunContainerError",
    "StartError",
];

/// How often the pod is looked at while it runs.
const POLL: Duration = Duration::from_millis(500);

fn api_failure(call: &str, error: &kube::Error) -> PodEnd {
    let denied = matches!(error, kube::Error::Api(status) if status.code == 401 || status.code == 403);
    PodEnd::Failed { call: call.to_string(), denied, message: error.to_string() }
}

/// The pod's state in the terms the launcher acts on.
enum Seen {
    Pending(String),
    Running,
    Exited(i32),
    NeverStarts(String, String),
}

fn seen(pod: &Pod) -> Seen {
    let status = pod.status.clone().unwrap_or_default();
    let container = status.container_statuses.unwrap_or_default().into_iter().find(|c| c.name == "probe");
    let state = container.and_then(|c| c.state).unwrap_or_default();
    if let Some(terminated) = state.terminated {
        // a shell that is not there: the runtime says so as exit 126/127 or a start error
        if matches!(terminated.exit_code, 126 | 127) || terminated.reason.as_deref() == Some("StartError") {
            return Seen::NeverStarts(
                terminated.reason.unwrap_or_else(|| format!("exit {}", terminated.exit_code)),
                terminated.message.unwrap_or_else(|| "the image has no shell to run the copied binary".into()),
            );
        }
        return Seen::Exited(terminated.exit_code);
    }
    if let Some(waiting) = state.waiting {
        let reason = waiting.reason.unwrap_or_default();
        if NEVER_STARTS.contains(&reason.as_str()) {
            return Seen::NeverStarts(reason, waiting.message.unwrap_or_default());
        }
        return Seen::Pending(reason);
    }
    if state.running.is_some() {
        return Seen::Running;
    }
    // no container status yet: scheduled, or stopped by the deadline before it started
    let phase = status.phase.unwrap_or_else(|| "Pending".into());
    if phase == "Failed" {
        return Seen::NeverStarts(status.reason.unwrap_or(phase), status.message.unwrap_or_default());
    }
    Seen::Pending(phase)
}

impl Cluster {
    /// Runs one probe pod to its end and deletes it.
    pub async fn run_probe_pod(&self, request: &ProbePod, progress: &dyn Progress) -> PodRun {
        let name = request.pod["metadata"]["name"].as_str().unwrap_or_default().to_string();
        let namespace = request.pod["metadata"]["namespace"].as_str().unwrap_or("default").to_string();
        let node = request.pod["spec"]["nodeName"].as_str().unwrap_or_default().to_string();
        let call = format!("probe pod on {node}");
        progress.start(&call);
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &namespace);
        let mut run = PodRun {
            name: name.clone(),
            namespace,
            output: None,
            ended: PodEnd::TimedOut { last_state: String::new() },
            steps: Vec::new(),
        };
        let pod: Pod = match serde_json::from_value(request.pod.clone()) {
            Ok(pod) => pod,
            Err(error) => {
                run.ended = PodEnd::Failed { call: "build pod".into(), denied: false, message: error.to_string() };
                progress.finish(&call, false);
                return run;
            }
        };
        if let Err(error) = api.create(&PostParams::default(), &pod).await {
            run.steps.push("create failed".into());
            run.ended = api_failure("create pods", &error);
            progress.finish(&call, false);
            return run;
        }
        run.steps.push("create".into());
        run.ended = self.wait(&api, &name, request, &mut run.steps).await;
        if matches!(run.ended, PodEnd::Exited(_)) || matches!(run.ended, PodEnd::TimedOut { .. }) {
            match api.logs(&name, &LogParams { container: Some("probe".into()), ..LogParams::default() }).await {
                Ok(text) => {
                    run.steps.push("log".into());
                    run.output = Some(text);
                }
                Err(error) => run.steps.push(format!("log failed: {error}")),
            }
        }
        match api.delete(&name, &DeleteParams { grace_period_seconds: Some(0), ..DeleteParams::default() }).await {
            Ok(_) => run.steps.push("delete".into()),
            Err(error) => run.steps.push(format!("delete failed ({error}): remove it with kubectl delete pod -n {} {name}", run.namespace)),
        }
        progress.finish(&call, matches!(run.ended, PodEnd::Exited(_)));
        run
    }

    /// Until the pod's container exits, will never start, or time runs out; copies the binary in
    /// once it runs, when asked to.
    async fn wait(&self, api: &Api<Pod>, name: &str, request: &ProbePod, steps: &mut Vec<String>) -> PodEnd {
        let started = Instant::now();
        let mut uploaded = request.upload.is_none();
        let mut last = String::from("Pending");
        let mut running_seen = false;
        while started.elapsed() < request.wait {
            let pod = match api.get(name).await {
                Ok(pod) => pod,
                Err(error) => return api_failure("get pods", &error),
            };
            match seen(&pod) {
                Seen::Exited(code) => {
                    steps.push(format!("exited {code}"));
                    return PodEnd::Exited(code);
                }
                Seen::NeverStarts(reason, message) => {
                    steps.push(format!("never starts: {reason}"));
                    return PodEnd::NotStarted { reason, message };
                }
                Seen::Running => {
                    if !running_seen {
                        steps.push("running".into());
                        running_seen = true;
                    }
                    if !uploaded && let Some(upload) = &request.upload {
                        if let Err(failed) = self.upload(api, name, upload).await {
                            return failed;
                        }
                        steps.push(format!("upload {} bytes", upload.bytes.len()));
                        uploaded = true;
                        continue;
                    }
                    last = "Running".into();
                }
                Seen::Pending(state) => last = state,
            }
            tokio::time::sleep(POLL).await;
        }
        steps.push(format!("timed out ({last})"));
        PodEnd::TimedOut { last_state: last }
    }

    /// `exec` the upload command and feed it the binary on standard input.
    async fn upload(&self, api: &Api<Pod>, name: &str, upload: &Upload) -> Result<(), PodEnd> {
        let params = AttachParams::default().container("probe").stdin(true).stdout(false).stderr(true);
        let mut process = api.exec(name, upload.command.clone(), &params).await.map_err(|e| api_failure("create pods/exec", &e))?;
        let status = process.take_status();
        if let Some(mut stdin) = process.stdin() {
            stdin.write_all(&upload.bytes).await.map_err(|e| PodEnd::Failed {
                call: "exec upload".into(),
                denied: false,
                message: e.to_string(),
            })?;
            // no shutdown: the command reads exactly the size it was told, then exits
        }
        let status = match status {
            Some(status) => status.await,
            None => None,
        };
        drop(process);
        match status {
            Some(status) if status.status.as_deref() == Some("Success") => Ok(()),
            Some(status) => Err(PodEnd::Failed {
                call: "exec upload".into(),
                denied: false,
                message: status.message.unwrap_or_else(|| "the copy command failed".into()),
            }),
            None => Err(PodEnd::Failed { call: "exec upload".into(), denied: false, message: "the copy ended without a status".into() }),
        }
    }

    /// Runs `pods` at most `at_once` at a time; results in the order given.
    pub async fn run_probe_pods(&self, pods: &[ProbePod], at_once: usize, progress: &dyn Progress) -> Vec<PodRun> {
        use futures_util::StreamExt;
        let mut results: Vec<(usize, PodRun)> = futures_util::stream::iter(pods.iter().enumerate())
            .map(|(position, pod)| async move { (position, self.run_probe_pod(pod, progress).await) })
            .buffer_unordered(at_once.max(1))
            .collect()
            .await;
        results.sort_by_key(|(position, _)| *position);
        results.into_iter().map(|(_, run)| run).collect()
    }
}
