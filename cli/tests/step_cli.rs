//! `synack step` as a process whose standard input and output are pipes:
//! the scripted mode, its exit codes and messages, colour, and `--help`.
//! (The terminal UI itself is driven in tmux by `step_tmux.rs`; the screens
//! are pinned by the snapshots of `tests/tests/step.rs`.)

mod common;

use common::{assert_no_panic, fixture_path, path_str, stderr, stdout, SYNACK};
use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `synack step ARGS` with `input` on standard input.
fn step(args: &[&str], input: &str, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(SYNACK)
        .arg("step")
        .args(args)
        .env_remove("NO_COLOR")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("synack runs");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(input.as_bytes())
        .expect("written");
    child.wait_with_output().expect("synack ends")
}

/// The first line of each screen printed (the status line).
fn statuses(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| l.starts_with(" synack step · "))
        .map(str::trim_end)
        .collect()
}

#[test]
fn a_pipe_gets_one_screen_per_command_and_quit_ends_the_session() {
    let o = step(&["lost-data"], "next\nnext\nend\nprev\nquit\nnext\n", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    let out = stdout(&o);
    assert_eq!(
        statuses(&out),
        [
            " synack step · lost-data │ 0.000 s │ event 0 of 35 │ main",
            " synack step · lost-data │ 0.000 s │ event 1 of 35 │ main",
            " synack step · lost-data │ 0.000 s │ event 2 of 35 │ main",
            " synack step · lost-data │ 1.070 s │ event 35 of 35 │ main",
            " synack step · lost-data │ 1.070 s │ event 34 of 35 │ main",
        ]
    );
    assert!(!out.contains('\x1b'), "no colour in a pipe");
}

#[test]
fn a_bad_line_gets_one_line_on_stderr_the_session_goes_on_and_it_exits_2() {
    let o = step(&["handshake"], "next\nfly\ndrop 99\nnext\n", &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_no_panic(&err);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].starts_with("synack: line 2: unknown command \"fly\""),
        "{err}"
    );
    assert!(
        lines[1].starts_with("synack: line 3: segment #99 has not been sent yet"),
        "{err}"
    );
    assert_eq!(
        lines[2],
        "synack: 2 command line(s) could not be run (said above)"
    );
    // Both `next`s ran.
    assert_eq!(statuses(&stdout(&o)).len(), 3);
}

#[test]
fn colour_only_when_asked_and_never_with_no_color() {
    let o = step(&["echo", "--color", "always"], "next\n", &[]);
    assert!(
        stdout(&o).contains("\x1b["),
        "--color always colours a pipe"
    );
    let o = step(&["echo", "--color", "auto"], "next\n", &[("NO_COLOR", "1")]);
    assert!(!stdout(&o).contains("\x1b["));
}

#[test]
fn profile_and_seed_work_as_in_sim() {
    let o = step(&["echo", "--profile", "linux", "--seed", "9"], "", &[]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("profile linux · rtt 20 ms · mss 1460 · seed 9"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_capture_steps_by_segment_and_refuses_to_branch() {
    let file = fixture_path("data_lost_rto.pcap");
    let o = step(&["--capture", path_str(&file)], "next\ndrop 1\nend\n", &[]);
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    let s = statuses(&out);
    assert_eq!(s.len(), 3, "{out}");
    assert!(s[2].contains("segment 11 of 11 │ capture"), "{}", s[2]);
    assert!(
        stderr(&o).contains("a capture has no branches"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn usage_errors_are_one_clear_line() {
    for (args, want) in [
        (vec![], "SCENARIO"),
        (vec!["echo", "--capture", "x.pcap"], "cannot be used with"),
        (vec!["echo", "--conn", "2"], "--capture"),
        (vec!["no-such-scenario"], "unknown scenario"),
    ] {
        let o = step(&args, "", &[]);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert!(err.contains(want), "{args:?}: {err}");
        assert_no_panic(&err);
    }
    let file = fixture_path("data_lost_rto.pcap");
    let o = step(&["--capture", path_str(&file), "--conn", "5"], "", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "synack: --conn 5: the capture has 1 connection(s), numbered from 1\n"
    );
}

#[test]
fn help_teaches_the_keys_and_the_scripted_commands() {
    let o = Command::new(SYNACK)
        .args(["step", "--help"])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for want in [
        "Examples:",
        "synack step lost-data",
        "--capture",
        "--conn",
        "--profile",
        "--seed",
        "--color",
        "Keys:",
        "Tab, Shift-Tab",
        "drop ID",
        "what if",
    ] {
        assert!(out.contains(want), "step --help lacks {want:?}:\n{out}");
    }
    let o = Command::new(SYNACK).arg("--help").output().expect("runs");
    assert!(
        stdout(&o).contains("synack step"),
        "the main help lists step"
    );
}
