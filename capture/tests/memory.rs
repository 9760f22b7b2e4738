//! Peak memory must not grow with the file: stream a large synthetic capture
//! (generated on the fly, never held in memory) through reader and decoder
//! and check the process's peak resident set stays small.

mod common;
use common::*;
use std::io::Read;
use synack_capture::{decode_record, CaptureReader, Stats};

/// A pcap file of `records` copies of one record, produced as it is read.
struct Generated {
    header: Vec<u8>,
    record: Vec<u8>,
    records: u64,
    pos: usize,
    emitted: u64,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let src = if !self.header.is_empty() {
            &mut self.header
        } else if self.emitted < self.records {
            &mut self.record
        } else {
            return Ok(0);
        };
        let n = buf.len().min(src.len() - self.pos);
        buf[..n].copy_from_slice(&src[self.pos..self.pos + n]);
        self.pos += n;
        if self.pos == src.len() {
            self.pos = 0;
            if !self.header.is_empty() {
                self.header.clear();
            } else {
                self.emitted += 1;
            }
        }
        Ok(n)
    }
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn peak_memory_does_not_grow_with_the_file() {
    let frame = ethernet(&ipv4_data(&[0x5a; 1400]));
    let record = pcap_record(Endian::Little, &rec(1, 2, &frame));
    let record_len = record.len() as u64;
    let records = (512u64 << 20) / record_len; // 512 MiB of capture
    let input = Generated {
        header: pcap_header(Endian::Little, false, 65535, 1),
        record,
        records,
        pos: 0,
        emitted: 0,
    };
    let mut reader = CaptureReader::new(input).unwrap();
    let mut stats = Stats::default();
    let mut bytes = 0u64;
    while let Some(r) = reader.next_record() {
        let r = r.unwrap();
        let p = decode_record(&r);
        if let Ok(p) = &p {
            bytes += p.payload.len() as u64;
        }
        stats.count(&p);
    }
    assert_eq!(stats.tcp, records);
    assert_eq!(bytes, records * 1400);
    assert_eq!(reader.position(), 24 + records * record_len);
    match peak_rss_kib() {
        Some(kib) => assert!(
            kib < 64 * 1024,
            "peak RSS {kib} KiB after streaming 512 MiB"
        ),
        None => println!("skipped the RSS check: /proc/self/status has no VmHWM"),
    }
}
