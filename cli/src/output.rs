//! Where output goes: standard output or the `-o` file, buffered.

use crate::args::OutputFlags;
use crate::error::CliError;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};

/// A buffered output and whether it gets colour.
pub struct Output {
    pub writer: BufWriter<Box<dyn Write>>,
    /// Resolved from `--color`, the terminal and `NO_COLOR`.
    pub color: bool,
    /// The output is a terminal (binary formats refuse to go there).
    pub is_terminal: bool,
}

impl Output {
    /// Opens standard output or the `-o` file.
    pub fn open(flags: &OutputFlags) -> Result<Output, CliError> {
        let (inner, is_terminal): (Box<dyn Write>, bool) = match &flags.output {
            Some(path) => {
                let f = File::create(path).map_err(|err| CliError::CreateOutput {
                    path: path.display().to_string(),
                    err,
                })?;
                (Box::new(f), false)
            }
            None => {
                let out = io::stdout();
                let tty = out.is_terminal();
                (Box::new(out), tty)
            }
        };
        let no_color = std::env::var_os("NO_COLOR");
        Ok(Output {
            writer: BufWriter::with_capacity(64 * 1024, inner),
            color: flags.color.resolve(is_terminal, no_color.as_deref()),
            is_terminal,
        })
    }
}
