//! Writers of pcap and pcapng files: for `-w FILE` in live capture and for
//! exporting simulated transcripts (see [`crate::export`]). Output is
//! little-endian and byte-for-byte deterministic.

use crate::file::FileFormat;
use crate::link::LinkType;
use std::io::{self, Write};

/// Timestamp resolution of a written file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TsResolution {
    Micro,
    Nano,
}

/// Writes packets of one link type to a pcap or pcapng stream.
#[derive(Debug)]
pub struct CaptureWriter<W: Write> {
    out: W,
    format: FileFormat,
    resolution: TsResolution,
    snaplen: u32,
    packets: u64,
}

impl<W: Write> CaptureWriter<W> {
    /// Writes the file header (pcap) or section header and one interface
    /// description (pcapng, with `if_tsresol` set) and returns the writer.
    pub fn new(
        mut out: W,
        format: FileFormat,
        link: LinkType,
        snaplen: u32,
        resolution: TsResolution,
    ) -> io::Result<CaptureWriter<W>> {
        match format {
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
                out.write_all(&h)?;
            }
            FileFormat::Pcapng => {
                let mut shb = [0u8; 28];
                put(&mut shb, 0, &0x0a0d_0d0au32.to_le_bytes());
                put(&mut shb, 4, &28u32.to_le_bytes());
                put(&mut shb, 8, &0x1a2b_3c4du32.to_le_bytes());
                put(&mut shb, 12, &1u16.to_le_bytes());
                put(&mut shb, 16, &u64::MAX.to_le_bytes()); // section length unknown
                put(&mut shb, 24, &28u32.to_le_bytes());
                out.write_all(&shb)?;
                let mut idb = [0u8; 32];
                put(&mut idb, 0, &1u32.to_le_bytes());
                put(&mut idb, 4, &32u32.to_le_bytes());
                let link16 = u16::try_from(link.0).unwrap_or(u16::MAX);
                put(&mut idb, 8, &link16.to_le_bytes());
                put(&mut idb, 12, &snaplen.to_le_bytes());
                put(&mut idb, 16, &9u16.to_le_bytes()); // if_tsresol
                put(&mut idb, 18, &1u16.to_le_bytes());
                let resol: u8 = match resolution {
                    TsResolution::Micro => 6,
                    TsResolution::Nano => 9,
                };
                put(&mut idb, 20, &[resol]);
                // 24..28: opt_endofopt (zeros).
                put(&mut idb, 28, &32u32.to_le_bytes());
                out.write_all(&idb)?;
            }
        }
        Ok(CaptureWriter {
            out,
            format,
            resolution,
            snaplen,
            packets: 0,
        })
    }

    /// Writes one packet captured at `ts_ns` (nanoseconds since the epoch, or
    /// since the start for simulated runs). `data` beyond the snaplen is cut;
    /// `orig_len` is raised to at least what is written.
    pub fn write_packet(&mut self, ts_ns: u64, data: &[u8], orig_len: u32) -> io::Result<()> {
        let snap = if self.snaplen == 0 {
            usize::MAX
        } else {
            self.snaplen as usize
        };
        let data = data.get(..snap.min(data.len())).unwrap_or(data);
        let caplen = u32::try_from(data.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "packet too large"))?;
        let orig_len = orig_len.max(caplen);
        let ticks = match self.resolution {
            TsResolution::Micro => ts_ns / 1_000,
            TsResolution::Nano => ts_ns,
        };
        match self.format {
            FileFormat::Pcap => {
                let per_sec = match self.resolution {
                    TsResolution::Micro => 1_000_000,
                    TsResolution::Nano => 1_000_000_000,
                };
                let sec = u32::try_from(ticks / per_sec).unwrap_or(u32::MAX);
                let frac = (ticks % per_sec) as u32;
                let mut h = [0u8; 16];
                put(&mut h, 0, &sec.to_le_bytes());
                put(&mut h, 4, &frac.to_le_bytes());
                put(&mut h, 8, &caplen.to_le_bytes());
                put(&mut h, 12, &orig_len.to_le_bytes());
                self.out.write_all(&h)?;
                self.out.write_all(data)?;
            }
            FileFormat::Pcapng => {
                let pad = (4 - data.len() % 4) % 4;
                let total = u32::try_from(32 + data.len() + pad)
                    .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "packet too large"))?;
                let mut h = [0u8; 28];
                put(&mut h, 0, &6u32.to_le_bytes());
                put(&mut h, 4, &total.to_le_bytes());
                // 8..12: interface 0.
                put(&mut h, 12, &((ticks >> 32) as u32).to_le_bytes());
                put(&mut h, 16, &(ticks as u32).to_le_bytes());
                put(&mut h, 20, &caplen.to_le_bytes());
                put(&mut h, 24, &orig_len.to_le_bytes());
                self.out.write_all(&h)?;
                self.out.write_all(data)?;
                self.out.write_all(&[0u8; 3][..pad])?;
                self.out.write_all(&total.to_le_bytes())?;
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
        self.out.flush()
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Copies `bytes` into `buf` at `at`; a no-op if it would not fit (never panics).
fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(dst) = buf.get_mut(at..at + bytes.len()) {
        dst.copy_from_slice(bytes);
    }
}
