//! Where the user is in a [`Timeline`]: a world stepped to the instant of
//! the current event, and the last events before it (the transcript lines
//! on screen).
//!
//! # Calling order
//! [`Cursor::new`] starts before the first event. [`Cursor::seek`]`(tl, p)`
//! moves to event `p` (which the timeline must already know): forward by
//! stepping its own world, backward (or far forward) by restoring the
//! timeline's checkpoint at or before `p - LOOKBACK` and stepping from it.
//! Then [`Cursor::world`], [`Cursor::states_at`], [`Cursor::last_segment_at`]
//! and [`Cursor::lines`] describe event `p`.
//!
//! The world steps one instant at a time ([`World::step`]), and an instant
//! may hold several events: the world shown is the one at the end of the
//! instant of event `p`. Endpoint states are exact at `p` (the states
//! before the instant plus the changes up to `p`), and segments sent later
//! in the same instant are not shown in flight yet.

use super::timeline::Timeline;
// Payloads are kept only as long as a label quotes them: a bulk transfer's
// 1460-byte payloads are not shown and would add up.
use crate::render::words::MAX_SHOWN_PAYLOAD;
use std::collections::VecDeque;
use synack_sim::transcript::{OwnedEvent, OwnedKind, Side};
use synack_sim::world::World;
use synack_sim::State;

/// Transcript lines kept before the current event: more than a 200x60
/// terminal shows.
pub const LOOKBACK: u64 = 64;

/// Events kept at most (an instant of a bulk transfer holds about a window
/// of segments and their ACKs, well under this).
const WINDOW_CAP: usize = 1024;

/// A position in a timeline with the world at its instant.
#[derive(Clone, Debug)]
pub struct Cursor {
    world: World,
    /// 1-based index of the first event of the world's last step
    /// (`last + 1` when that step produced none).
    first: u64,
    /// Events produced up to and including the world's last step.
    last: u64,
    /// Both endpoints' states before the world's last step.
    before: [State; 2],
    /// The last events, oldest first; `window[0]` is event `start`.
    window: VecDeque<OwnedEvent>,
    start: u64,
}

impl Cursor {
    /// A cursor before the first event of `tl`.
    pub fn new(tl: &Timeline) -> Cursor {
        let (at, world) = tl.restore(0);
        Cursor::at(at, world)
    }

    fn at(event: u64, world: World) -> Cursor {
        let before = states(&world);
        Cursor {
            world,
            first: event + 1,
            last: event,
            before,
            window: VecDeque::new(),
            start: event + 1,
        }
    }

    /// Moves to event `p` (0: before the first). `p` must be known to `tl`.
    pub fn seek(&mut self, tl: &Timeline, p: u64) {
        let here = (self.first..=self.last).contains(&p) || (p == self.last && self.first > p);
        if here {
            return;
        }
        let from = p.saturating_sub(LOOKBACK);
        if p < self.first || tl.checkpoint_before(from) > self.last {
            let (at, world) = tl.restore(from);
            *self = Cursor::at(at, world);
        }
        while self.last < p {
            if !self.step_once() {
                break;
            }
        }
    }

    /// One step of the world, its events into the window.
    fn step_once(&mut self) -> bool {
        self.before = states(&self.world);
        if !self.world.step() {
            return false;
        }
        self.first = self.last + 1;
        while let Some(mut ev) = self.world.poll_event() {
            if let OwnedKind::Segment { payload, .. } = &mut ev.kind {
                if payload.len() > MAX_SHOWN_PAYLOAD {
                    *payload = Vec::new();
                }
            }
            self.window.push_back(ev);
            self.last += 1;
        }
        while self.window.len() > WINDOW_CAP {
            self.window.pop_front();
            self.start += 1;
        }
        true
    }

    /// The world at the end of the current event's instant.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// Event `i` (1-based), when it is still in the window.
    pub fn event(&self, i: u64) -> Option<&OwnedEvent> {
        let k = i.checked_sub(self.start)?;
        self.window.get(usize::try_from(k).ok()?)
    }

    /// Both endpoints' states just after event `p` (the current one).
    pub fn states_at(&self, p: u64) -> [State; 2] {
        let mut s = self.before;
        for i in self.first..=p.min(self.last) {
            if let Some(OwnedEvent {
                kind: OwnedKind::State { endpoint, to, .. },
                ..
            }) = self.event(i)
            {
                s[endpoint.index()] = *to;
            }
        }
        s
    }

    /// The id of the last segment sent up to event `p` (0: none yet).
    /// Segment ids count up in send order, so those sent after `p` in the
    /// same instant are the last ones the world gave out.
    pub fn last_segment_at(&self, p: u64) -> u64 {
        let later = (p + 1..=self.last)
            .filter(|&i| matches!(self.event(i), Some(e) if matches!(e.kind, OwnedKind::Segment { .. })))
            .count() as u64;
        (self.world.next_segment_id() - 1).saturating_sub(later)
    }

    /// Up to `n` events ending with event `p`, oldest first, with their indices.
    pub fn lines(&self, p: u64, n: u64) -> impl Iterator<Item = (u64, &OwnedEvent)> {
        let from = p.saturating_sub(n.saturating_sub(1)).max(self.start).max(1);
        (from..=p).filter_map(move |i| self.event(i).map(|e| (i, e)))
    }
}

fn states(w: &World) -> [State; 2] {
    [
        w.endpoint(Side::Client).state(),
        w.endpoint(Side::Server).state(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::testing::{builtin, long};
    use crate::tui::timeline::Progress;
    use synack_sim::scenario::Scenario;
    use synack_sim::world::RunOptions;

    fn scenario(name: &str) -> Scenario {
        if name == "long" {
            long()
        } else {
            builtin(name)
        }
    }

    fn timeline(name: &str) -> Timeline {
        let sc = scenario(name);
        let mut tl = Timeline::new(World::new(&sc, &RunOptions::default()));
        tl.discover(u64::MAX, &mut |_: Progress| true);
        tl
    }

    fn all_events(name: &str) -> Vec<OwnedEvent> {
        let sc = scenario(name);
        let mut w = World::new(&sc, &RunOptions::default());
        let mut out = Vec::new();
        while w.step() {
            out.extend(std::iter::from_fn(|| w.poll_event()));
        }
        out
    }

    fn time_of(c: &Cursor, p: u64) -> u64 {
        c.event(p).map_or(0, |e| e.t_us)
    }

    #[test]
    fn every_event_is_the_same_walking_forward_backward_and_jumping() {
        let tl = timeline("long");
        let whole = all_events("long");
        let n = tl.total().expect("simulated to the end");
        assert_eq!(n, whole.len() as u64);
        let mut c = Cursor::new(&tl);
        for p in (1..=n).rev().step_by(37).chain([n, 1, n / 2, 3]) {
            c.seek(&tl, p);
            let got = c.event(p).map(|e| e.t_us);
            assert_eq!(got, Some(whole[p as usize - 1].t_us), "event {p}");
            assert_eq!(
                c.world().now(),
                time_of(&c, p),
                "the world is at event {p}'s instant"
            );
        }
    }

    #[test]
    fn states_are_exact_at_each_event_of_an_instant() {
        let tl = timeline("lost-data");
        let whole = all_events("lost-data");
        let mut c = Cursor::new(&tl);
        let mut expect = [State::Closed, State::Closed];
        for (i, ev) in whole.iter().enumerate() {
            if let OwnedKind::State { endpoint, to, .. } = ev.kind {
                expect[endpoint.index()] = to;
            }
            let p = i as u64 + 1;
            c.seek(&tl, p);
            assert_eq!(c.states_at(p), expect, "event {p}");
        }
        c.seek(&tl, 0);
        assert_eq!(c.states_at(0), [State::Closed, State::Closed]);
    }

    #[test]
    fn the_last_segment_counts_only_segments_up_to_the_event() {
        let tl = timeline("echo");
        let whole = all_events("echo");
        let mut c = Cursor::new(&tl);
        let mut last = 0;
        for (i, ev) in whole.iter().enumerate() {
            if let OwnedKind::Segment { seg, .. } = &ev.kind {
                last = seg.id;
            }
            let p = i as u64 + 1;
            c.seek(&tl, p);
            assert_eq!(c.last_segment_at(p), last, "event {p}");
        }
    }
}
