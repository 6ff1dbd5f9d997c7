//! The binary's error: what was being done, and the library error underneath.
//!
//! Library errors are typed; the CLI only needs to say what it was doing when one happened and
//! pick an exit status, so it wraps them with a context sentence (like `error: reading
//! credential.cbor: …`).

use std::fmt;
use std::process::ExitCode;

/// Exit status for a command line that parsed but cannot work (conflicting options): the same
/// status clap uses for usage errors.
pub(crate) const EXIT_USAGE: u8 = 2;

/// A failed step of a subcommand.
#[derive(Debug)]
pub(crate) struct CliError {
    context: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
    usage: bool,
}

impl CliError {
    /// An error with no underlying cause.
    pub(crate) fn msg(context: impl Into<String>) -> Self {
        Self {
            context: context.into(),
            source: None,
            usage: false,
        }
    }

    /// A usage error: the options cannot work together (exit status 2).
    pub(crate) fn usage(context: impl Into<String>) -> Self {
        Self {
            usage: true,
            ..Self::msg(context)
        }
    }

    /// Prints `error: …` on stderr and returns the exit status.
    pub(crate) fn report(&self) -> ExitCode {
        eprintln!("error: {self}");
        if self.usage {
            ExitCode::from(EXIT_USAGE)
        } else {
            ExitCode::FAILURE
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.context)?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CliError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Adds context to any error.
pub(crate) trait Context<T> {
    /// Wraps the error with `context` (a phrase such as "reading FILE").
    fn context(self, context: impl Into<String>) -> Result<T, CliError>;
    /// Wraps the error with a lazily built context.
    fn with_context<S: Into<String>>(self, context: impl FnOnce() -> S) -> Result<T, CliError>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> Context<T> for Result<T, E> {
    fn context(self, context: impl Into<String>) -> Result<T, CliError> {
        self.map_err(|e| CliError {
            context: context.into(),
            source: Some(Box::new(e)),
            usage: false,
        })
    }

    fn with_context<S: Into<String>>(self, context: impl FnOnce() -> S) -> Result<T, CliError> {
        self.map_err(|e| CliError {
            context: context().into(),
            source: Some(Box::new(e)),
            usage: false,
        })
    }
}

/// A subcommand's result.
pub(crate) type CliResult<T> = Result<T, CliError>;
