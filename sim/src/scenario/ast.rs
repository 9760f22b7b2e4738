//! The parsed form of a scenario (`*.tcp`), the language of
//! docs/scenario-language.md.

use crate::profile::ProfileName;
use crate::state::State;
use crate::transcript::{Dir, Side};

/// A whole scenario: settings, then steps in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Built-in name or file name, for messages.
    pub source: String,
    pub settings: Settings,
    pub steps: Vec<Step>,
}

/// Settings, with the defaults of docs/scenario-language.md ("Settings").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `profile rfc|linux` (default rfc).
    pub profile: ProfileName,
    /// `rtt 20ms`: round-trip time of the link, microseconds (default 20 ms).
    pub rtt_us: u64,
    /// `mss 1460` (default 1460).
    pub mss: u16,
    /// `seed 7` (default 0).
    pub seed: u64,
    /// `isn client N`, `isn server N`, indexed by `Side::index()`.
    pub isn: [Option<u32>; 2],
    /// Where each `isn` statement is (line, column), for messages.
    pub isn_at: [Option<(u32, u32)>; 2],
    /// `port client N` (default 49152).
    pub client_port: u16,
    /// `drop|duplicate|delay ...` rules, in file order (first non-pass wins).
    pub faults: Vec<FaultRule>,
    /// `loss <dir> P%`.
    pub losses: Vec<LossRule>,
    /// `transport tcp|udp` (default tcp): which socket the sides have.
    pub transport: Transport,
    /// Where the `transport` statement is (line, column), for messages.
    pub transport_at: Option<(u32, u32)>,
}

/// `transport tcp|udp`: a connection, or datagrams (docs/udp.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Transport {
    #[default]
    Tcp,
    Udp,
}

impl Transport {
    pub const fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            profile: ProfileName::Rfc,
            rtt_us: 20_000,
            mss: 1460,
            seed: 0,
            isn: [None, None],
            isn_at: [None, None],
            client_port: 49152,
            faults: Vec::new(),
            losses: Vec::new(),
            transport: Transport::Tcp,
            transport_at: None,
        }
    }
}

/// What a fault rule does to the segments it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultAction {
    Drop,
    Duplicate,
    /// Extra one-way delay, microseconds.
    Delay(u64),
}

/// Which segments a fault rule counts (docs/scenario-language.md, "Kinds and
/// how `#n` counts").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SegKind {
    /// SYN alone (no ACK).
    Syn,
    /// SYN with ACK.
    SynAck,
    /// ACK alone: no payload, no SYN/FIN/RST.
    Ack,
    /// Payload > 0.
    Data,
    /// FIN set.
    Fin,
    /// RST set.
    Rst,
    Any,
}

impl SegKind {
    pub const fn name(self) -> &'static str {
        match self {
            SegKind::Syn => "syn",
            SegKind::SynAck => "syn-ack",
            SegKind::Ack => "ack",
            SegKind::Data => "data",
            SegKind::Fin => "fin",
            SegKind::Rst => "rst",
            SegKind::Any => "any",
        }
    }
    pub fn parse(s: &str) -> Option<SegKind> {
        [
            SegKind::Syn,
            SegKind::SynAck,
            SegKind::Ack,
            SegKind::Data,
            SegKind::Fin,
            SegKind::Rst,
            SegKind::Any,
        ]
        .into_iter()
        .find(|k| k.name() == s)
    }
}

/// `drop client->server data #1,#3`, `delay server->client ack #2 300ms`, ...
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRule {
    /// 1-based line in the scenario, for messages.
    pub line: u32,
    pub action: FaultAction,
    pub dir: Dir,
    pub kind: SegKind,
    /// 1-based ordinals of the matching segments (of that kind, in that
    /// direction, retransmissions included).
    pub nth: Vec<u32>,
}

/// `loss client->server 1%`: random loss drawn from the seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LossRule {
    pub line: u32,
    pub dir: Dir,
    /// Probability in parts per million (1% = 10_000).
    pub ppm: u32,
}

pub use crate::calls::{RecvMax, SendData};

/// One action of a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Listen {
        side: Side,
        port: u16,
    },
    /// `connect [PORT]`; `None`: the peer's listening port, else 9999.
    Connect {
        side: Side,
        port: Option<u16>,
    },
    Accept {
        side: Side,
    },
    Send {
        side: Side,
        data: SendData,
    },
    Recv {
        side: Side,
        max: RecvMax,
    },
    Shutdown {
        side: Side,
    },
    Close {
        side: Side,
    },
    Abort {
        side: Side,
    },
    /// UDP (`transport udp`): `bind PORT`.
    Bind {
        side: Side,
        port: u16,
    },
    /// `wait 5s`, microseconds.
    Wait {
        us: u64,
    },
    /// `wait until client CLOSED [max 2min]`: lets time pass until the
    /// endpoint enters the state, at most `max_us` (default 10 min).
    WaitUntil {
        side: Side,
        state: State,
        max_us: u64,
    },
    Expect {
        side: Side,
        state: State,
    },
    /// `inject DIR FLAGS [seq=V] [ack=V] [win=N] [len=N | "text"]`: a forged
    /// segment delivered at once (docs/scenario-language.md, "inject").
    Inject(Inject),
}

/// A sequence or acknowledgment number of an `inject` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeqValue {
    /// `+N` / `-N`: an offset from the default (SND.NXT or RCV.NXT).
    Offset(i64),
    /// A plain number: relative to the ISN (the pretended sender's for
    /// `seq`, the receiver's for `ack`), or absolute where the pretended
    /// sender never had a connection.
    Plain(u32),
}

/// The payload of an `inject` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InjectPayload {
    None,
    /// `len=N`: N bytes of the `send N bytes` pattern.
    Len(u32),
    /// `"text"`.
    Text(Vec<u8>),
}

/// A forged segment: as if the sender of `dir` had sent it, without
/// changing that sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inject {
    pub dir: Dir,
    pub flags: crate::segment::Flags,
    pub seq: Option<SeqValue>,
    pub ack: Option<SeqValue>,
    /// The window in bytes (scaled down by the sender's shift on the wire).
    pub win: Option<u32>,
    pub payload: InjectPayload,
    /// Column of `inject`, and of `seq=` / `ack=` where given (for errors
    /// that only the run can find).
    pub col: u32,
    pub seq_col: Option<u32>,
    pub ack_col: Option<u32>,
}

/// How an `inject` line's numbers and payload resolve, the same in the
/// simulator (world/inject.rs) and on the real kernel (`synack real`'s
/// forger), so that one scenario forges the same segment in both.
impl Inject {
    /// `default + offset`, or `isn + plain`, or `plain` itself where the
    /// sender never had a connection (`absolute`).
    pub fn resolve(
        v: Option<SeqValue>,
        default: crate::seq::SeqNum,
        isn: crate::seq::SeqNum,
        absolute: bool,
    ) -> crate::seq::SeqNum {
        match v {
            None => default,
            Some(SeqValue::Offset(n)) if n >= 0 => default + u32::try_from(n).unwrap_or(u32::MAX),
            Some(SeqValue::Offset(n)) => {
                default - u32::try_from(n.unsigned_abs()).unwrap_or(u32::MAX)
            }
            Some(SeqValue::Plain(n)) if absolute => crate::seq::SeqNum(n),
            Some(SeqValue::Plain(n)) => isn + n,
        }
    }

    /// For a sender with no numbers (`why` it has none: "is in LISTEN",
    /// ...): the error when `seq=` (or, with ACK, `ack=`) is not an absolute
    /// number, at line `line` of `file`.
    pub fn needs_absolute(
        &self,
        from: Side,
        why: &str,
        file: &str,
        line: u32,
    ) -> Option<crate::scenario::ScenarioError> {
        let (field, col) = if !matches!(self.seq, Some(SeqValue::Plain(_))) {
            ("seq", self.seq_col)
        } else if self.flags.ack() && !matches!(self.ack, Some(SeqValue::Plain(_))) {
            ("ack", self.ack_col)
        } else {
            return None;
        };
        Some(crate::scenario::ScenarioError {
            file: file.to_string(),
            line,
            col: col.unwrap_or(self.col),
            message: format!(
                "the {from} {why}, so it has no {field} to default to or offset from; give {field}= as an absolute 32-bit number, like {field}=1000"
            ),
        })
    }

    /// The payload: none, the text, or `len` bytes of the `send N bytes`
    /// pattern.
    pub fn payload(&self) -> crate::payload::Payload {
        match &self.payload {
            InjectPayload::None => crate::payload::Payload::EMPTY,
            InjectPayload::Text(b) => crate::payload::Payload::from(b.clone()),
            InjectPayload::Len(n) => crate::payload::Payload::Pattern {
                start: 0,
                len: u64::from(*n),
            },
        }
    }
}

impl Action {
    /// The endpoint that makes this socket call (`None` for `wait`, `expect`
    /// and `inject`).
    pub fn caller(&self) -> Option<Side> {
        match *self {
            Action::Listen { side, .. }
            | Action::Connect { side, .. }
            | Action::Accept { side }
            | Action::Send { side, .. }
            | Action::Recv { side, .. }
            | Action::Shutdown { side }
            | Action::Close { side }
            | Action::Abort { side }
            | Action::Bind { side, .. } => Some(side),
            Action::Wait { .. }
            | Action::WaitUntil { .. }
            | Action::Expect { .. }
            | Action::Inject(_) => None,
        }
    }
}

/// One line of actions; several when joined with `&` (same instant).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// 1-based line number.
    pub line: u32,
    /// The line's text, trimmed, without its comment (for transcripts).
    pub text: String,
    pub actions: Vec<Action>,
}
