//! Classic pcap: a 24-byte file header, then 16-byte record headers each
//! followed by `caplen` bytes. Four magics: microsecond `a1b2c3d4` and
//! nanosecond `a1b23c4d`, each in either byte order.

use crate::error::{FileError, RecordProblem};
use crate::file::{record_error, Endian, PcapState, RawRecord, MAX_CAPLEN};
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

/// Reads the next record into `buf`. `Ok(None)` at a clean end of file.
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
    if state.snaplen != 0 && caplen > state.snaplen {
        return Err(fatal(RecordProblem::CaplenOverSnaplen {
            caplen,
            snaplen: state.snaplen,
        }));
    }
    let need = caplen as usize;
    let data = input.take(need)?;
    let got = data.len();
    if got < need {
        return Err(fatal(RecordProblem::DataCutShort { got, need }));
    }
    let frac_ns = if state.nanos {
        u64::from(ts_frac)
    } else {
        u64::from(ts_frac) * 1_000
    };
    *next_number += 1;
    Ok(Some(RawRecord {
        number,
        offset,
        ts_ns: u64::from(ts_sec) * 1_000_000_000 + frac_ns,
        link: state.link,
        interface: 0,
        data,
        orig_len,
    }))
}
