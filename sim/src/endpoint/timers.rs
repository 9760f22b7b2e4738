//! Timer expiry: retransmission (RFC 6298 5.4-5.7, RFC 5681 3.1), persist
//! (RFC 9293 3.8.6.1), TIME-WAIT (RFC 9293 3.3.2) and delayed ACK (3.8.6.3).

use super::{Endpoint, EndpointEvent, SockError};
use crate::payload::Payload;
use crate::segment::Flags;
use crate::state::State;
use crate::transcript::TimerKind;

/// An armed timer: when it fires, and how long it was set to run then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Armed {
    /// The deadline (virtual time, microseconds).
    pub(super) at: u64,
    /// The duration it was armed with (what [`EndpointEvent::TimerFired`] reports).
    pub(super) after_us: u64,
}

/// The timers, indexed by `TimerKind as usize` (quinn's timer table). The
/// RTO itself lives apart, in the [`crate::rtt::RttEstimator`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct TimerTable([Option<Armed>; TimerKind::ALL.len()]);

impl TimerTable {
    /// Arms (or re-arms) `t` at `now` to fire `after_us` later.
    pub(super) fn set(&mut self, t: TimerKind, now: u64, after_us: u64) {
        self.0[t as usize] = Some(Armed {
            at: now + after_us,
            after_us,
        });
    }
    pub(super) fn stop(&mut self, t: TimerKind) {
        self.0[t as usize] = None;
    }
    /// The deadline of `t`, when armed.
    pub(super) fn get(&self, t: TimerKind) -> Option<u64> {
        self.0[t as usize].map(|a| a.at)
    }
    /// The earliest deadline.
    pub(super) fn next(&self) -> Option<u64> {
        self.0.iter().flatten().map(|a| a.at).min()
    }
    /// Disarms and returns `t` when it is due at `now`.
    fn take_due(&mut self, t: TimerKind, now: u64) -> Option<Armed> {
        match self.0[t as usize] {
            Some(a) if a.at <= now => self.0[t as usize].take(),
            _ => None,
        }
    }
}

impl Endpoint {
    /// Fires every timer due at or before `now`, in the table's order.
    pub fn handle_timeout(&mut self, now: u64) {
        for kind in TimerKind::ALL {
            if let Some(armed) = self.timers.take_due(kind, now) {
                self.fire(kind, now, armed.after_us);
            }
        }
    }

    fn fire(&mut self, kind: TimerKind, now: u64, after_us: u64) {
        match kind {
            TimerKind::Retransmit => self.on_rto(now, after_us),
            TimerKind::TimeWait => {
                self.push_event(EndpointEvent::TimerFired {
                    timer: kind,
                    after_us,
                    rto_us: None,
                });
                // RFC 9293 3.3.2: "TIME-WAIT ... waiting for enough time to pass
                // to be sure the remote TCP received the acknowledgment of its
                // connection termination request", then CLOSED.
                self.delete_tcb();
            }
            TimerKind::Persist => self.on_persist(now, after_us),
            TimerKind::LossProbe => self.on_loss_probe(now, after_us),
            TimerKind::DelayedAck => {
                self.push_event(EndpointEvent::TimerFired {
                    timer: kind,
                    after_us,
                    rto_us: None,
                });
                self.quickack_timer_fired();
                self.send_ack(now);
            }
        }
    }

    /// RFC 6298 5.4-5.7: the retransmission timer expired.
    fn on_rto(&mut self, now: u64, after_us: u64) {
        let rto = self.rtt.rto_us();
        // Linux tcp_retransmit_timer(): an outstanding loss probe is over.
        self.tlp_high_seq = None;
        self.push_event(EndpointEvent::TimerFired {
            timer: TimerKind::Retransmit,
            after_us,
            rto_us: Some(rto),
        });
        self.retries += 1;
        // Our SYN unacknowledged is the handshake, whatever the state: a CLOSE
        // in SYN-RECEIVED moves to FIN-WAIT-1 (RFC 9293 3.10.4) while the
        // SYN,ACK may still need resending.
        let handshake = self.syn_unacked() && self.state != State::Closed;
        let limit = match self.state {
            _ if !handshake => self.cfg.profile.data_retries,
            // Linux counts the linear timeouts on top (profile.rs, `syn_retries`).
            State::SynSent => self.cfg.profile.syn_retries + self.cfg.profile.syn_linear_timeouts,
            _ => self.cfg.profile.synack_retries,
        };
        // Linux's quick resend after an unacceptable ACK in SYN-SENT does not
        // count toward the limit (profile.rs, `syn_sent_bad_ack_resend_us`).
        if self.retries - u32::from(self.quick_syn_resend) > limit {
            // RFC 9293 3.8.3: after R2 "close the connection"; the app is told.
            self.fail(SockError::TimedOut);
            return;
        }
        // RFC 6298 5.5: back off the timer. Linux tcp_syn_linear_timeouts: the
        // first N SYN retransmissions keep the initial RTO. Only the active
        // side's SYN: ip-sysctl.rst says it "has no effect on SYNACK".
        let linear = self.state == State::SynSent;
        if !(linear && self.retries <= self.cfg.profile.syn_linear_timeouts) {
            self.rtt.on_timeout();
        }
        // Karn (RFC 6298 3): the timed segment is void once anything is resent.
        self.rtt_probe = None;
        if handshake {
            // RFC 6298 5.4: retransmit the earliest unacknowledged segment, the SYN.
            self.syn_retransmitted = true;
            self.send_syn(now, true);
            return;
        }
        // RFC 5681 3.1 eq. (4): ssthresh = max(FlightSize / 2, 2*SMSS), and
        // "cwnd MUST be set to no more than the loss window, LW, which equals 1 full-sized segment".
        let flight = self.snd_max - self.snd_una;
        self.ssthresh = (flight / 2).max(2 * self.smss);
        self.cwnd = self.smss;
        self.recover = None;
        self.dupacks = 0;
        // RFC 6298 5.4: retransmit the earliest segment not acknowledged; we go
        // back to SND.UNA and resend as the (now one-segment) window allows.
        self.snd_nxt = self.snd_una;
        // The retransmission goes out even into a zero window (it then acts as
        // a probe), and even when small (no sender SWS avoidance for it).
        self.output_forced(now);
        // RFC 6298 5.6: "Start the retransmission timer, such that it expires
        // after RTO seconds (for the value of RTO after the doubling operation)".
        if self.snd_max > self.snd_una {
            self.arm_rto(now);
        }
    }

    /// RFC 9293 3.8.6.1: probe a zero window, then back off.
    fn on_persist(&mut self, now: u64, after_us: u64) {
        let timeout = self.persist_timeout_us();
        self.push_event(EndpointEvent::TimerFired {
            timer: TimerKind::Persist,
            after_us,
            rto_us: Some(timeout),
        });
        if !self.state.is_synchronized() {
            return;
        }
        if self.snd_wnd > 0 {
            // RFC 9293 3.8.6.2.1: the SWS "override timeout" expired: send what fits.
            self.output_forced(now);
            return;
        }
        if self.cfg.profile.linux_zero_window_probe {
            // Linux tcp_xmit_probe_skb(): an empty ACK with SEQ = SND.UNA - 1.
            let seg = self.make_segment(Flags::ACK, self.snd_una - 1, Payload::EMPTY, now);
            self.push_tx(seg, false);
        } else {
            // RFC 9293 3.8.6.1: "send a zero window probe" with one byte of new data.
            let data_off = (self.snd_nxt - self.snd_una) as u64;
            let payload = self.send_buf.slice(data_off, 1);
            if payload.is_empty() {
                // Only the FIN waits: it is the probe (BSD forces it out the same way).
                self.output_forced(now);
                return;
            }
            let seq = self.snd_nxt;
            let seg = self.make_segment(Flags::ACK, seq, payload, now);
            // The byte is in flight but SND.NXT stays: an ACK may cover it (snd_max).
            self.snd_max = self.snd_max.max(seq + 1);
            self.push_tx(seg, false);
        }
        self.persist_backoff += 1;
        let next = self.persist_timeout_us();
        self.timers.set(TimerKind::Persist, now, next);
    }
}
