//! synack, the command-line tool: clap subcommands (one module each under
//! [`cmd`]) and the renderers (under [`render`]) that turn a transcript into
//! text or JSON Lines on any `impl Write`.
//!
//! `main` is thin: it parses [`args::Cli`], calls [`run`] and maps the result
//! to an exit code with [`error::exit_code`]. docs/architecture.md shows how
//! the crates fit together; docs/transcript-json.md is the JSON contract.

pub mod args;
pub mod cmd;
pub mod entry;
pub mod error;
pub mod filter;
pub mod load;
pub mod output;
pub mod progress;
pub mod render;
pub mod tui;

pub use args::Cli;
pub use error::CliError;

/// How a command that did its work ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Ok,
    /// Exit 1: these scenario `expect`s failed (one message each, without
    /// the `synack: ` prefix).
    ExpectFailed(Vec<String>),
    /// Exit 130: Ctrl-C stopped the run, after the cleanup.
    Interrupted,
}

/// Runs the parsed command line.
pub fn run(cli: &Cli) -> anyhow::Result<Outcome> {
    match &cli.command {
        args::Command::Sim(a) => cmd::sim::run(a),
        args::Command::Scenarios => cmd::scenarios::run(),
        args::Command::Demo(a) => cmd::demo::run(a),
        args::Command::Annotate(a) => cmd::annotate::run(a),
        args::Command::Capture(a) => cmd::capture::run(a),
        args::Command::Real(a) => cmd::real::run(a),
        args::Command::Compare(a) => cmd::compare::run(a),
        args::Command::Step(a) => cmd::step::run(a),
    }
}
