//! From captured bytes to a TCP segment: the link layer
//! (`link_layer`: Ethernet, BSD NULL/LOOP, raw IP, Linux SLL and SLL2,
//! PPP and its HDLC, Ethernet and direction framings, Cisco HDLC, Frame
//! Relay, IP over InfiniBand, Juniper Ethernet, pflog, NFLOG, ATM LLC/SNAP),
//! tags and shims (`ethertype`: 802.1Q/QinQ, MPLS, PPPoE, LLC/SNAP), IP
//! (`ip`: v4 and v6 with extension headers), tunnels (`tunnel`:
//! IP-in-IP, GRE, ERSPAN, VXLAN, Geneve), then the TCP header and its
//! options (`tcp`). Zero-copy, no allocation; plain Ethernet/IPv4/TCP takes
//! a path of inline code with nothing else on it.
//!
//! A packet that is not a complete-enough TCP segment is classified by
//! [`NotTcp`]: a packet cut by the snaplen (the record's `orig_len` is larger
//! than what was captured) inside its headers is [`NotTcp::Truncated`]; the same
//! shortfall in a packet that was captured whole is [`NotTcp::Malformed`].

mod error;
mod ethertype;
mod ip;
mod link_layer;
mod tcp;
mod tunnel;

pub use error::{ip_proto_name, Layer, Malformed, NetProto, NotTcp};
pub use tunnel::{Tunnel, TunnelKind, MAX_DEPTH};

use crate::file::Record;
use crate::link::LinkType;
use synack_sim::observer::TcpPacket;

/// A TCP segment and the tunnel it was found in, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decoded<'a> {
    pub packet: TcpPacket<'a>,
    /// The innermost tunnel around the segment.
    pub tunnel: Option<Tunnel>,
}

/// Decodes a record (see [`decode`]).
#[inline]
pub fn decode_record<'a>(rec: &Record<'a>) -> Result<TcpPacket<'a>, NotTcp> {
    decode(rec.link, rec.data, rec.orig_len)
}

/// Decodes one captured frame of the given link type down to TCP, through
/// any tunnels (see [`decode_tunneled`] for the tunnel too).
/// `orig_len` is the length on the wire; when it exceeds `data.len()` the
/// snaplen cut the frame, which tells truncated from malformed.
#[inline]
pub fn decode(link: LinkType, data: &[u8], orig_len: u32) -> Result<TcpPacket<'_>, NotTcp> {
    decode_into(link, data, orig_len, &mut None)
}

/// [`decode`], and the tunnel the segment was found in.
pub fn decode_tunneled(link: LinkType, data: &[u8], orig_len: u32) -> Result<Decoded<'_>, NotTcp> {
    let mut tunnel = None;
    let packet = decode_into(link, data, orig_len, &mut tunnel)?;
    Ok(Decoded { packet, tunnel })
}

/// [`decode`], writing the innermost tunnel around the segment (if any)
/// into `tunnel`: the packet is returned where it is built, never moved
/// into a larger value on the hot path.
#[inline]
pub fn decode_into<'a>(
    link: LinkType,
    data: &'a [u8],
    orig_len: u32,
    tunnel: &mut Option<Tunnel>,
) -> Result<TcpPacket<'a>, NotTcp> {
    let cut = orig_len as usize > data.len();
    let (ether_type, net) = link_layer::network(link, data, cut)?;
    let net = ethertype::to_ip(ether_type, net, cut)?;
    // The fast path's result used where it lies: passing it on through
    // another function's return value costs a store-forwarding stall.
    let ip = match ip::ipv4_fast(net, cut) {
        Some(result) => result?,
        None => ip::ip_lax(net, cut)?,
    };
    if ip.proto == ip::TCP {
        return tcp::decode_tcp(ip.src, ip.dst, ip.payload, ip.missing);
    }
    tunnel::descend(ip, cut, tunnel)
}

#[cfg(test)]
mod fast_tests;
