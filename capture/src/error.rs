//! Errors of the capture-file reader.

use std::io;

/// What went wrong reading a pcap or pcapng file.
///
/// Errors about one record carry its 1-based number and the byte offset of its
/// header in the file. Whether the reader can go on after an error is told by
/// [`FileError::is_fatal`]; [`crate::CaptureReader::next_record`] returns `None`
/// after a fatal one.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("The capture file is empty: a pcap or pcapng file starts with a 4-byte magic number.")]
    Empty,
    #[error(
        "The file is neither pcap nor pcapng: it starts with the bytes {:02x} {:02x} {:02x} {:02x}, which is no known magic number.",
        .0[0], .0[1], .0[2], .0[3]
    )]
    BadMagic([u8; 4]),
    #[error("The pcap file header is cut short: the file holds {got} of its 24 bytes.")]
    HeaderCutShort { got: usize },
    #[error("The pcap file has version {major}.{minor}; synack reads version 2.x.")]
    UnsupportedVersion { major: u16, minor: u16 },
    #[error("Record {record} at byte offset {offset}: {problem}.")]
    Record {
        record: u64,
        offset: u64,
        problem: RecordProblem,
        /// Reading cannot go on after this record (see [`FileError::is_fatal`]).
        fatal: bool,
    },
    #[error("Reading the capture failed at byte offset {offset}: {source}.")]
    Io {
        offset: u64,
        #[source]
        source: io::Error,
    },
}

impl FileError {
    /// True when the reader cannot find the next record after this error, so
    /// reading ends here. Only a pcapng packet or interface block whose framing
    /// (block length) is intact but whose body is bad can be skipped.
    pub fn is_fatal(&self) -> bool {
        match self {
            FileError::Record { fatal, .. } => *fatal,
            _ => true,
        }
    }

    /// The record number the error names, if it is about one record.
    pub fn record(&self) -> Option<u64> {
        match self {
            FileError::Record { record, .. } => Some(*record),
            _ => None,
        }
    }

    /// The byte offset in the file the error names, if any.
    pub fn offset(&self) -> Option<u64> {
        match self {
            FileError::Record { offset, .. } | FileError::Io { offset, .. } => Some(*offset),
            FileError::HeaderCutShort { .. } | FileError::UnsupportedVersion { .. } => Some(0),
            FileError::Empty | FileError::BadMagic(_) => Some(0),
        }
    }
}

/// What is wrong with one record or block (the sentence after "record N at byte offset X:").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordProblem {
    #[error("the record header is cut short ({got} of {need} bytes), the file ends inside it")]
    HeaderCutShort { got: usize, need: usize },
    #[error("the packet data is cut short ({got} of {need} bytes), the file ends inside it")]
    DataCutShort { got: usize, need: usize },
    #[error("caplen {caplen} exceeds the {limit}-byte limit")]
    CaplenOverLimit { caplen: u32, limit: u32 },
    #[error("the pcapng block length {len} is invalid (it must be a multiple of 4 between 12 and {limit})")]
    BadBlockLength { len: u32, limit: u32 },
    #[error("the pcapng block length {lead} at the start of the block does not match the {trail} at its end")]
    BlockLengthMismatch { lead: u32, trail: u32 },
    #[error("the pcapng block of type {block_type:#x} is cut short ({got} of {need} bytes), the file ends inside it")]
    BlockCutShort {
        block_type: u32,
        got: usize,
        need: usize,
    },
    #[error("the pcapng section header has byte-order magic {0:#010x} instead of 0x1a2b3c4d")]
    BadByteOrderMagic(u32),
    #[error("the pcapng section header has version {major}.{minor}; synack reads version 1.x")]
    UnsupportedSectionVersion { major: u16, minor: u16 },
    #[error(
        "the file starts with a pcapng block of type {0:#x} instead of a section header block"
    )]
    NoSectionHeader(u32),
    #[error("the pcapng {what} body is {len} bytes, too short for its {need}-byte fixed part")]
    BodyTooShort {
        what: &'static str,
        len: usize,
        need: usize,
    },
    #[error(
        "the enhanced packet block's caplen {caplen} is larger than its {room}-byte body allows"
    )]
    CaplenBeyondBlock { caplen: u32, room: usize },
    #[error(
        "the packet names interface {id}, but the section has described only {count} interface(s)"
    )]
    UnknownInterface { id: u32, count: usize },
}
