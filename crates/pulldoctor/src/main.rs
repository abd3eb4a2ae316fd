//! pulldoctor: why can't this cluster pull its images?
//!
//! The binary is the edge: argument parsing, files, the terminal, exit codes. Everything else is
//! in the library crates.

#[cfg(feature = "live")]
mod agent;
mod archive;
mod cli;
mod commands;
#[cfg_attr(not(feature = "live"), allow(dead_code))]
mod elf;
#[cfg(feature = "live")]
mod fix;
#[cfg(feature = "live")]
mod live;
mod probe;
#[cfg(feature = "live")]
mod probe_cluster;
mod probe_text;
mod shared;
mod tui;
mod watch;
#[cfg(not(feature = "live"))]
mod fix {
    //! A fix is made live: without live collection there is none.
    pub fn fix(_: crate::cli::FixArgs) -> anyhow::Result<std::process::ExitCode> {
        anyhow::bail!("fix reads and changes the cluster's AWS account live: build pulldoctor with `--features live`")
    }
}
#[cfg(not(feature = "live"))]
mod agent {
    //! The agent reads the cluster and AWS live: without live collection there is none.
    pub fn agent(_: crate::cli::AgentArgs) -> anyhow::Result<std::process::ExitCode> {
        anyhow::bail!("the agent reads the cluster and AWS live: build pulldoctor with `--features live`")
    }
}

use std::process::ExitCode;

use clap::Parser;

/// Reading a large bundle allocates millions of small strings on every core: mimalloc does that
/// without the contention of the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            if commands::is_broken_pipe(&error) {
                return ExitCode::SUCCESS;
            }
            eprintln!("pulldoctor: error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(2)
        }
    }
}
