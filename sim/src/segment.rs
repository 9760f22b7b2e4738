//! TCP segments as the simulator and the observer see them (RFC 9293 3.1).
//!
//! [`TcpHeader`] is `Copy` and carries the payload *length*, so the capture
//! path can hand the observer a header without allocating; [`Segment`] adds the
//! payload bytes for the simulator, which must deliver them.

use crate::payload::Payload;
use crate::seq::SeqNum;
use std::fmt;

/// The control bits of the TCP header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Flags(pub u8);

impl Flags {
    pub const FIN: Flags = Flags(0x01);
    pub const SYN: Flags = Flags(0x02);
    pub const RST: Flags = Flags(0x04);
    pub const PSH: Flags = Flags(0x08);
    pub const ACK: Flags = Flags(0x10);
    pub const URG: Flags = Flags(0x20);
    pub const ECE: Flags = Flags(0x40);
    pub const CWR: Flags = Flags(0x80);
    pub const NONE: Flags = Flags(0);

    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
    pub const fn syn(self) -> bool {
        self.0 & 0x02 != 0
    }
    pub const fn fin(self) -> bool {
        self.0 & 0x01 != 0
    }
    pub const fn rst(self) -> bool {
        self.0 & 0x04 != 0
    }
    pub const fn psh(self) -> bool {
        self.0 & 0x08 != 0
    }
    pub const fn ack(self) -> bool {
        self.0 & 0x10 != 0
    }
    pub const fn urg(self) -> bool {
        self.0 & 0x20 != 0
    }
    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    /// The flag names in the order of docs/transcript-json.md ("Flags"):
    /// SYN,FIN,RST,PSH,ACK,URG (then ECE,CWR), comma-separated, e.g.
    /// `"SYN,ACK"`. Empty for no flags.
    pub fn names(self) -> &'static str {
        // 256 combinations, built once; lets the hot path render without allocating.
        static TABLE: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        let table = TABLE.get_or_init(|| (0..=255u8).map(|b| Flags(b).build_names()).collect());
        &table[self.0 as usize]
    }

    fn build_names(self) -> String {
        const ORDER: [(Flags, &str); 8] = [
            (Flags::SYN, "SYN"),
            (Flags::FIN, "FIN"),
            (Flags::RST, "RST"),
            (Flags::PSH, "PSH"),
            (Flags::ACK, "ACK"),
            (Flags::URG, "URG"),
            (Flags::ECE, "ECE"),
            (Flags::CWR, "CWR"),
        ];
        let mut out = String::new();
        for (f, name) in ORDER {
            if self.contains(f) {
                if !out.is_empty() {
                    out.push(',');
                }
                out.push_str(name);
            }
        }
        out
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        self.union(rhs)
    }
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.names())
    }
}

/// The TCP options synack understands (RFC 9293 3.2, RFC 7323, RFC 2018).
/// `Copy`, so headers stay allocation-free.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TcpOptions {
    /// Maximum segment size (RFC 9293 3.7.1), SYN only.
    pub mss: Option<u16>,
    /// Window scale shift (RFC 7323 2), SYN only.
    pub wscale: Option<u8>,
    /// SACK permitted (RFC 2018), SYN only.
    pub sack_permitted: bool,
    /// Timestamps TSval, TSecr (RFC 7323 3).
    pub timestamps: Option<(u32, u32)>,
    /// Number of SACK blocks present (RFC 2018); blocks themselves in `sack`.
    pub sack_len: u8,
    pub sack: [(u32, u32); 4],
}

impl TcpOptions {
    /// Length in bytes of the options as synack encodes them (padded to 4).
    pub fn encoded_len(&self) -> usize {
        let mut n = 0;
        if self.mss.is_some() {
            n += 4;
        }
        if self.sack_permitted {
            n += 2;
        }
        if self.timestamps.is_some() {
            n += 10;
        }
        if self.wscale.is_some() {
            n += 3;
        }
        if self.sack_len > 0 {
            n += 2 + 8 * self.sack_len as usize;
        }
        n.div_ceil(4) * 4
    }
}

/// A TCP header plus the length of its payload: everything the observer needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TcpHeader {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: SeqNum,
    /// Meaningful only when `flags.ack()`.
    pub ack: SeqNum,
    pub flags: Flags,
    /// The raw 16-bit window field, unscaled.
    pub window: u16,
    pub options: TcpOptions,
    /// Payload bytes carried (not counting SYN/FIN).
    pub payload_len: u32,
}

impl TcpHeader {
    /// Sequence space the segment occupies: payload plus one each for SYN and FIN
    /// (RFC 9293 3.4, "SEG.LEN").
    pub fn seg_len(&self) -> u32 {
        self.payload_len + self.flags.syn() as u32 + self.flags.fin() as u32
    }

    /// The sequence number just past this segment.
    pub fn end_seq(&self) -> SeqNum {
        self.seq + self.seg_len()
    }
}

/// A segment in flight in the simulator: header and payload (bytes, or a
/// range of the `send N bytes` pattern: [`Payload`]).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Segment {
    pub hdr: TcpHeader,
    pub payload: Payload,
}

impl Segment {
    /// Builds a segment, setting `hdr.payload_len` from the payload.
    pub fn new(mut hdr: TcpHeader, payload: impl Into<Payload>) -> Segment {
        let payload = payload.into();
        hdr.payload_len = payload.len() as u32;
        Segment { hdr, payload }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_names_in_contract_order() {
        assert_eq!((Flags::ACK | Flags::SYN).names(), "SYN,ACK");
        assert_eq!((Flags::ACK | Flags::FIN).names(), "FIN,ACK");
        assert_eq!((Flags::ACK | Flags::PSH).names(), "PSH,ACK");
        assert_eq!((Flags::ACK | Flags::RST).names(), "RST,ACK");
        assert_eq!(Flags::NONE.names(), "");
    }

    #[test]
    fn seg_len_counts_syn_and_fin() {
        let h = TcpHeader {
            flags: Flags::SYN | Flags::FIN,
            payload_len: 3,
            seq: SeqNum(u32::MAX),
            ..Default::default()
        };
        assert_eq!(h.seg_len(), 5);
        assert_eq!(h.end_seq(), SeqNum(4));
    }
}
