//! `mdl`: the command-line face of mdl-proximity.
//!
//! `inspect` is complete; `demo`, `issue`, `holder`, `reader` and `verify` parse their
//! arguments and then exit with status 69 ("not yet available in this build") until the issuer,
//! session and verify modules are merged.
//!
//! Exit status: 0 success, 1 malformed input or failed checks, 2 usage error, 69 unavailable.

mod cli;
mod input;
mod inspect;
mod output;

use std::process::ExitCode;

use clap::Parser as _;
use tracing_subscriber::EnvFilter;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    run(cli.command)
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // Logs go to stderr so stdout stays pure JSON or the bare `mdoc:` URI.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn run(command: Command) -> ExitCode {
    match command {
        Command::Inspect(args) => inspect::run(&args),
        Command::Demo(args) => {
            tracing::debug!(?args, "demo");
            output::unavailable("demo", "the issuer, session and verify modules")
        }
        Command::Issue(args) => {
            tracing::debug!(?args, "issue");
            output::unavailable("issue", "the issuer module")
        }
        Command::Holder(args) => {
            tracing::debug!(?args, "holder");
            output::unavailable("holder", "the holder session and its tokio driver")
        }
        Command::Reader(args) => {
            if let Err(code) = check_at(args.at.as_deref()) {
                return code;
            }
            tracing::debug!(?args, "reader");
            output::unavailable("reader", "the reader session and the verify module")
        }
        Command::Verify(args) => {
            if let Err(code) = check_at(args.at.as_deref()) {
                return code;
            }
            tracing::debug!(?args, "verify");
            output::unavailable("verify", "the verify module")
        }
    }
}

/// Rejects a malformed `--at` now, so a typo is not hidden behind "not yet available".
fn check_at(at: Option<&str>) -> Result<(), ExitCode> {
    match at.map(mdl_proximity::msg::TDate::parse) {
        Some(Err(e)) => Err(output::fail(&format_args!(
            "--at: {}",
            output::describe(&e)
        ))),
        _ => Ok(()),
    }
}
