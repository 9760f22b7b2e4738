//! Any bytes through the capture-file reader, the decoder and the feed
//! (one observer per tunnel, renumbered): nothing may panic, and the reader
//! must always make progress. Run with `cargo +nightly fuzz run decode`
//! from the repository root.
#![no_main]

use libfuzzer_sys::fuzz_target;
use synack_capture::{decode, decode_tunneled, CaptureReader, Feed, LinkType};
use synack_sim::transcript::{Event, Sink};

/// A sink that wants every event and keeps none.
struct Drain;

impl Sink for Drain {
    fn event(&mut self, ev: &Event<'_>) -> std::io::Result<()> {
        std::hint::black_box(ev);
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    // As a whole capture file, through the feed annotate uses.
    if let Ok(mut reader) = CaptureReader::new(data) {
        let mut feed = Feed::new();
        while let Some(item) = reader.next_record() {
            match item {
                Ok(rec) => {
                    if let Ok(d) = decode_tunneled(rec.link, rec.data, rec.orig_len) {
                        assert!(d.packet.payload.len() <= d.packet.hdr.payload_len as usize);
                    }
                    let _ = feed.record(&rec, &mut Drain);
                }
                Err(e) => {
                    let _ = e.to_string();
                    feed.stats.count_file_error();
                }
            }
        }
        let _ = feed.stats.to_string();
        assert_eq!(feed.summaries().len(), feed.conn_count());
    }
    // As one frame of every supported link type (and an unknown one),
    // whole and as if cut by a snaplen.
    if let Some((&selector, frame)) = data.split_first() {
        let links = LinkType::SUPPORTED;
        let link = links
            .get(usize::from(selector) % (links.len() + 1))
            .copied()
            .unwrap_or(LinkType(147));
        for orig_len in [frame.len() as u32, frame.len() as u32 + 1000] {
            match decode_tunneled(link, frame, orig_len) {
                Ok(d) => {
                    let _ = d.tunnel.map(|t| t.to_string());
                }
                Err(e) => {
                    let _ = e.to_string();
                }
            }
            let _ = decode(link, frame, orig_len);
        }
    }
});
