//! Whole-connection rules, one test each, run through the world (both
//! endpoints, the link, the socket calls): what the apps see and the states
//! the endpoints pass through, each test named after its RFC rule.

#![allow(non_snake_case)] // test names read `situation__outcome_rfc`

mod common;

use common::*;
use synack_sim::calls::{Call, CallResult, Failure, Received};
use synack_sim::scenario::{Action, FaultAction, FaultRule, RecvMax, SegKind, SendData, Settings};
use synack_sim::transcript::{OwnedKind, Recorder};
use synack_sim::{Dir, Side, State};

/// The time of the first app event of `side` with this result.
fn time_of(rec: &Recorder, side: Side, want: &CallResult) -> Option<u64> {
    rec.events.iter().find_map(|e| match &e.kind {
        OwnedKind::App {
            endpoint, result, ..
        } if *endpoint == side && result == want => Some(e.t_us),
        _ => None,
    })
}

fn recv() -> Call {
    Call::Recv(RecvMax::Any)
}

fn failed(f: Failure) -> CallResult {
    CallResult::Failed(f)
}

fn data(text: &str) -> CallResult {
    CallResult::Data(Received::of(text.as_bytes()))
}

fn open() -> Vec<Vec<Action>> {
    vec![
        vec![Listen {
            side: s(),
            port: 80,
        }],
        vec![Connect {
            side: c(),
            port: None,
        }],
        vec![Accept { side: s() }],
    ]
}

fn run_steps(settings: Settings, steps: Vec<Vec<Action>>) -> Recorder {
    let (rec, out) = simulate(&scenario(settings, steps));
    assert!(
        out.failures.is_empty(),
        "{:?}\n{}",
        out.failures,
        dump(&rec)
    );
    rec
}

/// RFC 9293 3.10.7.1 and 3.10.7.3: a SYN to a port nobody listens on is
/// answered with RST,ACK; the connect fails "connection refused".
#[test]
fn connect_to_port_nobody_listens_on__refused_rfc9293_3_10_7_1() {
    let rec = run_steps(
        Settings::default(),
        vec![
            vec![Connect {
                side: c(),
                port: None,
            }],
            vec![Expect {
                side: c(),
                state: State::Closed,
            }],
        ],
    );
    assert_eq!(
        results(&rec, c(), &Call::Connect { port: 9999 }),
        [failed(Failure::Refused)],
        "{}",
        dump(&rec)
    );
    assert_eq!(states_of(&rec, c()), [State::SynSent, State::Closed]);
}

/// RFC 9293 3.10.5 and 3.10.7.4: ABORT sends RST; the peer's pending
/// RECEIVE gets "connection reset".
#[test]
fn abort__peer_app_told_connection_reset_rfc9293_3_10_5() {
    let mut steps = open();
    steps.push(vec![Abort { side: c() }]);
    steps.push(vec![Recv {
        side: s(),
        max: ANY,
    }]);
    steps.push(vec![Expect {
        side: s(),
        state: State::Closed,
    }]);
    let rec = run_steps(Settings::default(), steps);
    assert_eq!(
        results(&rec, s(), &recv()),
        [failed(Failure::Reset)],
        "{}",
        dump(&rec)
    );
}

/// RFC 9293 3.6 (Figure 13): both sides CLOSE at once: FIN-WAIT-1, CLOSING,
/// TIME-WAIT on each side, then CLOSED after 2*MSL (RFC 9293 3.3.2).
#[test]
fn simultaneous_close__both_through_closing_then_closed_rfc9293_3_6() {
    let mut steps = open();
    steps.push(vec![Close { side: c() }, Close { side: s() }]);
    steps.push(vec![Wait { us: 1_000_000 }]);
    for side in [c(), s()] {
        steps.push(vec![Expect {
            side,
            state: State::TimeWait,
        }]);
    }
    steps.push(vec![Wait { us: 240_000_000 }]);
    for side in [c(), s()] {
        steps.push(vec![Expect {
            side,
            state: State::Closed,
        }]);
    }
    let rec = run_steps(Settings::default(), steps);
    for side in [c(), s()] {
        let st = states_of(&rec, side);
        let tail = &st[st.len() - 4..];
        assert_eq!(
            tail,
            [
                State::FinWait1,
                State::Closing,
                State::TimeWait,
                State::Closed
            ],
            "{side}: {st:?}"
        );
    }
}

/// RFC 9293 3.6 (Figure 12): the normal close: the closer goes FIN-WAIT-1,
/// FIN-WAIT-2, TIME-WAIT; the other CLOSE-WAIT, LAST-ACK, CLOSED. Half-close:
/// data sent after the first FIN still arrives.
#[test]
fn half_close__data_after_shutdown_delivered_rfc9293_3_6() {
    let mut steps = open();
    steps.push(vec![Shutdown { side: c() }]);
    steps.push(vec![Recv {
        side: s(),
        max: ANY,
    }]);
    steps.push(vec![Send {
        side: s(),
        data: text("still here"),
    }]);
    steps.push(vec![Close { side: s() }]);
    steps.push(vec![Recv {
        side: c(),
        max: ANY,
    }]);
    steps.push(vec![Recv {
        side: c(),
        max: ANY,
    }]);
    steps.push(vec![Wait { us: 1_000_000 }]);
    steps.push(vec![Expect {
        side: c(),
        state: State::TimeWait,
    }]);
    let rec = run_steps(Settings::default(), steps);
    assert_eq!(results(&rec, s(), &recv()), [CallResult::EndOfStream]);
    assert_eq!(
        results(&rec, c(), &recv()),
        [data("still here"), CallResult::EndOfStream],
        "{}",
        dump(&rec)
    );
    assert_eq!(
        states_of(&rec, c())[1..],
        [
            State::Established,
            State::FinWait1,
            State::FinWait2,
            State::TimeWait
        ]
    );
    assert_eq!(
        states_of(&rec, s())[2..],
        [
            State::Established,
            State::CloseWait,
            State::LastAck,
            State::Closed
        ]
    );
}

/// RFC 9293 3.3.2: TIME-WAIT lasts 2*MSL: 4 minutes in the rfc profile,
/// 60 s in the linux profile; then CLOSED.
#[test]
fn time_wait__lasts_2msl_per_profile_rfc9293_3_3_2() {
    use synack_sim::profile::ProfileName;
    for (profile, msl2) in [
        (ProfileName::Rfc, 240_000_000u64),
        (ProfileName::Linux, 60_000_000),
    ] {
        let mut steps = open();
        steps.push(vec![Close { side: c() }]);
        steps.push(vec![Recv {
            side: s(),
            max: ANY,
        }]);
        steps.push(vec![Close { side: s() }]);
        steps.push(vec![Wait {
            us: msl2 + 2_000_000,
        }]);
        steps.push(vec![Expect {
            side: c(),
            state: State::Closed,
        }]);
        let settings = Settings {
            profile,
            ..Settings::default()
        };
        let rec = run_steps(settings, steps);
        let when = |to: State| {
            rec.events.iter().find_map(|e| match e.kind {
                OwnedKind::State {
                    endpoint, to: t, ..
                } if endpoint == c() && t == to => Some(e.t_us),
                _ => None,
            })
        };
        let entered = when(State::TimeWait).expect("the client enters TIME-WAIT");
        assert_eq!(
            when(State::Closed),
            Some(entered + msl2),
            "{profile:?}\n{}",
            dump(&rec)
        );
    }
}

/// RFC 6298 5.5 and RFC 9293 3.8.3: a SYN never answered is retransmitted
/// with backoff until the retry limit; connect fails "timed out". The rfc
/// profile's 8 retries take 1+2+4+8+16+32+60+60+60 = 243 s.
#[test]
fn syn_never_answered__connect_timed_out_rfc6298_5_5() {
    let mut settings = Settings::default();
    settings.faults.push(FaultRule {
        line: 1,
        action: FaultAction::Drop,
        dir: Dir::ClientToServer,
        kind: SegKind::Syn,
        nth: (1..=20).collect(),
    });
    let rec = run_steps(settings, open());
    assert_eq!(
        results(&rec, c(), &Call::Connect { port: 80 }),
        [failed(Failure::TimedOut)],
        "{}",
        dump(&rec)
    );
    assert_eq!(
        time_of(&rec, c(), &failed(Failure::TimedOut)),
        Some(243_000_000)
    );
}

/// RFC 9293 3.5 (Figure 8): simultaneous open: SYN-SENT -> SYN-RECEIVED ->
/// ESTABLISHED on both sides, and data flows.
#[test]
fn simultaneous_open__syn_sent_syn_received_established_rfc9293_3_5() {
    let steps = vec![
        vec![
            Connect {
                side: c(),
                port: None,
            },
            Connect {
                side: s(),
                port: None,
            },
        ],
        vec![Send {
            side: c(),
            data: text("x"),
        }],
        vec![Recv {
            side: s(),
            max: ANY,
        }],
    ];
    let rec = run_steps(Settings::default(), steps);
    for side in [c(), s()] {
        assert_eq!(
            states_of(&rec, side),
            [State::SynSent, State::SynReceived, State::Established],
            "{side}\n{}",
            dump(&rec)
        );
    }
    assert_eq!(results(&rec, s(), &recv()), [data("x")]);
}

/// RFC 9293 3.10.7.4 and RFC 6298: a lost data segment is retransmitted and
/// a duplicated one delivered once: the reader gets the stream intact.
#[test]
fn lost_and_duplicated_data__stream_intact_rfc9293_3_10_7_4() {
    let mut settings = Settings::default();
    for (action, nth) in [(FaultAction::Drop, 2), (FaultAction::Duplicate, 4)] {
        settings.faults.push(FaultRule {
            line: 1,
            action,
            dir: Dir::ClientToServer,
            kind: SegKind::Data,
            nth: vec![nth],
        });
    }
    let mut steps = open();
    steps.push(vec![Send {
        side: c(),
        data: SendData::Bytes(20_000),
    }]);
    steps.push(vec![Shutdown { side: c() }]);
    steps.push(vec![Recv {
        side: s(),
        max: RecvMax::All,
    }]);
    let (rec, out) = simulate(&scenario(settings, steps));
    assert_eq!(out.stats.bytes_read[s().index()], 20_000, "{}", dump(&rec));
    assert_eq!(out.stats.dropped, 1);
    assert_eq!(out.stats.duplicated, 1);
    let expected: Vec<u8> = (0..20_000)
        .map(synack_sim::endpoint::pattern_byte)
        .collect();
    let mut d = synack_sim::endpoint::ReadDigest::default();
    d.update(expected);
    assert_eq!(out.stats.read_digest[s().index()], d.0);
}
