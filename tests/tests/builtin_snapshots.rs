//! Every built-in scenario's transcript, pinned as text and as JSON Lines.
//! Review a changed `.snap` as you would review code: it is what a student reads.

use insta::assert_snapshot;
use synack::cmd::sim::header;
use synack::render::{JsonRenderer, TextRenderer};
use synack_sim::scenario::builtin::builtins;
use synack_sim::transcript::Sink;
use synack_sim::world::{run, RunOptions};

fn render_text(name: &str) -> String {
    render_text_with(name, RunOptions::default())
}

fn render_text_with(name: &str, opts: RunOptions) -> String {
    let b = synack_sim::scenario::builtin::find(name).expect("listed built-in");
    let sc = b.scenario().expect("built-ins parse");
    let mut out = Vec::new();
    {
        let mut sink = TextRenderer::new(&mut out, header(&sc, &opts.apply(&sc.settings)), false);
        let outcome = run(&sc, &opts, &mut sink).expect("rendering into memory");
        sink.finish().expect("rendering into memory");
        assert!(
            outcome.failures.is_empty(),
            "{name}: {:?}",
            outcome.failures
        );
    }
    String::from_utf8(out).expect("text transcripts are UTF-8")
}

fn render_json(name: &str) -> String {
    let b = synack_sim::scenario::builtin::find(name).expect("listed built-in");
    let sc = b.scenario().expect("built-ins parse");
    let mut out = Vec::new();
    {
        let mut sink = JsonRenderer::new(&mut out);
        run(&sc, &RunOptions::default(), &mut sink).expect("rendering into memory");
        sink.finish().expect("rendering into memory");
    }
    String::from_utf8(out).expect("JSON is UTF-8")
}

#[test]
fn every_builtin_has_text_and_json_snapshots() {
    for b in builtins() {
        let text = render_text(b.name);
        assert_snapshot!(format!("builtin_{}_text", b.name), text);
        if b.name.starts_with("bulk") {
            // Hundreds of segments: the JSON snapshot keeps its first and last lines;
            // the full stream is checked line by line below.
            let json = render_json(b.name);
            let lines: Vec<&str> = json.lines().collect();
            let head = lines[..40.min(lines.len())].join("\n");
            let tail = lines[lines.len().saturating_sub(30)..].join("\n");
            assert_snapshot!(
                format!("builtin_{}_json", b.name),
                format!("{head}\n…\n{tail}")
            );
        } else {
            assert_snapshot!(format!("builtin_{}_json", b.name), render_json(b.name));
        }
    }
}

/// The same in the linux profile, which a teacher hands out too: its notes
/// (delayed ACKs, Nagle, linear SYN timeouts, the 60 s TIME-WAIT) and its
/// errno names are read there.
#[test]
fn every_builtin_has_a_linux_text_snapshot() {
    for b in builtins() {
        let opts = RunOptions {
            profile: Some(synack_sim::profile::ProfileName::Linux),
            seed: None,
        };
        assert_snapshot!(
            format!("builtin_{}_linux_text", b.name),
            render_text_with(b.name, opts)
        );
    }
}

#[test]
fn every_json_line_parses_and_has_kind_and_time() {
    for b in builtins() {
        for line in render_json(b.name).lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
            assert!(v["kind"].is_string(), "{}: {line}", b.name);
            assert!(v["t_us"].is_u64(), "{}: {line}", b.name);
        }
    }
}

#[test]
fn same_scenario_and_seed_give_the_same_bytes() {
    for b in builtins() {
        assert_eq!(render_text(b.name), render_text(b.name), "{}", b.name);
        assert_eq!(render_json(b.name), render_json(b.name), "{}", b.name);
    }
}

/// Issue 14, 4 and 7: a one-line summary is true in both profiles. Where a
/// profile does not do what it says (TIME-WAIT's length, a window that never
/// closes, linear SYN timeouts), it names the profile it is about.
#[test]
fn summaries_hold_in_both_profiles() {
    use synack_sim::profile::ProfileName;
    use synack_sim::transcript::{AnalysisFlag, OwnedKind, Recorder, TimerKind};
    let events = |name: &str, profile| {
        let sc = synack_sim::scenario::builtin::find(name)
            .expect("listed built-in")
            .scenario()
            .expect("built-ins parse");
        let mut rec = Recorder::default();
        let opts = RunOptions {
            profile: Some(profile),
            seed: None,
        };
        run(&sc, &opts, &mut rec).expect("recording cannot fail");
        rec.events
    };
    let summary = |name: &str| {
        synack_sim::scenario::builtin::find(name)
            .expect("listed built-in")
            .summary
    };
    let fired = |name: &str, profile, kind| -> Vec<u64> {
        events(name, profile)
            .iter()
            .filter_map(|e| match e.kind {
                OwnedKind::Timer {
                    timer, after_us, ..
                } if timer == kind => Some(after_us),
                _ => None,
            })
            .collect()
    };
    // time-wait: each profile's length, as the summary gives it.
    let tw = summary("time-wait");
    assert_eq!(
        fired("time-wait", ProfileName::Rfc, TimerKind::TimeWait),
        [240_000_000]
    );
    assert_eq!(
        fired("time-wait", ProfileName::Linux, TimerKind::TimeWait),
        [60_000_000]
    );
    assert!(
        tw.contains("4 min, in the rfc profile") && tw.contains("60 s in linux"),
        "{tw}"
    );
    // lost-syn: 1 s then 2 s (rfc), 1 s again (linux).
    let ls = summary("lost-syn");
    assert_eq!(
        fired("lost-syn", ProfileName::Rfc, TimerKind::Retransmit),
        [1_000_000, 2_000_000]
    );
    assert_eq!(
        fired("lost-syn", ProfileName::Linux, TimerKind::Retransmit),
        [1_000_000, 1_000_000]
    );
    assert!(
        ls.contains("after 1 s, then 2 s") && ls.contains("linux: 1 s again"),
        "{ls}"
    );
    // bulk: the zero window and the persist probes, in the profile named.
    let zero_window = |profile| {
        events("bulk", profile).iter().any(|e| match &e.kind {
            OwnedKind::Segment { seg, .. } => seg.analysis.contains(AnalysisFlag::ZeroWindow),
            _ => false,
        })
    };
    let bulk = summary("bulk");
    assert!(zero_window(ProfileName::Rfc));
    assert!(!fired("bulk", ProfileName::Rfc, TimerKind::Persist).is_empty());
    assert!(
        zero_window(ProfileName::Linux)
            || bulk.contains("in the rfc profile the 64 KiB window fills"),
        "{bulk}"
    );
}

/// Issue 14, 7: under `mss 1460`, the linux profile's full segments carry
/// 1448 bytes (the timestamps option takes 12); the header says so, where
/// the rfc profile (no timestamps) and UDP say nothing of it.
#[test]
fn the_header_says_what_a_full_segment_carries_with_timestamps() {
    let linux = || RunOptions {
        profile: Some(synack_sim::profile::ProfileName::Linux),
        seed: None,
    };
    let text = render_text_with("bulk-loss", linux());
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.ends_with("mss 1460 · seed 0 · timestamps on: a full segment carries 1448 bytes"),
        "{first}"
    );
    assert!(text.contains(" len=1448 "), "{text}");
    assert!(!render_text("bulk-loss").contains("timestamps"));
    assert!(!render_text_with("udp-echo", linux()).contains("timestamps"));
}
