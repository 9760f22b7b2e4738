//! `synack capture` under load (issue 13, point 2), for real, as root: a
//! full-speed 1 GB loopback transfer in a private namespace (MTU 1500,
//! offloads off) recorded with `synack capture --format json -o F`
//! (bench/capture-load.sh, run with the binary under test): every packet
//! the kernel put on lo is annotated, none dropped. The only test of this
//! binary, so nothing else runs beside it. Skips with a reason without root
//! and the tools, unless `SYNACK_REQUIRE_LIVE=1`.

use std::path::{Path, PathBuf};
use std::process::Command;
use synack_tests::netns::live::{go_or_skip, preflight};

const SYNACK: &str = env!("CARGO_BIN_EXE_synack-cli");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn a_gigabyte_over_loopback_loses_nothing() {
    const TEST: &str = "a_gigabyte_over_loopback_loses_nothing";
    if !go_or_skip(TEST, preflight()) {
        return;
    }
    let out = Command::new(repo().join("bench/capture-load.sh"))
        .args(["1024", SYNACK])
        .output()
        .expect("bench/capture-load.sh runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    let get = |key: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{TEST}: no {key}= in\n{text}\n{err}"))
    };
    let on_lo = get("packets_on_lo");
    // 1 GB in segments of at most 1448 bytes, and their ACKs.
    assert!(on_lo > 700_000, "{text}");
    assert_eq!(get("annotated"), on_lo, "{text}\n{err}");
    assert_eq!(get("dropped_by_kernel"), 0, "{text}\n{err}");
    assert_eq!(get("dropped_by_interface"), 0, "{text}\n{err}");
    assert!(out.status.success(), "{text}\n{err}");
}
