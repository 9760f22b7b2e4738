//! `inject` on the real kernel (docs/real.md, "Forged segments"): the
//! segment is forged with a raw socket inside the run's namespace, shows
//! with fate "injected", and Linux answers it as RFC 5961 says: a challenge
//! ACK for an RST in the window, a reset for one exactly at RCV.NXT. As
//! root and as `nobody`; with SYNACK_REQUIRE_LIVE=1 a missing privilege
//! fails the tests, otherwise they skip and say why.

use serde_json::Value;
use std::process::Output;
use synack_tests::real_probe::{live_or_skip as live, run, As};

const SYNACK: &str = env!("CARGO_BIN_EXE_synack-cli");

/// A scenario file readable by `nobody`.
fn scenario_file(name: &str, text: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("synack-real-inject-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755));
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the scenario");
    let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644));
    path.to_string_lossy().into_owned()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn json_lines(o: &Output) -> Vec<Value> {
    text(&o.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// tests/fixtures/inject.tcp without its `isn` lines (the kernel picks its
/// own): an RST in the window, then one exactly at RCV.NXT.
const RSTS: &str = "server listen 80\nclient connect\nwait 100ms\n\
inject client->server RST seq=+100\nexpect server ESTABLISHED\n\
inject client->server RST\nwait 50ms\n";

#[test]
fn linux_answers_forged_resets_as_rfc_5961_says() {
    if !live() {
        return;
    }
    let path = scenario_file("rsts.tcp", RSTS);
    for who in As::BOTH {
        let o = run(SYNACK, who, &["real", &path, "--format", "json"]);
        assert_eq!(o.status.code(), Some(0), "{who:?}: {}", text(&o.stderr));
        let events = json_lines(&o);
        let segments: Vec<&Value> = events.iter().filter(|e| e["kind"] == "segment").collect();
        let injected: Vec<usize> = (0..segments.len())
            .filter(|&i| segments[i]["fate"] == "injected")
            .collect();
        assert_eq!(injected.len(), 2, "{who:?}: {segments:#?}");
        let (first, second) = (segments[injected[0]], segments[injected[1]]);
        for s in [first, second] {
            assert_eq!(s["dir"], "client->server");
            assert_eq!(s["flags"], "RST");
        }
        // seq=+100: the client's SND.NXT (1 after the handshake) + 100.
        assert_eq!(first["rel_seq"], 101, "{who:?}");
        assert_eq!(second["rel_seq"], 1, "{who:?}");
        // RFC 5961 3.2: in the window but not RCV.NXT: a challenge ACK,
        // carrying RCV.NXT, and the connection stays.
        let challenge = segments[injected[0] + 1..injected[1]]
            .iter()
            .find(|s| s["dir"] == "server->client" && s["flags"] == "ACK")
            .unwrap_or_else(|| panic!("{who:?}: no challenge ACK in {segments:#?}"));
        assert_eq!(challenge["rel_ack"], 1, "{who:?}");
        let expect = events
            .iter()
            .find(|e| {
                e["kind"] == "note" && e["text"].as_str().is_some_and(|t| t.starts_with("expect"))
            })
            .unwrap_or_else(|| panic!("{who:?}: no expect note"));
        assert_eq!(expect["text"], "expect server ESTABLISHED: ok", "{who:?}");
        // Exactly RCV.NXT: the reset is taken, the connection leaves
        // ESTABLISHED (Linux's listener remains: LISTEN, RFC 9293 3.10.7.4).
        let t = second["t_us"].as_u64().expect("a time");
        let left = events.iter().any(|e| {
            e["kind"] == "state"
                && e["endpoint"] == "server"
                && e["from"] == "ESTABLISHED"
                && e["t_us"].as_u64().is_some_and(|u| u >= t)
        });
        assert!(left, "{who:?}: the server stayed ESTABLISHED: {events:#?}");
    }
}

#[test]
fn an_inject_without_the_numbers_it_needs_stops_the_real_run_at_its_column() {
    if !live() {
        return;
    }
    let path = scenario_file(
        "listen.tcp",
        "server listen 80\ninject client->server SYN seq=+1\n",
    );
    let o = run(SYNACK, As::Root, &["real", &path]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains(&format!(
            "{path}:2:27: the client is CLOSED and never connected, so it has no seq"
        )),
        "{}",
        text(&o.stderr)
    );
}
