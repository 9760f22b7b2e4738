//! The fifth check of RFC 9293 3.10.7.4, "check the ACK field": which ACKs
//! are acceptable (RFC 5961 5.2), what an acceptable one moves (SND.UNA, the
//! send window, the state), the retransmission timer and RTT samples
//! (RFC 6298), and congestion control (RFC 5681 3.1/3.2, RFC 6582).

use super::super::output::ts_clock;
use super::super::Endpoint;
use crate::segment::{Flags, TcpHeader};
use crate::state::State;
use crate::transcript::TimerKind;

/// What the fifth check leaves to do with the segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum AfterAck {
    /// Go on: the seventh check (segment text) and the eighth (FIN).
    Continue,
    /// The ACK was not acceptable: it was answered (an ACK or a RST) and
    /// the segment is dropped.
    Dropped,
    /// LAST-ACK and our FIN acknowledged: the TCB is deleted, nothing is left to do.
    Closed,
}

impl Endpoint {
    /// "Fifth, check the ACK field", "if the ACK bit is on", per state.
    pub(super) fn check_ack(&mut self, now: u64, h: &TcpHeader) -> AfterAck {
        let verdict = match self.state {
            State::SynReceived => self.ack_in_syn_received(now, h),
            _ => self.ack_in_synchronized(now, h),
        };
        match verdict {
            AfterAck::Continue => self.after_ack_state(now),
            stop => stop,
        }
    }

    /// SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED
    /// state and continue processing with the variables below set to:
    /// SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK. If the
    /// segment acknowledgment is not acceptable, form a reset segment
    /// <SEQ=SEG.ACK><CTL=RST> and send it."
    fn ack_in_syn_received(&mut self, now: u64, h: &TcpHeader) -> AfterAck {
        if !(self.snd_una < h.ack && h.ack <= self.snd_max) {
            let rst = self.make_segment(Flags::RST, h.ack, Vec::new(), now);
            self.push_tx(rst, false);
            return AfterAck::Dropped;
        }
        self.snd_una = h.ack;
        self.on_syn_acked(now, h);
        self.snd_wnd = (h.window as u32) << self.snd_wscale;
        self.max_snd_wnd = self.max_snd_wnd.max(self.snd_wnd);
        self.snd_wl1 = h.seq;
        self.snd_wl2 = h.ack;
        self.set_state(State::Established);
        if self.fin_queued {
            // CLOSE was called in SYN-RECEIVED (3.10.4).
            self.set_state(State::FinWait1);
        }
        AfterAck::Continue
    }

    /// ESTABLISHED and the states that "do the same processing as for the
    /// ESTABLISHED state" (RFC 5961 5.2; RFC 6298 5.2/5.3; RFC 5681 3.1/3.2;
    /// RFC 6582): the ACK's acceptability, SND.UNA and the send window.
    fn ack_in_synchronized(&mut self, now: u64, h: &TcpHeader) -> AfterAck {
        // RFC 5961 5.2: "the ACK value is acceptable only if it is in the
        // range of ((SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT). All
        // incoming segments whose ACK value doesn't satisfy the above
        // condition MUST be discarded and an ACK sent back." (SND.NXT here
        // is SND.MAX, the highest ever sent: see `acceptable_seq`.)
        if h.ack > self.snd_max {
            // RFC 9293: "If the ACK acks something not yet sent (SEG.ACK >
            // SND.NXT), then send an ACK, drop the segment, and return."
            self.send_limited_ack(now, h, true);
            return AfterAck::Dropped;
        }
        if h.ack < self.snd_una - self.max_snd_wnd.max(1) {
            // Too old: the lower bound, SND.UNA - MAX.SND.WND.
            self.send_limited_ack(now, h, true);
            return AfterAck::Dropped;
        }
        let scaled_wnd = (h.window as u32) << self.snd_wscale;
        if scaled_wnd == 0 {
            // RFC 1122 4.2.2.17: "As long as the receiving TCP continues to send
            // acknowledgments in response to the probe segments, the sending TCP
            // MUST allow the connection to stay open": a closed window is not
            // an unresponsive peer, so retransmissions into it do not count.
            self.retries = 0;
        }
        if h.ack > self.snd_una {
            // "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK."
            self.on_new_ack(now, h);
        } else if h.ack == self.snd_una
            && h.payload_len == 0
            && !h.flags.syn()
            && !h.flags.fin()
            && scaled_wnd == self.snd_wnd
            // The ACK of a zero-window probe is no duplicate ACK: fast
            // retransmit would send into a closed window (RFC 9293 3.8.6.1).
            && scaled_wnd > 0
            && self.snd_max > self.snd_una
        {
            // RFC 9293: "If the ACK is a duplicate (SEG.ACK =< SND.UNA), it
            // can be ignored", but RFC 5681 2 counts it: a duplicate
            // acknowledgment (nothing new, same window, data outstanding).
            self.on_dup_ack(now);
        }
        // "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be updated.
        // If (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK))"
        if self.snd_una <= h.ack
            && (self.snd_wl1 < h.seq || (self.snd_wl1 == h.seq && self.snd_wl2 <= h.ack))
        {
            let was_zero = self.snd_wnd == 0;
            self.snd_wnd = scaled_wnd;
            self.snd_wl1 = h.seq;
            self.snd_wl2 = h.ack;
            self.max_snd_wnd = self.max_snd_wnd.max(scaled_wnd);
            if was_zero && scaled_wnd > 0 {
                // RFC 9293 3.8.6.1: the window opened; stop probing.
                self.timers.stop(TimerKind::Persist);
                self.persist_backoff = 0;
            }
        }
        AfterAck::Continue
    }

    /// SND.UNA advances: "Any segments on the retransmission queue that are
    /// thereby entirely acknowledged are removed", the RTT sample (RFC 6298),
    /// the retransmission timer and the congestion window (RFC 5681, 6582).
    fn on_new_ack(&mut self, now: u64, h: &TcpHeader) {
        let mut acked = h.ack - self.snd_una;
        if self.syn_unacked() {
            acked -= 1;
        }
        if matches!(self.fin_seq_sent, Some(f) if h.ack > f && self.snd_una <= f) {
            acked -= 1;
        }
        self.send_buf.consume(acked as u64);
        self.snd_una = h.ack;
        if self.snd_nxt < self.snd_una {
            self.snd_nxt = self.snd_una;
        }
        // Karn (RFC 6298 3): the backoff ends only with a valid sample.
        self.take_rtt_sample(now, h);
        self.retries = 0;
        // RFC 6298 5.2: "When all outstanding data has been acknowledged, turn
        // off the retransmission timer." 5.3: "When an ACK is received that
        // acknowledges new data, restart the retransmission timer".
        self.tlp_acked();
        if self.snd_una == self.snd_max {
            self.timers.stop(TimerKind::Retransmit);
            self.timers.stop(TimerKind::LossProbe);
        } else {
            self.arm_rto(now);
            // Linux tcp_set_xmit_timer(): the loss probe in place of the RTO.
            self.schedule_loss_probe(now, true);
        }
        // Congestion control.
        match self.recover {
            Some(recover) if h.ack < recover => {
                // RFC 6582 3.2 step 5, partial ACK: retransmit the first
                // unacknowledged segment, deflate by the amount acked.
                self.cwnd = self.cwnd.saturating_sub(acked).saturating_add(self.smss);
                self.retransmit_first(now);
            }
            Some(_) => {
                // RFC 6582 3.2 step 6, full ACK: deflate to ssthresh.
                self.cwnd = self.ssthresh.max(self.smss);
                self.recover = None;
            }
            None if self.cwnd < self.ssthresh => {
                // RFC 5681 3.1 slow start: cwnd += min(N, SMSS).
                self.cwnd = self.cwnd.saturating_add(acked.min(self.smss));
            }
            None => {
                // RFC 5681 3.1 congestion avoidance: cwnd += SMSS*SMSS/cwnd.
                let inc = ((self.smss as u64 * self.smss as u64) / self.cwnd.max(1) as u64).max(1);
                self.cwnd = self.cwnd.saturating_add(inc as u32);
            }
        }
        self.dupacks = 0;
    }

    /// The RTT sample of an ACK that advanced SND.UNA, if it gives a valid
    /// one. Karn (RFC 6298 3): only a segment never retransmitted gives a
    /// sample, and the backed-off RTO stays until one does ([`RttEstimator::on_sample`]
    /// ends the backoff). With `rtt_from_ts_echo` (Linux
    /// `tcp_ack_update_rtt()`: "RTTM Rule: A TSecr value received in a
    /// segment is used to update the averaged RTT measurement only if the
    /// segment acknowledges some new data"; RFC 7323 4.1), the echoed
    /// timestamp is a valid sample when the timed segment is not (yet) acked:
    /// the echo names the transmission that was acknowledged, so a
    /// retransmission is no longer ambiguous.
    ///
    /// [`RttEstimator::on_sample`]: crate::rtt::RttEstimator::on_sample
    pub(super) fn take_rtt_sample(&mut self, now: u64, h: &TcpHeader) {
        if let Some((end, sent)) = self.rtt_probe {
            if self.snd_una >= end {
                self.rtt.on_sample(now.saturating_sub(sent));
                self.rtt_probe = None;
                return;
            }
        }
        if !(self.cfg.profile.rtt_from_ts_echo && self.ts_enabled) {
            return;
        }
        if let Some((_, tsecr)) = h.options.timestamps {
            if tsecr != 0 {
                // Linux tcp_rtt_tsopt_us(): a delta of 0 ticks counts as 1.
                let ticks = ts_clock(now).wrapping_sub(tsecr).max(1);
                if ticks < 1 << 31 {
                    self.rtt.on_sample(ticks as u64 * 1000);
                }
            }
        }
    }

    /// RFC 5681 3.2: the third duplicate ACK triggers fast retransmit and fast recovery.
    fn on_dup_ack(&mut self, now: u64) {
        self.dupacks += 1;
        if self.recover.is_some() {
            // RFC 5681 3.2 step 4: inflate by one segment per further duplicate.
            self.cwnd = self.cwnd.saturating_add(self.smss);
            return;
        }
        if self.dupacks == 3 {
            let flight = self.snd_max - self.snd_una;
            // RFC 5681 eq. (4): ssthresh = max(FlightSize / 2, 2*SMSS)
            self.ssthresh = (flight / 2).max(2 * self.smss);
            self.recover = Some(self.snd_max);
            self.retransmit_first(now);
            // RFC 5681 3.2 step 3: cwnd = ssthresh + 3*SMSS
            self.cwnd = self.ssthresh + 3 * self.smss;
        }
    }

    /// Resends the segment at SND.UNA (fast retransmit, partial ACKs).
    fn retransmit_first(&mut self, now: u64) {
        let saved_nxt = self.snd_nxt;
        let saved_cwnd = self.cwnd;
        self.snd_nxt = self.snd_una;
        self.cwnd = self.smss;
        let saved_wnd = self.snd_wnd;
        self.snd_wnd = self.snd_wnd.max(self.smss);
        self.output(now);
        self.snd_wnd = saved_wnd;
        self.cwnd = saved_cwnd;
        self.snd_nxt = self.snd_nxt.max(saved_nxt);
    }

    /// The state changes an acceptable ACK causes.
    fn after_ack_state(&mut self, now: u64) -> AfterAck {
        match self.state {
            // FIN-WAIT-1: "In addition to the processing for the ESTABLISHED
            // state, if the FIN segment is now acknowledged, then enter
            // FIN-WAIT-2 and continue processing in that state."
            State::FinWait1 if self.fin_acked() => {
                self.timers.stop(TimerKind::Retransmit);
                self.timers.stop(TimerKind::LossProbe);
                self.set_state(State::FinWait2);
                AfterAck::Continue
            }
            // CLOSING: "In addition to the processing for the ESTABLISHED
            // state, if the ACK acknowledges our FIN, then enter the
            // TIME-WAIT state".
            State::Closing if self.fin_acked() => {
                self.enter_time_wait(now);
                AfterAck::Continue
            }
            // LAST-ACK: "If our FIN is now acknowledged, delete the TCB,
            // enter the CLOSED state, and return."
            State::LastAck if self.fin_acked() => {
                self.delete_tcb();
                AfterAck::Closed
            }
            _ => AfterAck::Continue,
        }
    }
}
