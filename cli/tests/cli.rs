//! End-to-end tests of the `synack` binary: exit codes, messages on stderr,
//! output on stdout. They live in the `synack` package so that
//! `CARGO_BIN_EXE_synack` names the freshly built binary.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn synack(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_synack"))
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .expect("the synack binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A scenario file in this test's own directory.
fn scenario_file(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-tests");
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("the scenario file is written");
    path
}

/// Asserts one line on stderr starting `synack: `, no panic, no backtrace.
#[track_caller]
fn assert_one_clear_line(o: &Output) -> String {
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    assert!(err.starts_with("synack: "), "stderr: {err}");
    assert!(!err.contains("panicked"), "stderr: {err}");
    err
}

#[test]
fn help_teaches_with_examples_and_exit_codes() {
    let o = synack(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for want in ["sim", "scenarios", "demo", "Examples:", "Exit codes:"] {
        assert!(out.contains(want), "--help lacks {want:?}: {out}");
    }
    let o = synack(&["sim", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for want in [
        "--format",
        "--output",
        "--profile",
        "--seed",
        "--color",
        "--summary",
    ] {
        assert!(out.contains(want), "sim --help lacks {want}: {out}");
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["sim"][..],
        &["frobnicate"],
        &["sim", "echo", "--format", "yaml"],
        &[],
    ] {
        let o = synack(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"));
    }
}

#[test]
fn scenarios_lists_every_builtin_once() {
    let o = synack(&["scenarios"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let builtins = synack_sim::scenario::builtin::builtins();
    assert_eq!(out.lines().count(), builtins.len(), "{out}");
    for (line, b) in out.lines().zip(builtins) {
        assert!(line.starts_with(b.name), "{line}");
        assert!(line.ends_with(b.summary), "{line}");
    }
}

#[test]
fn unknown_scenario_exits_2_and_points_at_the_list() {
    let o = synack(&["sim", "no-such-scenario"]);
    assert_eq!(o.status.code(), Some(2));
    let err = assert_one_clear_line(&o);
    assert!(
        err.starts_with(
            "synack: unknown scenario \"no-such-scenario\"; run `synack scenarios` to list the built-ins"
        ),
        "{err}"
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn unknown_scenario_suggests_a_close_builtin() {
    let o = synack(&["sim", "ecoh"]);
    assert_eq!(o.status.code(), Some(2));
    let err = assert_one_clear_line(&o);
    assert!(err.contains("(did you mean \"echo\"?)"), "{err}");
}

#[test]
fn missing_file_exits_2_naming_the_file_and_the_os_error() {
    let o = synack(&["sim", "no/such/dir/missing.tcp"]);
    assert_eq!(o.status.code(), Some(2));
    let err = assert_one_clear_line(&o);
    assert!(
        err.starts_with("synack: cannot read scenario file \"no/such/dir/missing.tcp\": "),
        "{err}"
    );
    assert!(err.contains("os error 2"), "{err}");
}

#[test]
fn parse_errors_exit_2_with_file_line_col() {
    let path = scenario_file("garbage.tcp", "profile rfc\nclient frobnicate\n");
    let p = path.to_string_lossy();
    let o = synack(&["sim", &p]);
    assert_eq!(o.status.code(), Some(2));
    let err = assert_one_clear_line(&o);
    let rest = err
        .strip_prefix(&format!("synack: {p}:"))
        .unwrap_or_else(|| panic!("not file:line:col: {err}"));
    let mut parts = rest.splitn(3, ':');
    let line = parts.next().and_then(|s| s.parse::<u32>().ok());
    let col = parts.next().and_then(|s| s.parse::<u32>().ok());
    assert!(line.is_some() && col.is_some(), "not file:line:col: {err}");
    // Said once: the message is not repeated as its own cause.
    assert_eq!(err.matches("frobnicate").count(), 1, "{err}");
    assert_eq!(err.matches(&*p).count(), 1, "{err}");
}

#[test]
fn parse_error_names_the_offending_line_and_column() {
    let path = scenario_file("bad-line.tcp", "rtt 20ms\n\nclient frobnicate\n");
    let p = path.to_string_lossy();
    let o = synack(&["sim", &p]);
    assert_eq!(o.status.code(), Some(2));
    let err = assert_one_clear_line(&o);
    assert!(err.starts_with(&format!("synack: {p}:3:8: ")), "{err}");
}

#[test]
fn failed_expect_exits_1_after_the_transcript() {
    let path = scenario_file(
        "expect.tcp",
        "server listen 9999\nclient connect\nserver accept\nexpect client TIME-WAIT\n",
    );
    let p = path.to_string_lossy();
    let o = synack(&["sim", &p, "--color", "never"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("SYN"), "the transcript comes first");
    assert_eq!(
        stderr(&o).trim_end(),
        format!("synack: {p}:4: expect client TIME-WAIT failed: client is ESTABLISHED")
    );
}

#[test]
fn failed_wait_until_exits_1_saying_how_long_it_waited() {
    let path = scenario_file(
        "wait-until.tcp",
        "server listen 9999\nclient connect\nwait until client CLOSED max 30s\n",
    );
    let p = path.to_string_lossy();
    let o = synack(&["sim", &p, "--color", "never"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(
            "wait until client CLOSED failed: client is still ESTABLISHED after 30 s (line 3)"
        ),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        stderr(&o).trim_end(),
        format!(
            "synack: {p}:3: wait until client CLOSED failed: client is still ESTABLISHED after 30 s"
        )
    );
}

#[test]
fn the_connection_header_shows_the_ports_actually_used() {
    let path = scenario_file(
        "elsewhere.tcp",
        "port client 40000\nserver listen 8080\nclient connect 8081\n",
    );
    let o = synack(&["sim", &path.to_string_lossy(), "--color", "never"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("connection: client port 40000 ⇄ server port 8081"),
        "{out}"
    );
    assert!(
        out.contains("connect(8081) → error: connection refused"),
        "{out}"
    );
}

#[test]
fn every_builtin_exits_0_in_both_profiles() {
    for b in synack_sim::scenario::builtin::builtins() {
        for profile in ["rfc", "linux"] {
            let o = synack(&["sim", b.name, "--profile", profile, "--summary"]);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{} --profile {profile}: {}",
                b.name,
                stderr(&o)
            );
        }
    }
}

/// Issue 14, 7: `--summary` gives the end time as the transcript's time
/// column does (3.030, not 3.030000), and it adds up: lost-syn ends at
/// 3.030 s in the rfc profile and 2.030 s in linux (its linear SYN timeouts).
#[test]
fn summary_time_reads_as_the_transcript_does() {
    for (profile, end) in [("rfc", "3.030"), ("linux", "2.030")] {
        let o = synack(&["sim", "lost-syn", "--profile", profile, "--summary"]);
        let out = stdout(&o);
        assert!(
            out.contains(&format!("virtual time  {end} s\n")),
            "{profile}: {out}"
        );
        let text = stdout(&synack(&["sim", "lost-syn", "--profile", profile]));
        let last = text.lines().last().unwrap_or_default();
        assert!(last.trim_start().starts_with(end), "{profile}: {text}");
    }
}

#[test]
fn json_output_is_one_object_a_line() {
    let o = synack(&["sim", "echo", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.lines().count() > 5);
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        assert!(v["kind"].is_string() && v["t_us"].is_u64(), "{line}");
    }
}

#[test]
fn demo_prints_the_legend_then_the_transcript_without_colour_in_a_pipe() {
    let o = synack(&["demo"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("synack demo:"), "{out}");
    // Side by side where the real kernel can run (tests/tests/demo.rs),
    // else the simulated ladder and one line on stderr saying why.
    if stderr(&o).is_empty() {
        assert!(out.contains("c→s SYN seq=0"), "{out}");
    } else {
        assert!(out.contains("──▶"), "{out}");
        assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    }
    assert!(!out.contains('\x1b'), "no colour into a pipe");
    let coloured = synack(&["demo", "--color", "always"]);
    assert!(stdout(&coloured).contains('\x1b'));
}

#[test]
fn output_file_gets_the_transcript_and_unwritable_output_exits_2() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-tests");
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let file = dir.join("echo.jsonl");
    let f = file.to_string_lossy();
    let o = synack(&["sim", "echo", "--format", "json", "-o", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let written = std::fs::read_to_string(&file).expect("the output file");
    assert!(written.starts_with("{\"kind\":"));
    let o = synack(&["sim", "echo", "-o", "/nonexistent-dir/x.txt"]);
    assert_eq!(o.status.code(), Some(2));
    let err = assert_one_clear_line(&o);
    assert!(err.contains("cannot create output file"), "{err}");
}

#[test]
fn a_closed_pipe_ends_quietly_with_0() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_synack"))
        .args(["sim", "echo"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the synack binary runs");
    drop(child.stdout.take());
    let o = child.wait_with_output().expect("synack ends");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stderr(&o), "");
}

#[test]
fn pcap_export_reads_back_segment_for_segment() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-tests");
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    for (format, file) in [("pcap", "lost-data.pcap"), ("pcapng", "lost-data.pcapng")] {
        let path = dir.join(file);
        let o = synack(&[
            "sim",
            "lost-data",
            "--format",
            format,
            "-o",
            path.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let json = synack(&["sim", "lost-data", "--format", "json"]);
        let want: Vec<(String, u64)> = stdout(&json)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["kind"] == "segment")
            .map(|v| {
                (
                    v["flags"].as_str().unwrap_or("").to_string(),
                    v["len"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        let bytes = std::fs::read(&path).expect("the capture was written");
        let mut reader = synack_capture::CaptureReader::new(&bytes[..]).expect("a capture file");
        let mut got = Vec::new();
        while let Some(rec) = reader.next_record() {
            let rec = rec.expect("every record is whole");
            let pkt = synack_capture::decode_record(&rec).expect("every record is TCP");
            got.push((
                pkt.hdr.flags.names().to_string(),
                pkt.hdr.payload_len as u64,
            ));
        }
        assert_eq!(got, want, "{format}");
    }
}

#[test]
fn binary_formats_refuse_a_summary() {
    let o = synack(&["sim", "echo", "--format", "pcap", "--summary"]);
    assert_eq!(o.status.code(), Some(2));
    assert_one_clear_line(&o);
}

#[test]
fn pictures_refuse_what_they_cannot_draw() {
    let captures = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/captures");
    let several = format!("{captures}/port_reuse.pcap");
    let o = synack(&["annotate", &several, "--format", "svg"]);
    assert_eq!(o.status.code(), Some(2));
    let err = assert_one_clear_line(&o);
    assert!(
        err.contains("8 connections") && err.contains("--conn N"),
        "{err}"
    );
    assert!(o.stdout.is_empty(), "nothing is drawn");
    let o = synack(&["annotate", &several, "--format", "svg", "--conn", "9"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(assert_one_clear_line(&o).contains("--conn 9"));
    let o = synack(&["annotate", &several, "--format", "mermaid", "--conn", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("sequenceDiagram\n"));
    for (args, says) in [
        (
            &["sim", "echo", "--graph", "time-sequence"][..],
            "--format svg",
        ),
        (&["sim", "echo", "--from", "1s"][..], "--from and --to"),
        (
            &[
                "sim", "echo", "--format", "svg", "--from", "2s", "--to", "1s",
            ][..],
            "--to",
        ),
        (
            &["sim", "echo", "--format", "svg", "--summary"][..],
            "--summary",
        ),
        (
            &["sim", "echo", "--format", "svg", "--from", "1 s"][..],
            "duration",
        ),
    ] {
        let o = synack(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn sim_draws_svg_and_the_time_sequence_graph() {
    let o = synack(&["sim", "lost-data", "--format", "svg"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg"));
    assert!(out.contains("class=\"segment dropped\""));
    assert!(out.contains("class=\"segment retransmission\""));
    let o = synack(&["sim", "bulk", "--format", "svg", "--graph", "time-sequence"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("class=\"ack-line\""));
}
