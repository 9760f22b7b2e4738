//! Exporting simulated segments as a capture file Wireshark opens: each
//! segment becomes a real IPv4 or IPv6 + TCP packet with correct checksums and
//! its options, on link type RAW or ETHERNET.

use crate::file::FileFormat;
use crate::link::LinkType;
use crate::write::{CaptureWriter, TsResolution};
use etherparse::{IpHeaders, Ipv4Header, Ipv6Header, PacketBuilder, TcpOptionElement};
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};
use synack_sim::{Dir, Segment, TcpHeader};

/// Why a segment could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("The client {client} and the server {server} are not of the same IP version, so no packet can carry both.")]
    MixedFamilies {
        client: SocketAddr,
        server: SocketAddr,
    },
    #[error("Link type {0} cannot be exported; use RAW (101) or ETHERNET (1).")]
    UnsupportedLink(LinkType),
    #[error("The TCP options of the segment do not fit in 40 bytes: {0}.")]
    Options(String),
    #[error("Building the packet failed: {0}.")]
    Build(String),
    #[error("Writing the capture failed: {0}.")]
    Io(#[from] io::Error),
}

/// Writes simulated segments of one connection to a pcap or pcapng stream.
#[derive(Debug)]
pub struct SegmentExporter<W: Write> {
    writer: CaptureWriter<W>,
    link: LinkType,
    client: SocketAddr,
    server: SocketAddr,
    packet: Vec<u8>,
    zeros: Vec<u8>,
}

impl<W: Write> SegmentExporter<W> {
    /// Starts a file of `format` on `link` (RAW or ETHERNET) for the connection
    /// between `client` and `server`, with microsecond timestamps.
    pub fn new(
        out: W,
        format: FileFormat,
        link: LinkType,
        client: SocketAddr,
        server: SocketAddr,
    ) -> Result<SegmentExporter<W>, ExportError> {
        Self::with_description(out, format, link, client, server, None)
    }

    /// [`SegmentExporter::new`], with a pcapng interface description
    /// (`if_description`) saying what the packets are.
    pub fn with_description(
        out: W,
        format: FileFormat,
        link: LinkType,
        client: SocketAddr,
        server: SocketAddr,
        description: Option<&str>,
    ) -> Result<SegmentExporter<W>, ExportError> {
        if client.is_ipv4() != server.is_ipv4() {
            return Err(ExportError::MixedFamilies { client, server });
        }
        if link != LinkType::RAW && link != LinkType::ETHERNET {
            return Err(ExportError::UnsupportedLink(link));
        }
        let writer = CaptureWriter::with_description(
            out,
            format,
            link,
            262_144,
            TsResolution::Micro,
            description,
        )?;
        Ok(SegmentExporter {
            writer,
            link,
            client,
            server,
            packet: Vec::new(),
            zeros: Vec::new(),
        })
    }

    /// Writes one segment sent at `t_us` in direction `dir`. The IP addresses
    /// come from the client and server addresses, the ports from `hdr`.
    /// `hdr.payload_len` is authoritative: `payload` is cut to it, or padded
    /// with zero bytes when the producer has fewer bytes than that.
    pub fn write_segment(
        &mut self,
        t_us: u64,
        dir: Dir,
        hdr: &TcpHeader,
        payload: &[u8],
    ) -> Result<(), ExportError> {
        self.write_segment_commented(t_us, dir, hdr, payload, None)
    }

    /// [`SegmentExporter::write_segment`] with a packet comment (pcapng only).
    pub fn write_segment_commented(
        &mut self,
        t_us: u64,
        dir: Dir,
        hdr: &TcpHeader,
        payload: &[u8],
        comment: Option<&str>,
    ) -> Result<(), ExportError> {
        let (src, dst) = match dir {
            Dir::ClientToServer => (self.client.ip(), self.server.ip()),
            Dir::ServerToClient => (self.server.ip(), self.client.ip()),
        };
        let want = hdr.payload_len as usize;
        let payload = if payload.len() >= want {
            payload.get(..want).unwrap_or(payload)
        } else {
            self.zeros.clear();
            self.zeros.extend_from_slice(payload);
            self.zeros.resize(want, 0);
            &self.zeros
        };
        self.packet.clear();
        build_packet(&mut self.packet, self.link, src, dst, hdr, payload)?;
        let len = u32::try_from(self.packet.len()).unwrap_or(u32::MAX);
        self.writer.write_packet_commented(
            t_us.saturating_mul(1_000),
            &self.packet,
            len,
            comment,
        )?;
        Ok(())
    }

    /// Writes one UDP datagram from `src_port` to `dst_port` sent at `t_us`
    /// in direction `dir`, with a packet comment (pcapng only).
    pub fn write_datagram_commented(
        &mut self,
        t_us: u64,
        dir: Dir,
        ports: (u16, u16),
        payload: &[u8],
        comment: Option<&str>,
    ) -> Result<(), ExportError> {
        let (src, dst) = match dir {
            Dir::ClientToServer => (self.client.ip(), self.server.ip()),
            Dir::ServerToClient => (self.server.ip(), self.client.ip()),
        };
        self.packet.clear();
        let builder = match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => PacketBuilder::ipv4(s.octets(), d.octets(), 64),
            (IpAddr::V6(s), IpAddr::V6(d)) => PacketBuilder::ipv6(s.octets(), d.octets(), 64),
            _ => {
                return Err(ExportError::MixedFamilies {
                    client: self.client,
                    server: self.server,
                })
            }
        };
        // Datagrams are exported on RAW links only (what `--format pcap` writes).
        if self.link != LinkType::RAW {
            return Err(ExportError::UnsupportedLink(self.link));
        }
        builder
            .udp(ports.0, ports.1)
            .write(&mut self.packet, payload)
            .map_err(|e| ExportError::Build(e.to_string()))?;
        let len = u32::try_from(self.packet.len()).unwrap_or(u32::MAX);
        self.writer.write_packet_commented(
            t_us.saturating_mul(1_000),
            &self.packet,
            len,
            comment,
        )?;
        Ok(())
    }

    /// Writes a simulator [`Segment`] (header and payload).
    pub fn write_sim_segment(
        &mut self,
        t_us: u64,
        dir: Dir,
        seg: &Segment,
    ) -> Result<(), ExportError> {
        self.write_segment(t_us, dir, &seg.hdr, &seg.payload.bytes())
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> Result<W, ExportError> {
        Ok(self.writer.into_inner()?)
    }
}

/// Appends to `out` one packet on `link` (RAW or ETHERNET) from `src` to `dst`
/// carrying `hdr` and `payload`, with IP and TCP checksums computed. Options
/// are written in Linux's order: MSS, SACK-permitted, timestamps, window scale,
/// SACK blocks.
pub fn build_packet(
    out: &mut Vec<u8>,
    link: LinkType,
    src: IpAddr,
    dst: IpAddr,
    hdr: &TcpHeader,
    payload: &[u8],
) -> Result<(), ExportError> {
    let ip = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let mut h = Ipv4Header::new(0, 64, etherparse::IpNumber::TCP, s.octets(), d.octets())
                .map_err(|e| ExportError::Build(e.to_string()))?;
            h.dont_fragment = true;
            IpHeaders::Ipv4(h, Default::default())
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => IpHeaders::Ipv6(
            Ipv6Header {
                traffic_class: 0,
                flow_label: Default::default(),
                payload_length: 0,
                next_header: etherparse::IpNumber::TCP,
                hop_limit: 64,
                source: s.octets(),
                destination: d.octets(),
            },
            Default::default(),
        ),
        _ => {
            return Err(ExportError::MixedFamilies {
                client: SocketAddr::new(src, hdr.src_port),
                server: SocketAddr::new(dst, hdr.dst_port),
            })
        }
    };
    let mut tcp = etherparse::TcpHeader::new(hdr.src_port, hdr.dst_port, hdr.seq.raw(), hdr.window);
    let f = hdr.flags;
    tcp.fin = f.fin();
    tcp.syn = f.syn();
    tcp.rst = f.rst();
    tcp.psh = f.psh();
    tcp.ack = f.ack();
    tcp.urg = f.urg();
    tcp.ece = f.contains(synack_sim::Flags::ECE);
    tcp.cwr = f.contains(synack_sim::Flags::CWR);
    if f.ack() {
        tcp.acknowledgment_number = hdr.ack.raw();
    }
    let (opts, n) = options(hdr);
    tcp.set_options(opts.get(..n).unwrap_or(&[]))
        .map_err(|e| ExportError::Options(e.to_string()))?;
    let builder = match link {
        LinkType::RAW => PacketBuilder::ip(ip).tcp_header(tcp),
        LinkType::ETHERNET => {
            // Locally administered MACs, one per side, derived from the port.
            let mac = |port: u16| [0x02, 0, 0, 0, (port >> 8) as u8, port as u8];
            PacketBuilder::ethernet2(mac(hdr.src_port), mac(hdr.dst_port))
                .ip(ip)
                .tcp_header(tcp)
        }
        other => return Err(ExportError::UnsupportedLink(other)),
    };
    builder
        .write(out, payload)
        .map_err(|e| ExportError::Build(e.to_string()))
}

/// The option elements for `hdr` in a fixed array (no allocation) and how many are used.
fn options(hdr: &TcpHeader) -> ([TcpOptionElement; 8], usize) {
    use TcpOptionElement::*;
    let o = &hdr.options;
    let mut out = [Noop, Noop, Noop, Noop, Noop, Noop, Noop, Noop];
    let mut n = 0;
    let mut push = |e: TcpOptionElement| {
        if let Some(slot) = out.get_mut(n) {
            *slot = e;
            n += 1;
        }
    };
    if let Some(mss) = o.mss {
        push(MaximumSegmentSize(mss));
    }
    if o.sack_permitted {
        push(SelectiveAcknowledgementPermitted);
    }
    if let Some((val, ecr)) = o.timestamps {
        // Linux's layout (tcp_options_write()): in a SYN the timestamps
        // follow SACK-permitted, which fills their alignment; elsewhere two
        // NOPs go first, so the option sits on a 4-byte boundary.
        if !o.sack_permitted {
            push(Noop);
            push(Noop);
        }
        push(Timestamp(val, ecr));
    }
    if let Some(ws) = o.wscale {
        push(Noop);
        push(WindowScale(ws));
    }
    let blocks = o.sack.get(..usize::from(o.sack_len).min(4)).unwrap_or(&[]);
    if let Some((&first, rest)) = blocks.split_first() {
        push(Noop);
        push(Noop);
        let mut more = [None; 3];
        for (slot, b) in more.iter_mut().zip(rest) {
            *slot = Some(*b);
        }
        push(SelectiveAcknowledgement(first, more));
    }
    (out, n)
}
