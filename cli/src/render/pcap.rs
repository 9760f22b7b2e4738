//! `--format pcap|pcapng`: a simulated transcript as a capture file that
//! opens in Wireshark. Every segment is written as the sender's side of the
//! link would see it (dropped ones too, once; duplicated ones once), as IPv4
//! on loopback between the client's and the server's ports.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use synack_capture::{FileFormat, LinkType, SegmentExporter};
use synack_sim::transcript::{Event, EventKind, Sink};

/// A sink that writes segments to a pcap or pcapng stream.
pub struct PcapRenderer<W: Write> {
    exporter: Option<SegmentExporter<W>>,
}

/// The address both simulated hosts get in an exported file.
const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

impl<W: Write> PcapRenderer<W> {
    /// Starts a capture file in `format` for a connection between the two ports.
    pub fn new(out: W, format: FileFormat, client_port: u16, server_port: u16) -> io::Result<Self> {
        let exporter = SegmentExporter::new(
            out,
            format,
            LinkType::RAW,
            SocketAddr::new(LOOPBACK, client_port),
            SocketAddr::new(LOOPBACK, server_port),
        )
        .map_err(io::Error::other)?;
        Ok(PcapRenderer {
            exporter: Some(exporter),
        })
    }
}

impl<W: Write> Sink for PcapRenderer<W> {
    fn event(&mut self, ev: &Event<'_>) -> io::Result<()> {
        if let (EventKind::Segment(s), Some(exp)) = (&ev.kind, self.exporter.as_mut()) {
            exp.write_segment(ev.t_us, s.dir, &s.hdr, s.payload)
                .map_err(io::Error::other)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if let Some(exp) = self.exporter.take() {
            let mut w = exp.finish().map_err(io::Error::other)?;
            w.flush()?;
        }
        Ok(())
    }
}
