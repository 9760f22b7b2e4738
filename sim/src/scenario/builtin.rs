//! The built-in scenarios, each teaching one thing. Their text lives in
//! `sim/scenarios/NAME.tcp`, each file opening with a comment that explains
//! what it shows.

use super::ast::Scenario;
use super::error::ScenarioError;

/// A built-in scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Builtin {
    /// `handshake`, `echo`, ...
    pub name: &'static str,
    /// One line: what it teaches.
    pub summary: &'static str,
    /// The scenario text, in the scenario language.
    pub text: &'static str,
}

macro_rules! builtin {
    ($name:literal, $summary:literal) => {
        Builtin {
            name: $name,
            summary: $summary,
            text: include_str!(concat!("../../scenarios/", $name, ".tcp")),
        }
    };
}

static BUILTINS: [Builtin; 15] = [
    builtin!("handshake", "the three-way handshake: SYN, SYN-ACK, ACK"),
    builtin!(
        "echo",
        "a whole conversation: handshake, data both ways, half-close, TIME-WAIT"
    ),
    builtin!(
        "lost-data",
        "a lost data segment resent when the retransmission timer fires"
    ),
    builtin!(
        "lost-syn",
        "two lost SYNs: connect retries after 1 s, then 2 s (exponential backoff; linux: 1 s again, its linear SYN timeouts)"
    ),
    builtin!(
        "half-close",
        "shutdown closes one direction; the server keeps sending after end-of-stream"
    ),
    builtin!(
        "simultaneous-open",
        "both sides connect at once; the SYNs cross and nobody listens"
    ),
    builtin!(
        "simultaneous-close",
        "both sides close at once; the FINs cross, through CLOSING to TIME-WAIT"
    ),
    builtin!(
        "refused",
        "connect to a port nobody listens on: RST, connection refused"
    ),
    builtin!(
        "abort",
        "abort sends RST: no FIN, no TIME-WAIT, the peer's recv is reset"
    ),
    builtin!(
        "time-wait",
        "the active closer waits in TIME-WAIT: 2*MSL, 4 min, in the rfc profile; Linux's fixed 60 s in linux"
    ),
    builtin!(
        "sticky",
        "two sends, one recv: TCP is a byte stream without message boundaries"
    ),
    builtin!(
        "framing",
        "the cure for sticky: length-prefixed messages, read back whole with recv exactly N"
    ),
    builtin!(
        "bulk",
        "200000 bytes to a reader that waits 5 s; in both profiles the window fills (64 KiB rfc, 128 KiB linux): zero window, persist probes, window updates"
    ),
    builtin!(
        "bulk-loss",
        "a bulk transfer loses a segment: duplicate ACKs, fast retransmit, recovery"
    ),
    builtin!(
        "udp-echo",
        "UDP for contrast: no handshake, no ACK, a lost datagram simply gone, boundaries kept"
    ),
];

/// All built-ins, in the order `synack scenarios` lists them.
pub fn builtins() -> &'static [Builtin] {
    &BUILTINS
}

/// The built-in called `name`.
pub fn find(name: &str) -> Option<&'static Builtin> {
    builtins().iter().find(|b| b.name == name)
}

impl Builtin {
    /// Parses this built-in's text; errors name the built-in.
    pub fn scenario(&self) -> Result<Scenario, ScenarioError> {
        super::parser::parse(self.name, self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::ast::{Action, FaultAction, SegKind};
    use crate::state::State;
    use crate::transcript::{Dir, Side};

    #[test]
    fn names_in_order() {
        let names: Vec<&str> = builtins().iter().map(|b| b.name).collect();
        assert_eq!(
            names,
            [
                "handshake",
                "echo",
                "lost-data",
                "lost-syn",
                "half-close",
                "simultaneous-open",
                "simultaneous-close",
                "refused",
                "abort",
                "time-wait",
                "sticky",
                "framing",
                "bulk",
                "bulk-loss",
                "udp-echo",
            ]
        );
    }

    #[test]
    fn every_builtin_parses_and_teaches() {
        for b in builtins() {
            let s = b.scenario();
            assert!(s.is_ok(), "{}: {:?}", b.name, s.err());
            let s = s.ok();
            assert_eq!(s.as_ref().map(|s| s.source.as_str()), Some(b.name));
            assert!(
                s.is_some_and(|s| !s.steps.is_empty()),
                "{} has no steps",
                b.name
            );
            assert!(
                b.text.starts_with(&format!("# {}: ", b.name)),
                "{} must open with a header comment naming it",
                b.name
            );
            assert!(b.text.lines().take_while(|l| l.starts_with('#')).count() >= 3);
            assert!(!b.summary.is_empty() && !b.summary.contains('\n'));
        }
    }

    #[test]
    fn find_by_name() {
        assert_eq!(find("echo").map(|b| b.name), Some("echo"));
        assert_eq!(find("nope"), None);
    }

    #[test]
    fn lost_syn_drops_the_first_two_syns() {
        let s = find("lost-syn").map(Builtin::scenario);
        let faults = s.and_then(Result::ok).map(|s| s.settings.faults);
        let rule = faults.as_ref().and_then(|f| f.first());
        assert_eq!(
            rule.map(|r| (r.action, r.dir, r.kind)),
            Some((FaultAction::Drop, Dir::ClientToServer, SegKind::Syn))
        );
        assert_eq!(rule.map(|r| r.nth.clone()), Some(vec![1, 2]));
    }

    #[test]
    fn echo_ends_in_time_wait_and_closed() {
        let s = find("echo").map(Builtin::scenario).and_then(Result::ok);
        let tail: Vec<Action> = s
            .map(|s| {
                s.steps
                    .iter()
                    .rev()
                    .take(2)
                    .flat_map(|st| st.actions.clone())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            tail,
            [
                Action::Expect {
                    side: Side::Server,
                    state: State::Closed
                },
                Action::Expect {
                    side: Side::Client,
                    state: State::TimeWait
                },
            ]
        );
    }

    #[test]
    fn simultaneous_builtins_join_calls() {
        for (name, want) in [
            (
                "simultaneous-open",
                [
                    Action::Connect {
                        side: Side::Client,
                        port: None,
                    },
                    Action::Connect {
                        side: Side::Server,
                        port: None,
                    },
                ],
            ),
            (
                "simultaneous-close",
                [
                    Action::Close { side: Side::Client },
                    Action::Close { side: Side::Server },
                ],
            ),
        ] {
            let s = find(name).map(Builtin::scenario).and_then(Result::ok);
            let joined = s.and_then(|s| s.steps.into_iter().find(|st| st.actions.len() == 2));
            assert_eq!(joined.map(|st| st.actions), Some(want.to_vec()), "{name}");
        }
    }
}
