//! From an Ethernet type to the IP header: 802.1Q/802.1ad/QinQ tags, MPLS
//! label stacks, PPPoE sessions, transparent Ethernet bridging (an Ethernet
//! frame inside GRE or Geneve), 802.2 LLC/SNAP; and the PPP protocol field,
//! which the PPP-based link types and PPPoE share.

use super::error::{short, Layer, Malformed, NetProto, NotTcp};
use crate::file::array;

pub(crate) const ETH_IPV4: u16 = 0x0800;
pub(crate) const ETH_IPV6: u16 = 0x86dd;
/// Transparent Ethernet bridging: an Ethernet frame follows (gretap, Geneve).
pub(crate) const ETH_BRIDGED: u16 = 0x6558;
const ETH_MPLS: u16 = 0x8847;
const ETH_MPLS_MULTICAST: u16 = 0x8848;
const ETH_PPPOE_SESSION: u16 = 0x8864;

/// An Ethernet II frame's type and payload. The frame must hold its 14-byte
/// header.
#[inline]
pub(crate) fn ethernet(frame: &[u8], cut: bool) -> Result<(u16, &[u8]), NotTcp> {
    let t = u16::from_be_bytes(array(frame, 12).ok_or_else(|| link_short(cut, 14, frame))?);
    Ok((t, frame.get(14..).unwrap_or(&[])))
}

/// The header `need` bytes long does not fit in `data`.
pub(crate) fn link_short(cut: bool, need: usize, data: &[u8]) -> NotTcp {
    short(
        cut,
        Layer::Link,
        Malformed::LinkHeaderShort {
            need,
            len: data.len(),
        },
    )
}

/// Follows tags and shims from `ether_type` (the type of `net`) to the IP
/// header; returns the IP bytes. Every step consumes header bytes, so the
/// walk ends.
#[inline]
pub(crate) fn to_ip(mut ether_type: u16, mut net: &[u8], cut: bool) -> Result<&[u8], NotTcp> {
    loop {
        match ether_type {
            ETH_IPV4 | ETH_IPV6 => return Ok(net),
            0x8100 | 0x88a8 | 0x9100 => {
                let t = array::<2>(net, 2).ok_or_else(|| link_short(cut, 4, net))?;
                ether_type = u16::from_be_bytes(t);
                net = net.get(4..).unwrap_or(&[]);
            }
            _ => (ether_type, net) = shim(ether_type, net, cut)?,
        }
    }
}

/// The rarer steps of [`to_ip`], out of line.
#[cold]
#[inline(never)]
fn shim(ether_type: u16, net: &[u8], cut: bool) -> Result<(u16, &[u8]), NotTcp> {
    match ether_type {
        ETH_MPLS | ETH_MPLS_MULTICAST => mpls(net, cut),
        ETH_PPPOE_SESSION => pppoe_session(net, cut),
        ETH_BRIDGED => ethernet(net, cut),
        t if t < 0x0600 => llc(net, cut),
        t => Err(NotTcp::NonIp(NetProto::EtherType(t))),
    }
}

/// An MPLS label stack (RFC 3032): 4-byte entries up to the one with the
/// bottom-of-stack bit; then IPv4 or IPv6 by the version nibble, as
/// Wireshark guesses the payload.
fn mpls(mut net: &[u8], cut: bool) -> Result<(u16, &[u8]), NotTcp> {
    loop {
        let entry: [u8; 4] = array(net, 0).ok_or_else(|| link_short(cut, 4, net))?;
        net = net.get(4..).unwrap_or(&[]);
        if entry[2] & 1 == 1 {
            break;
        }
    }
    match net.first().map(|b| b >> 4) {
        Some(4) => Ok((ETH_IPV4, net)),
        Some(6) => Ok((ETH_IPV6, net)),
        None => Err(link_short(cut, 1, net)),
        Some(_) => Err(NotTcp::NonIp(NetProto::EtherType(ETH_MPLS))),
    }
}

/// A PPPoE session header (RFC 2516: version/type, code, session id,
/// length), then a PPP protocol field.
pub(crate) fn pppoe_session(net: &[u8], cut: bool) -> Result<(u16, &[u8]), NotTcp> {
    let rest = net.get(6..).ok_or_else(|| link_short(cut, 6, net))?;
    ppp_payload(rest, cut)
}

/// 802.2 LLC: a SNAP header with a zero OUI carries an Ethernet type.
fn llc(net: &[u8], cut: bool) -> Result<(u16, &[u8]), NotTcp> {
    match net {
        [0xaa, 0xaa, 0x03, 0, 0, 0, t0, t1, rest @ ..] => {
            Ok((u16::from_be_bytes([*t0, *t1]), rest))
        }
        [0xaa, 0xaa, 0x03, ..] if net.len() < 8 => Err(link_short(cut, 8, net)),
        _ => Err(NotTcp::NonIp(NetProto::Llc)),
    }
}

/// A PPP protocol field (RFC 1661: one byte when its low bit is set,
/// protocol-field compression, else two) and what follows, as an Ethernet
/// type and payload.
pub(crate) fn ppp_payload(data: &[u8], cut: bool) -> Result<(u16, &[u8]), NotTcp> {
    let (proto, len) = match *data {
        [b, ..] if b & 1 == 1 => (u16::from(b), 1),
        [a, b, ..] => (u16::from_be_bytes([a, b]), 2),
        _ => return Err(link_short(cut, 2, data)),
    };
    let rest = data.get(len..).unwrap_or(&[]);
    let t = match proto {
        0x0021 => ETH_IPV4,
        0x0057 => ETH_IPV6,
        0x0281 => ETH_MPLS,
        0x0283 => ETH_MPLS_MULTICAST,
        p => return Err(NotTcp::NonIp(NetProto::Ppp(p))),
    };
    Ok((t, rest))
}

/// PPP in HDLC-like framing (RFC 1662): the address and control bytes
/// `ff 03` when present, then the protocol field. A frame that starts with
/// a Cisco HDLC address is Cisco HDLC (what LINKTYPE_PPP_HDLC allows).
pub(crate) fn ppp_hdlc(data: &[u8], cut: bool) -> Result<(u16, &[u8]), NotTcp> {
    match data.first() {
        Some(0x0f | 0x8f) => cisco_hdlc(data, cut),
        Some(0xff) => ppp_payload(data.get(2..).unwrap_or(&[]), cut),
        _ => ppp_payload(data, cut),
    }
}

/// Cisco HDLC: address, control, a 2-byte Ethernet type.
pub(crate) fn cisco_hdlc(data: &[u8], cut: bool) -> Result<(u16, &[u8]), NotTcp> {
    let t = array::<2>(data, 2).ok_or_else(|| link_short(cut, 4, data))?;
    Ok((u16::from_be_bytes(t), data.get(4..).unwrap_or(&[])))
}
