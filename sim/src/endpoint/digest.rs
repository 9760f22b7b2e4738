//! A digest of the bytes an app has read, so tests can check a whole
//! stream's content without keeping it (`Stats::read_digest`).
//!
//! The digest is the polynomial hash of the stream (Rabin-Karp style):
//! `h = h * M + byte` for every byte, modulo 2^64, from a fixed start value.
//! Unlike FNV-1a, which it replaced, a polynomial hash can take a whole run of
//! the `send N bytes` pattern at once: the pattern repeats every 26 bytes, so a
//! run is q whole periods and a rest, and q periods fold into one geometric
//! sum, computed in O(log q) multiplications. The receiver then never makes
//! the bytes of a bulk transfer (see `crate::payload`). Byte by byte, FNV-1a
//! cost 4 cycles a byte, serially: 0.15 s of the 0.17 s that `synack sim`
//! took on the 100 MB benchmark (bench/README.md).

use crate::payload::{PayloadRef, PATTERN_PERIOD};

/// The multiplier: FNV's 64-bit prime (odd, so every power is invertible).
const M: u64 = 0x0000_0100_0000_01b3;
/// The digest of nothing (FNV's 64-bit offset basis).
const START: u64 = 0xcbf2_9ce4_8422_2325;
const P: usize = PATTERN_PERIOD as usize;

/// Precomputed for the pattern: `pow[r]` = M^r for r <= 26, and
/// `prefix[phase][r]` = the hash, from 0, of the first `r` pattern bytes that
/// start at `phase` (0 = `a`); `prefix[phase][26]` is one whole period.
struct Tables {
    pow: [u64; P + 1],
    prefix: [[u64; P + 1]; P],
}

const TABLES: Tables = tables();

const fn tables() -> Tables {
    let mut t = Tables {
        pow: [1; P + 1],
        prefix: [[0; P + 1]; P],
    };
    let mut r = 1;
    while r <= P {
        t.pow[r] = t.pow[r - 1].wrapping_mul(M);
        r += 1;
    }
    let mut phase = 0;
    while phase < P {
        let mut r = 1;
        while r <= P {
            let byte = b'a' + ((phase + r - 1) % P) as u8;
            t.prefix[phase][r] = t.prefix[phase][r - 1]
                .wrapping_mul(M)
                .wrapping_add(byte as u64);
            r += 1;
        }
        phase += 1;
    }
    t
}

/// (1 + a + a^2 + ... + a^(q-1), a^q), modulo 2^64, by binary doubling:
/// S(2n) = S(n) * (1 + a^n) and S(n+1) = S(n) * a + 1.
fn geometric(a: u64, q: u64) -> (u64, u64) {
    let (mut sum, mut pow) = (0u64, 1u64);
    for bit in (0..u64::BITS - q.leading_zeros()).rev() {
        sum = sum.wrapping_mul(pow.wrapping_add(1));
        pow = pow.wrapping_mul(pow);
        if (q >> bit) & 1 == 1 {
            sum = sum.wrapping_mul(a).wrapping_add(1);
            pow = pow.wrapping_mul(a);
        }
    }
    (sum, pow)
}

/// The running digest. The same bytes give the same digest however they
/// are split into updates, and whether they come as bytes or as pattern runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadDigest(pub u64);

impl Default for ReadDigest {
    fn default() -> Self {
        ReadDigest(START)
    }
}

impl ReadDigest {
    pub fn update(&mut self, bytes: impl IntoIterator<Item = u8>) {
        for b in bytes {
            self.0 = self.0.wrapping_mul(M).wrapping_add(b as u64);
        }
    }

    /// As `update` with the `len` pattern bytes from stream offset `start`
    /// (`pattern_byte(start)`, ...), in O(log len).
    pub fn update_pattern(&mut self, start: u64, len: u64) {
        let phase = (start % PATTERN_PERIOD) as usize;
        let (q, r) = (len / PATTERN_PERIOD, (len % PATTERN_PERIOD) as usize);
        // The run is q periods then r bytes, each period hashing to `period`:
        // h * M^len + period * (1 + M^26 + ... + M^(26(q-1))) * M^r + prefix(r).
        let period = TABLES.prefix[phase][P];
        let (sum, pow_q) = geometric(TABLES.pow[P], q);
        let m_r = TABLES.pow[r];
        self.0 = self
            .0
            .wrapping_mul(pow_q)
            .wrapping_mul(m_r)
            .wrapping_add(period.wrapping_mul(sum).wrapping_mul(m_r))
            .wrapping_add(TABLES.prefix[phase][r]);
    }

    /// As `update` with the bytes of `p`.
    pub fn update_payload(&mut self, p: PayloadRef<'_>) {
        match p {
            PayloadRef::Bytes(b) => self.update(b.iter().copied()),
            PayloadRef::Pattern { start, len } => self.update_pattern(start, len),
        }
    }
}

// `pattern_byte` stays the one definition of the pattern: the tables must agree.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::pattern_byte;

    fn bytewise(start: u64, len: u64) -> u64 {
        let mut d = ReadDigest::default();
        d.update((start..start + len).map(pattern_byte));
        d.0
    }

    #[test]
    fn pattern_runs_hash_like_their_bytes() {
        for start in 0..60 {
            for len in 0..140 {
                let mut d = ReadDigest::default();
                d.update_pattern(start, len);
                assert_eq!(d.0, bytewise(start, len), "start {start} len {len}");
            }
        }
        for (start, len) in [(7, 1460), (1_000_003, 65_535), (3, 1_000_000)] {
            let mut d = ReadDigest::default();
            d.update_pattern(start, len);
            assert_eq!(d.0, bytewise(start, len), "start {start} len {len}");
        }
    }

    #[test]
    fn the_split_does_not_matter() {
        let mut whole = ReadDigest::default();
        whole.update(*b"xy");
        whole.update_pattern(2, 100);
        let mut parts = ReadDigest::default();
        parts.update(*b"x");
        parts.update(*b"y");
        parts.update_pattern(2, 30);
        parts.update((32..40).map(pattern_byte));
        parts.update_payload(PayloadRef::Pattern { start: 40, len: 62 });
        assert_eq!(whole, parts);
        let mut other = ReadDigest::default();
        other.update(*b"yx");
        other.update_pattern(2, 100);
        assert_ne!(whole, other);
    }

    #[test]
    fn geometric_sums() {
        for a in [0u64, 1, 3, M, u64::MAX] {
            for q in 0..40u64 {
                let want = (0..q).fold((0u64, 1u64), |(s, p), _| {
                    (s.wrapping_add(p), p.wrapping_mul(a))
                });
                assert_eq!(geometric(a, q), want, "a {a} q {q}");
            }
        }
    }
}
