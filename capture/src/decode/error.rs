//! Why a record yields no TCP segment: [`NotTcp`] and what it names
//! ([`NetProto`], [`Layer`], [`Malformed`]).

use crate::link::LinkType;
use std::fmt;

/// The protocol a non-IP frame carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NetProto {
    /// An Ethernet type (or the protocol field of Linux SLL/SLL2, Cisco HDLC,
    /// IPoIB, a GRE or Geneve header).
    EtherType(u16),
    /// An IEEE 802.3 frame with a length instead of a type (LLC).
    Llc,
    /// A BSD loopback (or pflog, nflog) address family synack does not know.
    AddressFamily(u32),
    /// A PPP protocol other than IP (LCP, IPCP, compressed datagrams, ...).
    Ppp(u16),
    /// A Frame Relay (RFC 2427) NLPID other than IP.
    Nlpid(u8),
    /// Juniper's payload type of a frame without a link-layer header.
    Juniper(u32),
}

impl fmt::Display for NetProto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            NetProto::EtherType(0x0806) => f.write_str("ARP"),
            NetProto::EtherType(0x8035) => f.write_str("RARP"),
            NetProto::EtherType(0x88cc) => f.write_str("LLDP"),
            NetProto::EtherType(0x888e) => f.write_str("EAPOL"),
            NetProto::EtherType(0x8847) => f.write_str("MPLS"),
            NetProto::EtherType(0x8863) => f.write_str("PPPoE discovery"),
            NetProto::EtherType(t) => write!(f, "ethertype {t:#06x}"),
            NetProto::Llc => f.write_str("802.3 LLC"),
            NetProto::AddressFamily(af) => write!(f, "address family {af}"),
            NetProto::Ppp(0xc021) => f.write_str("PPP LCP"),
            NetProto::Ppp(0x8021) => f.write_str("PPP IPCP"),
            NetProto::Ppp(0x8057) => f.write_str("PPP IPv6CP"),
            NetProto::Ppp(0xc023) => f.write_str("PPP PAP"),
            NetProto::Ppp(0xc223) => f.write_str("PPP CHAP"),
            NetProto::Ppp(0x80fd) => f.write_str("PPP CCP"),
            NetProto::Ppp(0x00fd) => f.write_str("PPP compressed datagram"),
            NetProto::Ppp(p) => write!(f, "PPP protocol {p:#06x}"),
            NetProto::Nlpid(n) => write!(f, "Frame Relay NLPID {n:#04x}"),
            NetProto::Juniper(p) => write!(f, "Juniper payload type {p}"),
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
    /// A tunnel's own header (UDP + VXLAN/Geneve, GRE, ERSPAN).
    Tunnel,
    Tcp,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layer::Link => "link-layer",
            Layer::Ip => "IP",
            Layer::Tunnel => "tunnel",
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
    /// A tunnel header (`tunnel` names it) is shorter than it must be.
    TunnelHeaderShort {
        tunnel: &'static str,
        need: usize,
        len: usize,
    },
    /// Tunnels nested deeper than synack follows.
    TunnelsTooDeep { depth: usize },
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
            Malformed::TunnelHeaderShort { tunnel, need, len } => write!(
                f,
                "the {tunnel} header needs {need} bytes but the packet holds {len}"
            ),
            Malformed::TunnelsTooDeep { depth } => {
                write!(f, "tunnels are nested more than {depth} deep")
            }
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

/// A header `need` bytes long does not fit in `len`: cut by the snaplen
/// when `cut`, else malformed.
pub(crate) fn short(cut: bool, layer: Layer, m: Malformed) -> NotTcp {
    if cut {
        NotTcp::Truncated(layer)
    } else {
        NotTcp::Malformed(m)
    }
}
