//! The transcript of a real run, put together after it: the captured
//! frames annotated by the observer (Wireshark's analysis, relative
//! numbers) with their fate from the link's records, the kernel's states,
//! the calls, and the notes, in time order.

use super::super::capture::Frame;
use super::super::link::VerdictRecord;
use super::super::AddrPair;
use super::sides::SideChange;
use std::collections::BTreeMap;
use std::net::IpAddr;
use synack_sim::link::Verdict;
use synack_sim::observer::Observer;
use synack_sim::transcript::{
    AnalysisFlag, Fate, Note, OwnedEvent, OwnedKind, Recorder, StateSource,
};
use synack_sim::{Side, State};

/// What happened at an instant, before it is put in order.
pub(super) struct Timed {
    pub t_ns: u64,
    pub kind: OwnedKind,
}

/// Everything a run recorded.
pub(super) struct Parts {
    /// When the run began (monotonic ns): time 0 of the transcript.
    pub t0_ns: u64,
    pub frames: Vec<Frame>,
    pub records: Vec<VerdictRecord>,
    /// The endpoints' states, in time order.
    pub states: Vec<SideChange>,
    /// Calls and notes.
    pub other: Vec<Timed>,
    /// The retransmissions the kernel reported; `None` when it could not
    /// report them (no tracepoints: nothing to confirm against).
    pub retransmits: Option<Vec<KernelRetx>>,
    /// The run's addresses: which end is the client.
    pub pair: AddrPair,
    /// The packets `inject` forged: (packet key, when sent, monotonic ns).
    pub forged: Vec<(u64, u64)>,
}

/// A retransmission the kernel reported, with its socket's RTO and cwnd
/// just after it.
pub(super) struct KernelRetx {
    pub t_ns: u64,
    pub side: Side,
    pub rto_us: Option<u64>,
    pub cwnd: Option<u32>,
}

/// How far apart (µs) a retransmission's capture and the kernel's report
/// of it may be and still be the same one: the tracepoint fires as the
/// kernel sends, libpcap stamps lo's copy a few µs later; 20 ms leaves room
/// for a loaded machine and stays under the shortest RTO (200 ms).
const RETX_MATCH_US: u64 = 20_000;

/// The order of kinds at one instant: a call, then the state it causes,
/// then the segment it sends; notes last.
fn rank(k: &OwnedKind) -> u8 {
    match k {
        OwnedKind::App { .. } => 0,
        OwnedKind::State { .. } => 1,
        OwnedKind::Segment { .. } => 2,
        OwnedKind::Timer { .. } | OwnedKind::Datagram { .. } => 3,
        OwnedKind::Note(_) => 4,
    }
}

/// Events to be put in order: (time, rank, arrival, event).
#[derive(Default)]
struct Sorted {
    events: Vec<(u64, u8, usize, OwnedKind)>,
    end: u64,
}

impl Sorted {
    fn push(&mut self, t_us: u64, kind: OwnedKind) {
        let n = self.events.len();
        self.end = self.end.max(t_us);
        self.events.push((t_us, rank(&kind), n, kind));
    }
}

/// The transcript's events, and the notes on the wire's states that
/// disagree with the kernel's.
pub(super) fn assemble(parts: Parts) -> Vec<OwnedEvent> {
    let t0 = parts.t0_ns;
    let us = |t_ns: u64| t_ns.saturating_sub(t0) / 1000;
    let mut all = Sorted::default();

    // The frames through the observer: relative numbers and analysis as a
    // capture at the sender shows them (libpcap took lo's copy before the
    // link held it: at the send time).
    let mut observer = Observer::new();
    let mut wire = Recorder::default();
    for f in &parts.frames {
        if let Ok(pkt) = f.decode() {
            let _ = observer.observe(us(f.t_ns), f.number, &pkt, &mut wire);
        }
    }
    let fates = fates(&parts.frames, &parts.records, &parts.forged);
    // The observer calls the sender of the first SYN it sees the client; in
    // a simultaneous open that may be the server. The run knows who is who.
    // Per conversation: a forged SYN with a new seq starts one of its own
    // (Wireshark's "reused ports"), whose client is that SYN's sender.
    let flips: BTreeMap<Option<u32>, bool> = wire
        .conns
        .iter()
        .map(|c| (c.conn, c.client.ip() != IpAddr::V4(parts.pair.client)))
        .collect();
    let first_flip = wire
        .conns
        .first()
        .is_some_and(|c| c.client.ip() != IpAddr::V4(parts.pair.client));
    let mut wire_states: [Vec<State>; 2] = [Vec::new(), Vec::new()];
    // (time, whether the kernel must report it)
    let mut wire_retx: [Vec<(u64, bool)>; 2] = [Vec::new(), Vec::new()];
    let mut segment = 0usize;
    for ev in wire.events {
        let flip = flips.get(&ev.conn).copied().unwrap_or(first_flip);
        match ev.kind {
            OwnedKind::Segment { mut seg, payload } => {
                if flip {
                    seg.dir = seg.dir.reverse();
                }
                if let Some((fate, arrives_ns)) = fates.get(segment).copied().flatten() {
                    seg.fate = fate;
                    seg.arrives_us = arrives_ns.map(us);
                }
                segment += 1;
                // A SYN-ACK's retransmission is usually a request
                // socket's, which `tcp_retransmit_skb` does not report (a
                // full socket's, after a simultaneous open, it does): it
                // may be confirmed, and goes unremarked when it is not.
                let syn_ack = seg.hdr.flags.syn() && seg.hdr.flags.ack();
                if seg.fate != Fate::Duplicated
                    && (seg.analysis.contains(AnalysisFlag::Retransmission)
                        || seg.analysis.contains(AnalysisFlag::FastRetransmission)
                        || seg.analysis.contains(AnalysisFlag::SpuriousRetransmission))
                {
                    wire_retx[seg.dir.sender().index()].push((ev.t_us, !syn_ack));
                }
                all.push(ev.t_us, OwnedKind::Segment { seg, payload });
            }
            OwnedKind::State { endpoint, to, .. } => {
                let side = if flip { endpoint.peer() } else { endpoint };
                wire_states[side.index()].push(to)
            }
            OwnedKind::Note(n) => all.push(ev.t_us, OwnedKind::Note(n)),
            _ => {}
        }
    }

    let mut kernel_states: [Vec<State>; 2] = [Vec::new(), Vec::new()];
    let mut noted_handover = [false; 2];
    for c in &parts.states {
        all.push(
            us(c.t_ns),
            OwnedKind::State {
                endpoint: c.side,
                from: c.from,
                to: c.to,
                source: StateSource::Kernel,
            },
        );
        if c.time_wait_handover && c.to == State::TimeWait && !noted_handover[c.side.index()] {
            noted_handover[c.side.index()] = true;
            all.push(
                us(c.t_ns),
                OwnedKind::Note(Note::KernelTimeWait { side: c.side }),
            );
        }
        // The wire cannot show LISTEN (no segment proves it), nor the
        // CLOSED of a full socket handing over to its TIME-WAIT socket.
        if !(c.time_wait_handover && c.to == State::Closed) && c.to != State::Listen {
            kernel_states[c.side.index()].push(c.to);
        }
    }
    for t in parts.other {
        all.push(us(t.t_ns), t.kind);
    }
    if let Some(kernel) = &parts.retransmits {
        for k in kernel {
            all.push(
                us(k.t_ns),
                OwnedKind::Note(Note::KernelRetransmit {
                    side: k.side,
                    rto_us: k.rto_us,
                    cwnd: k.cwnd,
                }),
            );
        }
        for side in [Side::Client, Side::Server] {
            let k: Vec<u64> = kernel
                .iter()
                .filter(|k| k.side == side)
                .map(|k| us(k.t_ns))
                .collect();
            let (wire_only, kernel_only) = unmatched(&wire_retx[side.index()], &k);
            for (t_us, on_wire) in wire_only
                .into_iter()
                .map(|t| (t, true))
                .chain(kernel_only.into_iter().map(|t| (t, false)))
            {
                all.push(
                    t_us,
                    OwnedKind::Note(Note::RetransmitUnconfirmed { side, on_wire }),
                );
            }
        }
    }
    let end_us = all.end;
    // A forged segment fools the wire's reading of the states by design (an
    // RST the client never sent "closes" it): with one, the wire's states
    // are not held against the kernel's.
    let sides = if parts.forged.is_empty() {
        &[Side::Client, Side::Server][..]
    } else {
        &[]
    };
    for &side in sides {
        for (wire, kernel) in
            disagreements(&wire_states[side.index()], &kernel_states[side.index()])
        {
            all.push(
                end_us,
                OwnedKind::Note(Note::WireDisagrees { side, wire, kernel }),
            );
        }
    }
    let mut all = all.events;
    all.sort_by_key(|e| (e.0, e.1, e.2));
    all.into_iter()
        .map(|(t_us, _, _, kind)| OwnedEvent {
            t_us,
            conn: None,
            kind,
        })
        .collect()
}

/// Each frame's fate and arrival (monotonic ns), from the link's record of
/// the same packet: the first frame of a key is the packet the link judged;
/// a second frame of a duplicated packet's key is the copy synack sent. A
/// frame with the key of a packet `inject` forged (which skips the link) is
/// that packet, delivered as it was sent.
fn fates(
    frames: &[Frame],
    records: &[VerdictRecord],
    forged: &[(u64, u64)],
) -> Vec<Option<(Fate, Option<u64>)>> {
    let mut by_key: BTreeMap<u64, &VerdictRecord> = BTreeMap::new();
    for r in records {
        by_key.entry(r.key).or_insert(r);
    }
    let mut seen: BTreeMap<u64, u32> = BTreeMap::new();
    frames
        .iter()
        .filter(|f| f.decode().is_ok())
        .map(|f| {
            let key = f.key()?;
            if let Some(&(_, sent)) = forged.iter().find(|(k, _)| *k == key) {
                return Some((Fate::Injected, Some(sent)));
            }
            let r = by_key.get(&key)?;
            let n = seen.entry(key).or_insert(0);
            *n += 1;
            Some(match (r.verdict, *n) {
                (Verdict::Drop, _) => (Fate::Dropped, Some(r.due_ns)),
                (Verdict::Duplicate, 1) => (Fate::Delivered, r.applied_ns.or(Some(r.due_ns))),
                (Verdict::Duplicate, _) => (
                    Fate::Duplicated,
                    r.copy_sent_ns.or(r.applied_ns).or(Some(r.due_ns)),
                ),
                _ => (Fate::Delivered, r.applied_ns.or(Some(r.due_ns))),
            })
        })
        .collect()
}

/// The retransmissions (times, µs) only one source has: each wire
/// retransmission pairs with the first unpaired kernel report within
/// [`RETX_MATCH_US`] of it. Both lists are in time order.
/// A wire retransmission not marked `required` may pair but is never
/// reported as unpaired.
fn unmatched(wire: &[(u64, bool)], kernel: &[u64]) -> (Vec<u64>, Vec<u64>) {
    let mut used = vec![false; kernel.len()];
    let mut wire_only = Vec::new();
    for &(w, required) in wire {
        match (0..kernel.len()).find(|&i| !used[i] && kernel[i].abs_diff(w) <= RETX_MATCH_US) {
            Some(i) => used[i] = true,
            None if required => wire_only.push(w),
            None => {}
        }
    }
    let kernel_only = kernel
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(k, _)| *k)
        .collect();
    (wire_only, kernel_only)
}

/// Where the states the wire shows and the kernel's differ, as (wire,
/// kernel) pairs from a diff of the two sequences (`None` where one of them
/// has no state there).
fn disagreements(wire: &[State], kernel: &[State]) -> Vec<(Option<State>, Option<State>)> {
    use similar::{capture_diff_slices, Algorithm, DiffOp};
    let mut out = Vec::new();
    for op in capture_diff_slices(Algorithm::Myers, wire, kernel) {
        match op {
            DiffOp::Equal { .. } => {}
            DiffOp::Delete {
                old_index, old_len, ..
            } => out.extend(
                wire[old_index..old_index + old_len]
                    .iter()
                    .map(|w| (Some(*w), None)),
            ),
            DiffOp::Insert {
                new_index, new_len, ..
            } => out.extend(
                kernel[new_index..new_index + new_len]
                    .iter()
                    .map(|k| (None, Some(*k))),
            ),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                let (w, k) = (
                    &wire[old_index..old_index + old_len],
                    &kernel[new_index..new_index + new_len],
                );
                for i in 0..w.len().max(k.len()) {
                    out.push((w.get(i).copied(), k.get(i).copied()));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use State::*;

    #[test]
    fn retransmissions_pair_within_the_window_once_each() {
        // Two on the wire, two reported: one pairs, one wire retransmission
        // is too far from the second report, which stays unpaired.
        let (w, k) = unmatched(&[(300_000, true), (900_000, true)], &[300_010, 500_000]);
        assert_eq!(w, [900_000]);
        assert_eq!(k, [500_000]);
        // One report cannot confirm two wire retransmissions.
        let (w, k) = unmatched(&[(300_000, true), (300_005, true)], &[300_002]);
        assert_eq!(w, [300_005]);
        assert!(k.is_empty());
        // A SYN-ACK's may pair, and is not missed when it does not.
        let (w, k) = unmatched(&[(300_000, false), (600_000, false)], &[300_001]);
        assert!(w.is_empty() && k.is_empty());
    }

    #[test]
    fn the_same_states_agree() {
        let s = [SynSent, Established, FinWait1, FinWait2, TimeWait];
        assert!(disagreements(&s, &s).is_empty());
    }

    #[test]
    fn a_state_only_the_kernel_saw_is_a_disagreement() {
        let wire = [SynSent, Established, FinWait1, TimeWait];
        let kernel = [SynSent, Established, FinWait1, FinWait2, TimeWait];
        assert_eq!(disagreements(&wire, &kernel), [(None, Some(FinWait2))]);
    }
}
