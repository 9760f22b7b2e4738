//! The simulated link: a one-way delay of rtt/2 and fault rules (turmoil-net
//! style): `Verdict::{Pass, Drop, Delay, Duplicate}`, first non-Pass wins,
//! random loss drawn from the seed. The same rule engine decides the fate of
//! real packets in `synack real`.
//!
//! Random loss is drawn per segment from (seed, direction, the segment's
//! index in that direction, the rule), not from one running sequence: a
//! branch of a run that loses one more segment changes that one loss and
//! nothing else.

use crate::rng::Rng;
use crate::scenario::{FaultAction, FaultRule, LossRule, SegKind};
use crate::segment::TcpHeader;
use crate::transcript::Dir;

/// What the link does with one segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Drop,
    /// Extra one-way delay, microseconds.
    Delay(u64),
    Duplicate,
}

/// Every kind, in the order of their bits in [`kind_bits`].
const KINDS: [SegKind; 7] = [
    SegKind::Syn,
    SegKind::SynAck,
    SegKind::Ack,
    SegKind::Data,
    SegKind::Fin,
    SegKind::Rst,
    SegKind::Any,
];

/// The kinds a segment counts as (docs/scenario-language.md, "Kinds and how
/// `#n` counts"), as bits
/// indexed by `SegKind as u8`; `any` always.
fn kind_bits(h: &TcpHeader) -> u8 {
    let f = h.flags;
    let bit = |k: SegKind, on: bool| u8::from(on) << k as u8;
    bit(SegKind::Syn, f.syn() && !f.ack())
        | bit(SegKind::SynAck, f.syn() && f.ack())
        | bit(
            SegKind::Ack,
            f.ack() && h.payload_len == 0 && !f.syn() && !f.fin() && !f.rst(),
        )
        | bit(SegKind::Data, h.payload_len > 0)
        | bit(SegKind::Fin, f.fin())
        | bit(SegKind::Rst, f.rst())
        | bit(SegKind::Any, true)
}

/// The kinds a segment counts as (docs/scenario-language.md, "Kinds and how
/// `#n` counts"); `any` always.
pub fn kinds_of(h: &TcpHeader) -> impl Iterator<Item = SegKind> {
    let bits = kind_bits(h);
    KINDS
        .into_iter()
        .filter(move |k| bits & (1 << *k as u8) != 0)
}

/// A link between client and server.
#[derive(Clone, Debug)]
pub struct Link {
    one_way_us: u64,
    faults: Vec<FaultRule>,
    losses: Vec<LossRule>,
    /// Segments seen per (direction, kind): indexed [dir][kind].
    counts: [[u32; 7]; 2],
    seed: u64,
}

fn dir_index(d: Dir) -> usize {
    match d {
        Dir::ClientToServer => 0,
        Dir::ServerToClient => 1,
    }
}

impl Link {
    pub fn new(rtt_us: u64, faults: Vec<FaultRule>, losses: Vec<LossRule>, seed: u64) -> Link {
        Link {
            one_way_us: rtt_us / 2,
            faults,
            losses,
            counts: [[0; 7]; 2],
            seed,
        }
    }

    pub fn one_way_us(&self) -> u64 {
        self.one_way_us
    }

    /// Counts the segment and decides its fate. Rules in file order, first
    /// non-Pass wins; then random loss.
    pub fn verdict(&mut self, dir: Dir, h: &TcpHeader) -> Verdict {
        let di = dir_index(dir);
        let kinds = kind_bits(h);
        for (count, k) in self.counts[di].iter_mut().zip(KINDS) {
            *count += u32::from(kinds >> k as u8 & 1);
        }
        for rule in &self.faults {
            if rule.dir != dir || kinds & (1 << rule.kind as u8) == 0 {
                continue;
            }
            let n = self.counts[di][rule.kind as usize];
            if rule.nth.contains(&n) {
                return match rule.action {
                    FaultAction::Drop => Verdict::Drop,
                    FaultAction::Duplicate => Verdict::Duplicate,
                    FaultAction::Delay(d) => Verdict::Delay(d),
                };
            }
        }
        // This segment's index in its direction (retransmissions included).
        let index = self.counts[di][SegKind::Any as usize];
        for (i, loss) in self.losses.iter().enumerate() {
            if loss.dir == dir && loss_draw(self.seed, di, index, i).chance_ppm(loss.ppm) {
                return Verdict::Drop;
            }
        }
        Verdict::Pass
    }
}

/// The random draw of loss rule `rule` for segment `index` of direction `dir`.
fn loss_draw(seed: u64, dir: usize, index: u32, rule: usize) -> Rng {
    let what = ((rule as u64) << 34) | ((dir as u64) << 32) | u64::from(index);
    Rng::derive(seed ^ 0x4c4f_5353, what) // "LOSS"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::Flags;

    fn hdr(flags: Flags, len: u32) -> TcpHeader {
        TcpHeader {
            flags,
            payload_len: len,
            ..TcpHeader::default()
        }
    }

    #[test]
    fn kinds_follow_the_design() {
        let k = |h| kinds_of(&h).collect::<Vec<_>>();
        assert_eq!(k(hdr(Flags::SYN, 0)), [SegKind::Syn, SegKind::Any]);
        assert_eq!(
            k(hdr(Flags::SYN | Flags::ACK, 0)),
            [SegKind::SynAck, SegKind::Any]
        );
        assert_eq!(k(hdr(Flags::ACK, 0)), [SegKind::Ack, SegKind::Any]);
        assert_eq!(
            k(hdr(Flags::ACK | Flags::PSH | Flags::FIN, 3)),
            [SegKind::Data, SegKind::Fin, SegKind::Any]
        );
        assert_eq!(
            k(hdr(Flags::RST | Flags::ACK, 0)),
            [SegKind::Rst, SegKind::Any]
        );
    }

    #[test]
    fn nth_counts_that_kind_in_that_direction() {
        let rule = FaultRule {
            line: 1,
            action: FaultAction::Drop,
            dir: Dir::ClientToServer,
            kind: SegKind::Data,
            nth: vec![2],
        };
        let mut link = Link::new(20_000, vec![rule], vec![], 0);
        let data = hdr(Flags::ACK, 10);
        let ack = hdr(Flags::ACK, 0);
        assert_eq!(link.verdict(Dir::ClientToServer, &ack), Verdict::Pass);
        assert_eq!(link.verdict(Dir::ClientToServer, &data), Verdict::Pass);
        assert_eq!(link.verdict(Dir::ServerToClient, &data), Verdict::Pass);
        assert_eq!(link.verdict(Dir::ClientToServer, &data), Verdict::Drop);
        assert_eq!(link.verdict(Dir::ClientToServer, &data), Verdict::Pass);
    }

    #[test]
    fn random_loss_of_a_segment_depends_on_its_index_alone() {
        let loss = LossRule {
            line: 1,
            dir: Dir::ClientToServer,
            ppm: 300_000,
        };
        let run = |extra: usize| {
            let mut link = Link::new(0, vec![], vec![loss.clone()], 42);
            // Segments the other way in between do not shift the draws.
            let mut out = Vec::new();
            for i in 0..200 {
                if i % 7 == 0 {
                    for _ in 0..extra {
                        link.verdict(Dir::ServerToClient, &hdr(Flags::ACK, 0));
                    }
                }
                out.push(link.verdict(Dir::ClientToServer, &hdr(Flags::ACK, 1)));
            }
            out
        };
        let a = run(0);
        assert_eq!(a, run(3));
        let drops = a.iter().filter(|v| **v == Verdict::Drop).count();
        assert!((30..90).contains(&drops), "{drops} of 200 at 30%");
    }

    #[test]
    fn first_matching_rule_wins() {
        let mk = |action| FaultRule {
            line: 1,
            action,
            dir: Dir::ClientToServer,
            kind: SegKind::Any,
            nth: vec![1],
        };
        let mut link = Link::new(
            0,
            vec![mk(FaultAction::Delay(5)), mk(FaultAction::Drop)],
            vec![],
            0,
        );
        assert_eq!(
            link.verdict(Dir::ClientToServer, &hdr(Flags::SYN, 0)),
            Verdict::Delay(5)
        );
    }
}
