//! `recv exactly N` (docs/udp.md): waits until N bytes are there, returns
//! exactly N; fewer only once the peer's FIN says no more will come.

use synack_sim::calls::{Call, CallResult, Received, RecvMax};
use synack_sim::scenario::parse;
use synack_sim::transcript::{OwnedKind, Recorder};
use synack_sim::world::{run, RunOptions};
use synack_sim::Side;

/// The results of the server's `recv exactly` calls, blocked ones left out.
fn reads(text: &str) -> Vec<CallResult> {
    let sc = parse("t.tcp", text).unwrap_or_else(|e| panic!("{e}"));
    let mut rec = Recorder::default();
    run(&sc, &RunOptions::default(), &mut rec).expect("in-memory sink cannot fail");
    rec.events
        .iter()
        .filter_map(|e| match &e.kind {
            OwnedKind::App {
                endpoint: Side::Server,
                call: Call::Recv(RecvMax::Exactly(_)),
                result,
            } if !matches!(result, CallResult::Blocked(_)) => Some(result.clone()),
            _ => None,
        })
        .collect()
}

const OPEN: &str = "server listen 8080\nclient connect\nserver accept\n";

#[test]
fn waits_for_all_n_bytes_across_sends_and_segments() {
    // "hel" is there first; recv exactly 5 waits for "lo" (a later send, a later segment).
    let text = format!(
        "{OPEN}client send \"hel\"\nwait 100ms\nserver recv exactly 5 & client send \"lo!\"\nserver recv exactly 1\n"
    );
    assert_eq!(
        reads(&text),
        vec![
            CallResult::Data(Received::of(b"hello")),
            CallResult::Data(Received::of(b"!"))
        ]
    );
}

#[test]
fn returns_fewer_only_at_end_of_stream() {
    let text = format!(
        "{OPEN}client send \"abc\"\nclient close\nwait 100ms\nserver recv exactly 5\nserver recv exactly 5\n"
    );
    assert_eq!(
        reads(&text),
        vec![
            CallResult::Data(Received::of(b"abc")),
            CallResult::EndOfStream
        ]
    );
}
