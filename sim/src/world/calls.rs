//! Socket calls in virtual time: starting a step's actions, and the calls
//! that block until the connection lets them return
//! (docs/scenario-language.md, "Actions").

use super::stepper::World;
use super::CheckFailure;
use crate::calls::{
    Blocked, Call, CallResult, Failure, Received, RecvMax, SendData, PREVIEW_BYTES, READ_CHUNK,
};
use crate::endpoint::Read;
use crate::scenario::{Action, Step};
use crate::state::State;
use crate::transcript::{Note, OwnedKind, Side, TimerKind};

/// How long a blocking call may wait in virtual time before the world
/// decides it would block forever (only timers, such as zero-window probes,
/// still fire, and nothing the scenario does later can run before it returns).
const BLOCK_LIMIT_US: u64 = 3_600_000_000;

/// A call (or a wait) that has not returned yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Pending {
    Connect {
        side: Side,
        port: u16,
    },
    Accept {
        side: Side,
    },
    Recv {
        side: Side,
        max: RecvMax,
        /// `recv all`: bytes read so far, and the first of them.
        got: Received,
    },
    /// `wait D`: until this instant.
    Until(u64),
    /// `wait until SIDE STATE`: until the state comes, or `deadline`.
    UntilState {
        line: u32,
        side: Side,
        state: State,
        deadline: u64,
        max_us: u64,
    },
}

impl Pending {
    /// A socket call, as opposed to a wait.
    fn is_call(&self) -> bool {
        !matches!(self, Pending::Until(_) | Pending::UntilState { .. })
    }

    /// When a wait ends at the latest.
    fn deadline(&self) -> Option<u64> {
        match *self {
            Pending::Until(t) => Some(t),
            Pending::UntilState { deadline, .. } => Some(deadline),
            _ => None,
        }
    }
}

impl World {
    fn app(&mut self, endpoint: Side, call: Call, result: CallResult) {
        // The linux profile names errors by errno, as a socket program sees them.
        let result = if self.eps[endpoint.index()].profile().socket_errnos {
            result.as_errno()
        } else {
            result
        };
        self.push(OwnedKind::App {
            endpoint,
            call,
            result,
        });
    }

    /// Starts a step: its actions at the same instant, after every event due
    /// now ("expect is checked at the current instant, after every event due
    /// at that instant").
    pub(super) fn start_step(&mut self, step: &Step) {
        self.settle();
        for action in &step.actions {
            if let Some(p) = self.start(action, step.line) {
                self.pending.push(p);
            }
            self.flush();
            self.tell_read_acks();
        }
        self.step_started = self.now;
        self.poll_pending();
    }

    /// The current step waits for calls: lets time pass to the next instant
    /// anything happens (or a wait ends), then checks the calls again.
    pub(super) fn wait_for_calls(&mut self) {
        let deadline = self.pending.iter().filter_map(Pending::deadline).min();
        let blocked = self.pending.iter().any(Pending::is_call);
        if blocked && self.now.saturating_sub(self.step_started) > BLOCK_LIMIT_US {
            // Only timers keep firing (zero-window probes, say) and the call
            // still cannot return: it would block forever.
            for p in std::mem::take(&mut self.pending) {
                if p.is_call() {
                    self.give_up(p, Failure::GaveUp, false);
                } else {
                    self.pending.push(p);
                }
            }
        } else {
            match (self.next_event_time(), deadline) {
                (Some(e), Some(d)) if d < e => self.advance_to(d),
                (Some(e), _) => self.advance_to(e),
                (None, Some(d)) => self.advance_to(d),
                (None, None) => {
                    // Nothing will ever happen again: the calls would block forever.
                    for p in std::mem::take(&mut self.pending) {
                        self.give_up(p, Failure::BlocksForever, true);
                    }
                }
            }
        }
        self.poll_pending();
    }

    /// Checks every waiting call; keeps those that still wait.
    fn poll_pending(&mut self) {
        for p in std::mem::take(&mut self.pending) {
            if let Some(p) = self.poll(p) {
                self.pending.push(p);
            }
        }
        // What the reads sent (window updates), after the calls' lines.
        self.flush();
        self.tell_read_acks();
    }

    /// A blocked call that will never return fails with `why`; with
    /// `partial`, a `recv all` that got data first returns it instead.
    fn give_up(&mut self, p: Pending, why: Failure, partial: bool) {
        let (side, call, result) = match p {
            Pending::Connect { side, port } => {
                (side, Call::Connect { port }, CallResult::Failed(why))
            }
            Pending::Accept { side } => (side, Call::Accept, CallResult::Failed(why)),
            Pending::Recv { side, max, got } if partial && got.len > 0 => {
                (side, Call::Recv(max), CallResult::DataNoEnd(got))
            }
            Pending::Recv { side, max, .. } => (side, Call::Recv(max), CallResult::Failed(why)),
            Pending::Until(_) | Pending::UntilState { .. } => return,
        };
        self.app(side, call, result);
    }

    /// Starts an action; returns what it still waits for.
    fn start(&mut self, action: &Action, line: u32) -> Option<Pending> {
        let now = self.now;
        match action {
            Action::Listen { side, port } => {
                let r = self.eps[side.index()].listen(*port);
                if r.is_ok() {
                    self.accepted[side.index()] = false;
                    if *side == Side::Server {
                        self.ports[1] = *port;
                    }
                }
                self.app(*side, Call::Listen { port: *port }, r.into());
                None
            }
            Action::Connect { side, port } => {
                let (local, remote) = match side {
                    // ports[1] is the server's listening port (9999 if it never listens).
                    Side::Client => (self.ports[0], port.unwrap_or(self.ports[1])),
                    Side::Server => (self.ports[1], port.unwrap_or(self.ports[0])),
                };
                let call = Call::Connect { port: remote };
                match self.eps[side.index()].connect(now, local, remote) {
                    Ok(()) => {
                        self.app(*side, call, CallResult::Blocked(Blocked::Handshake));
                        Some(Pending::Connect {
                            side: *side,
                            port: remote,
                        })
                    }
                    Err(e) => {
                        self.app(*side, call, CallResult::Failed(e.into()));
                        None
                    }
                }
            }
            Action::Accept { side } => {
                let ep = &self.eps[side.index()];
                if ep.state() == State::Closed && !ep.has_failed() {
                    self.app(
                        *side,
                        Call::Accept,
                        CallResult::Failed(Failure::NotListening),
                    );
                    return None;
                }
                let p = self.poll(Pending::Accept { side: *side })?;
                self.app(
                    *side,
                    Call::Accept,
                    CallResult::Blocked(Blocked::Connection),
                );
                Some(p)
            }
            Action::Send { side, data } => {
                let ep = &mut self.eps[side.index()];
                let r = match data {
                    SendData::Text(bytes) => ep.send(now, bytes),
                    SendData::Bytes(n) => ep.send_pattern(now, *n),
                };
                self.app(*side, Call::Send(data.clone()), r.into());
                if let Some((held, unacked)) = self.eps[side.index()].nagle_holds() {
                    self.note(Note::NagleHolds {
                        side: *side,
                        held,
                        unacked,
                    });
                }
                None
            }
            Action::Recv { side, max } => {
                let p = Pending::Recv {
                    side: *side,
                    max: *max,
                    got: Received::default(),
                };
                let p = self.poll(p)?;
                // Cause before effect: the call, with what it read already,
                // before the window update its reading sends (`start_step`
                // flushes after the action).
                let read = match &p {
                    Pending::Recv { got, .. } if got.len > 0 => Blocked::MoreData(got.len),
                    _ => Blocked::Data,
                };
                self.app(*side, Call::Recv(*max), CallResult::Blocked(read));
                Some(p)
            }
            Action::Shutdown { side } => {
                let r = self.eps[side.index()].shutdown(now);
                self.app(*side, Call::Shutdown, r.into());
                None
            }
            Action::Close { side } => {
                let ep = &mut self.eps[side.index()];
                let resets = ep.close_resets();
                let result = match ep.close(now) {
                    Ok(()) if resets => CallResult::ClosedWithReset,
                    r => r.into(),
                };
                self.app(*side, Call::Close, result);
                None
            }
            Action::Abort { side } => {
                let r = self.eps[side.index()].abort_call(now);
                self.app(*side, Call::Abort, r.into());
                None
            }
            // A udp scenario's call: the parser keeps it out of tcp
            // scenarios, and udp scenarios run in `crate::udp`.
            Action::Bind { .. } => None,
            Action::Wait { us } => {
                self.note(Note::Wait { us: *us });
                Some(Pending::Until(now.saturating_add(*us)))
            }
            Action::WaitUntil {
                side,
                state,
                max_us,
            } => {
                self.note(Note::WaitUntil {
                    side: *side,
                    state: *state,
                    max_us: *max_us,
                });
                self.entered[side.index()] = 0;
                Some(Pending::UntilState {
                    line,
                    side: *side,
                    state: *state,
                    deadline: now.saturating_add(*max_us),
                    max_us: *max_us,
                })
            }
            Action::Inject(i) => {
                self.inject(i, line);
                None
            }
            Action::Expect { side, state } => {
                let actual = self.eps[side.index()].state();
                if actual != *state {
                    self.failures.push(CheckFailure {
                        line,
                        side: *side,
                        expected: *state,
                        actual,
                        waited_us: None,
                    });
                }
                self.note(Note::Expect {
                    line,
                    side: *side,
                    expected: *state,
                    actual,
                });
                None
            }
        }
    }

    /// Checks whether a blocked call can return now; emits its result if so.
    fn poll(&mut self, p: Pending) -> Option<Pending> {
        let now = self.now;
        match p {
            Pending::Until(t) => (now < t).then_some(p),
            Pending::UntilState {
                line,
                side,
                state,
                deadline,
                max_us,
            } => {
                let actual = self.eps[side.index()].state();
                let came = actual == state || self.entered[side.index()] & (1 << state as u16) != 0;
                if came {
                    None
                } else if now >= deadline {
                    self.failures.push(CheckFailure {
                        line,
                        side,
                        expected: state,
                        actual,
                        waited_us: Some(max_us),
                    });
                    self.note(Note::WaitUntilFailed {
                        line,
                        side,
                        state,
                        actual,
                        max_us,
                    });
                    None
                } else {
                    Some(p)
                }
            }
            Pending::Connect { side, port } => {
                let ep = &mut self.eps[side.index()];
                let result = if ep.state().is_synchronized() {
                    CallResult::Connected
                } else if let Some(e) = ep.take_error() {
                    CallResult::Failed(e.into())
                } else if ep.state() == State::Closed {
                    CallResult::Failed(Failure::Closed)
                } else {
                    return Some(p);
                };
                self.app(side, Call::Connect { port }, result);
                None
            }
            Pending::Accept { side } => {
                let ep = &self.eps[side.index()];
                // One listen, one connection to accept: a second accept waits
                // (and, with nobody else connecting, would block forever).
                let ready = ep.state().is_synchronized()
                    || (ep.state() == State::Closed && ep.readable() > 0);
                if ready && !self.accepted[side.index()] {
                    let port = ep.remote_port();
                    self.accepted[side.index()] = true;
                    self.app(side, Call::Accept, CallResult::Accepted { port });
                    None
                } else {
                    Some(p)
                }
            }
            Pending::Recv { side, max, got } => self.poll_recv(side, max, got),
        }
    }

    /// A blocked `recv`: returns what is there, end of stream, or an error.
    fn poll_recv(&mut self, side: Side, max: RecvMax, mut got: Received) -> Option<Pending> {
        let now = self.now;
        let ep = &mut self.eps[side.index()];
        let delaying = ep.timer(TimerKind::DelayedAck).is_some();
        let result = if max == RecvMax::All {
            // A bulk reader: keep a short preview, count the rest. It reads
            // READ_CHUNK bytes a call, as `synack real` does.
            loop {
                let room = PREVIEW_BYTES.saturating_sub(got.preview.len());
                let n = if room > 0 {
                    match ep.read(now, READ_CHUNK) {
                        Ok(Read::Data(d)) => {
                            got.preview.extend_from_slice(&d[..room.min(d.len())]);
                            d.len()
                        }
                        _ => 0,
                    }
                } else {
                    ep.read_discard(now, READ_CHUNK)
                };
                if n == 0 {
                    break;
                }
                got.len += n as u64;
            }
            if ep.at_eof() {
                CallResult::DataThenEnd(got)
            } else if let Some(e) = ep.take_error() {
                CallResult::FailedAfter(e.into(), got)
            } else if ep.state() == State::Closed {
                CallResult::FailedAfter(Failure::Closed, got)
            } else {
                self.read_acked(side, delaying);
                return Some(Pending::Recv { side, max, got });
            }
        } else {
            let limit = match max {
                RecvMax::UpTo(n) | RecvMax::Exactly(n) => n as usize,
                _ => usize::MAX,
            };
            // `recv exactly N` waits for N bytes while more can come: until
            // the peer's FIN (or an error) says no more will.
            let more_may_come = !matches!(
                ep.state(),
                State::CloseWait
                    | State::Closing
                    | State::LastAck
                    | State::TimeWait
                    | State::Closed
            );
            if matches!(max, RecvMax::Exactly(_))
                && ep.readable() < limit
                && more_may_come
                && !ep.has_failed()
            {
                return Some(Pending::Recv { side, max, got });
            }
            match ep.read(now, limit) {
                Ok(Read::Data(d)) => CallResult::Data(Received::of(&d)),
                Ok(Read::Eof) => CallResult::EndOfStream,
                Ok(Read::WouldBlock) if ep.state() == State::Closed => {
                    CallResult::Failed(Failure::Closed)
                }
                Ok(Read::WouldBlock) => return Some(Pending::Recv { side, max, got }),
                Err(e) => CallResult::Failed(e.into()),
            }
        };
        self.read_acked(side, delaying);
        self.app(side, Call::Recv(max), result);
        self.flush();
        self.tell_read_acks();
        None
    }

    /// Whether `side`'s read just sent (in its window update) the ACK it
    /// was delaying: to be said once the segment is on its line.
    fn read_acked(&mut self, side: Side, delaying: bool) {
        if delaying
            && self.eps[side.index()]
                .timer(TimerKind::DelayedAck)
                .is_none()
        {
            self.read_ack_due[side.index()] = true;
        }
    }

    /// The read opened the window and its window update carried the ACK
    /// the side was delaying (RFC 9293 3.8.6.2.2): said once per side, after
    /// that ACK, which the delayed-ACK note seems to contradict.
    pub(super) fn tell_read_acks(&mut self) {
        for side in [Side::Client, Side::Server] {
            let i = side.index();
            if std::mem::take(&mut self.read_ack_due[i]) && !self.told_read_ack[i] {
                self.told_read_ack[i] = true;
                self.note(Note::AckedOnRead { side });
            }
        }
    }
}
