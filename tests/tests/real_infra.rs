//! The machinery of `synack real` (capture/src/real/) on this machine's
//! kernel, through `synack-real-probe`, as root and as `nobody`.
//!
//! Each test needs root (to run the probe as `nobody` and to look at the
//! host afterwards); without it, or where the kernel refuses a namespace,
//! the test prints why and skips, unless `SYNACK_REQUIRE_LIVE=1`, when it
//! fails. Times are asserted loosely (the machine is shared): the RTT
//! within 19–35 ms of a 20 ms link.

#![allow(non_snake_case)] // test names read like the rule: case__situation__outcome

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::Command;
use std::sync::Mutex;
use synack_tests::netns::live::{go_or_skip, required, REQUIRE_LIVE};
use synack_tests::real_probe::{self, lines, of_kind, one, As, Failed};

const PROBE: &str = env!("CARGO_BIN_EXE_synack-real-probe");

/// One probe at a time: their timings are asserted, and the machine has
/// two cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs the probe; `None` (after printing why) when the test should skip.
fn probe(test: &str, who: As, args: &[&str]) -> Option<Vec<Value>> {
    if !go_or_skip(test, real_probe::preflight()) {
        return None;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    match lines(&real_probe::run(PROBE, who, args)) {
        Ok(l) => Some(l),
        Err(Failed::Unavailable(why)) if !required() => {
            eprintln!("{test} ({who:?}): skipped: {why}");
            None
        }
        Err(Failed::Unavailable(why)) => {
            panic!("{test} ({who:?}): {why} ({REQUIRE_LIVE}=1, so this is a failure)")
        }
        Err(Failed::Broken(why)) => panic!("{test} ({who:?}): the probe failed: {why}"),
    }
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn netns__root_and_nobody__lo_up_mtu_mss_plus_40_offloads_off_sysctls_read() {
    for who in As::BOTH {
        let Some(l) = probe("netns", who, &["netns", "536"]) else {
            return;
        };
        let ns = one(&l, "netns");
        let expected = if who == As::Root { "root" } else { "user" };
        assert_eq!(ns["privilege"], expected, "{ns}");
        assert_eq!(ns["mtu"], 576, "{ns}");
        for o in ns["offloads"].as_array().unwrap() {
            assert_eq!(o["off"], true, "{who:?}: {o}");
        }
        for name in [
            "net.ipv4.tcp_timestamps",
            "net.ipv4.tcp_sack",
            "net.ipv4.tcp_window_scaling",
            "net.ipv4.tcp_rmem",
            "net.ipv4.tcp_wmem",
            "net.ipv4.tcp_syn_retries",
        ] {
            assert!(
                ns["sysctls"][name].is_string(),
                "{who:?}: {name} missing: {ns}"
            );
        }
        let client = ns["client"].as_str().unwrap();
        let server = ns["server"].as_str().unwrap();
        assert!(client.starts_with("127.") && server.starts_with("127."));
        assert_ne!(client, server);
        assert!(!ns["kernel"].as_str().unwrap().is_empty());
    }
}

/// The records and frames of a `conn` run, by key.
struct Run {
    lines: Vec<Value>,
}

impl Run {
    fn records(&self) -> Vec<&Value> {
        of_kind(&self.lines, "record")
    }
    fn frames(&self) -> Vec<&Value> {
        of_kind(&self.lines, "frame")
    }
    fn frames_with_key(&self, key: &Value) -> Vec<&Value> {
        self.frames()
            .into_iter()
            .filter(|f| f["key"] == *key)
            .collect()
    }
    fn data_records(&self) -> Vec<&Value> {
        self.records()
            .into_iter()
            .filter(|r| r["dir"] == "client->server" && r["len"] == 7)
            .collect()
    }
    fn states_of(&self, local: &str, remote: &str) -> Vec<(String, String, String)> {
        of_kind(&self.lines, "state")
            .into_iter()
            .filter(|s| s["local"] == local && s["remote"] == remote)
            .map(|s| {
                (
                    s["from"].as_str().unwrap().to_owned(),
                    s["to"].as_str().unwrap().to_owned(),
                    s["source"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }
}

fn conn(test: &str, who: As, args: &[&str]) -> Option<Run> {
    let mut all = vec!["conn"];
    all.extend_from_slice(args);
    probe(test, who, &all).map(|lines| Run { lines })
}

#[test]
fn link__drop_client_data_1__captured_once_as_dropped__retransmission_delivered__rtt_20ms() {
    for who in As::BOTH {
        let Some(run) = conn(
            "drop",
            who,
            &["--rtt-ms", "20", "drop client->server data #1"],
        ) else {
            return;
        };
        let data = run.data_records();
        assert!(data.len() >= 2, "{who:?}: {data:#?}");
        assert_eq!(
            data[0]["verdict"], "Drop",
            "{who:?}: the first data segment"
        );
        assert!(
            data[1..].iter().all(|r| r["verdict"] == "Pass"),
            "{who:?}: retransmissions pass: {data:#?}"
        );
        // The dropped segment is in the capture once, at its send time:
        // libpcap took lo's received copy before PREROUTING.
        let dropped = run.frames_with_key(&data[0]["key"]);
        assert_eq!(dropped.len(), 1, "{who:?}: {:#?}", run.frames());
        let (frame_t, queued_t) = (u(&dropped[0]["t_ns"]), u(&data[0]["t_ns"]));
        // (The queue thread reads it some 0.05 ms later on an idle machine,
        // a few ms on a loaded one: only the order is asserted.)
        assert!(
            frame_t <= queued_t && queued_t - frame_t < 50_000_000,
            "{who:?}: captured at {frame_t}, queued at {queued_t}"
        );
        // Its retransmission is captured and delivered: the server ACKs it.
        let retrans = run.frames_with_key(&data[1]["key"]);
        assert_eq!(retrans.len(), 1, "{who:?}");
        let seq = u(&data[1]["seq"]);
        assert!(
            run.frames()
                .iter()
                .any(|f| f["src"].as_str().unwrap().ends_with(":9999")
                    && u(&f["t_ns"]) > u(&retrans[0]["t_ns"])
                    && f["flags"].as_str().unwrap().contains("ACK")),
            "{who:?}: no ACK after the retransmission of {seq}"
        );
        // The link's rtt: SYN sent → the client's ACK of the SYN-ACK sent.
        let frames = run.frames();
        let syn = frames.iter().find(|f| f["flags"] == "SYN").unwrap();
        let ack = frames.iter().find(|f| f["flags"] == "ACK").unwrap();
        let rtt_ms = (u(&ack["t_ns"]) - u(&syn["t_ns"])) as f64 / 1e6;
        assert!(
            (19.0..35.0).contains(&rtt_ms),
            "{who:?}: handshake rtt {rtt_ms} ms"
        );
        let info = one(&run.lines, "tcp_info");
        let srtt_ms = u(&info["rtt_us"]) as f64 / 1e3;
        assert!(
            (19.0..35.0).contains(&srtt_ms),
            "{who:?}: tcp_info rtt {srtt_ms} ms"
        );
        let stats = one(&run.lines, "stats");
        assert_eq!(stats["foreign"], 0);
        let n = run.records().len();
        assert_eq!(
            stats["events_decided"], n,
            "{who:?}: one Decided event per packet"
        );
        assert_eq!(
            stats["events_applied"], n,
            "{who:?}: one Applied event per packet"
        );
        assert_eq!(stats["poll_errors"], serde_json::json!([]));
    }
}

#[test]
fn link__duplicate_client_data_1__a_second_frame_with_the_same_key() {
    for who in As::BOTH {
        let Some(run) = conn("duplicate", who, &["duplicate client->server data #1"]) else {
            return;
        };
        let data = run.data_records();
        assert_eq!(data[0]["verdict"], "Duplicate", "{who:?}: {data:#?}");
        assert!(data[0]["error"].is_null(), "{who:?}: {}", data[0]);
        let copy_t = u(&data[0]["copy_sent_ns"]);
        let frames = run.frames_with_key(&data[0]["key"]);
        assert_eq!(frames.len(), 2, "{who:?}: {:#?}", run.frames());
        // The copy skipped the queue (its mark): captured when synack sent it.
        let second = u(&frames[1]["t_ns"]);
        assert!(
            second.abs_diff(copy_t) < 5_000_000,
            "{who:?}: copy sent at {copy_t}, captured at {second}"
        );
        // It is not in the link's records a second time.
        let same_key = run
            .records()
            .into_iter()
            .filter(|r| r["key"] == data[0]["key"])
            .count();
        assert_eq!(same_key, 1, "{who:?}");
    }
}

#[test]
fn link__delay_client_data_1_60ms__held_rtt_half_plus_60ms_then_delivered() {
    let Some(run) = conn("delay", As::Root, &["delay client->server data #1 60ms"]) else {
        return;
    };
    let data = run.data_records();
    assert_eq!(data.len(), 1, "no retransmission: {data:#?}");
    assert_eq!(data[0]["verdict"], "Delay(60000)");
    let (t, due, applied) = (
        u(&data[0]["t_ns"]),
        u(&data[0]["due_ns"]),
        u(&data[0]["applied_ns"]),
    );
    assert_eq!(due - t, 70_000_000, "rtt/2 + 60 ms");
    assert!(
        applied >= due && applied - due < 50_000_000,
        "applied {} ms late",
        (applied - due) / 1_000_000
    );
    // The server answers when the data is released: inside the verdict's
    // sendmsg, so before `applied_ns` is stamped, and not before `due`.
    let answer = run
        .frames()
        .into_iter()
        .find(|f| f["src"].as_str().unwrap().ends_with(":9999") && u(&f["t_ns"]) > t)
        .expect("a server segment after the delayed data");
    assert!(
        u(&answer["t_ns"]) >= due && u(&answer["t_ns"]) <= applied,
        "{answer}"
    );
}

fn transitions(run: &Run, local: &str, remote: &str) -> Vec<String> {
    run.states_of(local, remote)
        .into_iter()
        .map(|(f, t, _)| format!("{f}->{t}"))
        .collect()
}

#[test]
fn kstate__connect_accept_close__kernel_states_with_time_wait_from_inet_diag() {
    let cases: [(As, &[&str]); 3] = [
        (As::Root, &[]),
        (As::Root, &["--diag-only"]),
        (As::Nobody, &[]),
    ];
    for (who, extra) in cases {
        let Some(run) = conn("kstate", who, extra) else {
            return;
        };
        let ns = one(&run.lines, "netns");
        let c = format!("{}:49152", ns["client"].as_str().unwrap());
        let s = format!("{}:9999", ns["server"].as_str().unwrap());
        let mode_line = one(&run.lines, "mode");
        let mode = mode_line["states"].as_str().unwrap().to_owned();
        assert_eq!(mode_line["lost"], 0, "{who:?}: {mode_line}");
        assert_eq!(mode_line["filters_refused"], 0, "{who:?}: {mode_line}");
        let tracepoints = who == As::Root && extra.is_empty();
        assert_eq!(
            mode,
            if tracepoints {
                "tracepoints"
            } else {
                "inet_diag"
            }
        );
        let client = transitions(&run, &c, &s);
        let server = transitions(&run, &s, &c);
        let listener = transitions(&run, &s, "0.0.0.0:0");
        assert_eq!(
            listener,
            ["CLOSED->LISTEN", "LISTEN->CLOSED"],
            "{who:?} {mode}"
        );
        assert_eq!(
            server,
            [
                "CLOSED->SYN-RECEIVED",
                "SYN-RECEIVED->ESTABLISHED",
                "ESTABLISHED->CLOSE-WAIT",
                "CLOSE-WAIT->LAST-ACK",
                "LAST-ACK->CLOSED"
            ],
            "{who:?} {mode}"
        );
        if tracepoints {
            // Linux: the full socket closes as its TIME-WAIT socket takes over.
            assert_eq!(
                client,
                [
                    "CLOSED->SYN-SENT",
                    "SYN-SENT->ESTABLISHED",
                    "ESTABLISHED->FIN-WAIT-1",
                    "FIN-WAIT-1->FIN-WAIT-2",
                    "FIN-WAIT-2->CLOSED",
                    "CLOSED->TIME-WAIT"
                ],
                "{who:?} {mode}"
            );
        } else {
            // Polled: FIN-WAIT-2 lasts no longer than one packet here (the
            // server's FIN comes with the ACK of the client's), so a poll
            // may not see it.
            let seen: Vec<&str> = client
                .iter()
                .map(|t| t.split("->").nth(1).unwrap())
                .collect();
            let without_fw2: Vec<&str> = seen
                .iter()
                .copied()
                .filter(|s| *s != "FIN-WAIT-2")
                .collect();
            assert_eq!(
                without_fw2,
                ["SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "TIME-WAIT"],
                "{who:?} {mode}: {client:?}"
            );
        }
        let tw = of_kind(&run.lines, "state")
            .into_iter()
            .find(|x| x["to"] == "TIME-WAIT")
            .unwrap();
        assert_eq!(tw["source"], "InetDiag", "{who:?}");
        assert_eq!(tw["sock"], "TimeWait", "{who:?}");
        if tracepoints {
            assert!(
                !of_kind(&run.lines, "retransmit").is_empty() || run.data_records().len() == 1,
                "{who:?}: retransmissions confirmed by the tracepoint"
            );
        }
    }
}

/// What a run could leave on the host: named namespaces, iptables rules,
/// bound queues, tracefs mounts.
fn host_state() -> BTreeMap<&'static str, String> {
    let run = |prog: &str, args: &[&str]| {
        Command::new(prog)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    };
    let save = run("iptables-save", &[])
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(':'))
        .collect::<Vec<_>>()
        .join("\n");
    let tracefs = std::fs::read_to_string("/proc/self/mounts")
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("tracefs"))
        .count();
    BTreeMap::from([
        ("ip netns", run("ip", &["netns", "list"])),
        ("iptables", save),
        (
            "queues",
            std::fs::read_to_string("/proc/net/netfilter/nfnetlink_queue").unwrap_or_default(),
        ),
        ("tracefs mounts", tracefs.to_string()),
    ])
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

#[test]
fn teardown__kill_9__no_namespace_rule_queue_or_mount_left() {
    if !go_or_skip("kill -9", real_probe::preflight()) {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    for who in As::BOTH {
        let before = host_state();
        let (mut child, _copy) = real_probe::spawn(PROBE, who, &["hold"]);
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        if line.is_empty() {
            let status = child.wait().unwrap();
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            if status.code() == Some(3) && !required() {
                eprintln!("kill -9 ({who:?}): skipped: {err}");
                return;
            }
            panic!("kill -9 ({who:?}): the probe did not start ({status}): {err}");
        }
        let ready: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(ready["kind"], "ready");
        assert_eq!(ready["tracepoints"], who == As::Root, "{ready}");
        let inode = u(&ready["netns_inode"]);
        assert!(namespace_in_use(inode));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert!(
            !namespace_in_use(inode),
            "{who:?}: a process is still in the namespace"
        );
        assert_eq!(host_state(), before, "{who:?}: the host changed");
    }
}
