//! The seams the binary fills: where the report comes from ([`Source`]: a bundle on disk, or a live
//! collection, which only the binary can make, since this crate links no SDK), how collection
//! reports its progress, and how a fix would be applied ([`ApplyFix`], for `pulldoctor fix`).

use pulldoctor_diagnosis::report::{Cause, FixOption, Report};

/// Calls as a live collection makes them, for the progress screen.
pub trait Progress: Sync {
    fn started(&self, call: &str);
    fn finished(&self, call: &str, ok: bool);
}

/// Progress nobody watches.
pub struct Quiet;

impl Progress for Quiet {
    fn started(&self, _: &str) {}
    fn finished(&self, _: &str, _: bool) {}
}

/// Writes the escalation package of exactly what a report was made from; says where it went.
pub type Archiver = Box<dyn Fn() -> Result<String, String> + Send>;

/// What a load produced.
pub struct Loaded {
    pub report: Report,
    /// What the user should know about the input (unreadable files, denied calls).
    pub warnings: Vec<String>,
    /// The escalation package (`a`), when the source can make one.
    pub archive: Option<Archiver>,
}

/// Where the report comes from. `load` runs on a thread of its own; `r` runs it again.
pub trait Source: Send + Sync {
    /// One line for the title bar: `bundle examples/x`, `live (context prod)`.
    fn describe(&self) -> String;
    /// A live source collects (slowly, with progress); a bundle is read again.
    fn is_live(&self) -> bool;
    fn load(&self, progress: &dyn Progress) -> Result<Loaded, String>;
}

/// The seam for applying a fix from the TUI: the binary passes `pulldoctor fix` here (live
/// builds). `x` leaves the troubleshooter's screen, the fix shows its plan, asks, acts and
/// verifies on the ordinary screen, and the troubleshooter comes back and collects again.
/// Without an implementation (an offline build) `x` says so and the commands stay copyable (`y`).
pub trait ApplyFix: Send {
    /// Apply one option of a cause's fix; the text says what happened.
    fn apply(&self, cause: &Cause, option: &FixOption) -> Result<String, String>;
}
