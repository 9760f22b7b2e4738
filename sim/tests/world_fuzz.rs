//! Any scenario that parses runs to the end without panicking, in bounded
//! virtual and real time: random sequences of every statement of the language,
//! with odd values (zero RTT, tiny MSS, huge waits, calls in the wrong state).

use proptest::prelude::*;
use synack_sim::scenario::parse;
use synack_sim::transcript::Discard;
use synack_sim::world::{run, RunOptions};

fn setting() -> impl Strategy<Value = String> {
    prop_oneof![
        prop_oneof![Just("rfc"), Just("linux")].prop_map(|p| format!("profile {p}")),
        prop_oneof![Just("0us"), Just("1ms"), Just("20ms"), Just("2s")]
            .prop_map(|d| format!("rtt {d}")),
        prop_oneof![Just(64u32), Just(536), Just(1460), Just(9000), Just(65535)]
            .prop_map(|m| format!("mss {m}")),
        any::<u64>().prop_map(|s| format!("seed {s}")),
        (prop_oneof![Just("client"), Just("server")], any::<u32>())
            .prop_map(|(s, n)| format!("isn {s} {n}")),
        (1u16..=65535).prop_map(|p| format!("port client {p}")),
        (
            prop_oneof![Just("drop"), Just("duplicate")],
            prop_oneof![Just("client->server"), Just("server->client")],
            prop_oneof![
                Just("syn"),
                Just("syn-ack"),
                Just("ack"),
                Just("data"),
                Just("fin"),
                Just("rst"),
                Just("any")
            ],
            1u32..6,
        )
            .prop_map(|(a, d, k, n)| format!("{a} {d} {k} #{n}")),
        (
            prop_oneof![Just("client->server"), Just("server->client")],
            1u32..6,
            0u32..3000
        )
            .prop_map(|(d, n, ms)| format!("delay {d} any #{n} {ms}ms")),
        (
            prop_oneof![Just("client->server"), Just("server->client")],
            0u32..60
        )
            .prop_map(|(d, p)| format!("loss {d} {p}%")),
    ]
}

fn side() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("client"), Just("server")]
}

fn action() -> impl Strategy<Value = String> {
    prop_oneof![
        (side(), 1u16..=65535).prop_map(|(s, p)| format!("{s} listen {p}")),
        side().prop_map(|s| format!("{s} connect")),
        (side(), 1u16..=65535).prop_map(|(s, p)| format!("{s} connect {p}")),
        side().prop_map(|s| format!("{s} accept")),
        (side(), "[a-z]{1,20}").prop_map(|(s, t)| format!("{s} send \"{t}\"")),
        (side(), 1u64..300_000).prop_map(|(s, n)| format!("{s} send {n} bytes")),
        side().prop_map(|s| format!("{s} recv")),
        (side(), 1u32..5000).prop_map(|(s, n)| format!("{s} recv {n}")),
        side().prop_map(|s| format!("{s} recv all")),
        side().prop_map(|s| format!("{s} shutdown")),
        side().prop_map(|s| format!("{s} close")),
        side().prop_map(|s| format!("{s} abort")),
        prop_oneof![
            Just("0us"),
            Just("10ms"),
            Just("3s"),
            Just("10min"),
            Just("100000min")
        ]
        .prop_map(|d| format!("wait {d}")),
        Just("client close & server close".to_string()),
        Just("client connect & server connect".to_string()),
        (
            side(),
            prop_oneof![Just("ESTABLISHED"), Just("CLOSED"), Just("TIME-WAIT")]
        )
            .prop_map(|(s, st)| format!("expect {s} {st}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(200),
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_parsed_scenario_runs_to_the_end(
        settings in prop::collection::vec(setting(), 0..5),
        actions in prop::collection::vec(action(), 0..14),
    ) {
        let text = settings.into_iter().chain(actions).collect::<Vec<_>>().join("\n");
        let parsed = parse("fuzz", &text);
        if let Err(e) = &parsed { if std::env::var_os("FUZZ_DEBUG").is_some() { eprintln!("{e}"); } }
        let Ok(sc) = parsed else {
            // Only scenarios that parse are this test's business.
            return Ok(());
        };
        if std::env::var_os("FUZZ_DEBUG").is_some() {
            eprintln!("----\n{text}");
        }
        let out = run(&sc, &RunOptions::default(), &mut Discard).expect("Discard never fails");
        // Segments are bounded: retransmissions give up, persist backs off.
        prop_assert!(out.stats.segments < 2_000_000, "{text}\n{:?}", out.stats);
    }
}
