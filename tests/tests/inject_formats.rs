//! A forged segment (`inject`, docs/scenario-language.md) shows in every
//! format with its fate "injected"; a line without the numbers it needs
//! exits 2 with file:line:col. (On the real kernel: tests/tests/real_inject.rs.)

use std::path::PathBuf;
use std::process::{Command, Output};

const SYNACK: &str = env!("CARGO_BIN_EXE_synack-cli");

fn fixture() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/inject.tcp")
        .display()
        .to_string()
}

fn synack(args: &[&str]) -> Output {
    Command::new(SYNACK)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("runs synack")
}

fn stdout(args: &[&str]) -> String {
    let out = synack(args);
    assert!(
        out.status.success(),
        "{args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn text_json_svg_and_mermaid_show_the_forged_segments() {
    let f = fixture();
    let text = stdout(&["sim", &f]);
    let injected: Vec<&str> = text.lines().filter(|l| l.contains("(injected)")).collect();
    assert_eq!(injected.len(), 2, "{text}");
    assert!(injected.iter().all(|l| l.contains("── RST seq=")), "{text}");

    let json = stdout(&["sim", &f, "--format", "json"]);
    let fates: Vec<&str> = json
        .lines()
        .filter(|l| l.contains("\"fate\":\"injected\""))
        .collect();
    assert_eq!(fates.len(), 2, "{json}");
    assert!(fates[0].contains("\"rel_seq\":101"), "{}", fates[0]);
    assert!(fates[1].contains("\"rel_seq\":1,"), "{}", fates[1]);

    let svg = stdout(&["sim", &f, "--format", "svg"]);
    assert_eq!(
        svg.matches("class=\"segment injected\"").count(),
        2,
        "{svg}"
    );

    let mermaid = stdout(&["sim", &f, "--format", "mermaid"]);
    let dotted: Vec<&str> = mermaid
        .lines()
        .filter(|l| l.contains("client-->>server"))
        .collect();
    assert_eq!(dotted.len(), 2, "{mermaid}");
    assert!(dotted.iter().all(|l| l.contains("(injected)")), "{mermaid}");
}

#[test]
fn pcapng_export_carries_the_forged_segments_with_a_comment() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("inject");
    std::fs::create_dir_all(&dir).expect("scratch");
    for (fmt, ext) in [("pcap", "pcap"), ("pcapng", "pcapng")] {
        let file = dir.join(format!("inject.{ext}"));
        let f = file.display().to_string();
        stdout(&["sim", &fixture(), "--format", fmt, "-o", &f]);
        let bytes = std::fs::read(&file).expect("written");
        assert!(bytes.len() > 100, "{fmt}: {} bytes", bytes.len());
        if fmt == "pcapng" {
            let s = String::from_utf8_lossy(&bytes);
            assert_eq!(
                s.matches("injected: forged by the scenario as if the client sent it")
                    .count(),
                2,
                "pcapng comments"
            );
        }
        // tshark reads it whole when it is here: two RSTs more than the
        // kernel-free handshake would have.
        if let Ok(frames) = synack_tests::tshark::frames(&file) {
            assert!(frames.len() >= 6, "{fmt}: {} frames", frames.len());
        }
    }
}

#[test]
fn an_inject_without_numbers_it_needs_exits_2_with_its_column() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("inject");
    std::fs::create_dir_all(&dir).expect("scratch");
    let file = dir.join("listen.tcp");
    std::fs::write(
        &file,
        "server listen 80\ninject client->server SYN seq=+1\n",
    )
    .expect("write");
    let f = file.display().to_string();
    let out = synack(&["sim", &f]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{f}:2:27: the client is CLOSED and never connected"
        )),
        "{err}"
    );
}

/// A forged SYN in ESTABLISHED with a new seq: as in Wireshark's
/// dissect_tcp(), a new conversation ("reused_ports") whose relative numbers
/// count from it, in the transcript and in tshark's reading of the export.
#[test]
fn a_forged_syn_numbers_from_itself_as_tshark_does() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("inject");
    std::fs::create_dir_all(&dir).expect("scratch");
    let file = dir.join("syn.tcp");
    std::fs::write(
        &file,
        "server listen 80\nclient connect\nserver accept\nwait 100ms\n\
         inject client->server SYN seq=+5\n",
    )
    .expect("write");
    let f = file.display().to_string();
    let json = stdout(&["sim", &f, "--format", "json"]);
    let segs: Vec<serde_json::Value> = json
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["kind"] == "segment")
        .collect();
    let forged = segs
        .iter()
        .position(|s| s["fate"] == "injected")
        .expect("the forged SYN");
    assert_eq!(segs[forged]["rel_seq"], 0, "{json}");
    let reused = segs[forged]["analysis"]
        .as_array()
        .is_some_and(|a| a.iter().any(|f| f == "reused_ports"));
    assert!(reused, "{json}");
    // The challenge ACK (RFC 5961 4.2) acknowledges RCV.NXT: 5 before the
    // forged SYN's seq, counted from it.
    let challenge = &segs[forged + 1];
    assert_eq!(challenge["flags"], "ACK", "{json}");
    assert_eq!(challenge["rel_ack"], u64::from(u32::MAX) - 4, "{json}");
    let pcap = dir.join("syn.pcap");
    stdout(&[
        "sim",
        &f,
        "--format",
        "pcap",
        "-o",
        &pcap.display().to_string(),
    ]);
    if !synack_tests::netns::live::go_or_skip("inject", synack_tests::netns::live::tshark()) {
        return;
    }
    let frames = synack_tests::tshark::frames(&pcap).expect("tshark reads the export");
    for (i, s) in segs.iter().enumerate() {
        let t = &frames[&(i as u64 + 1)];
        assert_eq!(t.seq, s["rel_seq"].as_u64(), "frame {}: {t:?} {s}", i + 1);
        if s["flags"].as_str().is_some_and(|f| f.contains("ACK")) {
            assert_eq!(t.ack, s["rel_ack"].as_u64(), "frame {}: {t:?} {s}", i + 1);
        }
    }
}
