//! The CLI's typed errors and the exit codes they map to.

use std::io;
use synack_sim::scenario::ScenarioError;
use thiserror::Error;

/// Exit code: everything went well.
pub const EXIT_OK: u8 = 0;
/// Exit code: a scenario `expect` did not hold.
pub const EXIT_EXPECT_FAILED: u8 = 1;
/// Exit code: bad input or usage.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: missing privilege or missing system component.
pub const EXIT_SYSTEM: u8 = 3;
/// Exit code: interrupted by Ctrl-C (128 + SIGINT), after the cleanup.
pub const EXIT_INTERRUPTED: u8 = 130;

/// What can go wrong in a command, each with its exit code.
#[derive(Debug, Error)]
pub enum CliError {
    /// The scenario is neither a file nor a built-in.
    #[error(
        "unknown scenario \"{name}\"; run `synack scenarios` to list the built-ins{}",
        did_you_mean(.suggestion)
    )]
    UnknownScenario {
        name: String,
        suggestion: Option<&'static str>,
    },
    /// A scenario file that cannot be read.
    #[error("cannot read scenario file \"{path}\": {err}")]
    ReadScenario { path: String, err: io::Error },
    /// A scenario that does not parse: `file:line:col: message`. Transparent,
    /// so the message is not repeated as its own cause.
    #[error(transparent)]
    Parse(#[from] ScenarioError),
    /// The `-o` file cannot be created.
    #[error("cannot create output file \"{path}\": {err}")]
    CreateOutput { path: String, err: io::Error },
    /// A flag combination that does not make sense.
    #[error("{0}")]
    Usage(String),
    /// Missing privilege (e.g. to capture): says exactly how to fix it.
    #[error("{what} needs more privilege than this process has; {fix}")]
    MissingPrivilege { what: String, fix: String },
    /// A capture file that cannot be opened.
    #[error("cannot read capture file \"{path}\": {err}")]
    ReadCapture { path: String, err: io::Error },
    /// A capture file with bad contents (after what was good was printed).
    #[error("{0}")]
    BadCapture(String),
    /// A live capture that failed for another reason than privilege.
    #[error("{0}")]
    Live(String),
    /// A missing system component (a library, a tool): says how to install it.
    #[error("{what} is missing; {fix}")]
    MissingComponent { what: String, fix: String },
    /// The real side cannot run here (no namespace, no NFQUEUE, …): the
    /// message says what is missing and how to fix it.
    #[error("the real run cannot start: {0}")]
    RealUnavailable(String),
    /// A real run that stopped before its end (a call blocked too long).
    #[error("{0}")]
    RunStopped(String),
}

fn did_you_mean(s: &Option<&'static str>) -> String {
    match s {
        Some(name) => format!(" (did you mean \"{name}\"?)"),
        None => String::new(),
    }
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::UnknownScenario { .. }
            | CliError::ReadScenario { .. }
            | CliError::Parse(_)
            | CliError::CreateOutput { .. }
            | CliError::Usage(_)
            | CliError::ReadCapture { .. }
            | CliError::BadCapture(_)
            | CliError::Live(_)
            | CliError::RunStopped(_) => EXIT_USAGE,
            CliError::MissingPrivilege { .. }
            | CliError::MissingComponent { .. }
            | CliError::RealUnavailable(_) => EXIT_SYSTEM,
        }
    }
}

/// The exit code for any error a command returns: a [`CliError`]'s own,
/// else 2 (bad input).
pub fn exit_code(err: &anyhow::Error) -> u8 {
    err.chain()
        .find_map(|e| e.downcast_ref::<CliError>())
        .map_or(EXIT_USAGE, CliError::exit_code)
}

/// Whether the error is a closed pipe on the output (e.g. `synack ... | head`),
/// which ends the program quietly and successfully.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// A full-sentence message from a library, to follow a `prefix: ` in ours:
/// first letter lowered, final full stop dropped.
pub fn clause(sentence: &str) -> String {
    let s = sentence.trim_end_matches('.');
    let mut chars = s.chars();
    match chars.next() {
        // Keep acronyms and names (`IPv4`, `BPF`) as they are.
        Some(c) if c.is_uppercase() && !chars.next().is_some_and(char::is_uppercase) => {
            c.to_lowercase().chain(s.chars().skip(1)).collect()
        }
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn exit_codes_follow_the_contract() {
        let unknown = anyhow::Error::new(CliError::UnknownScenario {
            name: "x".into(),
            suggestion: None,
        });
        assert_eq!(exit_code(&unknown), EXIT_USAGE);
        let privilege = anyhow::Error::new(CliError::MissingPrivilege {
            what: "capturing on lo".into(),
            fix: "run as root".into(),
        })
        .context("capturing");
        assert_eq!(exit_code(&privilege), EXIT_SYSTEM);
    }

    #[test]
    fn broken_pipe_is_found_under_context() {
        let err = Err::<(), _>(io::Error::from(io::ErrorKind::BrokenPipe))
            .context("writing the transcript")
            .err();
        assert!(err.as_ref().is_some_and(is_broken_pipe));
        let other = anyhow::Error::new(io::Error::from(io::ErrorKind::NotFound));
        assert!(!is_broken_pipe(&other));
    }

    #[test]
    fn unknown_scenario_suggests_a_close_name() {
        let e = CliError::UnknownScenario {
            name: "ecoh".into(),
            suggestion: Some("echo"),
        };
        assert_eq!(
            e.to_string(),
            "unknown scenario \"ecoh\"; run `synack scenarios` to list the built-ins \
             (did you mean \"echo\"?)"
        );
    }
}
