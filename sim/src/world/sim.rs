//! The event loop: endpoints, the link, the queue of segments in flight.

use super::{ExpectFailure, RunOptions, RunOutcome, Stats};
use crate::endpoint::{reset_for_closed_port, Endpoint, EndpointConfig, EndpointEvent, Transmit};
use crate::link::{Link, Verdict};
use crate::observer::analysis::TcpAnalyzer;
use crate::profile::Profile;
use crate::rng::Rng;
use crate::scenario::{Action, Scenario};
use crate::segment::Segment;
use crate::seq::SeqNum;
use crate::state::State;
use crate::transcript::{
    AnalysisFlag, ConnInfo, Event, EventKind, Fate, SegmentEvent, Side, Sink, TimerKind,
};
use std::collections::BTreeMap;
use std::io;

/// How long the world keeps running after the last step for segments in
/// flight and retransmissions to play out.
const DRAIN_LIMIT_US: u64 = 600_000_000;

/// A segment in flight towards `to`.
#[derive(Clone, Debug)]
struct Arrival {
    to: Side,
    seg: Segment,
}

/// Two endpoints, a link and virtual time.
pub struct World<'a> {
    pub(super) now: u64,
    pub(super) eps: [Endpoint; 2],
    /// The client's port and the server's port.
    pub(super) ports: [u16; 2],
    /// `accept` has returned the connection of the current `listen`, per side.
    pub(super) accepted: [bool; 2],
    link: Link,
    queue: BTreeMap<(u64, u64), Arrival>,
    counter: u64,
    /// Wireshark's analysis of the segments as the senders put them on the link.
    analyzer: TcpAnalyzer,
    pub(super) sink: &'a mut dyn Sink,
    pub(super) stats: Stats,
    pub(super) failures: Vec<ExpectFailure>,
    pub(super) source: String,
}

/// Runs `scenario` in the simulator, streaming its transcript into `sink`.
///
/// Deterministic: the same scenario, options and seed give the same events.
pub fn run(scenario: &Scenario, opts: &RunOptions, sink: &mut dyn Sink) -> io::Result<RunOutcome> {
    let mut world = World::new(scenario, opts, sink);
    world.begin()?;
    for step in &scenario.steps {
        world.run_step(step)?;
    }
    world.drain()?;
    world.sink.finish()?;
    let mut stats = world.stats.clone();
    stats.end_us = world.now;
    stats.final_state = [Some(world.eps[0].state()), Some(world.eps[1].state())];
    stats.bytes_read = [world.eps[0].bytes_read(), world.eps[1].bytes_read()];
    stats.read_digest = [world.eps[0].read_digest().0, world.eps[1].read_digest().0];
    Ok(RunOutcome {
        expect_failures: std::mem::take(&mut world.failures),
        stats,
    })
}

/// The client's and the server's ports: `port client N` (49152), and the
/// port the server listens on (9999 when it never listens), per DESIGN.md.
pub fn ports(scenario: &Scenario) -> [u16; 2] {
    let listen = scenario
        .steps
        .iter()
        .flat_map(|st| &st.actions)
        .find_map(|a| match a {
            Action::Listen {
                side: Side::Server,
                port,
            } => Some(*port),
            _ => None,
        });
    [scenario.settings.client_port, listen.unwrap_or(9999)]
}

impl<'a> World<'a> {
    pub fn new(scenario: &Scenario, opts: &RunOptions, sink: &'a mut dyn Sink) -> World<'a> {
        let s = &scenario.settings;
        let profile_name = opts.profile.unwrap_or(s.profile);
        let seed = opts.seed.unwrap_or(s.seed);
        let profile = Profile::get(profile_name);
        // RFC 9293 3.4.1: ISNs must be unpredictable; here they derive from the seed.
        let mut isn_rng = Rng::derive(seed, 0x49_53_4e); // "ISN"
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
            ports: ports(scenario),
            accepted: [false, false],
            link: Link::new(s.rtt_us, s.faults.clone(), s.losses.clone(), seed),
            queue: BTreeMap::new(),
            counter: 0,
            analyzer: TcpAnalyzer::modular(),
            sink,
            stats: Stats::default(),
            failures: Vec::new(),
            source: scenario.source.clone(),
        }
    }

    fn begin(&mut self) -> io::Result<()> {
        let info = ConnInfo {
            conn: None,
            client: format!("port {}", self.ports[0]),
            server: format!("port {}", self.ports[1]),
        };
        self.sink.begin_conn(&info)
    }

    pub(super) fn ep(&self, side: Side) -> &Endpoint {
        &self.eps[side.index()]
    }

    pub(super) fn ep_mut(&mut self, side: Side) -> &mut Endpoint {
        &mut self.eps[side.index()]
    }

    pub(super) fn emit(&mut self, kind: EventKind<'_>) -> io::Result<()> {
        self.sink.event(&Event {
            t_us: self.now,
            conn: None,
            kind,
        })
    }

    pub(super) fn note(&mut self, text: &str) -> io::Result<()> {
        self.emit(EventKind::Note { text })
    }

    /// Drains both endpoints' outputs: events first, then segments onto the link.
    pub(super) fn flush(&mut self) -> io::Result<()> {
        for side in [Side::Client, Side::Server] {
            loop {
                let mut progressed = false;
                while let Some(ev) = self.ep_mut(side).poll_event() {
                    progressed = true;
                    match ev {
                        EndpointEvent::StateChanged { from, to } => {
                            self.emit(EventKind::State {
                                endpoint: side,
                                from,
                                to,
                            })?
                        }
                        EndpointEvent::TimerFired { timer, rto_us, .. } => {
                            self.emit(EventKind::Timer {
                                endpoint: side,
                                timer,
                                rto_us,
                            })?
                        }
                    }
                }
                while let Some(t) = self.ep_mut(side).poll_transmit() {
                    progressed = true;
                    self.transmit(side, t)?;
                }
                if !progressed {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Puts a segment from `from` on the link and writes its transcript line.
    fn transmit(&mut self, from: Side, t: Transmit) -> io::Result<()> {
        let dir = from.dir();
        let h = t.seg.hdr;
        // The analysis a capture at the sender would show: Wireshark's rules,
        // the same code that annotates real captures (observer::analysis).
        let seen = self.analyzer.analyze(dir, self.now, &h);
        let verdict = self.link.verdict(dir, &h);
        self.stats.segments += 1;
        // The flags are Wireshark's alone, as a capture at the sender would
        // show them; the endpoint's own `retransmission` (which also counts a
        // segment that repeats a zero-window probe's byte) serves Karn's rule.
        let analysis = seen.flags;
        if analysis.contains(AnalysisFlag::Retransmission) {
            self.stats.retransmissions += 1;
        }
        let fate = match verdict {
            Verdict::Drop => {
                self.stats.dropped += 1;
                Fate::Dropped
            }
            Verdict::Duplicate => {
                self.stats.duplicated += 1;
                Fate::Duplicated
            }
            Verdict::Delay(_) => {
                self.stats.delayed += 1;
                Fate::Delivered
            }
            Verdict::Pass => Fate::Delivered,
        };
        let ev = SegmentEvent {
            dir,
            hdr: h,
            rel_seq: seen.rel_seq,
            rel_ack: seen.rel_ack,
            win_bytes: seen.win_bytes,
            fate,
            analysis,
            frame: None,
            payload: &t.seg.payload,
        };
        self.sink.event(&Event {
            t_us: self.now,
            conn: None,
            kind: EventKind::Segment(ev),
        })?;
        let arrive = self.now.saturating_add(self.link.one_way_us());
        let to = from.peer();
        match verdict {
            Verdict::Drop => {}
            Verdict::Pass => self.enqueue(arrive, to, t.seg),
            Verdict::Delay(d) => self.enqueue(arrive.saturating_add(d), to, t.seg),
            Verdict::Duplicate => {
                self.enqueue(arrive, to, t.seg.clone());
                self.enqueue(arrive, to, t.seg);
            }
        }
        Ok(())
    }

    fn enqueue(&mut self, at: u64, to: Side, seg: Segment) {
        self.counter += 1;
        self.queue.insert((at, self.counter), Arrival { to, seg });
    }

    /// The next instant anything happens: an arrival or a timer.
    pub(super) fn next_event_time(&self) -> Option<u64> {
        let q = self.queue.keys().next().map(|k| k.0);
        let t = self.eps.iter().filter_map(|e| e.poll_timeout()).min();
        match (q, t) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Processes everything due at or before `self.now`.
    pub(super) fn settle(&mut self) -> io::Result<()> {
        loop {
            self.flush()?;
            let first = self.queue.first_key_value().map(|(k, _)| *k);
            if let Some(key) = first.filter(|k| k.0 <= self.now) {
                if let Some(arr) = self.queue.remove(&key) {
                    self.deliver(arr)?;
                }
                continue;
            }
            let due = self
                .eps
                .iter()
                .any(|e| e.poll_timeout().is_some_and(|t| t <= self.now));
            if due {
                let now = self.now;
                for ep in &mut self.eps {
                    ep.handle_timeout(now);
                }
                continue;
            }
            return Ok(());
        }
    }

    /// Advances virtual time to `t` (not past it), processing what is due.
    pub(super) fn advance_to(&mut self, t: u64) -> io::Result<()> {
        self.settle()?;
        while let Some(next) = self.next_event_time() {
            if next > t {
                break;
            }
            self.now = self.now.max(next);
            self.settle()?;
        }
        self.now = self.now.max(t);
        self.settle()
    }

    /// Advances to the next event; false when nothing is scheduled.
    pub(super) fn advance_one(&mut self) -> io::Result<bool> {
        self.settle()?;
        match self.next_event_time() {
            Some(next) => {
                self.now = self.now.max(next);
                self.settle()?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// A segment reaches host `to`: demultiplex by port (RFC 9293 3.10.7).
    fn deliver(&mut self, arr: Arrival) -> io::Result<()> {
        let now = self.now;
        let ep = &mut self.eps[arr.to.index()];
        let h = arr.seg.hdr;
        let matches = ep.local_port() == h.dst_port
            && match ep.state() {
                State::Closed => false,
                State::Listen => true,
                _ => ep.remote_port() == h.src_port,
            };
        if matches {
            ep.handle_segment(now, &arr.seg);
        } else if let Some(rst) = reset_for_closed_port(&h) {
            // RFC 9293 3.10.7.1: nobody has this port: the host answers with a RST.
            let t = Transmit {
                seg: Segment::new(rst, Vec::new()),
                retransmission: false,
            };
            self.transmit(arr.to, t)?;
        }
        Ok(())
    }

    /// After the last step: let segments in flight and retransmissions play
    /// out (not TIME-WAIT, which the transcript reports instead).
    fn drain(&mut self) -> io::Result<()> {
        let limit = self.now.saturating_add(DRAIN_LIMIT_US);
        loop {
            self.settle()?;
            let busy = !self.queue.is_empty()
                || self.eps.iter().any(|e| {
                    [
                        TimerKind::Retransmit,
                        TimerKind::Persist,
                        TimerKind::DelayedAck,
                    ]
                    .into_iter()
                    .any(|t| e.timer(t).is_some())
                });
            if !busy {
                break;
            }
            match self.next_event_time() {
                Some(next) if next <= limit => {
                    self.now = next;
                }
                _ => {
                    self.note("simulation stopped 10 minutes after the last step; the connection was still busy")?;
                    break;
                }
            }
        }
        for side in [Side::Client, Side::Server] {
            if let Some(at) = self.ep(side).timer(TimerKind::TimeWait) {
                let text = format!(
                    "{side} stays in TIME-WAIT until {:.3} s (2*MSL); a `wait` would show it close",
                    at as f64 / 1e6
                );
                self.note(&text)?;
            }
        }
        Ok(())
    }
}
