//! Tunnels: a TCP segment inside IP-in-IP (IPIP, 6in4, 4in6, 6in6), GRE
//! (with checksum, key, sequence number and routing; PPTP's enhanced GRE
//! carrying PPP; ERSPAN types I, II and III), or UDP to VXLAN (4789),
//! VXLAN-GPE (4790) or Geneve (6081).
//!
//! [`descend`] unwraps one tunnel after another (at most [`MAX_DEPTH`])
//! until it reaches TCP; the [`Tunnel`] it reports is the innermost one.

use super::error::{short, Layer, Malformed, NotTcp};
use super::ethertype::{ethernet, ppp_hdlc, to_ip, ETH_BRIDGED, ETH_IPV4, ETH_IPV6};
use super::ip::{ip, IpPart, GRE, IPIP, IPV6_IN_IP, TCP, UDP};
use super::link_layer::raw_ip;
use super::tcp::decode_tcp;
use crate::file::array;
use std::fmt;
use std::net::IpAddr;
use synack_sim::observer::TcpPacket;

/// How deep tunnels may nest before synack gives up on a packet.
pub const MAX_DEPTH: usize = 8;

/// The kind of a tunnel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TunnelKind {
    /// VXLAN (RFC 7348), UDP port 4789; `id` is the VNI.
    Vxlan,
    /// VXLAN-GPE, UDP port 4790; `id` is the VNI.
    VxlanGpe,
    /// Geneve (RFC 8926), UDP port 6081; `id` is the VNI.
    Geneve,
    /// GRE (RFC 2784, 2890); `id` is the key, when present.
    Gre,
    /// PPTP's enhanced GRE (RFC 2637) carrying PPP; `id` is the call id.
    Pptp,
    /// ERSPAN inside GRE, type I, II or III; `id` is the session id.
    Erspan(u8),
    /// IP directly inside IP: the outer and inner IP versions.
    Ip { outer: u8, inner: u8 },
}

impl fmt::Display for TunnelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TunnelKind::Vxlan => f.write_str("VXLAN"),
            TunnelKind::VxlanGpe => f.write_str("VXLAN-GPE"),
            TunnelKind::Geneve => f.write_str("Geneve"),
            TunnelKind::Gre => f.write_str("GRE"),
            TunnelKind::Pptp => f.write_str("PPTP GRE"),
            TunnelKind::Erspan(t) => write!(
                f,
                "ERSPAN type {}",
                ["I", "II", "III"][usize::from(t.clamp(1, 3) - 1)]
            ),
            TunnelKind::Ip { outer: 4, inner: 4 } => f.write_str("IPIP"),
            TunnelKind::Ip { outer, inner } => write!(f, "{inner}in{outer}"),
        }
    }
}

/// The tunnel a TCP segment was found in: its kind, the outer addresses of
/// this packet, and its identifier (VNI, key, session or call id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tunnel {
    pub kind: TunnelKind,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub id: Option<u32>,
    /// How many tunnels are around the segment: 1 when this is the only one.
    pub depth: u8,
}

impl Tunnel {
    /// What names the tunnel whichever way a packet goes through it: the
    /// kind, both outer addresses in order, and the identifier (except
    /// PPTP's call id, which each side picks for itself).
    pub fn key(&self) -> (TunnelKind, IpAddr, IpAddr, Option<u32>) {
        let (a, b) = if self.src <= self.dst {
            (self.src, self.dst)
        } else {
            (self.dst, self.src)
        };
        let id = if self.kind == TunnelKind::Pptp {
            None
        } else {
            self.id
        };
        (self.kind, a, b, id)
    }
}

/// `VXLAN 10.0.0.1 → 10.0.0.2 vni 42`.
impl fmt::Display for Tunnel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} → {}", self.kind, self.src, self.dst)?;
        if let Some(id) = self.id {
            let what = match self.kind {
                TunnelKind::Vxlan | TunnelKind::VxlanGpe | TunnelKind::Geneve => "vni",
                TunnelKind::Gre => "key",
                TunnelKind::Pptp => "call",
                TunnelKind::Erspan(_) => "session",
                TunnelKind::Ip { .. } => "id",
            };
            write!(f, " {what} {id}")?;
        }
        if self.depth > 1 {
            write!(f, " (the innermost of {} tunnels)", self.depth)?;
        }
        Ok(())
    }
}

/// Unwraps the tunnels around an IP payload that is not TCP itself.
#[cold]
#[inline(never)]
pub(crate) fn descend<'a>(
    mut outer: IpPart<'a>,
    cut: bool,
    found: &mut Option<Tunnel>,
) -> Result<TcpPacket<'a>, NotTcp> {
    for depth in 1..=MAX_DEPTH {
        let (kind, id, ether_type, net) = match outer.proto {
            IPIP | IPV6_IN_IP => {
                let (t, net) = raw_ip(outer.payload, cut).map_err(|e| match e {
                    NotTcp::Truncated(_) => NotTcp::Truncated(Layer::Ip),
                    e => e,
                })?;
                let version = |ip: &IpAddr| if ip.is_ipv4() { 4 } else { 6 };
                let inner = if t == ETH_IPV6 { 6 } else { 4 };
                let kind = TunnelKind::Ip {
                    outer: version(&outer.src),
                    inner,
                };
                (kind, None, t, net)
            }
            GRE => gre(outer.payload, cut)?,
            UDP => udp(outer.payload, cut)?,
            other => return Err(NotTcp::OtherIp(other)),
        };
        let tunnel = Tunnel {
            kind,
            src: outer.src,
            dst: outer.dst,
            id,
            depth: u8::try_from(depth).unwrap_or(u8::MAX),
        };
        let inner = ip(to_ip(ether_type, net, cut)?, cut)?;
        if inner.proto == TCP {
            let packet = decode_tcp(inner.src, inner.dst, inner.payload, inner.missing)?;
            *found = Some(tunnel);
            return Ok(packet);
        }
        outer = inner;
    }
    Err(NotTcp::Malformed(Malformed::TunnelsTooDeep {
        depth: MAX_DEPTH,
    }))
}

type Inner<'a> = (TunnelKind, Option<u32>, u16, &'a [u8]);

fn header_short(cut: bool, tunnel: &'static str, need: usize, have: &[u8]) -> NotTcp {
    short(
        cut,
        Layer::Tunnel,
        Malformed::TunnelHeaderShort {
            tunnel,
            need,
            len: have.len(),
        },
    )
}

/// A UDP datagram to a tunnel port; any other is just UDP. The lower port
/// is tried first, as Wireshark does.
fn udp(dgram: &[u8], cut: bool) -> Result<Inner<'_>, NotTcp> {
    let h: [u8; 8] = array(dgram, 0).ok_or_else(|| header_short(cut, "UDP", 8, dgram))?;
    let (sport, dport) = (
        u16::from_be_bytes([h[0], h[1]]),
        u16::from_be_bytes([h[2], h[3]]),
    );
    let len = usize::from(u16::from_be_bytes([h[4], h[5]]));
    let end = if len >= 8 {
        len.min(dgram.len())
    } else {
        dgram.len()
    };
    let body = dgram.get(8..end).unwrap_or(&[]);
    let port = [sport.min(dport), sport.max(dport)]
        .into_iter()
        .find(|p| matches!(p, 4789 | 4790 | 6081))
        .ok_or(NotTcp::OtherIp(UDP))?;
    let vni = |b: &[u8]| array::<3>(b, 4).map(|v| u32::from_be_bytes([0, v[0], v[1], v[2]]));
    match port {
        4789 => {
            let frame = body
                .get(8..)
                .ok_or_else(|| header_short(cut, "VXLAN", 8, body))?;
            let (t, net) = ethernet(frame, cut)?;
            Ok((TunnelKind::Vxlan, vni(body), t, net))
        }
        4790 => {
            let next = *body
                .get(3)
                .ok_or_else(|| header_short(cut, "VXLAN-GPE", 8, body))?;
            let inner = body
                .get(8..)
                .ok_or_else(|| header_short(cut, "VXLAN-GPE", 8, body))?;
            let (t, net) = match next {
                1 => (ETH_IPV4, inner),
                2 => (ETH_IPV6, inner),
                3 => ethernet(inner, cut)?,
                _ => return Err(NotTcp::OtherIp(UDP)),
            };
            Ok((TunnelKind::VxlanGpe, vni(body), t, net))
        }
        _ => {
            let [first, _, t0, t1] =
                array::<4>(body, 0).ok_or_else(|| header_short(cut, "Geneve", 8, body))?;
            let len = 8 + usize::from(first & 0x3f) * 4;
            let inner = body
                .get(len..)
                .ok_or_else(|| header_short(cut, "Geneve", len, body))?;
            Ok((
                TunnelKind::Geneve,
                vni(body),
                u16::from_be_bytes([t0, t1]),
                inner,
            ))
        }
    }
}

/// A GRE header (RFC 2784 with RFC 2890's key and sequence number, RFC
/// 1701's routing; version 1 is PPTP's), and ERSPAN behind it.
fn gre(pkt: &[u8], cut: bool) -> Result<Inner<'_>, NotTcp> {
    const CSUM: u16 = 0x8000;
    const ROUTING: u16 = 0x4000;
    const KEY: u16 = 0x2000;
    const SEQ: u16 = 0x1000;
    const ACK: u16 = 0x0080;
    let [f0, f1, t0, t1] = array::<4>(pkt, 0).ok_or_else(|| header_short(cut, "GRE", 4, pkt))?;
    let flags = u16::from_be_bytes([f0, f1]);
    let proto = u16::from_be_bytes([t0, t1]);
    let version = flags & 7;
    let mut at = 4;
    let mut key = None;
    let word = |at: usize| array::<4>(pkt, at).map(u32::from_be_bytes);
    if version == 1 {
        // Enhanced GRE: payload length and call id in the key field, then
        // the sequence and acknowledgment numbers when flagged.
        key = word(at).map(|k| k & 0xffff);
        at += 4;
        at += if flags & SEQ != 0 { 4 } else { 0 };
        at += if flags & ACK != 0 { 4 } else { 0 };
    } else {
        at += if flags & (CSUM | ROUTING) != 0 { 4 } else { 0 };
        if flags & KEY != 0 {
            key = word(at);
            at += 4;
        }
        at += if flags & SEQ != 0 { 4 } else { 0 };
        if flags & ROUTING != 0 {
            // Source route entries: family (2), offset (1), length (1), and
            // `length` bytes; a null entry ends them.
            loop {
                let sre =
                    array::<4>(pkt, at).ok_or_else(|| header_short(cut, "GRE", at + 4, pkt))?;
                at += 4 + usize::from(sre[3]);
                if sre[0] == 0 && sre[1] == 0 && sre[3] == 0 {
                    break;
                }
            }
        }
    }
    let body = pkt
        .get(at..)
        .ok_or_else(|| header_short(cut, "GRE", at, pkt))?;
    let kind = if version == 1 {
        TunnelKind::Pptp
    } else {
        TunnelKind::Gre
    };
    match proto {
        0x880b => {
            let (t, net) = ppp_hdlc(body, cut)?;
            Ok((kind, key, t, net))
        }
        // ERSPAN type II, or type I when GRE has no sequence number.
        0x88be if flags & SEQ == 0 => {
            let (t, net) = ethernet(body, cut)?;
            Ok((TunnelKind::Erspan(1), None, t, net))
        }
        0x88be => {
            let h = array::<8>(body, 0).ok_or_else(|| header_short(cut, "ERSPAN", 8, body))?;
            let session = u32::from(u16::from_be_bytes([h[2], h[3]]) & 0x3ff);
            let (t, net) = ethernet(body.get(8..).unwrap_or(&[]), cut)?;
            Ok((TunnelKind::Erspan(2), Some(session), t, net))
        }
        0x22eb => {
            let h = array::<12>(body, 0).ok_or_else(|| header_short(cut, "ERSPAN", 12, body))?;
            let session = u32::from(u16::from_be_bytes([h[2], h[3]]) & 0x3ff);
            // The O flag adds an 8-byte platform-specific subheader; the frame
            // type says Ethernet (0) or IP (2).
            let len = if h[11] & 1 != 0 { 20 } else { 12 };
            let frame = body
                .get(len..)
                .ok_or_else(|| header_short(cut, "ERSPAN", len, body))?;
            let (t, net) = match (h[10] >> 2) & 0x1f {
                2 => raw_ip(frame, cut)?,
                _ => ethernet(frame, cut)?,
            };
            Ok((TunnelKind::Erspan(3), Some(session), t, net))
        }
        ETH_BRIDGED => {
            let (t, net) = ethernet(body, cut)?;
            Ok((kind, key, t, net))
        }
        t => Ok((kind, key, t, body)),
    }
}
