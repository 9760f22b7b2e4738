//! IPv4 packets as the queue and the capture see them: decoding (through
//! [`crate::decode()`]), the key that matches a captured frame to its verdict,
//! and the TCP checksum of a copy that synack sends itself.

use crate::decode::{decode, NotTcp};
use crate::link::LinkType;
use synack_sim::observer::TcpPacket;

/// Decodes a raw IPv4 packet (what NFQUEUE hands out) as TCP.
pub fn decode_ip(ip: &[u8]) -> Result<TcpPacket<'_>, NotTcp> {
    decode(
        LinkType::RAW,
        ip,
        u32::try_from(ip.len()).unwrap_or(u32::MAX),
    )
}

/// Where the TCP checksum of an IPv4 packet is, if the packet is long enough.
fn tcp_checksum_at(ip: &[u8]) -> Option<usize> {
    let ihl = usize::from(*ip.first()? & 0x0f) * 4;
    (ip.len() >= ihl + 18 && ip.get(9) == Some(&6)).then_some(ihl + 16)
}

/// A 64-bit FNV-1a hash of an IPv4 packet with its TCP checksum read as 0.
///
/// The same packet has the same key in the queue and in the capture, which
/// is how the runner gives a captured frame its verdict: libpcap's copy is
/// taken before the checksum is finished (`lo` offloads it:
/// CHECKSUM_PARTIAL, the field holds only the pseudo-header sum), while
/// NFQUEUE completes it before copying the packet to user space
/// (net/netfilter/nfnetlink_queue.c, `nfqnl_build_packet_message` calls
/// `skb_checksum_help`). Every other byte is the same: the IP checksum is
/// final at `ip_local_out`, and a locally delivered packet's TTL is not
/// decremented. Retransmissions differ (new IP id, new timestamp); a
/// duplicate sent by the link has the original's key.
pub fn packet_key(ip: &[u8]) -> u64 {
    let skip = tcp_checksum_at(ip);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, &b) in ip.iter().enumerate() {
        let b = if skip.is_some_and(|s| i == s || i == s + 1) {
            0
        } else {
            b
        };
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Recomputes the TCP checksum of an IPv4 packet in place (RFC 9293 3.1,
/// with the RFC 793 pseudo-header). Returns false when the packet is not
/// a complete IPv4/TCP packet, leaving it unchanged.
pub fn fix_tcp_checksum(ip: &mut [u8]) -> bool {
    let Some(at) = tcp_checksum_at(ip) else {
        return false;
    };
    let ihl = at - 16;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    if total > ip.len() || total < ihl + 20 {
        return false;
    }
    ip[at] = 0;
    ip[at + 1] = 0;
    let tcp_len = total - ihl;
    let mut sum: u32 = 0;
    let mut add = |bytes: &[u8]| {
        for pair in bytes.chunks(2) {
            let hi = u32::from(pair[0]) << 8;
            let lo = pair.get(1).map_or(0, |&b| u32::from(b));
            sum += hi | lo;
        }
    };
    add(&ip[12..20]); // source and destination addresses
    add(&[0, 6]);
    add(&(tcp_len as u16).to_be_bytes());
    add(&ip[ihl..total]);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let c = !(sum as u16);
    ip[at..at + 2].copy_from_slice(&c.to_be_bytes());
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::build_packet;
    use std::net::{IpAddr, Ipv4Addr};
    use synack_sim::{Flags, SeqNum, TcpHeader};

    fn packet(payload: &[u8]) -> Vec<u8> {
        let hdr = TcpHeader {
            src_port: 49152,
            dst_port: 9999,
            seq: SeqNum(1),
            ack: SeqNum(2),
            flags: Flags::ACK | Flags::PSH,
            window: 512,
            payload_len: payload.len() as u32,
            ..TcpHeader::default()
        };
        let src = IpAddr::V4(Ipv4Addr::new(127, 1, 0, 2));
        let dst = IpAddr::V4(Ipv4Addr::new(127, 1, 0, 3));
        let mut out = Vec::new();
        build_packet(&mut out, LinkType::RAW, src, dst, &hdr, payload).unwrap();
        out
    }

    #[test]
    fn key_ignores_only_the_tcp_checksum() {
        let p = packet(b"Michael");
        let mut partial = p.clone();
        partial[20 + 16] ^= 0x5a; // lo's CHECKSUM_PARTIAL leaves another value
        assert_eq!(packet_key(&p), packet_key(&partial));
        let mut other = p.clone();
        other[4] ^= 1; // IP id: a retransmission
        assert_ne!(packet_key(&p), packet_key(&other));
    }

    #[test]
    fn checksum_recomputed_matches_the_exporters() {
        for payload in [&b""[..], b"odd", b"even"] {
            let good = packet(payload);
            let mut p = good.clone();
            p[20 + 16] = 0xde;
            p[20 + 17] = 0xad;
            assert!(fix_tcp_checksum(&mut p));
            assert_eq!(p, good, "payload {payload:?}");
        }
        assert!(!fix_tcp_checksum(&mut [0x45, 0, 0]));
    }

    #[test]
    fn decodes_what_the_queue_hands_out() {
        let p = packet(b"hi");
        let t = decode_ip(&p).unwrap();
        assert_eq!(t.hdr.dst_port, 9999);
        assert_eq!(t.payload, b"hi");
    }
}
