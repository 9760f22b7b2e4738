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
use etherparse::{LaxIpSlice, TcpHeaderSlice, TcpOptionElement};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use synack_sim::{Flags, SeqNum, TcpHeader, TcpOptions};

/// A decoded TCP segment, borrowing its payload from the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpPacket<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// The header; `payload_len` is the real payload length from the IP
    /// length field, even when the snaplen cut the payload short.
    pub hdr: TcpHeader,
    /// The captured payload bytes (fewer than `hdr.payload_len` when cut).
    pub payload: &'a [u8],
    /// The snaplen cut the payload: `payload.len() < hdr.payload_len`.
    pub payload_truncated: bool,
}

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
pub fn decode_record<'a>(rec: &Record<'a>) -> Result<TcpPacket<'a>, NotTcp> {
    decode(rec.link, rec.data, rec.orig_len)
}

/// Decodes one captured frame of the given link type down to TCP.
/// `orig_len` is the length on the wire; when it exceeds `data.len()` the
/// snaplen cut the frame, which tells truncated from malformed.
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

fn decode_ip(net: &[u8], cut: bool) -> Result<TcpPacket<'_>, NotTcp> {
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
    let (src, dst) = (ip.source_addr(), ip.destination_addr());
    decode_tcp(src, dst, payload.payload, missing)
}

/// Decodes a TCP segment of which `seg` was captured and `missing` bytes were
/// cut off by the snaplen.
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
    let tcp = TcpHeaderSlice::from_slice(head).map_err(|_| NotTcp::Truncated(Layer::Tcp))?;
    let payload_len = segment_len - header_len;
    let hdr = TcpHeader {
        src_port: tcp.source_port(),
        dst_port: tcp.destination_port(),
        seq: SeqNum(tcp.sequence_number()),
        ack: SeqNum(tcp.acknowledgment_number()),
        flags: Flags(head.get(13).copied().unwrap_or(0)),
        window: tcp.window_size(),
        options: parse_options(&tcp),
        payload_len: u32::try_from(payload_len).unwrap_or(u32::MAX),
    };
    Ok(TcpPacket {
        src: SocketAddr::new(src, hdr.src_port),
        dst: SocketAddr::new(dst, hdr.dst_port),
        hdr,
        payload,
        payload_truncated: payload.len() < payload_len,
    })
}

/// The options synack understands; a damaged option ends the list (what came
/// before it is kept).
fn parse_options(tcp: &TcpHeaderSlice<'_>) -> TcpOptions {
    let mut o = TcpOptions::default();
    for opt in tcp.options_iterator() {
        let Ok(opt) = opt else { break };
        match opt {
            TcpOptionElement::Noop => {}
            TcpOptionElement::MaximumSegmentSize(m) => o.mss = Some(m),
            TcpOptionElement::WindowScale(w) => o.wscale = Some(w),
            TcpOptionElement::SelectiveAcknowledgementPermitted => o.sack_permitted = true,
            TcpOptionElement::Timestamp(val, ecr) => o.timestamps = Some((val, ecr)),
            TcpOptionElement::SelectiveAcknowledgement(first, rest) => {
                o.sack = [(0, 0); 4];
                o.sack[0] = first;
                let mut n = 1;
                for (slot, block) in o.sack.iter_mut().skip(1).zip(rest.iter().flatten()) {
                    *slot = *block;
                    n += 1;
                }
                o.sack_len = n;
            }
        }
    }
    o
}
