//! The state × event matrix (issue 11): every scenario in
//! tests/fixtures/matrix/ brings an endpoint into a state, then forges a
//! segment with `inject`, lets a timer fire or makes a call, and checks the
//! outcome with `expect` / `wait until`, in both profiles. Its header lines:
//! - `# cell: STATE | EVENT | OUTCOME | RULE`, one per cell it tests;
//! - `# reply: FLAGS`, one per injected segment in order: the flags of the
//!   receiver's answer at that instant (`none`: it answers nothing; a single
//!   `-`: not checked); `# reply linux:` lines replace them where the `linux`
//!   profile differs;
//! - `# result: CALL = TEXT`, one per call cell: the first result of that
//!   call in the cell's state, as the transcript words it (`# result linux:`
//!   lines replace them);
//! - `# timer in: PROFILE`: the profile in which a timer cell's timer runs
//!   (the delayed ACK: `linux` only); by default both.
//!
//! The test also checks that each cell's event happens in its state: an
//! injected segment reaches an endpoint in it, the timer fires in it, the
//! call is made in it. tests/fixtures/matrix/impossible.txt lists the cells
//! that cannot occur, with the reason. From all of them this test generates
//! docs/state-event-matrix.md, and fails when the file is stale
//! (`SYNACK_BLESS=1` rewrites it) or when a cell is neither tested nor
//! impossible.

use std::collections::BTreeMap;
use std::path::PathBuf;
use synack::render::words::ResultText;
use synack_sim::calls::{Call, CallResult};
use synack_sim::profile::ProfileName;
use synack_sim::scenario::parse;
use synack_sim::transcript::{Event, EventKind, Fate, Recorder};
use synack_sim::world::{run, RunOptions};
use synack_sim::State;
use synack_tests::matrix::{dir, fixtures};

/// The events of the issue, in the order the document lists them.
const EVENTS: [&str; 24] = [
    "SYN",
    "SYN-ACK",
    "ACK: acceptable",
    "ACK: old (below SND.UNA - MAX.SND.WND)",
    "ACK: ahead of SND.NXT",
    "RST: exactly RCV.NXT",
    "RST: in window, not RCV.NXT",
    "RST: outside the window",
    "FIN",
    "data: in window",
    "data: partly in window",
    "data: outside the window",
    "timer: retransmit",
    "timer: time-wait",
    "timer: persist",
    "timer: keepalive",
    "timer: delayed-ack",
    "call: connect",
    "call: listen",
    "call: send",
    "call: recv",
    "call: shutdown",
    "call: close",
    "call: abort",
];

struct Cell {
    state: String,
    event: String,
    outcome: String,
    rule: String,
    file: String,
}

fn header<'t>(text: &'t str, key: &str) -> Vec<&'t str> {
    text.lines()
        .filter_map(|l| l.strip_prefix(&format!("# {key}: ")))
        .collect()
}

/// The `# cell:` lines of one fixture.
fn cells_of(file: &str, text: &str) -> Vec<Cell> {
    let cells = header(text, "cell");
    assert!(!cells.is_empty(), "{file}: no `# cell:` line");
    cells
        .into_iter()
        .map(|c| {
            let parts: Vec<&str> = c.split(" | ").collect();
            let [state, event, outcome, rule] = parts[..] else {
                panic!("{file}: `# cell: STATE | EVENT | OUTCOME | RULE`, found {c}");
            };
            check_cell(file, state, event);
            assert!(
                rule.contains("RFC 9293 3.10") || rule.contains("RFC 5961"),
                "{file}: the rule must cite RFC 9293 3.10 or RFC 5961: {rule}"
            );
            Cell {
                state: state.into(),
                event: event.into(),
                outcome: outcome.into(),
                rule: rule.into(),
                file: file.into(),
            }
        })
        .collect()
}

fn check_cell(file: &str, state: &str, event: &str) {
    assert!(State::parse(state).is_some(), "{file}: state {state}");
    assert!(
        EVENTS.contains(&event),
        "{file}: event {event} is not one of {EVENTS:?}"
    );
}

fn cells() -> Vec<Cell> {
    fixtures()
        .iter()
        .flat_map(|(file, text)| cells_of(file, text))
        .collect()
}

/// The cells that cannot occur, from tests/fixtures/matrix/impossible.txt:
/// `STATE | EVENT | WHY | RULE` a line; `#` starts a comment line.
fn impossible() -> Vec<Cell> {
    let file = "impossible.txt";
    let text = std::fs::read_to_string(dir().join(file)).expect("impossible.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let parts: Vec<&str> = l.split(" | ").collect();
            let [state, event, why, rule] = parts[..] else {
                panic!("{file}: `STATE | EVENT | WHY | RULE`, found {l}");
            };
            check_cell(file, state, event);
            assert!(rule.contains("RFC"), "{file}: cite the RFC: {l}");
            Cell {
                state: state.into(),
                event: event.into(),
                outcome: format!("cannot occur: {why}"),
                rule: rule.into(),
                file: file.into(),
            }
        })
        .collect()
}

/// The flags of what the receiver of each injected segment sends at that
/// same instant, before the next injected segment: one entry per injected
/// segment, "none" when it answers nothing.
fn replies(evs: &[Event<'_>]) -> Vec<String> {
    let injected: Vec<usize> = evs
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e.kind, EventKind::Segment(ref s) if s.fate == Fate::Injected))
        .map(|(i, _)| i)
        .collect();
    injected
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let EventKind::Segment(ref s) = evs[i].kind else {
                unreachable!()
            };
            let (t, dir) = (evs[i].t_us, s.dir);
            let stop = injected.get(k + 1).copied().unwrap_or(evs.len());
            evs[i + 1..stop]
                .iter()
                .take_while(|e| e.t_us == t)
                .find_map(|e| match e.kind {
                    EventKind::Segment(ref s)
                        if s.dir == dir.reverse() && s.fate != Fate::Injected =>
                    {
                        Some(s.hdr.flags.names().to_string())
                    }
                    _ => None,
                })
                .unwrap_or_else(|| "none".into())
        })
        .collect()
}

/// What happened in each state, as the transcript tells it: the states the
/// receivers of injected segments were in, the timers that fired per state,
/// and the first result of each call per state.
#[derive(Default)]
struct Seen {
    /// (state of the receiver) for each injected segment.
    injected_in: Vec<State>,
    /// (state, timer name) of each timer that fired.
    timers: Vec<(State, String)>,
    /// (state, call name, result text) of each call made, its first result.
    calls: Vec<(State, String, String)>,
}

fn call_name(c: &Call) -> &'static str {
    match c {
        Call::Listen { .. } => "listen",
        Call::Connect { .. } => "connect",
        Call::Accept => "accept",
        Call::Send(_) => "send",
        Call::Recv(_) => "recv",
        Call::Shutdown => "shutdown",
        Call::Close => "close",
        Call::Abort => "abort",
        _ => "udp",
    }
}

fn seen(evs: &[Event<'_>]) -> Seen {
    let mut state = [State::Closed; 2];
    // The calls of each side still blocked: their later result is no new call.
    let mut blocked: [Vec<&Call>; 2] = [Vec::new(), Vec::new()];
    let mut out = Seen::default();
    for e in evs {
        match e.kind {
            EventKind::State { endpoint, to, .. } => state[endpoint.index()] = to,
            EventKind::Segment(ref s) if s.fate == Fate::Injected => {
                out.injected_in.push(state[s.dir.receiver().index()])
            }
            EventKind::Timer {
                endpoint, timer, ..
            } => out
                .timers
                .push((state[endpoint.index()], timer.name().to_string())),
            EventKind::App {
                endpoint,
                call,
                result,
            } => {
                let b = &mut blocked[endpoint.index()];
                if let Some(i) = b.iter().position(|c| *c == call) {
                    if !matches!(result, CallResult::Blocked(_)) {
                        b.remove(i);
                    }
                    continue;
                }
                if matches!(result, CallResult::Blocked(_)) {
                    b.push(call);
                }
                out.calls.push((
                    state[endpoint.index()],
                    call_name(call).to_string(),
                    ResultText(result).to_string(),
                ));
            }
            _ => {}
        }
    }
    out
}

/// `# KEY PROFILE: …` where given, else `# KEY: …`.
fn for_profile<'t>(text: &'t str, key: &str, profile: ProfileName) -> Vec<&'t str> {
    let own = header(text, &format!("{key} {profile}"));
    if own.is_empty() {
        header(text, key)
    } else {
        own
    }
}

/// Checks one fixture's cells against its run in one profile.
fn check_cells(file: &str, text: &str, profile: ProfileName, evs: &[Event<'_>]) -> Vec<String> {
    let mut bad = Vec::new();
    let seen = seen(evs);
    // `# reply:` lines, one per injected segment in order ("-": not checked).
    let want = for_profile(text, "reply", profile);
    let got = replies(evs);
    if want.is_empty() {
        bad.push(format!("{file}: no `# reply:` line"));
    } else if want != ["-"] {
        if want.len() != got.len() {
            bad.push(format!(
                "{file} ({profile}): {} `# reply:` lines for {} injected segments",
                want.len(),
                got.len()
            ));
        }
        for (k, (w, g)) in want.iter().zip(&got).enumerate() {
            if *w != "-" && w != g {
                bad.push(format!(
                    "{file} ({profile}): injected segment {}: reply {g}, want {w}",
                    k + 1
                ));
            }
        }
    }
    // `# result: CALL = TEXT` lines: the first result of CALL in the cell's state.
    let results: Vec<(&str, &str)> = for_profile(text, "result", profile)
        .into_iter()
        .filter_map(|r| r.split_once(" = "))
        .collect();
    // `# timer in: PROFILE` limits the check that the timer fired.
    let timer_in = header(text, "timer in");
    for c in cells_of(file, text) {
        let st = State::parse(&c.state).expect("checked");
        if let Some(call) = c.event.strip_prefix("call: ") {
            let Some((_, _, r)) = seen.calls.iter().find(|(s, n, _)| *s == st && n == call) else {
                bad.push(format!("{file} ({profile}): no {call} in {}", c.state));
                continue;
            };
            match results.iter().find(|(n, _)| *n == call) {
                None => bad.push(format!("{file}: no `# result: {call} = …` line")),
                Some((_, w)) if w != r => bad.push(format!(
                    "{file} ({profile}): {call} in {} returned {r:?}, want {w:?}",
                    c.state
                )),
                Some(_) => {}
            }
        } else if let Some(timer) = c.event.strip_prefix("timer: ") {
            let applies = timer_in.is_empty() || timer_in.contains(&profile.to_string().as_str());
            if applies && !seen.timers.iter().any(|(s, t)| *s == st && t == timer) {
                bad.push(format!(
                    "{file} ({profile}): no {timer} timer fired in {}",
                    c.state
                ));
            }
        } else if !seen.injected_in.contains(&st) {
            bad.push(format!(
                "{file} ({profile}): no segment injected in {}",
                c.state
            ));
        }
    }
    bad
}

#[test]
fn every_fixture_holds_in_both_profiles() {
    let mut bad = Vec::new();
    for (file, text) in fixtures() {
        let sc = parse(&file, &text).unwrap_or_else(|e| panic!("{e}"));
        for profile in [ProfileName::Rfc, ProfileName::Linux] {
            let opts = RunOptions {
                profile: Some(profile),
                seed: None,
            };
            let mut rec = Recorder::default();
            let out = run(&sc, &opts, &mut rec).expect("in memory");
            if let Some(e) = out.error {
                bad.push(format!("{file} ({profile}): {e}"));
            }
            for f in out.failures {
                bad.push(format!(
                    "{file} ({profile}): line {} expected {} {}, was {}",
                    f.line, f.side, f.expected, f.actual
                ));
            }
            let evs: Vec<_> = rec.events.iter().map(|e| e.as_event()).collect();
            bad.extend(check_cells(&file, &text, profile, &evs));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// docs/state-event-matrix.md as generated from the fixtures.
fn document() -> String {
    let mut by: BTreeMap<(String, String), Vec<Cell>> = BTreeMap::new();
    for c in cells() {
        by.entry((c.state.clone(), c.event.clone()))
            .or_default()
            .push(c);
    }
    let mut never: BTreeMap<(String, String), Cell> = BTreeMap::new();
    for c in impossible() {
        let key = (c.state.clone(), c.event.clone());
        assert!(
            !by.contains_key(&key),
            "{} / {}: tested by {} and listed in impossible.txt",
            c.state,
            c.event,
            by[&key][0].file
        );
        assert!(
            never.insert(key, c).is_none(),
            "impossible.txt lists a cell twice"
        );
    }
    let total = State::ALL.len() * EVENTS.len();
    let left = total - by.len() - never.len();
    // Issue 11: every cell tested or marked impossible with the reason.
    assert_eq!(left, 0, "cells neither tested nor in impossible.txt");
    let mut out = String::from(
        "# The state × event matrix\n\n\
         <!-- generated from tests/fixtures/matrix/ by tests/tests/state_event_matrix.rs; \
         rewrite with `SYNACK_BLESS=1 cargo test -p synack-tests --test state_event_matrix` -->\n\n\
         What each of the 11 states does with each event: a forged segment (the\n\
         scenario statement `inject`, docs/scenario-language.md), a timer, or a\n\
         socket call. Every tested cell is a scenario in tests/fixtures/matrix/ whose\n\
         `expect` lines, answers and call results hold in both profiles (`rfc` and\n\
         `linux`), and cites the rule of RFC 9293 3.10 or RFC 5961 it follows; the\n\
         test checks that the event really happens in that state (the segment\n\
         reaches an endpoint in it, the timer fires in it, the call is made in it).\n\
         A call's outcome starts with its result as the `rfc` profile shows it\n\
         (the `linux` profile names errors by errno). Cells that cannot occur say\n\
         why (tests/fixtures/matrix/impossible.txt).\n\n",
    );
    out.push_str(&format!(
        "Tested: {} of {total} cells; cannot occur: {}; not yet tested: {left}.\n\n",
        by.len(),
        never.len()
    ));
    for state in State::ALL {
        out.push_str(&format!(
            "## {}\n\n| event | outcome | rule | fixture |\n| --- | --- | --- | --- |\n",
            state.name()
        ));
        for ev in EVENTS {
            let key = (state.name().to_string(), ev.to_string());
            match (by.get(&key), never.get(&key)) {
                (Some(cs), _) => {
                    for c in cs {
                        out.push_str(&format!(
                            "| {ev} | {} | {} | `{}` |\n",
                            c.outcome, c.rule, c.file
                        ));
                    }
                }
                (None, Some(c)) => {
                    out.push_str(&format!("| {ev} | {} | {} | |\n", c.outcome, c.rule))
                }
                (None, None) => out.push_str(&format!("| {ev} | not yet tested | | |\n")),
            }
        }
        out.push('\n');
    }
    out
}

#[test]
fn the_matrix_document_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/state-event-matrix.md");
    let want = document();
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have != want {
        if std::env::var_os("SYNACK_BLESS").is_some() {
            std::fs::write(&path, want).expect("docs/ is writable");
            return;
        }
        panic!(
            "{} is stale: run `SYNACK_BLESS=1 cargo test -p synack-tests --test state_event_matrix`",
            path.display()
        );
    }
}
