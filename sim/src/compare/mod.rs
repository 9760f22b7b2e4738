//! Two transcripts of one scenario side by side: the simulation and the real
//! kernel (`synack compare`), paired by protocol role, not by time, and every
//! difference judged against a catalogue of known differences
//! (docs/compare.md, docs/differences.md).
//!
//! # Calling order
//! [`compare`]`(sim_events, real_events, &Context)` returns the [`Pair`]s in
//! reading order and their [`Totals`]. Notes are not paired (they are remarks,
//! not protocol events).
//!
//! # How events are paired
//! Each transcript is split into streams: the segments of each direction, the
//! app calls of each endpoint, the state changes of each endpoint, the timers
//! of each endpoint. Streams of the same name are aligned with a diff
//! (`similar`, Myers) on a key per event ([`align`]):
//! - segments: flags, relative seq, relative ack and length, then the
//!   occurrence of that key in its stream (the 2nd identical ACK pairs with
//!   the 2nd);
//! - app calls: the call, in order;
//! - state changes: the transition, then its occurrence;
//! - timers: the timer, then its occurrence.
//!
//! A run of events the exact keys cannot pair is aligned again with a coarser
//! key (segments: the SYN, FIN and RST bits and whether there is payload;
//! states: the state entered), so a segment whose window, seq or ACK bit
//! differs is still paired with its counterpart. What is left is shown alone
//! on its side. Reports that a call blocked form a stream of their own.

mod align;
mod rules;

pub use rules::{rule, Rule, RULES};

use crate::profile::ProfileName;
use crate::transcript::{OwnedEvent, OwnedKind};

/// What a pair is judged to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Both sides, equal in every compared field.
    Same,
    /// A rule of the catalogue matches it and explains every field that differs.
    Explained,
    /// Anything else.
    Unexplained,
}

impl Verdict {
    pub const fn name(self) -> &'static str {
        match self {
            Verdict::Same => "same",
            Verdict::Explained => "explained",
            Verdict::Unexplained => "unexplained",
        }
    }
}

/// A field that two paired events may differ in ("same" compares exactly
/// these, docs/compare.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// One side has no event here at all.
    Presence,
    Flags,
    RelSeq,
    RelAck,
    Len,
    Win,
    Call,
    Result,
    From,
    To,
    Timer,
    /// The two events stand at different places in their streams: the same
    /// segment sent at another point of the exchange.
    Order,
}

impl Field {
    pub const fn name(self) -> &'static str {
        match self {
            Field::Presence => "presence",
            Field::Flags => "flags",
            Field::RelSeq => "rel_seq",
            Field::RelAck => "rel_ack",
            Field::Len => "len",
            Field::Win => "win",
            Field::Call => "call",
            Field::Result => "result",
            Field::From => "from",
            Field::To => "to",
            Field::Timer => "timer",
            Field::Order => "order",
        }
    }
}

/// What the comparison knows about the two runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Context {
    /// The simulator's profile.
    pub profile: ProfileName,
    /// The scenario has `loss` rules: a draw drops the n-th segment of a
    /// direction, and the two runs need not send the same n-th segment.
    pub random_loss: bool,
    /// A receiver of the real run advertised a zero window (a segment with
    /// ACK, no RST, window 0): its receive buffer filled up.
    pub real_window_closed: bool,
    /// The scenario forges a SYN (`inject ... SYN`): on a known flow it
    /// starts a new conversation for the analysis (reused ports).
    pub forged_syn: bool,
}

/// Whether a receiver in `events` advertised a zero window (for
/// [`Context::real_window_closed`]).
pub fn window_closed(events: &[OwnedEvent]) -> bool {
    events.iter().any(|e| {
        matches!(&e.kind, OwnedKind::Segment { seg, .. }
            if seg.hdr.window == 0 && seg.hdr.flags.ack() && !seg.hdr.flags.rst())
    })
}

/// One row of a comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    pub sim: Option<OwnedEvent>,
    pub real: Option<OwnedEvent>,
    pub verdict: Verdict,
    /// The fields that differ (empty when the pair is the same).
    pub differs: Vec<Field>,
    /// The rule that explains the pair, when one does.
    pub rule: Option<&'static Rule>,
}

/// How many pairs of each verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub pairs: u64,
    pub same: u64,
    pub explained: u64,
    pub unexplained: u64,
}

/// Pairs the events of a simulated and a real transcript and judges each
/// pair; the pairs come in reading order (by time, the simulation's first).
pub fn compare(sim: &[OwnedEvent], real: &[OwnedEvent], ctx: &Context) -> (Vec<Pair>, Totals) {
    let rows = align::pair_streams(sim, real);
    let indices: Vec<(Option<usize>, Option<usize>)> = rows.iter().map(|r| r.0).collect();
    let orders = reading_order(&indices);
    let mut pairs: Vec<(Order, Pair)> = rows
        .into_iter()
        .zip(orders)
        .map(|(((s, r), moved), order)| {
            let pair = judge(
                s.map(|i| sim[i].clone()),
                r.map(|i| real[i].clone()),
                moved,
                ctx,
            );
            (order, pair)
        })
        .collect();
    pairs.sort_by_key(|(o, _)| *o);
    let mut totals = Totals::default();
    let pairs: Vec<Pair> = pairs.into_iter().map(|(_, p)| p).collect();
    for p in &pairs {
        totals.pairs += 1;
        match p.verdict {
            Verdict::Same => totals.same += 1,
            Verdict::Explained => totals.explained += 1,
            Verdict::Unexplained => totals.unexplained += 1,
        }
    }
    (pairs, totals)
}

/// Where a pair goes in reading order: the simulation's order, with an
/// event only the real run has placed right after the row of the real
/// event before it (the two runs' clocks drift apart: the kernel's calls
/// take real time, so times cannot place it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Order {
    /// The simulation's index of the row it goes after (or is).
    sim_index: usize,
    /// 0 for a row with a simulated event, 1 for one placed after it.
    after: u8,
    real_index: usize,
}

/// The reading order of each `(sim, real)` pair of indices.
fn reading_order(pairs: &[(Option<usize>, Option<usize>)]) -> Vec<Order> {
    let mut by_real: Vec<(usize, usize)> = pairs
        .iter()
        .enumerate()
        .filter_map(|(k, (_, r))| r.map(|r| (r, k)))
        .collect();
    by_real.sort_unstable();
    let mut order: Vec<Option<Order>> = pairs
        .iter()
        .map(|&(s, r)| {
            s.map(|s| Order {
                sim_index: s,
                after: 0,
                real_index: r.unwrap_or(0),
            })
        })
        .collect();
    // In the real run's order, each real-only row goes after the last row
    // placed so far.
    let mut anchor = 0usize;
    for (r, k) in by_real {
        match order[k] {
            Some(o) => anchor = anchor.max(o.sim_index),
            None => {
                order[k] = Some(Order {
                    sim_index: anchor,
                    after: 1,
                    real_index: r,
                })
            }
        }
    }
    order
        .into_iter()
        .map(|o| {
            o.unwrap_or(Order {
                sim_index: 0,
                after: 1,
                real_index: 0,
            })
        })
        .collect()
}

/// The fields in which two events of the same kind differ.
pub fn differing_fields(a: &OwnedKind, b: &OwnedKind) -> Vec<Field> {
    let mut out = Vec::new();
    let mut check = |f: Field, same: bool| {
        if !same {
            out.push(f);
        }
    };
    match (a, b) {
        (OwnedKind::Segment { seg: x, .. }, OwnedKind::Segment { seg: y, .. }) => {
            check(Field::Flags, x.hdr.flags == y.hdr.flags);
            check(Field::RelSeq, x.rel_seq == y.rel_seq);
            check(Field::RelAck, rel_ack(x) == rel_ack(y));
            check(Field::Len, x.hdr.payload_len == y.hdr.payload_len);
            check(Field::Win, x.win_bytes == y.win_bytes);
        }
        (
            OwnedKind::App {
                call: c1,
                result: r1,
                ..
            },
            OwnedKind::App {
                call: c2,
                result: r2,
                ..
            },
        ) => {
            check(Field::Call, c1 == c2);
            // The linux profile names failures by errno; the real side by words.
            check(Field::Result, r1.as_errno() == r2.as_errno());
        }
        (
            OwnedKind::State {
                from: f1, to: t1, ..
            },
            OwnedKind::State {
                from: f2, to: t2, ..
            },
        ) => {
            check(Field::From, f1 == f2);
            check(Field::To, t1 == t2);
        }
        (OwnedKind::Timer { timer: a, .. }, OwnedKind::Timer { timer: b, .. }) => {
            check(Field::Timer, a == b)
        }
        _ => out.push(Field::Presence),
    }
    out
}

fn rel_ack(s: &crate::transcript::SegmentEvent<'_>) -> Option<u32> {
    if s.hdr.flags.ack() {
        s.rel_ack
    } else {
        None
    }
}

/// Judges one pair: same, explained by the first rule that matches it and
/// explains every differing field, or unexplained.
fn judge(sim: Option<OwnedEvent>, real: Option<OwnedEvent>, moved: bool, ctx: &Context) -> Pair {
    let mut differs = match (&sim, &real) {
        (Some(a), Some(b)) => differing_fields(&a.kind, &b.kind),
        _ => vec![Field::Presence],
    };
    if moved {
        differs.push(Field::Order);
    }
    let (verdict, rule) = if differs.is_empty() {
        (Verdict::Same, None)
    } else {
        let view = rules::View {
            sim: sim.as_ref().map(|e| &e.kind),
            real: real.as_ref().map(|e| &e.kind),
            differs: &differs,
            ctx,
        };
        match RULES.iter().find(|r| r.explains_pair(&view)) {
            Some(r) => (Verdict::Explained, Some(r)),
            None => (Verdict::Unexplained, None),
        }
    };
    Pair {
        sim,
        real,
        verdict,
        differs,
        rule,
    }
}
