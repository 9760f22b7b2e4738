//! `--format pcap|pcapng`: a simulated transcript as a capture file that
//! opens in Wireshark. Every segment is written as the sender's side of the
//! link would see it (dropped ones too, once; duplicated ones once), as IPv4
//! on loopback between the client's and the server's ports.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use synack_capture::{FileFormat, LinkType, SegmentExporter};
use synack_sim::transcript::{ConnInfo, Event, EventKind, Sink};

/// A sink that writes segments to a pcap or pcapng stream.
pub struct PcapRenderer<W: Write> {
    state: Exporting<W>,
}

/// The file is started at the first `begin_conn`, which names the addresses.
enum Exporting<W: Write> {
    NotYet { out: W, format: FileFormat },
    Writing(SegmentExporter<W>),
    Done,
}

/// The address both hosts get when no connection names them.
const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

impl<W: Write> PcapRenderer<W> {
    /// A capture file in `format`, written once the connection is known.
    pub fn new(out: W, format: FileFormat) -> Self {
        PcapRenderer {
            state: Exporting::NotYet { out, format },
        }
    }

    /// Starts the file for a connection between `client` and `server`.
    fn start(&mut self, client: SocketAddr, server: SocketAddr) -> io::Result<()> {
        if let Exporting::NotYet { .. } = self.state {
            let Exporting::NotYet { out, format } =
                std::mem::replace(&mut self.state, Exporting::Done)
            else {
                return Ok(());
            };
            let exp = SegmentExporter::new(out, format, LinkType::RAW, client, server)
                .map_err(io::Error::other)?;
            self.state = Exporting::Writing(exp);
        }
        Ok(())
    }
}

impl<W: Write> Sink for PcapRenderer<W> {
    fn begin_conn(&mut self, info: &ConnInfo) -> io::Result<()> {
        self.start(info.client, info.server)
    }

    fn event(&mut self, ev: &Event<'_>) -> io::Result<()> {
        if let (EventKind::Segment(s), Exporting::Writing(exp)) = (&ev.kind, &mut self.state) {
            exp.write_segment(ev.t_us, s.dir, &s.hdr, s.payload)
                .map_err(io::Error::other)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let any = SocketAddr::new(LOOPBACK, 0);
        self.start(any, any)?;
        if let Exporting::Writing(exp) = std::mem::replace(&mut self.state, Exporting::Done) {
            let mut w = exp.finish().map_err(io::Error::other)?;
            w.flush()?;
        }
        Ok(())
    }
}
