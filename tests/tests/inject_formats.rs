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
