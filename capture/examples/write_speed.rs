//! How fast the capture writer is: `cargo run --release -p synack-capture
//! --example write_speed` writes 2 million 100-byte packets into memory as
//! pcap and as pcapng (with and without a comment per packet) and prints
//! packets per second. docs/diagrams.md quotes the numbers that chose the
//! `pcap-file` crate.

use std::time::Instant;
use synack_capture::{CaptureWriter, FileFormat, LinkType, TsResolution};

fn main() {
    let n: u64 = 2_000_000;
    let data = [0x45u8; 100];
    for (name, format, comment) in [
        ("pcap", FileFormat::Pcap, None),
        ("pcapng", FileFormat::Pcapng, None),
        (
            "pcapng + comment",
            FileFormat::Pcapng,
            Some("client ESTABLISHED, server ESTABLISHED; synack: retransmission"),
        ),
    ] {
        let mut w = CaptureWriter::new(
            Vec::with_capacity(400 << 20),
            format,
            LinkType::RAW,
            262_144,
            TsResolution::Micro,
        )
        .expect("writing into memory");
        let start = Instant::now();
        for i in 0..n {
            w.write_packet_commented(i * 1_000, &data, 100, comment)
                .expect("writing into memory");
        }
        let secs = start.elapsed().as_secs_f64();
        let bytes = w.into_inner().expect("writing into memory").len();
        println!(
            "{name:18} {:>6.2} M packets/s  {:>5.0} MB/s",
            n as f64 / secs / 1e6,
            bytes as f64 / secs / 1e6
        );
    }
}
