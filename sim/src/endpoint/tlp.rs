//! Linux's tail loss probe (profile `tail_loss_probe`; RFC 8985 7, Linux
//! `tcp_schedule_loss_probe()` and `tcp_send_loss_probe()`).
//!
//! RFC 6298 retransmits a lost tail only when the RTO expires, and then backs
//! the RTO off and (RFC 5681 3.1) drops the congestion window to one segment.
//! Linux arms a probe timeout (PTO) instead, each time it sends new data or an
//! ACK acknowledges some: two smoothed round trips, plus the 200 ms minimum RTO
//! when a single segment is in flight (the peer may be delaying its ACK), plus
//! 2 jiffies otherwise, and never later than the RTO would fire. When the PTO
//! expires it sends one new segment if the peer's window takes it, else the
//! last segment again, to draw an ACK that lets loss recovery start; the RTO is
//! then restarted in full, not backed off, and the congestion window is kept.
//! One probe at a time (`tlp_high_seq`), and none during loss recovery or
//! after an RTO, nor without SACK (the profile offers it; the receiver's SACK
//! blocks are not modelled, so a probe that repairs a loss does not reduce the
//! window as `tcp_process_tlp_ack()` would).

use super::Endpoint;
use crate::segment::Flags;
use crate::transcript::TimerKind;

/// `TCP_TIMEOUT_MIN`: 2 jiffies (8 ms at HZ=250), added to 2 x SRTT when more
/// than one segment is in flight.
const TIMEOUT_MIN_US: u64 = 8_000;

impl Endpoint {
    /// `tcp_schedule_loss_probe()`: arms the PTO in place of the RTO, which
    /// it remembers. `advancing` says an ACK just restarted the RTO (its
    /// whole length bounds the PTO); otherwise new data went out and what is
    /// left of the RTO bounds it. Returns whether the PTO is armed.
    pub(super) fn schedule_loss_probe(&mut self, now: u64, advancing: bool) -> bool {
        let flight = self.snd_max - self.snd_una;
        let Some(srtt) = self.rtt.srtt_us() else {
            return false;
        };
        if !self.cfg.profile.tail_loss_probe
            || !self.peer_sack
            || flight == 0
            || self.syn_unacked()
            || self.recover.is_some()
            || self.retries > 0
        {
            return false;
        }
        let extra = if flight <= self.smss {
            self.cfg.profile.min_rto_us
        } else {
            TIMEOUT_MIN_US
        };
        let rto_at = match (advancing, self.timers.get(TimerKind::Retransmit)) {
            (false, Some(at)) => at,
            (false, None) => self.tlp_rto_at.unwrap_or(now + self.rtt.rto_us()),
            (true, _) => now + self.rtt.rto_us(),
        };
        let pto = (2 * srtt + extra).min(rto_at.saturating_sub(now).max(1));
        self.tlp_rto_at = Some(rto_at);
        self.timers.stop(TimerKind::Retransmit);
        self.timers.set(TimerKind::LossProbe, now, pto);
        true
    }

    /// The PTO expired (`tcp_send_loss_probe()`).
    pub(super) fn on_loss_probe(&mut self, now: u64, after_us: u64) {
        self.push_event(super::EndpointEvent::TimerFired {
            timer: TimerKind::LossProbe,
            after_us,
            rto_us: None,
        });
        let rto_at = self.tlp_rto_at.take();
        if self.snd_max == self.snd_una || !self.state.is_synchronized() {
            return;
        }
        if self.tlp_high_seq.is_some() || self.recover.is_some() || self.retries > 0 {
            // A probe is outstanding, or loss recovery began since the PTO
            // was armed: back to the RTO where it was.
            if self.timers.get(TimerKind::Retransmit).is_none() {
                let at = rto_at.unwrap_or(now + self.rtt.rto_us()).max(now + 1);
                self.timers.set(TimerKind::Retransmit, now, at - now);
            }
            return;
        }
        // One new segment if the peer's window takes it, whatever the
        // congestion window (`tcp_write_xmit(..., push_one = 2)`), Nagle off.
        let sent_before = self.snd_max;
        let (cwnd, flight) = (self.cwnd, self.snd_max - self.snd_una);
        self.cwnd = self.cwnd.max(flight + self.smss);
        self.tlp_new_data = true;
        self.output(now);
        self.tlp_new_data = false;
        self.cwnd = cwnd;
        if self.snd_max == sent_before {
            self.resend_last_segment(now);
        }
        self.tlp_high_seq = Some(self.snd_max);
        // `icsk_pending = 0; tcp_rearm_rto()`: the whole RTO from now.
        self.timers.stop(TimerKind::LossProbe);
        self.arm_rto(now);
    }

    /// Sends the most recent segment of new data again (the tail of the
    /// retransmission queue), with the FIN when it carried it.
    fn resend_last_segment(&mut self, now: u64) {
        let start = self.tlp_last_start.max(self.snd_una);
        let fin_sent = self
            .fin_seq_sent
            .filter(|&f| f >= start && f < self.snd_max);
        let data_end = fin_sent.unwrap_or(self.snd_max);
        let len = data_end - start;
        let off = (start - self.snd_una) as u64;
        let payload = self.send_buf.slice(off, len as usize);
        let mut flags = Flags::ACK;
        if len > 0 && off + len as u64 == self.send_buf.len() {
            flags = flags | Flags::PSH;
        }
        if fin_sent.is_some() {
            flags = flags | Flags::FIN;
        }
        let seg = self.make_segment(flags, start, payload, now);
        let saved = self.snd_nxt;
        self.send_timed(seg, true, now);
        self.snd_nxt = self.snd_nxt.max(saved);
    }

    /// An ACK at or past the probe's SND.NXT ends it (`tcp_process_tlp_ack()`).
    pub(super) fn tlp_acked(&mut self) {
        if self.tlp_high_seq.is_some_and(|h| self.snd_una >= h) {
            self.tlp_high_seq = None;
        }
    }
}
