//! Live collection from AWS with the AWS SDK for Rust, and the cluster with kube-rs; and the one
//! thing that writes to a cluster: the probe pods of `pulldoctor probe` (`probe_pods`).
//!
//! The collectors do not build the model themselves: each call's result is written as the JSON
//! the AWS CLI prints for it (`aws ec2 describe-subnets --output json`), so the bundle reader is
//! the one converter into the model for both paths, and `pulldoctor collect -o DIR` writes a
//! bundle anyone can read back. A call that is denied or fails becomes a [`Failed`] entry (a gap
//! in the report), never an abort and never an empty "healthy" answer.
//!
//! The endpoint comes only from configuration (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`,
//! profiles), credentials from the standard chain, retries use the SDK's adaptive mode for
//! throttling. What to read (which VPCs, repositories, secrets) is decided by the caller from the
//! cluster; this crate only carries it out.

mod aws;
mod fix;
mod kube;
mod probe_pods;

pub use aws::{AwsOptions, CONCURRENT_CALLS, Repository, collect_aws};
pub use fix::{Checked, Fixer, Look};
pub use kube::{Cluster, KubeOptions, redact_docker_config};
pub use probe_pods::{PodEnd, PodRun, ProbePod, Upload};

/// Told when each call starts and ends (a progress display); calls overlap.
pub trait Progress: Send + Sync {
    fn start(&self, call: &str);
    fn finish(&self, call: &str, ok: bool);
}

/// No progress display.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: &str) {}
    fn finish(&self, _: &str, _: bool) {}
}

/// One output file of the collection: a name and the CLI-shaped JSON, as a value or (a
/// Kubernetes list) already written out.
#[derive(Debug, Clone)]
pub struct File {
    pub name: String,
    /// The content (`Null` when `text` holds it).
    pub json: serde_json::Value,
    /// The content as compact JSON text: a Kubernetes list is written page by page as the API
    /// answers, so a big cluster's pods are never held as typed objects, values and text at once
    /// (the reader then parses the text item by item).
    pub text: Option<Vec<u8>>,
}

impl File {
    /// A file whose content is `json`.
    pub fn value(name: impl Into<String>, json: serde_json::Value) -> File {
        File { name: name.into(), json, text: None }
    }

    /// The content as JSON text: the written text, else the value, compact or `pretty`.
    pub fn bytes(&self, pretty: bool) -> std::borrow::Cow<'_, [u8]> {
        match &self.text {
            Some(text) => std::borrow::Cow::Borrowed(text),
            None if pretty => std::borrow::Cow::Owned(serde_json::to_vec_pretty(&self.json).unwrap_or_default()),
            None => std::borrow::Cow::Owned(serde_json::to_vec(&self.json).unwrap_or_default()),
        }
    }
}

/// A call that could not be made, and why (the permission it lacks when it was denied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub call: String,
    pub denied: bool,
    /// What happened, in the user's terms.
    pub message: String,
    /// The library's own error, for `--verbose`.
    pub detail: Option<String>,
}

#[derive(Debug, Default)]
pub struct Collected {
    pub files: Vec<File>,
    pub failed: Vec<Failed>,
}

impl Collected {
    /// Repeated failures of one call with one message become one, counted.
    pub fn merge_failures(&mut self) {
        let mut merged: Vec<(Failed, usize)> = Vec::new();
        for failed in self.failed.drain(..) {
            match merged.iter_mut().find(|(f, _)| f.call == failed.call && f.message == failed.message) {
                Some((_, count)) => *count += 1,
                None => merged.push((failed, 1)),
            }
        }
        self.failed = merged
            .into_iter()
            .map(|(mut failed, count)| {
                if count > 1 {
                    failed.message = format!("{} ({count} calls)", failed.message);
                }
                failed
            })
            .collect();
    }

    /// Take in another collection's files and failures.
    pub fn absorb(&mut self, other: Collected) {
        self.files.extend(other.files);
        self.failed.extend(other.failed);
    }

    /// `collect-failures.json`: the calls that could not be made, which the reader turns into
    /// gaps (`None` when every call was made).
    pub fn failures_file(&self) -> Option<File> {
        (!self.failed.is_empty()).then(|| {
            let failures: Vec<serde_json::Value> = self
                .failed
                .iter()
                .map(|f| match &f.detail {
                    Some(detail) => serde_json::json!({"call": f.call, "denied": f.denied, "message": f.message, "detail": detail}),
                    None => serde_json::json!({"call": f.call, "denied": f.denied, "message": f.message}),
                })
                .collect();
            File::value("collect-failures.json", serde_json::json!({"PulldoctorCollectFailures": failures}))
        })
    }

    /// Write every file under `dir` (created if needed), with `collect-failures.json`.
    /// Returns how many files were written.
    pub fn write(&self, dir: &std::path::Path) -> std::io::Result<usize> {
        std::fs::create_dir_all(dir)?;
        for file in self.failures_file().iter().chain(&self.files) {
            let path = dir.join(&file.name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let mut text = file.bytes(true).into_owned();
            text.push(b'\n');
            std::fs::write(path, text)?;
        }
        Ok(self.files.len() + usize::from(!self.failed.is_empty()))
    }
}
