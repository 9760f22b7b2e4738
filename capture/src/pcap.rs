//! Classic pcap: a 24-byte file header, then 16-byte record headers each
//! followed by `caplen` bytes. Four magics: microsecond `a1b2c3d4` and
//! nanosecond `a1b23c4d`, each in either byte order.

use crate::error::{FileError, RecordProblem};
use crate::file::{array, record_error, Endian, PcapState, RawRecord, MAX_CAPLEN};
use crate::input::Input;
use crate::link::LinkType;
use std::io::Read;

const MICRO: u32 = 0xa1b2_c3d4;
const NANO: u32 = 0xa1b2_3c4d;

/// Reads the rest of the file header after its 4-byte magic.
pub(crate) fn read_file_header<R: Read>(
    input: &mut Input<R>,
    magic: [u8; 4],
) -> Result<PcapState, FileError> {
    let (endian, nanos) = match (u32::from_le_bytes(magic), u32::from_be_bytes(magic)) {
        (MICRO, _) => (Endian::Little, false),
        (NANO, _) => (Endian::Little, true),
        (_, MICRO) => (Endian::Big, false),
        (_, NANO) => (Endian::Big, true),
        _ => return Err(FileError::BadMagic(magic)),
    };
    let (rest, got) = input.take_array::<20>()?;
    if got < rest.len() {
        return Err(FileError::HeaderCutShort { got: got + 4 });
    }
    let major = endian.u16_at(&rest, 0).unwrap_or(0);
    let minor = endian.u16_at(&rest, 2).unwrap_or(0);
    if major != 2 {
        return Err(FileError::UnsupportedVersion { major, minor });
    }
    // rest[4..12]: thiszone and sigfigs, unused in practice.
    let snaplen = endian.u32_at(&rest, 12).unwrap_or(0);
    // The low 16 bits are the link type; the upper bits carry FCS information.
    let link = LinkType(endian.u32_at(&rest, 16).unwrap_or(0) & 0xffff);
    Ok(PcapState {
        endian,
        nanos,
        snaplen,
        link,
    })
}

/// The next record when it lies whole in the bytes at hand and is good:
/// parsed in place, no I/O. `None` sends the caller to [`next`], which
/// handles every other case (and reports the same record the same way).
#[inline]
pub(crate) fn next_in_place<R: Read>(
    input: &mut Input<R>,
    state: &PcapState,
    next_number: &mut u64,
) -> Option<RawRecord> {
    let (ready, at) = input.ready();
    let hdr: [u8; 16] = array(ready, 0)?;
    let e = state.endian;
    let word = |i: usize| e.u32([hdr[i], hdr[i + 1], hdr[i + 2], hdr[i + 3]]);
    let (ts_sec, ts_frac, caplen, orig_len) = (word(0), word(4), word(8), word(12));
    if caplen > MAX_CAPLEN || (state.snaplen != 0 && caplen > state.snaplen) {
        return None;
    }
    let need = 16 + caplen as usize;
    if ready.len() < need {
        return None;
    }
    let offset = input.pos;
    input.consume(need);
    let number = *next_number;
    *next_number += 1;
    Some(RawRecord {
        number,
        offset,
        ts_ns: ts_ns(state, ts_sec, ts_frac),
        link: state.link,
        interface: 0,
        data: at + 16..at + need,
        orig_len,
        over_snaplen: None,
    })
}

fn ts_ns(state: &PcapState, ts_sec: u32, ts_frac: u32) -> u64 {
    let frac_ns = if state.nanos {
        u64::from(ts_frac)
    } else {
        u64::from(ts_frac) * 1_000
    };
    u64::from(ts_sec) * 1_000_000_000 + frac_ns
}

/// Reads the next record. `Ok(None)` at a clean end of file.
pub(crate) fn next<R: Read>(
    input: &mut Input<R>,
    state: &PcapState,
    next_number: &mut u64,
) -> Result<Option<RawRecord>, FileError> {
    let offset = input.pos;
    let number = *next_number;
    let (hdr, got) = input.take_array::<16>()?;
    if got == 0 {
        return Ok(None);
    }
    let fatal = |problem| record_error(number, offset, problem, true);
    if got < hdr.len() {
        return Err(fatal(RecordProblem::HeaderCutShort { got, need: 16 }));
    }
    let e = state.endian;
    let ts_sec = e.u32_at(&hdr, 0).unwrap_or(0);
    let ts_frac = e.u32_at(&hdr, 4).unwrap_or(0);
    let caplen = e.u32_at(&hdr, 8).unwrap_or(0);
    let orig_len = e.u32_at(&hdr, 12).unwrap_or(0);
    if caplen > MAX_CAPLEN {
        return Err(fatal(RecordProblem::CaplenOverLimit {
            caplen,
            limit: MAX_CAPLEN,
        }));
    }
    // A caplen over the snaplen is read whole, as Wireshark reads it.
    let over_snaplen = (state.snaplen != 0 && caplen > state.snaplen).then_some(state.snaplen);
    let need = caplen as usize;
    let data = input.take(need)?;
    let got = data.len();
    if got < need {
        return Err(fatal(RecordProblem::DataCutShort { got, need }));
    }
    *next_number += 1;
    Ok(Some(RawRecord {
        number,
        offset,
        ts_ns: ts_ns(state, ts_sec, ts_frac),
        link: state.link,
        interface: 0,
        data,
        orig_len,
        over_snaplen,
    }))
}
