//! The TCP header and its options, from the bytes an IP payload holds.

use super::error::{Layer, Malformed, NotTcp};
use crate::file::array;
use std::net::{IpAddr, SocketAddr};
use synack_sim::observer::TcpPacket;
use synack_sim::{Flags, SeqNum, TcpHeader, TcpOptions};

/// Decodes a TCP segment of which `seg` was captured and `missing` bytes were
/// cut off by the snaplen.
///
/// A header the snaplen cut is read as far as it goes, as Wireshark reads
/// it: the first 16 bytes (ports, numbers, flags, window) are enough, and
/// the options are those captured whole.
#[inline]
pub(crate) fn decode_tcp(
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
    let Some(fixed) = array::<16>(seg, 0) else {
        return Err(NotTcp::Truncated(Layer::Tcp));
    };
    let options = seg.get(20..header_len.min(seg.len())).unwrap_or(&[]);
    let payload = seg.get(header_len..).unwrap_or(&[]);
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

/// The options synack understands, from the option bytes of a TCP header,
/// walked as Wireshark walks them (RFC 9293 3.1: "an option ... may begin on
/// any octet boundary"; every kind but EOL and NOP has a length octet that
/// counts the kind and length octets too):
///
/// * EOL (0) ends the list; NOP (1) is one byte.
/// * Every other option is skipped by its length field, whatever its kind:
///   AccECN (172, 174), the experimental 253 and 254, anything unknown, and a
///   known kind whose length is not its own (which is not recorded).
/// * MSS (length 4), window scale (3), SACK permitted (2), timestamps (10)
///   and SACK (10, 18, 26 or 34) are recorded.
/// * A length below 2 or beyond the bytes left ends the list (what came
///   before it is kept): there is no telling where the next option starts.
#[inline(always)]
pub(crate) fn parse_options(mut rest: &[u8]) -> TcpOptions {
    let mut o = TcpOptions::default();
    loop {
        match *rest {
            [1, ref tail @ ..] => rest = tail,
            [8, 10, v0, v1, v2, v3, e0, e1, e2, e3, ref tail @ ..] => {
                o.timestamps = Some((
                    u32::from_be_bytes([v0, v1, v2, v3]),
                    u32::from_be_bytes([e0, e1, e2, e3]),
                ));
                rest = tail;
            }
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
            // EOL, or the end.
            [0, ..] | [] => break,
            // Any other kind, or a known one with another length: skipped.
            [_, len, ..] if len >= 2 && usize::from(len) <= rest.len() => {
                rest = rest.get(usize::from(len)..).unwrap_or(&[]);
            }
            // A length that cannot be right: the walk cannot go on.
            _ => break,
        }
    }
    o
}
