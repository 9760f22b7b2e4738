//! The mapped and the streamed input give the same records and the same
//! errors, however the bytes arrive: tiny windows and tiny reads make records
//! and blocks straddle every boundary.

use super::*;
use crate::file::CaptureReader;
use std::io::Write;
use std::path::PathBuf;

/// Everything a reader yields, owned: records or error texts.
fn read_all<R: Read>(reader: Result<CaptureReader<R>, FileError>) -> Vec<String> {
    let mut r = match reader {
        Ok(r) => r,
        Err(e) => return vec![format!("open: {e}")],
    };
    let mut out = Vec::new();
    while let Some(item) = r.next_record() {
        out.push(match item {
            Ok(rec) => format!(
                "{} @{} t={} {:?} if={} {:02x?} orig={}",
                rec.number, rec.offset, rec.ts_ns, rec.link, rec.interface, rec.data, rec.orig_len
            ),
            Err(e) => format!("error: {e} fatal={}", e.is_fatal()),
        });
    }
    out.push(format!("end at {}", r.position()));
    out
}

/// A reader that hands out at most `chunk` bytes a call, and fails with an
/// I/O error at byte `fail_at` (if any).
struct Trickle<'a> {
    bytes: &'a [u8],
    chunk: usize,
    fail_at: Option<usize>,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = self.chunk.min(buf.len()).min(self.bytes.len());
        if let Some(at) = self.fail_at {
            if at == 0 {
                return Err(io::Error::other("the disk is on fire"));
            }
            n = n.min(at);
            self.fail_at = Some(at - n);
        }
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

struct TempFile(PathBuf);

impl TempFile {
    fn new(bytes: &[u8]) -> TempFile {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "synack-input-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        let mut f = File::create(&path).expect("a temporary file can be created");
        f.write_all(bytes)
            .expect("the temporary file can be written");
        TempFile(path)
    }
    fn open(&self) -> File {
        File::open(&self.0).expect("the temporary file opens")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Checks every way in against the plain stream of a byte slice.
fn check_all_ways(bytes: &[u8], windows: &[usize]) {
    let expected = read_all(CaptureReader::new(bytes));
    let tmp = TempFile::new(bytes);
    for &w in windows {
        let mapped = read_all(CaptureReader::with_input(Input::file_with_window(
            tmp.open(),
            w,
        )));
        assert_eq!(
            mapped,
            expected,
            "mapped, window {w}, {} bytes",
            bytes.len()
        );
    }
    let default = read_all(CaptureReader::from_file(tmp.open()));
    assert_eq!(default, expected, "from_file, {} bytes", bytes.len());
    for chunk in [1, 3, 17] {
        let trickled = read_all(CaptureReader::new(Trickle {
            bytes,
            chunk,
            fail_at: None,
        }));
        assert_eq!(trickled, expected, "reads of {chunk} bytes");
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A little-endian pcapng: two sections, an unknown block, every packet
/// block type, built from the records of a pcap fixture.
fn pcapng_from(pcap: &[u8]) -> Vec<u8> {
    fn block(ty: u32, body: &[u8]) -> Vec<u8> {
        let len = (12 + body.len().div_ceil(4) * 4) as u32;
        let mut b = ty.to_le_bytes().to_vec();
        b.extend(len.to_le_bytes());
        b.extend(body);
        b.resize(len as usize - 4, 0);
        b.extend(len.to_le_bytes());
        b
    }
    let shb = || {
        let mut body = 0x1a2b_3c4du32.to_le_bytes().to_vec();
        body.extend([1, 0, 0, 0]);
        body.extend(u64::MAX.to_le_bytes());
        block(0x0a0d_0d0a, &body)
    };
    let idb = || block(1, &[1, 0, 0, 0, 0, 0, 4, 0]);
    let mut out = shb();
    out.extend(idb());
    out.extend(block(0x0bad, &[7; 13]));
    let mut at = 24;
    let mut n = 0u32;
    while let Some(hdr) = pcap.get(at..at + 16) {
        let caplen = u32::from_le_bytes([hdr[8], hdr[9], hdr[10], hdr[11]]) as usize;
        let Some(data) = pcap.get(at + 16..at + 16 + caplen) else {
            break;
        };
        let mut body = Vec::new();
        let kind = n % 3;
        match kind {
            0 | 1 => {
                body.extend([0, 0, 0, 0]);
                body.extend(&hdr[0..4]);
                body.extend(&hdr[4..8]);
                body.extend(&hdr[8..16]);
                body.extend(data);
                out.extend(block(if kind == 0 { 6 } else { 2 }, &body));
            }
            _ => {
                body.extend(&hdr[12..16]);
                body.extend(data);
                out.extend(block(3, &body));
            }
        }
        if n == 5 {
            out.extend(shb());
            out.extend(idb());
        }
        n += 1;
        at += 16 + caplen;
    }
    out
}

fn mutations(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![bytes.to_vec()];
    let step = (bytes.len() / 60).max(1);
    for cut in (0..bytes.len()).step_by(step) {
        out.push(bytes[..cut].to_vec());
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..40 {
        let mut m = bytes.to_vec();
        for _ in 0..3 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            if let Some(b) = m.get_mut((seed % bytes.len().max(1) as u64) as usize) {
                *b = (seed >> 32) as u8;
            }
        }
        out.push(m);
    }
    out
}

#[test]
fn mapped_and_streamed_files_read_the_same() {
    for name in [
        "captures/fast_retransmit.pcap",
        "captures/refused.pcap",
        "bad/unknown_interface.pcapng",
        "bad/last_record_header_cut.pcap",
        "bad/record_data_cut.pcap",
        "bad/caplen_over_snaplen.pcap",
        "bad/empty.pcap",
        "bad/file_header_cut.pcap",
    ] {
        check_all_ways(&fixture(name), &[1, 13, 100, 4096, MAP_WINDOW]);
    }
}

#[test]
fn damaged_files_read_the_same_mapped_and_streamed() {
    let pcap = fixture("captures/zero_window.pcap");
    let pcapng = pcapng_from(&pcap);
    // The pcapng really holds every kind of block: its records number as many.
    let records = read_all(CaptureReader::new(&pcapng[..]));
    assert!(records.len() > 20, "{records:?}");
    assert!(
        records.iter().all(|r| !r.starts_with("error")),
        "{records:?}"
    );
    for bytes in mutations(&pcap).iter().chain(&mutations(&pcapng)) {
        check_all_ways(bytes, &[1, 64, 1000]);
    }
}

#[test]
fn a_read_error_names_the_offset_of_the_bytes_read_before_it() {
    let pcap = fixture("captures/refused.pcap");
    for fail_at in [0, 10, 24, 30, 100, pcap.len() - 1] {
        let items = read_all(CaptureReader::new(Trickle {
            bytes: &pcap,
            chunk: 7,
            fail_at: Some(fail_at),
        }));
        let text =
            format!("Reading the capture failed at byte offset {fail_at}: the disk is on fire.");
        assert!(
            items.iter().any(|i| i.contains(&text)),
            "fail at {fail_at}: {items:?}"
        );
    }
}

#[test]
fn a_device_is_read_as_a_stream() {
    // Not a regular file: from_file must not map it.
    let Ok(null) = File::open("/dev/null") else {
        return;
    };
    let items = read_all(CaptureReader::from_file(null));
    assert_eq!(items, vec![format!("open: {}", FileError::Empty)]);
}
