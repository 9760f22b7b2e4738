//! Real captures made by the tests, with tshark as the oracle.
//!
//! Each live test creates a private network namespace, adds an iptables rule
//! that makes one fault happen, captures `tcp port 9999` on its `lo` while
//! `synack-traffic` makes the traffic, runs tshark on the file and checks the
//! capture shows what the case is about (so the oracle is known to see the
//! behaviour). Then `synack annotate` must agree with tshark frame by frame.
//!
//! Live tests need root, ip, iptables, ethtool, tcpdump and tshark: without
//! them they skip with a printed reason, unless `SYNACK_REQUIRE_LIVE=1`, when
//! they fail. `SYNACK_UPDATE_FIXTURES=1` copies each capture and its tshark
//! output into `tests/fixtures/captures/`; the fixture tests check those
//! stored files without root.
//!
//! Where synack deliberately differs from tshark, the case would be named
//! here with its reason. There is none.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use synack_tests::netns::compare::{compare_with_synack, Comparison};
use synack_tests::netns::{live, Fault, Netns};
use synack_tests::tshark::{self, flag, TsharkFrame};

/// The server's port in every case.
const PORT: u16 = 9999;
/// When true, a `synack` without `annotate` fails the comparison instead of
/// passing with "compared 0 frames". Flip once `annotate` is merged.
const ANNOTATE_MANDATORY: bool = true;
/// Connections and client ports of the port-reuse case.
const REUSE_CONNS: usize = 8;
const REUSE_PORTS: usize = 4;

type Frames = BTreeMap<u64, TsharkFrame>;
type Check = fn(&Frames) -> Result<(), String>;

/// One case: its traffic, its faults, and what the capture must show.
struct Case {
    name: &'static str,
    traffic: &'static [&'static str],
    faults: fn() -> Vec<Fault>,
    check: Check,
}

const CASES: [Case; 8] = [
    Case {
        name: "syn_lost",
        traffic: &["echo", "9999"],
        faults: || vec![Fault::drop_syn(PORT, 1)],
        check: syn_lost,
    },
    Case {
        name: "data_lost_rto",
        traffic: &["echo", "9999"],
        faults: || vec![Fault::drop_data(PORT, 1)],
        check: data_lost_rto,
    },
    Case {
        name: "fast_retransmit",
        traffic: &["bulk", "9999", "30000"],
        faults: || vec![Fault::drop_data(PORT, 5)],
        check: fast_retransmit,
    },
    Case {
        name: "zero_window",
        traffic: &["noread", "9999"],
        faults: Vec::new,
        check: zero_window,
    },
    Case {
        name: "keepalive",
        traffic: &["keepalive", "9999"],
        faults: Vec::new,
        check: keepalive,
    },
    Case {
        name: "rst",
        traffic: &["rst", "9999"],
        faults: Vec::new,
        check: rst,
    },
    Case {
        name: "refused",
        traffic: &["refused", "9999"],
        faults: Vec::new,
        check: refused,
    },
    Case {
        name: "port_reuse",
        traffic: &["reuse", "9999", "8"],
        faults: Vec::new,
        check: port_reuse,
    },
];

// ---- what each capture must show -------------------------------------------

fn count(frames: &Frames, flag: &str) -> usize {
    frames.values().filter(|f| f.is(flag)).count()
}

fn need(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what.to_owned())
    }
}

fn syn_lost(frames: &Frames) -> Result<(), String> {
    let syns: Vec<&TsharkFrame> = frames
        .values()
        .filter(|f| f.has(flag::SYN) && !f.has(flag::ACK))
        .collect();
    need(
        syns.len() == 2,
        "two SYNs (the lost one and its retransmission)",
    )?;
    need(
        syns.first().map(|f| f.seq) == syns.get(1).map(|f| f.seq),
        "the second SYN has the first one's sequence number",
    )?;
    need(
        syns.get(1).is_some_and(|f| f.is("retransmission")),
        "tshark marks the second SYN a retransmission",
    )
}

fn data_lost_rto(frames: &Frames) -> Result<(), String> {
    let re: Vec<&TsharkFrame> = frames.values().filter(|f| f.is("retransmission")).collect();
    need(re.len() == 1, "exactly one retransmission")?;
    let re = re.first().copied().unwrap_or(&DEFAULT_FRAME);
    need(
        re.len.is_some_and(|l| l > 0),
        "the retransmission carries data",
    )?;
    need(
        !re.is("fast_retransmission"),
        "a retransmission on timeout, not a fast one",
    )?;
    need(
        frames
            .values()
            .any(|f| f.frame < re.frame && f.seq == re.seq && f.len == re.len),
        "the lost original is in the capture before it",
    )
}

static DEFAULT_FRAME: TsharkFrame = TsharkFrame {
    frame: 0,
    stream: None,
    flags: None,
    seq: None,
    ack: None,
    len: None,
    window: None,
    analysis: std::collections::BTreeSet::new(),
};

fn fast_retransmit(frames: &Frames) -> Result<(), String> {
    need(
        count(frames, "duplicate_ack") >= 3,
        "at least three duplicate ACKs",
    )?;
    need(
        count(frames, "fast_retransmission") >= 1,
        "a fast retransmission",
    )
}

fn zero_window(frames: &Frames) -> Result<(), String> {
    need(count(frames, "zero_window") >= 1, "a zero window")?;
    // Linux probes a zero window with an empty segment one below SND.UNA,
    // which Wireshark names a keep-alive; a probe carrying a byte (what
    // Wireshark calls zero_window_probe) appears only when the sender has
    // window to spare. Either the probe or the full window must be there.
    need(
        count(frames, "zero_window_probe") + count(frames, "window_full") >= 1,
        "a zero-window probe or a full window",
    )?;
    need(
        count(frames, "window_update") >= 1,
        "a window update when the reader wakes",
    )
}

fn keepalive(frames: &Frames) -> Result<(), String> {
    need(count(frames, "keep_alive") >= 1, "a keep-alive")?;
    need(count(frames, "keep_alive_ack") >= 1, "a keep-alive ACK")
}

fn rst(frames: &Frames) -> Result<(), String> {
    let data_then_rst = frames
        .values()
        .skip_while(|f| f.len.unwrap_or(0) == 0)
        .any(|f| f.has(flag::RST));
    need(data_then_rst, "an RST after the data")
}

fn refused(frames: &Frames) -> Result<(), String> {
    let v: Vec<&TsharkFrame> = frames.values().collect();
    need(v.len() == 2, "two frames: SYN and RST")?;
    need(
        v.first().is_some_and(|f| f.has(flag::SYN)),
        "the first is the SYN",
    )?;
    need(
        v.get(1)
            .is_some_and(|f| f.has(flag::RST | flag::ACK) && f.ack == Some(1)),
        "the second is RST,ACK acknowledging the SYN",
    )
}

fn port_reuse(frames: &Frames) -> Result<(), String> {
    let streams: std::collections::BTreeSet<u64> =
        frames.values().filter_map(|f| f.stream).collect();
    need(
        streams.len() == REUSE_CONNS,
        "one tcp.stream per connection",
    )?;
    need(
        count(frames, "reused_ports") == REUSE_CONNS - REUSE_PORTS,
        "every SYN after the first on a client port marked reused_ports",
    )
}

// ---- running a case ---------------------------------------------------------

fn case(name: &str) -> &'static Case {
    CASES
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case named {name}"))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/captures")
}

/// Runs synack on `capture` and fails on any frame where it and tshark
/// differ; passes (printing so) while `synack annotate` does not exist.
fn compare(name: &str, capture: &Path, frames: &Frames) {
    let cmp = compare_with_synack(capture, &tshark::analysis_of(frames))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    eprintln!("{name}: {}", cmp.summary());
    assert!(
        !(ANNOTATE_MANDATORY && cmp == Comparison::NotAvailable),
        "{name}: {} (build it with `cargo build -p synack`)",
        cmp.summary()
    );
    if let Comparison::Compared { differences, .. } = &cmp {
        assert!(
            differences.is_empty(),
            "{name}: synack and tshark differ:\n{}",
            differences.join("\n")
        );
    }
}

/// The packets each fault rule dropped, from the INPUT chain's counters.
fn dropped(ns: &Netns) -> Vec<u64> {
    let text = ns
        .input_counters()
        .unwrap_or_else(|e| panic!("reading iptables counters: {e}"));
    text.lines()
        .filter(|l| l.contains("DROP"))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

fn live_case(name: &str) {
    let case = case(name);
    if !live::go_or_skip(name, live::preflight()) || !live::go_or_skip(name, live::tshark()) {
        return;
    }
    let ns = match Netns::new() {
        Ok(ns) => ns,
        Err(e) => {
            live::go_or_skip(name, Err(format!("cannot create a network namespace: {e}")));
            return;
        }
    };
    for line in ns.offload_report() {
        eprintln!("{name}: offload left on: {line}");
    }
    let faults = (case.faults)();
    for f in &faults {
        ns.fault(f)
            .unwrap_or_else(|e| panic!("{name}: adding {f:?}: {e}"));
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{name}: temp dir: {e}"));
    let file = dir.path().join(format!("{name}.pcap"));
    let cap = ns
        .capture(PORT, file.clone(), 65535)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let out = ns
        .command(env!("CARGO_BIN_EXE_synack-traffic"), case.traffic)
        .output()
        .unwrap_or_else(|e| panic!("{name}: running synack-traffic: {e}"));
    let said = cap.stop().unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        out.status.success(),
        "{name}: synack-traffic {:?} failed ({}): {}",
        case.traffic,
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        dropped(&ns),
        vec![1; faults.len()],
        "{name}: each fault rule drops exactly one packet"
    );
    let tsv = tshark::tsv(&file).unwrap_or_else(|e| panic!("{name}: {e}"));
    let frames = tshark::parse(&tsv).unwrap_or_else(|e| panic!("{name}: {e}"));
    if let Err(what) = (case.check)(&frames) {
        panic!(
            "{name}: the capture does not show {what}.\ntcpdump: {}\ntshark:\n{tsv}",
            said.join(" / ")
        );
    }
    compare(name, &file, &frames);
    if std::env::var("SYNACK_UPDATE_FIXTURES").is_ok_and(|v| v == "1") {
        let to = fixtures();
        std::fs::create_dir_all(&to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
        std::fs::copy(&file, to.join(format!("{name}.pcap")))
            .unwrap_or_else(|e| panic!("{name}: copying the capture: {e}"));
        std::fs::write(to.join(format!("{name}.tshark.tsv")), &tsv)
            .unwrap_or_else(|e| panic!("{name}: writing the tshark output: {e}"));
    }
}

/// Checks a stored capture's tshark output (and, where tshark runs, that it
/// still says the same), then compares synack with it.
fn fixture_case(name: &str) {
    let case = case(name);
    let pcap = fixtures().join(format!("{name}.pcap"));
    let tsv_path = fixtures().join(format!("{name}.tshark.tsv"));
    let tsv = std::fs::read_to_string(&tsv_path)
        .unwrap_or_else(|e| panic!("{}: {e}", tsv_path.display()));
    let frames = tshark::parse(&tsv).unwrap_or_else(|e| panic!("{name}: {e}"));
    if let Err(what) = (case.check)(&frames) {
        panic!("{name}: the stored capture does not show {what}");
    }
    let rerun = format!("{name} (tshark on the stored capture)");
    if live::go_or_skip(&rerun, live::tshark()) {
        let now = tshark::frames(&pcap).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            tshark::analysis_of(&now),
            tshark::analysis_of(&frames),
            "{name}: tshark's analysis of the stored capture changed"
        );
    }
    compare(name, &pcap, &frames);
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        mod live_capture {
            $( #[test] fn $name() { super::live_case(stringify!($name)); } )*
        }
        mod fixture {
            $( #[test] fn $name() { super::fixture_case(stringify!($name)); } )*
        }
    };
}

cases!(
    syn_lost,
    data_lost_rto,
    fast_retransmit,
    zero_window,
    keepalive,
    rst,
    refused,
    port_reuse,
);

#[test]
fn every_case_has_a_test() {
    let names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "syn_lost",
            "data_lost_rto",
            "fast_retransmit",
            "zero_window",
            "keepalive",
            "rst",
            "refused",
            "port_reuse"
        ]
    );
}

/// The checks can fail: a plain echo shows none of the faults.
#[test]
fn checks_reject_a_capture_without_the_behaviour() {
    let tsv = std::fs::read_to_string(fixtures().join("rst.tshark.tsv"))
        .unwrap_or_else(|e| panic!("rst.tshark.tsv: {e}"));
    let frames = tshark::parse(&tsv).unwrap_or_else(|e| panic!("{e}"));
    for c in CASES.iter().filter(|c| c.name != "rst") {
        assert!(
            (c.check)(&frames).is_err(),
            "{}'s check accepts the rst capture",
            c.name
        );
    }
}
