//! `synack capture` for real: as root, the test captures a connection it
//! makes itself on 127.0.0.1 (connect, send "hello", read the echo, close)
//! and checks the annotated transcript, the libpcap counters on stderr and the
//! `-w` copy; without the privilege, synack must exit 3 with one line naming
//! the fix.
//!
//! Where root (or `setpriv`) is missing the tests skip with a printed reason,
//! unless `SYNACK_REQUIRE_LIVE=1` (CI), where a skip is a failure.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The environment variable that makes live tests mandatory.
const REQUIRE_LIVE: &str = "SYNACK_REQUIRE_LIVE";

/// Segments of the echo: handshake (3), "hello" and its ACK (2), the echo
/// and its ACK (2), FIN,ACK / FIN,ACK / ACK (3).
const ECHO_SEGMENTS: u64 = 10;

/// Generous bounds on waiting for a child, so a broken capture fails the
/// test instead of hanging it. Nothing is asserted about how long things take.
const READY_WITHIN: Duration = Duration::from_secs(20);
const EXIT_WITHIN: Duration = Duration::from_secs(30);

fn required() -> bool {
    std::env::var(REQUIRE_LIVE).is_ok_and(|v| v == "1")
}

/// Returns true to go on; false (after printing why) to skip; panics when a
/// skip is not allowed.
#[track_caller]
fn go_or_skip(test: &str, check: Result<(), String>) -> bool {
    match check {
        Ok(()) => true,
        Err(reason) if required() => {
            panic!("{test}: {reason} ({REQUIRE_LIVE}=1, so this is a failure, not a skip)")
        }
        Err(reason) => {
            eprintln!("{test}: skipped: {reason}");
            false
        }
    }
}

/// The effective uid of this process (the owner of `/proc/self`).
fn euid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

fn root() -> Result<(), String> {
    match euid() {
        Some(0) => Ok(()),
        Some(uid) => Err(format!(
            "not root (uid {uid}): live capture needs root (run the tests with sudo -E)"
        )),
        None => Err("cannot tell the uid (no /proc/self)".into()),
    }
}

/// A `synack capture` running in the background, its stderr read by a thread.
struct Capturing {
    child: Child,
    stderr_lines: mpsc::Receiver<String>,
    stderr_seen: Vec<String>,
}

impl Capturing {
    fn start(args: &[&str]) -> Capturing {
        let mut child = Command::new(SYNACK)
            .arg("capture")
            .args(args)
            .env_remove("NO_COLOR")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("synack capture starts");
        let err = child.stderr.take().expect("stderr is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Capturing {
            child,
            stderr_lines: rx,
            stderr_seen: Vec::new(),
        }
    }

    /// Waits for the "capturing on" line: libpcap is open and filtering, so
    /// what happens next is captured. `Err` with the child's stderr (and the
    /// exit code) when it ended first.
    fn wait_ready(&mut self) -> Result<(), (Option<i32>, String)> {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr_lines.recv_timeout(left) {
                Ok(line) => {
                    let ready = line.contains("capturing on");
                    self.stderr_seen.push(line);
                    if ready {
                        return Ok(());
                    }
                }
                Err(_) => {
                    // Ended (or stuck): collect what there is.
                    let _ = self.child.kill();
                    let status = self.child.wait().ok();
                    while let Ok(line) = self.stderr_lines.recv_timeout(Duration::from_secs(1)) {
                        self.stderr_seen.push(line);
                    }
                    return Err((status.and_then(|s| s.code()), self.stderr_seen.join("\n")));
                }
            }
        }
    }

    /// Waits for the child to stop by itself (at `--count`); kills it and
    /// fails when it does not.
    fn finish(mut self) -> (Output, String) {
        let deadline = Instant::now() + EXIT_WITHIN;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    let mut out = String::new();
                    if let Some(mut o) = self.child.stdout.take() {
                        let _ = o.read_to_string(&mut out);
                    }
                    panic!(
                        "synack capture did not stop (at --count or on SIGINT); stdout:\n{out}\nstderr:\n{}",
                        self.stderr_seen.join("\n")
                    );
                }
            }
        };
        let mut stdout = Vec::new();
        if let Some(mut o) = self.child.stdout.take() {
            let _ = o.read_to_end(&mut stdout);
        }
        while let Ok(line) = self.stderr_lines.recv_timeout(Duration::from_secs(5)) {
            self.stderr_seen.push(line);
        }
        let err = self.stderr_seen.join("\n");
        (
            Output {
                status,
                stdout,
                stderr: err.clone().into_bytes(),
            },
            err,
        )
    }
}

/// An echo server on 127.0.0.1, an ephemeral port.
fn echo_server() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = l.local_addr().expect("a bound address").port();
    (l, port)
}

/// Connect, send "hello", read the echo, close; the server echoes, reads the
/// end of the stream and closes. Ten segments, client closes first.
fn echo_once(listener: TcpListener, port: u16) {
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("accept");
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf).expect("server reads hello");
        s.write_all(&buf).expect("server echoes");
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).expect("server reads to the end");
        assert!(rest.is_empty());
        // Dropping `s` closes: FIN right after the client's.
    });
    let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    c.write_all(b"hello").expect("client sends");
    let mut echo = [0u8; 5];
    c.read_exact(&mut echo).expect("client reads the echo");
    assert_eq!(&echo, b"hello");
    drop(c);
    server.join().expect("the echo server ends");
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("synack-capture-tests");
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

#[track_caller]
fn assert_counters_line(test: &str, err: &str) {
    let line = err
        .lines()
        .find(|l| l.contains("packets captured"))
        .unwrap_or_else(|| panic!("{test}: no packets-captured line in stderr:\n{err}"));
    assert!(line.starts_with("synack: "), "{line}");
    assert!(
        line.contains(&format!("{ECHO_SEGMENTS} packets captured")),
        "{line}"
    );
    assert!(line.contains("dropped by kernel"), "{line}");
    assert!(line.contains("dropped by interface"), "{line}");
    assert!(line.contains("10 records: 10 TCP"), "{line}");
}

#[test]
fn capture_annotates_a_real_echo_on_loopback() {
    const TEST: &str = "capture_annotates_a_real_echo_on_loopback";
    if !go_or_skip(TEST, root()) {
        return;
    }
    let (listener, port) = echo_server();
    let p = port.to_string();
    let count = ECHO_SEGMENTS.to_string();
    let file = scratch(&format!("echo-{port}.pcapng"));
    let mut text = Capturing::start(&["--port", &p, "--count", &count, "--color", "never"]);
    let mut json = Capturing::start(&[
        "--port",
        &p,
        "--count",
        &count,
        "--format",
        "json",
        "-w",
        path_str(&file),
    ]);
    for cap in [&mut text, &mut json] {
        if let Err((code, err)) = cap.wait_ready() {
            let reason = format!("synack capture could not start (exit {code:?}): {err}");
            if !go_or_skip(TEST, Err(reason)) {
                return;
            }
        }
    }
    echo_once(listener, port);
    let (text_out, text_err) = text.finish();
    let (json_out, json_err) = json.finish();

    // The text transcript.
    assert_eq!(text_out.status.code(), Some(0), "stderr: {text_err}");
    assert_no_panic(&text_err);
    assert_counters_line(TEST, &text_err);
    let t = stdout(&text_out);
    for want in [
        "live capture on lo",
        "SYN seq=0 len=0",
        "SYN,ACK seq=0 ack=1 len=0",
        "ACK seq=1 ack=1 len=0",
        "PSH,ACK seq=1 ack=1 len=5",
        "ACK seq=1 ack=6 len=0",
        "PSH,ACK seq=1 ack=6 len=5",
        "ACK seq=6 ack=6 len=0",
        "FIN,ACK seq=6 ack=6 len=0",
        "FIN,ACK seq=6 ack=7 len=0",
        "ACK seq=7 ack=7 len=0",
        "CLOSED → SYN-SENT",
        "LISTEN → SYN-RECEIVED",
        "SYN-SENT → ESTABLISHED",
        "SYN-RECEIVED → ESTABLISHED",
        "ESTABLISHED → FIN-WAIT-1",
        "ESTABLISHED → CLOSE-WAIT",
        "CLOSE-WAIT → LAST-ACK",
        "→ TIME-WAIT",
        "LAST-ACK → CLOSED",
        &format!("server 127.0.0.1:{port}"),
    ] {
        assert!(t.contains(want), "{TEST}: text lacks {want:?}:\n{t}");
    }

    // The JSON transcript: ten segments, frames 1..=10, in the echo's order.
    assert_eq!(json_out.status.code(), Some(0), "stderr: {json_err}");
    assert_no_panic(&json_err);
    assert_counters_line(TEST, &json_err);
    let j = stdout(&json_out);
    let lines = json_lines(&j);
    let segs: Vec<_> = lines.iter().filter(|v| v["kind"] == "segment").collect();
    assert_eq!(
        json_frames(&j),
        (1..=ECHO_SEGMENTS).collect::<Vec<_>>(),
        "{j}"
    );
    let shape: Vec<String> = segs
        .iter()
        .map(|v| {
            format!(
                "{} {} {} {} {}",
                v["dir"].as_str().unwrap_or("?"),
                v["flags"].as_str().unwrap_or("?"),
                v["rel_seq"],
                v["rel_ack"],
                v["len"]
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            "client->server SYN 0 null 0",
            "server->client SYN,ACK 0 1 0",
            "client->server ACK 1 1 0",
            "client->server PSH,ACK 1 1 5",
            "server->client ACK 1 6 0",
            "server->client PSH,ACK 1 6 5",
            "client->server ACK 6 6 0",
            "client->server FIN,ACK 6 6 0",
            "server->client FIN,ACK 6 7 0",
            "client->server ACK 7 7 0",
        ],
        "{j}"
    );
    assert!(
        segs.iter()
            .all(|v| v["fate"] == "captured" && v["conn"] == 1),
        "{j}"
    );
    assert!(
        segs.iter()
            .all(|v| v["analysis"].as_array().is_some_and(|a| a.is_empty())),
        "a clean echo has no analysis flags: {j}"
    );
    let client_states: Vec<&str> = lines
        .iter()
        .filter(|v| v["kind"] == "state" && v["endpoint"] == "client")
        .filter_map(|v| v["to"].as_str())
        .collect();
    assert_eq!(
        client_states,
        [
            "SYN-SENT",
            "ESTABLISHED",
            "FIN-WAIT-1",
            "FIN-WAIT-2",
            "TIME-WAIT"
        ],
        "{j}"
    );

    // The -w copy: `synack annotate` reads it and sees the same transcript.
    let o = synack(&["annotate", path_str(&file), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    // (annotate closes with a note counting the file's records.)
    let whole = stdout(&o);
    let annotated: Vec<&str> = whole
        .lines()
        .filter(|l| !l.starts_with("{\"kind\":\"note\""))
        .collect();
    assert_eq!(
        annotated,
        j.lines().collect::<Vec<_>>(),
        "{TEST}: the -w copy annotates differently"
    );
    let _ = std::fs::remove_file(&file);
}

/// Runs `synack capture` as an unprivileged user; `Err` says why it cannot.
fn run_unprivileged(bin: &Path) -> Result<Output, String> {
    let args = ["capture", "--count", "1", "--port", "9"];
    if euid() != Some(0) {
        // Already unprivileged: run the copy (which has no file capabilities).
        return Command::new(bin)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", bin.display()));
    }
    let attempts: [(&str, &[&str]); 2] = [
        (
            "setpriv",
            &["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"],
        ),
        ("runuser", &["-u", "nobody", "--"]),
    ];
    let mut why = Vec::new();
    for (program, pre) in attempts {
        match Command::new(program)
            .args(pre)
            .arg(bin)
            .args(args)
            .current_dir(bin.parent().unwrap_or(Path::new("/")))
            .stdin(Stdio::null())
            .output()
        {
            // 126/127: the wrapper could not run the binary at all.
            Ok(o) if matches!(o.status.code(), Some(126 | 127)) => {
                why.push(format!("{program} failed: {}", stderr(&o).trim()));
            }
            Ok(o) if stderr(&o).starts_with(&format!("{program}:")) => {
                why.push(format!("{program} failed: {}", stderr(&o).trim()));
            }
            Ok(o) => return Ok(o),
            Err(e) => why.push(format!("{program} is not available: {e}")),
        }
    }
    Err(format!(
        "cannot drop to user nobody: {} (install util-linux)",
        why.join("; ")
    ))
}

#[test]
fn capture_without_privilege_exits_3_naming_the_fix() {
    const TEST: &str = "capture_without_privilege_exits_3_naming_the_fix";
    use std::os::unix::fs::PermissionsExt;
    // A copy that user nobody can reach and run, without file capabilities.
    let dir = std::env::temp_dir().join(format!("synack-nopriv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let bin = dir.join("synack");
    std::fs::copy(SYNACK, &bin).expect("copy the binary");
    for p in [&dir, &bin] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod 755");
    }
    let result = run_unprivileged(&bin);
    let _ = std::fs::remove_dir_all(&dir);
    let o = match result {
        Ok(o) => o,
        Err(reason) => {
            // In CI this must work (the tests run as root there).
            go_or_skip(TEST, Err(reason));
            return;
        }
    };
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{TEST}: stderr: {err}");
    assert_no_panic(&err);
    assert_eq!(err.lines().count(), 1, "{TEST}: one line: {err}");
    assert!(err.starts_with("synack: "), "{err}");
    assert!(err.contains("root"), "{TEST}: names root: {err}");
    assert!(
        err.contains("setcap cap_net_raw,cap_net_admin=eip"),
        "{TEST}: names setcap: {err}"
    );
    assert_eq!(stdout(&o), "", "nothing on stdout");
}

#[test]
fn capture_refuses_binary_formats_and_a_bad_filter() {
    let o = synack(&["capture", "--format", "pcap"]);
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    let err = stderr(&o);
    assert_no_panic(&err);
    assert!(err.contains("-w"), "points at -w: {err}");
    if euid() == Some(0) {
        let o = synack(&["capture", "--filter", "tcp port port", "--count", "1"]);
        assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
        let err = stderr(&o);
        assert_no_panic(&err);
        assert!(err.contains("tcp port port"), "names the filter: {err}");
        let o = synack(&["capture", "-i", "nosuchif0", "--count", "1"]);
        assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
        assert!(stderr(&o).contains("nosuchif0"), "{}", stderr(&o));
    }
}

/// Ctrl-C (SIGINT) on a capture with no `--count`: it stops even when the
/// interface is quiet, flushes the `-w` file, prints libpcap's counters and
/// exits 0.
#[test]
fn ctrl_c_stops_a_quiet_capture_and_flushes_the_file() {
    const TEST: &str = "ctrl_c_stops_a_quiet_capture_and_flushes_the_file";
    if !go_or_skip(TEST, root()) {
        return;
    }
    let (listener, port) = echo_server();
    let p = port.to_string();
    let file = scratch(&format!("ctrl-c-{port}.pcap"));
    let f = file.to_str().expect("a UTF-8 path");
    let mut cap = Capturing::start(&["--port", &p, "-w", f, "--format", "json"]);
    if let Err((code, err)) = cap.wait_ready() {
        panic!("{TEST}: capture did not start (exit {code:?}):\n{err}");
    }
    echo_once(listener, port);
    // Let the last segments reach libpcap, then leave the interface quiet
    // before the signal: the stop must not need another packet.
    std::thread::sleep(Duration::from_millis(500));
    let pid = cap.child.id().to_string();
    let kill = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(kill.success(), "{TEST}: kill -INT {pid} failed");
    let (out, err) = cap.finish();
    assert_eq!(out.status.code(), Some(0), "{TEST}: stderr:\n{err}");
    assert_counters_line(TEST, &err);
    let o = Command::new(SYNACK)
        .args(["annotate", f, "--format", "json"])
        .output()
        .expect("synack annotate runs");
    assert!(o.status.success(), "{TEST}: annotate of the -w file failed");
    let segments = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.contains(r#""kind":"segment""#))
        .count() as u64;
    assert_eq!(segments, ECHO_SEGMENTS, "{TEST}: the -w file lost segments");
}
