//! A simulated run as a line of numbered events that can be walked both
//! ways, without keeping the events: clones of the world every
//! [`CHECKPOINT_EVERY`] events, and a replay of at most that many from the
//! nearest one.
//!
//! # Calling order
//! [`Timeline::new`] takes a world at time 0. [`Timeline::discover`]
//! simulates ahead (the frontier) until some number of events is known, or
//! to the end, taking a checkpoint at the first step boundary after every
//! [`CHECKPOINT_EVERY`] events. [`Timeline::restore`] hands out a world at
//! the last checkpoint at or before an event, for a [`super::cursor::Cursor`]
//! to step on from. [`Timeline::branch`] makes the timeline of "what if
//! segment ID were lost": it shares the checkpoints before the instant that
//! segment was sent and is discovered on its own from there.
//!
//! # Why K = 1024
//! A checkpoint is a clone of the whole world: two endpoints (their buffers
//! hold at most the receive window of out-of-order data and the unacknowledged
//! part of the send buffer, pattern bytes being generated rather than stored),
//! the link and the segments in flight. Measured on the 100 MB, 1%-loss run
//! of bench/README.md: 3.5 to 45 KiB a clone, about 1 µs to take. That run
//! has 143 054 events (rfc) in 11 854 steps, so K = 1024 gives at most
//! 143 054 / 1024 = 140 checkpoints: 140 × 45 KiB = 6.2 MiB in the measured
//! worst case, and 140 × 256 KiB = 35 MiB even if every clone held full
//! 64 KiB receive and send buffers and a full window in flight. Going back
//! replays at most K events plus the transcript lines shown
//! ([`super::cursor::LOOKBACK`]) from a checkpoint: about 1 100 events, about
//! 2 ms at the 0.6 M events/s the release build steps with events recorded.
//! Nothing is ever replayed from the start.

use std::rc::Rc;
use synack_sim::transcript::{Fate, OwnedKind, Side};
use synack_sim::world::World;
use synack_sim::State;

/// Events between two checkpoints (see the module docs for the arithmetic).
pub const CHECKPOINT_EVERY: u64 = 1024;

/// How often (in world steps) a long simulation reports its progress.
const PROGRESS_EVERY_STEPS: u64 = 512;

/// A clone of the world before the step that produces event `event + 1`.
#[derive(Clone, Debug)]
struct Checkpoint {
    /// Events produced before it.
    event: u64,
    world: Rc<World>,
}

/// How far a long simulation has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Events known so far.
    pub events: u64,
    /// Virtual time reached, microseconds.
    pub t_us: u64,
}

/// How a run ended: its last instant and both endpoints' states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ending {
    pub t_us: u64,
    pub states: [State; 2],
    /// Segments sent, and how many of them were lost.
    pub segments: u64,
    pub lost: u64,
}

/// Why a segment cannot be dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DropError {
    /// The run never sends a segment with this id.
    NeverSent(u64),
    /// The link's own rules already lose it in this run.
    AlreadyLost(u64),
}

/// A branch: its timeline and where the lost segment is in it.
#[derive(Debug)]
pub struct Branch {
    pub timeline: Timeline,
    /// 1-based index of the lost segment's event.
    pub at: u64,
}

/// One run: checkpoints, the frontier of what is known, and the segments
/// lost on purpose on the way from the main run to this branch.
#[derive(Debug)]
pub struct Timeline {
    /// Segment ids lost on purpose, applied to every world restored (a
    /// checkpoint shared with the parent run was taken before they were sent).
    lost: Vec<u64>,
    checkpoints: Vec<Checkpoint>,
    /// The world after the last event known.
    frontier: World,
    known: u64,
    since_checkpoint: u64,
    done: bool,
}

impl Timeline {
    /// The timeline of a world at time 0.
    pub fn new(mut world: World) -> Timeline {
        world.record_events(true);
        Timeline {
            lost: Vec::new(),
            checkpoints: vec![Checkpoint {
                event: 0,
                world: Rc::new(world.clone()),
            }],
            frontier: world,
            known: 0,
            since_checkpoint: 0,
            done: false,
        }
    }

    /// Events known so far.
    pub fn known(&self) -> u64 {
        self.known
    }

    /// Segments sent in the events known so far (the highest id).
    pub fn segments_known(&self) -> u64 {
        self.frontier.next_segment_id() - 1
    }

    /// The number of events, once the run has been simulated to its end.
    pub fn total(&self) -> Option<u64> {
        self.done.then_some(self.known)
    }

    /// How the run ended, once it has been simulated to its end.
    pub fn ending(&self) -> Option<Ending> {
        self.done.then(|| {
            let stats = self.frontier.outcome().stats;
            Ending {
                t_us: self.frontier.now(),
                states: [
                    self.frontier.endpoint(Side::Client).state(),
                    self.frontier.endpoint(Side::Server).state(),
                ],
                segments: stats.segments,
                lost: stats.dropped,
            }
        })
    }

    /// The segments lost on purpose in this run, in the order they were chosen.
    pub fn lost(&self) -> &[u64] {
        &self.lost
    }

    /// Checkpoints held (for the memory arithmetic).
    pub fn checkpoints(&self) -> usize {
        self.checkpoints.len()
    }

    /// Simulates on until at least `target` events are known or the run is
    /// over. `tick` hears how far it got every few hundred steps; when it
    /// returns `false` the simulation stops there (it can go on later).
    /// Returns `false` when stopped that way.
    pub fn discover(&mut self, target: u64, tick: &mut dyn FnMut(Progress) -> bool) -> bool {
        let mut steps = 0u64;
        while !self.done && self.known < target {
            if self.since_checkpoint >= CHECKPOINT_EVERY {
                self.checkpoints.push(Checkpoint {
                    event: self.known,
                    world: Rc::new(self.frontier.clone()),
                });
                self.since_checkpoint = 0;
            }
            if !self.frontier.step() {
                self.done = true;
                break;
            }
            let mut n = 0;
            while self.frontier.poll_event().is_some() {
                n += 1;
            }
            self.known += n;
            self.since_checkpoint += n;
            self.done = self.frontier.is_done();
            steps += 1;
            if steps.is_multiple_of(PROGRESS_EVERY_STEPS)
                && !tick(Progress {
                    events: self.known,
                    t_us: self.frontier.now(),
                })
            {
                return false;
            }
        }
        true
    }

    /// The last checkpoint at or before event `at`: the events before it and
    /// a world to step on from, with this run's losses.
    pub fn restore(&self, at: u64) -> (u64, World) {
        let i = self.checkpoints.partition_point(|c| c.event <= at);
        let c = &self.checkpoints[i.saturating_sub(1)];
        (c.event, self.thaw(c))
    }

    /// Events before the checkpoint [`Timeline::restore`] would use for `at`.
    pub fn checkpoint_before(&self, at: u64) -> u64 {
        let i = self.checkpoints.partition_point(|c| c.event <= at);
        self.checkpoints[i.saturating_sub(1)].event
    }

    fn thaw(&self, c: &Checkpoint) -> World {
        let mut w = (*c.world).clone();
        for &id in &self.lost {
            w.lose(id);
        }
        w
    }

    /// "What if segment `id` were lost": the run replayed from the instant
    /// it was sent, with it lost. Costs a replay of at most
    /// [`CHECKPOINT_EVERY`] events (to find that instant); the new timeline
    /// knows the events before it and is discovered on its own.
    pub fn branch(&self, id: u64) -> Result<Branch, DropError> {
        // The last checkpoint that has not sent `id` yet.
        let i = self
            .checkpoints
            .partition_point(|c| c.world.next_segment_id() <= id);
        let c = &self.checkpoints[i.saturating_sub(1)];
        let mut w = self.thaw(c);
        let mut events = c.event;
        loop {
            if w.next_segment_id() > id {
                return Err(DropError::NeverSent(id));
            }
            // A clone costs about a microsecond: cheaper than finding the
            // step first and replaying to it a second time.
            let before = w.clone();
            if !w.step() {
                return Err(DropError::NeverSent(id));
            }
            let mut index = events;
            let mut found = None;
            while let Some(ev) = w.poll_event() {
                index += 1;
                if let OwnedKind::Segment { seg, .. } = &ev.kind {
                    if seg.id == id {
                        found = Some((index, seg.fate));
                    }
                }
            }
            match found {
                Some((_, Fate::Dropped)) => return Err(DropError::AlreadyLost(id)),
                Some((at, _)) => {
                    let mut base = before;
                    base.lose(id);
                    let mut lost = self.lost.clone();
                    lost.push(id);
                    let mut checkpoints: Vec<Checkpoint> = self
                        .checkpoints
                        .iter()
                        .filter(|c| c.event < events)
                        .cloned()
                        .collect();
                    checkpoints.push(Checkpoint {
                        event: events,
                        world: Rc::new(base.clone()),
                    });
                    let timeline = Timeline {
                        lost,
                        checkpoints,
                        frontier: base,
                        known: events,
                        since_checkpoint: 0,
                        done: false,
                    };
                    return Ok(Branch { timeline, at });
                }
                None => events = index,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::testing::{builtin, long};
    use synack_sim::transcript::OwnedEvent;
    use synack_sim::world::RunOptions;

    fn world(name: &str) -> World {
        let sc = if name == "long" {
            long()
        } else {
            builtin(name)
        };
        World::new(&sc, &RunOptions::default())
    }

    fn all_events(mut w: World) -> Vec<OwnedEvent> {
        let mut out = Vec::new();
        while w.step() {
            out.extend(std::iter::from_fn(|| w.poll_event()));
        }
        out
    }

    fn never_stop(_: Progress) -> bool {
        true
    }

    #[test]
    fn discovery_counts_every_event_of_the_run() {
        let n = all_events(world("lost-data")).len() as u64;
        let mut tl = Timeline::new(world("lost-data"));
        assert_eq!(tl.total(), None);
        tl.discover(u64::MAX, &mut never_stop);
        assert_eq!(tl.total(), Some(n));
        let end = tl.ending().expect("simulated to the end");
        assert_eq!(end.states, [State::TimeWait, State::Closed]);
    }

    #[test]
    fn a_restored_checkpoint_replays_the_same_events() {
        let whole = all_events(world("long"));
        let mut tl = Timeline::new(world("long"));
        tl.discover(u64::MAX, &mut never_stop);
        assert!(tl.checkpoints() > 2, "more than 2K events");
        let at = whole.len() as u64 - 10;
        let (from, w) = tl.restore(at);
        assert!(from <= at && at - from < CHECKPOINT_EVERY + 200);
        let rest = all_events(w);
        assert_eq!(rest[..], whole[from as usize..]);
    }

    #[test]
    fn a_branch_loses_its_segment_and_keeps_the_prefix() {
        let mut tl = Timeline::new(world("echo"));
        tl.discover(u64::MAX, &mut never_stop);
        let b = tl.branch(4).expect("echo sends segment 4");
        let (from, w) = b.timeline.restore(0);
        assert_eq!(from, 0);
        let events = all_events(w);
        let lost = &events[b.at as usize - 1];
        assert!(
            matches!(&lost.kind, OwnedKind::Segment { seg, .. } if seg.id == 4 && seg.fate == Fate::Dropped),
            "{lost:?}"
        );
        let original = all_events(world("echo"));
        assert_eq!(original[..b.at as usize - 1], events[..b.at as usize - 1]);
    }

    #[test]
    fn dropping_a_segment_the_link_already_lost_says_so() {
        let mut tl = Timeline::new(world("lost-data"));
        tl.discover(u64::MAX, &mut never_stop);
        let lost = all_events(world("lost-data"))
            .iter()
            .find_map(|e| match &e.kind {
                OwnedKind::Segment { seg, .. } if seg.fate == Fate::Dropped => Some(seg.id),
                _ => None,
            })
            .expect("lost-data loses a segment");
        assert_eq!(tl.branch(lost).err(), Some(DropError::AlreadyLost(lost)));
        assert_eq!(tl.branch(10_000).err(), Some(DropError::NeverSent(10_000)));
    }

    #[test]
    fn a_late_branch_replays_like_a_fresh_run_with_the_segment_lost() {
        let mut tl = Timeline::new(world("long"));
        tl.discover(u64::MAX, &mut never_stop);
        let id = tl.segments_known() - 40;
        let b = tl.branch(id).expect("sent");
        let mut fresh = world("long");
        fresh.lose(id);
        let want = all_events(fresh);
        // From the first checkpoint, from the branch point, from a shared
        // checkpoint before it: the same events.
        for at in [0, b.at - 1, b.at.saturating_sub(CHECKPOINT_EVERY + 5)] {
            let (from, w) = b.timeline.restore(at);
            assert_eq!(all_events(w)[..], want[from as usize..], "from {at}");
        }
    }
}
