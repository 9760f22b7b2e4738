//! The transcript model: what happened, when, in one type shared by the
//! simulator and the capture path (docs/transcript-json.md).
//!
//! Producers (the simulated world, the observer of a capture) push
//! [`Event`]s into a [`Sink`] as they happen; renderers implement `Sink`, so a
//! transcript is streamed, never kept whole in memory. Events borrow (payload,
//! strings) so the hot path does not allocate; [`Recorder`] keeps owned copies
//! for tests and for side-by-side alignment.

use crate::calls::{Call, CallResult};
use crate::segment::TcpHeader;
use crate::state::State;
use std::fmt;
use std::net::SocketAddr;

/// One of the two endpoints of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    Client,
    Server,
}

impl Side {
    pub const fn name(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
    pub const fn peer(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
    pub const fn index(self) -> usize {
        self as usize
    }
    /// The direction of segments this side sends.
    pub const fn dir(self) -> Dir {
        match self {
            Side::Client => Dir::ClientToServer,
            Side::Server => Dir::ServerToClient,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// The direction a segment travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dir {
    ClientToServer,
    ServerToClient,
}

impl Dir {
    pub const fn name(self) -> &'static str {
        match self {
            Dir::ClientToServer => "client->server",
            Dir::ServerToClient => "server->client",
        }
    }
    pub const fn sender(self) -> Side {
        match self {
            Dir::ClientToServer => Side::Client,
            Dir::ServerToClient => Side::Server,
        }
    }
    pub const fn receiver(self) -> Side {
        self.sender().peer()
    }
    pub const fn reverse(self) -> Dir {
        match self {
            Dir::ClientToServer => Dir::ServerToClient,
            Dir::ServerToClient => Dir::ClientToServer,
        }
    }
}

impl fmt::Display for Dir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// What became of a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fate {
    /// Simulator: the link delivered it.
    Delivered,
    /// Simulator: a fault rule or random loss dropped it.
    Dropped,
    /// Simulator: the link delivered it twice.
    Duplicated,
    /// Real traffic: seen on the wire.
    Captured,
    /// A forged segment of an `inject` statement: handed to the receiver at
    /// once, no link delay, no fault rule (docs/scenario-language.md).
    Injected,
}

impl Fate {
    pub const fn name(self) -> &'static str {
        match self {
            Fate::Delivered => "delivered",
            Fate::Dropped => "dropped",
            Fate::Duplicated => "duplicated",
            Fate::Captured => "captured",
            Fate::Injected => "injected",
        }
    }
}

/// One of Wireshark's `tcp.analysis.*` flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum AnalysisFlag {
    Retransmission,
    FastRetransmission,
    SpuriousRetransmission,
    OutOfOrder,
    LostSegment,
    AckLostSegment,
    DuplicateAck,
    ZeroWindow,
    ZeroWindowProbe,
    ZeroWindowProbeAck,
    WindowFull,
    WindowUpdate,
    KeepAlive,
    KeepAliveAck,
    ReusedPorts,
}

impl AnalysisFlag {
    pub const ALL: [AnalysisFlag; 15] = [
        AnalysisFlag::Retransmission,
        AnalysisFlag::FastRetransmission,
        AnalysisFlag::SpuriousRetransmission,
        AnalysisFlag::OutOfOrder,
        AnalysisFlag::LostSegment,
        AnalysisFlag::AckLostSegment,
        AnalysisFlag::DuplicateAck,
        AnalysisFlag::ZeroWindow,
        AnalysisFlag::ZeroWindowProbe,
        AnalysisFlag::ZeroWindowProbeAck,
        AnalysisFlag::WindowFull,
        AnalysisFlag::WindowUpdate,
        AnalysisFlag::KeepAlive,
        AnalysisFlag::KeepAliveAck,
        AnalysisFlag::ReusedPorts,
    ];

    /// Wireshark's field name after `tcp.analysis.`.
    pub const fn name(self) -> &'static str {
        match self {
            AnalysisFlag::Retransmission => "retransmission",
            AnalysisFlag::FastRetransmission => "fast_retransmission",
            AnalysisFlag::SpuriousRetransmission => "spurious_retransmission",
            AnalysisFlag::OutOfOrder => "out_of_order",
            AnalysisFlag::LostSegment => "lost_segment",
            AnalysisFlag::AckLostSegment => "ack_lost_segment",
            AnalysisFlag::DuplicateAck => "duplicate_ack",
            AnalysisFlag::ZeroWindow => "zero_window",
            AnalysisFlag::ZeroWindowProbe => "zero_window_probe",
            AnalysisFlag::ZeroWindowProbeAck => "zero_window_probe_ack",
            AnalysisFlag::WindowFull => "window_full",
            AnalysisFlag::WindowUpdate => "window_update",
            AnalysisFlag::KeepAlive => "keep_alive",
            AnalysisFlag::KeepAliveAck => "keep_alive_ack",
            AnalysisFlag::ReusedPorts => "reused_ports",
        }
    }

    /// The words a reader sees in a text transcript (Wireshark's expert info).
    pub const fn words(self) -> &'static str {
        match self {
            AnalysisFlag::Retransmission => "retransmission",
            AnalysisFlag::FastRetransmission => "fast retransmission",
            AnalysisFlag::SpuriousRetransmission => "spurious retransmission",
            AnalysisFlag::OutOfOrder => "out of order",
            AnalysisFlag::LostSegment => "previous segment not captured",
            AnalysisFlag::AckLostSegment => "ACKed unseen segment",
            AnalysisFlag::DuplicateAck => "duplicate ACK",
            AnalysisFlag::ZeroWindow => "zero window",
            AnalysisFlag::ZeroWindowProbe => "zero window probe",
            AnalysisFlag::ZeroWindowProbeAck => "zero window probe ACK",
            AnalysisFlag::WindowFull => "window full",
            AnalysisFlag::WindowUpdate => "window update",
            AnalysisFlag::KeepAlive => "keep-alive",
            AnalysisFlag::KeepAliveAck => "keep-alive ACK",
            AnalysisFlag::ReusedPorts => "ports reused",
        }
    }

    pub fn parse(name: &str) -> Option<AnalysisFlag> {
        AnalysisFlag::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// A set of [`AnalysisFlag`]s; iterates in the contract's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Analysis(pub u16);

impl Analysis {
    pub const NONE: Analysis = Analysis(0);
    pub fn insert(&mut self, f: AnalysisFlag) {
        self.0 |= 1 << f as u8;
    }
    pub fn remove(&mut self, f: AnalysisFlag) {
        self.0 &= !(1 << f as u8);
    }
    pub const fn contains(self, f: AnalysisFlag) -> bool {
        self.0 & (1 << f as u8) != 0
    }
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = AnalysisFlag> {
        AnalysisFlag::ALL
            .into_iter()
            .filter(move |f| self.contains(*f))
    }
    pub fn with(mut self, f: AnalysisFlag) -> Analysis {
        self.insert(f);
        self
    }
}

/// A timer of an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimerKind {
    Retransmit,
    TimeWait,
    Persist,
    DelayedAck,
    /// Linux's tail loss probe (RFC 8985 7), in the linux profile.
    LossProbe,
}

impl TimerKind {
    pub const ALL: [TimerKind; 5] = [
        TimerKind::Retransmit,
        TimerKind::TimeWait,
        TimerKind::Persist,
        TimerKind::DelayedAck,
        TimerKind::LossProbe,
    ];
    pub const fn name(self) -> &'static str {
        match self {
            TimerKind::Retransmit => "retransmit",
            TimerKind::TimeWait => "time-wait",
            TimerKind::Persist => "persist",
            TimerKind::DelayedAck => "delayed-ack",
            TimerKind::LossProbe => "loss-probe",
        }
    }
}

impl fmt::Display for TimerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// Who says an endpoint changed state (JSON `source`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StateSource {
    /// The simulator's own endpoint.
    Sim,
    /// Inferred by the observer from the segments on the wire.
    Wire,
    /// Reported by the kernel itself (`synack real`).
    Kernel,
}

impl StateSource {
    pub const fn name(self) -> &'static str {
        match self {
            StateSource::Sim => "sim",
            StateSource::Wire => "wire",
            StateSource::Kernel => "kernel",
        }
    }
}

/// What the observer infers beyond states, for a note.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WireNote {
    /// The capture starts after the handshake: both sides assumed ESTABLISHED.
    MidConnection,
    /// The capture starts at the SYN-ACK: the client assumed SYN-SENT.
    SynMissed,
    /// The SYN was answered with RST: nobody listened.
    Refused,
    /// A RST from this side reset the connection.
    ResetBy(Side),
}

/// A remark in a transcript: not a protocol event, but something its reader
/// should know (JSON kind `note`). Typed, so that the words live in the
/// renderers alone.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Note {
    /// `wait D` begins.
    Wait { us: u64 },
    /// `wait until SIDE STATE [max D]` begins.
    WaitUntil {
        side: Side,
        state: State,
        max_us: u64,
    },
    /// A `wait until` (scenario line `line`) whose state did not come
    /// within `max_us`; `actual` is the state at the end.
    WaitUntilFailed {
        line: u32,
        side: Side,
        state: State,
        actual: State,
        max_us: u64,
    },
    /// `expect SIDE STATE` (scenario line `line`): it holds when `actual == expected`.
    Expect {
        line: u32,
        side: Side,
        expected: State,
        actual: State,
    },
    /// The run ended with `side` in TIME-WAIT until `until_us`; TIME-WAIT
    /// lasts `length_us`: 2*MSL (RFC 9293 3.3.2) in the rfc profile, Linux's
    /// fixed `TCP_TIMEWAIT_LEN` (60 s) in the linux profile.
    TimeWaitRemains {
        side: Side,
        until_us: u64,
        length_us: u64,
    },
    /// The run stopped `after_us` after the last step with the connection still busy.
    StoppedBusy { after_us: u64 },
    /// What the observer inferred from the wire.
    Wire(WireNote),
    /// Real run: the kernel handed `side`'s connection to a TIME-WAIT
    /// mini-socket, so its full socket went to CLOSED before TIME-WAIT.
    KernelTimeWait { side: Side },
    /// Real run: the states the wire shows for `side` and the kernel's
    /// differ here: a state only one of them has (`None` on the other), or
    /// two different states in the same place.
    WireDisagrees {
        side: Side,
        wire: Option<State>,
        kernel: Option<State>,
    },
    /// Real run: the kernel reported that `side` retransmitted
    /// (`tcp:tcp_retransmit_skb`, or `tcp:tcp_retransmit_synack` for a
    /// request socket's SYN-ACK), confirming the wire's retransmission;
    /// the socket's RTO and congestion window just after it, from its
    /// `TCP_INFO` (through inet_diag), where the socket was still there.
    KernelRetransmit {
        side: Side,
        rto_us: Option<u64>,
        cwnd: Option<u32>,
    },
    /// Real run: a retransmission only one source has: the wire shows
    /// `side` retransmitting where the kernel reported none (`on_wire`), or
    /// the kernel reported one the wire does not show as a retransmission.
    RetransmitUnconfirmed { side: Side, on_wire: bool },
    /// Real run: the kernel's states are read by polling inet_diag, which
    /// misses states shorter than a poll.
    PolledStates,
    /// Real run: a call still blocked after `after_us` stopped the run.
    CallTooLong { side: Side, after_us: u64 },
    /// Real run: Ctrl-C stopped it.
    Interrupted,
    /// `side` has no connection on `port` (it closed or aborted), so it
    /// answers the peer's segment with these `flags` with a RST (RFC 9293
    /// 3.10.7.1): the reason for a RST nobody called for.
    ClosedPortReset {
        side: Side,
        port: u16,
        flags: crate::segment::Flags,
    },
    /// `side` has no connection on `port` and drops the peer's RST that
    /// arrived there: a RST is never answered (RFC 9293 3.10.7.1).
    ResetDropped { side: Side, port: u16 },
    /// `side` received data and delays its ACK, up to `max_us` (RFC 1122
    /// 4.2.3.2; Linux `TCP_DELACK_MIN`): the first time, so a missing ACK
    /// is not misread as a lost one.
    DelayedAck { side: Side, max_us: u64 },
    /// `side`'s recv read the data whose ACK it was delaying, and the
    /// window update the read sent carried that ACK at once (RFC 9293
    /// 3.8.6.2.2): the first time, since the delayed-ACK note seems to say
    /// otherwise.
    AckedOnRead { side: Side },
    /// `side`'s persist timer sent `bytes` of data, more than a probe's
    /// byte: less than a full segment, which sender SWS avoidance (RFC 9293
    /// 3.8.6.2.1) held back until this override timeout. The first time.
    PersistForcesOut { side: Side, bytes: u64 },
    /// Nagle's algorithm (RFC 9293 3.7.4) holds `held` bytes `side` just
    /// sent (less than a full segment) until its `unacked` bytes in flight
    /// are acknowledged.
    NagleHolds { side: Side, held: u64, unacked: u32 },
    /// The linux profile: `side`'s SYN timed out in SYN-SENT and its first
    /// `count` SYN retransmissions keep the initial RTO (Linux
    /// `tcp_syn_linear_timeouts`, since 6.5) where RFC 6298 5.5 doubles it.
    LinearSynTimeouts { side: Side, count: u32 },
    /// A footnote to a word of Wireshark's analysis that students misread,
    /// told once per connection: `side` sent the segment it is about.
    Footnote { side: Side, footnote: Footnote },
    /// Text from outside the core, e.g. a capture record that could not be read.
    Text(String),
}

/// A word of Wireshark's analysis that is explained in a footnote the first
/// time a connection shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Footnote {
    /// `[keep-alive]`: Wireshark's name for any segment of at most one byte
    /// just below the next sequence number, a 1-byte retransmission too.
    KeepAlive,
    /// `[zero-window probe]`: its payload byte is the next byte of the
    /// stream (RFC 9293 3.8.6.1), not a marker meaning "probe".
    ProbeByte,
}

/// Which footnotes a connection has told already.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footnotes(u8);

impl Footnotes {
    /// The footnote a segment with this analysis calls for, if it has not
    /// been told on this connection yet (then it counts as told).
    pub fn take(&mut self, analysis: Analysis) -> Option<Footnote> {
        let (footnote, bit) = if analysis.contains(AnalysisFlag::ZeroWindowProbe) {
            (Footnote::ProbeByte, 1)
        } else if analysis.contains(AnalysisFlag::KeepAlive) {
            (Footnote::KeepAlive, 2)
        } else {
            return None;
        };
        if self.0 & bit != 0 {
            return None;
        }
        self.0 |= bit;
        Some(footnote)
    }
}

impl Note {
    /// The endpoint the note is about, when it is about one.
    pub fn endpoint(&self) -> Option<Side> {
        match *self {
            Note::WaitUntil { side, .. }
            | Note::WaitUntilFailed { side, .. }
            | Note::Expect { side, .. }
            | Note::TimeWaitRemains { side, .. }
            | Note::KernelTimeWait { side }
            | Note::WireDisagrees { side, .. }
            | Note::KernelRetransmit { side, .. }
            | Note::RetransmitUnconfirmed { side, .. }
            | Note::CallTooLong { side, .. }
            | Note::ClosedPortReset { side, .. }
            | Note::ResetDropped { side, .. }
            | Note::Footnote { side, .. }
            | Note::LinearSynTimeouts { side, .. }
            | Note::NagleHolds { side, .. }
            | Note::DelayedAck { side, .. }
            | Note::AckedOnRead { side }
            | Note::PersistForcesOut { side, .. }
            | Note::Wire(WireNote::ResetBy(side)) => Some(side),
            _ => None,
        }
    }
}

/// A segment as the transcript shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentEvent<'a> {
    /// 1-based, in the order segments were sent (or captured) in this run:
    /// the handle `step` and `compare` use.
    pub id: u64,
    pub dir: Dir,
    pub hdr: TcpHeader,
    /// `seq` relative to the sender's ISN (Wireshark's relative sequence number).
    pub rel_seq: u32,
    /// `ack` relative to the receiver's ISN; `None` when ACK is clear.
    pub rel_ack: Option<u32>,
    /// The window in bytes after window scaling, when the scale is known.
    pub win_bytes: u32,
    pub fate: Fate,
    pub analysis: Analysis,
    /// 1-based record number in a capture.
    pub frame: Option<u64>,
    /// When the segment reaches (or, dropped, would have reached) its
    /// receiver, microseconds, where the producer knows it (the simulator's
    /// link, the real run's link); `None` for a capture. For ladder diagrams;
    /// not in JSON.
    pub arrives_us: Option<u64>,
    /// The payload bytes, when the producer has them (may be cut short in captures).
    pub payload: &'a [u8],
}

/// A UDP datagram as the transcript shows it (JSON kind `datagram`): the
/// UDP socket of `transport udp` scenarios (docs/udp.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DatagramEvent<'a> {
    /// 1-based, in the order datagrams were sent in this run.
    pub id: u64,
    pub dir: Dir,
    pub src_port: u16,
    pub dst_port: u16,
    /// Payload bytes.
    pub len: u32,
    /// Delivered, dropped or duplicated by the link.
    pub fate: Fate,
    /// When it reaches (or, dropped, would have reached) its receiver.
    pub arrives_us: Option<u64>,
    pub payload: &'a [u8],
}

/// What an event says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind<'a> {
    Segment(SegmentEvent<'a>),
    /// A UDP datagram (docs/udp.md); never in a TCP run.
    Datagram(DatagramEvent<'a>),
    State {
        endpoint: Side,
        from: State,
        to: State,
        source: StateSource,
    },
    App {
        endpoint: Side,
        call: &'a Call,
        result: &'a CallResult,
    },
    Timer {
        endpoint: Side,
        timer: TimerKind,
        /// How long the timer ran before it fired.
        after_us: u64,
        /// The retransmission timeout, for the retransmit and persist timers.
        rto_us: Option<u64>,
    },
    Note(&'a Note),
}

/// One line of a transcript.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event<'a> {
    /// Microseconds since the start of the run or capture.
    pub t_us: u64,
    /// Connection id in captures (1-based); `None` in the simulator.
    pub conn: Option<u32>,
    pub kind: EventKind<'a>,
}

/// The addresses of a connection, for renderers that show them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnInfo {
    /// The connection id in captures; `None` in the simulator.
    pub conn: Option<u32>,
    pub client: SocketAddr,
    pub server: SocketAddr,
}

/// Where a transcript goes. Renderers implement it; producers push into it.
pub trait Sink {
    /// Called once before the first event of a connection.
    fn begin_conn(&mut self, _info: &ConnInfo) -> std::io::Result<()> {
        Ok(())
    }
    fn event(&mut self, ev: &Event<'_>) -> std::io::Result<()>;
    /// Called once after the last event.
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    /// Pushes buffered output out now (live capture shows each segment as it arrives).
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    /// False when the sink would throw every event away (e.g. [`Discard`]):
    /// a producer may then skip building events and calling `begin_conn` and
    /// `event` (the observer still infers states and counts; `finish` is
    /// still called). Asked once per packet, so it must be cheap.
    fn wants_events(&self) -> bool {
        true
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    fn begin_conn(&mut self, info: &ConnInfo) -> std::io::Result<()> {
        (**self).begin_conn(info)
    }
    fn event(&mut self, ev: &Event<'_>) -> std::io::Result<()> {
        (**self).event(ev)
    }
    fn finish(&mut self) -> std::io::Result<()> {
        (**self).finish()
    }
    fn flush(&mut self) -> std::io::Result<()> {
        (**self).flush()
    }
    fn wants_events(&self) -> bool {
        (**self).wants_events()
    }
}

/// An owned copy of an [`Event`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedEvent {
    pub t_us: u64,
    pub conn: Option<u32>,
    pub kind: OwnedKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnedKind {
    Segment {
        seg: SegmentEvent<'static>,
        payload: Vec<u8>,
    },
    Datagram {
        dg: DatagramEvent<'static>,
        payload: Vec<u8>,
    },
    State {
        endpoint: Side,
        from: State,
        to: State,
        source: StateSource,
    },
    App {
        endpoint: Side,
        call: Call,
        result: CallResult,
    },
    Timer {
        endpoint: Side,
        timer: TimerKind,
        after_us: u64,
        rto_us: Option<u64>,
    },
    Note(Note),
}

impl OwnedEvent {
    pub fn from_event(ev: &Event<'_>) -> OwnedEvent {
        let kind = match ev.kind {
            EventKind::Segment(s) => OwnedKind::Segment {
                seg: SegmentEvent { payload: &[], ..s },
                payload: s.payload.to_vec(),
            },
            EventKind::Datagram(d) => OwnedKind::Datagram {
                dg: DatagramEvent { payload: &[], ..d },
                payload: d.payload.to_vec(),
            },
            EventKind::State {
                endpoint,
                from,
                to,
                source,
            } => OwnedKind::State {
                endpoint,
                from,
                to,
                source,
            },
            EventKind::App {
                endpoint,
                call,
                result,
            } => OwnedKind::App {
                endpoint,
                call: call.clone(),
                result: result.clone(),
            },
            EventKind::Timer {
                endpoint,
                timer,
                after_us,
                rto_us,
            } => OwnedKind::Timer {
                endpoint,
                timer,
                after_us,
                rto_us,
            },
            EventKind::Note(note) => OwnedKind::Note(note.clone()),
        };
        OwnedEvent {
            t_us: ev.t_us,
            conn: ev.conn,
            kind,
        }
    }

    /// Borrows this event back as an [`Event`], to feed a renderer.
    pub fn as_event(&self) -> Event<'_> {
        let kind = match &self.kind {
            OwnedKind::Segment { seg, payload } => EventKind::Segment(SegmentEvent {
                payload: payload.as_slice(),
                ..*seg
            }),
            OwnedKind::Datagram { dg, payload } => EventKind::Datagram(DatagramEvent {
                payload: payload.as_slice(),
                ..*dg
            }),
            OwnedKind::State {
                endpoint,
                from,
                to,
                source,
            } => EventKind::State {
                endpoint: *endpoint,
                from: *from,
                to: *to,
                source: *source,
            },
            OwnedKind::App {
                endpoint,
                call,
                result,
            } => EventKind::App {
                endpoint: *endpoint,
                call,
                result,
            },
            OwnedKind::Timer {
                endpoint,
                timer,
                after_us,
                rto_us,
            } => EventKind::Timer {
                endpoint: *endpoint,
                timer: *timer,
                after_us: *after_us,
                rto_us: *rto_us,
            },
            OwnedKind::Note(note) => EventKind::Note(note),
        };
        Event {
            t_us: self.t_us,
            conn: self.conn,
            kind,
        }
    }
}

/// A sink that keeps every event: for tests and for side-by-side alignment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recorder {
    pub conns: Vec<ConnInfo>,
    pub events: Vec<OwnedEvent>,
}

impl Sink for Recorder {
    fn begin_conn(&mut self, info: &ConnInfo) -> std::io::Result<()> {
        self.conns.push(*info);
        Ok(())
    }
    fn event(&mut self, ev: &Event<'_>) -> std::io::Result<()> {
        self.events.push(OwnedEvent::from_event(ev));
        Ok(())
    }
}

/// A sink that discards everything (for benchmarks and `--summary`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Discard;

impl Sink for Discard {
    fn event(&mut self, _ev: &Event<'_>) -> std::io::Result<()> {
        Ok(())
    }
    fn wants_events(&self) -> bool {
        false
    }
}
