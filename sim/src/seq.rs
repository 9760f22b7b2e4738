//! Sequence numbers in modulo-2^32 space (RFC 9293 section 3.4).
//!
//! Never compare raw `u32` sequence numbers with `<`: near the wrap, 10 comes
//! "after" 4294967290. [`SeqNum`] compares by the sign of the 32-bit
//! difference, which is right whenever the two numbers are less than 2^31
//! apart, as RFC 9293 3.4 and RFC 1982 assume.

use std::cmp::Ordering;
use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A TCP sequence (or acknowledgement) number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SeqNum(pub u32);

impl SeqNum {
    /// The raw 32-bit value as it travels on the wire.
    pub const fn raw(self) -> u32 {
        self.0
    }

    /// Signed distance `self - other` in sequence space.
    pub const fn diff(self, other: SeqNum) -> i32 {
        self.0.wrapping_sub(other.0) as i32
    }

    /// `self` lies at or after `lo` and strictly before `hi` (a half-open window).
    pub fn in_window(self, lo: SeqNum, len: u32) -> bool {
        self.0.wrapping_sub(lo.0) < len
    }

    pub fn max(self, other: SeqNum) -> SeqNum {
        if self >= other {
            self
        } else {
            other
        }
    }

    pub fn min(self, other: SeqNum) -> SeqNum {
        if self <= other {
            self
        } else {
            other
        }
    }
}

impl PartialOrd for SeqNum {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Ordering by the sign of the 32-bit difference (RFC 9293 3.4). This is not a
/// total order over all of u32, only over numbers within 2^31 of each other,
/// which is all TCP ever compares.
impl Ord for SeqNum {
    fn cmp(&self, other: &Self) -> Ordering {
        self.diff(*other).cmp(&0)
    }
}

impl Add<u32> for SeqNum {
    type Output = SeqNum;
    fn add(self, rhs: u32) -> SeqNum {
        SeqNum(self.0.wrapping_add(rhs))
    }
}

impl AddAssign<u32> for SeqNum {
    fn add_assign(&mut self, rhs: u32) {
        self.0 = self.0.wrapping_add(rhs);
    }
}

impl Sub<u32> for SeqNum {
    type Output = SeqNum;
    fn sub(self, rhs: u32) -> SeqNum {
        SeqNum(self.0.wrapping_sub(rhs))
    }
}

/// `a - b` as an unsigned count of bytes; `a` must not be before `b`.
impl Sub<SeqNum> for SeqNum {
    type Output = u32;
    fn sub(self, rhs: SeqNum) -> u32 {
        self.0.wrapping_sub(rhs.0)
    }
}

impl fmt::Debug for SeqNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SeqNum({})", self.0)
    }
}

impl fmt::Display for SeqNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Like smoltcp's TcpSeqNumber(-10001): start just below 2^32.
    const NEAR_WRAP: SeqNum = SeqNum(u32::MAX - 10_000);

    #[test]
    fn ordering_across_the_wrap() {
        let after = NEAR_WRAP + 20_000;
        assert!(after.raw() < NEAR_WRAP.raw(), "raw value wrapped");
        assert!(after > NEAR_WRAP);
        assert!(NEAR_WRAP < after);
        assert_eq!(after - NEAR_WRAP, 20_000);
        assert_eq!(NEAR_WRAP.diff(after), -20_000);
    }

    #[test]
    fn window_membership_across_the_wrap() {
        let lo = SeqNum(u32::MAX - 5);
        assert!(SeqNum(u32::MAX).in_window(lo, 10));
        assert!(SeqNum(3).in_window(lo, 10));
        assert!(!SeqNum(4).in_window(lo, 10));
        assert!(!SeqNum(u32::MAX - 6).in_window(lo, 10));
        assert!(!lo.in_window(lo, 0));
    }

    #[test]
    fn max_min_across_the_wrap() {
        let a = SeqNum(u32::MAX);
        let b = SeqNum(1);
        assert_eq!(a.max(b), b);
        assert_eq!(a.min(b), a);
    }
}
