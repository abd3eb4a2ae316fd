//! What every command shares: writing to standard output, colour, the machine's threads, reading
//! a bundle directory with its warnings. Commands import it; it imports no command.

use std::io::{IsTerminal, Write};

use anyhow::{Result, anyhow, bail};
use pulldoctor::fs;
use pulldoctor_model::Model;
use pulldoctor_render::Style;

use crate::cli::{Color, Input};

pub(crate) fn emit(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

pub(crate) fn style(color: Color) -> Style {
    let color = match color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    Style { color }
}

/// How many threads path tracing may use: the machine's, which only the binary may ask about.
pub(crate) fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

pub(crate) fn load(input: &Input) -> Result<(Model, Vec<String>)> {
    let options = fs::Options { strict: input.strict, ..fs::Options::default() };
    let bundle = fs::read_bundles(&input.bundles, &options).map_err(|e| anyhow!("{e}"))?;
    warn_unreadable(&bundle.model);
    // what was passed over is never silent: counted on standard error and in the report's notes
    let passed_over = bundle.passed_over_summary();
    for line in &passed_over {
        eprint!("{}", pulldoctor_render::wrap(line, "pulldoctor: ", "  "));
    }
    let mut notes = bundle.notes;
    for skipped in &bundle.skipped {
        notes.push(format!("skipped {}: {}", skipped.file.display(), skipped.reason));
    }
    notes.extend(passed_over);
    if bundle.files_read == 0 {
        let names: Vec<String> = input.bundles.iter().map(|b| format!("`{}`", b.display())).collect();
        bail!(
            "{} holds no file pulldoctor reads ({} passed over): a bundle holds `aws ... --output json|yaml` and `kubectl get ... -o json|yaml` outputs, a must-gather, or nodes' journals",
            names.join(", "),
            bundle.passed_over.len()
        );
    }
    Ok((bundle.model, notes))
}

/// Each file the reader could not read, on standard error: the report is made without it (and
/// lists it as a gap); `--strict` would have stopped instead.
pub(crate) fn warn_unreadable(model: &Model) {
    for file in &model.unreadable_files {
        let seems = file.seems.map(|kind| format!(" (it seems to be {kind:?})")).unwrap_or_default();
        eprintln!("pulldoctor: warning: cannot read {file}");
        eprintln!("  going on without it{seems}; --strict makes this an error");
    }
}
