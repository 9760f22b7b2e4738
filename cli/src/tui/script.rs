//! The scripted mode: when standard input or output is not a terminal,
//! `synack step` reads one command a line and prints the screen as text
//! after each, so a session can be scripted, piped and snapshot-tested.
//!
//! # Calling order
//! [`run`] prints the first screen, then for each line: `> COMMAND`, and the
//! screen after it; or, for a line it cannot run, one line on `err`
//! (`synack: line N: why`) and nothing else, and it goes on with the next.
//! Blank lines and lines starting with `#` are skipped; `quit` (or the end
//! of the input) ends the session. The screen is the terminal UI's own
//! layout drawn at [`SCRIPT_SIZE`], as text.

use super::draw::{buffer_text, render, Palette};
use super::session::{parse_command, Session};
use super::timeline::Progress;
use crate::progress::Progress as Line;
use crate::render::words::Secs;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::io::{self, BufRead, Write};

/// The size of the screen printed after each command: wider than 80 so the
/// transcript's lines are not cut, tall enough for 15 of them.
pub const SCRIPT_SIZE: (u16, u16) = (100, 30);

/// The screen of `session` as text.
pub fn screen_text(session: &Session, size: (u16, u16), color: bool) -> String {
    let area = Rect::new(0, 0, size.0, size.1);
    let mut buf = Buffer::empty(area);
    render(&session.view(), area, &mut buf, Palette { color }, false);
    buffer_text(&buf, color)
}

/// Runs the commands of `input`; returns how many lines could not be run.
pub fn run(
    session: &mut Session,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: bool,
) -> io::Result<u64> {
    out.write_all(screen_text(session, SCRIPT_SIZE, color).as_bytes())?;
    out.flush()?;
    let mut failed = 0;
    let mut line = String::new();
    let mut number = 0u64;
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            break;
        }
        number += 1;
        let text = line.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        writeln!(out, "> {text}")?;
        let result = match parse_command(text) {
            Ok(None) => break,
            Ok(Some(cmd)) => {
                let mut progress = Line::new("synack: simulating".into(), 1);
                let mut tick = |p: Progress| {
                    progress.update_text(&format!(
                        "{} events, {} s of virtual time",
                        p.events,
                        Secs::millis(p.t_us)
                    ));
                    true
                };
                session.apply(cmd, &mut tick)
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => out.write_all(screen_text(session, SCRIPT_SIZE, color).as_bytes())?,
            Err(e) => {
                failed += 1;
                out.flush()?;
                writeln!(err, "synack: line {number}: {e}")?;
                err.flush()?;
            }
        }
        out.flush()?;
    }
    Ok(failed)
}
