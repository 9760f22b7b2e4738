//! End-to-end tests of `synack annotate FILE` through the binary: damaged
//! captures (every good record still annotated, truncated told apart from
//! malformed, file errors naming record and offset, exit 2 after the good
//! output), the `--conn` / `--port` filters, `--summary`, `-o`, and mutated
//! captures that must never make synack panic.
//!
//! Damaged files are made here from the stored fixtures
//! (`tests/fixtures/captures/*.pcap`), so each test says what it broke.

mod common;

use common::*;
use std::process::Output;

/// Frames (records) of `syn_lost.pcap`: a SYN lost, then an echo of 100 bytes.
const SYN_LOST_FRAMES: u64 = 11;

fn syn_lost() -> Vec<u8> {
    fixture("syn_lost.pcap")
}

/// `synack annotate PATH --format json ARGS...`.
fn annotate_json(path: &std::path::Path, args: &[&str]) -> Output {
    let mut all = vec!["annotate", path_str(path), "--format", "json"];
    all.extend_from_slice(args);
    synack(&all)
}

/// `synack annotate PATH --color never ARGS...` (text).
fn annotate_text(path: &std::path::Path, args: &[&str]) -> Output {
    let mut all = vec!["annotate", path_str(path), "--color", "never"];
    all.extend_from_slice(args);
    synack(&all)
}

fn frames_1_to(n: u64) -> Vec<u64> {
    (1..=n).collect()
}

/// Asserts stderr is `synack: ` lines only, without a panic, and returns it.
#[track_caller]
fn assert_clean_stderr(o: &Output) -> String {
    let err = stderr(o);
    assert_no_panic(&err);
    for line in err.lines() {
        assert!(line.starts_with("synack: "), "stderr: {err}");
    }
    err
}

#[test]
fn a_whole_fixture_annotates_every_frame_and_exits_0() {
    let path = write_tmp("whole.pcap", &syn_lost());
    let o = annotate_json(&path, &[]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(json_frames(&stdout(&o)), frames_1_to(SYN_LOST_FRAMES));
    assert_eq!(stderr(&o), "");
    let o = annotate_text(&path, &[]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let text = stdout(&o);
    for want in [
        "SYN seq=0 len=0",
        "[retransmission]",
        "SYN,ACK seq=0 ack=1",
        "PSH,ACK seq=1 ack=1 len=100",
        "CLOSED → SYN-SENT",
        "SYN-SENT → ESTABLISHED",
        "FIN-WAIT-2 → TIME-WAIT",
        "LAST-ACK → CLOSED",
        "11 records: 11 TCP",
    ] {
        assert!(text.contains(want), "text lacks {want:?}:\n{text}");
    }
}

#[test]
fn an_empty_file_exits_2_with_one_line() {
    let path = write_tmp("empty.pcap", &[]);
    for o in [annotate_text(&path, &[]), annotate_json(&path, &[])] {
        assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
        let err = assert_clean_stderr(&o);
        assert_eq!(err.lines().count(), 1, "stderr: {err}");
        assert!(err.contains("empty"), "stderr: {err}");
        assert!(err.contains(path_str(&path)), "stderr: {err}");
        assert_eq!(json_frames(&stdout(&o)), Vec::<u64>::new());
    }
}

#[test]
fn a_bad_magic_exits_2_naming_the_bytes() {
    let mut bytes = syn_lost();
    bytes[..4].copy_from_slice(b"GIF8");
    let path = write_tmp("bad_magic.pcap", &bytes);
    let o = annotate_json(&path, &[]);
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    let err = assert_clean_stderr(&o);
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    assert!(err.contains("neither pcap nor pcapng"), "stderr: {err}");
    assert!(err.contains("47 49 46 38"), "stderr: {err}");
    assert_eq!(stdout(&o), "");
}

#[test]
fn a_cut_short_file_header_exits_2() {
    let bytes = syn_lost();
    let path = write_tmp("header_cut.pcap", &bytes[..17]);
    let o = annotate_json(&path, &[]);
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    let err = assert_clean_stderr(&o);
    assert!(err.contains("17 of its 24 bytes"), "stderr: {err}");
}

#[test]
fn a_cut_last_record_header_keeps_every_record_before_it() {
    let bytes = syn_lost();
    let recs = pcap_records(&bytes);
    let last = recs[recs.len() - 1];
    // The file ends 7 bytes into the last record's 16-byte header.
    let path = write_tmp("last_header_cut.pcap", &bytes[..last.offset + 7]);
    let o = annotate_json(&path, &[]);
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    assert_eq!(json_frames(&stdout(&o)), frames_1_to(SYN_LOST_FRAMES - 1));
    let err = assert_clean_stderr(&o);
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    let want = format!(
        "record {SYN_LOST_FRAMES} at byte offset {}: the record header is cut short (7 of 16 bytes)",
        last.offset
    );
    assert!(err.contains(&want), "stderr lacks {want:?}: {err}");

    // The text transcript says so too, after the good records.
    let o = annotate_text(&path, &[]);
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("not annotated: record 11"), "text:\n{text}");
    assert!(text.contains("FIN,ACK seq=101 ack=102"), "text:\n{text}");
}

#[test]
fn cut_packet_data_keeps_every_record_before_it() {
    let bytes = syn_lost();
    let recs = pcap_records(&bytes);
    let r5 = recs[4];
    // The file ends 30 bytes into the data of record 5.
    let path = write_tmp("data_cut.pcap", &bytes[..r5.data + 30]);
    let o = annotate_json(&path, &[]);
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    assert_eq!(json_frames(&stdout(&o)), frames_1_to(4));
    let err = assert_clean_stderr(&o);
    let want = format!(
        "record 5 at byte offset {}: the packet data is cut short (30 of {} bytes)",
        r5.offset, r5.caplen
    );
    assert!(err.contains(&want), "stderr lacks {want:?}: {err}");
}

#[test]
fn a_caplen_over_256_kib_ends_the_file_after_the_good_records() {
    let mut bytes = syn_lost();
    let recs = pcap_records(&bytes);
    let r6 = recs[5];
    put_u32(&mut bytes, r6.offset + 8, 300_000);
    let path = write_tmp("caplen_over_limit.pcap", &bytes);
    let o = annotate_json(&path, &[]);
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    assert_eq!(json_frames(&stdout(&o)), frames_1_to(5));
    let err = assert_clean_stderr(&o);
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    let want = format!(
        "record 6 at byte offset {}: caplen 300000 exceeds the 262144-byte limit",
        r6.offset
    );
    assert!(err.contains(&want), "stderr lacks {want:?}: {err}");
}

/// Issue 12: a record over the file's snaplen is read whole, as tshark
/// reads it, with a note; every record after it is annotated; exit 0.
#[test]
fn records_over_the_snaplen_are_read_whole_with_a_note() {
    let mut bytes = syn_lost();
    // A snaplen of 60: the SYNs (74 bytes) and the data segments exceed it.
    put_u32(&mut bytes, 16, 60);
    let over: Vec<u64> = pcap_records(&bytes)
        .iter()
        .enumerate()
        .filter(|(_, r)| r.caplen > 60)
        .map(|(i, _)| i as u64 + 1)
        .collect();
    assert!(over.len() >= 3, "{over:?}");
    let path = write_tmp("over_snaplen.pcap", &bytes);
    let o = annotate_json(&path, &[]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(stderr(&o), "");
    let out = stdout(&o);
    assert_eq!(json_frames(&out), frames_1_to(SYN_LOST_FRAMES));
    for n in &over {
        let want = format!("frame {n}: its ");
        assert!(
            out.lines().any(|l| l.contains("\"kind\":\"note\"")
                && l.contains(&want)
                && l.contains("exceed the snaplen of 60")),
            "no note for frame {n}:\n{out}"
        );
    }
    let text = stdout(&annotate_text(&path, &[]));
    let want = format!(
        "11 records: 11 TCP, {} over the snaplen (read whole)",
        over.len()
    );
    assert!(text.contains(&want), "text lacks {want:?}:\n{text}");
}

/// A caplen over the snaplen that is also more than the file holds: read
/// whole, the data runs past the end of the file (exit 2, frames before it kept).
#[test]
fn a_caplen_over_the_snaplen_beyond_the_end_of_the_file_keeps_the_good_records() {
    let mut bytes = syn_lost();
    let snaplen = u32::from_le_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
    let recs = pcap_records(&bytes);
    let r3 = recs[2];
    put_u32(&mut bytes, r3.offset + 8, snaplen + 1);
    let path = write_tmp("caplen_over_snaplen.pcap", &bytes);
    let o = annotate_json(&path, &[]);
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    assert_eq!(json_frames(&stdout(&o)), frames_1_to(2));
    let err = assert_clean_stderr(&o);
    let want = format!(
        "record 3 at byte offset {}: the packet data is cut short ({} of {} bytes)",
        r3.offset,
        bytes.len() - r3.offset - 16,
        snaplen + 1
    );
    assert!(err.contains(&want), "stderr lacks {want:?}: {err}");
}

/// Cuts record `index` (0-based) to `caplen` captured bytes, keeping its
/// `orig_len`: what a small snaplen does.
fn cut_by_snaplen(bytes: &[u8], index: usize, caplen: usize) -> Vec<u8> {
    let recs = pcap_records(bytes);
    let r = recs[index];
    assert!(caplen < r.caplen);
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..r.data + caplen]);
    out.extend_from_slice(&bytes[r.data + r.caplen..]);
    put_u32(&mut out, r.offset + 8, caplen as u32);
    out
}

/// Sets the TCP data offset of record `index` (0-based, Ethernet + IPv4
/// without options) to `words`, in a packet captured whole.
fn bad_data_offset(bytes: &[u8], index: usize, words: u8) -> Vec<u8> {
    let recs = pcap_records(bytes);
    let r = recs[index];
    let mut out = bytes.to_vec();
    let at = r.data + 14 + 20 + 12;
    out[at] = (words << 4) | (out[at] & 0x0f);
    out
}

#[test]
fn a_packet_cut_by_the_snaplen_is_told_apart_from_a_malformed_one() {
    // Frame 5 cut inside its TCP header (Ethernet 14 + IP 20 + 10 bytes of
    // TCP), frame 7 whole but with a TCP data offset of 2 words.
    let cut = cut_by_snaplen(&syn_lost(), 4, 14 + 20 + 10);
    let both = bad_data_offset(&cut, 6, 2);
    let path = write_tmp("cut_and_malformed.pcap", &both);

    // Neither is a file error: the records after them are annotated, exit 0.
    let o = annotate_json(&path, &[]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let mut want: Vec<u64> = frames_1_to(SYN_LOST_FRAMES);
    want.retain(|f| *f != 5 && *f != 7);
    assert_eq!(json_frames(&stdout(&o)), want);

    let o = annotate_text(&path, &[]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let text = stdout(&o);
    let line5 = line_with(&text, "frame 5: not annotated");
    let line7 = line_with(&text, "frame 7: not annotated");
    assert!(
        line5.contains("cut by the snaplen inside the TCP header"),
        "{line5}"
    );
    assert!(!line5.contains("malformed"), "{line5}");
    assert!(
        line7.contains("malformed: the TCP data offset 2 is below the minimum of 5"),
        "{line7}"
    );
    assert!(!line7.contains("snaplen"), "{line7}");
    assert!(
        text.contains("11 records: 9 TCP, 1 cut by snaplen inside headers, 1 malformed"),
        "text:\n{text}"
    );
}

#[test]
fn a_data_offset_beyond_a_whole_segment_is_malformed() {
    let bytes = bad_data_offset(&syn_lost(), 3, 15);
    let path = write_tmp("data_offset_beyond.pcap", &bytes);
    let o = annotate_text(&path, &[]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let text = stdout(&o);
    let line = line_with(&text, "frame 4: not annotated");
    assert!(
        line.contains("malformed: the TCP header length 60 exceeds the 32-byte segment"),
        "{line}"
    );
}

#[test]
fn a_payload_cut_by_the_snaplen_is_still_annotated_with_its_real_length() {
    // Frame 5 carries 100 bytes; keep its headers (Ethernet 14 + IP 20 + TCP
    // 32) and 10 bytes of payload.
    let bytes = cut_by_snaplen(&syn_lost(), 4, 14 + 20 + 32 + 10);
    let path = write_tmp("payload_cut.pcap", &bytes);
    let o = annotate_json(&path, &[]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(json_frames(&out), frames_1_to(SYN_LOST_FRAMES));
    let f5 = json_lines(&out)
        .into_iter()
        .find(|v| v["kind"] == "segment" && v["frame"] == 5)
        .expect("frame 5 is annotated");
    assert_eq!(f5["len"], 100, "{f5}");
    assert_eq!(f5["rel_seq"], 1, "{f5}");
    let o = annotate_text(&path, &[]);
    let text = stdout(&o);
    assert!(
        text.contains("11 records: 11 TCP (1 payload cut by snaplen)"),
        "text:\n{text}"
    );
}

#[test]
fn records_that_are_not_tcp_are_counted_not_lost() {
    // Record 6 becomes UDP (IP protocol 17); the rest stay TCP.
    let mut bytes = syn_lost();
    let recs = pcap_records(&bytes);
    bytes[recs[5].data + 14 + 9] = 17;
    let path = write_tmp("one_udp.pcap", &bytes);
    let o = annotate_json(&path, &[]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let mut want = frames_1_to(SYN_LOST_FRAMES);
    want.retain(|f| *f != 6);
    assert_eq!(json_frames(&stdout(&o)), want);
    let o = annotate_text(&path, &[]);
    let text = stdout(&o);
    assert!(text.contains("11 records: 10 TCP, 1 UDP"), "text:\n{text}");

    // A link type synack does not decode: nothing annotated, all counted.
    let mut bytes = syn_lost();
    put_u32(&mut bytes, 20, 147);
    let path = write_tmp("unknown_link.pcap", &bytes);
    let o = annotate_json(&path, &[]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(json_frames(&stdout(&o)), Vec::<u64>::new());
    let o = annotate_json(&path, &["--summary"]);
    let lines = json_lines(&stdout(&o));
    let cap = lines
        .iter()
        .find(|v| v["kind"] == "capture_summary")
        .expect("a capture_summary line");
    assert_eq!(cap["records"], 11);
    assert_eq!(cap["tcp"], 0);
    assert_eq!(cap["not_tcp"], 11);
}

#[test]
fn a_bad_pcapng_block_is_skipped_and_the_records_after_it_annotated() {
    let ng = to_pcapng(&syn_lost());
    let blocks = pcapng_packet_blocks(&ng);
    assert_eq!(blocks.len() as u64, SYN_LOST_FRAMES);
    let mut bytes = ng.clone();
    // Block 4 names interface 7, which the section never described.
    put_u32(&mut bytes, blocks[3] + 8, 7);
    let path = write_tmp("unknown_interface.pcapng", &bytes);
    let o = annotate_json(&path, &[]);
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    let mut want = frames_1_to(SYN_LOST_FRAMES);
    want.retain(|f| *f != 4);
    assert_eq!(json_frames(&stdout(&o)), want);
    let err = assert_clean_stderr(&o);
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    let want = format!(
        "record 4 at byte offset {}: the packet names interface 7",
        blocks[3]
    );
    assert!(err.contains(&want), "stderr lacks {want:?}: {err}");

    // Two bad blocks: both named, then a count.
    put_u32(&mut bytes, blocks[8] + 8, 9);
    let path = write_tmp("two_unknown_interfaces.pcapng", &bytes);
    let o = annotate_json(&path, &[]);
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    let mut want = frames_1_to(SYN_LOST_FRAMES);
    want.retain(|f| *f != 4 && *f != 9);
    assert_eq!(json_frames(&stdout(&o)), want);
    let err = assert_clean_stderr(&o);
    assert_eq!(err.lines().count(), 3, "stderr: {err}");
    assert!(err.contains("record 9 at byte offset"), "stderr: {err}");
    assert!(err.contains("2 records of"), "stderr: {err}");
}

#[test]
fn the_pcapng_copy_annotates_like_the_pcap() {
    let pcap = write_tmp("same.pcap", &syn_lost());
    let ng = write_tmp("same.pcapng", &to_pcapng(&syn_lost()));
    let a = annotate_json(&pcap, &[]);
    let b = annotate_json(&ng, &[]);
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(b.status.code(), Some(0), "stderr: {}", stderr(&b));
    assert_eq!(stdout(&a), stdout(&b));
}

#[test]
fn a_missing_file_exits_2_naming_it() {
    let path = std::path::Path::new("/nonexistent/synack/none.pcap");
    let o = annotate_json(path, &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = assert_clean_stderr(&o);
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    assert!(
        err.contains("/nonexistent/synack/none.pcap"),
        "stderr: {err}"
    );
}

/// The time column of a text transcript.
fn text_times(text: &str) -> Vec<f64> {
    text.lines()
        .filter_map(|l| l.split_whitespace().next()?.parse::<f64>().ok())
        .collect()
}

#[test]
fn the_time_column_never_goes_back() {
    let bytes = syn_lost();
    let recs = pcap_records(&bytes);
    let path = write_tmp("times_cut.pcap", &bytes[..recs[10].offset + 7]);
    let o = annotate_text(&path, &[]);
    let times = text_times(&stdout(&o));
    assert!(times.len() > 10, "{times:?}");
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "times go back: {times:?}\n{}",
        stdout(&o)
    );
}

// --- the checked-in bad captures -------------------------------------------

const BAD_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/bad");

/// The damaged captures of this file, by name, as `tests/fixtures/bad/`
/// keeps them for people to try (`synack annotate tests/fixtures/bad/X`).
fn crafted() -> Vec<(&'static str, Vec<u8>)> {
    let good = syn_lost();
    let recs = pcap_records(&good);
    let mut over_limit = good.clone();
    put_u32(&mut over_limit, recs[5].offset + 8, 300_000);
    let mut over_snaplen = good.clone();
    put_u32(&mut over_snaplen, recs[2].offset + 8, u32_at(&good, 16) + 1);
    let mut bad_magic = good.clone();
    bad_magic[..4].copy_from_slice(b"GIF8");
    let mut unknown_interface = to_pcapng(&good);
    let blocks = pcapng_packet_blocks(&unknown_interface);
    put_u32(&mut unknown_interface, blocks[3] + 8, 7);
    vec![
        ("empty.pcap", Vec::new()),
        ("bad_magic.pcap", bad_magic),
        ("file_header_cut.pcap", good[..17].to_vec()),
        (
            "last_record_header_cut.pcap",
            good[..recs[10].offset + 7].to_vec(),
        ),
        ("record_data_cut.pcap", good[..recs[4].data + 30].to_vec()),
        ("caplen_over_256kib.pcap", over_limit),
        ("caplen_over_snaplen.pcap", over_snaplen),
        (
            "tcp_header_cut_by_snaplen.pcap",
            cut_by_snaplen(&good, 4, 14 + 20 + 10),
        ),
        (
            "tcp_data_offset_malformed.pcap",
            bad_data_offset(&good, 6, 2),
        ),
        (
            "payload_cut_by_snaplen.pcap",
            cut_by_snaplen(&good, 4, 14 + 20 + 32 + 10),
        ),
        ("unknown_interface.pcapng", unknown_interface),
    ]
}

/// `tests/fixtures/bad/` holds exactly what the tests craft. Regenerate with
/// `SYNACK_BLESS_BAD=1 cargo test -p synack --test annotate checked_in`.
#[test]
fn checked_in_bad_captures_are_what_the_tests_craft() {
    let bless = std::env::var("SYNACK_BLESS_BAD").is_ok_and(|v| v == "1");
    for (name, bytes) in crafted() {
        let path = std::path::Path::new(BAD_DIR).join(name);
        if bless {
            std::fs::create_dir_all(BAD_DIR).expect("create tests/fixtures/bad");
            std::fs::write(&path, &bytes).expect("write a bad capture");
        }
        let stored = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (bless with SYNACK_BLESS_BAD=1)", path.display()));
        assert!(stored == bytes, "{name} differs from what the tests craft");
        // And synack still treats it as the tests above expect: never a panic,
        // exit 0 (packet-level damage) or 2 (file-level).
        let o = annotate_json(&path, &[]);
        assert_no_panic(&stderr(&o));
        // Damage inside a packet is told in the transcript; the file reads on.
        let packet_level = [
            "tcp_header_cut_by_snaplen.pcap",
            "tcp_data_offset_malformed.pcap",
            "payload_cut_by_snaplen.pcap",
        ];
        let want = if packet_level.contains(&name) { 0 } else { 2 };
        assert_eq!(o.status.code(), Some(want), "{name}: {}", stderr(&o));
    }
}

#[path = "annotate/filters.rs"]
mod filters;
#[path = "annotate/mutation.rs"]
mod mutation;
