//! At one instant a transcript shows the cause before its effect: the call
//! before the segment it sends, the segment before the state change it leads
//! to, and a word of why before a RST nobody called for.

mod common;
use common::dump;
use synack_sim::calls::{Blocked, Call, CallResult, RecvMax};
use synack_sim::scenario::builtin::find;
use synack_sim::transcript::{AnalysisFlag, Note, OwnedKind, Recorder};
use synack_sim::world::{run, RunOptions};
use synack_sim::{Side, State};

fn run_builtin(name: &str) -> Recorder {
    let sc = find(name).expect("a built-in").scenario().expect("parses");
    let mut rec = Recorder::default();
    run(&sc, &RunOptions::default(), &mut rec).expect("in memory");
    rec
}

/// Where the first event matching `f` is.
fn index(rec: &Recorder, f: impl Fn(&OwnedKind) -> bool) -> usize {
    rec.events
        .iter()
        .position(|e| f(&e.kind))
        .unwrap_or_else(|| panic!("not found in\n{}", dump(rec)))
}

/// RFC 9293 3.10.5 ABORT: "Send a reset segment ... enter CLOSED state":
/// `abort()`, then its RST, then ESTABLISHED → CLOSED.
#[test]
fn abort_prints_its_rst_before_the_state_change() {
    let rec = run_builtin("abort");
    let call = index(&rec, |k| {
        matches!(
            k,
            OwnedKind::App {
                call: Call::Abort,
                ..
            }
        )
    });
    let rst = index(
        &rec,
        |k| matches!(k, OwnedKind::Segment { seg, .. } if seg.hdr.flags.rst()),
    );
    let closed = index(&rec, |k| {
        matches!(
            k,
            OwnedKind::State {
                endpoint: Side::Client,
                to: State::Closed,
                ..
            }
        )
    });
    assert!(call < rst && rst < closed, "{}", dump(&rec));
}

/// The dead client's RST to the server's late ACK comes with a note that
/// says why (RFC 9293 3.10.7.1), just before it.
#[test]
fn a_closed_port_s_rst_is_explained_before_it() {
    let rec = run_builtin("abort");
    let note = index(&rec, |k| {
        matches!(
            k,
            OwnedKind::Note(Note::ClosedPortReset {
                side: Side::Client,
                ..
            })
        )
    });
    match &rec.events[note + 1].kind {
        OwnedKind::Segment { seg, .. } => assert!(seg.hdr.flags.rst(), "{}", dump(&rec)),
        other => panic!("{other:?} after the note\n{}", dump(&rec)),
    }
    let rsts = rec
        .events
        .iter()
        .filter(|e| matches!(&e.kind, OwnedKind::Segment { seg, .. } if seg.hdr.flags.rst()))
        .count();
    let notes = rec
        .events
        .iter()
        .filter(|e| matches!(&e.kind, OwnedKind::Note(Note::ClosedPortReset { .. })))
        .count();
    assert_eq!((rsts, notes), (2, 1), "the abort's RST needs no note");
}

/// `bulk`: the `recv all` that opens the window prints before the window
/// update its reading sends, and says what it read already.
#[test]
fn bulk_recv_prints_before_its_window_update_with_what_it_read() {
    let rec = run_builtin("bulk");
    let call = index(&rec, |k| {
        matches!(
            k,
            OwnedKind::App {
                call: Call::Recv(RecvMax::All),
                result: CallResult::Blocked(_),
                ..
            }
        )
    });
    match &rec.events[call].kind {
        OwnedKind::App { result, .. } => {
            assert_eq!(result, &CallResult::Blocked(Blocked::MoreData(65_535)))
        }
        _ => unreachable!(),
    }
    let update = index(
        &rec,
        |k| matches!(k, OwnedKind::Segment { seg, .. } if seg.analysis.iter().any(|f| f == AnalysisFlag::WindowUpdate)),
    );
    assert!(call < update, "{}", dump(&rec));
}
