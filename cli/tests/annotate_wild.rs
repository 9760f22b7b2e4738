//! Issue 12 through the binary: `synack annotate -` reading a pcap stream
//! from a real pipe as it arrives, with flat memory; link types synack does
//! not decode named on stderr and in a JSON note; tunnels named at the start
//! of their connections; the README's list of link types.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const WILD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/wild");

fn wild(name: &str) -> std::path::PathBuf {
    Path::new(WILD).join(name)
}

/// `tcpdump -U -w - | synack annotate -`, with a shell in tcpdump's place:
/// it writes the file header and the first records, sleeps, then writes
/// the rest. The first records' segments come out while the writer sleeps.
#[test]
fn annotate_stdin_annotates_each_record_as_it_arrives_from_a_pipe() {
    let file = fixture_path("syn_lost.pcap");
    let recs = pcap_records(&fixture("syn_lost.pcap"));
    // Header and records 1-3, then 2 s of nothing, then the rest.
    let split = recs[3].offset;
    let script = format!(
        "head -c {split} '{f}'; sleep 2; tail -c +{from} '{f}'",
        f = path_str(&file),
        from = split + 1
    );
    let mut writer = Command::new("sh")
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .spawn()
        .expect("sh runs");
    let pipe = writer.stdout.take().expect("the writer's stdout");
    let start = Instant::now();
    let mut reader = Command::new(SYNACK)
        .args(["annotate", "-", "--format", "json"])
        .stdin(Stdio::from(pipe))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("synack runs");
    let out = reader.stdout.take().expect("synack's stdout");
    let (tx, rx) = mpsc::channel();
    let lines = std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let line = line.expect("UTF-8 output");
            let _ = tx.send((start.elapsed(), line));
        }
    });
    let writer_done = {
        writer.wait().expect("the writer ends");
        start.elapsed()
    };
    let status = reader.wait().expect("synack ends");
    lines.join().expect("the reader thread ends");
    let got: Vec<(Duration, String)> = rx.into_iter().collect();
    assert!(status.success(), "synack failed: {got:?}");
    let frame_3 = got
        .iter()
        .find(|(_, l)| l.contains("\"kind\":\"segment\"") && l.contains("\"frame\":3"))
        .unwrap_or_else(|| panic!("no frame 3 in {got:?}"));
    assert!(
        frame_3.0 + Duration::from_millis(1000) < writer_done,
        "frame 3 came out at {:?}, the writer ended at {writer_done:?}: not streamed",
        frame_3.0
    );
    let frames = json_frames(
        &got.iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
    );
    assert_eq!(frames, (1..=11).collect::<Vec<u64>>());
}

/// A long stream through `synack annotate -`: the peak resident set after
/// a tenth of it and at its end are the same, give or take 4 MiB.
#[test]
fn annotate_stdin_keeps_memory_flat_on_a_large_stream() {
    const RECORDS: u32 = 400_000;
    let mut child = Command::new(SYNACK)
        .args(["annotate", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("synack runs");
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("synack's stdin");
    let peak = || -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    // One bulk connection, every data segment cut to 96 bytes by the snaplen.
    let mut header = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    header.extend([0; 8]);
    header.extend(96u32.to_le_bytes());
    header.extend(1u32.to_le_bytes());
    stdin.write_all(&header).expect("write the header");
    let mut batch = Vec::with_capacity(1 << 20);
    let mut at_tenth = 0;
    for i in 0..RECORDS {
        let (from_client, seq, ack) = if i % 2 == 0 {
            (true, 1 + (i / 2) * 1448, 1)
        } else {
            (false, 1, 1 + (i / 2 + 1) * 1448)
        };
        let frame = segment(from_client, seq, ack, if from_client { 1448 } else { 0 });
        let cap = frame.len().min(96);
        batch.extend((i / 1000).to_le_bytes());
        batch.extend(((i % 1000) * 1000).to_le_bytes());
        batch.extend((cap as u32).to_le_bytes());
        batch.extend((frame.len() as u32).to_le_bytes());
        batch.extend(&frame[..cap]);
        if batch.len() > (1 << 20) - 200 {
            stdin.write_all(&batch).expect("synack reads its stdin");
            batch.clear();
        }
        if i == RECORDS / 10 {
            stdin.write_all(&batch).expect("synack reads its stdin");
            batch.clear();
            std::thread::sleep(Duration::from_millis(300));
            at_tenth = peak();
        }
    }
    stdin.write_all(&batch).expect("synack reads its stdin");
    stdin.flush().expect("flush");
    std::thread::sleep(Duration::from_millis(500));
    let at_end = peak();
    drop(stdin);
    let out = child.wait_with_output().expect("synack ends");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(at_tenth > 0 && at_end > 0, "no VmHWM in /proc");
    eprintln!("peak RSS: {at_tenth} kB after a tenth, {at_end} kB at the end");
    assert!(
        at_end <= at_tenth + 4096,
        "memory grew from {at_tenth} kB to {at_end} kB over the stream"
    );
}

/// An Ethernet frame of IPv4/TCP between 10.0.0.1:40000 and 10.0.0.2:80.
fn segment(from_client: bool, seq: u32, ack: u32, len: usize) -> Vec<u8> {
    let (src, dst, sport, dport) = if from_client {
        ([10, 0, 0, 1], [10, 0, 0, 2], 40000u16, 80u16)
    } else {
        ([10, 0, 0, 2], [10, 0, 0, 1], 80, 40000)
    };
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    f.extend([0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0]);
    f.extend(src);
    f.extend(dst);
    f.extend(sport.to_be_bytes());
    f.extend(dport.to_be_bytes());
    f.extend(seq.to_be_bytes());
    f.extend(ack.to_be_bytes());
    f.extend([0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0]);
    f.resize(f.len() + len, b'x');
    let total = (f.len() - 14) as u16;
    f[16..18].copy_from_slice(&total.to_be_bytes());
    f
}

#[test]
fn an_unsupported_link_type_is_named_on_stderr_and_in_a_note() {
    let path = wild("unsupported_link_user0.pcap");
    let o = synack(&["annotate", path_str(&path), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.starts_with("synack: ") && err.contains("link type 147 is not supported"),
        "{err}"
    );
    let out = stdout(&o);
    assert!(
        out.lines().any(|l| l.contains("\"kind\":\"note\"")
            && l.contains("frame 1: link type 147 is not supported")),
        "{out}"
    );
    // The text transcript says it too, and a known name is named.
    let mut radiotap = fixture("syn_lost.pcap");
    radiotap[20..24].copy_from_slice(&127u32.to_le_bytes());
    let path = write_tmp("radiotap.pcap", &radiotap);
    let o = synack(&["annotate", path_str(&path), "--color", "never"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("frame 1: link type IEEE802_11_RADIOTAP (127) is not supported"),
        "{}",
        stdout(&o)
    );
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
}

#[test]
fn a_connection_inside_a_tunnel_starts_with_a_note_naming_it() {
    let path = wild("vxlan_v4.pcap");
    let o = synack(&["annotate", path_str(&path), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let first: Vec<&str> = out.lines().take(2).collect();
    assert!(
        first[0].contains("\"kind\":\"note\"")
            && first[0].contains("\"conn\":1")
            && first[0].contains("\"text\":\"inside VXLAN 10.9.0.1 → 10.9.0.2 vni 42\""),
        "{out}"
    );
    assert!(first[1].contains("\"kind\":\"segment\""), "{out}");
    assert!(out.contains("10 TCP (10 in tunnels)"), "{out}");
    let o = synack(&["annotate", path_str(&path), "--color", "never"]);
    let text = stdout(&o);
    let header = text
        .lines()
        .position(|l| l.contains("connection c1: client 192.168.42.1:"))
        .unwrap_or_else(|| panic!("{text}"));
    let next = text.lines().nth(header + 1).unwrap_or("");
    assert!(
        next.contains("c1") && next.contains("— inside VXLAN 10.9.0.1 → 10.9.0.2 vni 42"),
        "{text}"
    );
    // --conn keeps the note with its connection.
    let o = synack(&[
        "annotate",
        path_str(&path),
        "--format",
        "json",
        "--conn",
        "1",
    ]);
    assert!(stdout(&o).contains("inside VXLAN"), "{}", stdout(&o));
}

#[test]
fn the_readme_lists_every_supported_link_type() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    for link in synack_capture::LinkType::SUPPORTED {
        let name = link.name().expect("supported link types have names");
        let entry = match link.0 {
            // Other numbers of raw IP, listed with it.
            12 | 14 => "`RAW (101)` (also 12 and 14)".to_owned(),
            n => format!("{name} ({n})"),
        };
        assert!(readme.contains(&entry), "README.md does not list {entry}");
    }
}
