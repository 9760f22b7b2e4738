//! `synack step` in a real terminal: tmux runs a shell in an 80x24 pane,
//! the test types `synack step lost-data` and then the keys (send-keys),
//! and reads the screen (capture-pane) after each: forwards, backwards, the
//! start and the end, a branch and its undo, quit. After quitting (or
//! Ctrl-C, or a panic) the terminal must be as it was: the normal screen
//! (tmux's `alternate_on` is 0), the cursor shown (`cursor_flag` 1), and
//! the line discipline back in canonical mode with echo (`stty -a`).
//!
//! Where tmux is missing the tests skip with a printed reason, unless
//! `SYNACK_REQUIRE_LIVE=1` (CI, where scripts/setup.sh installs it): then
//! a skip is a failure.

mod common;

use common::SYNACK;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const REQUIRE_LIVE: &str = "SYNACK_REQUIRE_LIVE";

/// How long to wait for the screen to show something before failing.
/// Nothing is asserted about speed: a slow machine only waits longer.
const SHOWS_WITHIN: Duration = Duration::from_secs(20);

fn required() -> bool {
    std::env::var(REQUIRE_LIVE).is_ok_and(|v| v == "1")
}

/// `Some(tmux)` to go on; `None` (after printing why) to skip; panics when
/// a skip is not allowed.
fn tmux_or_skip(test: &str) -> Option<Tmux> {
    let found = Command::new("tmux").arg("-V").output();
    match found {
        Ok(o) if o.status.success() => Some(Tmux::new(test)),
        _ if required() => panic!(
            "{test}: tmux is missing (apt-get install tmux; scripts/setup.sh installs it) \
             ({REQUIRE_LIVE}=1, so this is a failure, not a skip)"
        ),
        _ => {
            eprintln!("{test}: skipped: tmux is missing (apt-get install tmux)");
            None
        }
    }
}

/// A private tmux server (its own socket) with one 80x24 pane running `sh`;
/// killed when dropped, whatever happened.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn new(test: &str) -> Tmux {
        let t = Tmux {
            socket: format!("synack-{test}-{}", std::process::id()),
        };
        let o = t.run(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "80",
            "-y",
            "24",
            "-e",
            "PS1=$ ",
            "-e",
            "NO_COLOR=",
            "sh",
        ]);
        assert!(o.status.success(), "tmux new-session: {o:?}");
        t
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    /// Types `keys` (tmux key names: `n`, `Left`, `Home`, `Tab`, `C-c`).
    fn keys(&self, keys: &[&str]) {
        for k in keys {
            let o = self.run(&["send-keys", "-t", "t", k]);
            assert!(o.status.success(), "send-keys {k}: {o:?}");
        }
    }

    /// Types a line of text and Enter.
    fn line(&self, text: &str) {
        let o = self.run(&["send-keys", "-t", "t", "-l", text]);
        assert!(o.status.success(), "send-keys: {o:?}");
        self.keys(&["Enter"]);
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    fn flag(&self, name: &str) -> String {
        let f = format!("#{{{name}}}");
        String::from_utf8_lossy(&self.run(&["display-message", "-p", "-t", "t", &f]).stdout)
            .trim()
            .to_string()
    }

    /// Waits until the screen satisfies `ok` and has stopped changing (a
    /// capture can fall in the middle of a redraw); returns it.
    #[track_caller]
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + SHOWS_WITHIN;
        let mut last = String::new();
        loop {
            let s = self.screen();
            if ok(&s) && s == last {
                return s;
            }
            if Instant::now() > deadline {
                panic!("the screen never showed {what}:\n{s}");
            }
            last = s;
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    #[track_caller]
    fn shows(&self, text: &str) -> String {
        self.wait_for(text, |s| s.contains(text))
    }

    /// The line of the current event (marked `▶`).
    fn current(screen: &str) -> &str {
        screen
            .lines()
            .find(|l| l.starts_with('▶'))
            .unwrap_or_default()
    }

    /// Starts `synack step ARGS` in the pane, with `env` before it.
    fn start(&self, env: &str, args: &str) {
        self.line(&format!("{env}{SYNACK} step {args}"));
    }

    /// The terminal is as it was: normal screen, cursor shown, canonical
    /// mode with echo.
    #[track_caller]
    fn assert_restored(&self) {
        let deadline = Instant::now() + SHOWS_WITHIN;
        while self.flag("alternate_on") != "0" {
            assert!(
                Instant::now() < deadline,
                "still on the alternate screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(self.flag("cursor_flag"), "1", "the cursor is hidden");
        self.line("stty -a | tr ' ' '\\n' | grep -x -e '-*icanon' -e '-*echo' | sed 's/^/stty:/'");
        let s = self.wait_for("the stty lines", |s| {
            s.lines().filter(|l| l.starts_with("stty:")).count() == 2
        });
        let got: Vec<&str> = s.lines().filter(|l| l.starts_with("stty:")).collect();
        assert_eq!(
            got,
            ["stty:icanon", "stty:echo"],
            "the line discipline:\n{s}"
        );
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

#[test]
fn step_walks_back_and_forth_branches_undoes_and_quits_to_a_clean_terminal() {
    let Some(t) = tmux_or_skip("walk") else {
        return;
    };
    t.start("", "lost-data");
    let s = t.shows("event 0 of 35");
    assert!(s.contains("nothing has happened yet"), "{s}");
    assert!(s.lines().count() <= 24);

    // Forwards to the loss.
    t.keys(&["n"; 15]);
    let s = t.shows("event 15 of 35");
    assert!(
        Tmux::current(&s).contains("#4 ──✗  PSH,ACK seq=1 ack=1 len=5"),
        "{s}"
    );
    // Backwards, with both keys.
    t.keys(&["p", "Left"]);
    let s = t.shows("event 13 of 35");
    assert!(Tmux::current(&s).contains("accept() → ok"), "{s}");
    t.keys(&["Right", "Space"]);
    t.shows("event 15 of 35");
    // The end, and the start.
    t.keys(&["End"]);
    let s = t.shows("event 35 of 35");
    assert!(s.contains("the end: 1.070 s, client TIME-WAIT"), "{s}");
    t.keys(&["Home"]);
    t.shows("event 0 of 35");

    // To the ACK of the retransmission, and "what if it were lost".
    t.keys(&["n"; 19]);
    let s = t.shows("event 19 of 35");
    assert!(Tmux::current(&s).contains("#6 ◀──  ACK seq=1 ack=6"), "{s}");
    t.keys(&["Tab"]);
    t.shows("#6 selected");
    t.keys(&["d"]);
    let s = t.shows("main › drop #6");
    assert!(Tmux::current(&s).contains("#6 ✗──  ACK seq=1 ack=6"), "{s}");
    assert!(s.contains("#6 lost: replayed from 1.040 s"), "{s}");
    t.keys(&["End"]);
    let s = t.shows("the end: 1.070 s");
    // Both endings, to compare (the message wraps at 80 columns).
    let bottom = s.lines().rev().take(3).collect::<Vec<_>>().join(" ");
    assert!(bottom.contains("2 lost · main:"), "{s}");
    assert!(bottom.contains("10 segments, 1 lost"), "{s}");
    // Up one level: the main run, where it was.
    t.keys(&["u"]);
    let s = t.wait_for("the main run again", |s| {
        s.lines()
            .next()
            .is_some_and(|l| l.trim_end().ends_with("event 19 of 35 │ main"))
    });
    assert!(!s.contains("drop #6 │"), "{s}");
    assert!(s.contains("back to main at event 19"), "{s}");
    // Help, then quit.
    t.keys(&["?"]);
    t.shows("drop it: replay from the instant it was sent");
    t.keys(&["?"]);
    t.keys(&["q"]);
    t.assert_restored();
}

#[test]
fn ctrl_c_and_esc_quit_to_a_clean_terminal() {
    let Some(t) = tmux_or_skip("ctrlc") else {
        return;
    };
    t.start("", "handshake");
    t.shows("event 0 of");
    t.keys(&["n", "n"]);
    t.shows("event 2 of");
    t.keys(&["C-c"]);
    t.assert_restored();
    t.line("clear");
    t.start("", "handshake");
    t.shows("event 0 of");
    t.keys(&["Escape"]);
    t.assert_restored();
}

#[test]
fn a_panic_restores_the_terminal_before_its_message() {
    let Some(t) = tmux_or_skip("panic") else {
        return;
    };
    // Debug builds panic on purpose after the first draw with this set.
    t.start("SYNACK_STEP_TEST_PANIC=1 ", "handshake");
    let s = t.shows("internal error");
    assert!(s.contains("SYNACK_STEP_TEST_PANIC is set"), "{s}");
    t.assert_restored();
}
