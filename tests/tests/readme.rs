//! README.md keeps its promises: the Quick start block holds exactly the two
//! commands `.ci/run` relies on, its samples are what synack prints today, and
//! its JSON example follows docs/transcript-json.md.

use std::path::PathBuf;

fn readme() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The lines of the first fenced block after `heading`.
fn first_block_after(text: &str, heading: &str) -> Vec<String> {
    let mut lines = text
        .lines()
        .skip_while(|l| l.trim() != heading)
        .skip(1)
        .take_while(|l| !l.starts_with("## "));
    let _ = lines.by_ref().find(|l| l.starts_with("```"));
    lines
        .take_while(|l| !l.starts_with("```"))
        .map(str::to_string)
        .collect()
}

#[test]
fn quick_start_holds_two_commands_demo_then_tests() {
    let block = first_block_after(&readme(), "## Quick start");
    let cmds: Vec<&String> = block
        .iter()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect();
    assert_eq!(cmds.len(), 2, "{cmds:?}");
    assert!(cmds[0].starts_with("sh scripts/setup.sh "), "{}", cmds[0]);
    // The setup script installs libpcap's runtime package (live capture
    // loads it; building needs no libpcap-dev), as root or with sudo (never
    // a bare `sudo`: a fresh machine as root may not have it).
    let setup = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/setup.sh"),
    )
    .unwrap_or_default();
    let packages = setup
        .lines()
        .find(|l| l.starts_with("packages="))
        .unwrap_or_else(|| panic!("no packages= line in\n{setup}"));
    let packages: Vec<&str> = packages
        .trim_start_matches("packages=")
        .trim_matches('"')
        .split_whitespace()
        .collect();
    assert!(packages.contains(&"libpcap0.8"), "{packages:?}");
    assert!(setup.contains("id -u"), "{setup}");
    assert!(!cmds[0].contains("sudo"), "{}", cmds[0]);
    assert!(
        cmds[0].ends_with("cargo run --release -p synack -- demo"),
        "{}",
        cmds[0]
    );
    assert_eq!(cmds[1].as_str(), "cargo test --workspace");
}

#[test]
fn ci_runs_the_readme_test_command() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.ci/run");
    let ci = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(ci.starts_with("#!/usr/bin/env bash\n"));
    assert!(ci.contains("set -euo pipefail"));
    assert!(
        ci.contains("## Quick start"),
        "CI takes its test command from the README"
    );
    assert!(
        ci.contains("sh scripts/setup.sh"),
        "CI installs what the Quick start installs"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .map(|m| m.permissions().mode())
            .unwrap_or(0);
        assert!(mode & 0o111 != 0, ".ci/run is not executable");
    }
}

/// The JSON example: lines that `synack sim lost-data --format json` prints
/// today, each following docs/transcript-json.md.
#[test]
fn json_example_lines_are_printed_and_follow_the_contract() {
    use synack::render::JsonRenderer;
    use synack_sim::transcript::Sink;
    use synack_sim::world::{run, RunOptions};
    use synack_tests::transcript_json::{Checker, Command, Doc, Forms};

    let text = readme();
    let block = first_block_after(&text, "## JSON transcript");
    assert!(block.len() >= 5, "{block:?}");
    let sc = synack_sim::scenario::builtin::find("lost-data")
        .expect("the built-in exists")
        .scenario()
        .expect("it parses");
    let mut out = Vec::new();
    {
        let mut sink = JsonRenderer::new(&mut out);
        run(&sc, &RunOptions::default(), &mut sink).expect("rendering into memory");
        sink.finish().expect("rendering into memory");
    }
    let printed = String::from_utf8(out).expect("UTF-8");
    let doc = Doc::load();
    let forms = Forms::from_doc(&doc);
    for line in &block {
        assert!(
            printed.lines().any(|l| l == line),
            "README.md's JSON example is stale: `synack sim lost-data --format json` no longer prints\n{line}"
        );
        let mut checker = Checker::new(&doc, &forms, Command::Sim);
        checker.sequence = false;
        if let Err(e) = checker.line(line) {
            panic!("{line}\n{e}");
        }
    }
}

/// The scenario example is a whole scenario that holds in both profiles.
#[test]
fn the_scenario_example_runs_in_both_profiles() {
    use synack_sim::profile::ProfileName;
    use synack_sim::transcript::Discard;
    use synack_sim::world::{run, RunOptions};

    let block = first_block_after(&readme(), "## The scenario language");
    let sc = synack_sim::scenario::parse("README.md", &block.join("\n"))
        .unwrap_or_else(|e| panic!("README.md's scenario: {e}"));
    for profile in [ProfileName::Rfc, ProfileName::Linux] {
        let opts = RunOptions {
            profile: Some(profile),
            seed: None,
        };
        let outcome = run(&sc, &opts, &mut Discard).expect("runs");
        assert_eq!(
            outcome.failures,
            [],
            "README.md's scenario, profile {profile}"
        );
    }
}

/// The sample transcript is what `synack sim lost-data` prints today.
#[test]
fn the_sample_transcript_is_current() {
    use synack::cmd::sim::header;
    use synack::render::TextRenderer;
    use synack_sim::transcript::Sink;
    use synack_sim::world::{run, RunOptions};

    let text = readme();
    let start = text
        .find("`synack sim lost-data` prints:\n\n```text\n")
        .expect("README shows the lost-data transcript");
    let body = &text[start..];
    let body = &body[body.find("```text\n").map_or(0, |i| i + 8)..];
    let shown = &body[..body.find("```").expect("the block ends")];

    let sc = synack_sim::scenario::builtin::find("lost-data")
        .expect("the built-in exists")
        .scenario()
        .expect("it parses");
    let opts = RunOptions::default();
    let mut out = Vec::new();
    {
        let mut sink = TextRenderer::new(&mut out, header(&sc, &opts.apply(&sc.settings)), false);
        run(&sc, &opts, &mut sink).expect("rendering into memory");
        sink.finish().expect("rendering into memory");
    }
    let actual = String::from_utf8(out).expect("UTF-8");
    assert_eq!(
        shown, actual,
        "README.md's sample is stale: paste the new output"
    );
}

#[test]
fn the_step_screenshot_is_the_screen_synack_step_draws() {
    use synack::tui::draw::{buffer_text, render, Palette};
    use synack::tui::session::{Command, Session};
    use synack::tui::sim::SimSession;
    let block = first_block_after(&readme(), "## Stepping through a connection");
    let sc = synack_sim::scenario::builtin::find("lost-data")
        .and_then(|b| b.scenario().ok())
        .expect("a built-in");
    let about = "profile rfc · rtt 20 ms · mss 1460 · seed 0".to_string();
    let mut s = Session::new(Box::new(SimSession::new(
        &sc,
        &synack_sim::world::RunOptions::default(),
        "lost-data".into(),
        about,
    )));
    let mut tick = |_| true;
    for _ in 0..19 {
        s.apply(Command::Next, &mut tick).expect("more events");
    }
    s.apply(Command::SelectOlder, &mut tick).expect("#6");
    s.apply(Command::Drop(6), &mut tick).expect("a branch");
    let area = ratatui::layout::Rect::new(0, 0, 80, 24);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    render(&s.view(), area, &mut buf, Palette { color: false }, false);
    let screen = buffer_text(&buf, false);
    let want: Vec<&str> = screen.lines().collect();
    assert_eq!(
        block, want,
        "README's screenshot of `synack step lost-data`"
    );
}

/// The README's legend is the one `synack demo` prints, word for word, so
/// that it cannot drift from what the transcript shows (the legend's own
/// claims are tested in render.rs).
#[test]
fn the_legend_is_the_one_synack_demo_prints() {
    let text = readme();
    let start = text
        .find("```text\nHow to read the transcript:\n")
        .expect("README shows the legend");
    let body = &text[start + "```text\n".len()..];
    let shown = &body[..body.find("```").expect("the block ends")];
    let legend = synack::cmd::demo::LEGEND;
    let from = legend
        .find("How to read the transcript:\n")
        .expect("the demo's legend");
    assert_eq!(
        shown.trim_end(),
        legend[from..].trim_end(),
        "README.md's legend is stale: paste the one in cli/src/cmd/demo.rs (LEGEND)"
    );
}
