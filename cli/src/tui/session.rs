//! The commands of `synack step`, the same for the keys and the scripted
//! mode, and the two kinds of session they drive: a simulated run
//! (`sim.rs`, with branches) and a capture (`capture.rs`, without).
//!
//! # Calling order
//! Build a session, then for each command call [`Session::apply`]; it
//! moves, branches or refuses (with one line saying why), and the next
//! [`Session::view`] shows the result. A command that simulates for long
//! (the first `end`, a `drop`) reports its progress through the `tick`
//! it is given, which may stop it.

use super::timeline::Progress;
use super::view::View;

/// A command, from a key or from a line of the scripted mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// `n`, Right, Space; `next`.
    Next,
    /// `p`, Left; `prev`.
    Prev,
    /// Home; `start`.
    Start,
    /// End; `end`.
    End,
    /// `d` on the selected segment; `drop ID`.
    Drop(u64),
    /// `u`; `undo`: up one branch level.
    Undo,
    /// Tab: the next older segment (in flight or already sent).
    SelectOlder,
    /// Shift-Tab: the next newer one.
    SelectNewer,
}

/// How the scripted mode spells the commands (for the help and errors).
pub const SCRIPT_COMMANDS: &str = "next, prev, start, end, drop ID, undo, quit";

/// Parses one line of the scripted mode: `Ok(None)` for `quit`.
pub fn parse_command(line: &str) -> Result<Option<Command>, String> {
    let mut words = line.split_whitespace();
    let word = words.next().unwrap_or_default();
    let arg = words.next();
    let cmd = match (word, arg) {
        ("next" | "n", None) => Command::Next,
        ("prev" | "p", None) => Command::Prev,
        ("start", None) => Command::Start,
        ("end", None) => Command::End,
        ("undo" | "u", None) => Command::Undo,
        ("quit" | "q", None) => return Ok(None),
        ("drop" | "d", Some(id)) => {
            let id = id.strip_prefix('#').unwrap_or(id);
            match id.parse::<u64>() {
                Ok(n) if n > 0 && words.next().is_none() => Command::Drop(n),
                _ => {
                    return Err(format!(
                        "drop takes one segment id (a whole number from 1, as in #7), not {:?}",
                        line.trim()
                    ))
                }
            }
        }
        ("drop" | "d", None) => {
            return Err("drop needs the id of a segment already sent, e.g. `drop 7`".into())
        }
        (w, _) if is_command(w) => {
            return Err(format!(
                "{w} takes no argument (commands: {SCRIPT_COMMANDS})"
            ))
        }
        _ => {
            return Err(format!(
                "unknown command {:?} (commands: {SCRIPT_COMMANDS})",
                line.trim()
            ))
        }
    };
    Ok(Some(cmd))
}

fn is_command(w: &str) -> bool {
    matches!(
        w,
        "next" | "n" | "prev" | "p" | "start" | "end" | "undo" | "u" | "quit" | "q"
    )
}

/// Hears how a long simulation goes; `false` stops it.
pub type Tick<'a> = &'a mut dyn FnMut(Progress) -> bool;

/// What a command did: `Ok` with an optional remark for the message line,
/// or `Err` with one line saying why it could not be done.
pub type Done = Result<Option<String>, String>;

/// A session that can be stepped through.
pub trait Stepper {
    fn apply(&mut self, cmd: Command, tick: Tick<'_>) -> Done;
    /// The view at the current position, with the message of the last command.
    fn view(&self, message: Option<&str>) -> View;
}

/// A session: what it steps through and what the last command said.
pub struct Session {
    inner: Box<dyn Stepper>,
    message: Option<String>,
}

impl Session {
    pub fn new(inner: Box<dyn Stepper>) -> Session {
        Session {
            inner,
            message: None,
        }
    }

    /// Runs `cmd`. A refusal is returned (and shown as the message) and the
    /// position stays where it was.
    pub fn apply(&mut self, cmd: Command, tick: Tick<'_>) -> Result<(), String> {
        match self.inner.apply(cmd, tick) {
            Ok(m) => {
                self.message = m;
                Ok(())
            }
            Err(e) => {
                self.message = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Says something on the message line until the next command.
    pub fn say(&mut self, text: String) {
        self.message = Some(text);
    }

    pub fn view(&self) -> View {
        self.inner.view(self.message.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scripted_commands_parse() {
        assert_eq!(parse_command("next"), Ok(Some(Command::Next)));
        assert_eq!(parse_command("  prev "), Ok(Some(Command::Prev)));
        assert_eq!(parse_command("drop 7"), Ok(Some(Command::Drop(7))));
        assert_eq!(parse_command("drop #7"), Ok(Some(Command::Drop(7))));
        assert_eq!(parse_command("undo"), Ok(Some(Command::Undo)));
        assert_eq!(parse_command("quit"), Ok(None));
    }

    #[test]
    fn a_bad_command_says_what_would_do() {
        let e = parse_command("jump 5").unwrap_err();
        assert_eq!(
            e,
            "unknown command \"jump 5\" (commands: next, prev, start, end, drop ID, undo, quit)"
        );
        assert!(parse_command("drop").unwrap_err().contains("e.g. `drop 7`"));
        assert!(parse_command("drop x")
            .unwrap_err()
            .contains("whole number"));
        assert!(parse_command("drop 0").unwrap_err().contains("from 1"));
        assert!(parse_command("next 3")
            .unwrap_err()
            .starts_with("next takes no argument"));
    }
}
