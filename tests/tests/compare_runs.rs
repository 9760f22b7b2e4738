//! `synack compare` for real: echo, lost-data and half-close under both
//! profiles, pinned as snapshots (normalised: no times, the rows that timing
//! decides counted, see `synack_tests::real_norm::normalise_compare`), and an
//! invented difference (a fault on the real side only) shown as unexplained.

use insta::assert_snapshot;
use serde_json::Value;
use std::process::{Command, Output};
use synack_tests::real_norm::normalise_compare;

const SYNACK: &str = env!("CARGO_BIN_EXE_synack-cli");

/// Whether the real side can run here; panics under SYNACK_REQUIRE_LIVE=1.
fn live() -> bool {
    // SAFETY: geteuid(2) cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    match (root, std::env::var_os("SYNACK_REQUIRE_LIVE").is_some()) {
        (true, _) => true,
        (false, true) => panic!("SYNACK_REQUIRE_LIVE=1 but not root"),
        (false, false) => {
            eprintln!("skipped: not root (these tests run synack compare's real side as root)");
            false
        }
    }
}

fn compare(args: &[&str]) -> Output {
    Command::new(SYNACK)
        .arg("compare")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("synack runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn echo_lost_data_and_half_close_side_by_side_in_both_profiles() {
    if !live() {
        return;
    }
    let cases: Vec<(&str, &str)> = ["echo", "lost-data", "half-close"]
        .iter()
        .flat_map(|s| ["rfc", "linux"].map(move |p| (*s, p)))
        .collect();
    let runs: Vec<(&str, &str, Output)> = std::thread::scope(|sc| {
        let hs: Vec<_> = cases
            .iter()
            .map(|&(s, p)| sc.spawn(move || (s, p, compare(&[s, "--profile", p]))))
            .collect();
        hs.into_iter().map(|h| h.join().expect("a run")).collect()
    });
    for (scenario, profile, o) in runs {
        assert_eq!(
            o.status.code(),
            Some(0),
            "{scenario} {profile}: {}",
            stderr(&o)
        );
        let out = String::from_utf8_lossy(&o.stdout);
        let last: Value = out
            .lines()
            .last()
            .and_then(|l| serde_json::from_str(l).ok())
            .unwrap_or_default();
        assert_eq!(last["kind"], "compare", "{out}");
        assert_eq!(last["unexplained"], 0, "{scenario} {profile}: {out}");
        assert_snapshot!(
            format!("compare_{scenario}_{profile}"),
            normalise_compare(&out)
        );
    }
}

#[test]
fn a_fault_on_the_real_side_only_comes_out_unexplained() {
    if !live() {
        return;
    }
    let o = compare(&[
        "echo",
        "--real-fault",
        "drop server->client data #1",
        "--strict",
    ]);
    assert_eq!(o.status.code(), Some(1), "--strict: {}", stderr(&o));
    assert!(
        stderr(&o).contains("unexplained (--strict)"),
        "{}",
        stderr(&o)
    );
    let out = String::from_utf8_lossy(&o.stdout);
    let pairs: Vec<Value> = out
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    // The server's reply was resent on the real side: a segment the
    // simulation never sent, which no rule of the catalogue explains.
    let resent = pairs
        .iter()
        .find(|p| {
            p["verdict"] == "unexplained"
                && p["sim"].is_null()
                && p["real"]["dir"] == "server->client"
                && p["real"]["analysis"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|f| f == "retransmission"))
        })
        .unwrap_or_else(|| panic!("no unexplained retransmission: {out}"));
    assert!(resent["rule"].is_null());
    assert!(resent["why"]
        .as_str()
        .is_some_and(|w| w.contains("no known difference explains it")));
    // Without the invented fault the same comparison is clean.
    let clean = compare(&["echo", "--strict"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
}

#[test]
fn svg_draws_the_simulated_and_the_real_ladder_side_by_side() {
    if !live() {
        return;
    }
    let o = Command::new(SYNACK)
        .args(["compare", "lost-data", "--format", "svg"])
        .output()
        .expect("synack runs");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    let doc = roxmltree::Document::parse(&text).expect("well-formed SVG");
    let class_is = |n: &roxmltree::Node, c: &str| {
        n.attribute("class")
            .is_some_and(|v| v.split(' ').any(|x| x == c))
    };
    let ladders: Vec<_> = doc
        .descendants()
        .filter(|n| class_is(n, "ladder"))
        .collect();
    assert_eq!(ladders.len(), 2, "{text}");
    let titles: Vec<String> = ladders
        .iter()
        .map(|l| {
            l.descendants()
                .find(|n| class_is(n, "panel-title"))
                .and_then(|n| n.text())
                .unwrap_or_default()
                .trim()
                .to_string()
        })
        .collect();
    assert_eq!(titles[0], "simulation (rfc profile)", "{titles:?}");
    assert!(titles[1].starts_with("real (Linux "), "{titles:?}");
    // Each ladder draws its own run: the lost segment ends in a cross on
    // both sides (the rule drops it in the simulator and on the real link).
    for l in &ladders {
        let segments = l.descendants().filter(|n| class_is(n, "segment")).count();
        let dropped = l.descendants().filter(|n| class_is(n, "dropped")).count();
        assert!(segments >= 8, "{segments} segments");
        assert!(dropped >= 1, "no dropped segment drawn");
    }
}

#[test]
fn formats_compare_cannot_draw_are_a_usage_error_before_any_run() {
    for format in ["mermaid", "pcap", "pcapng"] {
        let o = Command::new(SYNACK)
            .args(["compare", "echo", "--format", format])
            .output()
            .expect("synack runs");
        assert_eq!(o.status.code(), Some(2), "{format}: {}", stderr(&o));
        assert!(stderr(&o).contains("text, json or svg"), "{}", stderr(&o));
        assert!(o.stdout.is_empty());
    }
}
