//! Send and receive buffers of an endpoint.
//!
//! The send buffer holds the bytes from SND.UNA on; `send N bytes` is kept as
//! a pattern, not as N bytes, so a 100 MB transfer does not need 100 MB, and
//! the segments cut from it carry pattern ranges too (`crate::payload`).
//! The receive buffer holds in-order bytes the app has not read (pattern
//! ranges stay ranges), plus a reassembly queue of out-of-order segments
//! keyed by stream offset (a `BTreeMap` on `u64` offsets, so wraparound
//! never reaches the ordering).

use super::digest::ReadDigest;
use crate::payload::{Payload, PayloadRef};
use std::collections::{BTreeMap, VecDeque};

/// A queue of bytes: chunks in order, the first `head_skip` bytes of the
/// first chunk already gone. Both buffers are one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Chunks {
    chunks: VecDeque<Payload>,
    head_skip: u64,
    len: u64,
}

impl Chunks {
    /// Appends `p`; a pattern run that continues the last one extends it.
    fn push(&mut self, p: PayloadRef<'_>) {
        if p.is_empty() {
            return;
        }
        self.len += p.len();
        if let (PayloadRef::Pattern { start, len }, Some(Payload::Pattern { start: s, len: l })) =
            (p, self.chunks.back_mut())
        {
            if *s + *l == start {
                *l += len;
                return;
            }
        }
        self.chunks.push_back(p.to_owned());
    }

    /// Drops `n` bytes from the front, showing each stretch to `visit` first.
    fn consume(&mut self, n: u64, mut visit: impl FnMut(PayloadRef<'_>)) {
        let mut n = n.min(self.len);
        self.len -= n;
        while n > 0 {
            let Some(front) = self.chunks.front() else {
                break;
            };
            let flen = front.len();
            let take = n.min(flen - self.head_skip);
            visit(front.sub(self.head_skip, self.head_skip + take));
            n -= take;
            if self.head_skip + take == flen {
                self.head_skip = 0;
                self.chunks.pop_front();
            } else {
                self.head_skip += take;
            }
        }
    }

    /// Up to `max` bytes starting `from` bytes in: a range of one chunk where
    /// they lie in one (a pattern stays a pattern), else a copy.
    fn slice(&self, from: u64, max: u64) -> Payload {
        let mut skip = from + self.head_skip;
        let mut want = max.min(self.len.saturating_sub(from));
        let mut out: Option<Vec<u8>> = None;
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
            let piece = chunk.sub(skip, skip + take);
            want -= take;
            skip = 0;
            match &mut out {
                None if want == 0 => return piece.to_owned(),
                None => {
                    let mut v = Vec::with_capacity((take + want) as usize);
                    piece.extend_into(&mut v);
                    out = Some(v);
                }
                Some(v) => piece.extend_into(v),
            }
        }
        out.map_or(Payload::EMPTY, Payload::Bytes)
    }
}

/// Bytes written by the app and not yet acknowledged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendBuffer {
    data: Chunks,
    /// Stream offset of the next byte the app writes (for patterns).
    written: u64,
}

impl SendBuffer {
    /// Bytes buffered (unacknowledged, sent or not).
    pub fn len(&self) -> u64 {
        self.data.len
    }

    pub fn is_empty(&self) -> bool {
        self.data.len == 0
    }

    pub fn push_bytes(&mut self, data: &[u8]) {
        self.written += data.len() as u64;
        self.data.push(PayloadRef::Bytes(data));
    }

    pub fn push_pattern(&mut self, n: u64) {
        let start = self.written;
        self.written += n;
        self.data.push(PayloadRef::Pattern { start, len: n });
    }

    /// Drops `n` acknowledged bytes from the front.
    pub fn consume(&mut self, n: u64) {
        self.data.consume(n, |_| {});
    }

    /// Up to `max` bytes starting `from` bytes after the first
    /// unacknowledged one: a segment's payload.
    pub fn slice(&self, from: u64, max: usize) -> Payload {
        self.data.slice(from, max as u64)
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
    ready: Chunks,
    /// Out-of-order data by stream offset (offset 0 = the first data byte).
    ooo: BTreeMap<u64, Payload>,
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
        self.ready.len as usize
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
    pub fn insert<'a>(&mut self, off: u64, data: impl Into<PayloadRef<'a>>, fin: bool) -> u64 {
        let data = data.into();
        let len = data.len();
        if fin {
            self.fin_at = Some(off + len);
        }
        let before = self.next;
        let end = off + len;
        if end > self.next {
            if off <= self.next {
                self.ready.push(data.sub(self.next - off, len));
                self.next = end;
            } else if self.ooo.get(&off).is_none_or(|v| v.len() < len) {
                if let Some(old) = self.ooo.insert(off, data.to_owned()) {
                    self.ooo_bytes -= old.len();
                }
                self.ooo_bytes += len;
            }
        }
        // Pull in whatever the reassembly queue now continues.
        while let Some(entry) = self.ooo.first_entry() {
            if *entry.key() > self.next {
                break;
            }
            let (o, seg) = entry.remove_entry();
            self.ooo_bytes -= seg.len();
            let seg_end = o + seg.len();
            if seg_end > self.next {
                self.ready.push(seg.sub(self.next - o, seg.len()));
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
        if self.ready.len == 0 {
            return if self.fin_reached {
                Read::Eof
            } else {
                Read::WouldBlock
            };
        }
        let n = (max as u64).min(self.ready.len);
        let mut out = Vec::with_capacity(n as usize);
        self.ready.consume(n, |p| p.extend_into(&mut out));
        self.digest.update(out.iter().copied());
        self.read_total += n;
        Read::Data(out)
    }

    /// Reads and discards up to `max` bytes, returning how many (bulk
    /// readers): pattern runs go into the digest without being made.
    pub fn read_discard(&mut self, max: usize) -> usize {
        let n = (max as u64).min(self.ready.len);
        let digest = &mut self.digest;
        self.ready.consume(n, |p| digest.update_payload(p));
        self.read_total += n;
        n as usize
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
        assert_eq!(b.slice(0, 5).to_vec(), b"xycde"); // pattern starts at stream offset 2 -> 'c'
        b.consume(3);
        assert_eq!(b.slice(0, 3), Payload::Pattern { start: 3, len: 3 });
        assert_eq!(b.slice(0, 3).to_vec(), b"def");
        assert_eq!(b.len(), 29);
        assert_eq!(b.slice(27, 10).len(), 2);
        assert_eq!(b.slice(29, 10), Payload::EMPTY);
        b.push_pattern(4);
        // One run: the second send continues the first.
        assert_eq!(b.slice(20, 13), Payload::Pattern { start: 23, len: 13 });
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
