//! The time axis of the ladder diagram: virtual time to a y coordinate.
//!
//! Every instant at which something is drawn (an event, or a segment's
//! arrival) is a *stop*. A stop is as tall as the rows it needs (events at
//! the same instant are drawn one under the other, in transcript order);
//! between two stops the axis is proportional to the time that passes
//! (`px_per_us`), at least [`MIN_GAP`] so that consecutive instants stay
//! apart. An idle stretch that would be taller than [`MAX_GAP`] is
//! compressed to [`BREAK_H`] and remembered as a [`Break`], which the
//! ladder marks (a zigzag across the timelines and the real duration), so
//! a 1 s retransmission timeout or 4 minutes of TIME-WAIT take no more room
//! than a round trip.

use std::collections::BTreeMap;

/// Height of one row: one event, or one arrival.
pub const ROW: f64 = 18.0;
/// The least room between two instants.
pub const MIN_GAP: f64 = 6.0;
/// The most room an uncompressed gap takes.
pub const MAX_GAP: f64 = 140.0;
/// The room a compressed gap takes.
pub const BREAK_H: f64 = 34.0;

/// An instant at which something is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stop {
    pub t_us: u64,
    /// Top of the instant's rows.
    pub y: f64,
    pub rows: u32,
}

/// An idle stretch drawn shorter than it lasted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Break {
    /// The instants before and after it.
    pub from_us: u64,
    pub to_us: u64,
    /// Where it is drawn.
    pub y0: f64,
    pub y1: f64,
}

/// The time axis of one diagram (shared by ladders drawn side by side).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimeAxis {
    pub stops: Vec<Stop>,
    pub breaks: Vec<Break>,
    /// Where the last stop's rows end, relative to the first stop's top (0).
    pub height: f64,
}

impl TimeAxis {
    /// The axis for `rows` (instant → rows needed there), `px_per_us` pixels
    /// per microsecond between instants.
    pub fn build(rows: &BTreeMap<u64, u32>, px_per_us: f64) -> TimeAxis {
        let mut axis = TimeAxis::default();
        let mut y = 0.0;
        let mut prev: Option<Stop> = None;
        for (&t_us, &n) in rows {
            if let Some(p) = prev {
                let end = p.y + f64::from(p.rows) * ROW;
                let gap = (t_us - p.t_us) as f64 * px_per_us;
                if gap > MAX_GAP {
                    axis.breaks.push(Break {
                        from_us: p.t_us,
                        to_us: t_us,
                        y0: end,
                        y1: end + BREAK_H,
                    });
                    y = end + BREAK_H;
                } else {
                    y = end + gap.max(MIN_GAP);
                }
            }
            let stop = Stop {
                t_us,
                y,
                rows: n.max(1),
            };
            axis.stops.push(stop);
            prev = Some(stop);
        }
        axis.height = prev.map_or(0.0, |p| p.y + f64::from(p.rows) * ROW);
        axis
    }

    /// The stop at `t_us`, if there is one.
    fn stop(&self, t_us: u64) -> Option<&Stop> {
        self.stops
            .binary_search_by_key(&t_us, |s| s.t_us)
            .ok()
            .and_then(|i| self.stops.get(i))
    }

    /// The middle of row `row` at instant `t_us`; an instant that is no stop
    /// is placed between its neighbours ([`TimeAxis::y`]).
    pub fn row_y(&self, t_us: u64, row: u32) -> f64 {
        match self.stop(t_us) {
            Some(s) => s.y + (f64::from(row.min(s.rows.saturating_sub(1))) + 0.5) * ROW,
            None => self.y(t_us),
        }
    }

    /// Where `t_us` is: inside a stop's rows at their middle; between two
    /// stops in proportion to the time (also across a compressed gap).
    pub fn y(&self, t_us: u64) -> f64 {
        let i = self.stops.partition_point(|s| s.t_us <= t_us);
        let (Some(before), after) = (
            i.checked_sub(1).and_then(|j| self.stops.get(j)),
            self.stops.get(i),
        ) else {
            return self.stops.first().map_or(0.0, |s| s.y);
        };
        let end = before.y + f64::from(before.rows) * ROW;
        if before.t_us == t_us {
            return before.y + ROW / 2.0;
        }
        match after {
            None => end,
            Some(a) => {
                let frac = (t_us - before.t_us) as f64 / (a.t_us - before.t_us) as f64;
                end + (a.y - end) * frac
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(stops: &[(u64, u32)], px_per_us: f64) -> TimeAxis {
        TimeAxis::build(&stops.iter().copied().collect(), px_per_us)
    }

    #[test]
    fn close_instants_are_proportional_and_rows_stack() {
        // 10 ms at 4 px/ms: 40 px after the first instant's two rows.
        let a = axis(&[(0, 2), (10_000, 1)], 0.004);
        assert_eq!(a.stops[1].y, 2.0 * ROW + 40.0);
        assert_eq!(a.row_y(0, 1), 1.5 * ROW);
        assert!(a.breaks.is_empty());
        assert_eq!(a.height, 2.0 * ROW + 40.0 + ROW);
    }

    #[test]
    fn an_idle_second_is_compressed_and_marked() {
        let a = axis(&[(0, 1), (20_000, 1), (1_020_000, 1)], 0.004);
        assert_eq!(a.breaks.len(), 1);
        let b = a.breaks[0];
        assert_eq!((b.from_us, b.to_us), (20_000, 1_020_000));
        assert_eq!(b.y1 - b.y0, BREAK_H);
        assert_eq!(a.stops[2].y, b.y1);
        // Half way through the idle second is half way through the break.
        assert_eq!(a.y(520_000), b.y0 + BREAK_H / 2.0);
    }

    #[test]
    fn simultaneous_instants_keep_a_minimum_gap() {
        let a = axis(&[(0, 1), (1, 1)], 0.004);
        assert_eq!(a.stops[1].y, ROW + MIN_GAP);
    }
}
