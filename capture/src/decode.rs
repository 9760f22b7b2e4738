//! From captured bytes to a TCP segment: link layer (Ethernet with 802.1Q/QinQ
//! tags, BSD NULL/LOOP, raw IP, Linux SLL and SLL2), IP (v4 and v6 with
//! extension headers, through etherparse's zero-copy lax slices), then the TCP
//! header and its options. No allocation.
//!
//! A packet that is not a complete-enough TCP segment is classified by
//! [`NotTcp`]: a packet cut by the snaplen (the record's `orig_len` is larger
//! than what was captured) inside its headers is [`NotTcp::Truncated`]; the same
//! shortfall in a packet that was captured whole is [`NotTcp::Malformed`].

use crate::file::{array, Record};
use crate::link::LinkType;
use etherparse::LaxIpSlice;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use synack_sim::observer::TcpPacket;
use synack_sim::{Flags, SeqNum, TcpHeader, TcpOptions};

/// The protocol a non-IP frame carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NetProto {
    /// An Ethernet type (or the protocol field of Linux SLL/SLL2).
    EtherType(u16),
    /// An IEEE 802.3 frame with a length instead of a type (LLC).
    Llc,
    /// A BSD loopback address family synack does not know.
    AddressFamily(u32),
}

impl fmt::Display for NetProto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            NetProto::EtherType(0x0806) => f.write_str("ARP"),
            NetProto::EtherType(0x8035) => f.write_str("RARP"),
            NetProto::EtherType(0x88cc) => f.write_str("LLDP"),
            NetProto::EtherType(0x888e) => f.write_str("EAPOL"),
            NetProto::EtherType(0x8847) => f.write_str("MPLS"),
            NetProto::EtherType(t) => write!(f, "ethertype {t:#06x}"),
            NetProto::Llc => f.write_str("802.3 LLC"),
            NetProto::AddressFamily(af) => write!(f, "address family {af}"),
        }
    }
}

/// The name of an IP protocol number, as the summary shows it.
pub fn ip_proto_name(proto: u8) -> Option<&'static str> {
    Some(match proto {
        1 => "ICMP",
        2 => "IGMP",
        4 => "IPIP",
        6 => "TCP",
        17 => "UDP",
        41 => "IPv6-in-IP",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        58 => "ICMPv6",
        59 => "IPv6-NoNxt",
        89 => "OSPF",
        103 => "PIM",
        112 => "VRRP",
        132 => "SCTP",
        136 => "UDP-Lite",
        _ => return None,
    })
}

/// The layer at which decoding stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    Link,
    Ip,
    Tcp,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layer::Link => "link-layer",
            Layer::Ip => "IP",
            Layer::Tcp => "TCP",
        })
    }
}

/// Why a packet that was captured whole cannot be read as TCP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Malformed {
    /// The frame is shorter than its link-layer header.
    LinkHeaderShort { need: usize, len: usize },
    /// The IP header is shorter than its minimum or its IHL, or not IP at all.
    IpHeader { layer: Layer },
    /// The IP header has a version other than 4 or 6.
    IpVersion { version: u8 },
    /// The IP header's IHL is below 5.
    Ipv4HeaderLength { ihl: u8 },
    /// An IPv6 extension header (or IPv4 authentication header) is damaged.
    IpExtension,
    /// The IP length field claims more bytes than the frame holds.
    IpLengthBeyondFrame { claimed: usize, available: usize },
    /// The IP payload is shorter than a TCP header (20 bytes).
    TcpHeaderShort { len: usize },
    /// The TCP data offset is below 5 words.
    TcpDataOffsetTooSmall { data_offset: u8 },
    /// The TCP data offset points beyond the end of the segment.
    TcpDataOffsetBeyondSegment {
        header_len: usize,
        segment_len: usize,
    },
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Malformed::LinkHeaderShort { need, len } => write!(
                f,
                "the frame is {len} bytes, shorter than its {need}-byte link-layer header"
            ),
            Malformed::IpHeader { layer } => write!(f, "the {layer} header is cut short"),
            Malformed::IpVersion { version } => write!(f, "the IP version is {version}"),
            Malformed::Ipv4HeaderLength { ihl } => {
                write!(f, "the IPv4 header length {ihl} is below the minimum of 5")
            }
            Malformed::IpExtension => f.write_str("an IP extension header is damaged"),
            Malformed::IpLengthBeyondFrame { claimed, available } => write!(
                f,
                "the IP length field claims {claimed} bytes but the frame holds {available}"
            ),
            Malformed::TcpHeaderShort { len } => write!(
                f,
                "the TCP segment is {len} bytes, shorter than the 20-byte minimum header"
            ),
            Malformed::TcpDataOffsetTooSmall { data_offset } => write!(
                f,
                "the TCP data offset {data_offset} is below the minimum of 5"
            ),
            Malformed::TcpDataOffsetBeyondSegment {
                header_len,
                segment_len,
            } => write!(
                f,
                "the TCP header length {header_len} exceeds the {segment_len}-byte segment"
            ),
        }
    }
}

/// Why a record yields no TCP segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NotTcp {
    /// The record's link type is not one synack decodes.
    UnknownLink(LinkType),
    /// Not IP (ARP, LLDP, …).
    NonIp(NetProto),
    /// IP, but another protocol (the IP protocol number).
    OtherIp(u8),
    /// An IP fragment; synack does not reassemble.
    Fragment,
    /// The snaplen cut the packet inside this layer's header.
    Truncated(Layer),
    /// The packet was captured whole but its headers are inconsistent.
    Malformed(Malformed),
}

impl fmt::Display for NotTcp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotTcp::UnknownLink(l) => write!(f, "unsupported {l}"),
            NotTcp::NonIp(p) => write!(f, "not IP ({p})"),
            NotTcp::OtherIp(p) => match ip_proto_name(*p) {
                Some(name) => write!(f, "IP but not TCP ({name})"),
                None => write!(f, "IP but not TCP (protocol {p})"),
            },
            NotTcp::Fragment => f.write_str("IP fragment (not reassembled)"),
            NotTcp::Truncated(layer) => write!(f, "cut by the snaplen inside the {layer} header"),
            NotTcp::Malformed(m) => write!(f, "malformed: {m}"),
        }
    }
}

/// Decodes a record (see [`decode`]).
#[inline]
pub fn decode_record<'a>(rec: &Record<'a>) -> Result<TcpPacket<'a>, NotTcp> {
    decode(rec.link, rec.data, rec.orig_len)
}

/// Decodes one captured frame of the given link type down to TCP.
/// `orig_len` is the length on the wire; when it exceeds `data.len()` the
/// snaplen cut the frame, which tells truncated from malformed.
#[inline]
pub fn decode(link: LinkType, data: &[u8], orig_len: u32) -> Result<TcpPacket<'_>, NotTcp> {
    let cut = orig_len as usize > data.len();
    let short = |need: usize| {
        if cut {
            NotTcp::Truncated(Layer::Link)
        } else {
            NotTcp::Malformed(Malformed::LinkHeaderShort {
                need,
                len: data.len(),
            })
        }
    };
    let (ether_type, net) = match link {
        LinkType::ETHERNET => {
            let t = u16::from_be_bytes(array(data, 12).ok_or_else(|| short(14))?);
            (t, data.get(14..).unwrap_or(&[]))
        }
        LinkType::NULL | LinkType::LOOP => {
            let b: [u8; 4] = array(data, 0).ok_or_else(|| short(4))?;
            let net = data.get(4..).unwrap_or(&[]);
            // NULL is in the writer's byte order, LOOP in network order; both are
            // accepted in either order, as the values cannot be confused.
            let t = match (
                address_family(u32::from_be_bytes(b)),
                address_family(u32::from_le_bytes(b)),
            ) {
                (Some(t), _) | (None, Some(t)) => t,
                (None, None) => {
                    return Err(NotTcp::NonIp(NetProto::AddressFamily(
                        u32::from_be_bytes(b).min(u32::from_le_bytes(b)),
                    )))
                }
            };
            (t, net)
        }
        LinkType::RAW | LinkType::RAW_12 | LinkType::RAW_14 | LinkType::IPV4 | LinkType::IPV6 => {
            let Some(first) = data.first() else {
                return Err(short(1));
            };
            match first >> 4 {
                4 => (ETH_IPV4, data),
                6 => (ETH_IPV6, data),
                version => return Err(NotTcp::Malformed(Malformed::IpVersion { version })),
            }
        }
        LinkType::LINUX_SLL => {
            let t = u16::from_be_bytes(array(data, 14).ok_or_else(|| short(16))?);
            (t, data.get(16..).unwrap_or(&[]))
        }
        LinkType::LINUX_SLL2 => {
            let t = u16::from_be_bytes(array(data, 0).ok_or_else(|| short(20))?);
            let net = data.get(20..).ok_or_else(|| short(20))?;
            (t, net)
        }
        other => return Err(NotTcp::UnknownLink(other)),
    };
    let net = strip_vlans(ether_type, net, cut)?;
    decode_ip(net, cut)
}

const ETH_IPV4: u16 = 0x0800;
const ETH_IPV6: u16 = 0x86dd;

/// The ethertype a BSD loopback address family stands for.
fn address_family(af: u32) -> Option<u16> {
    match af {
        2 => Some(ETH_IPV4),
        // Linux, NetBSD/OpenBSD, FreeBSD, macOS.
        10 | 24 | 28 | 30 => Some(ETH_IPV6),
        _ => None,
    }
}

/// Follows 802.1Q / 802.1ad / QinQ tags to the IP header; returns the IP bytes.
fn strip_vlans(mut ether_type: u16, mut net: &[u8], cut: bool) -> Result<&[u8], NotTcp> {
    loop {
        match ether_type {
            ETH_IPV4 | ETH_IPV6 => return Ok(net),
            0x8100 | 0x88a8 | 0x9100 => {
                let Some(t) = array::<2>(net, 2) else {
                    return Err(if cut {
                        NotTcp::Truncated(Layer::Link)
                    } else {
                        NotTcp::Malformed(Malformed::LinkHeaderShort {
                            need: 4,
                            len: net.len(),
                        })
                    });
                };
                ether_type = u16::from_be_bytes(t);
                net = net.get(4..).unwrap_or(&[]);
            }
            t if t < 0x0600 => return Err(NotTcp::NonIp(NetProto::Llc)),
            t => return Err(NotTcp::NonIp(NetProto::EtherType(t))),
        }
    }
}

#[inline]
fn decode_ip(net: &[u8], cut: bool) -> Result<TcpPacket<'_>, NotTcp> {
    let ip = match ipv4_fast(net, cut) {
        Some(result) => result?,
        None => ip_lax(net, cut)?,
    };
    decode_tcp(ip.src, ip.dst, ip.segment, ip.missing)
}

/// What the IP layer yields: the TCP segment's addresses and bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct IpPart<'a> {
    src: IpAddr,
    dst: IpAddr,
    /// The captured part of the TCP segment.
    segment: &'a [u8],
    /// Bytes of the segment the snaplen cut off.
    missing: usize,
}

/// The IPv4 path of [`ip_lax`] without etherparse, for every IPv4
/// header that carries no authentication header (which is left to
/// etherparse): the same results, bit for bit (a property test compares
/// them). `None` when the packet is not such an IPv4 packet.
#[inline]
fn ipv4_fast(net: &[u8], cut: bool) -> Option<Result<IpPart<'_>, NotTcp>> {
    let first = *net.first()?;
    let header_len = usize::from(first & 0x0f) * 4;
    // Version 4, a valid IHL, the whole header there, and not AH (51).
    if first >> 4 != 4 || header_len < 20 || net.len() < header_len {
        return None;
    }
    let b: [u8; 20] = array(net, 0)?;
    let proto = b[9];
    if proto == 51 {
        return None;
    }
    // etherparse's `LaxIpSlice`: a total length below the header falls back
    // to the slice; one beyond the slice marks the payload incomplete.
    let total_len = usize::from(u16::from_be_bytes([b[2], b[3]]));
    let (end, incomplete) = if total_len < header_len {
        (net.len(), false)
    } else if net.len() < total_len {
        (net.len(), true)
    } else {
        (total_len, false)
    };
    let fragmented = b[6] & 0x20 != 0 || (u16::from_be_bytes([b[6], b[7]]) & 0x1fff) != 0;
    if fragmented {
        return Some(Err(NotTcp::Fragment));
    }
    if proto != 6 {
        return Some(Err(NotTcp::OtherIp(proto)));
    }
    let missing = if incomplete {
        if !cut {
            return Some(Err(NotTcp::Malformed(Malformed::IpLengthBeyondFrame {
                claimed: total_len,
                available: net.len(),
            })));
        }
        total_len.saturating_sub(net.len())
    } else {
        0
    };
    let src = IpAddr::from([b[12], b[13], b[14], b[15]]);
    let dst = IpAddr::from([b[16], b[17], b[18], b[19]]);
    let segment = net.get(header_len..end)?;
    Some(Ok(IpPart {
        src,
        dst,
        segment,
        missing,
    }))
}

/// IP through etherparse's lax slices: IPv6 and its extension headers, and
/// IPv4 with an authentication header.
fn ip_lax(net: &[u8], cut: bool) -> Result<IpPart<'_>, NotTcp> {
    use etherparse::err::ip::{HeaderError, LaxHeaderSliceError};
    let truncated_or = |m: Malformed| {
        if cut {
            NotTcp::Truncated(Layer::Ip)
        } else {
            NotTcp::Malformed(m)
        }
    };
    let (ip, ext_err) = match LaxIpSlice::from_slice(net) {
        Ok(v) => v,
        Err(LaxHeaderSliceError::Len(_)) => {
            return Err(truncated_or(Malformed::IpHeader { layer: Layer::Ip }))
        }
        Err(LaxHeaderSliceError::Content(HeaderError::UnsupportedIpVersion { version_number })) => {
            return Err(NotTcp::Malformed(Malformed::IpVersion {
                version: version_number,
            }))
        }
        Err(LaxHeaderSliceError::Content(HeaderError::Ipv4HeaderLengthSmallerThanHeader {
            ihl,
        })) => return Err(NotTcp::Malformed(Malformed::Ipv4HeaderLength { ihl })),
    };
    let payload = ip.payload();
    if payload.fragmented {
        return Err(NotTcp::Fragment);
    }
    if let Some((err, _)) = ext_err {
        use etherparse::err::ipv6_exts::HeaderSliceError;
        return Err(match err {
            HeaderSliceError::Len(_) => truncated_or(Malformed::IpExtension),
            HeaderSliceError::Content(_) => NotTcp::Malformed(Malformed::IpExtension),
        });
    }
    let proto = payload.ip_number.0;
    if proto != 6 {
        return Err(NotTcp::OtherIp(proto));
    }
    // The IP packet's length as its header claims it, to recover the real
    // segment length when the snaplen cut the payload.
    let missing = if payload.incomplete {
        let claimed = match &ip {
            LaxIpSlice::Ipv4(v4) => usize::from(v4.header().total_len()),
            LaxIpSlice::Ipv6(v6) => 40 + usize::from(v6.header().payload_length()),
        };
        if !cut {
            return Err(NotTcp::Malformed(Malformed::IpLengthBeyondFrame {
                claimed,
                available: net.len(),
            }));
        }
        claimed.saturating_sub(net.len())
    } else {
        0
    };
    Ok(IpPart {
        src: ip.source_addr(),
        dst: ip.destination_addr(),
        segment: payload.payload,
        missing,
    })
}

/// Decodes a TCP segment of which `seg` was captured and `missing` bytes were
/// cut off by the snaplen.
#[inline]
fn decode_tcp(
    src: IpAddr,
    dst: IpAddr,
    seg: &[u8],
    missing: usize,
) -> Result<TcpPacket<'_>, NotTcp> {
    let segment_len = seg.len() + missing;
    if segment_len < 20 {
        return Err(NotTcp::Malformed(Malformed::TcpHeaderShort {
            len: segment_len,
        }));
    }
    let Some(&offset_byte) = seg.get(12) else {
        return Err(NotTcp::Truncated(Layer::Tcp));
    };
    let data_offset = offset_byte >> 4;
    if data_offset < 5 {
        return Err(NotTcp::Malformed(Malformed::TcpDataOffsetTooSmall {
            data_offset,
        }));
    }
    let header_len = usize::from(data_offset) * 4;
    if header_len > segment_len {
        return Err(NotTcp::Malformed(Malformed::TcpDataOffsetBeyondSegment {
            header_len,
            segment_len,
        }));
    }
    // Here `missing > 0` whenever the header is not all there: the snaplen cut it.
    let (Some(head), Some(payload)) = (seg.get(..header_len), seg.get(header_len..)) else {
        return Err(NotTcp::Truncated(Layer::Tcp));
    };
    let (Some(fixed), Some(options)) = (array::<20>(head, 0), head.get(20..)) else {
        return Err(NotTcp::Truncated(Layer::Tcp));
    };
    let be16 = |at: usize| u16::from_be_bytes([fixed[at], fixed[at + 1]]);
    let be32 =
        |at: usize| u32::from_be_bytes([fixed[at], fixed[at + 1], fixed[at + 2], fixed[at + 3]]);
    let payload_len = segment_len - header_len;
    let hdr = TcpHeader {
        src_port: be16(0),
        dst_port: be16(2),
        seq: SeqNum(be32(4)),
        ack: SeqNum(be32(8)),
        flags: Flags(fixed[13]),
        window: be16(14),
        options: parse_options(options),
        payload_len: u32::try_from(payload_len).unwrap_or(u32::MAX),
    };
    Ok(TcpPacket {
        src: SocketAddr::new(src, hdr.src_port),
        dst: SocketAddr::new(dst, hdr.dst_port),
        hdr,
        payload,
    })
}

/// The options synack understands, from the option bytes of a TCP header;
/// a damaged or unknown option ends the list (what came before it is kept),
/// as etherparse's `TcpOptionsIterator` reads them: EOL ends the list, NOP is
/// skipped, MSS (length 4), window scale (3), SACK permitted (2), SACK (10,
/// 18, 26 or 34) and timestamps (10) must have exactly their length and fit.
#[inline(always)]
fn parse_options(mut rest: &[u8]) -> TcpOptions {
    let mut o = TcpOptions::default();
    loop {
        match *rest {
            [1, ref tail @ ..] => rest = tail,
            [2, 4, a, b, ref tail @ ..] => {
                o.mss = Some(u16::from_be_bytes([a, b]));
                rest = tail;
            }
            [3, 3, shift, ref tail @ ..] => {
                o.wscale = Some(shift);
                rest = tail;
            }
            [4, 2, ref tail @ ..] => {
                o.sack_permitted = true;
                rest = tail;
            }
            [8, 10, v0, v1, v2, v3, e0, e1, e2, e3, ref tail @ ..] => {
                o.timestamps = Some((
                    u32::from_be_bytes([v0, v1, v2, v3]),
                    u32::from_be_bytes([e0, e1, e2, e3]),
                ));
                rest = tail;
            }
            [5, len @ (10 | 18 | 26 | 34), ..] if rest.len() >= usize::from(len) => {
                let len = usize::from(len);
                let blocks = rest.get(2..len).unwrap_or(&[]);
                o.sack = [(0, 0); 4];
                let mut n = 0;
                for (slot, block) in o.sack.iter_mut().zip(blocks.chunks_exact(8)) {
                    let word = |at: usize| {
                        block
                            .get(at..at + 4)
                            .and_then(|w| <[u8; 4]>::try_from(w).ok())
                            .map_or(0, u32::from_be_bytes)
                    };
                    *slot = (word(0), word(4));
                    n += 1;
                }
                o.sack_len = n;
                rest = rest.get(len..).unwrap_or(&[]);
            }
            // EOL, the end, or anything unknown or damaged.
            _ => break,
        }
    }
    o
}

#[cfg(test)]
#[path = "decode_fast_tests.rs"]
mod fast_tests;
