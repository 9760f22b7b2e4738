//! The network of the world: segments onto the link, the queue of segments
//! in flight, delivery by port, and the endpoints' timers.

use super::stepper::World;
use crate::endpoint::{reset_for_closed_port, EndpointEvent, Transmit};
use crate::link::Verdict;
use crate::payload::Payload;
use crate::segment::Segment;
use crate::state::State;
use crate::transcript::{
    AnalysisFlag, Fate, Note, OwnedEvent, OwnedKind, SegmentEvent, Side, StateSource, TimerKind,
};

/// A segment in flight on the link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InFlight {
    /// The segment's id (1-based, in send order).
    pub id: u64,
    /// When it reaches `to`, in microseconds of virtual time.
    pub arrives_us: u64,
    /// The host it travels to.
    pub to: Side,
    pub seg: Segment,
}

impl World {
    /// Drains both endpoints' outputs: events first, then segments onto the link.
    pub(super) fn flush(&mut self) {
        for side in [Side::Client, Side::Server] {
            // Events and segments in the order the endpoint made them:
            // cause before effect.
            loop {
                let ep = &mut self.eps[side.index()];
                if ep.event_comes_first() {
                    let Some(ev) = ep.poll_event() else { break };
                    match ev {
                        EndpointEvent::StateChanged { from, to } => {
                            self.entered[side.index()] |= 1 << to as u16;
                            self.push(OwnedKind::State {
                                endpoint: side,
                                from,
                                to,
                                source: StateSource::Sim,
                            });
                        }
                        EndpointEvent::TimerFired {
                            timer,
                            after_us,
                            rto_us,
                        } => {
                            self.push(OwnedKind::Timer {
                                endpoint: side,
                                timer,
                                after_us,
                                rto_us,
                            });
                            self.persist_fired[side.index()] = timer == TimerKind::Persist;
                            // Linux tcp_syn_linear_timeouts: the first N SYN
                            // retransmissions keep the initial RTO where RFC
                            // 6298 5.5 doubles it; said once per side.
                            let ep = &self.eps[side.index()];
                            let count = ep.profile().syn_linear_timeouts;
                            if timer == TimerKind::Retransmit
                                && ep.state() == State::SynSent
                                && count > 0
                                && !self.told_linear[side.index()]
                            {
                                self.told_linear[side.index()] = true;
                                self.note(Note::LinearSynTimeouts { side, count });
                            }
                        }
                    }
                } else if let Some(t) = ep.poll_transmit() {
                    // Data a persist timer forces out (more than a probe's
                    // byte): the bytes sender SWS avoidance held back.
                    let forced = std::mem::take(&mut self.persist_fired[side.index()])
                        .then(|| t.seg.payload.len())
                        .filter(|&n| n > 1);
                    self.transmit(side, t);
                    if let Some(bytes) = forced {
                        if !self.told_sws[side.index()] {
                            self.told_sws[side.index()] = true;
                            self.note(Note::PersistForcesOut { side, bytes });
                        }
                    }
                } else {
                    break;
                }
            }
            // A persist timeout that sent nothing says nothing later.
            self.persist_fired[side.index()] = false;
        }
    }

    /// Wireshark's analysis of a segment sent or forged now. As
    /// dissect_tcp() (and the observer's `reuses_ports`), a SYN without ACK
    /// whose seq differs from its flow's base seq starts a new conversation
    /// flagged "reused_ports": its relative numbers count from it, as tshark
    /// shows the export (a forged SYN in a synchronized state, say).
    pub(super) fn analyze(
        &mut self,
        dir: crate::transcript::Dir,
        h: &crate::segment::TcpHeader,
    ) -> crate::observer::analysis::SegmentAnalysis {
        let reused = h.flags.syn()
            && !h.flags.ack()
            && self.analyzer.base_seq(dir).is_some_and(|b| b != h.seq);
        if reused {
            self.analyzer = crate::observer::analysis::TcpAnalyzer::modular();
        }
        let mut seen = self.analyzer.analyze(dir, self.now, h);
        if reused {
            seen.flags.insert(AnalysisFlag::ReusedPorts);
        }
        seen
    }

    /// Puts a segment from `from` on the link and writes its transcript line.
    fn transmit(&mut self, from: Side, t: Transmit) {
        let dir = from.dir();
        let h = t.seg.hdr;
        self.next_id += 1;
        let id = self.next_id;
        // The analysis a capture at the sender would show: Wireshark's rules,
        // the same code that annotates real captures (observer::analysis).
        // The flags are Wireshark's alone; the endpoint's own `retransmission`
        // (which also counts a segment that repeats a zero-window probe's
        // byte) serves Karn's rule.
        let seen = self.analyze(dir, &h);
        // The link counts every segment, so that `#n` of a fault rule and the
        // random loss draw stay those of the unbranched run.
        let mut verdict = self.link.verdict(dir, &h);
        if self.lost.contains(&id) {
            verdict = Verdict::Drop;
        }
        self.stats.segments += 1;
        if seen.flags.contains(AnalysisFlag::Retransmission) {
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
        let one_way = self.now.saturating_add(self.link.one_way_us());
        let arrives_us = match verdict {
            Verdict::Delay(d) => one_way.saturating_add(d),
            _ => one_way,
        };
        if self.record {
            let seg = SegmentEvent {
                id,
                dir,
                hdr: h,
                rel_seq: seen.rel_seq,
                rel_ack: seen.rel_ack,
                win_bytes: seen.win_bytes,
                fate,
                analysis: seen.flags,
                frame: None,
                arrives_us: Some(arrives_us),
                payload: &[],
            };
            let payload = t.seg.payload.to_vec();
            self.push(OwnedKind::Segment { seg, payload });
            if let Some(footnote) = self.footnotes.take(seen.flags) {
                self.note(Note::Footnote {
                    side: from,
                    footnote,
                });
            }
        }
        let to = from.peer();
        match verdict {
            Verdict::Drop => {}
            Verdict::Pass | Verdict::Delay(_) => self.enqueue(arrives_us, id, to, t.seg),
            Verdict::Duplicate => {
                self.enqueue(arrives_us, id, to, t.seg.clone());
                self.enqueue(arrives_us, id, to, t.seg);
            }
        }
    }

    /// Queues a segment to arrive at `at`, after everything that arrives by
    /// then (ties in order of sending). Every segment takes the same one-way
    /// delay, so it nearly always goes at the back; only a `delay` rule's
    /// segment is passed by later ones. (A `BTreeMap` keyed by time was a
    /// third of the instructions on the 100 MB benchmark, bench/README.md:
    /// removing its first entry shifts the rest of the leaf.)
    fn enqueue(&mut self, at: u64, id: u64, to: Side, seg: Segment) {
        let arr = InFlight {
            id,
            arrives_us: at,
            to,
            seg,
        };
        if self.queue.back().is_none_or(|b| b.arrives_us <= at) {
            self.queue.push_back(arr);
        } else {
            let i = self.queue.partition_point(|q| q.arrives_us <= at);
            self.queue.insert(i, arr);
        }
    }

    pub(super) fn push(&mut self, kind: OwnedKind) {
        if self.record {
            self.events.push_back(OwnedEvent {
                t_us: self.now,
                conn: None,
                kind,
            });
        }
    }

    /// The next instant anything happens: an arrival or a timer.
    pub(super) fn next_event_time(&self) -> Option<u64> {
        let q = self.queue.front().map(|a| a.arrives_us);
        let t = self.eps.iter().filter_map(|e| e.poll_timeout()).min();
        match (q, t) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Processes everything due at or before `self.now`.
    pub(super) fn settle(&mut self) {
        loop {
            self.flush();
            if self.queue.front().is_some_and(|a| a.arrives_us <= self.now) {
                if let Some(arr) = self.queue.pop_front() {
                    self.deliver(arr);
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
            return;
        }
    }

    /// Moves to `t` (never backwards) and processes what is due then.
    pub(super) fn advance_to(&mut self, t: u64) {
        self.now = self.now.max(t);
        self.settle();
    }

    /// A segment reaches host `to`: demultiplex by port (RFC 9293 3.10.7).
    pub(super) fn deliver(&mut self, arr: InFlight) {
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
            // RFC 1122 4.2.3.2: the receiver may delay an ACK; said the
            // first time each side does, since no line shows a missing ACK.
            // Not while another segment reaches this side at this instant:
            // a FIN or a second full segment behind this one is ACKed at
            // once, and "delays its ACK" would be contradicted a line later.
            let side = arr.to;
            let more_now = self
                .queue
                .iter()
                .take_while(|a| a.arrives_us <= now)
                .any(|a| a.to == side);
            if !more_now && !self.told_delack[side.index()] {
                let ep = &self.eps[side.index()];
                if let (Some(_), Some(max_us)) =
                    (ep.timer(TimerKind::DelayedAck), ep.profile().delayed_ack_us)
                {
                    self.told_delack[side.index()] = true;
                    self.note(Note::DelayedAck { side, max_us });
                }
            }
        } else if let Some(rst) = reset_for_closed_port(&h) {
            // RFC 9293 3.10.7.1: nobody has this port: the host answers with
            // a RST, and the transcript says why, before it.
            self.note(Note::ClosedPortReset {
                side: arr.to,
                port: h.dst_port,
                flags: h.flags,
            });
            let t = Transmit {
                seg: Segment::new(rst, Payload::EMPTY),
                retransmission: false,
            };
            self.transmit(arr.to, t);
        } else {
            // A RST for a port with no connection is dropped, never answered
            // (RFC 9293 3.10.7.1): said, so that it is not seen as lost, nor
            // as the cause of what happened as it was sent.
            self.note(Note::ResetDropped {
                side: arr.to,
                port: h.dst_port,
            });
        }
    }
}
