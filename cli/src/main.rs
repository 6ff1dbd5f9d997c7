//! `mdl`: the command-line face of mdl-proximity.
//!
//! `demo` runs issuer, holder and reader in one process over the in-memory transport; `issue`
//! writes a test PKI and credential; `holder` and `reader` present and read over the GmDL TCP
//! test transport, as two processes; `verify` checks a response offline; `inspect` decodes any
//! 18013-5 message.
//!
//! Exit status: 0 success, 1 malformed input or failed checks, 2 usage error.
//!
//! The binary reads the clock (`SystemTime` for certificate and MSO validity, `Instant` for
//! session deadlines) and the OS RNG (`getrandom`, or `--seed N`); the engine does neither.

#[cfg(feature = "ble")]
mod ble;
mod cli;
mod demo;
mod dump;
mod error;
mod holder;
mod input;
mod inspect;
mod issue;
mod keys;
#[cfg(feature = "nfc")]
mod nfc;
mod output;
mod present;
mod qr;
mod reader;
mod rng;
mod setup;
mod verify;

use std::process::ExitCode;

use clap::Parser as _;
use tracing_subscriber::EnvFilter;

use cli::{Cli, Command};
use error::{CliResult, Context as _};

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
        Command::Demo(args) => demo::run(&args),
        Command::Issue(args) => issue::run(&args),
        Command::Holder(args) => holder::run(&args),
        Command::Reader(args) => reader::run(&args),
        Command::Verify(args) => verify::run(&args),
    }
}

/// The tokio runtime of the networked subcommands: multi-threaded (the holder's terminal
/// prompt blocks one worker with `block_in_place`), two workers (sessions are one at a time).
pub(crate) fn runtime() -> CliResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the tokio runtime")
}
