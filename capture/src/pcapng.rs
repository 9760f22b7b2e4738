//! pcapng: sections of blocks, each framed by its length at both ends.
//! Reads section headers (both byte orders), interface descriptions (with
//! `if_tsresol` and `if_tsoffset`), enhanced, simple and obsolete packet
//! blocks; skips all other block types unbuffered.

use crate::error::{FileError, RecordProblem};
use crate::file::{array, record_error, Endian, RawRecord, MAX_CAPLEN};
use crate::input::Input;
use crate::link::LinkType;
use std::io::Read;

/// The section header block type; the same bytes in both byte orders.
pub(crate) const SHB_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;
const IDB: u32 = 1;
const PB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;
/// Largest block synack buffers: a packet of the maximum caplen plus room for options.
const MAX_BLOCK: u32 = MAX_CAPLEN + 64 * 1024;

/// Per-section state of a pcapng file.
#[derive(Debug)]
pub(crate) struct NgState {
    pub(crate) endian: Endian,
    pub(crate) interfaces: Vec<Interface>,
}

impl Default for NgState {
    fn default() -> NgState {
        NgState {
            endian: Endian::Little,
            interfaces: Vec::new(),
        }
    }
}

/// One interface description block.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Interface {
    pub(crate) link: LinkType,
    pub(crate) snaplen: u32,
    /// `if_tsresol`: high bit set = negative power of 2, else of 10. Default 6 (µs).
    tsresol: u8,
    /// `if_tsoffset`: seconds added to every timestamp.
    tsoffset: i64,
}

impl Interface {
    /// Converts a raw timestamp in ticks to nanoseconds since the epoch (saturating).
    fn ts_ns(&self, ticks: u64) -> u64 {
        let exp = u32::from(self.tsresol & 0x7f);
        let ns: u128 = if self.tsresol & 0x80 != 0 {
            (u128::from(ticks) * 1_000_000_000) >> exp
        } else if exp <= 9 {
            u128::from(ticks) * 10u128.pow(9 - exp)
        } else {
            match 10u128.checked_pow(exp - 9) {
                Some(div) => u128::from(ticks) / div,
                None => 0,
            }
        };
        let with_offset = ns as i128 + i128::from(self.tsoffset) * 1_000_000_000;
        with_offset.clamp(0, i128::from(u64::MAX)) as u64
    }
}

/// Reads a section header block whose 4-byte type has been consumed; resets
/// the section state. Every error here is fatal.
pub(crate) fn read_section_header<R: Read>(
    input: &mut Input<R>,
    state: &mut NgState,
    offset: u64,
    number: u64,
) -> Result<(), FileError> {
    let fatal = |problem| record_error(number, offset, problem, true);
    let (head, got) = input.take_array::<8>()?;
    if got < head.len() {
        return Err(fatal(RecordProblem::BlockCutShort {
            block_type: 0x0a0d_0d0a,
            got: got + 4,
            need: 12,
        }));
    }
    let bom_le = u32::from_le_bytes(array(&head, 4).unwrap_or_default());
    let endian = if bom_le == BYTE_ORDER_MAGIC {
        Endian::Little
    } else if bom_le.swap_bytes() == BYTE_ORDER_MAGIC {
        Endian::Big
    } else {
        return Err(fatal(RecordProblem::BadByteOrderMagic(bom_le)));
    };
    let len = endian.u32_at(&head, 0).unwrap_or(0);
    if len & 3 != 0 || !(28..=MAX_BLOCK).contains(&len) {
        return Err(fatal(RecordProblem::BadBlockLength {
            len,
            limit: MAX_BLOCK,
        }));
    }
    // Version (4) and section length (8), options, trailing length (4).
    let need = len as usize - 12;
    let body = input.take(need)?;
    let got = body.len();
    let body = input.window().get(body).unwrap_or(&[]);
    if got < need {
        return Err(fatal(RecordProblem::BlockCutShort {
            block_type: 0x0a0d_0d0a,
            got: got + 12,
            need: len as usize,
        }));
    }
    let trail = endian.u32_at(body, need - 4).unwrap_or(0);
    if trail != len {
        return Err(fatal(RecordProblem::BlockLengthMismatch {
            lead: len,
            trail,
        }));
    }
    let major = endian.u16_at(body, 0).unwrap_or(0);
    let minor = endian.u16_at(body, 2).unwrap_or(0);
    if major != 1 {
        return Err(fatal(RecordProblem::UnsupportedSectionVersion {
            major,
            minor,
        }));
    }
    state.endian = endian;
    state.interfaces.clear();
    Ok(())
}

/// Reads blocks until the next packet record, an error, or the end of the file.
pub(crate) fn next<R: Read>(
    input: &mut Input<R>,
    state: &mut NgState,
    next_number: &mut u64,
) -> Result<Option<RawRecord>, FileError> {
    loop {
        let offset = input.pos;
        let number = *next_number;
        let fatal = |problem| record_error(number, offset, problem, true);
        let (ty, got) = input.take_array::<4>()?;
        if got == 0 {
            return Ok(None);
        }
        if ty == SHB_MAGIC {
            read_section_header(input, state, offset, number)?;
            continue;
        }
        let e = state.endian;
        let block_type = e.u32(ty);
        let (len_bytes, got2) = input.take_array::<4>()?;
        if got < 4 || got2 < 4 {
            return Err(fatal(RecordProblem::BlockCutShort {
                block_type,
                got: got + got2,
                need: 8,
            }));
        }
        let len = e.u32(len_bytes);
        let known = matches!(block_type, IDB | PB | SPB | EPB);
        let limit = if known { MAX_BLOCK } else { u32::MAX };
        if len & 3 != 0 || len < 12 || len > limit {
            return Err(fatal(RecordProblem::BadBlockLength { len, limit }));
        }
        let body_len = len as usize - 12;
        let cut = |got: usize| {
            fatal(RecordProblem::BlockCutShort {
                block_type,
                got: got + 8,
                need: len as usize,
            })
        };
        if !known {
            let skipped = input.skip(body_len as u64)?;
            if skipped < body_len as u64 {
                return Err(cut(skipped as usize));
            }
            let (trail, got) = input.take_array::<4>()?;
            if got < 4 {
                return Err(cut(body_len + got));
            }
            let trail = e.u32(trail);
            if trail != len {
                return Err(fatal(RecordProblem::BlockLengthMismatch {
                    lead: len,
                    trail,
                }));
            }
            continue;
        }
        let range = input.take(body_len + 4)?;
        let block_start = range.start;
        let got = range.len();
        let block = input.window().get(range).unwrap_or(&[]);
        if got < body_len + 4 {
            return Err(cut(got));
        }
        let trail = e.u32_at(block, body_len).unwrap_or(0);
        if trail != len {
            return Err(fatal(RecordProblem::BlockLengthMismatch {
                lead: len,
                trail,
            }));
        }
        let body = block.get(..body_len).unwrap_or(&[]);
        if block_type == IDB {
            match parse_idb(e, body) {
                Ok(iface) => state.interfaces.push(iface),
                Err(problem) => return Err(record_error(number, offset, problem, false)),
            }
            continue;
        }
        // A packet block: it takes a record number whether or not it is good.
        *next_number += 1;
        return match parse_packet(e, block_type, body, &state.interfaces) {
            Ok(p) => Ok(Some(RawRecord {
                number,
                offset,
                ts_ns: p.ts_ns,
                link: p.link,
                interface: p.interface,
                data: block_start + p.data.start..block_start + p.data.end,
                orig_len: p.orig_len,
                over_snaplen: p.over_snaplen,
            })),
            Err(problem) => Err(record_error(number, offset, problem, false)),
        };
    }
}

fn parse_idb(e: Endian, body: &[u8]) -> Result<Interface, RecordProblem> {
    let (Some(link), Some(snaplen)) = (e.u16_at(body, 0), e.u32_at(body, 4)) else {
        return Err(RecordProblem::BodyTooShort {
            what: "interface description block",
            len: body.len(),
            need: 8,
        });
    };
    let mut iface = Interface {
        link: LinkType(u32::from(link)),
        snaplen,
        tsresol: 6,
        tsoffset: 0,
    };
    // Options: code (2), length (2), value padded to 4. Damaged options end the list.
    let mut at = 8usize;
    while let (Some(code), Some(olen)) = (e.u16_at(body, at), e.u16_at(body, at + 2)) {
        let value = at + 4;
        let olen = usize::from(olen);
        match (code, olen) {
            (0, _) => break,
            (9, 1) => {
                if let Some(&v) = body.get(value) {
                    iface.tsresol = v;
                }
            }
            (14, 8) => {
                if let Some(b) = array::<8>(body, value) {
                    iface.tsoffset = match e {
                        Endian::Little => i64::from_le_bytes(b),
                        Endian::Big => i64::from_be_bytes(b),
                    };
                }
            }
            _ => {}
        }
        at = value + olen.div_ceil(4) * 4;
    }
    Ok(iface)
}

struct Packet {
    ts_ns: u64,
    link: LinkType,
    interface: u32,
    data: std::ops::Range<usize>,
    orig_len: u32,
    over_snaplen: Option<u32>,
}

fn parse_packet(
    e: Endian,
    block_type: u32,
    body: &[u8],
    interfaces: &[Interface],
) -> Result<Packet, RecordProblem> {
    let (what, fixed) = match block_type {
        EPB => ("enhanced packet block", 20),
        PB => ("packet block", 20),
        _ => ("simple packet block", 4),
    };
    if body.len() < fixed {
        return Err(RecordProblem::BodyTooShort {
            what,
            len: body.len(),
            need: fixed,
        });
    }
    let u32_at = |at| e.u32_at(body, at).unwrap_or(0);
    let (interface, ticks, caplen, orig_len) = match block_type {
        EPB => (
            u32_at(0),
            Some((u64::from(u32_at(4)) << 32) | u64::from(u32_at(8))),
            u32_at(12),
            u32_at(16),
        ),
        PB => (
            u32::from(e.u16_at(body, 0).unwrap_or(0)),
            Some((u64::from(u32_at(4)) << 32) | u64::from(u32_at(8))),
            u32_at(12),
            u32_at(16),
        ),
        _ => {
            // SPB: the captured length is implied by the block length and snaplen.
            let orig_len = u32_at(0);
            let room = u32::try_from(body.len() - fixed).unwrap_or(u32::MAX);
            let snap = interfaces.first().map_or(0, |i| i.snaplen);
            let mut caplen = orig_len.min(room);
            if snap != 0 {
                caplen = caplen.min(snap);
            }
            (0, None, caplen, orig_len)
        }
    };
    let Some(iface) = usize::try_from(interface)
        .ok()
        .and_then(|i| interfaces.get(i))
    else {
        return Err(RecordProblem::UnknownInterface {
            id: interface,
            count: interfaces.len(),
        });
    };
    let room = body.len() - fixed;
    if caplen as usize > room {
        return Err(RecordProblem::CaplenBeyondBlock { caplen, room });
    }
    if caplen > MAX_CAPLEN {
        return Err(RecordProblem::CaplenOverLimit {
            caplen,
            limit: MAX_CAPLEN,
        });
    }
    // A caplen over the snaplen is read whole, as Wireshark reads it.
    let over_snaplen = (iface.snaplen != 0 && caplen > iface.snaplen).then_some(iface.snaplen);
    Ok(Packet {
        ts_ns: ticks.map_or(0, |t| iface.ts_ns(t)),
        link: iface.link,
        interface,
        data: fixed..fixed + caplen as usize,
        orig_len,
        over_snaplen,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(tsresol: u8, tsoffset: i64) -> Interface {
        Interface {
            link: LinkType::ETHERNET,
            snaplen: 0,
            tsresol,
            tsoffset,
        }
    }

    #[test]
    fn timestamp_resolutions() {
        assert_eq!(iface(6, 0).ts_ns(1_500_000), 1_500_000_000);
        assert_eq!(iface(9, 0).ts_ns(1_500_000_007), 1_500_000_007);
        assert_eq!(iface(12, 0).ts_ns(1_500_000_000_000), 1_500_000_000);
        // 2^-10 s: 1024 ticks are one second.
        assert_eq!(iface(0x80 | 10, 0).ts_ns(1024), 1_000_000_000);
        assert_eq!(iface(6, 2).ts_ns(1), 2_000_001_000);
        // Absurd resolutions saturate instead of panicking.
        assert_eq!(iface(127, 0).ts_ns(u64::MAX), 0);
        assert_eq!(iface(0, i64::MAX).ts_ns(u64::MAX), u64::MAX);
        assert_eq!(iface(0xff, i64::MIN).ts_ns(u64::MAX), 0);
    }
}
