//! Helpers shared by the simulator's integration tests.
#![allow(dead_code)]

use synack_sim::calls::{Call, CallResult};
use synack_sim::scenario::{Action, RecvMax, Scenario, SendData, Settings, Step};
use synack_sim::transcript::{EventKind, OwnedKind, Recorder};
use synack_sim::world::{run, RunOptions, RunOutcome};
use synack_sim::{Side, State};

/// Builds a scenario from actions, one step each (`&`-steps via `steps`).
pub fn scenario(settings: Settings, steps: Vec<Vec<Action>>) -> Scenario {
    Scenario {
        source: "test".into(),
        settings,
        steps: steps
            .into_iter()
            .enumerate()
            .map(|(i, actions)| Step {
                line: i as u32 + 1,
                text: String::new(),
                actions,
            })
            .collect(),
    }
}

pub fn simulate(s: &Scenario) -> (Recorder, RunOutcome) {
    let mut rec = Recorder::default();
    let out = run(s, &RunOptions::default(), &mut rec).expect("in-memory sink cannot fail");
    (rec, out)
}

/// A compact, readable dump of a transcript for debugging and assertions.
pub fn dump(rec: &Recorder) -> String {
    let mut out = String::new();
    for ev in &rec.events {
        let e = ev.as_event();
        let t = e.t_us as f64 / 1e6;
        let line = match e.kind {
            EventKind::Segment(s) => format!(
                "{t:>10.6} {} {:<8} seq={} ack={} len={} win={} {}{}",
                s.dir,
                s.hdr.flags.names(),
                s.rel_seq,
                s.rel_ack.map(|a| a.to_string()).unwrap_or("-".into()),
                s.hdr.payload_len,
                s.win_bytes,
                s.fate.name(),
                s.analysis
                    .iter()
                    .map(|f| format!(" [{}]", f.name()))
                    .collect::<String>()
            ),
            EventKind::Datagram(d) => format!(
                "{t:>10.6} {} UDP {}->{} len={} {}",
                d.dir,
                d.src_port,
                d.dst_port,
                d.len,
                d.fate.name()
            ),
            EventKind::State {
                endpoint, from, to, ..
            } => {
                format!("{t:>10.6} {endpoint} {from} -> {to}")
            }
            EventKind::App {
                endpoint,
                call,
                result,
            } => format!("{t:>10.6} {endpoint} {call:?} => {result:?}"),
            EventKind::Timer {
                endpoint,
                timer,
                rto_us,
                ..
            } => {
                format!("{t:>10.6} {endpoint} timer {timer} {rto_us:?}")
            }
            EventKind::Note(note) => format!("{t:>10.6} # {note:?}"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

pub fn states_of(rec: &Recorder, side: Side) -> Vec<State> {
    rec.events
        .iter()
        .filter_map(|e| match &e.kind {
            OwnedKind::State { endpoint, to, .. } if *endpoint == side => Some(*to),
            _ => None,
        })
        .collect()
}

#[allow(unused_imports)]
pub use Action::*;
pub fn c() -> Side {
    Side::Client
}
pub fn s() -> Side {
    Side::Server
}
pub fn text(t: &str) -> SendData {
    SendData::Text(t.as_bytes().to_vec())
}
pub const ANY: RecvMax = RecvMax::Any;

/// The result of each completed `call` of `side`, in order (blocked ones left out).
pub fn results(rec: &Recorder, side: Side, call: &Call) -> Vec<CallResult> {
    rec.events
        .iter()
        .filter_map(|e| match &e.kind {
            OwnedKind::App {
                endpoint,
                call: c,
                result,
            } if *endpoint == side && c == call && !matches!(result, CallResult::Blocked(_)) => {
                Some(result.clone())
            }
            _ => None,
        })
        .collect()
}
