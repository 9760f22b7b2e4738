//! Every built-in scenario's transcript, pinned as text and as JSON Lines.
//! Review a changed `.snap` as you would review code: it is what a student reads.

use insta::assert_snapshot;
use synack::cmd::sim::header;
use synack::render::{JsonRenderer, TextRenderer};
use synack_sim::scenario::builtin::builtins;
use synack_sim::transcript::Sink;
use synack_sim::world::{run, RunOptions};

fn render_text(name: &str) -> String {
    let b = synack_sim::scenario::builtin::find(name).expect("listed built-in");
    let sc = b.scenario().expect("built-ins parse");
    let opts = RunOptions::default();
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
