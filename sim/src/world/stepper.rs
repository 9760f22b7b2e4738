//! The world as a state machine: [`World::step`] does one thing (start the
//! next scenario step, or move virtual time to the next instant anything
//! happens), [`World::poll_event`] hands out what it produced.

use super::calls::Pending;
use super::net::InFlight;
use super::{CheckFailure, RunOptions, RunOutcome, Stats};
use crate::endpoint::{Endpoint, EndpointConfig};
use crate::link::Link;
use crate::observer::analysis::TcpAnalyzer;
use crate::profile::Profile;
use crate::rng::Rng;
use crate::scenario::{Scenario, ScenarioError, Step};
use crate::seq::SeqNum;
use crate::transcript::{ConnInfo, Note, OwnedEvent, OwnedKind, Side, TimerKind};
use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

/// How long the world keeps running after the last step for segments in
/// flight and retransmissions to play out.
const DRAIN_LIMIT_US: u64 = 600_000_000;

/// Where a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Running the scenario's steps.
    Steps,
    /// After the last step: segments in flight and retransmissions play out
    /// until `limit`.
    Drain { limit: u64 },
    /// Nothing more will happen.
    Done,
}

/// Two endpoints, a link and virtual time. See the module docs of
/// [`crate::world`] for the calling order.
#[derive(Clone, Debug)]
pub struct World {
    pub(super) now: u64,
    pub(super) eps: [Endpoint; 2],
    /// The client's port and the server's (listening) port.
    pub(super) ports: [u16; 2],
    /// `accept` has returned the connection of the current `listen`, per side.
    pub(super) accepted: [bool; 2],
    pub(super) link: Link,
    /// Segments in flight, by arrival time, then order of sending.
    pub(super) queue: VecDeque<InFlight>,
    /// Wireshark's analysis of the segments as the senders put them on the link.
    pub(super) analyzer: TcpAnalyzer,
    /// The footnotes to Wireshark's words told so far.
    pub(super) footnotes: crate::transcript::Footnotes,
    /// Whether each side's linear SYN timeouts have been noted.
    pub(super) told_linear: [bool; 2],
    /// Whether each side's first delayed ACK has been noted.
    pub(super) told_delack: [bool; 2],
    /// Whether a side's recv has been said to send the ACK it was delaying.
    pub(super) told_read_ack: [bool; 2],
    /// A side's read sent the ACK it was delaying; said after the next flush.
    pub(super) read_ack_due: [bool; 2],
    /// A side's persist timer fired and its segment is still to come.
    pub(super) persist_fired: [bool; 2],
    /// Whether a side has been said to send held-back data on a persist timeout.
    pub(super) told_sws: [bool; 2],
    conn: ConnInfo,
    steps: Arc<[Step]>,
    phase: Phase,
    /// Index of the next step to start.
    next_step: usize,
    /// Calls of the current step that have not returned yet.
    pub(super) pending: Vec<Pending>,
    /// When the current step started.
    pub(super) step_started: u64,
    /// Ids given so far: the last segment's id.
    pub(super) next_id: u64,
    /// Segments to lose whatever the link says ("what if it were lost").
    pub(super) lost: BTreeSet<u64>,
    /// States each side entered since its last `wait until` began, as bits
    /// indexed by `State as u16`.
    pub(super) entered: [u16; 2],
    pub(super) events: VecDeque<OwnedEvent>,
    /// Whether events are kept for [`World::poll_event`].
    pub(super) record: bool,
    pub(super) stats: Stats,
    pub(super) failures: Vec<CheckFailure>,
    /// The scenario's name, for errors only the run can find.
    pub(super) source: Arc<str>,
    /// Such an error: the run stopped there.
    error: Option<ScenarioError>,
}

impl World {
    /// A world at time 0, before the first step of `scenario`.
    pub fn new(scenario: &Scenario, opts: &RunOptions) -> World {
        let s = opts.apply(&scenario.settings);
        let profile = Profile::get(s.profile);
        // RFC 9293 3.4.1: ISNs must be unpredictable; here they derive from the seed.
        let mut isn_rng = Rng::derive(s.seed, 0x49_53_4e); // "ISN"
        let isn_c = s.isn[0].unwrap_or_else(|| isn_rng.next_u32());
        let isn_s = s.isn[1].unwrap_or_else(|| isn_rng.next_u32());
        let mk = |iss| {
            Endpoint::new(EndpointConfig {
                profile: profile.clone(),
                mss: s.mss,
                iss: SeqNum(iss),
            })
        };
        World {
            now: 0,
            eps: [mk(isn_c), mk(isn_s)],
            ports: super::ports(scenario),
            accepted: [false, false],
            link: Link::new(s.rtt_us, s.faults.clone(), s.losses.clone(), s.seed),
            queue: VecDeque::new(),
            analyzer: TcpAnalyzer::modular(),
            footnotes: crate::transcript::Footnotes::default(),
            told_linear: [false; 2],
            told_delack: [false; 2],
            told_read_ack: [false; 2],
            read_ack_due: [false; 2],
            persist_fired: [false; 2],
            told_sws: [false; 2],
            conn: super::conn_info(scenario),
            steps: scenario.steps.clone().into(),
            phase: Phase::Steps,
            next_step: 0,
            pending: Vec::new(),
            step_started: 0,
            next_id: 0,
            lost: BTreeSet::new(),
            entered: [0; 2],
            events: VecDeque::new(),
            record: true,
            stats: Stats::default(),
            failures: Vec::new(),
            source: scenario.source.as_str().into(),
            error: None,
        }
    }

    /// Whether to keep events for [`World::poll_event`] (default `true`).
    /// A run that wants only the totals (`--summary`) turns it off.
    pub fn record_events(&mut self, on: bool) {
        self.record = on;
    }

    /// Does the next thing: starts the next scenario step, or moves virtual
    /// time to the next instant anything happens and processes it. Returns
    /// `false` once the run is over (nothing was done).
    pub fn step(&mut self) -> bool {
        match self.phase {
            Phase::Steps if self.pending.is_empty() => {
                match self.steps.get(self.next_step).cloned() {
                    Some(step) => {
                        self.next_step += 1;
                        self.start_step(&step);
                    }
                    None => {
                        self.phase = Phase::Drain {
                            limit: self.now.saturating_add(DRAIN_LIMIT_US),
                        }
                    }
                }
                true
            }
            Phase::Steps => {
                self.wait_for_calls();
                true
            }
            Phase::Drain { limit } => {
                self.drain_once(limit);
                true
            }
            Phase::Done => false,
        }
    }

    /// The next event the last steps produced, oldest first.
    pub fn poll_event(&mut self) -> Option<OwnedEvent> {
        self.events.pop_front()
    }

    /// Runs to the end, dropping events.
    pub fn run_to_end(&mut self) {
        while self.step() {
            self.events.clear();
        }
    }

    /// Loses the segment with this id when it is sent, whatever the link's
    /// rules say. Takes effect on a world that has not sent it yet: a clone
    /// taken before it was sent replays the run with it lost.
    pub fn lose(&mut self, id: u64) {
        self.lost.insert(id);
    }

    /// The id the next segment sent will get.
    pub fn next_segment_id(&self) -> u64 {
        self.next_id + 1
    }

    /// Virtual time, microseconds.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Whether the run is over.
    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// One endpoint, to look at its state and variables.
    pub fn endpoint(&self, side: Side) -> &Endpoint {
        &self.eps[side.index()]
    }

    /// The segments in flight, in arrival order.
    pub fn in_flight(&self) -> impl Iterator<Item = &InFlight> {
        self.queue.iter()
    }

    /// The connection the scenario opens, with the ports it uses.
    pub fn conn_info(&self) -> ConnInfo {
        self.conn
    }

    /// 1-based line of the scenario step that ran last (0 before the first).
    pub fn line(&self) -> u32 {
        match self.next_step.checked_sub(1) {
            Some(i) => self.steps.get(i).map_or(0, |s| s.line),
            None => 0,
        }
    }

    /// The totals and failed checks so far (all of them, once the run is over).
    pub fn outcome(&self) -> RunOutcome {
        let mut stats = self.stats.clone();
        stats.end_us = self.now;
        stats.final_state = [Some(self.eps[0].state()), Some(self.eps[1].state())];
        stats.bytes_read = [self.eps[0].bytes_read(), self.eps[1].bytes_read()];
        stats.read_digest = [self.eps[0].read_digest().0, self.eps[1].read_digest().0];
        RunOutcome {
            failures: self.failures.clone(),
            error: self.error.clone(),
            stats,
        }
    }

    /// A line the run cannot carry out (an `inject` without the numbers it
    /// needs): the run stops here, with `e` in its outcome.
    pub(super) fn fail_run(&mut self, e: ScenarioError) {
        self.error = Some(e);
        self.pending.clear();
        self.phase = Phase::Done;
    }

    pub(super) fn note(&mut self, note: Note) {
        self.push(OwnedKind::Note(note));
    }

    /// After the last step: one instant of segments in flight and
    /// retransmissions playing out (not TIME-WAIT, which a note reports
    /// instead); at the end, the TIME-WAIT notes.
    fn drain_once(&mut self, limit: u64) {
        self.settle();
        let busy = !self.queue.is_empty()
            || self.eps.iter().any(|e| {
                [
                    TimerKind::Retransmit,
                    TimerKind::Persist,
                    TimerKind::DelayedAck,
                    TimerKind::LossProbe,
                ]
                .into_iter()
                .any(|t| e.timer(t).is_some())
            });
        if busy {
            match self.next_event_time() {
                Some(next) if next <= limit => {
                    self.advance_to(next);
                    return;
                }
                _ => self.note(Note::StoppedBusy {
                    after_us: DRAIN_LIMIT_US,
                }),
            }
        }
        for side in [Side::Client, Side::Server] {
            let ep = &self.eps[side.index()];
            if let Some(until_us) = ep.timer(TimerKind::TimeWait) {
                let length_us = ep.profile().time_wait_us;
                self.note(Note::TimeWaitRemains {
                    side,
                    until_us,
                    length_us,
                });
            }
        }
        self.phase = Phase::Done;
    }
}
