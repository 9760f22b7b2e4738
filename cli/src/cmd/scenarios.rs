//! `synack scenarios`: the built-ins, one line each.

use anyhow::{Context, Result};
use std::io::Write;
use synack_sim::scenario::builtin::{builtins, Builtin};

/// Lists `list` into `out`: each name padded to the longest, then its summary.
pub fn write_list(out: &mut dyn Write, list: &[Builtin]) -> std::io::Result<()> {
    let width = list
        .iter()
        .map(|b| b.name.chars().count())
        .max()
        .unwrap_or(0);
    for b in list {
        writeln!(out, "{:<width$}  {}", b.name, b.summary)?;
    }
    out.flush()
}

/// Runs `synack scenarios`.
pub fn run() -> Result<crate::Outcome> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    write_list(&mut out, builtins()).context("cannot write the list of scenarios")?;
    Ok(crate::Outcome::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_padded_to_line_up() {
        let list = [
            Builtin {
                name: "echo",
                summary: "a greeting and its echo",
                text: "",
            },
            Builtin {
                name: "handshake",
                summary: "the three-way handshake",
                text: "",
            },
        ];
        let mut out = Vec::new();
        assert!(write_list(&mut out, &list).is_ok());
        assert_eq!(
            String::from_utf8_lossy(&out),
            "echo       a greeting and its echo\nhandshake  the three-way handshake\n"
        );
    }
}
