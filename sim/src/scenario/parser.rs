//! The scenario parser: text in the language of docs/scenario-language.md
//! to a [`Scenario`].
//!
//! One statement a line; `#` starts a comment (outside strings; in fault rules
//! `#1` is a segment ordinal). Settings come first, then actions, several on a
//! line when joined with `&`. The first error stops the parse and names
//! `file:line:col` and what was expected.

use super::ast::{Action, RecvMax, Scenario, SendData, Step, Transport};
use super::cursor::Cursor;
use super::error::ScenarioError;
use super::lexer::{lex, Fail, TokenKind};
use super::settings::{SettingsBuilder, SETTINGS};
use super::values::{closest, did_you_mean, parse_u64, NumError};
use crate::printable::Printable;
use crate::state::State;
use crate::transcript::Side;

/// The first words of action statements.
const ACTIONS: [&str; 5] = ["client", "server", "wait", "expect", "inject"];

/// The socket calls that follow a side.
const CALLS: [&str; 8] = [
    "listen", "connect", "accept", "send", "recv", "shutdown", "close", "abort",
];

/// The calls of a UDP socket (`transport udp`, docs/udp.md).
const UDP_CALLS: [&str; 4] = ["bind", "send", "recv", "close"];

/// The most bytes one `send N bytes` may send (1 GiB): keeps a typo from
/// asking the simulator for an absurd transfer.
pub const MAX_SEND_BYTES: u64 = 1 << 30;

/// Parses scenario `text`; `source` names it in errors (file name or built-in name).
pub fn parse(source: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let mut settings = SettingsBuilder::default();
    let mut steps: Vec<Step> = Vec::new();
    let mut closed = ClosedSockets::default();
    for (index, raw) in text.lines().enumerate() {
        let line = u32::try_from(index.saturating_add(1)).unwrap_or(u32::MAX);
        let at = |f: Fail| ScenarioError {
            file: source.to_string(),
            line,
            col: f.col,
            message: Printable(&f.message).to_string(),
        };
        let lexed = lex(raw).map_err(at)?;
        let mut cur = Cursor::new(&lexed.tokens, lexed.end_col);
        match cur.peek_word() {
            None if cur.peek().is_none() => continue,
            Some((key, col)) if SETTINGS.contains(&key) => {
                if let Some(first) = steps.first() {
                    return Err(at(Fail::new(
                        col,
                        format!(
                            "the setting \"{key}\" must come before the first action (line {}); move it up",
                            first.line
                        ),
                    )));
                }
                cur.next();
                settings
                    .statement(key, col, line, &mut cur)
                    .and_then(|()| setting_end(&cur))
                    .map_err(at)?;
            }
            _ => {
                let transport = settings.settings.transport;
                let actions = actions(&mut cur, transport).map_err(at)?;
                if transport == Transport::Tcp {
                    for (action, col) in &actions {
                        closed.check(action, *col, line).map_err(at)?;
                    }
                }
                let actions = actions.into_iter().map(|(a, _)| a).collect();
                steps.push(Step {
                    line,
                    text: lexed.code.to_string(),
                    actions,
                });
            }
        }
    }
    Ok(Scenario {
        source: source.to_string(),
        settings: settings.settings,
        steps,
    })
}

/// After a setting: nothing but the end of the line (or a comment).
fn setting_end(cur: &Cursor<'_, '_>) -> Result<(), Fail> {
    match cur.peek().map(|t| &t.kind) {
        None => Ok(()),
        Some(TokenKind::Amp) => Err(Fail::new(
            cur.col(),
            "settings cannot be joined with \"&\"; put each setting on its own line",
        )),
        Some(_) => Err(cur.fail("the end of the line after the setting")),
    }
}

/// Which side's socket the app has given up with `close` or `abort`, and on
/// which line; `listen` or `connect` opens a new one.
#[derive(Default)]
struct ClosedSockets([Option<u32>; 2]);

impl ClosedSockets {
    /// `recv` after the side's own `close` is a scenario mistake: `close()`
    /// gives the socket up (the app no longer holds it), so nothing can be
    /// read, and waiting for it would be waiting for nothing. RFC 9293 3.10.4
    /// lets a CLOSE keep receiving, which is what `shutdown` does here.
    fn check(&mut self, action: &Action, col: u32, line: u32) -> Result<(), Fail> {
        match *action {
            Action::Close { side } | Action::Abort { side } => {
                self.0[side.index()].get_or_insert(line);
            }
            Action::Listen { side, .. } | Action::Connect { side, .. } => {
                self.0[side.index()] = None;
            }
            Action::Recv { side, .. } => {
                if let Some(at) = self.0[side.index()] {
                    let how = if at == line {
                        "on this line".to_string()
                    } else {
                        format!("on line {at}")
                    };
                    return Err(Fail::new(
                        col,
                        format!(
                            "\"{side} recv\" after the {side} closed its socket ({how}): close() gives the socket up, so there is nothing to read from; to send FIN and keep reading, use \"{side} shutdown\" instead of \"{side} close\""
                        ),
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// `A & B & ...` up to the end of the line, each action with its column.
fn actions(cur: &mut Cursor<'_, '_>, transport: Transport) -> Result<Vec<(Action, u32)>, Fail> {
    let col = cur.col();
    let mut out = vec![(action(cur, transport)?, col)];
    loop {
        match cur.peek().map(|t| &t.kind) {
            None => return Ok(out),
            Some(TokenKind::Amp) => {
                cur.next();
                let col = cur.col();
                out.push((action(cur, transport)?, col));
            }
            Some(_) => return Err(cur.fail("\"&\" or the end of the line")),
        }
    }
}

/// One action: `client connect`, `wait 1s`, `expect server LISTEN`, ...
fn action(cur: &mut Cursor<'_, '_>, transport: Transport) -> Result<Action, Fail> {
    let Some((w, col)) = cur.peek_word() else {
        return Err(cur.fail(&format!("an action (one of: {})", ACTIONS.join(", "))));
    };
    cur.next();
    let udp = transport == Transport::Udp;
    match w {
        "client" if udp => udp_call(Side::Client, cur),
        "server" if udp => udp_call(Side::Server, cur),
        "client" => call(Side::Client, cur),
        "server" => call(Side::Server, cur),
        "expect" if udp => Err(Fail::new(
            col,
            "\"expect\" checks a TCP state, and a udp socket has none (transport udp)",
        )),
        "wait" if udp && matches!(cur.peek_word(), Some(("until", _))) => Err(Fail::new(
            col,
            "\"wait until\" waits for a TCP state, and a udp socket has none; use \"wait D\"",
        )),
        "wait" => wait(cur),
        "inject" if udp => Err(Fail::new(
            col,
            "\"inject\" forges a TCP segment, and a udp scenario has no connection (transport udp)",
        )),
        "inject" => super::inject::inject(cur, col),
        "expect" => {
            let side = cur.side()?;
            Ok(Action::Expect {
                side,
                state: state(cur)?,
            })
        }
        _ if SETTINGS.contains(&w) => Err(Fail::new(
            col,
            format!("settings cannot be joined with \"&\"; put \"{w}\" on its own line before the first action"),
        )),
        _ if CALLS.contains(&w) => Err(Fail::new(
            col,
            format!("the call \"{w}\" needs a side first, like \"client {w}\" or \"server {w}\""),
        )),
        _ => {
            let mut candidates: Vec<&str> = SETTINGS.to_vec();
            candidates.extend_from_slice(&ACTIONS);
            candidates.extend_from_slice(&CALLS);
            let hint = match closest(w, &candidates) {
                Some(c) if CALLS.contains(&c) => {
                    format!("; did you mean \"client {c}\" or \"server {c}\"?")
                }
                Some(c) => format!("; did you mean \"{c}\"?"),
                None => String::new(),
            };
            let expected = statement_list();
            Err(Fail::new(
                col,
                format!("unknown statement \"{w}\"; expected one of: {expected}{hint}"),
            ))
        }
    }
}

/// How long `wait until` waits when the line gives no `max`.
pub const WAIT_UNTIL_MAX_US: u64 = 600_000_000;

/// `wait D` or `wait until SIDE STATE [max D]`.
fn wait(cur: &mut Cursor<'_, '_>) -> Result<Action, Fail> {
    match cur.peek_word() {
        Some(("until", _)) => {}
        Some((w, col)) if w.starts_with(|c: char| c.is_ascii_alphabetic()) => {
            return Err(Fail::new(
                col,
                format!(
                    "expected a duration like 20ms or \"until client CLOSED\", found \"{w}\"{}",
                    did_you_mean(w, &["until"])
                ),
            ));
        }
        _ => {
            return Ok(Action::Wait {
                us: cur.duration()?,
            })
        }
    }
    cur.next();
    let side = cur.side()?;
    let state = state(cur)?;
    let mut max_us = WAIT_UNTIL_MAX_US;
    if let Some(("max", _)) = cur.peek_word() {
        cur.next();
        max_us = cur.duration()?;
    } else if !cur.at_action_end() {
        return Err(
            cur.fail("\"max\" and a duration (like max 2min), \"&\" or the end of the line")
        );
    }
    Ok(Action::WaitUntil {
        side,
        state,
        max_us,
    })
}

fn statement_list() -> String {
    let mut all: Vec<&str> = SETTINGS.to_vec();
    all.extend_from_slice(&ACTIONS);
    all.join(", ")
}

/// The call after `client` or `server`.
fn call(side: Side, cur: &mut Cursor<'_, '_>) -> Result<Action, Fail> {
    let list = CALLS.join(", ");
    let (w, col) = cur.word(&format!("a call after \"{side}\" (one of: {list})"))?;
    Ok(match w {
        "listen" => Action::Listen {
            side,
            port: cur.port()?,
        },
        "connect" => Action::Connect {
            side,
            port: if cur.at_action_end() {
                None
            } else {
                Some(cur.port()?)
            },
        },
        "accept" => Action::Accept { side },
        "send" => Action::Send {
            side,
            data: send_data(cur)?,
        },
        "recv" => Action::Recv {
            side,
            max: recv_max(cur)?,
        },
        "shutdown" => Action::Shutdown { side },
        "close" => Action::Close { side },
        "abort" => Action::Abort { side },
        "bind" => {
            return Err(Fail::new(
                col,
                format!("\"bind\" is for udp sockets (put \"transport udp\" before the first action); a TCP server listens: \"{side} listen PORT\""),
            ))
        }
        _ => {
            return Err(Fail::new(
                col,
                format!(
                    "unknown call \"{w}\" for the {side}; expected one of: {list}{}",
                    did_you_mean(w, &CALLS)
                ),
            ))
        }
    })
}

/// The call after `client` or `server` in a udp scenario: `bind PORT`,
/// `send DATA` (one datagram), `recv` (one whole datagram), `close`.
fn udp_call(side: Side, cur: &mut Cursor<'_, '_>) -> Result<Action, Fail> {
    let list = UDP_CALLS.join(", ");
    let (w, col) = cur.word(&format!("a call after \"{side}\" (one of: {list})"))?;
    Ok(match w {
        "bind" => Action::Bind {
            side,
            port: cur.port()?,
        },
        "send" => Action::Send {
            side,
            data: send_data(cur)?,
        },
        "recv" if cur.at_action_end() => Action::Recv {
            side,
            max: RecvMax::Any,
        },
        "recv" => {
            return Err(Fail::new(
                cur.col(),
                "a udp recv takes no count: it returns one whole datagram",
            ))
        }
        "close" => Action::Close { side },
        _ if CALLS.contains(&w) => {
            return Err(Fail::new(
                col,
                format!("a udp socket has no connection, so no \"{w}\"; its calls are: {list}"),
            ))
        }
        _ => {
            return Err(Fail::new(
                col,
                format!(
                    "unknown call \"{w}\" for the {side}'s udp socket; expected one of: {list}{}",
                    did_you_mean(w, &UDP_CALLS)
                ),
            ))
        }
    })
}

/// `"text"` or `N bytes`.
fn send_data(cur: &mut Cursor<'_, '_>) -> Result<SendData, Fail> {
    let what = "a quoted string like \"hello\" or a byte count like 100 bytes";
    let col = cur.col();
    match cur.peek().map(|t| &t.kind) {
        Some(TokenKind::Str(bytes)) if bytes.is_empty() => Err(Fail::new(
            col,
            "send needs at least one byte, found an empty string",
        )),
        Some(TokenKind::Str(bytes)) => {
            let data = SendData::Text(bytes.clone());
            cur.next();
            Ok(data)
        }
        Some(TokenKind::Word(w)) => {
            let n = match parse_u64(w) {
                Ok(0) => {
                    return Err(Fail::new(col, "send needs at least one byte, found \"0\""));
                }
                Ok(n) if n <= MAX_SEND_BYTES => n,
                Ok(_) | Err(NumError::TooLarge) => {
                    return Err(Fail::new(
                        col,
                        format!("one send may send at most {MAX_SEND_BYTES} bytes (1 GiB), found \"{w}\""),
                    ));
                }
                Err(NumError::NotANumber) => return Err(cur.fail(what)),
            };
            cur.next();
            match cur.peek_word() {
                Some(("bytes" | "byte", _)) => {
                    cur.next();
                    Ok(SendData::Bytes(n))
                }
                _ => Err(cur.fail(&format!("\"bytes\" after the count {n}"))),
            }
        }
        _ => Err(cur.fail(what)),
    }
}

/// Nothing, `N`, `exactly N` or `all`.
fn recv_max(cur: &mut Cursor<'_, '_>) -> Result<RecvMax, Fail> {
    if cur.at_action_end() {
        return Ok(RecvMax::Any);
    }
    let what = "a byte count like 100, \"exactly 100\", \"all\", or nothing after recv";
    let (w, col) = cur.word(what)?;
    if w == "all" {
        return Ok(RecvMax::All);
    }
    if w == "exactly" {
        return match recv_max(cur)? {
            RecvMax::UpTo(n) => Ok(RecvMax::Exactly(n)),
            _ => Err(Fail::new(
                cur.col(),
                "expected a byte count after \"exactly\", like \"recv exactly 4\"",
            )),
        };
    }
    match parse_u64(w) {
        Ok(0) => Err(Fail::new(
            col,
            "recv needs room for at least one byte, found \"0\"",
        )),
        Ok(n) if n <= u64::from(u32::MAX) => {
            Ok(RecvMax::UpTo(u32::try_from(n).unwrap_or(u32::MAX)))
        }
        Ok(_) | Err(NumError::TooLarge) => Err(Fail::new(
            col,
            format!("recv may ask for at most {} bytes, found \"{w}\"", u32::MAX),
        )),
        Err(NumError::NotANumber) => Err(Fail::new(
            col,
            format!(
                "expected {what}, found \"{w}\"{}",
                did_you_mean(w, &["all", "exactly"])
            ),
        )),
    }
}

/// A state in RFC spelling (`TIME-WAIT`).
fn state(cur: &mut Cursor<'_, '_>) -> Result<State, Fail> {
    let what = "a TCP state like ESTABLISHED or TIME-WAIT";
    let (w, col) = cur.word(what)?;
    State::parse(w).ok_or_else(|| {
        let names: Vec<&str> = State::ALL.iter().map(|s| s.name()).collect();
        Fail::new(
            col,
            format!("expected {what}, found \"{w}\"{}", did_you_mean(w, &names)),
        )
    })
}
