//! Issue 12's goal: on any capture tshark reads, synack annotates every TCP
//! frame that tshark decodes as TCP (IP fragments apart), and flags,
//! relative seq/ack, length and window agree. Proved on the corpus of
//! `tests/fixtures/wild/` (real captures from network namespaces, the same
//! traffic rewritten into tunnels and link types, crafted cases, editcap
//! rewrites; `make.sh` remakes it, its README lists it) and the captures of
//! `tests/fixtures/captures/`: frame by frame, and the analysis flags too.
//!
//! The comparison needs tshark: without it the test skips with the reason,
//! unless `SYNACK_REQUIRE_LIVE=1`, when it fails. The other tests here need
//! nothing but the files.
//!
//! Where synack deliberately differs from tshark, the fixture is named in
//! [`KNOWN`] with the fields that differ and why; the test checks that they
//! still differ, so a stale entry is noticed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use synack_capture::{CaptureReader, LinkType};
use synack_tests::corpus::{compare, synack_segments, tshark_segments, Field};
use synack_tests::netns::live;

const WILD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/wild");
const CAPTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/captures");

/// Fixtures where synack deliberately differs from tshark 4.0: the fields
/// not compared, and why.
const KNOWN: [(&str, &[Field], &str); 6] = [
    (
        "frelay_rfc2427.pcap",
        &[Field::Win],
        "tshark does not scale windows of TCP over Frame Relay (its window \
         scale factor stays -2, 'no window scaling used', though both SYNs \
         carry the option); synack scales them as on any other link",
    ),
    (
        "frelay_cisco_v6.pcap",
        &[Field::Win],
        "the same Frame Relay window scaling, with Cisco encapsulation",
    ),
    (
        "vxlan_same_tuple_two_vnis.pcap",
        &[Field::Seq, Field::Ack, Field::Analysis],
        "the same inner 4-tuple in VXLAN networks 1 and 2: tshark merges them \
         into one stream (relative numbers against the wrong ISN, retransmissions); \
         synack keys connections by tunnel too and shows two clean ones",
    ),
    (
        "gre_and_plain_copies.pcap",
        &[Field::Analysis],
        "one flow captured inside GRE and plain: tshark merges the copies \
         into one stream and flags every second one; synack shows two connections",
    ),
    (
        "icmp_quote_and_fragments.pcap",
        &[Field::Analysis],
        "synack does not reassemble IP fragments: the 400 bytes that came in \
         two fragments are unseen, so it flags the segments after them (lost \
         segment, ACKed unseen segment), where tshark reassembled them",
    ),
    (
        "snaplen_64_loss.pcapng",
        &[Field::Analysis],
        "the snaplen cut every TCP header inside its options: tshark stops \
         dissecting at the cut, before it adds the analysis flags (it still \
         analyses the segment); synack shows the duplicate ACKs and the fast \
         retransmission",
    ),
];

/// Every capture of the corpus, sorted.
fn corpus() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [WILD, CAPTURES] {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir}: {e}"));
        for entry in entries {
            let path = entry.unwrap_or_else(|e| panic!("{dir}: {e}")).path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if matches!(ext, "pcap" | "pcapng") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("?")
}

fn known(path: &Path) -> Option<&'static (&'static str, &'static [Field], &'static str)> {
    KNOWN.iter().find(|(n, _, _)| *n == name(path))
}

#[test]
fn the_corpus_holds_at_least_50_small_captures() {
    let files = corpus();
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    eprintln!("wild corpus: {} captures, {bytes} bytes", files.len());
    assert!(files.len() >= 50, "{} captures", files.len());
    assert!(bytes < 1_000_000, "{bytes} bytes: keep the fixtures small");
    for (n, _, _) in KNOWN {
        assert!(
            Path::new(WILD).join(n).exists(),
            "KNOWN names {n}, which is not there"
        );
    }
}

/// Every link type synack decodes is in the corpus (raw IP's other
/// numbers, 12 and 14, are the same decoder as 101).
#[test]
fn every_supported_link_type_is_in_the_corpus() {
    let mut seen = BTreeSet::new();
    for f in corpus() {
        let file = std::fs::File::open(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let mut r =
            CaptureReader::from_file(file).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        while let Some(Ok(rec)) = r.next_record() {
            seen.insert(rec.link);
        }
    }
    let missing: Vec<String> = LinkType::SUPPORTED
        .iter()
        .filter(|l| !seen.contains(l) && ![LinkType::RAW_12, LinkType::RAW_14].contains(l))
        .map(|l| l.to_string())
        .collect();
    assert!(missing.is_empty(), "no capture of {missing:?}");
}

#[test]
fn synack_agrees_with_tshark_on_every_tcp_frame_of_the_corpus() {
    if !live::go_or_skip("wild corpus", live::tshark()) {
        return;
    }
    let files = corpus();
    // tshark takes about a second a file: run a few at once.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(f) = files.get(i) else { break };
                let outcome = check(f);
                results
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((i, outcome));
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    let (mut frames, mut left_out, mut failures) = (0usize, 0usize, Vec::new());
    for (_, c) in results {
        eprintln!("{}", c.line);
        frames += c.frames;
        left_out += c.left_out;
        failures.extend(c.failures);
    }
    eprintln!(
        "wild corpus: {} captures, {frames} frames tshark decodes as TCP and synack annotates alike, {left_out} left out (ICMP quotes, IP fragments)",
        files.len()
    );
    assert!(frames > 1000, "only {frames} TCP frames in the corpus");
    assert!(
        failures.is_empty(),
        "synack and tshark differ:\n{}",
        failures.join("\n")
    );
}

/// What [`check`] found in one file.
struct Checked {
    line: String,
    frames: usize,
    left_out: usize,
    failures: Vec<String>,
}

/// Compares synack with tshark on one file.
fn check(f: &Path) -> Checked {
    let t = tshark_segments(f).unwrap_or_else(|e| panic!("{}: {e}", name(f)));
    let s = synack_segments(f).unwrap_or_else(|e| panic!("{}: {e}", name(f)));
    let ignore = known(f).map_or(&[][..], |(_, fields, _)| fields);
    let (diffs, ignored) = compare(&s.segments, &t.segments, ignore);
    let mut failures = Vec::new();
    for (l, why) in &t.left_out {
        if s.segments.contains_key(l) {
            failures.push(format!("{}: frame {l} annotated, but it is {why}", name(f)));
        }
    }
    if let Some((_, fields, _)) = known(f) {
        let stale: Vec<&Field> = fields.iter().filter(|x| !ignored.contains(x)).collect();
        if !stale.is_empty() {
            failures.push(format!(
                "{}: KNOWN says {stale:?} differ, but they agree now",
                name(f)
            ));
        }
    }
    let line = format!(
        "{:<36} {:>4} TCP frames, {} differ{}",
        name(f),
        t.segments.len(),
        diffs.len(),
        if ignored.is_empty() {
            String::new()
        } else {
            format!(" (known: {ignored:?})")
        }
    );
    failures.extend(
        diffs
            .into_iter()
            .take(10)
            .map(|d| format!("{}: {d}", name(f))),
    );
    Checked {
        line,
        frames: t.segments.len(),
        left_out: t.left_out.len(),
        failures,
    }
}

/// Without tshark: each tunnel of the corpus is named at its connection's
/// start, and flows in different tunnels are not merged.
#[test]
fn tunnels_are_named_and_kept_apart() {
    let cases: [(&str, &str); 16] = [
        ("vxlan_v4.pcap", "inside VXLAN 10.9.0.1 → 10.9.0.2 vni 42"),
        (
            "vxlan_v6_in_v6.pcap",
            "inside VXLAN fd09::1 → fd09::2 vni 4242",
        ),
        (
            "vxlan_gpe.pcap",
            "inside VXLAN-GPE 10.200.0.1 → 10.200.0.2 vni 9",
        ),
        (
            "geneve_eth.pcap",
            "inside Geneve 10.200.0.1 → 10.200.0.2 vni 5",
        ),
        (
            "geneve_ip_over_v6.pcap",
            "inside Geneve fd20::1 → fd20::2 vni 77",
        ),
        ("gre_v4.pcap", "inside GRE 10.200.0.1 → 10.200.0.2"),
        (
            "gre_csum_key_seq_v6.pcap",
            "inside GRE 10.200.0.1 → 10.200.0.2 key 7",
        ),
        (
            "gretap_vlan.pcap",
            "inside GRE 10.200.0.1 → 10.200.0.2 key 99",
        ),
        (
            "erspan1.pcap",
            "inside ERSPAN type I 10.200.0.9 → 10.200.0.10",
        ),
        (
            "erspan2.pcap",
            "inside ERSPAN type II 10.200.0.9 → 10.200.0.10 session 12",
        ),
        (
            "erspan3_over_v6.pcap",
            "inside ERSPAN type III fd20::9 → fd20::10 session 77",
        ),
        (
            "pptp_ppp.pcap",
            "inside PPTP GRE 10.200.0.1 → 10.200.0.2 call 4369",
        ),
        ("ipip.pcap", "inside IPIP 10.200.0.1 → 10.200.0.2"),
        ("sit_6in4.pcap", "inside 6in4 10.200.0.1 → 10.200.0.2"),
        ("ip4ip6_4in6.pcap", "inside 4in6 fd20::1 → fd20::2"),
        (
            "vxlan_in_gre.pcap",
            "inside VXLAN 172.16.0.1 → 172.16.0.2 vni 300 (the innermost of 2 tunnels)",
        ),
    ];
    for (file, want) in cases {
        let v =
            synack_segments(&Path::new(WILD).join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(
            v.notes.iter().any(|n| n == want),
            "{file}: no note {want:?} in {:?}",
            v.notes
        );
        assert!(v.stats.contains("in tunnels"), "{file}: {}", v.stats);
    }
    // Two VNIs, one inner 4-tuple: two connections, each numbered from 0
    // and without a single retransmission.
    let v =
        synack_segments(&Path::new(WILD).join("vxlan_same_tuple_two_vnis.pcap")).expect("reads");
    let tunnels: Vec<&String> = v
        .notes
        .iter()
        .filter(|n| n.starts_with("inside VXLAN"))
        .collect();
    assert_eq!(tunnels.len(), 2, "{:?}", v.notes);
    let syns: Vec<u64> = v
        .segments
        .values()
        .filter(|s| s.flags == 0x02)
        .map(|s| s.seq)
        .collect();
    assert_eq!(syns, [0, 0]);
    assert!(
        v.segments.values().all(|s| s.analysis.is_empty()),
        "{:?}",
        v.segments
    );
}
