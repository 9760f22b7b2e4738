mod common;
use common::*;
use synack_sim::scenario::Settings;

#[test]
fn echo_by_hand() {
    let sc = scenario(
        Settings::default(),
        vec![
            vec![Listen { side: s(), port: 7 }],
            vec![Connect {
                side: c(),
                port: None,
            }],
            vec![Accept { side: s() }],
            vec![Send {
                side: c(),
                data: text("Michael"),
            }],
            vec![Recv {
                side: s(),
                max: ANY,
            }],
            vec![Send {
                side: s(),
                data: text("Hello, Michael!"),
            }],
            vec![Recv {
                side: c(),
                max: ANY,
            }],
            vec![Shutdown { side: c() }],
            vec![Recv {
                side: s(),
                max: ANY,
            }],
            vec![Send {
                side: s(),
                data: text("bye"),
            }],
            vec![Close { side: s() }],
            vec![Recv {
                side: c(),
                max: ANY,
            }],
            vec![Recv {
                side: c(),
                max: ANY,
            }],
            vec![Close { side: c() }],
            vec![Wait { us: 1_000_000 }],
            vec![Expect {
                side: c(),
                state: synack_sim::State::TimeWait,
            }],
            vec![Expect {
                side: s(),
                state: synack_sim::State::Closed,
            }],
        ],
    );
    let (rec, out) = simulate(&sc);
    println!("{}", dump(&rec));
    assert!(out.failures.is_empty(), "{:?}", out.failures);
}

use synack_sim::scenario::{FaultAction, FaultRule, RecvMax, SegKind};
use synack_sim::{Dir, State};

fn drop_rule(dir: Dir, kind: SegKind, nth: Vec<u32>) -> FaultRule {
    FaultRule {
        line: 1,
        action: FaultAction::Drop,
        dir,
        kind,
        nth,
    }
}

#[test]
fn lost_syn_and_data() {
    let mut st = Settings::default();
    st.faults
        .push(drop_rule(Dir::ClientToServer, SegKind::Syn, vec![1, 2]));
    st.faults
        .push(drop_rule(Dir::ClientToServer, SegKind::Data, vec![1]));
    let sc = scenario(
        st,
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
            vec![Send {
                side: c(),
                data: text("hello"),
            }],
            vec![Recv {
                side: s(),
                max: ANY,
            }],
            vec![Close { side: c() }, Close { side: s() }],
            vec![Wait { us: 5_000_000 }],
            vec![Expect {
                side: c(),
                state: State::TimeWait,
            }],
            vec![Expect {
                side: s(),
                state: State::TimeWait,
            }],
        ],
    );
    let (rec, out) = simulate(&sc);
    println!("{}", dump(&rec));
    assert!(out.failures.is_empty(), "{:?}", out.failures);
}

#[test]
fn simultaneous_open_and_refused_and_abort() {
    let sc = scenario(
        Settings::default(),
        vec![
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
            vec![Expect {
                side: c(),
                state: State::Established,
            }],
            vec![Expect {
                side: s(),
                state: State::Established,
            }],
            vec![Send {
                side: c(),
                data: text("x"),
            }],
            vec![Recv {
                side: s(),
                max: ANY,
            }],
            vec![Abort { side: c() }],
            vec![Recv {
                side: s(),
                max: ANY,
            }],
            vec![Connect {
                side: c(),
                port: Some(1234),
            }],
            vec![Expect {
                side: c(),
                state: State::Closed,
            }],
        ],
    );
    let (rec, out) = simulate(&sc);
    println!("{}", dump(&rec));
    assert!(out.failures.is_empty(), "{:?}", out.failures);
}

#[test]
fn bulk_zero_window() {
    let sc = scenario(
        Settings::default(),
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
            vec![Send {
                side: c(),
                data: synack_sim::scenario::SendData::Bytes(100_000),
            }],
            vec![Shutdown { side: c() }],
            vec![Wait { us: 3_000_000 }],
            vec![Recv {
                side: s(),
                max: RecvMax::All,
            }],
            vec![Close { side: s() }],
            vec![Wait { us: 1_000_000 }],
            vec![Expect {
                side: c(),
                state: State::TimeWait,
            }],
        ],
    );
    let (rec, out) = simulate(&sc);
    println!("{}", dump(&rec));
    assert!(out.failures.is_empty(), "{:?}", out.failures);
}
