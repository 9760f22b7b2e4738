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
    assert!(out.expect_failures.is_empty(), "{:?}", out.expect_failures);
}
