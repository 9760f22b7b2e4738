//! `synack`'s `main`: parse the command line, run it, map the result to an
//! exit code (ripgrep's thin binary: `main` parses, calls `run`, maps errors).

use crate::error::{
    exit_code, is_broken_pipe, EXIT_EXPECT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE,
};
use crate::{Cli, Outcome};
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

/// The whole program: parse the command line, run it, map the result to
/// an exit code. `main` is this; the tests crate runs it as a binary of its own.
pub fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        let _ = writeln!(
            std::io::stderr(),
            "synack: internal error (this is a bug, please report it): {info}"
        );
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout and exit 0; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    let code = match crate::run(&cli) {
        Ok(Outcome::Ok) => EXIT_OK,
        Ok(Outcome::ExpectFailed(failures)) => {
            let mut err = std::io::stderr().lock();
            for f in failures {
                let _ = writeln!(err, "synack: {f}");
            }
            EXIT_EXPECT_FAILED
        }
        Ok(Outcome::Interrupted) => {
            let _ = writeln!(std::io::stderr(), "synack: interrupted");
            EXIT_INTERRUPTED
        }
        Err(e) if is_broken_pipe(&e) => EXIT_OK,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "synack: {e:#}");
            exit_code(&e)
        }
    };
    ExitCode::from(code)
}
