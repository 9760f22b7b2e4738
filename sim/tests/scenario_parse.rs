//! The scenario language: every statement form, settings and their defaults.
//! (Errors: `scenario_errors.rs`.)

use synack_sim::profile::ProfileName;
use synack_sim::scenario::{
    parse, Action, FaultAction, FaultRule, LossRule, RecvMax, Scenario, SegKind, SendData,
    Settings, Step,
};
use synack_sim::{Dir, Side, State};

#[track_caller]
fn ok(text: &str) -> Scenario {
    match parse("t.tcp", text) {
        Ok(s) => s,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

/// The actions of a one-step scenario.
#[track_caller]
fn actions(text: &str) -> Vec<Action> {
    let s = ok(text);
    assert_eq!(s.steps.len(), 1, "{text}");
    s.steps.into_iter().flat_map(|st| st.actions).collect()
}

#[track_caller]
fn one(text: &str) -> Action {
    let a = actions(text);
    assert_eq!(a.len(), 1, "{text}");
    a.into_iter()
        .next()
        .unwrap_or(Action::Wait { us: u64::MAX })
}

use Side::{Client, Server};

// ---------------------------------------------------------------- settings

#[test]
fn empty_and_comment_only_scenarios_have_defaults() {
    for text in ["", "\n\n", "# nothing here\n   # at all\n", "  \t  "] {
        let s = ok(text);
        assert_eq!(s.source, "t.tcp");
        assert_eq!(s.settings, Settings::default());
        assert!(s.steps.is_empty());
    }
}

#[test]
fn settings_defaults_match_the_design() {
    let d = Settings::default();
    assert_eq!(d.profile, ProfileName::Rfc);
    assert_eq!(d.rtt_us, 20_000);
    assert_eq!(d.mss, 1460);
    assert_eq!(d.seed, 0);
    assert_eq!(d.isn, [None, None]);
    assert_eq!(d.client_port, 49152);
    assert!(d.faults.is_empty() && d.losses.is_empty());
}

#[test]
fn every_setting() {
    let s = ok("profile linux\n\
                rtt 1.5s\n\
                mss 536\n\
                seed 7\n\
                isn client 4294967000\n\
                isn server 0\n\
                port client 50000\n\
                drop client->server data #1,#3\n\
                duplicate server->client ack #2\n\
                delay server->client syn-ack #1, #2 300ms\n\
                loss client->server 0.5%\n\
                loss server->client 100%\n");
    let want = Settings {
        profile: ProfileName::Linux,
        rtt_us: 1_500_000,
        mss: 536,
        seed: 7,
        isn: [Some(4_294_967_000), Some(0)],
        isn_at: [Some((5, 1)), Some((6, 1))],
        transport_at: None,
        client_port: 50000,
        faults: vec![
            FaultRule {
                line: 8,
                action: FaultAction::Drop,
                dir: Dir::ClientToServer,
                kind: SegKind::Data,
                nth: vec![1, 3],
            },
            FaultRule {
                line: 9,
                action: FaultAction::Duplicate,
                dir: Dir::ServerToClient,
                kind: SegKind::Ack,
                nth: vec![2],
            },
            FaultRule {
                line: 10,
                action: FaultAction::Delay(300_000),
                dir: Dir::ServerToClient,
                kind: SegKind::SynAck,
                nth: vec![1, 2],
            },
        ],
        losses: vec![
            LossRule {
                line: 11,
                dir: Dir::ClientToServer,
                ppm: 5_000,
            },
            LossRule {
                line: 12,
                dir: Dir::ServerToClient,
                ppm: 1_000_000,
            },
        ],
        transport: synack_sim::scenario::Transport::Tcp,
    };
    assert_eq!(s.settings, want);
    assert!(s.steps.is_empty());
}

#[test]
fn every_fault_kind() {
    for (word, kind) in [
        ("syn", SegKind::Syn),
        ("syn-ack", SegKind::SynAck),
        ("ack", SegKind::Ack),
        ("data", SegKind::Data),
        ("fin", SegKind::Fin),
        ("rst", SegKind::Rst),
        ("any", SegKind::Any),
    ] {
        let s = ok(&format!("drop server->client {word} #4294967295"));
        let got: Vec<(SegKind, Vec<u32>)> = s
            .settings
            .faults
            .into_iter()
            .map(|f| (f.kind, f.nth))
            .collect();
        assert_eq!(got, vec![(kind, vec![u32::MAX])]);
    }
}

#[test]
fn settings_take_comments_and_extreme_values() {
    let s = ok("seed 18446744073709551615 # max\nmss 64\nport client 65535\nrtt 0us\n");
    assert_eq!(s.settings.seed, u64::MAX);
    assert_eq!(s.settings.mss, 64);
    assert_eq!(s.settings.client_port, 65535);
    assert_eq!(s.settings.rtt_us, 0);
}

// ---------------------------------------------------------------- actions

#[test]
fn every_call_on_both_sides() {
    for side in [Client, Server] {
        let n = side.name();
        assert_eq!(
            one(&format!("{n} listen 8080")),
            Action::Listen { side, port: 8080 }
        );
        assert_eq!(
            one(&format!("{n} connect")),
            Action::Connect { side, port: None }
        );
        assert_eq!(
            one(&format!("{n} connect 1")),
            Action::Connect {
                side,
                port: Some(1)
            }
        );
        assert_eq!(one(&format!("{n} accept")), Action::Accept { side });
        assert_eq!(one(&format!("{n} shutdown")), Action::Shutdown { side });
        assert_eq!(one(&format!("{n} close")), Action::Close { side });
        assert_eq!(one(&format!("{n} abort")), Action::Abort { side });
        assert_eq!(
            one(&format!("{n} recv")),
            Action::Recv {
                side,
                max: RecvMax::Any
            }
        );
        assert_eq!(
            one(&format!("{n} recv 100")),
            Action::Recv {
                side,
                max: RecvMax::UpTo(100)
            }
        );
        assert_eq!(
            one(&format!("{n} recv all")),
            Action::Recv {
                side,
                max: RecvMax::All
            }
        );
        assert_eq!(
            one(&format!("{n} send \"hi\"")),
            Action::Send {
                side,
                data: SendData::Text(b"hi".to_vec())
            }
        );
        assert_eq!(
            one(&format!("{n} send 20000 bytes")),
            Action::Send {
                side,
                data: SendData::Bytes(20000)
            }
        );
        assert_eq!(
            one(&format!("{n} send 1 byte")),
            Action::Send {
                side,
                data: SendData::Bytes(1)
            }
        );
        assert_eq!(
            one(&format!("expect {n} TIME-WAIT")),
            Action::Expect {
                side,
                state: State::TimeWait
            }
        );
    }
}

#[test]
fn wait_and_durations() {
    for (d, us) in [
        ("300us", 300),
        ("20ms", 20_000),
        ("1.5s", 1_500_000),
        ("5s", 5_000_000),
        ("4min", 240_000_000),
        ("0.5ms", 500),
        ("0s", 0),
    ] {
        assert_eq!(one(&format!("wait {d}")), Action::Wait { us }, "{d}");
    }
}

#[test]
fn every_state_in_rfc_spelling() {
    for st in State::ALL {
        assert_eq!(
            one(&format!("expect server {}", st.name())),
            Action::Expect {
                side: Server,
                state: st
            }
        );
    }
    // State::parse is lenient about case and underscores.
    assert_eq!(
        one("expect client fin_wait_2"),
        Action::Expect {
            side: Client,
            state: State::FinWait2
        }
    );
}

#[test]
fn string_escapes() {
    assert_eq!(
        one(r#"client send "a\nb\tc\rd\\e\"f\0g\x41\xFFh # not a comment""#),
        Action::Send {
            side: Client,
            data: SendData::Text(b"a\nb\tc\rd\\e\"f\0gA\xffh # not a comment".to_vec())
        }
    );
    assert_eq!(
        one("server send \"héllo & bye\""),
        Action::Send {
            side: Server,
            data: SendData::Text("héllo & bye".as_bytes().to_vec())
        }
    );
}

#[test]
fn ampersand_joins_any_number_of_actions() {
    assert_eq!(
        actions("client close & server close"),
        vec![
            Action::Close { side: Client },
            Action::Close { side: Server }
        ]
    );
    assert_eq!(
        actions("client connect&server connect 49152 & wait 1s&expect client SYN-SENT"),
        vec![
            Action::Connect {
                side: Client,
                port: None
            },
            Action::Connect {
                side: Server,
                port: Some(49152)
            },
            Action::Wait { us: 1_000_000 },
            Action::Expect {
                side: Client,
                state: State::SynSent
            },
        ]
    );
}

#[test]
fn steps_keep_line_and_text_without_comment() {
    let s = ok("# header\r\n\
                rtt 10ms\r\n\
                \r\n\
                \t server listen 7   # the echo port\r\n\
                client send \"# kept\"  # dropped\n\
                client close & server close\n");
    assert_eq!(
        s.steps,
        vec![
            Step {
                line: 4,
                text: "server listen 7".into(),
                actions: vec![Action::Listen {
                    side: Server,
                    port: 7
                }],
            },
            Step {
                line: 5,
                text: "client send \"# kept\"".into(),
                actions: vec![Action::Send {
                    side: Client,
                    data: SendData::Text(b"# kept".to_vec())
                }],
            },
            Step {
                line: 6,
                text: "client close & server close".into(),
                actions: vec![
                    Action::Close { side: Client },
                    Action::Close { side: Server }
                ],
            },
        ]
    );
    assert_eq!(s.settings.rtt_us, 10_000);
}

#[test]
fn either_side_may_make_any_call() {
    assert_eq!(
        actions("client listen 80 & server connect 80"),
        vec![
            Action::Listen {
                side: Client,
                port: 80
            },
            Action::Connect {
                side: Server,
                port: Some(80)
            },
        ]
    );
}
