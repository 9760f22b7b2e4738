//! Properties: (1) any pair of ISNs, including within 2^16 of 2^32, gives the
//! same transcript once raw sequence and acknowledgement numbers are set
//! aside (RFC 9293 3.4: all arithmetic is modulo 2^32, so only relative
//! numbers may matter); (2) the same scenario and seed give identical events.

mod common;
mod proptest_support;

use proptest::prelude::*;
use proptest_support::{case, isn, Case};
use synack_sim::transcript::{OwnedEvent, OwnedKind, Recorder};
use synack_sim::SeqNum;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

fn record(c: &Case) -> Recorder {
    common::simulate(&c.scenario()).0
}

/// The event with raw `seq`/`ack` cleared; `rel_seq`, `rel_ack`, flags,
/// length, window, options, payload, fate, times, states, timers and app
/// results all stay.
///
/// One exception: a closed port answers a segment without ACK with
/// `<SEQ=0><CTL=RST,ACK>` (RFC 9293 3.10.7.1); that zero is absolute, so its
/// relative number necessarily depends on the ISN and is cleared too.
fn relative(ev: &OwnedEvent) -> OwnedEvent {
    let mut ev = ev.clone();
    if let OwnedKind::Segment { seg, .. } = &mut ev.kind {
        if seg.hdr.flags.rst() && seg.hdr.seq == SeqNum(0) {
            seg.rel_seq = 0;
        }
        seg.hdr.seq = SeqNum(0);
        seg.hdr.ack = SeqNum(0);
    }
    ev
}

/// A RST with the absolute sequence number 0 of RFC 9293 3.10.7.1.
fn absolute_rst(ev: &OwnedEvent) -> bool {
    matches!(&ev.kind, OwnedKind::Segment { seg, .. } if seg.hdr.flags.rst() && seg.hdr.flags.ack() && seg.rel_seq == 0)
}

/// Index and both versions of the first differing event, if any.
fn first_difference(a: &[OwnedEvent], b: &[OwnedEvent]) -> Option<String> {
    let n = a.len().max(b.len());
    (0..n).find_map(|i| match (a.get(i), b.get(i)) {
        (Some(x), Some(y)) if x == y => None,
        (x, y) => Some(format!("event {i}:\n  {x:?}\n  {y:?}")),
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_isn_gives_the_same_relative_transcript(
        c in case(),
        a in (isn(), isn()),
        b in (isn(), isn()),
    ) {
        let mut ca = c.clone();
        ca.isn = [Some(a.0), Some(a.1)];
        let mut cb = c;
        cb.isn = [Some(b.0), Some(b.1)];
        let ra: Vec<_> = record(&ca).events.iter().map(relative).collect();
        let rb: Vec<_> = record(&cb).events.iter().map(relative).collect();
        // After a closed port's `<SEQ=0><CTL=RST,ACK>` the run may really
        // depend on the ISN: whether that absolute 0 lands on the peer's
        // RCV.NXT decides if the RST is taken (a delayed SYN answered after
        // the server closed can end the client's TIME-WAIT, RFC 1337's
        // "TIME-WAIT assassination"). Compare up to and including it.
        let cut = |r: &[OwnedEvent]| {
            r.iter()
                .position(absolute_rst)
                .map_or(r.len(), |i| i + 1)
        };
        let (ra, rb) = (&ra[..cut(&ra)], &rb[..cut(&rb)]);
        let diff = first_difference(ra, rb);
        prop_assert!(diff.is_none(), "ISNs {:?} and {:?} differ at {}", a, b, diff.unwrap_or_default());
    }

    #[test]
    fn same_scenario_and_seed_give_identical_events(c in case()) {
        let first = record(&c);
        let second = record(&c);
        let diff = first_difference(&first.events, &second.events);
        prop_assert!(diff.is_none(), "two runs differ at {}", diff.unwrap_or_default());
        prop_assert_eq!(first.conns, second.conns);
    }
}

/// The wrap itself: ISNs 1 and 2^16 below 2^32 against small ones, with data
/// crossing the wrap in both directions.
#[test]
fn isn_just_below_the_wrap_matches_isn_zero() {
    use proptest_support::{Ending, Op, Payload};
    use synack_sim::profile::ProfileName;
    use synack_sim::Side;
    for profile in [ProfileName::Rfc, ProfileName::Linux] {
        let base = Case {
            profile,
            seed: 3,
            isn: [Some(0), Some(0)],
            rtt_us: 20_000,
            mss: 1460,
            ops: vec![
                Op::Send(Side::Client, Payload::Pattern(70_000)),
                Op::Send(Side::Server, Payload::Pattern(70_000)),
            ],
            ending: Ending::ClientFirst,
            extra: vec![Payload::Text(b"tail".to_vec())],
            faults: vec![],
            losses: vec![],
        };
        let reference: Vec<_> = record(&base).events.iter().map(relative).collect();
        assert!(reference.len() > 100, "the scenario exchanges data");
        for isns in [
            [u32::MAX, u32::MAX - 65_535],
            [u32::MAX - 1, 5],
            [7, u32::MAX - 30_000],
        ] {
            let mut c = base.clone();
            c.isn = [Some(isns[0]), Some(isns[1])];
            let got: Vec<_> = record(&c).events.iter().map(relative).collect();
            if let Some(d) = first_difference(&reference, &got) {
                panic!("{profile:?} ISNs {isns:?} differ from ISN 0 at {d}");
            }
        }
    }
}
