//! The alignment of two transcripts, stream by stream (see the module docs
//! of [`super`]). `similar`'s Myers diff pairs events with equal keys; a
//! replaced run is aligned again with a coarser key; what stays replaced,
//! deleted or inserted is shown alone.

use crate::calls::{Call, CallResult};
use crate::segment::Flags;
use crate::state::State;
use crate::transcript::{Dir, OwnedEvent, OwnedKind, Side, TimerKind};
use similar::{capture_diff_slices, Algorithm, DiffOp};
use std::collections::BTreeMap;

/// Which stream an event belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stream {
    Segments(Dir),
    Calls(Side),
    /// A side's reports that a call blocked: whether a call waits is timing,
    /// so they are aligned apart and never shift the results.
    Blocked(Side),
    States(Side),
    Timers(Side),
}

/// What identifies an event's role in its stream, at one level of detail.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    /// Exact: flags but PSH, relative seq/ack, length (PSH is where the
    /// sender's writes and super-packets end, rule `push-flag`).
    Segment(u8, u32, Option<u32>, u32),
    /// Coarse: the SYN, FIN and RST bits and whether there is payload
    /// (ACK and PSH left out: a RST with or without ACK is the same reset).
    SegmentShape(u8, bool),
    /// The call.
    Call(Call),
    Transition(State, State),
    Entered(State),
    Timer(TimerKind),
}

/// The stream of an event, and its keys from exact to coarse (notes have no stream).
fn classify(e: &OwnedEvent) -> Option<(Stream, [Option<Key>; 2])> {
    Some(match &e.kind {
        // Compare pairs TCP runs; a UDP datagram has no stream here.
        OwnedKind::Datagram { .. } => return None,
        OwnedKind::Segment { seg, .. } => {
            let h = &seg.hdr;
            let ack = if h.flags.ack() { seg.rel_ack } else { None };
            (
                Stream::Segments(seg.dir),
                [
                    Some(Key::Segment(
                        h.flags.0 & !Flags::PSH.0,
                        seg.rel_seq,
                        ack,
                        h.payload_len,
                    )),
                    Some(Key::SegmentShape(
                        h.flags.0 & (Flags::SYN.0 | Flags::FIN.0 | Flags::RST.0),
                        h.payload_len > 0,
                    )),
                ],
            )
        }
        OwnedKind::App {
            endpoint,
            call,
            result,
        } => (
            if matches!(result, CallResult::Blocked(_)) {
                Stream::Blocked(*endpoint)
            } else {
                Stream::Calls(*endpoint)
            },
            [Some(Key::Call(call.clone())), None],
        ),
        OwnedKind::State {
            endpoint, from, to, ..
        } => (
            Stream::States(*endpoint),
            [Some(Key::Transition(*from, *to)), Some(Key::Entered(*to))],
        ),
        OwnedKind::Timer {
            endpoint, timer, ..
        } => (Stream::Timers(*endpoint), [Some(Key::Timer(*timer)), None]),
        OwnedKind::Note(_) => return None,
    })
}

/// One stream of a transcript: the indices of its events and their keys.
#[derive(Default)]
struct Events {
    index: Vec<usize>,
    keys: [Vec<Option<Key>>; 2],
}

fn streams(events: &[OwnedEvent]) -> BTreeMap<Stream, Events> {
    let mut out: BTreeMap<Stream, Events> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        if let Some((stream, keys)) = classify(e) {
            let s = out.entry(stream).or_default();
            s.index.push(i);
            let [exact, coarse] = keys;
            s.keys[0].push(exact);
            s.keys[1].push(coarse);
        }
    }
    out
}

/// A key with its occurrence among equal keys of its stream: "then by
/// occurrence" (the 2nd identical ACK pairs with the 2nd).
fn with_occurrence(keys: &[Option<Key>]) -> Vec<(Option<Key>, usize)> {
    let mut seen: Vec<(Option<Key>, usize)> = Vec::new();
    keys.iter()
        .map(|k| {
            let n = match seen.iter_mut().find(|(s, _)| s == k) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    seen.push((k.clone(), 0));
                    0
                }
            };
            (k.clone(), n)
        })
        .collect()
}

/// One row: the indices of its simulated and real events, and whether the
/// two stand at different places in their streams (a segment with data that
/// the diff left alone on both sides, paired afterwards by its exact key).
pub(super) type Row = ((Option<usize>, Option<usize>), bool);

/// Pairs of event indices `(sim, real)`, one per row, in no particular order.
pub(super) fn pair_streams(sim: &[OwnedEvent], real: &[OwnedEvent]) -> Vec<Row> {
    let (mut a, mut b) = (streams(sim), streams(real));
    let mut names: Vec<Stream> = a.keys().chain(b.keys()).copied().collect();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        let x = a.remove(&name).unwrap_or_default();
        let y = b.remove(&name).unwrap_or_default();
        let mut local = Vec::new();
        align(&x, &y, 0..x.index.len(), 0..y.index.len(), 0, &mut local);
        let local = pair_moved(&x, &y, local, |i| data_segment(&sim[x.index[i]]));
        out.extend(
            local
                .into_iter()
                .map(|((i, j), m)| ((i.map(|i| x.index[i]), j.map(|j| y.index[j])), m)),
        );
    }
    out
}

fn data_segment(e: &OwnedEvent) -> bool {
    matches!(&e.kind, OwnedKind::Segment { seg, .. } if seg.hdr.payload_len > 0)
}

/// Pairs a segment with data left alone on the simulated side with one of
/// the same exact key left alone on the real side, in stream order: the same
/// bytes sent at another point (a retransmission whose moment is timing).
fn pair_moved(
    x: &Events,
    y: &Events,
    rows: Vec<(Option<usize>, Option<usize>)>,
    is_data: impl Fn(usize) -> bool,
) -> Vec<Row> {
    let mut lone_real: Vec<usize> = rows
        .iter()
        .filter_map(|&(i, j)| if i.is_none() { j } else { None })
        .collect();
    lone_real.sort_unstable();
    let mut taken = vec![false; lone_real.len()];
    let mut moved_to: BTreeMap<usize, usize> = BTreeMap::new();
    let mut lone_sim: Vec<usize> = rows
        .iter()
        .filter_map(|&(i, j)| if j.is_none() { i } else { None })
        .collect();
    lone_sim.sort_unstable();
    for i in lone_sim {
        let Some(Some(key)) = x.keys[0].get(i) else {
            continue;
        };
        if !is_data(i) {
            continue;
        }
        let found = lone_real
            .iter()
            .enumerate()
            .find(|&(n, &j)| !taken[n] && y.keys[0].get(j) == Some(&Some(key.clone())));
        if let Some((n, &j)) = found {
            taken[n] = true;
            moved_to.insert(i, j);
        }
    }
    let moved_real: std::collections::BTreeSet<usize> = moved_to.values().copied().collect();
    rows.into_iter()
        .filter_map(|(i, j)| match (i, j) {
            (Some(i), None) => Some(match moved_to.get(&i) {
                Some(&j) => ((Some(i), Some(j)), true),
                None => ((Some(i), None), false),
            }),
            (None, Some(j)) if moved_real.contains(&j) => None,
            other => Some((other, false)),
        })
        .collect()
}

/// Aligns `x[xr]` with `y[yr]` at key `level`, refining replaced runs.
fn align(
    x: &Events,
    y: &Events,
    xr: std::ops::Range<usize>,
    yr: std::ops::Range<usize>,
    level: usize,
    out: &mut Vec<(Option<usize>, Option<usize>)>,
) {
    let alone = |out: &mut Vec<(Option<usize>, Option<usize>)>,
                 xr: std::ops::Range<usize>,
                 yr: std::ops::Range<usize>| {
        out.extend(xr.map(|i| (Some(i), None)));
        out.extend(yr.map(|j| (None, Some(j))));
    };
    let (Some(kx), Some(ky)) = (x.keys.get(level), y.keys.get(level)) else {
        return alone(out, xr, yr);
    };
    let (kx, ky) = (&kx[xr.clone()], &ky[yr.clone()]);
    if kx.iter().chain(ky).all(Option::is_none) {
        return alone(out, xr, yr);
    }
    let (kx, ky) = (with_occurrence(kx), with_occurrence(ky));
    for op in capture_diff_slices(Algorithm::Myers, &kx, &ky) {
        match op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                for k in 0..len {
                    let (i, j) = (xr.start + old_index + k, yr.start + new_index + k);
                    // Events with no key at this level are never "equal".
                    if kx[old_index + k].0.is_some() {
                        out.push((Some(i), Some(j)));
                    } else {
                        out.push((Some(i), None));
                        out.push((None, Some(j)));
                    }
                }
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => alone(
                out,
                xr.start + old_index..xr.start + old_index + old_len,
                0..0,
            ),
            DiffOp::Insert {
                new_index, new_len, ..
            } => alone(
                out,
                0..0,
                yr.start + new_index..yr.start + new_index + new_len,
            ),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => align(
                x,
                y,
                xr.start + old_index..xr.start + old_index + old_len,
                yr.start + new_index..yr.start + new_index + new_len,
                level + 1,
                out,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(v: &[u32]) -> Vec<Option<Key>> {
        v.iter()
            .map(|n| Some(Key::Timer(TimerKind::ALL[*n as usize])))
            .collect()
    }

    fn segs(v: &[u32]) -> Events {
        Events {
            index: (0..v.len()).collect(),
            keys: [
                v.iter()
                    .map(|&s| Some(Key::Segment(Flags::ACK.0, s, Some(1), 100)))
                    .collect(),
                vec![None; v.len()],
            ],
        }
    }

    #[test]
    fn a_segment_alone_on_both_sides_pairs_as_moved() {
        // sim: 1 9 2 3, real: 1 2 3 9: the diff leaves both 9s alone.
        let (x, y) = (segs(&[1, 9, 2, 3]), segs(&[1, 2, 3, 9]));
        let mut rows = Vec::new();
        align(&x, &y, 0..4, 0..4, 0, &mut rows);
        assert!(rows.contains(&(Some(1), None)) && rows.contains(&(None, Some(3))));
        let rows = pair_moved(&x, &y, rows, |_| true);
        assert!(rows.contains(&((Some(1), Some(3)), true)), "{rows:?}");
        assert_eq!(rows.iter().filter(|r| r.1).count(), 1);
        assert_eq!(rows.len(), 4);
        // Only segments with data move.
        let mut rows = Vec::new();
        align(&x, &y, 0..4, 0..4, 0, &mut rows);
        let rows = pair_moved(&x, &y, rows, |_| false);
        assert_eq!(rows.len(), 5);
        assert!(rows.iter().all(|r| !r.1));
    }

    #[test]
    fn occurrences_number_equal_keys() {
        let k = with_occurrence(&keys(&[0, 1, 0, 0]));
        let n: Vec<usize> = k.iter().map(|(_, n)| *n).collect();
        assert_eq!(n, [0, 0, 1, 2]);
    }
}
