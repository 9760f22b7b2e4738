//! `synack real` on every built-in, as root and as `nobody`: the transcripts
//! pinned as snapshots (normalised, see `synack_tests::real_norm`: what the
//! kernel did, not when to the microsecond), and each fault rule checked
//! against the segment it names. The runs share nothing (each has its own namespace and address
//! pair), so they run in parallel.
//!
//! Root is needed to run as both users; with SYNACK_REQUIRE_LIVE=1 a missing
//! privilege or program fails the tests, otherwise they skip and say why.

use insta::assert_snapshot;
use serde_json::Value;
use std::process::Output;
use synack_sim::scenario::builtin::builtins;
use synack_tests::real_norm::{normalise, Detail};
use synack_tests::real_probe::{live_or_skip as live, run, As};

const SYNACK: &str = env!("CARGO_BIN_EXE_synack-cli");

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `synack real ARGS --format json` as `who`; its JSON lines.
fn real_json(who: As, args: &[&str]) -> (Output, Vec<Value>) {
    let mut all = vec!["real"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let o = run(SYNACK, who, &all);
    let lines = stdout(&o)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    (o, lines)
}

/// Runs `f` on every job, at most `PARALLEL` at a time (two cores: more
/// would stretch every run's timing), keeping the jobs' order.
fn in_parallel<J: Sync, R: Send>(jobs: &[J], f: impl Fn(&J) -> R + Sync) -> Vec<R> {
    const PARALLEL: usize = 4;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<R>>> =
        jobs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..PARALLEL {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(job) = jobs.get(i) else { break };
                let r = f(job);
                if let Ok(mut slot) = results[i].lock() {
                    *slot = Some(r);
                }
            });
        }
    });
    results
        .into_iter()
        .map(|m| m.into_inner().ok().flatten().expect("every job ran"))
        .collect()
}

fn who_name(who: As) -> &'static str {
    match who {
        As::Root => "root",
        As::Nobody => "nobody",
    }
}

#[test]
fn every_builtin_runs_for_real_as_root_and_as_nobody() {
    if !live() {
        return;
    }
    // The longest first (time-wait waits out Linux's 60 s TIME-WAIT).
    // UDP runs in the simulator only (`synack real` refuses it, tested below).
    let mut jobs: Vec<(As, &'static str)> = builtins()
        .iter()
        .filter(|b| b.name != "udp-echo")
        .flat_map(|b| As::BOTH.map(|who| (who, b.name)))
        .collect();
    jobs.sort_by_key(|(_, name)| *name != "time-wait");
    let results: Vec<(As, &str, Output)> =
        in_parallel(&jobs, |&(who, name)| (who, name, real_json(who, &[name]).0));
    for (who, name, o) in results {
        assert_eq!(
            o.status.code(),
            Some(0),
            "{name} as {}: {}",
            who_name(who),
            stderr(&o)
        );
        assert_snapshot!(
            format!("real_{}_{name}", who_name(who)),
            normalise(
                &stdout(&o),
                Detail {
                    segments: !name.starts_with("bulk"),
                    states: who == As::Root && name != "simultaneous-close",
                }
            )
        );
    }
}

/// The segments of a run in one direction, as (flags, len, fate).
fn segments<'a>(lines: &'a [Value], dir: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|v| v["kind"] == "segment" && v["dir"] == dir)
        .collect()
}

fn is_kind(v: &Value, kind: &str) -> bool {
    let flags = v["flags"].as_str().unwrap_or("");
    let has = |f: &str| flags.split(',').any(|x| x == f);
    let len = v["len"].as_u64().unwrap_or(0);
    match kind {
        "syn" => has("SYN") && !has("ACK"),
        "syn-ack" => has("SYN") && has("ACK"),
        "ack" => has("ACK") && len == 0 && !has("SYN") && !has("FIN") && !has("RST"),
        "data" => len > 0,
        "fin" => has("FIN"),
        "rst" => has("RST"),
        _ => true,
    }
}

/// A scenario file for `nobody` too (the temporary directory is world-readable).
fn scenario_file(name: &str, text: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("synack-real-runs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755));
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the scenario");
    let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644));
    path.to_string_lossy().into_owned()
}

const CONVERSATION: &str = "server listen 8080\nclient connect\nserver accept\n\
client send \"hello\"\nserver recv\nserver send \"world\"\nclient recv\n\
client close\nserver recv\nserver close\nwait 300ms\n";

#[test]
fn each_fault_rule_hits_exactly_the_segment_it_names() {
    if !live() {
        return;
    }
    // (rule, direction, kind, n): the n-th segment of that kind that way.
    let cases = [
        ("drop", "client->server", "syn", 1),
        ("drop", "server->client", "syn-ack", 1),
        ("drop", "client->server", "data", 1),
        ("drop", "server->client", "data", 1),
        ("drop", "client->server", "fin", 1),
        ("drop", "server->client", "ack", 1),
        ("duplicate", "client->server", "data", 1),
        ("duplicate", "server->client", "fin", 1),
    ];
    let jobs: Vec<(usize, As)> = (0..cases.len())
        .flat_map(|i| As::BOTH.map(move |who| (i, who)))
        .collect();
    let runs: Vec<(usize, As, Output, Vec<Value>)> = in_parallel(&jobs, |&(i, who)| {
        let (rule, dir, kind, n) = cases[i];
        let text = format!("{rule} {dir} {kind} #{n}\n{CONVERSATION}");
        let path = scenario_file(&format!("fault-{i}-{}.tcp", who_name(who)), &text);
        let (o, lines) = real_json(who, &[&path]);
        (i, who, o, lines)
    });
    for (i, who, o, lines) in runs {
        let (rule, dir, kind, n) = cases[i];
        let what = format!("{rule} {dir} {kind} #{n} as {}", who_name(who));
        assert_eq!(o.status.code(), Some(0), "{what}: {}", stderr(&o));
        let segs = segments(&lines, dir);
        // The n-th of that kind, counting every frame of that kind (a
        // duplicate's copy is a frame of its own, after its original).
        let of_kind: Vec<&&Value> = segs
            .iter()
            .filter(|v| is_kind(v, kind) && v["fate"] != "duplicated")
            .collect();
        let target = of_kind
            .get(n - 1)
            .unwrap_or_else(|| panic!("{what}: no segment #{n} of kind {kind}: {lines:?}"));
        let want = if rule == "drop" {
            "dropped"
        } else {
            "delivered"
        };
        assert_eq!(target["fate"], want, "{what}: {target}");
        let others = |fate: &str| {
            lines
                .iter()
                .filter(|v| v["kind"] == "segment" && v["fate"] == fate)
                .count()
        };
        match rule {
            "drop" => assert_eq!(others("dropped"), 1, "{what}: one drop only"),
            _ => {
                assert_eq!(others("duplicated"), 1, "{what}: one copy only");
                let copy = segs
                    .iter()
                    .find(|v| v["fate"] == "duplicated")
                    .unwrap_or_else(|| panic!("{what}: no copy"));
                for k in ["flags", "rel_seq", "rel_ack", "len"] {
                    assert_eq!(copy[k], target[k], "{what}: the copy is that segment ({k})");
                }
            }
        }
    }
}

#[test]
fn a_delay_rule_holds_that_segment_and_the_rtt_is_the_scenarios() {
    if !live() {
        return;
    }
    let path = scenario_file(
        "delay.tcp",
        "rtt 40ms\ndelay client->server syn #1 300ms\nserver listen 8080\nclient connect\nserver accept\n",
    );
    for who in As::BOTH {
        let (o, lines) = real_json(who, &[&path]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let t = |dir: &str, kind: &str| {
            segments(&lines, dir)
                .into_iter()
                .find(|v| is_kind(v, kind))
                .and_then(|v| v["t_us"].as_u64())
                .unwrap_or_else(|| panic!("no {kind}: {lines:?}"))
        };
        let (syn, syn_ack, ack) = (
            t("client->server", "syn"),
            t("server->client", "syn-ack"),
            t("client->server", "ack"),
        );
        // The SYN is held rtt/2 + 300 ms; the SYN,ACK comes back in rtt/2.
        let held = syn_ack - syn;
        let back = ack - syn_ack;
        assert!(
            (320_000..360_000).contains(&held),
            "as {}: SYN to SYN,ACK took {held} µs, want 320 ms",
            who_name(who)
        );
        assert!(
            (20_000..40_000).contains(&back),
            "as {}: SYN,ACK to ACK took {back} µs, want 20 ms",
            who_name(who)
        );
    }
}

#[test]
fn udp_runs_in_the_simulator_only_and_is_refused_with_its_place() {
    let o = std::process::Command::new(SYNACK)
        .args(["real", "udp-echo"])
        .output()
        .expect("synack runs");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("\"transport udp\" runs in the simulator only"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn isn_cannot_be_honoured_and_is_refused_with_its_place() {
    let path = scenario_file("isn.tcp", "rtt 20ms\nisn client 5\nclient connect\n");
    let o = std::process::Command::new(SYNACK)
        .args(["real", &path])
        .output()
        .expect("synack runs");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!(
            "synack: {path}:2:1: \"isn client\" cannot be honoured"
        )),
        "{err}"
    );
    assert!(stdout(&o).is_empty());
}

/// What a run could leave on the host: named namespaces, iptables rules,
/// bound queues.
fn host_state() -> Vec<String> {
    let run = |prog: &str, args: &[&str]| {
        std::process::Command::new(prog)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    };
    let rules: String = run("iptables-save", &[])
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(':'))
        .collect::<Vec<_>>()
        .join("\n");
    vec![
        run("ip", &["netns", "list"]),
        rules,
        std::fs::read_to_string("/proc/net/netfilter/nfnetlink_queue").unwrap_or_default(),
    ]
}

/// The inode of process `pid`'s network namespace.
fn netns_of(pid: u32) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(format!("/proc/{pid}/ns/net"))
        .ok()
        .map(|m| m.ino())
}

/// True when some process is still in the network namespace `inode`.
fn namespace_in_use(inode: u64) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| std::fs::metadata(e.path().join("ns/net")).is_ok_and(|m| m.ino() == inode))
}

/// Starts `synack real time-wait` (a minute long) as `who`; waits until it
/// is in its own namespace, which it returns with the child.
fn start_long_run(
    who: As,
) -> (
    std::process::Child,
    Option<synack_tests::real_probe::NobodyCopy>,
    u64,
) {
    let host = netns_of(std::process::id()).expect("our namespace");
    let (child, copy) = synack_tests::real_probe::spawn(SYNACK, who, &["real", "time-wait"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match netns_of(child.id()) {
            Some(ns) if ns != host => {
                // Let it get into the scenario's steps.
                std::thread::sleep(std::time::Duration::from_millis(500));
                return (child, copy, ns);
            }
            _ if std::time::Instant::now() > deadline => {
                panic!("synack real did not enter a namespace of its own")
            }
            _ => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
}

#[test]
fn kill_9_leaves_no_namespace_rule_or_queue() {
    if !live() {
        return;
    }
    for who in As::BOTH {
        let before = host_state();
        let (mut child, _copy, ns) = start_long_run(who);
        assert!(namespace_in_use(ns));
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        assert!(
            !namespace_in_use(ns),
            "as {}: the namespace lives on",
            who_name(who)
        );
        assert_eq!(
            host_state(),
            before,
            "as {}: the host changed",
            who_name(who)
        );
    }
}

#[test]
fn ctrl_c_stops_the_run_cleans_up_and_exits_130() {
    if !live() {
        return;
    }
    for who in As::BOTH {
        let before = host_state();
        let (child, _copy, ns) = start_long_run(who);
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
        let started = std::time::Instant::now();
        let o = child.wait_with_output().expect("the run ends");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "as {}: Ctrl-C took {:?}",
            who_name(who),
            started.elapsed()
        );
        assert_eq!(
            o.status.code(),
            Some(130),
            "as {}: {}",
            who_name(who),
            stderr(&o)
        );
        assert!(stderr(&o).contains("synack: interrupted"), "{}", stderr(&o));
        assert!(
            stdout(&o).contains("interrupted (Ctrl-C): the run stops here"),
            "the transcript so far, and why it ends: {}",
            stdout(&o)
        );
        assert!(!namespace_in_use(ns));
        assert_eq!(
            host_state(),
            before,
            "as {}: the host changed",
            who_name(who)
        );
    }
}
