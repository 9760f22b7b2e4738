//! Inferring both endpoints' RFC 9293 states from the segments on the wire.
//!
//! The rule, applied the same way everywhere: **a side's state changes when
//! the observer sees a segment that proves it**, at the instant of that
//! segment (on a capture at either end, or on loopback, sending and arriving
//! are the same instant).
//!
//! * What a side *sends* proves its own transitions (RFC 9293 3.10.1, 3.10.4):
//!   a SYN puts it in SYN-SENT, a FIN in FIN-WAIT-1 (or LAST-ACK from
//!   CLOSE-WAIT).
//! * What a side *acknowledges* proves what it received (3.10.7): acking the
//!   peer's SYN moves LISTEN to SYN-RECEIVED (the SYN-ACK) and SYN-SENT to
//!   ESTABLISHED (the third segment of the handshake); acking the peer's FIN
//!   moves ESTABLISHED to CLOSE-WAIT, FIN-WAIT-1 to CLOSING and FIN-WAIT-2 to
//!   TIME-WAIT.
//! * An ACK of a side's own SYN or FIN, once seen, has reached it:
//!   SYN-RECEIVED becomes ESTABLISHED, FIN-WAIT-1 FIN-WAIT-2, CLOSING
//!   TIME-WAIT, LAST-ACK CLOSED.
//! * A RST closes both sides (a side in TIME-WAIT ignores it, as RFC 1337
//!   advises); a RST answering a SYN is a refused connect.
//!
//! TIME-WAIT's end is not observable, so a side stays there. A capture that
//! starts without the SYN assumes both sides ESTABLISHED and says so (or, when
//! it starts at the SYN-ACK, the client SYN-SENT).

use crate::segment::TcpHeader;
use crate::seq::SeqNum;
use crate::state::State;
use crate::transcript::{Dir, Side, WireNote};

/// One consequence of a segment for the transcript.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    State { side: Side, from: State, to: State },
    Note(WireNote),
}

/// The changes one segment implies; fixed capacity, no allocation.
#[derive(Clone, Copy, Debug, Default)]
pub struct Changes {
    items: [Option<Change>; Changes::CAP],
    len: usize,
}

impl Changes {
    const CAP: usize = 8;

    fn push(&mut self, c: Change) {
        if let Some(slot) = self.items.get_mut(self.len) {
            *slot = Some(c);
            self.len += 1;
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Change> + '_ {
        self.items.iter().take(self.len).flatten().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Empties the list (keeps the storage: nothing to free).
    pub fn clear(&mut self) {
        self.len = 0;
    }
}

/// How a connection began, as far as the capture shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opening {
    /// SYN, SYN-ACK, ACK.
    Handshake,
    /// Both sides sent a SYN (RFC 9293 3.5, figure 8).
    SimultaneousOpen,
    /// The SYN was answered by a RST.
    Refused,
    /// The capture started after the handshake.
    MidConnection,
    /// The capture started at the SYN-ACK.
    SynNotCaptured,
    /// SYN and SYN-ACK, but the handshake never completed.
    Incomplete,
    /// Only SYNs, never answered.
    SynOnly,
}

impl Opening {
    pub const fn words(self) -> &'static str {
        match self {
            Opening::Handshake => "handshake",
            Opening::SimultaneousOpen => "simultaneous open",
            Opening::Refused => "refused",
            Opening::MidConnection => "mid-connection",
            Opening::SynNotCaptured => "handshake (SYN not captured)",
            Opening::Incomplete => "incomplete handshake",
            Opening::SynOnly => "SYN only",
        }
    }
}

impl std::fmt::Display for Opening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.words())
    }
}

/// How a connection ended, as far as the capture shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closing {
    /// Each side sent a FIN.
    FinBothWays,
    /// Only this side sent a FIN.
    HalfClosed(Side),
    /// This side sent the first RST.
    Reset(Side),
    /// Neither FIN nor RST seen.
    OpenAtEnd,
}

impl Closing {
    pub const fn words(self) -> &'static str {
        match self {
            Closing::FinBothWays => "FIN both ways",
            Closing::HalfClosed(Side::Client) => "half-closed by client",
            Closing::HalfClosed(Side::Server) => "half-closed by server",
            Closing::Reset(Side::Client) => "reset by client",
            Closing::Reset(Side::Server) => "reset by server",
            Closing::OpenAtEnd => "open at end of capture",
        }
    }
}

impl std::fmt::Display for Closing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.words())
    }
}

/// Both endpoints' inferred states; see the module docs for the rules.
#[derive(Clone, Copy, Debug)]
pub struct Inference {
    /// Indexed by `Side::index()`.
    state: [State; 2],
    /// Sequence number of each side's SYN, once known.
    syn: [Option<SeqNum>; 2],
    /// The peer has acknowledged this side's SYN.
    syn_acked: [bool; 2],
    /// Sequence number of each side's FIN, once sent.
    fin: [Option<SeqNum>; 2],
    /// The peer has acknowledged this side's FIN.
    fin_acked: [bool; 2],
    started: bool,
    opening: Option<Opening>,
    /// A bare SYN came from each side.
    bare_syn: [bool; 2],
    saw_synack: bool,
    established: bool,
    reset_by: Option<Side>,
}

impl Default for Inference {
    fn default() -> Inference {
        Inference::new()
    }
}

impl Inference {
    pub const fn new() -> Inference {
        Inference {
            state: [State::Closed, State::Listen],
            syn: [None; 2],
            syn_acked: [false; 2],
            fin: [None; 2],
            fin_acked: [false; 2],
            started: false,
            opening: None,
            bare_syn: [false; 2],
            saw_synack: false,
            established: false,
            reset_by: None,
        }
    }

    /// The current state of `side`.
    pub fn state(&self, side: Side) -> State {
        self.state[side.index()]
    }

    /// How the connection opened, judged from everything seen so far.
    pub fn opening(&self) -> Opening {
        if let Some(o) = self.opening {
            return o;
        }
        if self.bare_syn[Side::Server.index()] {
            Opening::SimultaneousOpen
        } else if self.established {
            Opening::Handshake
        } else if self.saw_synack {
            Opening::Incomplete
        } else {
            Opening::SynOnly
        }
    }

    /// How the connection closed, judged from everything seen so far.
    pub fn closing(&self) -> Closing {
        if let Some(side) = self.reset_by {
            return Closing::Reset(side);
        }
        match (self.fin[0].is_some(), self.fin[1].is_some()) {
            (true, true) => Closing::FinBothWays,
            (true, false) => Closing::HalfClosed(Side::Client),
            (false, true) => Closing::HalfClosed(Side::Server),
            (false, false) => Closing::OpenAtEnd,
        }
    }

    fn set(&mut self, side: Side, to: State, out: &mut Changes) {
        let from = self.state[side.index()];
        if from != to {
            self.state[side.index()] = to;
            out.push(Change::State { side, from, to });
            if side == Side::Client && to == State::Established {
                self.established = true;
            }
        }
    }

    /// The first segment of the connection sets the assumed starting states.
    fn start(&mut self, dir: Dir, hdr: &TcpHeader, out: &mut Changes) {
        self.started = true;
        let f = hdr.flags;
        if f.syn() && !f.ack() {
            // Sender is the client by construction (Observer); nothing to assume.
        } else if f.syn() && f.ack() {
            let client = dir.receiver();
            self.state[client.index()] = State::SynSent;
            self.state[client.peer().index()] = State::Listen;
            self.syn[client.index()] = Some(hdr.ack - 1);
            self.opening = Some(Opening::SynNotCaptured);
            out.push(Change::Note(WireNote::SynMissed));
        } else {
            self.state = [State::Established; 2];
            self.opening = Some(Opening::MidConnection);
            out.push(Change::Note(WireNote::MidConnection));
        }
    }

    /// Infers what the segment `hdr`, travelling in `dir`, proves.
    pub fn on_segment(&mut self, dir: Dir, hdr: &TcpHeader) -> Changes {
        let mut out = Changes::default();
        self.on_segment_into(dir, hdr, &mut out);
        out
    }

    /// [`Inference::on_segment`] into a caller's list (cleared first), which
    /// saves building and copying a fresh one per segment.
    pub fn on_segment_into(&mut self, dir: Dir, hdr: &TcpHeader, out: &mut Changes) {
        out.clear();
        if !self.started {
            self.start(dir, hdr, out);
        }
        let s = dir.sender();
        let r = dir.receiver();
        let (si, ri) = (s.index(), r.index());
        let f = hdr.flags;

        if f.rst() {
            self.on_rst(s, out);
            return;
        }

        if f.ack() {
            // The sender acknowledges the receiver's SYN (RFC 9293 3.10.7.2/3).
            if let Some(isn) = self.syn[ri] {
                if !self.syn_acked[ri] && hdr.ack > isn {
                    self.syn_acked[ri] = true;
                    match self.state[si] {
                        State::Listen | State::Closed => self.set(s, State::SynReceived, out),
                        State::SynSent if self.syn_acked[si] && !f.syn() => {
                            self.set(s, State::Established, out)
                        }
                        State::SynSent => {
                            self.set(s, State::SynReceived, out);
                            if self.syn_acked[si] {
                                self.set(s, State::Established, out);
                            }
                        }
                        _ => {}
                    }
                    // ...which reaches the receiver (3.10.7.4, SYN-RECEIVED).
                    if self.state[ri] == State::SynReceived {
                        self.set(r, State::Established, out);
                    }
                }
            }
            // The sender acknowledges the receiver's FIN (3.10.7.4, "eighth").
            if let Some(fin) = self.fin[ri] {
                if !self.fin_acked[ri] && hdr.ack > fin {
                    self.fin_acked[ri] = true;
                    match self.state[si] {
                        State::Established | State::SynReceived => {
                            self.set(s, State::CloseWait, out)
                        }
                        State::FinWait1 => self.set(s, State::Closing, out),
                        State::FinWait2 => self.set(s, State::TimeWait, out),
                        _ => {}
                    }
                    match self.state[ri] {
                        State::FinWait1 => self.set(r, State::FinWait2, out),
                        State::Closing => self.set(r, State::TimeWait, out),
                        State::LastAck => self.set(r, State::Closed, out),
                        _ => {}
                    }
                }
            }
        }

        if f.syn() {
            if self.syn[si].is_none() {
                self.syn[si] = Some(hdr.seq);
            }
            if f.ack() {
                self.saw_synack = true;
                if matches!(self.state[si], State::Listen | State::Closed) {
                    self.set(s, State::SynReceived, out);
                }
            } else {
                self.bare_syn[si] = true;
                if matches!(self.state[si], State::Listen | State::Closed) {
                    self.set(s, State::SynSent, out);
                }
            }
        }

        if f.fin() && self.fin[si].is_none() {
            self.fin[si] = Some(hdr.seq + hdr.payload_len + u32::from(f.syn()));
            match self.state[si] {
                State::Established | State::SynReceived => self.set(s, State::FinWait1, out),
                State::CloseWait => self.set(s, State::LastAck, out),
                _ => {}
            }
        }
    }

    /// RFC 9293 3.10.7: a RST closes the connection.
    fn on_rst(&mut self, s: Side, out: &mut Changes) {
        let r = s.peer();
        let refused = self.state(r) == State::SynSent
            && self.state(s) == State::Listen
            && self.reset_by.is_none();
        if self.reset_by.is_none() {
            self.reset_by = Some(s);
        }
        if refused {
            // Nobody listened: the "LISTEN" we assumed for the peer never was.
            self.state[s.index()] = State::Closed;
            self.set(r, State::Closed, out);
            self.opening = Some(Opening::Refused);
            out.push(Change::Note(WireNote::Refused));
            return;
        }
        let mut changed = false;
        for side in [s, r] {
            let st = self.state(side);
            let ignores = st == State::Closed || (side == r && st == State::TimeWait);
            if !ignores {
                self.set(side, State::Closed, out);
                changed = true;
            }
        }
        if changed {
            out.push(Change::Note(WireNote::ResetBy(s)));
        }
    }
}
