//! `pulldoctor tui [BUNDLE]`: the troubleshooter (`pulldoctor-tui`) on a bundle, or live. The
//! binary owns both sources: it reads the bundle's files, or collects with the SDK (only with the
//! `live` feature), diagnoses, and hands the TUI the report and a way to write the escalation
//! package of exactly that data.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Result, anyhow};
use pulldoctor::fs;
use pulldoctor_diagnosis::Options;
use pulldoctor_tui::{Loaded, Progress, Source};

use crate::cli::{Color, TuiArgs};

/// A package named for the moment it is written, in the current directory.
fn package_path() -> PathBuf {
    PathBuf::from(format!("pulldoctor-case-{}.tar.gz", chrono::Utc::now().format("%Y%m%d-%H%M%S")))
}

fn diagnosis_options(now: Option<chrono::DateTime<chrono::Utc>>) -> Options {
    Options { now, threads: std::thread::available_parallelism().map_or(1, |n| n.get()), ..Options::default() }
}

/// What a load made, and the package writer over the same data.
fn loaded(
    model: pulldoctor_model::Model,
    notes: Vec<String>,
    files: crate::archive::BundleFiles,
    source: String,
    now: Option<chrono::DateTime<chrono::Utc>>,
) -> Loaded {
    let mut report = pulldoctor_diagnosis::diagnose(&model, &diagnosis_options(now));
    report.notes = notes;
    let mut warnings: Vec<String> = model.unreadable_files.iter().map(|f| format!("cannot read {f}")).collect();
    warnings.extend(
        model.collection_failures.iter().map(|f| format!("{} {}: {}", f.call, if f.denied { "denied" } else { "failed" }, f.message)),
    );
    let packaged = report.clone();
    let archive: pulldoctor_tui::Archiver = Box::new(move || {
        let path = package_path();
        let case = crate::archive::Case {
            source: source.clone(),
            files: files.clone(),
            model: &model,
            report: &packaged,
            created: chrono::Utc::now(),
        };
        crate::archive::write(&path, &case)
            .map(|written| crate::archive::summary(&path, &written).replace("pulldoctor: ", ""))
            .map_err(|e| format!("{e:#}"))
    });
    Loaded { report, warnings, archive: Some(archive) }
}

struct BundleSource {
    inputs: Vec<PathBuf>,
    strict: bool,
    now: Option<chrono::DateTime<chrono::Utc>>,
}

impl Source for BundleSource {
    fn describe(&self) -> String {
        let names: Vec<String> = self.inputs.iter().map(|input| input.display().to_string()).collect();
        format!("bundle {}", names.join(", "))
    }

    fn is_live(&self) -> bool {
        false
    }

    fn load(&self, _: &dyn Progress) -> Result<Loaded, String> {
        let options = fs::Options { strict: self.strict, ..fs::Options::default() };
        let bundle = fs::read_bundles(&self.inputs, &options).map_err(|e| e.to_string())?;
        if bundle.files_read == 0 {
            return Err(format!("{} holds no file pulldoctor reads", self.describe()));
        }
        let files = crate::archive::bundle_files(&self.inputs).map_err(|e| e.to_string())?;
        Ok(loaded(bundle.model, bundle.notes, files, self.describe(), self.now))
    }
}

#[cfg(feature = "live")]
struct LiveSource {
    args: TuiArgs,
}

#[cfg(feature = "live")]
struct Forward<'a>(&'a dyn Progress);

#[cfg(feature = "live")]
impl pulldoctor_live::Progress for Forward<'_> {
    fn start(&self, call: &str) {
        self.0.started(call);
    }
    fn finish(&self, call: &str, ok: bool) {
        self.0.finished(call, ok);
    }
}

#[cfg(feature = "live")]
impl Source for LiveSource {
    fn describe(&self) -> String {
        crate::live::describe_source(self.args.from.context.as_deref(), self.args.from.profile.as_deref())
    }

    fn is_live(&self) -> bool {
        true
    }

    fn load(&self, progress: &dyn Progress) -> Result<Loaded, String> {
        let request = crate::live::cluster_request(&self.args.from);
        let forward = Forward(progress);
        let gathered = crate::live::gather_with(request, &forward).map_err(|e| format!("{e:#}"))?;
        let options = pulldoctor_bundle::ReadOptions { strict: self.args.from.strict, threads: fs::available_threads() };
        let bundle = crate::live::read(&gathered.collected, &options).map_err(|e| format!("{e:#}"))?;
        Ok(loaded(bundle.model, bundle.notes, crate::live::files(&gathered.collected), self.describe(), self.args.now_time()))
    }
}

#[cfg(feature = "live")]
fn live_source(args: TuiArgs) -> Result<Arc<dyn Source>> {
    Ok(Arc::new(LiveSource { args }))
}

#[cfg(not(feature = "live"))]
fn live_source(_: TuiArgs) -> Result<Arc<dyn Source>> {
    anyhow::bail!(
        "give a bundle directory (this pulldoctor was built without live collection: build it with `cargo build --release --features live`)"
    )
}

/// `x` in the troubleshooter: `pulldoctor fix` for the selected cause and option, against the
/// same cluster and account (and the bundle, whose plan the live state must match).
#[cfg(feature = "live")]
struct FixHere {
    from: crate::cli::BundleOrLive,
}

#[cfg(feature = "live")]
impl pulldoctor_tui::ApplyFix for FixHere {
    fn apply(
        &self,
        cause: &pulldoctor_diagnosis::report::Cause,
        option: &pulldoctor_diagnosis::report::FixOption,
    ) -> Result<String, String> {
        let number = cause.fix.options.iter().position(|o| o.title == option.title).map(|i| i + 1);
        let args = crate::cli::FixArgs {
            from: self.from.clone(),
            cause: cause.code.as_str().to_string(),
            option: number,
            yes: false,
            dry_run: false,
            record: None,
            undo: None,
            restart_failing: false,
            probe: None,
        };
        match crate::fix::fix(args) {
            Ok(code) if code == ExitCode::SUCCESS => Ok(format!("pulldoctor fix {}: done (see above); collecting again", cause.code)),
            Ok(_) => Ok(format!("pulldoctor fix {}: not fixed or not made (see above)", cause.code)),
            Err(error) => Err(error.to_string()),
        }
    }
}

#[cfg(feature = "live")]
fn fix_here(args: &TuiArgs) -> Option<Box<dyn pulldoctor_tui::ApplyFix>> {
    Some(Box::new(FixHere { from: args.from.clone() }))
}

#[cfg(not(feature = "live"))]
fn fix_here(_: &TuiArgs) -> Option<Box<dyn pulldoctor_tui::ApplyFix>> {
    None
}

pub fn tui(args: TuiArgs) -> Result<ExitCode> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(anyhow!(pulldoctor_tui::Error::NotATerminal));
    }
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let options = pulldoctor_tui::Options { color, mouse: !args.no_mouse, apply: fix_here(&args) };
    let source: Arc<dyn Source> = if args.from.bundles.is_empty() {
        live_source(args)?
    } else {
        if let Some(missing) = args.from.bundles.iter().find(|input| !input.exists()) {
            return Err(anyhow!("`{}` does not exist", missing.display()));
        }
        Arc::new(BundleSource { inputs: args.from.bundles.clone(), strict: args.from.strict, now: args.now_time() })
    };
    pulldoctor_tui::run(source, options)?;
    Ok(ExitCode::SUCCESS)
}
