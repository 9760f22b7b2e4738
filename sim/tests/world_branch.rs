//! The world as a state machine: stepping yields the same transcript as a
//! whole run, a clone is an independent checkpoint, and `lose(id)` replays
//! a run from a checkpoint with one more segment lost.

use synack_sim::scenario::builtin::find;
use synack_sim::scenario::{parse, Scenario};
use synack_sim::transcript::{Fate, OwnedEvent, OwnedKind, Recorder};
use synack_sim::world::{run, RunOptions, World};

fn builtin(name: &str) -> Scenario {
    find(name).expect("a built-in").scenario().expect("parses")
}

/// Every event of a world stepped to the end.
fn drain(mut w: World) -> Vec<OwnedEvent> {
    let mut out = Vec::new();
    while w.step() {
        while let Some(ev) = w.poll_event() {
            out.push(ev);
        }
    }
    out
}

fn segments(events: &[OwnedEvent]) -> Vec<(u64, Fate)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            OwnedKind::Segment { seg, .. } => Some((seg.id, seg.fate)),
            _ => None,
        })
        .collect()
}

#[test]
fn stepping_gives_the_events_of_a_whole_run() {
    for name in ["echo", "lost-data", "bulk", "simultaneous-close"] {
        let sc = builtin(name);
        let mut rec = Recorder::default();
        run(&sc, &RunOptions::default(), &mut rec).expect("in memory");
        let stepped = drain(World::new(&sc, &RunOptions::default()));
        assert_eq!(stepped, rec.events, "{name}");
    }
}

#[test]
fn segment_ids_count_from_1_in_send_order() {
    let events = drain(World::new(&builtin("lost-data"), &RunOptions::default()));
    let ids: Vec<u64> = segments(&events).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
}

#[test]
fn a_clone_is_a_checkpoint_that_replays_the_same_run() {
    let sc = builtin("echo");
    let mut w = World::new(&sc, &RunOptions::default());
    let mut before = Vec::new();
    for _ in 0..7 {
        w.step();
        before.extend(std::iter::from_fn(|| w.poll_event()));
    }
    let checkpoint = w.clone();
    let rest = drain(w);
    assert_eq!(drain(checkpoint), rest);
    let mut whole = before;
    whole.extend(rest);
    assert_eq!(whole, drain(World::new(&sc, &RunOptions::default())));
}

#[test]
fn losing_a_segment_replays_from_the_instant_it_was_sent() {
    let sc = builtin("echo");
    let opts = RunOptions::default();
    let original = drain(World::new(&sc, &opts));
    // "hello"'s data segment is the client's first with payload.
    let data_id = original
        .iter()
        .find_map(|e| match &e.kind {
            OwnedKind::Segment { seg, .. } if seg.hdr.payload_len > 0 => Some(seg.id),
            _ => None,
        })
        .expect("echo sends data");
    // A checkpoint taken before that segment was sent.
    let mut w = World::new(&sc, &opts);
    let mut prefix = Vec::new();
    while w.next_segment_id() <= data_id {
        let checkpoint = w.clone();
        w.step();
        let step: Vec<OwnedEvent> = std::iter::from_fn(|| w.poll_event()).collect();
        if w.next_segment_id() > data_id {
            w = checkpoint;
            break;
        }
        prefix.extend(step);
    }
    w.lose(data_id);
    let branch = drain(w);
    let segs = segments(&branch);
    assert_eq!(segs.first(), Some(&(data_id, Fate::Dropped)), "{segs:?}");
    // Everything before the branch point is the original run's.
    assert_eq!(&original[..prefix.len()], &prefix[..]);
    // The data was resent after the retransmission timeout and still arrived.
    let resent = branch.iter().any(|e| {
        matches!(&e.kind, OwnedKind::Segment { seg, .. }
            if seg.hdr.payload_len > 0 && seg.id > data_id && seg.analysis.contains(synack_sim::transcript::AnalysisFlag::Retransmission))
    });
    assert!(resent);
    // The original is untouched.
    assert_eq!(
        segments(&original)
            .iter()
            .filter(|(_, f)| *f == Fate::Dropped)
            .count(),
        0
    );
}

/// Whether each segment sent in `dir` was dropped, by its index in `dir`.
fn drops(events: &[OwnedEvent], dir: synack_sim::Dir) -> Vec<(u64, bool)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            OwnedKind::Segment { seg, .. } if seg.dir == dir => {
                Some((seg.id, seg.fate == Fate::Dropped))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn random_loss_in_a_branch_changes_only_the_lost_segment() {
    // Losing one more segment must not redraw the random loss of the others:
    // the n-th segment each way meets the same draw in both runs.
    let sc = parse(
        "t.tcp",
        "loss client->server 20%\nloss server->client 20%\nseed 3\nserver listen 80\nclient connect\nserver accept\nclient send 30000 bytes\nserver recv all\n",
    )
    .expect("parses");
    let opts = RunOptions::default();
    let (c2s, s2c) = (
        synack_sim::Dir::ClientToServer,
        synack_sim::Dir::ServerToClient,
    );
    let whole = drain(World::new(&sc, &opts));
    let original = drops(&whole, c2s);
    assert!(original.iter().any(|(_, d)| *d), "20% loss drops something");
    // A client segment the link let through, after the handshake.
    let (n, &(target, _)) = original
        .iter()
        .enumerate()
        .skip(2)
        .find(|(_, (_, dropped))| !dropped)
        .expect("some delivered segment");
    let mut w = World::new(&sc, &opts);
    w.lose(target);
    let branched = drain(w);
    let branch = drops(&branched, c2s);
    assert!(branch[n].1, "the chosen segment is lost");
    let draws = |v: &[(u64, bool)]| v.iter().map(|(_, d)| *d).collect::<Vec<_>>();
    let (mut a, mut b) = (draws(&original), draws(&branch));
    a.remove(n);
    b.remove(n);
    let len = a.len().min(b.len());
    assert!(len > 10);
    assert_eq!(a[..len], b[..len], "the client's other draws are the same");
    let (a, b) = (draws(&drops(&whole, s2c)), draws(&drops(&branched, s2c)));
    let len = a.len().min(b.len());
    assert!(len > 10);
    assert_eq!(a[..len], b[..len], "the server's draws are the same");
}
