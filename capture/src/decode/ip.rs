//! IPv4 and IPv6 down to the payload of a protocol that can carry TCP: TCP
//! itself, or a tunnel (IP-in-IP, IPv6-in-IP, GRE, UDP). Plain IPv4 is read
//! by hand ([`ipv4_fast`]); IPv6 with its extension headers, and IPv4 with an
//! authentication header, through etherparse's zero-copy lax slices
//! ([`ip_lax`]). A property test checks that both agree.

use super::error::{Layer, Malformed, NotTcp};
use crate::file::array;
use etherparse::LaxIpSlice;
use std::net::IpAddr;

/// IP protocol numbers.
pub(crate) const TCP: u8 = 6;
pub(crate) const IPIP: u8 = 4;
pub(crate) const IPV6_IN_IP: u8 = 41;
pub(crate) const GRE: u8 = 47;
pub(crate) const UDP: u8 = 17;

/// The protocols that may carry a TCP segment; any other is
/// [`NotTcp::OtherIp`] at once.
#[inline]
const fn may_carry_tcp(proto: u8) -> bool {
    matches!(proto, TCP | IPIP | IPV6_IN_IP | GRE | UDP)
}

/// What the IP layer yields: the addresses, the protocol and its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IpPart<'a> {
    pub(crate) src: IpAddr,
    pub(crate) dst: IpAddr,
    /// The IP protocol number (after any IPv6 extension headers).
    pub(crate) proto: u8,
    /// The captured part of the payload.
    pub(crate) payload: &'a [u8],
    /// Bytes of the payload the snaplen cut off.
    pub(crate) missing: usize,
}

/// Reads an IP header (either version).
#[inline]
pub(crate) fn ip(net: &[u8], cut: bool) -> Result<IpPart<'_>, NotTcp> {
    match ipv4_fast(net, cut) {
        Some(result) => result,
        None => ip_lax(net, cut),
    }
}

/// The IPv4 path of [`ip_lax`] without etherparse, for every IPv4
/// header that carries no authentication header (which is left to
/// etherparse): the same results, bit for bit (a property test compares
/// them). `None` when the packet is not such an IPv4 packet.
#[inline]
pub(crate) fn ipv4_fast(net: &[u8], cut: bool) -> Option<Result<IpPart<'_>, NotTcp>> {
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
    if !may_carry_tcp(proto) {
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
    let payload = net.get(header_len..end)?;
    Some(Ok(IpPart {
        src,
        dst,
        proto,
        payload,
        missing,
    }))
}

/// IP through etherparse's lax slices: IPv6 and its extension headers, and
/// IPv4 with an authentication header.
#[inline(never)]
pub(crate) fn ip_lax(net: &[u8], cut: bool) -> Result<IpPart<'_>, NotTcp> {
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
    if !may_carry_tcp(proto) {
        return Err(NotTcp::OtherIp(proto));
    }
    // The IP packet's length as its header claims it, to recover the real
    // payload length when the snaplen cut it.
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
        proto,
        payload: payload.payload,
        missing,
    })
}
