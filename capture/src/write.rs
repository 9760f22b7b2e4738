//! Writers of pcap and pcapng files: for `-w FILE` in live capture and for
//! exporting simulated transcripts (see [`crate::export`]). Output is
//! little-endian and byte-for-byte deterministic.
//!
//! pcapng blocks are the `pcap-file` crate's (`PcapNgWriter`): a
//! maintained implementation of the format, options included (a packet's
//! comment, an interface's description). Its speed was measured against the
//! hand-written writer it replaced (`cargo run --release -p synack-capture
//! --example write_speed`; the numbers are in docs/diagrams.md, "Annotated
//! exports"). pcap stays the 24-byte file header and 16-byte record header
//! written here: `pcap-file` 2's `PcapWriter` keeps its writer to itself
//! (no `get_mut`), and live capture flushes the file as it goes.
//!
//! pcapng files are written with nanosecond timestamps (`if_tsresol` = 9)
//! whatever resolution is asked for: `pcap-file` 2 writes an Enhanced
//! Packet Block's timestamp in nanoseconds, so the interface must say so.

use crate::file::{FileFormat, MAX_CAPLEN};
use crate::link::LinkType;
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::SectionHeaderBlock;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::{DataLink, Endianness, PcapError};
use std::borrow::Cow;
use std::io::{self, Write};
use std::time::Duration;

/// Timestamp resolution of a written file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TsResolution {
    Micro,
    Nano,
}

/// The format's writer.
enum Inner<W: Write> {
    Pcap(W),
    PcapNg(PcapNgWriter<W>),
}

/// Writes packets of one link type to a pcap or pcapng stream.
pub struct CaptureWriter<W: Write> {
    inner: Inner<W>,
    resolution: TsResolution,
    snaplen: u32,
    packets: u64,
}

impl<W: Write> std::fmt::Debug for CaptureWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureWriter")
            .field("resolution", &self.resolution)
            .field("snaplen", &self.snaplen)
            .field("packets", &self.packets)
            .finish_non_exhaustive()
    }
}

fn io_error(e: PcapError) -> io::Error {
    match e {
        PcapError::IoError(e) => e,
        other => io::Error::new(io::ErrorKind::InvalidInput, other.to_string()),
    }
}

impl<W: Write> CaptureWriter<W> {
    /// Writes the file header (pcap) or section header and one interface
    /// description (pcapng, with `if_tsresol`) and returns the writer.
    pub fn new(
        out: W,
        format: FileFormat,
        link: LinkType,
        snaplen: u32,
        resolution: TsResolution,
    ) -> io::Result<CaptureWriter<W>> {
        Self::with_description(out, format, link, snaplen, resolution, None)
    }

    /// [`CaptureWriter::new`], and in pcapng an interface description
    /// (`if_description`) saying what the packets are.
    pub fn with_description(
        out: W,
        format: FileFormat,
        link: LinkType,
        snaplen: u32,
        resolution: TsResolution,
        description: Option<&str>,
    ) -> io::Result<CaptureWriter<W>> {
        let snaplen = if snaplen == 0 { MAX_CAPLEN } else { snaplen };
        let inner = match format {
            FileFormat::Pcap => {
                let magic: u32 = match resolution {
                    TsResolution::Micro => 0xa1b2_c3d4,
                    TsResolution::Nano => 0xa1b2_3c4d,
                };
                let mut h = [0u8; 24];
                put(&mut h, 0, &magic.to_le_bytes());
                put(&mut h, 4, &2u16.to_le_bytes());
                put(&mut h, 6, &4u16.to_le_bytes());
                put(&mut h, 16, &snaplen.to_le_bytes());
                put(&mut h, 20, &link.0.to_le_bytes());
                let mut out = out;
                out.write_all(&h)?;
                Inner::Pcap(out)
            }
            FileFormat::Pcapng => {
                let section = SectionHeaderBlock {
                    endianness: Endianness::Little,
                    ..SectionHeaderBlock::default()
                };
                let mut w = PcapNgWriter::with_section_header(out, section).map_err(io_error)?;
                let mut options = Vec::new();
                if let Some(d) = description {
                    options.push(InterfaceDescriptionOption::IfDescription(Cow::Owned(
                        d.to_string(),
                    )));
                }
                options.push(InterfaceDescriptionOption::IfTsResol(9));
                w.write_pcapng_block(InterfaceDescriptionBlock {
                    linktype: DataLink::from(link.0),
                    snaplen,
                    options,
                })
                .map_err(io_error)?;
                Inner::PcapNg(w)
            }
        };
        Ok(CaptureWriter {
            inner,
            resolution,
            snaplen,
            packets: 0,
        })
    }

    /// Writes one packet captured at `ts_ns` (nanoseconds since the epoch, or
    /// since the start for simulated runs). `data` beyond the snaplen is cut;
    /// `orig_len` is raised to at least what is written.
    pub fn write_packet(&mut self, ts_ns: u64, data: &[u8], orig_len: u32) -> io::Result<()> {
        self.write_packet_commented(ts_ns, data, orig_len, None)
    }

    /// [`CaptureWriter::write_packet`] with a comment (`opt_comment` of the
    /// Enhanced Packet Block); pcap has no place for one and drops it.
    pub fn write_packet_commented(
        &mut self,
        ts_ns: u64,
        data: &[u8],
        orig_len: u32,
        comment: Option<&str>,
    ) -> io::Result<()> {
        let data = data
            .get(..(self.snaplen as usize).min(data.len()))
            .unwrap_or(data);
        let caplen = u32::try_from(data.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "packet too large"))?;
        let orig_len = orig_len.max(caplen);
        match &mut self.inner {
            Inner::Pcap(out) => {
                let (ticks, per_sec) = match self.resolution {
                    TsResolution::Micro => (ts_ns / 1_000, 1_000_000),
                    TsResolution::Nano => (ts_ns, 1_000_000_000),
                };
                let sec = u32::try_from(ticks / per_sec).unwrap_or(u32::MAX);
                let frac = (ticks % per_sec) as u32;
                let mut h = [0u8; 16];
                put(&mut h, 0, &sec.to_le_bytes());
                put(&mut h, 4, &frac.to_le_bytes());
                put(&mut h, 8, &caplen.to_le_bytes());
                put(&mut h, 12, &orig_len.to_le_bytes());
                out.write_all(&h)?;
                out.write_all(data)?;
            }
            Inner::PcapNg(w) => {
                let timestamp = Duration::from_nanos(match self.resolution {
                    TsResolution::Micro => ts_ns / 1_000 * 1_000,
                    TsResolution::Nano => ts_ns,
                });
                let options = comment
                    .map(|c| vec![EnhancedPacketOption::Comment(Cow::Borrowed(c))])
                    .unwrap_or_default();
                w.write_pcapng_block(EnhancedPacketBlock {
                    interface_id: 0,
                    timestamp,
                    original_len: orig_len,
                    data: Cow::Borrowed(data),
                    options,
                })
                .map_err(io_error)?;
            }
        }
        self.packets += 1;
        Ok(())
    }

    /// Packets written so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Inner::Pcap(w) => w.flush(),
            Inner::PcapNg(w) => w.get_mut().flush(),
        }
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(self) -> io::Result<W> {
        let mut out = match self.inner {
            Inner::Pcap(w) => w,
            Inner::PcapNg(w) => w.into_inner(),
        };
        out.flush()?;
        Ok(out)
    }
}

/// Copies `bytes` into `buf` at `at`; a no-op if it would not fit (never panics).
fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(dst) = buf.get_mut(at..at + bytes.len()) {
        dst.copy_from_slice(bytes);
    }
}
