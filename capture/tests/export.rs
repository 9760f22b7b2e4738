//! Writers: pcap/pcapng round trips through the reader, and simulated
//! segments exported as files tshark reads with the right flags and numbers.

mod common;
use common::*;
use std::net::SocketAddr;
use std::process::Command;
use synack_capture::{
    decode_record, CaptureReader, CaptureWriter, FileFormat, LinkType, SegmentExporter,
    TsResolution,
};
use synack_sim::{Dir, Flags, Segment, SeqNum, TcpHeader, TcpOptions};

#[test]
fn writer_round_trips_through_the_reader() {
    let syn = ethernet(&ipv4_syn());
    for format in [FileFormat::Pcap, FileFormat::Pcapng] {
        for res in [TsResolution::Micro, TsResolution::Nano] {
            let mut w =
                CaptureWriter::new(Vec::new(), format, LinkType::ETHERNET, 40, res).unwrap();
            w.write_packet(1_700_000_000_123_456_789, &syn, syn.len() as u32)
                .unwrap();
            w.write_packet(5, &syn[..10], 10).unwrap();
            assert_eq!(w.packets(), 2);
            let bytes = w.into_inner().unwrap();
            let mut r = CaptureReader::new(&bytes[..]).unwrap();
            assert_eq!(r.format(), format);
            let a = r.next_record().unwrap().unwrap();
            let want_ts = match res {
                TsResolution::Micro => 1_700_000_000_123_456_000,
                TsResolution::Nano => 1_700_000_000_123_456_789,
            };
            assert_eq!(
                (a.ts_ns, a.data, a.orig_len),
                (want_ts, &syn[..40], syn.len() as u32)
            );
            assert!(a.is_cut(), "snaplen 40 cut the packet");
            let b = r.next_record().unwrap().unwrap();
            assert_eq!((b.number, b.data, b.orig_len), (2, &syn[..10], 10));
            assert!(r.next_record().is_none());
        }
    }
}

fn conversation() -> Vec<(u64, Dir, Segment)> {
    let isn_c = SeqNum(4_294_967_290);
    let isn_s = SeqNum(1_000);
    let syn_opts = TcpOptions {
        mss: Some(1460),
        wscale: Some(7),
        sack_permitted: true,
        timestamps: Some((1, 0)),
        ..Default::default()
    };
    let h = |dir: Dir, seq: SeqNum, ack: SeqNum, flags: Flags| TcpHeader {
        src_port: if dir == Dir::ClientToServer {
            49152
        } else {
            9999
        },
        dst_port: if dir == Dir::ClientToServer {
            9999
        } else {
            49152
        },
        seq,
        ack,
        flags,
        window: 512,
        options: TcpOptions::default(),
        payload_len: 0,
    };
    let c = Dir::ClientToServer;
    let s = Dir::ServerToClient;
    vec![
        (
            0,
            c,
            Segment::new(
                TcpHeader {
                    options: syn_opts,
                    ..h(c, isn_c, SeqNum(0), Flags::SYN)
                },
                vec![],
            ),
        ),
        (
            10_000,
            s,
            Segment::new(
                TcpHeader {
                    options: syn_opts,
                    ..h(s, isn_s, isn_c + 1, Flags::SYN | Flags::ACK)
                },
                vec![],
            ),
        ),
        (
            20_000,
            c,
            Segment::new(h(c, isn_c + 1, isn_s + 1, Flags::ACK), vec![]),
        ),
        (
            20_500,
            c,
            Segment::new(
                h(c, isn_c + 1, isn_s + 1, Flags::PSH | Flags::ACK),
                b"Michael".to_vec(),
            ),
        ),
        (
            30_500,
            s,
            Segment::new(h(s, isn_s + 1, isn_c + 8, Flags::FIN | Flags::ACK), vec![]),
        ),
    ]
}

fn export(format: FileFormat, link: LinkType, client: SocketAddr, server: SocketAddr) -> Vec<u8> {
    let mut x = SegmentExporter::new(Vec::new(), format, link, client, server).unwrap();
    for (t, dir, seg) in conversation() {
        x.write_sim_segment(t, dir, &seg).unwrap();
    }
    x.finish().unwrap()
}

#[test]
fn exported_segments_decode_back_to_the_same_headers() {
    let client: SocketAddr = "10.0.0.1:49152".parse().unwrap();
    let server: SocketAddr = "10.0.0.2:9999".parse().unwrap();
    let client6: SocketAddr = "[fd00::1]:49152".parse().unwrap();
    let server6: SocketAddr = "[fd00::2]:9999".parse().unwrap();
    for (c, s) in [(client, server), (client6, server6)] {
        for link in [LinkType::RAW, LinkType::ETHERNET] {
            let bytes = export(FileFormat::Pcapng, link, c, s);
            let mut r = CaptureReader::new(&bytes[..]).unwrap();
            for (t, dir, seg) in conversation() {
                let rec = r.next_record().unwrap().unwrap();
                assert_eq!(rec.ts_ns, t * 1000);
                let p = decode_record(&rec).unwrap();
                assert_eq!(p.hdr, seg.hdr);
                assert_eq!(p.payload, &seg.payload.to_vec()[..]);
                let (src, dst) = if dir == Dir::ClientToServer {
                    (c, s)
                } else {
                    (s, c)
                };
                assert_eq!((p.src, p.dst), (src, dst));
            }
            assert!(r.next_record().is_none());
        }
    }
}

#[test]
fn export_pads_a_missing_payload_and_rejects_mixed_families() {
    let c: SocketAddr = "10.0.0.1:1".parse().unwrap();
    let s6: SocketAddr = "[::1]:2".parse().unwrap();
    assert!(SegmentExporter::new(Vec::new(), FileFormat::Pcap, LinkType::RAW, c, s6).is_err());
    assert!(SegmentExporter::new(Vec::new(), FileFormat::Pcap, LinkType::LINUX_SLL, c, c).is_err());
    let mut x = SegmentExporter::new(Vec::new(), FileFormat::Pcap, LinkType::RAW, c, c).unwrap();
    x.write_segment(1, Dir::ClientToServer, &data_hdr(5), b"ab")
        .unwrap();
    let bytes = x.finish().unwrap();
    let mut r = CaptureReader::new(&bytes[..]).unwrap();
    let rec = r.next_record().unwrap().unwrap();
    let p = decode_record(&rec).unwrap();
    assert_eq!(p.payload, b"ab\0\0\0");
}

fn require_live() -> bool {
    std::env::var("SYNACK_REQUIRE_LIVE").is_ok_and(|v| v == "1")
}

#[test]
fn tshark_reads_exported_files_with_the_right_flags_and_numbers() {
    if Command::new("tshark").arg("--version").output().is_err() {
        assert!(
            !require_live(),
            "SYNACK_REQUIRE_LIVE=1 but tshark is not installed"
        );
        println!("skipped: tshark is not installed");
        return;
    }
    let dir = std::env::temp_dir().join(format!("synack-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let client: SocketAddr = "10.0.0.1:49152".parse().unwrap();
    let server: SocketAddr = "10.0.0.2:9999".parse().unwrap();
    for (name, format, link) in [
        ("raw.pcap", FileFormat::Pcap, LinkType::RAW),
        ("eth.pcapng", FileFormat::Pcapng, LinkType::ETHERNET),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, export(format, link, client, server)).unwrap();
        let out = Command::new("tshark")
            .args(["-n", "-r"])
            .arg(&path)
            .args([
                "-o",
                "tcp.check_checksum:TRUE",
                "-o",
                "ip.check_checksum:TRUE",
                "-o",
                "tcp.relative_sequence_numbers:FALSE",
            ])
            .args(["-T", "fields", "-E", "separator=|"])
            .args([
                "-e",
                "tcp.flags.str",
                "-e",
                "tcp.seq",
                "-e",
                "tcp.ack",
                "-e",
                "tcp.len",
            ])
            .args([
                "-e",
                "tcp.checksum.status",
                "-e",
                "ip.checksum.status",
                "-e",
                "tcp.options.mss_val",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tshark failed on {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{name}: {text}");
        let fields = |i: usize| -> Vec<String> { lines[i].split('|').map(str::to_owned).collect() };
        // Flags as tshark spells them: 12 characters, one per bit, "·" when clear.
        let flags = |i: usize| fields(i)[0].replace('·', "");
        assert_eq!(flags(0), "S", "{name}");
        assert_eq!(flags(1), "AS", "{name}");
        assert_eq!(flags(3), "AP", "{name}");
        assert_eq!(flags(4), "AF", "{name}");
        assert_eq!(fields(0)[1], "4294967290");
        assert_eq!(fields(1)[2], "4294967291");
        assert_eq!(fields(3)[3], "7", "data length");
        assert_eq!(fields(4)[2], "2", "ack wraps past 2^32");
        assert_eq!(fields(0)[6], "1460", "MSS option");
        for i in 0..5 {
            // Wireshark checksum status: 0 bad, 1 good, 2 unverified.
            assert_eq!(fields(i)[4], "1", "{name} frame {}: TCP checksum", i + 1);
            assert_eq!(fields(i)[5], "1", "{name} frame {}: IP checksum", i + 1);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
