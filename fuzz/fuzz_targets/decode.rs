//! Any bytes through the capture-file reader and the decoder: nothing may
//! panic, and the reader must always make progress. Run with
//! `cargo +nightly fuzz run decode` from the repository root.
#![no_main]

use libfuzzer_sys::fuzz_target;
use synack_capture::{decode, decode_record, CaptureReader, LinkType, Stats};

fuzz_target!(|data: &[u8]| {
    // As a whole capture file.
    if let Ok(mut reader) = CaptureReader::new(data) {
        let mut stats = Stats::default();
        while let Some(item) = reader.next_record() {
            match item {
                Ok(rec) => {
                    let d = decode_record(&rec);
                    if let Ok(p) = &d {
                        assert!(p.payload.len() <= p.hdr.payload_len as usize);
                    }
                    stats.count(&d);
                }
                Err(e) => {
                    let _ = e.to_string();
                    stats.count_file_error();
                }
            }
        }
        let _ = stats.to_string();
    }
    // As one frame of every link type, whole and as if cut by a snaplen.
    if let Some((&selector, frame)) = data.split_first() {
        const LINKS: [LinkType; 10] = [
            LinkType::NULL,
            LinkType::ETHERNET,
            LinkType::RAW_12,
            LinkType::RAW,
            LinkType::LOOP,
            LinkType::LINUX_SLL,
            LinkType::IPV4,
            LinkType::IPV6,
            LinkType::LINUX_SLL2,
            LinkType(147),
        ];
        let link = LINKS[usize::from(selector) % LINKS.len()];
        for orig_len in [frame.len() as u32, frame.len() as u32 + 1000] {
            if let Err(e) = decode(link, frame, orig_len) {
                let _ = e.to_string();
            }
        }
    }
});
