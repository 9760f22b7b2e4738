//! The state × event matrix (issue 11): every scenario in
//! tests/fixtures/matrix/ forges an event with `inject` (or lets a timer
//! fire) in one state and checks the outcome with `expect` / `wait until`,
//! in both profiles; its `# reply:` line names the flags of the receiver's
//! answer at that instant (`none`: it answers nothing, `-`: not checked;
//! `# reply linux:` where the `linux` profile differs).
//! From their `# cell:` lines this test generates docs/state-event-matrix.md
//! and fails when the file is stale; `SYNACK_BLESS=1` rewrites it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use synack_sim::profile::ProfileName;
use synack_sim::scenario::parse;
use synack_sim::transcript::{EventKind, Fate, Recorder};
use synack_sim::world::{run, RunOptions};
use synack_sim::State;

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

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/matrix")
}

/// Every fixture: (file name, text), by name.
fn fixtures() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir())
        .expect("tests/fixtures/matrix")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tcp"))
        .map(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            (
                name.unwrap_or_default(),
                std::fs::read_to_string(&p).expect("readable"),
            )
        })
        .collect();
    out.sort();
    out
}

fn header<'t>(text: &'t str, key: &str) -> Vec<&'t str> {
    text.lines()
        .filter_map(|l| l.strip_prefix(&format!("# {key}: ")))
        .collect()
}

fn cells() -> Vec<Cell> {
    let mut out = Vec::new();
    for (file, text) in fixtures() {
        let cells = header(&text, "cell");
        assert!(!cells.is_empty(), "{file}: no `# cell:` line");
        for c in cells {
            let parts: Vec<&str> = c.split(" | ").collect();
            let [state, event, outcome, rule] = parts[..] else {
                panic!("{file}: `# cell: STATE | EVENT | OUTCOME | RULE`, found {c}");
            };
            assert!(State::parse(state).is_some(), "{file}: state {state}");
            assert!(
                EVENTS.contains(&event),
                "{file}: event {event} is not one of {EVENTS:?}"
            );
            assert!(
                rule.contains("RFC 9293 3.10") || rule.contains("RFC 5961"),
                "{file}: the rule must cite RFC 9293 3.10 or RFC 5961: {rule}"
            );
            out.push(Cell {
                state: state.into(),
                event: event.into(),
                outcome: outcome.into(),
                rule: rule.into(),
                file: file.clone(),
            });
        }
    }
    out
}

/// The flags of the first segment the receiver of the first injected
/// segment sends at that same instant, or "none".
fn reply(rec: &Recorder) -> Option<String> {
    let evs: Vec<_> = rec.events.iter().map(|e| e.as_event()).collect();
    let (i, t, dir) = evs.iter().enumerate().find_map(|(i, e)| match e.kind {
        EventKind::Segment(ref s) if s.fate == Fate::Injected => Some((i, e.t_us, s.dir)),
        _ => None,
    })?;
    let answer = evs[i + 1..]
        .iter()
        .take_while(|e| e.t_us == t)
        .find_map(|e| match e.kind {
            EventKind::Segment(ref s) if s.dir == dir.reverse() && s.fate != Fate::Injected => {
                Some(s.hdr.flags.names().to_string())
            }
            _ => None,
        });
    Some(answer.unwrap_or_else(|| "none".into()))
}

#[test]
fn every_fixture_holds_in_both_profiles() {
    let mut bad = Vec::new();
    for (file, text) in fixtures() {
        let sc = parse(&file, &text).unwrap_or_else(|e| panic!("{e}"));
        for profile in [ProfileName::Rfc, ProfileName::Linux] {
            // `# reply linux: …` overrides `# reply: …` where the profiles differ.
            let want = header(&text, &format!("reply {profile}"))
                .first()
                .or(header(&text, "reply").first())
                .map(|s| s.to_string());
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
            match want.as_deref() {
                None => bad.push(format!("{file}: no `# reply:` line")),
                Some("-") => {}
                Some(w) => {
                    let got = reply(&rec);
                    if got.as_deref() != Some(w) {
                        bad.push(format!("{file} ({profile}): reply {got:?}, want {w}"));
                    }
                }
            }
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
    let total = State::ALL.len() * EVENTS.len();
    let mut out = String::from(
        "# The state × event matrix\n\n\
         <!-- generated from tests/fixtures/matrix/ by tests/tests/state_event_matrix.rs; \
         rewrite with `SYNACK_BLESS=1 cargo test -p synack-tests --test state_event_matrix` -->\n\n\
         What each of the 11 states does with each event: a forged segment (the\n\
         scenario statement `inject`, docs/scenario-language.md), a timer, or a\n\
         socket call. Every tested cell is a scenario in tests/fixtures/matrix/ whose\n\
         `expect` lines and answer hold in both profiles (`rfc` and `linux`), and\n\
         cites the rule of RFC 9293 3.10 or RFC 5961 it follows. Cells without a\n\
         fixture say \"not yet tested\".\n\n",
    );
    out.push_str(&format!("Tested: {} of {total} cells.\n\n", by.len()));
    for state in State::ALL {
        out.push_str(&format!(
            "## {}\n\n| event | outcome | rule | fixture |\n| --- | --- | --- | --- |\n",
            state.name()
        ));
        for ev in EVENTS {
            match by.get(&(state.name().to_string(), ev.to_string())) {
                Some(cs) => {
                    for c in cs {
                        out.push_str(&format!(
                            "| {ev} | {} | {} | `{}` |\n",
                            c.outcome, c.rule, c.file
                        ));
                    }
                }
                None => out.push_str(&format!("| {ev} | not yet tested | | |\n")),
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
