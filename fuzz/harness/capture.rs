//! The capture-file readers (pcap, pcapng) and the link/IP/TCP decoder.

use std::io::Read;
use synack_capture::{decode as decode_frame, decode_tunneled, CaptureReader, Feed, LinkType};
use synack_sim::transcript::{Event, Sink};

/// A sink that wants every event and keeps none.
struct Drain;

impl Sink for Drain {
    fn event(&mut self, ev: &Event<'_>) -> std::io::Result<()> {
        std::hint::black_box(ev);
        Ok(())
    }
}

/// Hands out its bytes a few at a time (sizes from the data itself), so the
/// reader's buffer refills at every possible boundary.
struct Chunked<'a> {
    data: &'a [u8],
    pos: usize,
    turn: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = self.data.get(self.pos..).unwrap_or(&[]);
        let size = 1 + usize::from(self.data.get(self.turn).copied().unwrap_or(7)) % 61;
        self.turn = self.turn.wrapping_add(1) % self.data.len().max(1);
        let n = size.min(buf.len()).min(rest.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

/// What a reader gave, record by record, comparable across inputs.
#[derive(Debug, PartialEq, Eq)]
enum Item {
    Record {
        number: u64,
        offset: u64,
        ts_ns: u64,
        link: u32,
        interface: u32,
        data: Vec<u8>,
        orig_len: u32,
        over_snaplen: Option<u32>,
    },
    Error(String),
}

/// Reads a whole capture through the feed `annotate` uses; returns what it
/// read (or the opening error) and the number of segments decoded.
fn read_all<R: Read>(reader: R) -> (Vec<Item>, u64) {
    let mut items = Vec::new();
    let mut decoded = 0u64;
    let mut reader = match CaptureReader::new(reader) {
        Ok(r) => r,
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.is_empty() && !msg.contains('\n'), "{msg:?}");
            return (vec![Item::Error(msg)], 0);
        }
    };
    let mut feed = Feed::new();
    let mut last_number = 0u64;
    while let Some(item) = reader.next_record() {
        match item {
            Ok(rec) => {
                assert!(rec.number > last_number, "record numbers go up");
                last_number = rec.number;
                assert!(rec.data.len() as u64 <= u64::from(synack_capture::MAX_CAPLEN));
                if let Ok(d) = decode_tunneled(rec.link, rec.data, rec.orig_len) {
                    assert!(d.packet.payload.len() <= d.packet.hdr.payload_len as usize);
                    decoded += 1;
                }
                let _ = feed.record(&rec, &mut Drain);
                items.push(Item::Record {
                    number: rec.number,
                    offset: rec.offset,
                    ts_ns: rec.ts_ns,
                    link: rec.link.0,
                    interface: rec.interface,
                    data: rec.data.to_vec(),
                    orig_len: rec.orig_len,
                    over_snaplen: rec.over_snaplen,
                });
            }
            Err(e) => {
                let msg = e.to_string();
                // A record's error names its number and byte offset.
                if e.record().is_some() {
                    assert!(
                        msg.starts_with("Record ") && msg.contains("byte offset"),
                        "{msg}"
                    );
                }
                feed.stats.count_file_error();
                items.push(Item::Error(msg));
            }
        }
        // A reader that never ends would hang annotate: every item consumes
        // at least one byte or ends the file, so there are never more items
        // than bytes (plus the end).
        assert!(
            items.len() <= reader.position() as usize + 1,
            "the reader stalls"
        );
    }
    let _ = feed.stats.to_string();
    assert_eq!(feed.summaries().len(), feed.conn_count());
    (items, decoded)
}

/// The same bytes read whole and read in small pieces give the same records
/// and errors.
fn read_both(data: &[u8]) -> u64 {
    let (whole, decoded) = read_all(data);
    let (chunked, _) = read_all(Chunked {
        data,
        pos: 0,
        turn: 0,
    });
    assert_eq!(whole, chunked, "reading in pieces changed what was read");
    decoded + whole.len() as u64
}

/// The pcap reader: the input is made to start with one of pcap's four
/// magic numbers (chosen by its first byte when it has none).
pub fn pcap(data: &[u8]) -> u64 {
    const MAGICS: [[u8; 4]; 4] = [
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
    ];
    match data.get(..4) {
        Some(m) if MAGICS.iter().any(|k| k == m) => read_both(data),
        Some(m) => {
            let mut v = data.to_vec();
            v[..4].copy_from_slice(&MAGICS[usize::from(m[0]) % 4]);
            read_both(&v)
        }
        None => read_both(data),
    }
}

/// The pcapng reader: the input is made to start with a section header block.
pub fn pcapng(data: &[u8]) -> u64 {
    const SHB: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
    if data.len() >= 4 && data[..4] != SHB {
        let mut v = data.to_vec();
        v[..4].copy_from_slice(&SHB);
        read_both(&v)
    } else {
        read_both(data)
    }
}

/// Link/IP/TCP decode: the input as a whole capture file, then as one frame
/// of every supported link type (and an unknown one), whole and as if cut by
/// a snaplen.
pub fn decode(data: &[u8]) -> u64 {
    let (_, mut decoded) = read_all(data);
    if let Some((&selector, frame)) = data.split_first() {
        let links = LinkType::SUPPORTED;
        let link = links
            .get(usize::from(selector) % (links.len() + 1))
            .copied()
            .unwrap_or(LinkType(147));
        for orig_len in [frame.len() as u32, frame.len() as u32 + 1000] {
            match decode_tunneled(link, frame, orig_len) {
                Ok(d) => {
                    assert!(d.packet.payload.len() <= d.packet.hdr.payload_len as usize);
                    let _ = d.tunnel.map(|t| t.to_string());
                    decoded += 1;
                }
                Err(e) => {
                    let _ = e.to_string();
                }
            }
            let _ = decode_frame(link, frame, orig_len);
        }
    }
    decoded
}
