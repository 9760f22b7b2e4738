//! Send and receive buffers of an endpoint.
//!
//! The send buffer holds the bytes from SND.UNA on; `send N bytes` is kept as
//! a pattern, not as N bytes, so a 100 MB transfer does not need 100 MB.
//! The receive buffer holds in-order bytes the app has not read, plus a
//! reassembly queue of out-of-order segments keyed by stream offset (a
//! `BTreeMap` on `u64` offsets, so wraparound never reaches the ordering).

use std::collections::{BTreeMap, VecDeque};

/// The byte at stream offset `off` of a `send N bytes` pattern: the alphabet,
/// over and over, so a reader can spot a missing or repeated stretch.
pub fn pattern_byte(off: u64) -> u8 {
    b'a' + (off % 26) as u8
}

/// Appends `n` pattern bytes starting at stream offset `off`, a slice at a time.
fn extend_pattern(out: &mut Vec<u8>, off: u64, n: u64) {
    const ABC: &[u8; 26] = b"abcdefghijklmnopqrstuvwxyz";
    let mut pos = (off % 26) as usize;
    let mut left = n as usize;
    out.reserve(left);
    while left > 0 {
        let take = (26 - pos).min(left);
        out.extend_from_slice(&ABC[pos..pos + take]);
        left -= take;
        pos = 0;
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Chunk {
    Bytes(Vec<u8>),
    /// `len` bytes of pattern, starting at stream offset `start`.
    Pattern {
        start: u64,
        len: u64,
    },
}

impl Chunk {
    fn len(&self) -> u64 {
        match self {
            Chunk::Bytes(b) => b.len() as u64,
            Chunk::Pattern { len, .. } => *len,
        }
    }
}

/// Bytes written by the app and not yet acknowledged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendBuffer {
    chunks: VecDeque<Chunk>,
    /// Offset into the first chunk of the first unacknowledged byte.
    head_skip: u64,
    len: u64,
    /// Stream offset of the next byte the app writes (for patterns).
    written: u64,
}

impl SendBuffer {
    /// Bytes buffered (unacknowledged, sent or not).
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push_bytes(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.len += data.len() as u64;
        self.written += data.len() as u64;
        self.chunks.push_back(Chunk::Bytes(data.to_vec()));
    }

    pub fn push_pattern(&mut self, n: u64) {
        if n == 0 {
            return;
        }
        self.chunks.push_back(Chunk::Pattern {
            start: self.written,
            len: n,
        });
        self.len += n;
        self.written += n;
    }

    /// Drops `n` acknowledged bytes from the front.
    pub fn consume(&mut self, mut n: u64) {
        n = n.min(self.len);
        self.len -= n;
        while n > 0 {
            let Some(front) = self.chunks.front() else {
                break;
            };
            let avail = front.len() - self.head_skip;
            if n >= avail {
                n -= avail;
                self.head_skip = 0;
                self.chunks.pop_front();
            } else {
                self.head_skip += n;
                n = 0;
            }
        }
    }

    /// Copies up to `max` bytes starting `from` bytes after the first
    /// unacknowledged one into `out` (cleared first).
    pub fn copy_out(&self, from: u64, max: usize, out: &mut Vec<u8>) {
        out.clear();
        let mut skip = from + self.head_skip;
        let mut want = max as u64;
        for chunk in &self.chunks {
            if want == 0 {
                break;
            }
            let clen = chunk.len();
            if skip >= clen {
                skip -= clen;
                continue;
            }
            let take = (clen - skip).min(want);
            match chunk {
                Chunk::Bytes(b) => out.extend_from_slice(&b[skip as usize..(skip + take) as usize]),
                Chunk::Pattern { start, .. } => extend_pattern(out, start + skip, take),
            }
            want -= take;
            skip = 0;
        }
    }
}

/// A running FNV-1a (64-bit) digest of the bytes an app has read, so tests
/// can check a whole stream's content without keeping it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadDigest(pub u64);

impl Default for ReadDigest {
    fn default() -> Self {
        ReadDigest(0xcbf2_9ce4_8422_2325)
    }
}

impl ReadDigest {
    pub fn update(&mut self, bytes: impl IntoIterator<Item = u8>) {
        for b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// What a read returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Read {
    Data(Vec<u8>),
    /// End of stream: the peer's FIN was received and all data read.
    Eof,
    /// Nothing to read yet.
    WouldBlock,
}

/// Received bytes, in order and out of order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecvBuffer {
    ready: VecDeque<u8>,
    /// Out-of-order data by stream offset (offset 0 = the first data byte).
    ooo: BTreeMap<u64, Vec<u8>>,
    ooo_bytes: u64,
    /// Stream offset of the next in-order byte expected.
    next: u64,
    /// Stream offset of the peer's FIN, once seen (in or out of order).
    fin_at: Option<u64>,
    /// The FIN has been reached in order.
    fin_reached: bool,
    /// Bytes the app has read in total.
    read_total: u64,
    /// Digest of every byte the app has read, in order.
    digest: ReadDigest,
}

impl RecvBuffer {
    /// Unread in-order bytes.
    pub fn ready_len(&self) -> usize {
        self.ready.len()
    }

    pub fn ooo_bytes(&self) -> u64 {
        self.ooo_bytes
    }

    pub fn next_offset(&self) -> u64 {
        self.next
    }

    pub fn fin_reached(&self) -> bool {
        self.fin_reached
    }

    pub fn read_total(&self) -> u64 {
        self.read_total
    }

    pub fn read_digest(&self) -> ReadDigest {
        self.digest
    }

    /// Stores `data` at stream offset `off` (already trimmed to the window by
    /// the caller) and a FIN right after it when `fin`. Returns the number of
    /// bytes that became readable in order.
    pub fn insert(&mut self, off: u64, data: &[u8], fin: bool) -> u64 {
        if fin {
            self.fin_at = Some(off + data.len() as u64);
        }
        let before = self.next;
        let end = off + data.len() as u64;
        if end > self.next {
            if off <= self.next {
                let skip = (self.next - off) as usize;
                self.ready.extend(&data[skip..]);
                self.next = end;
            } else if !self.ooo.contains_key(&off)
                || self
                    .ooo
                    .get(&off)
                    .is_some_and(|v| (v.len() as u64) < data.len() as u64)
            {
                if let Some(old) = self.ooo.insert(off, data.to_vec()) {
                    self.ooo_bytes -= old.len() as u64;
                }
                self.ooo_bytes += data.len() as u64;
            }
        }
        // Pull in whatever the reassembly queue now continues.
        while let Some((&o, _)) = self.ooo.first_key_value() {
            if o > self.next {
                break;
            }
            let Some((o, seg)) = self.ooo.pop_first() else {
                break;
            };
            self.ooo_bytes -= seg.len() as u64;
            let seg_end = o + seg.len() as u64;
            if seg_end > self.next {
                let skip = (self.next - o) as usize;
                self.ready.extend(&seg[skip..]);
                self.next = seg_end;
            }
        }
        if self.fin_at == Some(self.next) {
            self.fin_reached = true;
        }
        self.next - before
    }

    /// Reads up to `max` bytes.
    pub fn read(&mut self, max: usize) -> Read {
        if self.ready.is_empty() {
            return if self.fin_reached {
                Read::Eof
            } else {
                Read::WouldBlock
            };
        }
        let n = max.min(self.ready.len());
        let out: Vec<u8> = self.ready.drain(..n).collect();
        self.digest.update(out.iter().copied());
        self.read_total += n as u64;
        Read::Data(out)
    }

    /// Reads and discards up to `max` bytes, returning how many (bulk readers).
    pub fn read_discard(&mut self, max: usize) -> usize {
        let n = max.min(self.ready.len());
        self.digest.update(self.ready.drain(..n));
        self.read_total += n as u64;
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_buffer_mixes_bytes_and_patterns() {
        let mut b = SendBuffer::default();
        b.push_bytes(b"xy");
        b.push_pattern(30);
        let mut out = Vec::new();
        b.copy_out(0, 5, &mut out);
        assert_eq!(out, b"xycde"); // pattern starts at stream offset 2 -> 'c'
        b.consume(3);
        b.copy_out(0, 3, &mut out);
        assert_eq!(out, b"def");
        assert_eq!(b.len(), 29);
        b.copy_out(27, 10, &mut out);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn reassembly_fills_a_hole() {
        let mut r = RecvBuffer::default();
        assert_eq!(r.insert(3, b"def", false), 0);
        assert_eq!(r.ooo_bytes(), 3);
        assert_eq!(r.insert(0, b"abc", false), 6);
        assert_eq!(r.read(100), Read::Data(b"abcdef".to_vec()));
        assert_eq!(r.read(100), Read::WouldBlock);
    }

    #[test]
    fn out_of_order_fin_is_reached_after_the_hole() {
        let mut r = RecvBuffer::default();
        r.insert(2, b"c", true);
        assert!(!r.fin_reached());
        r.insert(0, b"ab", false);
        assert!(r.fin_reached());
        assert_eq!(r.read(1), Read::Data(b"a".to_vec()));
        assert_eq!(r.read(9), Read::Data(b"bc".to_vec()));
        assert_eq!(r.read(9), Read::Eof);
    }

    #[test]
    fn duplicate_and_overlapping_data_is_not_delivered_twice() {
        let mut r = RecvBuffer::default();
        r.insert(0, b"abc", false);
        r.insert(1, b"bcd", false);
        assert_eq!(r.read(9), Read::Data(b"abcd".to_vec()));
    }
}
