//! The link-layer header of each supported link type, down to an Ethernet
//! type and the bytes it types. Ethernet comes first and inline (the hot
//! path); the others are out of line. Where a link type's framing has
//! variants, they are told apart the way Wireshark tells them apart, so that
//! both read the same frames as TCP.

use super::error::{NetProto, NotTcp};
use super::ethertype::{
    cisco_hdlc, ethernet, link_short, ppp_hdlc, pppoe_session, ETH_IPV4, ETH_IPV6,
};
use crate::file::array;
use crate::link::LinkType;

/// The network-layer protocol (as an Ethernet type) and bytes of a frame.
#[inline]
pub(crate) fn network(link: LinkType, data: &[u8], cut: bool) -> Result<(u16, &[u8]), NotTcp> {
    match link {
        LinkType::ETHERNET => ethernet(data, cut),
        LinkType::RAW | LinkType::RAW_12 | LinkType::RAW_14 | LinkType::IPV4 | LinkType::IPV6 => {
            raw_ip(data, cut)
        }
        LinkType::LINUX_SLL => {
            let t = array::<2>(data, 14).ok_or_else(|| link_short(cut, 16, data))?;
            Ok((u16::from_be_bytes(t), data.get(16..).unwrap_or(&[])))
        }
        LinkType::LINUX_SLL2 => {
            let t = array::<2>(data, 0).ok_or_else(|| link_short(cut, 20, data))?;
            let net = data.get(20..).ok_or_else(|| link_short(cut, 20, data))?;
            Ok((u16::from_be_bytes(t), net))
        }
        other => other_link(other, data, cut),
    }
}

/// Raw IPv4 or IPv6, told apart by the version nibble.
#[inline]
pub(crate) fn raw_ip(data: &[u8], cut: bool) -> Result<(u16, &[u8]), NotTcp> {
    match data.first().map(|b| b >> 4) {
        Some(4) => Ok((ETH_IPV4, data)),
        Some(6) => Ok((ETH_IPV6, data)),
        Some(version) => Err(NotTcp::Malformed(super::Malformed::IpVersion { version })),
        None => Err(link_short(cut, 1, data)),
    }
}

#[cold]
#[inline(never)]
fn other_link(link: LinkType, data: &[u8], cut: bool) -> Result<(u16, &[u8]), NotTcp> {
    match link {
        LinkType::NULL | LinkType::LOOP => {
            let b: [u8; 4] = array(data, 0).ok_or_else(|| link_short(cut, 4, data))?;
            // NULL is in the writer's byte order, LOOP in network order; both are
            // accepted in either order, as the values cannot be confused.
            let (be, le) = (u32::from_be_bytes(b), u32::from_le_bytes(b));
            match address_family(be).or_else(|| address_family(le)) {
                Some(t) => Ok((t, data.get(4..).unwrap_or(&[]))),
                None => Err(NotTcp::NonIp(NetProto::AddressFamily(be.min(le)))),
            }
        }
        LinkType::PPP | LinkType::PPP_HDLC => ppp_hdlc(data, cut),
        // One direction byte (0 sent, 1 received) before the PPP frame.
        LinkType::PPP_WITH_DIR => {
            ppp_hdlc(data.get(1..).ok_or_else(|| link_short(cut, 1, data))?, cut)
        }
        LinkType::PPP_ETHER => pppoe_session(data, cut),
        LinkType::C_HDLC => cisco_hdlc(data, cut),
        LinkType::FRELAY => frame_relay(data, cut),
        LinkType::ATM_RFC1483 => super::ethertype::to_ip(0, data, cut).map(|ip| (ip_type(ip), ip)),
        LinkType::IPOIB => {
            // Wireshark's pseudo-header: a 40-byte GRH (or destination
            // address), then RFC 4391's 4-byte header: type and reserved.
            let t = array::<2>(data, 40).ok_or_else(|| link_short(cut, 44, data))?;
            Ok((u16::from_be_bytes(t), data.get(44..).unwrap_or(&[])))
        }
        LinkType::JUNIPER_ETHER => juniper_ether(data, cut),
        LinkType::PFLOG => {
            // The header's own length (padded to 4 bytes), the address family.
            let [len, af] = array::<2>(data, 0).ok_or_else(|| link_short(cut, 4, data))?;
            let hdr_len = (usize::from(len) + 3) & !3;
            let net = data
                .get(hdr_len..)
                .ok_or_else(|| link_short(cut, hdr_len, data))?;
            match address_family(u32::from(af)) {
                Some(t) => Ok((t, net)),
                None => Err(NotTcp::NonIp(NetProto::AddressFamily(u32::from(af)))),
            }
        }
        LinkType::NFLOG => nflog(data, cut),
        other => Err(NotTcp::UnknownLink(other)),
    }
}

/// The Ethernet type of a packet known to be IP, by its version nibble.
fn ip_type(ip: &[u8]) -> u16 {
    if ip.first().is_some_and(|b| b >> 4 == 6) {
        ETH_IPV6
    } else {
        ETH_IPV4
    }
}

/// The Ethernet type a BSD loopback (or pflog) address family stands for.
fn address_family(af: u32) -> Option<u16> {
    match af {
        2 => Some(ETH_IPV4),
        // Linux, NetBSD/OpenBSD, FreeBSD, macOS.
        10 | 24 | 28 | 30 => Some(ETH_IPV6),
        _ => None,
    }
}

/// Frame Relay: a Q.922 address of 2 to 4 bytes (the last one has its EA
/// bit set), then either RFC 2427's UI control byte `03`, an optional pad
/// and an NLPID (IP, IPv6 or SNAP), or Cisco's 2-byte Ethernet type.
fn frame_relay(data: &[u8], cut: bool) -> Result<(u16, &[u8]), NotTcp> {
    let addr_len = data
        .iter()
        .take(4)
        .position(|b| b & 1 == 1)
        .map(|i| i + 1)
        .filter(|n| *n >= 2)
        .ok_or_else(|| link_short(cut, 2, data))?;
    let rest = data.get(addr_len..).unwrap_or(&[]);
    match *rest {
        [0x03, ref tail @ ..] => {
            let tail = match tail {
                [0x00, t @ ..] => t,
                t => t,
            };
            match *tail {
                [0xcc, ref ip @ ..] => Ok((ETH_IPV4, ip)),
                [0x8e, ref ip @ ..] => Ok((ETH_IPV6, ip)),
                [0x80, 0, 0, 0, t0, t1, ref net @ ..] => Ok((u16::from_be_bytes([t0, t1]), net)),
                [0x80, ..] | [] => Err(link_short(cut, addr_len + 8, data)),
                [nlpid, ..] => Err(NotTcp::NonIp(NetProto::Nlpid(nlpid))),
            }
        }
        [t0, t1, ref net @ ..] => Ok((u16::from_be_bytes([t0, t1]), net)),
        _ => Err(link_short(cut, addr_len + 2, data)),
    }
}

/// Juniper's capture header ("MGC", flags, optional extension TLVs), then
/// an Ethernet frame; with the "no layer 2" flag, a 4-byte payload type in
/// host order and the packet. Without the magic number the frame is read as
/// Ethernet from its first byte, as Wireshark does.
fn juniper_ether(data: &[u8], cut: bool) -> Result<(u16, &[u8]), NotTcp> {
    const FLAG_EXT: u8 = 0x80;
    const FLAG_NO_L2: u8 = 0x02;
    let [m0, m1, m2, flags] = array::<4>(data, 0).ok_or_else(|| link_short(cut, 4, data))?;
    if [m0, m1, m2] != *b"MGC" {
        return ethernet(data, cut);
    }
    let hdr_len = if flags & FLAG_EXT != 0 {
        let ext = array::<2>(data, 4).ok_or_else(|| link_short(cut, 6, data))?;
        6 + usize::from(u16::from_be_bytes(ext))
    } else {
        4
    };
    let rest = data
        .get(hdr_len..)
        .ok_or_else(|| link_short(cut, hdr_len, data))?;
    if flags & FLAG_NO_L2 == 0 {
        return ethernet(rest, cut);
    }
    let proto =
        u32::from_le_bytes(array(rest, 0).ok_or_else(|| link_short(cut, hdr_len + 4, data))?);
    let ip = rest.get(4..).unwrap_or(&[]);
    match proto {
        2 => Ok((ETH_IPV4, ip)),
        6 => Ok((ETH_IPV6, ip)),
        // Wireshark skips 4 unknown bytes and reads IPv4.
        0xa248 => Ok((
            ETH_IPV4,
            ip.get(4..)
                .ok_or_else(|| link_short(cut, hdr_len + 8, data))?,
        )),
        p => Err(NotTcp::NonIp(NetProto::Juniper(p))),
    }
}

/// Linux NFLOG: family, version, resource id, then TLVs (length and type in
/// the capturing host's byte order, values padded to 4 bytes); the packet is
/// the value of type 9 (NFULA_PAYLOAD).
fn nflog(data: &[u8], cut: bool) -> Result<(u16, &[u8]), NotTcp> {
    const PAYLOAD: u16 = 9;
    let mut at = 4;
    if data.len() < at {
        return Err(link_short(cut, at, data));
    }
    while let Some(tl) = array::<4>(data, at) {
        let (mut len, mut ty) = (
            u16::from_le_bytes([tl[0], tl[1]]),
            u16::from_le_bytes([tl[2], tl[3]]),
        );
        if len < 4 || at + usize::from(len) > data.len() && !cut {
            // Not little-endian after all: a big-endian host wrote it.
            (len, ty) = (
                u16::from_be_bytes([tl[0], tl[1]]),
                u16::from_be_bytes([tl[2], tl[3]]),
            );
        }
        if len < 4 {
            break;
        }
        let value = data.get(at + 4..).unwrap_or(&[]);
        if ty & 0x7fff == PAYLOAD {
            let end = (usize::from(len) - 4).min(value.len());
            return raw_ip(value.get(..end).unwrap_or(&[]), cut);
        }
        at += (usize::from(len) + 3) & !3;
    }
    Err(link_short(cut, at + 4, data))
}
