//! `pulldoctor tui`: the interactive troubleshooter. A left pane of the layers a pull crosses
//! (symptoms, scope, network path, DNS, endpoints, access, image, cluster policy), each with its
//! verdict, and the report's causes, working vs failing, gaps and fix plan; the right pane shows
//! the selected one: the pods and their real errors, the paths hop by hop per group of nodes, the
//! evidence chain of each cause, the gaps with the commands that fill them, the fix plan with
//! copyable commands. From a failing pod to its fix: Enter, Enter, f.
//!
//! Modules: `layers` (the left pane from the report) and `detail` (the right pane), both pure;
//! `app` (state and keys, tested without a terminal); `view` (drawing, tested on ratatui's
//! `TestBackend`); `terminal` (the real one); `source` (the seams the binary fills: the report's
//! source, live progress, applying a fix). This crate links no SDK: live collection is a
//! [`Source`] the binary passes in.

pub mod app;
pub mod detail;
pub mod layers;
pub mod source;
mod terminal;
pub mod theme;
pub mod view;

pub use source::{ApplyFix, Archiver, Loaded, Progress, Quiet, Source};

/// How the troubleshooter runs.
pub struct Options {
    /// Colour (off under `NO_COLOR`; the binary decides).
    pub color: bool,
    /// Clicks and the wheel (off: the terminal's own selection works instead).
    pub mouse: bool,
    /// What `x` runs (`pulldoctor fix` in a live build); `None`: `x` says it needs a live build.
    pub apply: Option<Box<dyn ApplyFix>>,
}

#[derive(Debug)]
pub enum Error {
    /// Standard input or output is not a terminal: nothing is drawn into a pipe.
    NotATerminal,
    Terminal(std::io::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::NotATerminal => write!(
                f,
                "`pulldoctor tui` needs a terminal, and standard input or output is not one; for a pipe or a file use `pulldoctor diagnose` (--format text, json, markdown or html)"
            ),
            Error::Terminal(error) => write!(f, "the terminal failed: {error}"),
        }
    }
}

impl std::error::Error for Error {}

/// Run the troubleshooter on `source` until the user quits.
pub fn run(source: std::sync::Arc<dyn Source>, options: Options) -> Result<(), Error> {
    terminal::run(source, options)
}
