//! What can go wrong with a bundle file, always naming the file (and, inside it, the JSON path).

use std::fmt;
use std::path::PathBuf;

/// One problem with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub file: PathBuf,
    /// Where in the JSON, e.g. `RouteTables[0].Routes[2].DestinationCidrBlock`; empty for the file as a whole.
    pub json_path: String,
    pub message: String,
}

impl FileError {
    /// An error about the file as a whole (it cannot be read, is empty, is not JSON).
    pub fn whole(file: impl Into<PathBuf>, message: impl Into<String>) -> FileError {
        FileError { file: file.into(), json_path: String::new(), message: message.into() }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.json_path.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}: at `{}`: {}", self.file.display(), self.json_path, self.message)
        }
    }
}

/// Why a bundle could not be read: every bad file, so a user fixes them all in one go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("{}", list(.0))]
    Files(Vec<FileError>),
}

fn list(errors: &[FileError]) -> String {
    let shown: Vec<String> = errors.iter().take(20).map(ToString::to_string).collect();
    let mut out = format!(
        "{} file{} in the bundle could not be read:\n  {}",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" },
        shown.join("\n  ")
    );
    if errors.len() > 20 {
        out.push_str(&format!("\n  ... and {} more", errors.len() - 20));
    }
    out
}
