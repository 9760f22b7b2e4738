//! `wait until SIDE STATE [max D]`: time passes until the endpoint enters
//! the state (docs/scenario-language.md), or the check fails.

mod common;
use common::dump;
use synack_sim::scenario::{parse, Action};
use synack_sim::transcript::{Note, OwnedKind, Recorder};
use synack_sim::world::{run, RunOptions, RunOutcome};
use synack_sim::{Side, State};

fn simulate(text: &str) -> (Recorder, RunOutcome) {
    let sc = parse("t.tcp", text).expect("the scenario parses");
    let mut rec = Recorder::default();
    let out = run(&sc, &RunOptions::default(), &mut rec).expect("in memory");
    (rec, out)
}

const CLOSE: &str =
    "server listen 80\nclient connect\nserver accept\nclient close\nserver recv\nserver close\n";

/// The time of the first note matching `f`.
fn note_at(rec: &Recorder, f: impl Fn(&Note) -> bool) -> Option<u64> {
    rec.events.iter().find_map(|e| match &e.kind {
        OwnedKind::Note(n) if f(n) => Some(e.t_us),
        _ => None,
    })
}

#[test]
fn parses_with_a_default_and_an_explicit_max() {
    let sc = parse(
        "t.tcp",
        "wait until client CLOSED\nwait until server LISTEN max 2min & client connect\n",
    )
    .expect("parses");
    assert_eq!(
        sc.steps[0].actions,
        [Action::WaitUntil {
            side: Side::Client,
            state: State::Closed,
            max_us: 600_000_000
        }]
    );
    assert_eq!(
        sc.steps[1].actions[0],
        Action::WaitUntil {
            side: Side::Server,
            state: State::Listen,
            max_us: 120_000_000
        }
    );
}

#[test]
fn returns_when_time_wait_ends_rfc9293_3_3_2() {
    let (rec, out) = simulate(&format!(
        "{CLOSE}wait until client CLOSED\nexpect client CLOSED\n"
    ));
    assert!(
        out.failures.is_empty(),
        "{:?}\n{}",
        out.failures,
        dump(&rec)
    );
    // TIME-WAIT began at 50 ms; 2*MSL is 4 min in the rfc profile.
    assert_eq!(
        note_at(&rec, |n| matches!(n, Note::Expect { .. })),
        Some(240_050_000),
        "{}",
        dump(&rec)
    );
}

#[test]
fn a_state_passed_through_in_one_instant_counts() {
    // FIN-WAIT-2 lasts no time at all: the server's ACK and FIN arrive together.
    let (rec, out) = simulate(
        "server listen 80\nclient connect\nserver accept\nclient close\nserver recv\nserver close & wait until client FIN-WAIT-2\nexpect client TIME-WAIT\n",
    );
    assert!(
        out.failures.is_empty(),
        "{:?}\n{}",
        out.failures,
        dump(&rec)
    );
}

#[test]
fn a_state_that_never_comes_fails_after_max() {
    let (rec, out) = simulate(&format!("{CLOSE}wait until server LISTEN max 90s\n"));
    assert_eq!(out.failures.len(), 1, "{}", dump(&rec));
    let f = &out.failures[0];
    assert_eq!(
        (f.line, f.side, f.expected, f.actual),
        (7, Side::Server, State::Listen, State::Closed)
    );
    assert_eq!(f.waited_us, Some(90_000_000));
    let at = note_at(&rec, |n| matches!(n, Note::WaitUntilFailed { .. }));
    // The wait began once the server's close returned, at 40 ms.
    assert_eq!(at, Some(90_040_000), "{}", dump(&rec));
}

#[test]
fn a_state_already_held_returns_at_once() {
    let (rec, out) = simulate("server listen 80\nwait until server LISTEN\nexpect server LISTEN\n");
    assert!(out.failures.is_empty());
    assert_eq!(note_at(&rec, |n| matches!(n, Note::Expect { .. })), Some(0));
}
