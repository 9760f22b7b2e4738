//! Property: random scenarios of sends and closes, with random drop,
//! duplicate and delay rules and random loss, in both profiles, always
//! deliver both byte streams intact and in order, and end with both
//! endpoints CLOSED once TIME-WAIT has passed (RFC 9293 3.3.2, 3.6, 3.8).
//!
//! `PROPTEST_CASES` overrides the number of cases (64 by default); failing
//! cases are kept in `proptest-regressions/` and replayed first.

mod common;
mod proptest_support;

use common::{dump, simulate};
use proptest::prelude::*;
use proptest_support::{case, digest, Case};
use synack_sim::calls::CallResult;
use synack_sim::transcript::OwnedKind;
use synack_sim::{Side, State};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

/// The last lines of a transcript, for a failure message.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn check(case: &Case) -> Result<(), TestCaseError> {
    let (rec, out) = simulate(&case.scenario());
    let why = || tail(&dump(&rec), 40);
    let streams = case.streams();
    for side in [Side::Client, Side::Server] {
        let sent = &streams[side.peer().index()];
        prop_assert_eq!(
            out.stats.bytes_read[side.index()],
            sent.len() as u64,
            "{} read a different number of bytes than the {} wrote\n{}",
            side,
            side.peer(),
            why()
        );
        prop_assert_eq!(
            out.stats.read_digest[side.index()],
            digest(sent),
            "{} read other bytes than the {} wrote (or out of order)\n{}",
            side,
            side.peer(),
            why()
        );
        prop_assert_eq!(
            out.stats.final_state[side.index()],
            Some(State::Closed),
            "{} did not end CLOSED\n{}",
            side,
            why()
        );
    }
    for ev in &rec.events {
        if let OwnedKind::App {
            endpoint,
            call,
            result,
        } = &ev.kind
        {
            prop_assert!(
                !matches!(result, CallResult::Failed(_) | CallResult::FailedAfter(..)),
                "{} {:?} failed: {:?}\n{}",
                endpoint,
                call,
                result,
                why()
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn streams_arrive_intact_and_both_sides_end_closed(c in case()) {
        check(&c)?;
    }
}

/// A fixed case of each ending with heavy faults, so a regression shows
/// even with `PROPTEST_CASES=0`.
#[test]
fn fixed_cases_with_faults_deliver_and_close() {
    use proptest_support::{Ending, Op, Payload};
    use synack_sim::profile::ProfileName;
    use synack_sim::scenario::{FaultAction, FaultRule, LossRule, SegKind};
    use synack_sim::Dir;
    let rule = |action, dir, kind, nth: Vec<u32>| FaultRule {
        line: 1,
        action,
        dir,
        kind,
        nth,
    };
    for (profile, ending) in [
        (ProfileName::Rfc, Ending::ClientFirst),
        (ProfileName::Linux, Ending::ServerFirst),
        (ProfileName::Rfc, Ending::Together),
        (ProfileName::Linux, Ending::Together),
    ] {
        let c = Case {
            profile,
            seed: 7,
            isn: [Some(u32::MAX - 1000), None],
            rtt_us: 20_000,
            mss: 1460,
            ops: vec![
                Op::Send(Side::Client, Payload::Pattern(50_000)),
                Op::Send(Side::Server, Payload::Text(b"hello".to_vec())),
                Op::Wait(500_000),
                Op::Send(Side::Server, Payload::Pattern(30_000)),
            ],
            ending,
            extra: vec![Payload::Text(b"after the FIN".to_vec())],
            faults: vec![
                rule(
                    FaultAction::Drop,
                    Dir::ClientToServer,
                    SegKind::Data,
                    vec![2, 3],
                ),
                rule(
                    FaultAction::Duplicate,
                    Dir::ServerToClient,
                    SegKind::Any,
                    vec![1, 4],
                ),
                rule(
                    FaultAction::Delay(700_000),
                    Dir::ServerToClient,
                    SegKind::Data,
                    vec![1],
                ),
                rule(
                    FaultAction::Drop,
                    Dir::ClientToServer,
                    SegKind::Fin,
                    vec![1],
                ),
            ],
            losses: vec![LossRule {
                line: 1,
                dir: Dir::ServerToClient,
                ppm: 30_000,
            }],
        };
        if let Err(e) = check(&c) {
            panic!("{profile:?} {ending:?}: {e}");
        }
    }
}
