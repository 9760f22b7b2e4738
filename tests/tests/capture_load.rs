//! `synack capture` under load and under attack (issue 13, points 2-4), for
//! real, as root, in private network namespaces:
//!
//! - (the 1 GB transfer under load is in `capture_gigabyte.rs`, a test
//!   binary of its own so that nothing runs beside it);
//! - `synack capture -w F` killed with SIGKILL while packets flow leaves a
//!   file tshark reads without an error, holding packets up to at most 100 ms
//!   before the kill;
//! - started as root, the capture runs as `nobody` (or `--user`) once the
//!   interface is open.
//!
//! Skips with a reason without root and the tools, unless
//! `SYNACK_REQUIRE_LIVE=1`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use synack_tests::netns::live::{go_or_skip, preflight, tshark};
use synack_tests::netns::Netns;

const SYNACK: &str = env!("CARGO_BIN_EXE_synack-cli");

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("synack-capture-load");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

/// A capture on the namespace's lo, started as root.
fn start_capture(ns: &Netns, args: &[&str]) -> (Child, PathBuf) {
    let err = scratch(&format!("{}.err", args.join("_").replace('/', "_")));
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns.name(), SYNACK, "capture"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err).expect("a stderr file"))
        .spawn()
        .expect("synack capture starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(&err).unwrap_or_default();
        if text.contains("capturing on") {
            break;
        }
        if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
            let _ = child.kill();
            panic!("synack capture did not start:\n{text}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, err)
}

/// Runs `f` inside the namespace (a thread that entered it).
fn in_netns<T: Send + 'static>(ns: &Netns, f: impl FnOnce() -> T + Send + 'static) -> T {
    let path = format!("/var/run/netns/{}", ns.name());
    std::thread::spawn(move || {
        let file = std::fs::File::open(&path).expect("the namespace's file");
        use std::os::fd::AsRawFd;
        // SAFETY: setns on an open namespace file, for this thread only.
        let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
        f()
    })
    .join()
    .expect("the thread in the namespace")
}

fn uids(pid: u32) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_kill_leaves_a_file_tshark_reads_up_to_the_last_100ms() {
    const TEST: &str = "a_kill_leaves_a_file_tshark_reads_up_to_the_last_100ms";
    if !go_or_skip(TEST, preflight()) || !go_or_skip(TEST, tshark()) {
        return;
    }
    let ns = Netns::new().expect("a network namespace");
    for ext in ["pcap", "pcapng"] {
        let file = scratch(&format!("killed.{ext}"));
        let dir = file.parent().expect("a directory").to_owned();
        let (mut child, err) = start_capture(
            &ns,
            &["--port", "5202", "-w", file.to_str().expect("a UTF-8 path")],
        );
        // Traffic that never pauses: small writes echoed back, for 1.5 s.
        let kill_ns = in_netns(&ns, move || {
            let l = TcpListener::bind("127.0.0.1:5202").expect("bind");
            let server = std::thread::spawn(move || {
                let (mut s, _) = l.accept().expect("accept");
                let mut buf = [0u8; 64];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 || s.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
            let mut c = TcpStream::connect("127.0.0.1:5202").expect("connect");
            c.set_nodelay(true).expect("nodelay");
            let start = Instant::now();
            let mut buf = [0u8; 16];
            while start.elapsed() < Duration::from_millis(1500) {
                c.write_all(b"0123456789abcdef").expect("write");
                c.read_exact(&mut buf).expect("echo");
            }
            // Killed while the connection is still busy.
            let stamp = SystemTime::now().duration_since(UNIX_EPOCH).expect("time");
            (c, server, stamp)
        });
        let (conn, server, stamp) = kill_ns;
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        drop(conn);
        let _ = server.join();
        let stderr = std::fs::read_to_string(&err).unwrap_or_default();
        let out = Command::new("tshark")
            .args([
                "-r",
                file.to_str().expect("a UTF-8 path"),
                "-T",
                "fields",
                "-e",
                "frame.time_epoch",
            ])
            .current_dir(&dir)
            .output()
            .expect("tshark runs");
        let terr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && !terr.contains("cut short") && !terr.contains("appears"),
            "{TEST}: tshark on the {ext} file of a killed capture: {terr}\nsynack said: {stderr}"
        );
        let times: Vec<f64> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect();
        assert!(
            times.len() > 100,
            "{TEST}: {ext}: only {} packets",
            times.len()
        );
        let last = times.iter().cloned().fold(0.0, f64::max);
        let gap = stamp.as_secs_f64() - last;
        assert!(
            gap <= 0.100,
            "{TEST}: {ext}: the last packet in the file is {:.0} ms before the kill",
            gap * 1000.0
        );
    }
}

#[test]
fn started_as_root_the_capture_runs_as_nobody_or_the_user_named() {
    const TEST: &str = "started_as_root_the_capture_runs_as_nobody_or_the_user_named";
    if !go_or_skip(TEST, preflight()) {
        return;
    }
    let ns = Netns::new().expect("a network namespace");
    for (args, want) in [
        (vec!["--port", "5203"], "65534 65534 65534 65534"),
        (vec!["--port", "5203", "--user", "root"], "0 0 0 0"),
    ] {
        let (mut child, _) = start_capture(&ns, &args);
        let seen = uids(child.id());
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(
            seen,
            want,
            "{TEST}: uids of `synack capture {}`",
            args.join(" ")
        );
    }
    // A user that does not exist: a clear error, exit 2, nothing captured.
    let out = Command::new(SYNACK)
        .args(["capture", "--port", "5203", "--user", "synack-no-such-user"])
        .output()
        .expect("synack runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("synack-no-such-user"), "{err}");
}
