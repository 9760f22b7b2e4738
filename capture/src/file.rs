//! A streaming reader of pcap and pcapng files.
//!
//! [`CaptureReader`] reads any [`Read`] in large chunks into one buffer
//! ([`CaptureReader::from_file`]: a regular file through a sliding memory map)
//! and hands out [`Record`]s that borrow it in place (a lending iterator:
//! `while let Some(r) = reader.next_record() { .. }`). Memory stays bounded by
//! the buffer (1 MiB, more only for a larger block; a mapped file: a 32 MiB
//! window), however large the file.
//!
//! A mapped file must not be truncated by another process while synack reads
//! it (the map would raise SIGBUS); capture files being read are finished
//! files, and `from_file` is only used for regular files.
//!
//! # Recovery from damage
//!
//! * An empty file, a bad magic number or a cut-short file header are errors
//!   from [`CaptureReader::new`].
//! * **pcap** records are framed only by their own `caplen`, so a record header
//!   that is cut short, packet data that is cut short, or a `caplen` above
//!   [`MAX_CAPLEN`] ends the file with a *fatal* error after every good record
//!   before it. No resync is attempted: scanning for a plausible next header
//!   could invent records, and synack never does.
//! * **pcapng** blocks carry their length at both ends. A packet or interface
//!   block whose framing is intact but whose body is bad (unknown interface,
//!   caplen beyond the block or the limit, a body too short) yields a
//!   *non-fatal* error and reading goes on with the next block. A bad or
//!   mismatched block length, or a block cut short by the end of the file, is
//!   fatal. Unknown block types are skipped without being buffered.
//! * A record whose `caplen` exceeds the file's (or interface's) snaplen but
//!   not [`MAX_CAPLEN`] is read whole, as Wireshark reads it, and says so in
//!   [`Record::over_snaplen`]; the records after it are read as usual. Some
//!   writers put a snaplen in the header that they do not keep to.
//!
//! Record numbers count packet records (pcap records; pcapng EPB, SPB and PB
//! blocks), 1-based, as Wireshark numbers frames; a skipped bad packet block
//! still takes its number, so later numbers match the block's position.

use crate::error::{FileError, RecordProblem};
use crate::input::Input;
use crate::link::LinkType;
use crate::pcapng::NgState;
use std::fs::File;
use std::io::Read;

/// The largest caplen synack accepts (Wireshark's default maximum snaplen).
pub const MAX_CAPLEN: u32 = 262_144;

/// One captured packet, borrowed from the reader's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// 1-based record (frame) number.
    pub number: u64,
    /// Byte offset of the record header (pcap) or block (pcapng) in the file.
    pub offset: u64,
    /// Capture time in nanoseconds since the Unix epoch (0 for pcapng simple
    /// packet blocks, which carry no time).
    pub ts_ns: u64,
    /// The link type of the interface the packet was captured on.
    pub link: LinkType,
    /// The interface id (pcapng); 0 for pcap and live captures.
    pub interface: u32,
    /// The captured bytes (`caplen` of them).
    pub data: &'a [u8],
    /// The packet's length on the wire; more than `data.len()` when the
    /// snaplen cut it.
    pub orig_len: u32,
    /// The snaplen of the file (pcap) or interface (pcapng) when this record's
    /// caplen exceeds it: the record was read whole all the same.
    pub over_snaplen: Option<u32>,
}

impl Record<'_> {
    /// The packet was cut by the snaplen: fewer bytes captured than were on the wire.
    pub fn is_cut(&self) -> bool {
        (self.orig_len as usize) > self.data.len()
    }
}

/// The container format of a capture file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Pcap,
    Pcapng,
}

impl FileFormat {
    /// The format a file name asks for by its extension: `.pcapng` / `.ntar`
    /// are pcapng, `.pcap` / `.cap` / `.dmp` are pcap (case-insensitive).
    pub fn from_path(path: &std::path::Path) -> Option<FileFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "pcapng" | "ntar" => Some(FileFormat::Pcapng),
            "pcap" | "cap" | "dmp" => Some(FileFormat::Pcap),
            _ => None,
        }
    }
}

/// Byte order of a file or section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endian {
    Little,
    Big,
}

impl Endian {
    #[inline]
    pub(crate) fn u16(self, b: [u8; 2]) -> u16 {
        match self {
            Endian::Little => u16::from_le_bytes(b),
            Endian::Big => u16::from_be_bytes(b),
        }
    }
    #[inline]
    pub(crate) fn u32(self, b: [u8; 4]) -> u32 {
        match self {
            Endian::Little => u32::from_le_bytes(b),
            Endian::Big => u32::from_be_bytes(b),
        }
    }
    /// Reads a u16 at `at`, `None` past the end.
    #[inline]
    pub(crate) fn u16_at(self, s: &[u8], at: usize) -> Option<u16> {
        Some(self.u16(array(s, at)?))
    }
    /// Reads a u32 at `at`, `None` past the end.
    #[inline]
    pub(crate) fn u32_at(self, s: &[u8], at: usize) -> Option<u32> {
        Some(self.u32(array(s, at)?))
    }
}

/// `N` bytes of `s` starting at `at`, `None` past the end. Never panics.
#[inline]
pub(crate) fn array<const N: usize>(s: &[u8], at: usize) -> Option<[u8; N]> {
    s.get(at..at.checked_add(N)?)?.try_into().ok()
}

#[derive(Debug)]
pub(crate) struct PcapState {
    pub(crate) endian: Endian,
    pub(crate) nanos: bool,
    pub(crate) snaplen: u32,
    pub(crate) link: LinkType,
}

#[derive(Debug)]
pub(crate) enum Kind {
    Pcap(PcapState),
    Pcapng(NgState),
}

/// A streaming reader of pcap and pcapng files; see the [module docs](self).
pub struct CaptureReader<R> {
    pub(crate) input: Input<R>,
    pub(crate) kind: Kind,
    /// Number the next packet record gets.
    pub(crate) next_number: u64,
    pub(crate) finished: bool,
}

impl<R: Read> CaptureReader<R> {
    /// Opens a capture, detecting pcap (all four magics: micro- and nanosecond,
    /// both byte orders) or pcapng from its first bytes, and reads the file
    /// header (pcap) or first section header (pcapng).
    pub fn new(reader: R) -> Result<CaptureReader<R>, FileError> {
        CaptureReader::with_input(Input::stream(reader))
    }

    pub(crate) fn with_input(mut input: Input<R>) -> Result<CaptureReader<R>, FileError> {
        let (magic, got) = input.take_array::<4>()?;
        if got == 0 {
            return Err(FileError::Empty);
        }
        if got < 4 {
            return Err(FileError::BadMagic(magic));
        }
        let kind = match magic {
            crate::pcapng::SHB_MAGIC => {
                let mut state = NgState::default();
                crate::pcapng::read_section_header(&mut input, &mut state, 0, 1)?;
                Kind::Pcapng(state)
            }
            m => Kind::Pcap(crate::pcap::read_file_header(&mut input, m)?),
        };
        Ok(CaptureReader {
            input,
            kind,
            next_number: 1,
            finished: false,
        })
    }

    /// The container format of the file.
    pub fn format(&self) -> FileFormat {
        match self.kind {
            Kind::Pcap(_) => FileFormat::Pcap,
            Kind::Pcapng(_) => FileFormat::Pcapng,
        }
    }

    /// The link type of a pcap file, or of the first interface of a pcapng file
    /// (once it has been read).
    pub fn link_type(&self) -> Option<LinkType> {
        match &self.kind {
            Kind::Pcap(p) => Some(p.link),
            Kind::Pcapng(n) => n.interfaces.first().map(|i| i.link),
        }
    }

    /// Bytes consumed from the input so far.
    pub fn position(&self) -> u64 {
        self.input.pos
    }

    /// The next record, an error about one, or `None` at the end of the file
    /// (or after a fatal error). After a non-fatal error, call again for the
    /// records that follow.
    pub fn next_record(&mut self) -> Option<Result<Record<'_>, FileError>> {
        if self.finished {
            return None;
        }
        let result = match &mut self.kind {
            Kind::Pcap(state) => {
                match crate::pcap::next_in_place(&mut self.input, state, &mut self.next_number) {
                    Some(raw) => Ok(Some(raw)),
                    None => crate::pcap::next(&mut self.input, state, &mut self.next_number),
                }
            }
            Kind::Pcapng(state) => {
                crate::pcapng::next(&mut self.input, state, &mut self.next_number)
            }
        };
        match result {
            Ok(None) => {
                self.finished = true;
                None
            }
            Ok(Some(raw)) => {
                let data = self.input.window().get(raw.data.clone()).unwrap_or(&[]);
                Some(Ok(Record {
                    number: raw.number,
                    offset: raw.offset,
                    ts_ns: raw.ts_ns,
                    link: raw.link,
                    interface: raw.interface,
                    data,
                    orig_len: raw.orig_len,
                    over_snaplen: raw.over_snaplen,
                }))
            }
            Err(e) => {
                if e.is_fatal() {
                    self.finished = true;
                }
                Some(Err(e))
            }
        }
    }
}

impl CaptureReader<File> {
    /// Opens a capture file like [`CaptureReader::new`], but reads a regular
    /// file through a sliding read-only memory map instead of `read(2)`
    /// (no copy of the file's bytes; the resident set stays bounded). Pipes,
    /// character devices and the like are read as streams. Records, numbers,
    /// offsets and errors are the same as [`CaptureReader::new`] gives.
    ///
    /// The file must not be truncated while it is read (see the module docs).
    pub fn from_file(file: File) -> Result<CaptureReader<File>, FileError> {
        CaptureReader::with_input(Input::file(file))
    }
}

/// A record before it borrows the buffer: the format parsers return this.
pub(crate) struct RawRecord {
    pub(crate) number: u64,
    pub(crate) offset: u64,
    pub(crate) ts_ns: u64,
    pub(crate) link: LinkType,
    pub(crate) interface: u32,
    pub(crate) data: std::ops::Range<usize>,
    pub(crate) orig_len: u32,
    pub(crate) over_snaplen: Option<u32>,
}

/// Builds a per-record error.
pub(crate) fn record_error(
    record: u64,
    offset: u64,
    problem: RecordProblem,
    fatal: bool,
) -> FileError {
    FileError::Record {
        record,
        offset,
        problem,
        fatal,
    }
}
