//! The bytes a simulated segment carries, without necessarily holding them.
//!
//! `send N bytes` writes a generated pattern (the alphabet, over and over).
//! Its bytes are never stored: a send buffer keeps the pattern as a range,
//! a segment carries the range it covers, and a receive buffer keeps ranges
//! until the app reads them. A 100 MB transfer then costs the simulator per
//! segment, not per byte (measured in bench/README.md: the byte copies were
//! half of the instructions of `synack sim` on the 100 MB benchmark). The
//! bytes are made only where someone looks at them: a transcript event, a
//! capture file, a `recv` that returns data.
//!
//! [`Payload`] owns its bytes or range; [`PayloadRef`] borrows a stretch of
//! one, so a receiver can trim a segment to its window without copying.

use std::borrow::Cow;

/// The length of the pattern's period: `a` to `z`.
pub const PATTERN_PERIOD: u64 = 26;

/// The byte at stream offset `off` of a `send N bytes` pattern: the alphabet,
/// over and over, so a reader can spot a missing or repeated stretch.
pub fn pattern_byte(off: u64) -> u8 {
    b'a' + (off % PATTERN_PERIOD) as u8
}

/// 64 periods of the pattern: a segment's worth (up to 1664 bytes) in one copy.
const PATTERN_RUN: [u8; 64 * PATTERN_PERIOD as usize] = {
    let mut t = [0; 64 * PATTERN_PERIOD as usize];
    let mut i = 0;
    while i < t.len() {
        t[i] = b'a' + (i % PATTERN_PERIOD as usize) as u8;
        i += 1;
    }
    t
};

/// Appends `n` pattern bytes starting at stream offset `off`, a slice at a time.
pub fn extend_pattern(out: &mut Vec<u8>, off: u64, n: u64) {
    let mut pos = (off % PATTERN_PERIOD) as usize;
    let mut left = n as usize;
    out.reserve(left);
    while left > 0 {
        // The table is whole periods, so the next slice starts at phase 0.
        let take = (PATTERN_RUN.len() - pos).min(left);
        out.extend_from_slice(&PATTERN_RUN[pos..pos + take]);
        left -= take;
        pos = 0;
    }
}

/// A segment's payload, or a stretch of a buffer: bytes, or `len` bytes of
/// the pattern from stream offset `start` (see [`pattern_byte`]).
///
/// Equality is by content: a pattern equals the bytes it stands for.
#[derive(Clone, Debug)]
pub enum Payload {
    Bytes(Vec<u8>),
    Pattern { start: u64, len: u64 },
}

/// A borrowed stretch of a [`Payload`].
#[derive(Clone, Copy, Debug)]
pub enum PayloadRef<'a> {
    Bytes(&'a [u8]),
    Pattern { start: u64, len: u64 },
}

impl Payload {
    /// No bytes.
    pub const EMPTY: Payload = Payload::Bytes(Vec::new());

    pub fn len(&self) -> u64 {
        self.as_ref().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn as_ref(&self) -> PayloadRef<'_> {
        match self {
            Payload::Bytes(b) => PayloadRef::Bytes(b),
            Payload::Pattern { start, len } => PayloadRef::Pattern {
                start: *start,
                len: *len,
            },
        }
    }

    /// Bytes `from..to` (empty where the range does not fit, like
    /// `slice::get(..).unwrap_or(&[])`).
    pub fn sub(&self, from: u64, to: u64) -> PayloadRef<'_> {
        self.as_ref().sub(from, to)
    }

    /// The bytes themselves, made if this is a pattern.
    pub fn bytes(&self) -> Cow<'_, [u8]> {
        match self {
            Payload::Bytes(b) => Cow::Borrowed(b),
            Payload::Pattern { .. } => Cow::Owned(self.to_vec()),
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.as_ref().to_vec()
    }
}

impl<'a> PayloadRef<'a> {
    pub fn len(&self) -> u64 {
        match self {
            PayloadRef::Bytes(b) => b.len() as u64,
            PayloadRef::Pattern { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes `from..to` (empty where the range does not fit).
    pub fn sub(self, from: u64, to: u64) -> PayloadRef<'a> {
        if from > to || to > self.len() {
            return PayloadRef::Bytes(&[]);
        }
        match self {
            PayloadRef::Bytes(b) => PayloadRef::Bytes(&b[from as usize..to as usize]),
            PayloadRef::Pattern { start, .. } => PayloadRef::Pattern {
                start: start + from,
                len: to - from,
            },
        }
    }

    /// Appends the bytes to `out`.
    pub fn extend_into(self, out: &mut Vec<u8>) {
        match self {
            PayloadRef::Bytes(b) => out.extend_from_slice(b),
            PayloadRef::Pattern { start, len } => extend_pattern(out, start, len),
        }
    }

    pub fn to_vec(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len() as usize);
        self.extend_into(&mut out);
        out
    }

    pub fn to_owned(self) -> Payload {
        match self {
            PayloadRef::Bytes(b) => Payload::Bytes(b.to_vec()),
            PayloadRef::Pattern { start, len } => Payload::Pattern { start, len },
        }
    }

    /// The bytes, one by one.
    pub fn iter(self) -> impl Iterator<Item = u8> + 'a {
        let (bytes, pattern) = match self {
            PayloadRef::Bytes(b) => (b, 0..0),
            PayloadRef::Pattern { start, len } => (&[][..], start..start + len),
        };
        bytes.iter().copied().chain(pattern.map(pattern_byte))
    }
}

impl Default for Payload {
    fn default() -> Self {
        Payload::EMPTY
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Payload) -> bool {
        self.as_ref() == other.as_ref()
    }
}

impl Eq for Payload {}

impl PartialEq for PayloadRef<'_> {
    fn eq(&self, other: &PayloadRef<'_>) -> bool {
        match (*self, *other) {
            (PayloadRef::Bytes(a), PayloadRef::Bytes(b)) => a == b,
            (
                PayloadRef::Pattern { start: a, len: n },
                PayloadRef::Pattern { start: b, len: m },
            ) => n == m && (n == 0 || a % PATTERN_PERIOD == b % PATTERN_PERIOD),
            (a, b) => a.len() == b.len() && a.iter().eq(b.iter()),
        }
    }
}

impl Eq for PayloadRef<'_> {}

impl From<Vec<u8>> for Payload {
    fn from(v: Vec<u8>) -> Payload {
        Payload::Bytes(v)
    }
}

impl<'a> From<&'a [u8]> for PayloadRef<'a> {
    fn from(b: &'a [u8]) -> PayloadRef<'a> {
        PayloadRef::Bytes(b)
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for PayloadRef<'a> {
    fn from(b: &'a [u8; N]) -> PayloadRef<'a> {
        PayloadRef::Bytes(b)
    }
}

impl<'a> From<&'a Payload> for PayloadRef<'a> {
    fn from(p: &'a Payload) -> PayloadRef<'a> {
        p.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(start: u64, len: u64) -> Payload {
        Payload::Pattern { start, len }
    }

    #[test]
    fn a_pattern_is_the_bytes_it_stands_for() {
        assert_eq!(pattern(27, 4).to_vec(), b"bcde");
        assert_eq!(pattern(27, 4), Payload::from(b"bcde".to_vec()));
        assert_eq!(pattern(1, 4), pattern(27, 4));
        assert_ne!(pattern(1, 4), pattern(2, 4));
        assert_eq!(pattern(5, 0), Payload::EMPTY);
        assert_eq!(pattern(24, 5).iter_bytes(), b"yzabc");
    }

    #[test]
    fn long_patterns_continue_the_alphabet() {
        for (start, len) in [(0, 0), (25, 1), (3, 1664), (7, 5000)] {
            let want: Vec<u8> = (start..start + len).map(pattern_byte).collect();
            assert_eq!(pattern(start, len).to_vec(), want, "{start} {len}");
        }
    }

    #[test]
    fn sub_ranges_and_out_of_range() {
        let p = pattern(0, 10);
        assert_eq!(p.sub(2, 5).to_vec(), b"cde");
        assert!(p.sub(2, 11).is_empty());
        assert!(p.sub(5, 2).is_empty());
        let b = Payload::from(b"hello".to_vec());
        assert_eq!(b.sub(1, 3).to_vec(), b"el");
        assert!(b.sub(0, 6).is_empty());
        assert_eq!(&*b.bytes(), b"hello");
        assert_eq!(&*p.bytes(), b"abcdefghij");
    }

    impl Payload {
        fn iter_bytes(&self) -> Vec<u8> {
            self.as_ref().iter().collect()
        }
    }
}
