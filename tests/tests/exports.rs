//! Annotated exports (`--format pcap|pcapng`) of every built-in, read by
//! tshark: no malformed frame, every checksum good, Wireshark's
//! `tcp.analysis` equal to synack's frame by frame (dropped segments are in
//! the file: both analyses are the sender's view), and in pcapng each
//! packet's comment and the interface description.

use std::collections::BTreeSet;
use std::path::PathBuf;
use synack::cmd::sim::header;
use synack::render::PcapRenderer;
use synack_capture::FileFormat;
use synack_sim::scenario::builtin::builtins;
use synack_sim::transcript::{Fate, OwnedKind, Recorder, SegmentEvent, Sink};
use synack_sim::world::{run, RunOptions};
use synack_tests::netns::live;
use synack_tests::tshark;

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("exports");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir.join(name)
}

/// Runs built-in `name`: its segments, and its export in `format` written to a file.
fn export(name: &str, format: FileFormat) -> (Vec<SegmentEvent<'static>>, PathBuf, String) {
    let b = synack_sim::scenario::builtin::find(name).expect("listed built-in");
    let sc = b.scenario().expect("built-ins parse");
    let opts = RunOptions::default();
    let h = header(&sc, &opts.apply(&sc.settings));
    let mut rec = Recorder::default();
    run(&sc, &opts, &mut rec).expect("recording cannot fail");
    let mut out = Vec::new();
    {
        let mut r = PcapRenderer::new(&mut out, format, &h);
        run(&sc, &opts, &mut r).expect("exporting into memory");
        r.finish().expect("exporting into memory");
    }
    let ext = match format {
        FileFormat::Pcap => "pcap",
        FileFormat::Pcapng => "pcapng",
    };
    let path = scratch(&format!("{name}.{ext}"));
    std::fs::write(&path, out).expect("the export is written");
    let segs = rec
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            OwnedKind::Segment { seg, .. } => Some(*seg),
            _ => None,
        })
        .collect();
    let descr = format!(
        "synack simulation: scenario {name}, profile {}, seed {}",
        sc.settings.profile, sc.settings.seed
    );
    (segs, path, descr)
}

#[test]
fn tshark_agrees_with_every_export_frame_by_frame() {
    if !live::go_or_skip("exports", live::tshark()) {
        return;
    }
    let mut differences = Vec::new();
    for b in builtins() {
        for format in [FileFormat::Pcap, FileFormat::Pcapng] {
            let (segs, path, descr) = export(b.name, format);
            let shown = path.display();
            let bad = tshark::problems(&path).unwrap_or_else(|e| panic!("{shown}: {e}"));
            assert!(
                bad.is_empty(),
                "{shown}: tshark finds problems:\n{}",
                bad.join("\n")
            );
            let frames = tshark::frames(&path).unwrap_or_else(|e| panic!("{shown}: {e}"));
            if b.name == "udp-echo" {
                // Datagrams: one frame each, no TCP, nothing to analyse.
                assert_eq!(frames.len(), 5, "{shown}");
                assert!(frames
                    .values()
                    .all(|f| f.flags.is_none() && f.analysis.is_empty()));
                continue;
            }
            assert_eq!(frames.len(), segs.len(), "{shown}: one frame per segment");
            for (n, (f, s)) in frames.values().zip(&segs).enumerate() {
                let ours: BTreeSet<String> =
                    s.analysis.iter().map(|a| a.name().to_string()).collect();
                if f.analysis != ours {
                    differences.push(format!(
                        "{shown} frame {}: tshark {:?}, synack {:?}",
                        n + 1,
                        f.analysis,
                        ours
                    ));
                }
                assert_eq!(f.seq, Some(u64::from(s.rel_seq)), "{shown} frame {}", n + 1);
                assert_eq!(
                    f.len,
                    Some(u64::from(s.hdr.payload_len)),
                    "{shown} frame {}",
                    n + 1
                );
            }
            if format == FileFormat::Pcapng {
                let notes = tshark::comments(&path).unwrap_or_else(|e| panic!("{shown}: {e}"));
                for ((d, c), s) in notes.values().zip(&segs) {
                    assert!(
                        d.starts_with(&descr),
                        "{shown}: interface description {d:?}"
                    );
                    assert!(
                        c.starts_with(&format!("synack #{}: client ", s.id)),
                        "{shown}: {c}"
                    );
                    assert_eq!(
                        c.contains("; lost: "),
                        s.fate == Fate::Dropped,
                        "{shown}: {c}"
                    );
                    assert_eq!(
                        c.contains("; analysis: "),
                        !s.analysis.is_empty(),
                        "{shown}: {c}"
                    );
                }
            }
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[test]
fn a_lost_datagram_is_in_the_export_with_its_comment() {
    let (_, path, descr) = export("udp-echo", FileFormat::Pcapng);
    if !live::go_or_skip("exports", live::tshark()) {
        return;
    }
    let notes = tshark::comments(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(notes.len(), 5);
    let (d, c) = notes.get(&4).cloned().unwrap_or_default();
    assert!(d.starts_with(&descr), "{d}");
    assert_eq!(
        c,
        "synack #4: UDP datagram, 3 bytes; lost: the link dropped it, the server never received it, and nobody resends it"
    );
}

#[test]
fn a_comment_says_both_states_the_analysis_and_the_loss() {
    let (_, path, _) = export("lost-data", FileFormat::Pcapng);
    if !live::go_or_skip("exports", live::tshark()) {
        return;
    }
    let notes = tshark::comments(&path).unwrap_or_else(|e| panic!("{e}"));
    let c = |n: u64| notes.get(&n).map(|(_, c)| c.as_str()).unwrap_or("");
    assert_eq!(c(1), "synack #1: client SYN-SENT, server SYN-RECEIVED");
    assert_eq!(
        c(4),
        "synack #4: client ESTABLISHED, server ESTABLISHED; lost: the link dropped it, the server never received it"
    );
    assert_eq!(
        c(5),
        "synack #5: client ESTABLISHED, server ESTABLISHED; analysis: retransmission"
    );
    assert_eq!(c(7), "synack #7: client FIN-WAIT-1, server CLOSE-WAIT");
}
