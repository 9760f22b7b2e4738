//! The endpoint's test table, smoltcp style: one [`Endpoint`] driven with
//! hand-made segments at explicit times, and the exact segments it sends
//! checked field by field.
//!
//! * `send!(ep, t, SYN, seq = IRS)` hands the endpoint a segment from the
//!   peer at time `t` (fields not named take defaults: ack 0, window
//!   [`PEER_WIN`], no payload);
//! * `recv!(ep, ACK, seq = ISS + 1, ack = IRS + 1, win = 65535)` pops the next
//!   segment the endpoint transmitted and checks its flags, its length (0
//!   unless `len = N` is named) and every field named;
//! * `recv_nothing!(ep)` checks that nothing else was sent;
//! * [`expire`] checks a timer's deadline at `t - 1` (nothing happens) and
//!   at `t` (it fires).
//!
//! Tests are named `state__event__outcome_rfc_section` and are grouped by
//! concern: `handshake.rs` (LISTEN, SYN-SENT, SYN-RECEIVED, CLOSED),
//! `synchronized.rs` (ESTABLISHED: data, RST/SYN/ACK acceptance, windows),
//! `close.rs` (the closing states and TIME-WAIT), `rto.rs` (RFC 6298 and
//! the profiles' timers).
//!
//! Local sequence numbers start at [`ISS`], the peer's at [`IRS`]; the
//! endpoint listens on [`LOCAL`], the peer uses [`REMOTE`].

#![allow(non_snake_case)] // test names read `state__event__outcome_rfc`

use super::{Endpoint, EndpointConfig, EndpointEvent};
use crate::profile::{Profile, ProfileName};
use crate::segment::{Flags, Segment, TcpHeader, TcpOptions};
use crate::seq::SeqNum;
use crate::state::State;
use crate::transcript::TimerKind;

/// Builds a peer segment or an expectation: `seg!(SYN | ACK, seq = 1, ack = 2)`.
macro_rules! seg {
    ($flags:expr $(, $field:ident = $val:expr)* $(,)?) => {
        $crate::endpoint::tests::S::new($flags)$(.$field($val))*
    };
}

/// A segment from the peer arrives at `t`.
macro_rules! send {
    ($ep:expr, $t:expr, $($seg:tt)+) => {
        $crate::endpoint::tests::arrive(&mut $ep, $t, seg!($($seg)+))
    };
}

/// The next segment the endpoint transmitted is exactly this.
macro_rules! recv {
    ($ep:expr, $($seg:tt)+) => {
        $crate::endpoint::tests::expect_tx(&mut $ep, seg!($($seg)+))
    };
}

/// The endpoint transmitted nothing (more).
macro_rules! recv_nothing {
    ($ep:expr) => {
        $crate::endpoint::tests::expect_no_tx(&mut $ep)
    };
}

mod close;
mod handshake;
mod rto;
mod synchronized;

pub(super) const FIN: Flags = Flags::FIN;
pub(super) const SYN: Flags = Flags::SYN;
pub(super) const RST: Flags = Flags::RST;
pub(super) const PSH: Flags = Flags::PSH;
pub(super) const ACK: Flags = Flags::ACK;

/// Our initial send sequence number.
pub(super) const ISS: u32 = 10_000;
/// The peer's initial sequence number.
pub(super) const IRS: u32 = 1_000;
pub(super) const LOCAL: u16 = 80;
pub(super) const REMOTE: u16 = 49_152;
/// The window the peer advertises unless a test says otherwise.
pub(super) const PEER_WIN: u16 = 64_000;
/// One second of virtual time, in microseconds.
pub(super) const SEC: u64 = 1_000_000;
/// One millisecond.
pub(super) const MS: u64 = 1_000;

/// A segment description: what the peer sends, or what we expect.
#[derive(Clone, Debug, Default)]
pub(super) struct S {
    flags: Flags,
    seq: Option<u32>,
    ack: Option<u32>,
    win: Option<u16>,
    len: Option<u32>,
    data: Option<Vec<u8>>,
    mss: Option<u16>,
    /// Timestamps option (TSval, TSecr), RFC 7323 3.
    ts: Option<(u32, u32)>,
    /// SACK-permitted option (RFC 2018).
    sack: bool,
}

#[allow(dead_code)]
impl S {
    pub(super) fn new(flags: Flags) -> S {
        S {
            flags,
            ..S::default()
        }
    }
    pub(super) fn seq(mut self, v: u32) -> S {
        self.seq = Some(v);
        self
    }
    pub(super) fn ack(mut self, v: u32) -> S {
        self.ack = Some(v);
        self
    }
    pub(super) fn win(mut self, v: u16) -> S {
        self.win = Some(v);
        self
    }
    /// Payload length (the peer sends that many `x` bytes).
    pub(super) fn len(mut self, v: u32) -> S {
        self.len = Some(v);
        self
    }
    pub(super) fn data(mut self, v: &[u8]) -> S {
        self.len = Some(v.len() as u32);
        self.data = Some(v.to_vec());
        self
    }
    pub(super) fn mss(mut self, v: u16) -> S {
        self.mss = Some(v);
        self
    }
    pub(super) fn ts(mut self, v: (u32, u32)) -> S {
        self.ts = Some(v);
        self
    }
    pub(super) fn sack(mut self, v: bool) -> S {
        self.sack = v;
        self
    }

    fn to_segment(&self) -> Segment {
        let payload = match (&self.data, self.len) {
            (Some(d), _) => d.clone(),
            (None, Some(n)) => vec![b'x'; n as usize],
            (None, None) => Vec::new(),
        };
        let hdr = TcpHeader {
            src_port: REMOTE,
            dst_port: LOCAL,
            seq: SeqNum(self.seq.unwrap_or(0)),
            ack: SeqNum(self.ack.unwrap_or(0)),
            flags: self.flags,
            window: self.win.unwrap_or(PEER_WIN),
            options: TcpOptions {
                mss: self.mss,
                timestamps: self.ts,
                sack_permitted: self.sack,
                ..TcpOptions::default()
            },
            payload_len: 0,
        };
        Segment::new(hdr, payload)
    }
}

pub(super) fn endpoint(profile: ProfileName, iss: u32) -> Endpoint {
    Endpoint::new(EndpointConfig {
        profile: Profile::get(profile),
        mss: 1460,
        iss: SeqNum(iss),
    })
}

/// Hands `s` to the endpoint at `t`, as the world would after matching ports.
#[track_caller]
pub(super) fn arrive(ep: &mut Endpoint, t: u64, s: S) {
    ep.handle_segment(t, &s.to_segment());
}

/// Pops the next transmitted segment and checks it against `want`.
#[track_caller]
pub(super) fn expect_tx(ep: &mut Endpoint, want: S) -> Segment {
    let Some(tx) = ep.poll_transmit() else {
        panic!("expected {want:?}, but the endpoint sent nothing");
    };
    let got = tx.seg;
    let h = &got.hdr;
    let show = format!(
        "{} seq={} ack={} win={} len={}",
        h.flags.names(),
        h.seq.raw(),
        h.ack.raw(),
        h.window,
        h.payload_len
    );
    assert_eq!(h.flags, want.flags, "flags of [{show}]");
    if let Some(seq) = want.seq {
        assert_eq!(h.seq.raw(), seq, "seq of [{show}]");
    }
    if let Some(ack) = want.ack {
        assert_eq!(h.ack.raw(), ack, "ack of [{show}]");
    }
    if let Some(win) = want.win {
        assert_eq!(h.window, win, "window of [{show}]");
    }
    assert_eq!(h.payload_len, want.len.unwrap_or(0), "len of [{show}]");
    if let Some(d) = &want.data {
        assert_eq!(&got.payload.to_vec(), d, "payload of [{show}]");
    }
    if let Some(mss) = want.mss {
        assert_eq!(h.options.mss, Some(mss), "MSS option of [{show}]");
    }
    assert_eq!(h.src_port, ep.local_port(), "source port of [{show}]");
    got
}

#[track_caller]
pub(super) fn expect_no_tx(ep: &mut Endpoint) {
    if let Some(tx) = ep.poll_transmit() {
        let h = tx.seg.hdr;
        panic!(
            "expected no segment, got {} seq={} ack={} len={}",
            h.flags.names(),
            h.seq.raw(),
            h.ack.raw(),
            h.payload_len
        );
    }
}

/// The state changes since the last call.
pub(super) fn transitions(ep: &mut Endpoint) -> Vec<(State, State)> {
    let mut out = Vec::new();
    while let Some(ev) = ep.poll_event() {
        if let EndpointEvent::StateChanged { from, to } = ev {
            out.push((from, to));
        }
    }
    out
}

/// What a timer reported when it fired: (`after_us`, `rto_us`).
pub(super) type Fired = (u64, Option<u64>);

/// Checks that `kind` is due exactly at `at`: at `at - 1` nothing fires and
/// nothing is sent; at `at` it fires (RFC 6298 timers, TIME-WAIT, persist).
/// Returns what its [`EndpointEvent::TimerFired`] said.
#[track_caller]
pub(super) fn expire(ep: &mut Endpoint, kind: TimerKind, at: u64) -> Fired {
    assert_eq!(ep.timer(kind), Some(at), "deadline of the {kind} timer");
    ep.handle_timeout(at - 1);
    expect_no_tx(ep);
    assert_eq!(ep.timer(kind), Some(at), "{kind} fired early");
    ep.handle_timeout(at);
    let fired = std::iter::from_fn(|| ep.poll_event()).find_map(|e| match e {
        EndpointEvent::TimerFired {
            timer,
            after_us,
            rto_us,
        } if timer == kind => Some((after_us, rto_us)),
        _ => None,
    });
    fired.unwrap_or_else(|| panic!("the {kind} timer did not fire at {at}"))
}

// ----- fixtures: an endpoint brought into each state, every step checked -----

/// LISTEN on [`LOCAL`].
pub(super) fn listen(p: ProfileName) -> Endpoint {
    let mut ep = endpoint(p, ISS);
    assert_eq!(ep.listen(LOCAL), Ok(()));
    assert_eq!(transitions(&mut ep), [(State::Closed, State::Listen)]);
    ep
}

/// SYN-RECEIVED: the peer's SYN arrived at t = 0 and our SYN,ACK left.
pub(super) fn syn_received(p: ProfileName) -> Endpoint {
    let mut ep = listen(p);
    send!(ep, 0, SYN, seq = IRS, mss = 1460);
    let win = if p == ProfileName::Rfc {
        65_535
    } else {
        64_240
    };
    recv!(
        ep,
        SYN | ACK,
        seq = ISS,
        ack = IRS + 1,
        win = win,
        mss = 1460
    );
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::SynReceived);
    ep
}

/// ESTABLISHED after a passive open; the handshake's RTT sample is 100 ms.
pub(super) fn established(p: ProfileName) -> Endpoint {
    let mut ep = syn_received(p);
    send!(ep, 100 * MS, ACK, seq = IRS + 1, ack = ISS + 1);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Established);
    transitions(&mut ep);
    ep
}

/// SYN-SENT: `connect` at t = 0.
pub(super) fn syn_sent(p: ProfileName) -> Endpoint {
    let mut ep = endpoint(p, ISS);
    assert_eq!(ep.connect(0, LOCAL, REMOTE), Ok(()));
    recv!(ep, SYN, seq = ISS, mss = 1460);
    recv_nothing!(ep);
    assert_eq!(transitions(&mut ep), [(State::Closed, State::SynSent)]);
    ep
}

/// FIN-WAIT-1: established, then `close` at t = 1 s sent our FIN.
pub(super) fn fin_wait_1(p: ProfileName) -> Endpoint {
    let mut ep = established(p);
    assert_eq!(ep.close(SEC), Ok(()));
    recv!(ep, FIN | ACK, seq = ISS + 1, ack = IRS + 1);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::FinWait1);
    ep
}

/// FIN-WAIT-2: our FIN acknowledged at 1.1 s.
pub(super) fn fin_wait_2(p: ProfileName) -> Endpoint {
    let mut ep = fin_wait_1(p);
    send!(ep, SEC + 100 * MS, ACK, seq = IRS + 1, ack = ISS + 2);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::FinWait2);
    ep
}

/// TIME-WAIT: the peer's FIN arrived in FIN-WAIT-2 at 1.2 s.
pub(super) fn time_wait(p: ProfileName) -> Endpoint {
    let mut ep = fin_wait_2(p);
    send!(ep, SEC + 200 * MS, FIN | ACK, seq = IRS + 1, ack = ISS + 2);
    recv!(ep, ACK, seq = ISS + 2, ack = IRS + 2);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::TimeWait);
    ep
}

/// CLOSE-WAIT: the peer's FIN arrived at 1 s.
pub(super) fn close_wait(p: ProfileName) -> Endpoint {
    let mut ep = established(p);
    send!(ep, SEC, FIN | ACK, seq = IRS + 1, ack = ISS + 1);
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 2);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::CloseWait);
    ep
}

/// LAST-ACK: `close` in CLOSE-WAIT at 1.1 s sent our FIN.
pub(super) fn last_ack(p: ProfileName) -> Endpoint {
    let mut ep = close_wait(p);
    assert_eq!(ep.close(SEC + 100 * MS), Ok(()));
    recv!(ep, FIN | ACK, seq = ISS + 1, ack = IRS + 2);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::LastAck);
    ep
}

/// CLOSING: in FIN-WAIT-1, the peer's FIN (not acknowledging ours) arrived at 1.05 s.
pub(super) fn closing(p: ProfileName) -> Endpoint {
    let mut ep = fin_wait_1(p);
    send!(ep, SEC + 50 * MS, FIN | ACK, seq = IRS + 1, ack = ISS + 1);
    recv!(ep, ACK, seq = ISS + 2, ack = IRS + 2);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Closing);
    ep
}

pub(super) const RFC: ProfileName = ProfileName::Rfc;
pub(super) const LINUX: ProfileName = ProfileName::Linux;
