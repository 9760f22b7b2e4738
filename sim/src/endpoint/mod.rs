//! One TCP endpoint, sans-I/O, in virtual time (RFC 9293).
//!
//! # Calling order
//! The owner (the simulated world, or a test harness) drives an endpoint:
//! 1. app commands: [`Endpoint::listen`], [`Endpoint::connect`],
//!    [`Endpoint::send`], [`Endpoint::read`], [`Endpoint::shutdown`],
//!    [`Endpoint::close`], [`Endpoint::abort`], each with the current time;
//! 2. a segment arriving: [`Endpoint::handle_segment`]`(now, seg)`;
//! 3. when `now` reaches [`Endpoint::poll_timeout`]: [`Endpoint::handle_timeout`]`(now)`;
//! 4. after each of the above, drain [`Endpoint::poll_transmit`] (segments to
//!    put on the wire) and [`Endpoint::poll_event`] (state changes, timer
//!    firings) until both return `None`.
//!
//! Time is always a parameter (microseconds); the endpoint never reads a clock.
//! Segment processing is in `input/` (RFC 9293 3.10.7: `handshake.rs` for
//! LISTEN and SYN-SENT; for the other states `classify.rs`, then
//! `synchronized.rs`, `ack.rs` and `text.rs`, the checks in the RFC's order),
//! sending in `output.rs` (3.8.6, 3.7.4, RFC 5681), timers in `timers.rs`
//! (RFC 6298, 3.8.6.1, 3.3.2; the RTO apart in [`RttEstimator`]).

mod buffers;
mod calls;
mod digest;
mod input;
mod output;
mod quickack;
mod rcv_linux;
mod timers;
mod tlp;

#[cfg(test)]
mod tests;

pub use crate::payload::pattern_byte;
pub use buffers::{Read, RecvBuffer, SendBuffer};
pub use digest::ReadDigest;
pub use input::reset_for_closed_port;

use crate::profile::Profile;
use crate::rtt::RttEstimator;
use crate::segment::Segment;
use crate::seq::SeqNum;
use crate::state::State;
use crate::transcript::TimerKind;
use std::collections::VecDeque;
use timers::TimerTable;

/// Why a connection failed, as the app sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockError {
    /// A RST answered our SYN: nobody listens there (ECONNREFUSED).
    Refused,
    /// The peer reset the connection (ECONNRESET).
    Reset,
    /// Retransmissions exhausted (ETIMEDOUT).
    TimedOut,
}

impl SockError {
    pub const fn message(self) -> &'static str {
        match self {
            SockError::Refused => "connection refused",
            SockError::Reset => "connection reset",
            SockError::TimedOut => "timed out",
        }
    }
}

/// Something the owner should know about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointEvent {
    StateChanged {
        from: State,
        to: State,
    },
    /// A timer fired.
    TimerFired {
        timer: TimerKind,
        /// How long the timer ran before it fired, since it was last armed:
        /// the RTO it was armed with (retransmit), its interval (persist),
        /// 2*MSL (TIME-WAIT, restarted by a retransmitted FIN), the delay
        /// (delayed ACK).
        after_us: u64,
        /// The retransmission timeout, for the retransmit timer (the RTO
        /// when it fired, before RFC 6298 5.5 backs it off) and the persist
        /// timer (its backed-off interval, RFC 9293 3.8.6.1); `None` for the
        /// others, which do not run on the RTO.
        rto_us: Option<u64>,
    },
}

/// A segment to put on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    pub seg: Segment,
    /// The endpoint sent these sequence numbers before (RFC 6298 retransmission).
    pub retransmission: bool,
}

/// Why a call was refused at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallError {
    /// RFC 9293 3.10: "error: connection does not exist" and friends.
    NotConnected,
    /// "error: connection already exists".
    AlreadyOpen,
    /// "error: connection closing": the app already shut down the send side
    /// (RFC 9293 3.10.2), or CLOSEs again (3.10.4). Linux: EPIPE.
    Closing,
    /// Linux: a call on a file descriptor the app already closed (EBADF).
    BadDescriptor,
    /// The connection failed earlier.
    Failed(SockError),
}

impl CallError {
    pub fn message(self) -> &'static str {
        match self {
            CallError::NotConnected => "error: connection does not exist",
            CallError::AlreadyOpen => "error: connection already exists",
            CallError::Closing => "error: connection closing",
            CallError::BadDescriptor => "error: bad file descriptor",
            CallError::Failed(e) => e.message(),
        }
    }
}

/// Static settings of an endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointConfig {
    pub profile: Profile,
    /// The MSS we announce (our receive MSS, RFC 9293 3.7.1).
    pub mss: u16,
    /// Our initial send sequence number (RFC 9293 3.4.1).
    pub iss: SeqNum,
}

/// An RFC 9293 endpoint. See the module docs for the calling order.
#[derive(Clone, Debug)]
pub struct Endpoint {
    cfg: EndpointConfig,
    state: State,
    /// We opened actively (affects RST in SYN-RECEIVED, RFC 9293 3.10.7.4).
    active_open: bool,
    local_port: u16,
    remote_port: u16,

    // Send sequence variables (RFC 9293 3.3.1).
    iss: SeqNum,
    snd_una: SeqNum,
    snd_nxt: SeqNum,
    /// Highest sequence number sent so far (BSD's snd_max); ACKs up to it are acceptable.
    snd_max: SeqNum,
    /// Send window in bytes (scaled).
    snd_wnd: u32,
    /// Largest window the peer ever offered (RFC 5961 5.2's MAX.SND.WND).
    max_snd_wnd: u32,
    snd_wl1: SeqNum,
    snd_wl2: SeqNum,
    /// Shift applied to windows the peer advertises (RFC 7323 2.3).
    snd_wscale: u8,
    send_buf: SendBuffer,
    /// The app asked to close the send side; a FIN follows the data.
    fin_queued: bool,
    /// Sequence number of our FIN, once it has been sent.
    fin_seq_sent: Option<SeqNum>,
    /// End of the last segment shorter than the MSS we sent (Linux
    /// `snd_sml`, for Minshall's Nagle).
    snd_sml: SeqNum,

    // Receive sequence variables.
    irs: SeqNum,
    rcv_nxt: SeqNum,
    /// Right edge of the window we last advertised (never moved left, RFC 9293 3.8.6.2.2).
    rcv_adv: SeqNum,
    /// Shift we apply to windows we advertise.
    rcv_wscale: u8,
    recv_buf: RecvBuffer,
    /// The app closed: data arriving from now on is discarded.
    app_closed: bool,
    /// The peer's FIN has been processed in order.
    fin_received: bool,

    // Options negotiated.
    /// Effective send MSS (RFC 9293 3.7.1, minus option space).
    smss: u32,
    ts_enabled: bool,
    /// TS.Recent (RFC 7323 4.3): the timestamp we echo.
    ts_recent: u32,
    /// Last.ACK.sent (RFC 7323 4.3): the ACK field of our last ACK.
    last_ack_sent: SeqNum,
    /// The peer's SYN offered window scaling (its shift) / SACK.
    peer_wscale: Option<u8>,
    peer_sack: bool,

    // Timers and retransmission (RFC 6298).
    timers: TimerTable,
    rtt: RttEstimator,
    /// The one segment being timed: (sequence number whose ACK ends it, time sent).
    rtt_probe: Option<(SeqNum, u64)>,
    /// Consecutive expiries of the retransmission timer.
    retries: u32,
    /// Consecutive zero-window probes (RFC 9293 3.8.6.1 backoff).
    persist_backoff: u32,
    /// Our SYN was retransmitted (RFC 6298 5.7).
    syn_retransmitted: bool,
    /// Linux resent the SYN early after an unacceptable ACK in SYN-SENT
    /// (profile.rs, `syn_sent_bad_ack_resend_us`).
    quick_syn_resend: bool,
    /// When the last rate-limited ACK went (profile.rs, `oow_ack_interval_us`).
    last_oow_ack_us: Option<u64>,
    /// The persist timer forces a small segment out (sender SWS override).
    force_send: bool,

    // Congestion control (RFC 5681, RFC 6582).
    cwnd: u32,
    ssthresh: u32,
    dupacks: u32,
    /// RFC 6582 "recover": fast recovery lasts until this is acknowledged.
    recover: Option<SeqNum>,

    // Delayed ACK (RFC 9293 3.8.6.3, Linux profile).
    ack_now: bool,
    unacked_segments: u32,
    /// Linux quick-ack and pingpong modes (profile `quickacks`).
    qa: quickack::QuickAck,
    /// Linux's receive window (profile `linux_rcv_window`).
    lrcv: rcv_linux::LinuxRcv,
    /// Tail loss probe (profile `tail_loss_probe`, tlp.rs): SND.NXT when the
    /// outstanding probe went (`tlp_high_seq`), the RTO deadline the PTO
    /// stands in for, where the last new segment began, and whether the
    /// probe is sending new data now (Nagle off).
    tlp_high_seq: Option<SeqNum>,
    tlp_rto_at: Option<u64>,
    tlp_last_start: SeqNum,
    tlp_new_data: bool,

    /// The failure not yet reported to a call (RFC 9293 3.10.7.4: the
    /// "connection reset" signal is given once; Linux `sock_error()` clears
    /// `sk_err` as it reports it).
    error: Option<SockError>,
    /// The connection failed (reported or not): its TCB is gone.
    failed: bool,
    /// A connection was opened on this endpoint before (see `new_incarnation`).
    used: bool,
    tx: VecDeque<Transmit>,
    /// Events, each with the number of segments pushed to `tx` before it,
    /// so that the owner can tell them in the order they happened.
    events: VecDeque<(u64, EndpointEvent)>,
    /// Segments pushed to `tx` so far, and taken from it.
    tx_pushed: u64,
    tx_polled: u64,
}

impl Endpoint {
    pub fn new(cfg: EndpointConfig) -> Endpoint {
        let profile = &cfg.profile;
        let rtt = RttEstimator::new(
            profile.initial_rto_us,
            profile.min_rto_us,
            profile.max_rto_us,
            profile.rto_formula,
        );
        let iss = cfg.iss;
        Endpoint {
            state: State::Closed,
            active_open: false,
            local_port: 0,
            remote_port: 0,
            iss,
            snd_una: iss,
            snd_nxt: iss,
            snd_max: iss,
            snd_wnd: 0,
            max_snd_wnd: 0,
            snd_wl1: SeqNum(0),
            snd_wl2: SeqNum(0),
            snd_wscale: 0,
            send_buf: SendBuffer::default(),
            fin_queued: false,
            fin_seq_sent: None,
            snd_sml: iss,
            irs: SeqNum(0),
            rcv_nxt: SeqNum(0),
            rcv_adv: SeqNum(0),
            rcv_wscale: 0,
            recv_buf: RecvBuffer::default(),
            app_closed: false,
            fin_received: false,
            smss: 536,
            ts_enabled: false,
            ts_recent: 0,
            last_ack_sent: SeqNum(0),
            peer_wscale: None,
            peer_sack: false,
            timers: TimerTable::default(),
            rtt,
            rtt_probe: None,
            retries: 0,
            persist_backoff: 0,
            syn_retransmitted: false,
            quick_syn_resend: false,
            last_oow_ack_us: None,
            force_send: false,
            cwnd: 0,
            ssthresh: u32::MAX,
            dupacks: 0,
            recover: None,
            ack_now: false,
            unacked_segments: 0,
            qa: quickack::QuickAck::default(),
            lrcv: rcv_linux::LinuxRcv::default(),
            tlp_high_seq: None,
            tlp_rto_at: None,
            tlp_last_start: iss,
            tlp_new_data: false,
            error: None,
            failed: false,
            used: false,
            tx: VecDeque::new(),
            events: VecDeque::new(),
            tx_pushed: 0,
            tx_polled: 0,
            cfg,
        }
    }

    // ----- observation -----

    pub fn state(&self) -> State {
        self.state
    }
    pub fn local_port(&self) -> u16 {
        self.local_port
    }
    pub fn remote_port(&self) -> u16 {
        self.remote_port
    }
    pub fn iss(&self) -> SeqNum {
        self.iss
    }
    pub fn irs(&self) -> SeqNum {
        self.irs
    }
    /// The error the connection failed with, if it did.
    /// Takes the failure not yet reported, to give it to a waiting call
    /// (once: RFC 9293 3.10.7.4, Linux `sock_error()`).
    pub fn take_error(&mut self) -> Option<SockError> {
        self.error.take()
    }

    /// The connection failed; its failure may have been reported already.
    pub fn has_failed(&self) -> bool {
        self.failed
    }

    pub fn error(&self) -> Option<SockError> {
        self.error
    }
    pub fn rto_us(&self) -> u64 {
        self.rtt.rto_us()
    }
    pub fn rtt(&self) -> &RttEstimator {
        &self.rtt
    }
    pub fn cwnd(&self) -> u32 {
        self.cwnd
    }
    /// Bytes the app wrote that are not yet acknowledged.
    pub fn unacked_bytes(&self) -> u64 {
        self.send_buf.len()
    }
    /// Unread bytes ready for the app.
    pub fn readable(&self) -> usize {
        self.recv_buf.ready_len()
    }
    /// The peer's FIN was received and all data before it has been read.
    pub fn at_eof(&self) -> bool {
        let reset_eof = self.failed && self.error.is_none() && self.cfg.profile.socket_errnos;
        (self.recv_buf.fin_reached() || reset_eof) && self.recv_buf.ready_len() == 0
    }

    /// The profile this endpoint follows.
    pub fn profile(&self) -> &Profile {
        &self.cfg.profile
    }
    /// Total bytes the app has read.
    pub fn bytes_read(&self) -> u64 {
        self.recv_buf.read_total()
    }
    /// Digest of every byte the app has read, in order (for stream checks).
    pub fn read_digest(&self) -> ReadDigest {
        self.recv_buf.read_digest()
    }
    /// When a timer is armed, the earliest deadline.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.timers.next()
    }
    /// The deadline of one timer.
    pub fn timer(&self, t: TimerKind) -> Option<u64> {
        self.timers.get(t)
    }
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        let t = self.tx.pop_front()?;
        self.tx_polled += 1;
        Some(t)
    }
    pub fn poll_event(&mut self) -> Option<EndpointEvent> {
        self.events.pop_front().map(|(_, e)| e)
    }
    /// Whether the next event happened before the next segment to transmit
    /// (so a transcript shows the cause before its effect: the RST of an
    /// ABORT before the CLOSED it leads to, a state change before the
    /// segment that announces it).
    pub fn event_comes_first(&self) -> bool {
        match self.events.front() {
            Some(&(before, _)) => self.tx.is_empty() || before <= self.tx_polled,
            None => false,
        }
    }
    fn push_event(&mut self, e: EndpointEvent) {
        self.events.push_back((self.tx_pushed, e));
    }

    // ----- helpers shared by input/output/timers -----

    /// A socket opened again after a connection: it starts from a fresh TCB
    /// (nothing of the old connection's buffers, errors or close survives),
    /// with an ISS past the old one's sequence numbers (RFC 9293 3.4.1: a new
    /// incarnation must not reuse the sequence space of the old).
    fn new_incarnation(&mut self) {
        if !self.used {
            self.used = true;
            return;
        }
        self.fresh_tcb(self.snd_max + 64_000);
    }

    /// Replaces the TCB with a fresh one whose ISS is `iss` (`Endpoint::new`),
    /// keeping what the owner has not drained yet: the events and the
    /// segments to transmit. Used by a new incarnation (above) and by
    /// SYN-RECEIVED going back to LISTEN (RFC 9293 3.10.7.4 second/fourth).
    fn fresh_tcb(&mut self, iss: SeqNum) {
        let mut cfg = self.cfg.clone();
        cfg.iss = iss;
        let events = std::mem::take(&mut self.events);
        let tx = std::mem::take(&mut self.tx);
        let (pushed, polled) = (self.tx_pushed, self.tx_polled);
        *self = Endpoint::new(cfg);
        self.events = events;
        self.tx = tx;
        self.tx_pushed = pushed;
        self.tx_polled = polled;
        self.used = true;
    }

    fn set_state(&mut self, to: State) {
        if self.state != to {
            let from = self.state;
            self.state = to;
            self.push_event(EndpointEvent::StateChanged { from, to });
        }
    }

    fn clear_timers(&mut self) {
        self.timers = TimerTable::default();
    }

    /// "Delete the TCB, enter the CLOSED state" (RFC 9293 3.10.4, 3.10.7.4):
    /// the connection ends without an error for the app.
    fn delete_tcb(&mut self) {
        self.clear_timers();
        self.set_state(State::Closed);
    }

    /// Connection failed with `e`: tell the app, go to CLOSED (RFC 9293 3.10.7).
    fn fail(&mut self, e: SockError) {
        self.error = Some(e);
        self.failed = true;
        self.clear_timers();
        self.fin_queued = false;
        self.send_buf = SendBuffer::default();
        self.set_state(State::Closed);
    }

    fn push_tx(&mut self, seg: Segment, retransmission: bool) {
        self.tx_pushed += 1;
        self.tx.push_back(Transmit {
            seg,
            retransmission,
        });
    }
}

impl Endpoint {
    /// The shift we apply to the windows we advertise (RFC 7323 2.3).
    pub fn rcv_wscale(&self) -> u8 {
        self.rcv_wscale
    }
    /// The shift the peer applies to the windows it advertises.
    pub fn snd_wscale(&self) -> u8 {
        self.snd_wscale
    }
    /// The effective send MSS.
    pub fn smss(&self) -> u32 {
        self.smss
    }
    /// The app has closed this socket (it will not read again).
    pub fn app_closed(&self) -> bool {
        self.app_closed
    }
    /// Is a LISTEN endpoint, or one that came from LISTEN (passive open).
    pub fn passive(&self) -> bool {
        !self.active_open
    }
}

/// The sequence variables of RFC 9293 3.3.1, read-only, for a user interface
/// that shows them (`synack step`).
impl Endpoint {
    /// SND.UNA: the oldest unacknowledged sequence number.
    pub fn snd_una(&self) -> SeqNum {
        self.snd_una
    }
    /// SND.NXT: the next sequence number to send (rolled back to SND.UNA by
    /// a retransmission timeout).
    pub fn snd_nxt(&self) -> SeqNum {
        self.snd_nxt
    }
    /// SND.WND: the peer's window, in bytes (scaled).
    pub fn snd_wnd(&self) -> u32 {
        self.snd_wnd
    }
    /// RCV.NXT: the next sequence number expected from the peer.
    pub fn rcv_nxt(&self) -> SeqNum {
        self.rcv_nxt
    }
    /// RCV.WND as last advertised, in bytes: the right edge minus RCV.NXT.
    pub fn rcv_window(&self) -> u32 {
        self.rcv_wnd()
    }
}
