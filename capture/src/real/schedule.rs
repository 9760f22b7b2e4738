//! The link's deadline queue: held packets by release time.
//!
//! A `BTreeMap` keyed by (deadline, arrival number): the earliest deadline
//! first and, at equal deadlines, the packet that came first, so a run with
//! the same arrivals releases in the same order (docs/architecture.md,
//! "Determinism": iterate only ordered collections). Packets with a `Delay`
//! overtake none that were due earlier and are overtaken by later ones: that
//! is how reordering happens.

use std::collections::BTreeMap;

/// Items held until their deadline (nanoseconds, any clock).
#[derive(Debug)]
pub(crate) struct Schedule<T> {
    held: BTreeMap<(u64, u64), T>,
    arrivals: u64,
}

impl<T> Default for Schedule<T> {
    fn default() -> Schedule<T> {
        Schedule {
            held: BTreeMap::new(),
            arrivals: 0,
        }
    }
}

impl<T> Schedule<T> {
    /// Holds `item` until `deadline`.
    pub fn push(&mut self, deadline: u64, item: T) {
        self.held.insert((deadline, self.arrivals), item);
        self.arrivals += 1;
    }

    /// The earliest deadline held.
    pub fn next_deadline(&self) -> Option<u64> {
        self.held.keys().next().map(|&(d, _)| d)
    }

    /// The earliest item whose deadline is at or before `now`.
    pub fn pop_due(&mut self, now: u64) -> Option<(u64, T)> {
        let entry = self.held.first_entry()?;
        if entry.key().0 > now {
            return None;
        }
        let ((deadline, _), item) = entry.remove_entry();
        Some((deadline, item))
    }

    /// Everything still held, in release order.
    pub fn drain(&mut self) -> impl Iterator<Item = (u64, T)> + '_ {
        std::mem::take(&mut self.held)
            .into_iter()
            .map(|((d, _), t)| (d, t))
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.held.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_by_deadline_then_arrival() {
        let mut s = Schedule::default();
        s.push(10_000, "a");
        s.push(10_000, "b");
        s.push(5_000, "delayed less");
        s.push(310_000, "delayed 300");
        assert_eq!(s.next_deadline(), Some(5_000));
        assert_eq!(s.pop_due(4_999), None);
        assert_eq!(s.pop_due(5_000), Some((5_000, "delayed less")));
        assert_eq!(s.pop_due(20_000), Some((10_000, "a")));
        assert_eq!(s.pop_due(20_000), Some((10_000, "b")));
        assert_eq!(s.pop_due(20_000), None);
        assert_eq!(s.len(), 1);
        assert_eq!(s.drain().collect::<Vec<_>>(), [(310_000, "delayed 300")]);
        assert_eq!(s.next_deadline(), None);
    }
}
