//! Helpers shared by the end-to-end tests of `synack annotate` and
//! `synack capture`: running the binary, the stored fixtures, small pcap
//! surgery (record offsets, patched fields) and reading JSON Lines output.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The freshly built binary.
pub const SYNACK: &str = env!("CARGO_BIN_EXE_synack");

/// The stored captures, made by the netns tests.
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/captures");

/// Every stored capture fixture, by file name.
pub const FIXTURE_NAMES: [&str; 8] = [
    "data_lost_rto.pcap",
    "fast_retransmit.pcap",
    "keepalive.pcap",
    "port_reuse.pcap",
    "refused.pcap",
    "rst.pcap",
    "syn_lost.pcap",
    "zero_window.pcap",
];

/// Runs `synack ARGS` to completion, without colour variables or stdin.
pub fn synack(args: &[&str]) -> Output {
    Command::new(SYNACK)
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .output()
        .expect("the synack binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

pub fn fixture(name: &str) -> Vec<u8> {
    let p = fixture_path(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading fixture {}: {e}", p.display()))
}

/// This test binary's scratch directory.
pub fn tmp_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("synack-annotate-tests");
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// Writes `bytes` to a file of that name in the scratch directory.
pub fn write_tmp(name: &str, bytes: &[u8]) -> PathBuf {
    let path = tmp_dir().join(name);
    std::fs::write(&path, bytes).expect("the damaged capture is written");
    path
}

/// Fails on the marks of a panic or an internal error.
#[track_caller]
pub fn assert_no_panic(stderr: &str) {
    for bad in [
        "panicked",
        "internal error",
        "RUST_BACKTRACE",
        "stack backtrace",
    ] {
        assert!(!stderr.contains(bad), "stderr shows {bad:?}: {stderr}");
    }
}

/// Where one record of a classic little-endian pcap file lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PcapRec {
    /// Byte offset of its 16-byte header.
    pub offset: usize,
    /// Byte offset of its data.
    pub data: usize,
    pub caplen: usize,
    pub orig_len: usize,
}

pub fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

pub fn put_u32(bytes: &mut [u8], at: usize, v: u32) {
    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// The records of a whole, little-endian microsecond pcap file.
pub fn pcap_records(bytes: &[u8]) -> Vec<PcapRec> {
    assert_eq!(
        u32_at(bytes, 0),
        0xa1b2_c3d4,
        "a little-endian pcap fixture"
    );
    let mut recs = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let caplen = u32_at(bytes, at + 8) as usize;
        let orig_len = u32_at(bytes, at + 12) as usize;
        assert!(at + 16 + caplen <= bytes.len(), "a whole fixture");
        recs.push(PcapRec {
            offset: at,
            data: at + 16,
            caplen,
            orig_len,
        });
        at += 16 + caplen;
    }
    assert_eq!(at, bytes.len(), "a whole fixture");
    recs
}

/// The same packets as a pcapng file (one section, one interface).
pub fn to_pcapng(pcap: &[u8]) -> Vec<u8> {
    use synack_capture::{CaptureWriter, FileFormat, LinkType, TsResolution};
    let link = LinkType(u32_at(pcap, 20) & 0xffff);
    let snaplen = u32_at(pcap, 16);
    let mut w = CaptureWriter::new(
        Vec::new(),
        FileFormat::Pcapng,
        link,
        snaplen,
        TsResolution::Micro,
    )
    .expect("writing into memory");
    for r in pcap_records(pcap) {
        let ts_ns = u64::from(u32_at(pcap, r.offset)) * 1_000_000_000
            + u64::from(u32_at(pcap, r.offset + 4)) * 1_000;
        w.write_packet(ts_ns, &pcap[r.data..r.data + r.caplen], r.orig_len as u32)
            .expect("writing into memory");
    }
    w.into_inner().expect("writing into memory")
}

/// Byte offsets of the enhanced packet blocks of a little-endian pcapng file.
pub fn pcapng_packet_blocks(bytes: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 8 <= bytes.len() {
        let kind = u32_at(bytes, at);
        let len = u32_at(bytes, at + 4) as usize;
        assert!(len >= 12 && at + len <= bytes.len(), "a whole pcapng");
        if kind == 6 {
            out.push(at);
        }
        at += len;
    }
    out
}

/// Every line of JSON Lines output, parsed (a line that is not JSON fails).
#[track_caller]
pub fn json_lines(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The `frame` of every segment line, in order.
#[track_caller]
pub fn json_frames(out: &str) -> Vec<u64> {
    json_lines(out)
        .iter()
        .filter(|v| v["kind"] == "segment")
        .map(|v| {
            v["frame"]
                .as_u64()
                .expect("a segment of a capture has a frame")
        })
        .collect()
}

/// The one line of `text` that contains `needle`.
#[track_caller]
pub fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    let found: Vec<&str> = text.lines().filter(|l| l.contains(needle)).collect();
    assert_eq!(found.len(), 1, "lines with {needle:?}: {found:?}\n{text}");
    found[0]
}
