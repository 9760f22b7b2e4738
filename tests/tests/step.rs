//! `synack step`, pinned: the scripted mode's sessions (the screen as text
//! after each command, the one line a bad command gets) and the terminal
//! UI's layout at 80x24 and 200x60 through ratatui's `TestBackend`. Both
//! go through the library path the command uses (a session, the scripted
//! loop, `draw::render`), in memory.
//!
//! Review a changed `.snap` as you would code: it is what a student sees.

use insta::assert_snapshot;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::path::Path;
use synack::tui::capture;
use synack::tui::draw::{render, Palette};
use synack::tui::script;
use synack::tui::session::{Command, Session};
use synack::tui::sim::SimSession;
use synack_sim::scenario::builtin::find;
use synack_sim::world::RunOptions;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/captures");

/// Ephemeral ports of the real captures normalized, as in the annotate snapshots.
fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(
        r"127\.0\.0\.1:(?:3[2-9]\d{3}|[45]\d{4}|60\d{3})\b",
        "127.0.0.1:[port]",
    );
    s.set_prepend_module_to_snapshot(true);
    s
}

fn sim(name: &str) -> Session {
    let sc = find(name)
        .and_then(|b| b.scenario().ok())
        .expect("a built-in");
    let about = "profile rfc · rtt 20 ms · mss 1460 · seed 0".to_string();
    Session::new(Box::new(SimSession::new(
        &sc,
        &RunOptions::default(),
        name.into(),
        about,
    )))
}

fn capture(file: &str) -> Session {
    let s = capture::load(&Path::new(FIXTURES).join(file), None).expect("a stored fixture");
    Session::new(Box::new(s))
}

/// A scripted session: what it prints, what it says on stderr, and how
/// many lines it could not run.
fn script(mut session: Session, commands: &str) -> String {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let failed = script::run(
        &mut session,
        &mut commands.as_bytes(),
        &mut out,
        &mut err,
        false,
    )
    .expect("in memory");
    format!(
        "{}--- stderr ({failed} failed) ---\n{}",
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&err)
    )
}

#[test]
fn step_lost_data_walk_to_the_loss_and_branch_the_ack() {
    // The issue's teacher: walk to the loss, step back, branch "what if the
    // ACK were lost", compare the two endings, go back.
    let mut commands = "next\n".repeat(15);
    commands.push_str("prev\nend\nstart\n");
    commands.push_str(&"next\n".repeat(19));
    commands.push_str("drop 6\nend\nundo\nend\nquit\nnext\n");
    let out = script(sim("lost-data"), &commands);
    assert!(out.ends_with("--- stderr (0 failed) ---\n"), "{out}");
    // What comes after `quit` is not run.
    assert_eq!(out.matches("> ").count(), 15 + 3 + 19 + 5, "{out}");
    // Keep the screens worth reading: the loss, the step back, the branch
    // and both endings.
    let screens: Vec<&str> = out.split("\n> ").collect();
    let pick = |cmd: &str, nth: usize| -> String {
        screens
            .iter()
            .filter(|s| s.starts_with(cmd))
            .nth(nth)
            .map(|s| format!("> {s}"))
            .unwrap_or_else(|| panic!("no {nth}th {cmd:?} screen in\n{out}"))
    };
    let kept = [
        pick("next", 14),
        pick("prev", 0),
        pick("end", 0),
        pick("drop 6", 0),
        pick("end", 1),
        pick("undo", 0),
        pick("end", 2),
    ]
    .join("\n");
    assert_snapshot!("step_lost_data_teacher", kept);
}

#[test]
fn step_bad_commands_get_one_line_and_the_session_goes_on() {
    let out = script(
        sim("handshake"),
        "# comments and blank lines are skipped\n\nprev\njump 3\ndrop\ndrop x\ndrop 9\nundo\nnext\nnext 2\n",
    );
    assert_snapshot!("step_bad_commands", out);
}

#[test]
fn step_capture_goes_segment_by_segment_without_branches() {
    let _s = settings().bind_to_scope();
    let out = script(
        capture("data_lost_rto.pcap"),
        "next\nnext\nnext\nnext\nnext\nend\ndrop 4\nundo\nstart\n",
    );
    assert_snapshot!("step_capture_data_lost_rto", out);
}

/// The terminal UI's screen at `w`x`h`, as `TestBackend` holds it.
fn screen(session: &Session, w: u16, h: u16, help: bool) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("a test terminal");
    let view = session.view();
    term.draw(|f| {
        render(
            &view,
            f.area(),
            f.buffer_mut(),
            Palette { color: false },
            help,
        )
    })
    .expect("drawn");
    term.backend().to_string()
}

/// lost-data at the retransmission's ACK (#6 in flight), #6 selected.
fn at_the_ack() -> Session {
    let mut s = sim("lost-data");
    let mut tick = |_| true;
    for _ in 0..19 {
        s.apply(Command::Next, &mut tick).expect("more events");
    }
    s.apply(Command::SelectOlder, &mut tick).expect("a segment");
    s
}

#[test]
fn step_layout_80x24() {
    assert_snapshot!("step_layout_80x24", screen(&at_the_ack(), 80, 24, false));
}

#[test]
fn step_layout_200x60() {
    assert_snapshot!("step_layout_200x60", screen(&at_the_ack(), 200, 60, false));
}

#[test]
fn step_layout_help_80x24() {
    assert_snapshot!(
        "step_layout_help_80x24",
        screen(&at_the_ack(), 80, 24, true)
    );
}

#[test]
fn step_layout_capture_80x24() {
    let _s = settings().bind_to_scope();
    let mut s = capture("fast_retransmit.pcap");
    let mut tick = |_| true;
    for _ in 0..12 {
        s.apply(Command::Next, &mut tick).expect("more segments");
    }
    assert_snapshot!("step_layout_capture_80x24", screen(&s, 80, 24, false));
}

#[test]
fn step_layout_branch_message_wraps_at_80x24() {
    let mut s = at_the_ack();
    let mut tick = |_| true;
    s.apply(Command::Drop(6), &mut tick).expect("#6 was sent");
    s.apply(Command::End, &mut tick).expect("the end");
    assert_snapshot!("step_layout_branch_end_80x24", screen(&s, 80, 24, false));
}
