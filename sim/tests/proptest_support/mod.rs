//! Random scenarios for the simulator's property tests: sends from both
//! sides, an ending (half-close in either order, or both at once), fault
//! rules and random loss, both profiles, any seed and ISNs. The scenario AST
//! is built directly (no parser), and each case knows the byte streams its
//! two apps write, so a run can be checked against them.
#![allow(dead_code)]

use crate::common::{scenario, Accept, Close, Connect, Listen, Recv, Send, Shutdown, Wait};
use proptest::prelude::*;
use synack_sim::endpoint::{pattern_byte, ReadDigest};
use synack_sim::profile::ProfileName;
use synack_sim::scenario::{
    Action, FaultAction, FaultRule, LossRule, RecvMax, Scenario, SegKind, SendData, Settings,
};
use synack_sim::{Dir, Side};

/// What one `send` writes.
#[derive(Clone, Debug)]
pub enum Payload {
    Text(Vec<u8>),
    /// `send N bytes`: the alphabet pattern, by stream offset.
    Pattern(u64),
}

/// One step before the ending: a send, or virtual time passing.
#[derive(Clone, Debug)]
pub enum Op {
    Send(Side, Payload),
    Wait(u64),
}

/// How the connection ends.
#[derive(Clone, Copy, Debug)]
pub enum Ending {
    /// The client half-closes first; the server reads to the end, may send
    /// more (`extra`), then closes.
    ClientFirst,
    /// The same with the roles swapped.
    ServerFirst,
    /// `client shutdown & server shutdown` at the same instant.
    Together,
}

#[derive(Clone, Debug)]
pub struct Case {
    pub profile: ProfileName,
    pub seed: u64,
    pub isn: [Option<u32>; 2],
    pub rtt_us: u64,
    pub mss: u16,
    pub ops: Vec<Op>,
    pub ending: Ending,
    /// Sent by the side that half-closes second, after the first side's FIN.
    pub extra: Vec<Payload>,
    pub faults: Vec<FaultRule>,
    pub losses: Vec<LossRule>,
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Client), Just(Side::Server)]
}

fn dir() -> impl Strategy<Value = Dir> {
    prop_oneof![Just(Dir::ClientToServer), Just(Dir::ServerToClient)]
}

pub fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        3 => proptest::collection::vec(any::<u8>(), 0..300).prop_map(Payload::Text),
        2 => (0u64..100_000).prop_map(Payload::Pattern),
        1 => (0u64..3_000).prop_map(Payload::Pattern),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (side(), payload()).prop_map(|(s, p)| Op::Send(s, p)),
        1 => (0u64..3_000_000).prop_map(Op::Wait),
    ]
}

fn ending() -> impl Strategy<Value = Ending> {
    prop_oneof![
        Just(Ending::ClientFirst),
        Just(Ending::ServerFirst),
        Just(Ending::Together)
    ]
}

fn kind() -> impl Strategy<Value = SegKind> {
    prop_oneof![
        Just(SegKind::Syn),
        Just(SegKind::SynAck),
        Just(SegKind::Ack),
        Just(SegKind::Data),
        Just(SegKind::Fin),
        Just(SegKind::Rst),
        Just(SegKind::Any),
    ]
}

fn fault_action() -> impl Strategy<Value = FaultAction> {
    prop_oneof![
        Just(FaultAction::Drop),
        Just(FaultAction::Duplicate),
        (1_000u64..3_000_000).prop_map(FaultAction::Delay),
    ]
}

/// A fault rule. Ordinals stay small (#1..#4, at most two per rule, at most
/// three rules) so that a case cannot drop the same segment more often than
/// a profile retries (6 SYN retries for linux): the property is about
/// recovery, not about giving up.
fn fault() -> impl Strategy<Value = FaultRule> {
    (
        fault_action(),
        dir(),
        kind(),
        proptest::collection::btree_set(1u32..=4, 1..=2),
    )
        .prop_map(|(action, dir, kind, nth)| FaultRule {
            line: 1,
            action,
            dir,
            kind,
            nth: nth.into_iter().collect(),
        })
}

fn loss() -> impl Strategy<Value = LossRule> {
    (dir(), 0u32..=50_000).prop_map(|(dir, ppm)| LossRule { line: 1, dir, ppm })
}

/// ISNs anywhere, and often within 2^16 of 2^32 (wraparound).
pub fn isn() -> impl Strategy<Value = u32> {
    prop_oneof![
        any::<u32>(),
        (0u32..65_536).prop_map(|d| u32::MAX - d),
        Just(0u32),
    ]
}

pub fn case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![Just(ProfileName::Rfc), Just(ProfileName::Linux)],
        any::<u64>(),
        (proptest::option::of(isn()), proptest::option::of(isn())),
        prop_oneof![Just(1_000u64), 2_000u64..200_000],
        prop_oneof![Just(1460u16), Just(536u16), 600u16..1460],
        proptest::collection::vec(op(), 0..6),
        ending(),
        proptest::collection::vec(payload(), 0..3),
        proptest::collection::vec(fault(), 0..=3),
        proptest::collection::vec(loss(), 0..=1),
    )
        .prop_map(
            |(profile, seed, (ic, is), rtt_us, mss, ops, ending, extra, faults, losses)| Case {
                profile,
                seed,
                isn: [ic, is],
                rtt_us,
                mss,
                ops,
                ending,
                extra,
                faults,
                losses,
            },
        )
}

fn send_action(side: Side, p: &Payload) -> Action {
    let data = match p {
        Payload::Text(t) => SendData::Text(t.clone()),
        Payload::Pattern(n) => SendData::Bytes(*n),
    };
    Send { side, data }
}

const ALL: RecvMax = RecvMax::All;

/// Waits long enough after the last call for TIME-WAIT (4 min in rfc) to end.
pub const FINAL_WAIT_US: u64 = 10 * 60 * 1_000_000;

impl Case {
    /// The side that half-closes second (and sends `extra` after the first FIN).
    fn second(&self) -> Side {
        match self.ending {
            Ending::ClientFirst => Side::Server,
            Ending::ServerFirst | Ending::Together => Side::Client,
        }
    }

    pub fn scenario(&self) -> Scenario {
        let settings = Settings {
            profile: self.profile,
            rtt_us: self.rtt_us,
            mss: self.mss,
            seed: self.seed,
            isn: self.isn,
            faults: self.faults.clone(),
            losses: self.losses.clone(),
            ..Settings::default()
        };
        let (c, s) = (Side::Client, Side::Server);
        let mut steps: Vec<Vec<Action>> = vec![
            vec![Listen { side: s, port: 80 }],
            vec![Connect {
                side: c,
                port: None,
            }],
            vec![Accept { side: s }],
        ];
        for op in &self.ops {
            steps.push(vec![match op {
                Op::Send(side, p) => send_action(*side, p),
                Op::Wait(us) => Wait { us: *us },
            }]);
        }
        match self.ending {
            Ending::ClientFirst | Ending::ServerFirst => {
                let first = self.second().peer();
                let second = self.second();
                steps.push(vec![Shutdown { side: first }]);
                steps.push(vec![Recv {
                    side: second,
                    max: ALL,
                }]);
                for p in &self.extra {
                    steps.push(vec![send_action(second, p)]);
                }
                steps.push(vec![Close { side: second }]);
                steps.push(vec![Recv {
                    side: first,
                    max: ALL,
                }]);
                steps.push(vec![Close { side: first }]);
            }
            Ending::Together => {
                steps.push(vec![Shutdown { side: c }, Shutdown { side: s }]);
                steps.push(vec![Recv { side: c, max: ALL }]);
                steps.push(vec![Recv { side: s, max: ALL }]);
                steps.push(vec![Close { side: c }, Close { side: s }]);
            }
        }
        steps.push(vec![Wait { us: FINAL_WAIT_US }]);
        scenario(settings, steps)
    }

    /// The bytes each side's app writes, indexed by `Side::index()`.
    pub fn streams(&self) -> [Vec<u8>; 2] {
        let mut out = [Vec::new(), Vec::new()];
        let mut write = |side: Side, p: &Payload| {
            let buf = &mut out[side.index()];
            match p {
                Payload::Text(t) => buf.extend_from_slice(t),
                Payload::Pattern(n) => {
                    let start = buf.len() as u64;
                    buf.extend((start..start + n).map(pattern_byte));
                }
            }
        };
        for op in &self.ops {
            if let Op::Send(side, p) = op {
                write(*side, p);
            }
        }
        // `Together` has no second side: `extra` is not sent.
        if !matches!(self.ending, Ending::Together) {
            for p in &self.extra {
                write(self.second(), p);
            }
        }
        out
    }
}

/// The digest of a whole stream, as `Stats::read_digest` computes it.
pub fn digest(bytes: &[u8]) -> u64 {
    let mut d = ReadDigest::default();
    d.update(bytes.iter().copied());
    d.0
}
