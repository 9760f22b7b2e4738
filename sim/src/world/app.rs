//! Socket calls, blocking in virtual time, and the transcript lines they write.

use super::sim::World;
use super::ExpectFailure;
use crate::endpoint::{CallError, Read};
use crate::scenario::{Action, RecvMax, SendData, Step};
use crate::state::State;
use crate::transcript::{EventKind, Side};
use std::io;

/// How long a blocking call may wait in virtual time before the world
/// decides it would block forever (only timers, such as zero-window probes,
/// still fire, and nothing the scenario does later can run before it returns).
const BLOCK_LIMIT_US: u64 = 3_600_000_000;

/// What a call that nothing will ever unblock returns.
const BLOCKS_FOREVER: &str = "error: would block forever (nothing more will arrive)";
/// What a call blocked past `BLOCK_LIMIT_US` returns.
const GAVE_UP: &str =
    "error: still blocked after 1 hour of virtual time; giving up (it would block forever)";

/// How much of received data an app line shows.
const PREVIEW_BYTES: usize = 40;

/// A call that has not returned yet.
#[derive(Clone, Debug)]
enum Pending {
    Connect {
        side: Side,
        call: String,
    },
    Accept {
        side: Side,
    },
    Recv {
        side: Side,
        max: RecvMax,
        call: String,
        got: u64,
        preview: Vec<u8>,
    },
    Until(u64),
}

impl World<'_> {
    fn app(&mut self, side: Side, call: &str, result: &str) -> io::Result<()> {
        self.emit(EventKind::App {
            endpoint: side,
            call,
            result,
        })
    }

    /// Runs one step: starts its actions at the same instant, then lets time
    /// pass until every blocking call among them has returned.
    pub(crate) fn run_step(&mut self, step: &Step) -> io::Result<()> {
        // "expect is checked at the current instant, after every event due at that instant".
        self.settle()?;
        let mut pending = Vec::new();
        for action in &step.actions {
            if let Some(p) = self.start(action, step.line)? {
                pending.push(p);
            }
            self.flush()?;
        }
        let started = self.now;
        loop {
            let mut still = Vec::new();
            for p in pending {
                if let Some(p) = self.poll(p)? {
                    still.push(p);
                }
            }
            pending = still;
            if pending.is_empty() {
                return Ok(());
            }
            let next_deadline = pending
                .iter()
                .filter_map(|p| match p {
                    Pending::Until(t) => Some(*t),
                    _ => None,
                })
                .min();
            let blocked = pending.iter().any(|p| !matches!(p, Pending::Until(_)));
            if blocked && self.now.saturating_sub(started) > BLOCK_LIMIT_US {
                // Only timers keep firing (zero-window probes, say) and the call
                // still cannot return: it would block forever.
                let mut rest = Vec::new();
                for p in pending {
                    match p {
                        Pending::Until(_) => rest.push(p),
                        p => self.give_up(p, GAVE_UP, false)?,
                    }
                }
                pending = rest;
                continue;
            }
            match (self.next_event_time(), next_deadline) {
                (Some(e), Some(d)) if d < e => self.advance_to(d)?,
                (Some(_), _) => {
                    self.advance_one()?;
                }
                (None, Some(d)) => self.advance_to(d)?,
                (None, None) => {
                    // Nothing will ever happen again: the calls would block forever.
                    for p in pending {
                        self.give_up(p, BLOCKS_FOREVER, true)?;
                    }
                    return Ok(());
                }
            }
        }
    }

    /// A blocked call that will never return gives `result`; with `partial`,
    /// a `recv` that got data first says how much instead.
    fn give_up(&mut self, p: Pending, result: &str, partial: bool) -> io::Result<()> {
        match p {
            Pending::Connect { side, call } => self.app(side, &call, result),
            Pending::Accept { side } => self.app(side, "accept()", result),
            Pending::Recv {
                side,
                call,
                got,
                preview,
                ..
            } if partial && got > 0 => {
                let text = format!("{} (no end of stream)", describe_data(got, &preview));
                self.app(side, &call, &text)
            }
            Pending::Recv { side, call, .. } => self.app(side, &call, result),
            Pending::Until(_) => Ok(()),
        }
    }

    /// Starts an action; returns what it still waits for.
    fn start(&mut self, action: &Action, line: u32) -> io::Result<Option<Pending>> {
        let now = self.now;
        match action {
            Action::Listen { side, port } => {
                let call = format!("listen({port})");
                let r = self.ep_mut(*side).listen(*port);
                if r.is_ok() {
                    self.accepted[side.index()] = false;
                }
                if r.is_ok() && *side == Side::Server {
                    self.ports[1] = *port;
                }
                self.app(*side, &call, result_text(r))?;
                Ok(None)
            }
            Action::Connect { side, port } => {
                let (local, remote) = match side {
                    // ports[1] is the server's listening port (9999 if it never listens).
                    Side::Client => (self.ports[0], port.unwrap_or(self.ports[1])),
                    Side::Server => (self.ports[1], port.unwrap_or(self.ports[0])),
                };
                let call = format!("connect({remote})");
                match self.ep_mut(*side).connect(now, local, remote) {
                    Ok(()) => {
                        self.app(*side, &call, "blocked: waiting for the handshake")?;
                        Ok(Some(Pending::Connect { side: *side, call }))
                    }
                    Err(e) => {
                        self.app(*side, &call, e.message())?;
                        Ok(None)
                    }
                }
            }
            Action::Accept { side } => {
                if self.ep(*side).state() == State::Closed && self.ep(*side).error().is_none() {
                    self.app(*side, "accept()", "error: not listening")?;
                    return Ok(None);
                }
                let p = Pending::Accept { side: *side };
                match self.poll(p)? {
                    None => Ok(None),
                    Some(p) => {
                        self.app(*side, "accept()", "blocked: waiting for a connection")?;
                        Ok(Some(p))
                    }
                }
            }
            Action::Send { side, data } => {
                let (call, r) = match data {
                    SendData::Text(bytes) => (
                        format!("send({})", quote(bytes)),
                        self.ep_mut(*side).send(now, bytes),
                    ),
                    SendData::Bytes(n) => (
                        format!("send({n} bytes)"),
                        self.ep_mut(*side).send_pattern(now, *n),
                    ),
                };
                self.app(*side, &call, result_text(r))?;
                Ok(None)
            }
            Action::Recv { side, max } => {
                let call = match max {
                    RecvMax::Any => "recv()".to_string(),
                    RecvMax::UpTo(n) => format!("recv({n})"),
                    RecvMax::All => "recv(all)".to_string(),
                };
                let p = Pending::Recv {
                    side: *side,
                    max: *max,
                    call,
                    got: 0,
                    preview: Vec::new(),
                };
                match self.poll(p)? {
                    None => Ok(None),
                    Some(p) => {
                        if let Pending::Recv { call, .. } = &p {
                            let call = call.clone();
                            self.app(*side, &call, "blocked: waiting for data")?;
                        }
                        Ok(Some(p))
                    }
                }
            }
            Action::Shutdown { side } => {
                let r = self.ep_mut(*side).shutdown(now);
                self.app(*side, "shutdown(SHUT_WR)", result_text(r))?;
                Ok(None)
            }
            Action::Close { side } => {
                let resets = self.ep(*side).close_resets();
                let r = self.ep_mut(*side).close(now);
                let text = match r {
                    Ok(()) if resets => "ok (unread data: connection reset)",
                    r => result_text(r),
                };
                self.app(*side, "close()", text)?;
                Ok(None)
            }
            Action::Abort { side } => {
                self.ep_mut(*side).abort(now);
                self.app(*side, "abort()", "ok")?;
                Ok(None)
            }
            Action::Wait { us } => {
                let text = format!("wait {}", crate::world::fmt_duration(*us));
                self.note(&text)?;
                Ok(Some(Pending::Until(now.saturating_add(*us))))
            }
            Action::Expect { side, state } => {
                let actual = self.ep(*side).state();
                let text = if actual == *state {
                    format!("expect {side} {state}: ok")
                } else {
                    self.failures.push(ExpectFailure {
                        line,
                        side: *side,
                        expected: *state,
                        actual,
                    });
                    format!(
                        "expect {side} {state}: FAILED, {side} is {actual} ({}:{line})",
                        self.source
                    )
                };
                self.note(&text)?;
                Ok(None)
            }
        }
    }

    /// Checks whether a blocked call can return now; emits its result if so.
    fn poll(&mut self, p: Pending) -> io::Result<Option<Pending>> {
        let now = self.now;
        match p {
            Pending::Until(t) => Ok((now < t).then_some(p)),
            Pending::Connect { side, call } => {
                let ep = self.ep(side);
                if ep.state().is_synchronized() {
                    self.app(side, &call, "ok: connected")?;
                    Ok(None)
                } else if let Some(e) = ep.error() {
                    self.app(side, &call, &format!("error: {}", e.message()))?;
                    Ok(None)
                } else if ep.state() == State::Closed {
                    self.app(side, &call, "error: connection closed")?;
                    Ok(None)
                } else {
                    Ok(Some(Pending::Connect { side, call }))
                }
            }
            Pending::Accept { side } => {
                let ep = self.ep(side);
                // One listen, one connection to accept: a second accept waits
                // (and, with nobody else connecting, would block forever).
                let ready = ep.state().is_synchronized()
                    || (ep.state() == State::Closed && ep.readable() > 0);
                if ready && !self.accepted[side.index()] {
                    let text = format!("ok: connection from port {}", ep.remote_port());
                    self.accepted[side.index()] = true;
                    self.app(side, "accept()", &text)?;
                    Ok(None)
                } else {
                    Ok(Some(p))
                }
            }
            Pending::Recv {
                side,
                max,
                call,
                mut got,
                mut preview,
            } => {
                loop {
                    let ep = self.ep_mut(side);
                    if max == RecvMax::All {
                        // A bulk reader: keep a short preview, count the rest.
                        let room = PREVIEW_BYTES.saturating_sub(preview.len());
                        if room > 0 {
                            if let Ok(Read::Data(d)) = ep.read(now, room) {
                                got += d.len() as u64;
                                preview.extend_from_slice(&d);
                                continue;
                            }
                        }
                        let n = ep.read_discard(now, usize::MAX);
                        got += n as u64;
                        if ep.at_eof() {
                            let text =
                                format!("{}, then end of stream", describe_data(got, &preview));
                            self.app(side, &call, &text)?;
                            self.flush()?;
                            return Ok(None);
                        }
                        if let Some(e) = ep.error() {
                            let text = format!(
                                "error: {} after {}",
                                e.message(),
                                describe_data(got, &preview)
                            );
                            self.app(side, &call, &text)?;
                            return Ok(None);
                        }
                        if ep.state() == State::Closed {
                            let text = format!(
                                "error: connection closed after {}",
                                describe_data(got, &preview)
                            );
                            self.app(side, &call, &text)?;
                            return Ok(None);
                        }
                        self.flush()?;
                        return Ok(Some(Pending::Recv {
                            side,
                            max,
                            call,
                            got,
                            preview,
                        }));
                    }
                    let limit = match max {
                        RecvMax::UpTo(n) => n as usize,
                        _ => usize::MAX,
                    };
                    let r = ep.read(now, limit);
                    let text = match r {
                        Ok(Read::Data(d)) => describe_data(d.len() as u64, &d),
                        Ok(Read::Eof) => "end of stream".to_string(),
                        Ok(Read::WouldBlock) => {
                            if ep.state() == State::Closed {
                                "error: connection closed".to_string()
                            } else {
                                return Ok(Some(Pending::Recv {
                                    side,
                                    max,
                                    call,
                                    got,
                                    preview,
                                }));
                            }
                        }
                        Err(e) => format!("error: {}", e.message().trim_start_matches("error: ")),
                    };
                    self.app(side, &call, &text)?;
                    self.flush()?;
                    return Ok(None);
                }
            }
        }
    }
}

fn result_text(r: Result<(), CallError>) -> &'static str {
    match r {
        Ok(()) => "ok",
        Err(e) => match e {
            CallError::Failed(_) => match e.message() {
                "connection refused" => "error: connection refused",
                "connection reset" => "error: connection reset",
                _ => "error: timed out",
            },
            _ => e.message(),
        },
    }
}

/// `"Michael" (7 bytes)` for short printable text, `20000 bytes "abcd…"` otherwise.
fn describe_data(n: u64, preview: &[u8]) -> String {
    let unit = if n == 1 { "byte" } else { "bytes" };
    if n as usize == preview.len() && preview.len() <= PREVIEW_BYTES {
        format!("{} ({n} {unit})", quote(preview))
    } else {
        let shown = &preview[..preview.len().min(16)];
        format!("{n} {unit} {}…", quote(shown))
    }
}

/// Quotes bytes as a string literal, escaping what is not printable ASCII.
pub(crate) fn quote(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    s.push('"');
    for &b in bytes {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}
