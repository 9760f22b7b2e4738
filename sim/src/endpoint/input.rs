//! Segment arrival: RFC 9293 section 3.10.7 ("SEGMENT ARRIVES"), with the
//! RST and SYN rules of RFC 5961 and the ACK rules of RFC 5681/6582.

use super::{Endpoint, SockError};
use crate::segment::{Flags, Segment, TcpHeader};
use crate::seq::SeqNum;
use crate::state::State;
use crate::transcript::TimerKind;

/// The answer of a port with no connection (RFC 9293 3.10.7.1, "If the state
/// is CLOSED"): "An incoming segment containing a RST is discarded. An
/// incoming segment not containing a RST causes a RST to be sent in response."
pub fn reset_for_closed_port(hdr: &TcpHeader) -> Option<TcpHeader> {
    if hdr.flags.rst() {
        return None;
    }
    let mut rst = TcpHeader {
        src_port: hdr.dst_port,
        dst_port: hdr.src_port,
        ..TcpHeader::default()
    };
    if hdr.flags.ack() {
        // "If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>"
        rst.seq = hdr.ack;
        rst.flags = Flags::RST;
    } else {
        // "If the ACK bit is off, sequence number zero is used,
        //  <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>"
        rst.seq = SeqNum(0);
        rst.ack = hdr.seq + hdr.seg_len();
        rst.flags = Flags::RST | Flags::ACK;
    }
    Some(rst)
}

impl Endpoint {
    /// A segment arrived for this connection (ports already matched).
    pub fn handle_segment(&mut self, now: u64, seg: &Segment) {
        match self.state {
            // 3.10.7.1 is the owner's: it calls `reset_for_closed_port`.
            State::Closed => {}
            State::Listen => self.on_listen(now, seg),
            State::SynSent => self.on_syn_sent(now, seg),
            _ => self.on_synchronized(now, seg),
        }
    }

    /// RFC 9293 3.10.7.2, "If the state is LISTEN".
    fn on_listen(&mut self, now: u64, seg: &Segment) {
        let h = &seg.hdr;
        // "First, check for a RST: An incoming RST segment could not be valid ... ignore"
        if h.flags.rst() {
            return;
        }
        self.remote_port = h.src_port;
        // "Second, check for an ACK: ... form a reset segment <SEQ=SEG.ACK><CTL=RST>"
        if h.flags.ack() {
            let rst = self.make_segment(Flags::RST, h.ack, Vec::new(), now);
            self.push_tx(rst, false);
            return;
        }
        // "Third, check for a SYN: ... Set RCV.NXT to SEG.SEQ+1, IRS is set to
        // SEG.SEQ ... ISS should be selected and a SYN segment sent of the form
        // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. SND.NXT is set to ISS+1 and
        // SND.UNA to ISS. The connection state should be changed to SYN-RECEIVED."
        if h.flags.syn() {
            self.take_syn(h);
            self.snd_una = self.iss;
            self.set_state(State::SynReceived);
            self.send_syn(now, false);
        }
        // "Fourth, other data or control: ... drop the segment and return."
    }

    /// Records what a SYN tells us: IRS and the options (RFC 9293 3.7.1 MSS,
    /// RFC 7323 window scale and timestamps, RFC 2018 SACK-permitted).
    fn take_syn(&mut self, h: &TcpHeader) {
        self.irs = h.seq;
        self.rcv_nxt = h.seq + 1;
        self.rcv_adv = self.rcv_nxt;
        let profile = &self.cfg.profile;
        // RFC 9293 3.7.1: without an MSS option, assume 536 (IPv4).
        let peer_mss = h.options.mss.unwrap_or(536) as u32;
        self.peer_wscale = h.options.wscale;
        // RFC 7323 2.2: scaling is on only when both sides sent the option.
        match (profile.wscale, h.options.wscale) {
            (Some(ours), Some(theirs)) => {
                self.rcv_wscale = ours;
                // RFC 7323 2.3: a shift above 14 is treated as 14.
                self.snd_wscale = theirs.min(14);
            }
            _ => {
                self.rcv_wscale = 0;
                self.snd_wscale = 0;
            }
        }
        self.peer_sack = h.options.sack_permitted;
        self.ts_enabled = profile.timestamps && h.options.timestamps.is_some();
        if let Some((tsval, _)) = h.options.timestamps {
            self.ts_recent = tsval;
        }
        let opt_len = if self.ts_enabled {
            super::output::TS_OPTION_LEN
        } else {
            0
        };
        self.smss = (self.cfg.mss as u32)
            .min(peer_mss)
            .saturating_sub(opt_len)
            .max(1);
        self.cwnd = self.cfg.profile.initial_cwnd(self.smss);
        // RFC 7323 2.2: "The window field in a SYN segment itself is never scaled."
        self.snd_wnd = h.window as u32;
        self.max_snd_wnd = self.snd_wnd;
        self.snd_wl1 = h.seq;
        self.snd_wl2 = h.ack;
    }

    /// RFC 9293 3.10.7.3, "If the state is SYN-SENT".
    fn on_syn_sent(&mut self, now: u64, seg: &Segment) {
        let h = &seg.hdr;
        // "First, check the ACK bit: If SEG.ACK =< ISS or SEG.ACK > SND.NXT,
        // send a reset (unless the RST bit is set, if so drop the segment)".
        if h.flags.ack() && (h.ack <= self.iss || h.ack > self.snd_max) {
            if !h.flags.rst() {
                let rst = self.make_segment(Flags::RST, h.ack, Vec::new(), now);
                self.push_tx(rst, false);
            }
            return;
        }
        // "Second, check the RST bit: If the ACK was acceptable, then signal to
        // the user 'error: connection reset', drop the segment, enter CLOSED
        // state". RFC 5961 3.2 keeps this (the ACK must cover our SYN). To a
        // socket app this is ECONNREFUSED.
        if h.flags.rst() {
            if h.flags.ack() {
                self.fail(SockError::Refused);
            }
            return;
        }
        // "Fourth, check the SYN bit"
        if !h.flags.syn() {
            return;
        }
        self.take_syn(h);
        if h.flags.ack() {
            self.snd_una = h.ack;
            self.on_syn_acked(now);
        }
        if self.snd_una > self.iss {
            // "If SND.UNA > ISS (our SYN has been ACKed), change the connection
            // state to ESTABLISHED, form an ACK segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"
            self.set_state(State::Established);
            self.snd_wl1 = h.seq;
            self.snd_wl2 = h.ack;
            self.send_ack(now);
            self.output(now);
        } else {
            // "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment
            // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>" (simultaneous open).
            self.set_state(State::SynReceived);
            self.snd_nxt = self.iss;
            let seg = self.make_segment(Flags::SYN | Flags::ACK, self.iss, Vec::new(), now);
            self.snd_nxt = self.iss + 1;
            self.push_tx(seg, false);
        }
    }

    /// Our SYN is acknowledged: take the RTT sample and stop the timer.
    fn on_syn_acked(&mut self, now: u64) {
        if let Some((end, sent)) = self.rtt_probe {
            if self.snd_una >= end {
                self.rtt.on_sample(now.saturating_sub(sent));
                self.rtt_probe = None;
            }
        }
        self.retries = 0;
        self.rtt.on_new_ack();
        if self.syn_retransmitted {
            self.rtt.after_syn_timeout();
        }
        self.timers.stop(TimerKind::Retransmit);
    }

    /// RFC 9293 3.10.7.4, "Otherwise" (SYN-RECEIVED and the synchronized states).
    fn on_synchronized(&mut self, now: u64, seg: &Segment) {
        let mut h = seg.hdr;
        if self.state == State::SynReceived
            && self.active_open
            && h.flags.syn()
            && h.flags.ack()
            && h.seq == self.irs
        {
            // Simultaneous open (RFC 9293 Figure 8, line 6): the peer's SYN,ACK
            // repeats the SYN we already have and acknowledges ours. The old
            // SYN is trimmed ("only the new parts are processed", 3.10.7.4)
            // and the ACK is taken: SYN-RECEIVED -> ESTABLISHED.
            h.flags = Flags(h.flags.0 & !Flags::SYN.0);
            h.seq += 1;
        }
        let rcv_wnd = self.rcv_wnd();
        let seg_len = h.seg_len();

        // "First, check sequence number": the four acceptability cases.
        let acceptable = match (seg_len, rcv_wnd) {
            (0, 0) => h.seq == self.rcv_nxt,
            (0, w) => h.seq.in_window(self.rcv_nxt, w),
            (_, 0) => false,
            (l, w) => {
                h.seq.in_window(self.rcv_nxt, w) || (h.seq + (l - 1)).in_window(self.rcv_nxt, w)
            }
        };
        // "If the RCV.WND is zero, no segments will be acceptable, but special
        // allowance should be made to accept valid ACKs, URGs, and RSTs."
        let zero_window_ack_only = !acceptable && rcv_wnd == 0 && h.seq == self.rcv_nxt;
        if !acceptable && !zero_window_ack_only {
            // "If an incoming segment is not acceptable, an acknowledgment
            // should be sent in reply (unless the RST bit is set ...)"
            if h.flags.rst() {
                return; // RFC 5961 3.2: out-of-window RST silently dropped.
            }
            if self.state == State::SynReceived
                && h.flags.syn()
                && !h.flags.ack()
                && h.seq == self.irs
                && self.cfg.profile.resend_synack_on_dup_syn
            {
                // Linux (tcp_check_req): a retransmitted SYN gets the SYN-ACK again.
                let syn_ack = self.make_segment(Flags::SYN | Flags::ACK, self.iss, Vec::new(), now);
                self.push_tx(syn_ack, true);
                return;
            }
            if self.state == State::TimeWait && h.flags.fin() {
                // 3.10.7.4 eighth, TIME-WAIT: "Acknowledge it, and restart the 2 MSL timeout."
                self.timers
                    .set(TimerKind::TimeWait, now + self.cfg.profile.time_wait_us);
            }
            self.send_ack(now);
            return;
        }

        // "Second, check the RST bit" (RFC 5961 3.2 replaces the RFC 793 rule).
        if h.flags.rst() {
            if h.seq != self.rcv_nxt {
                // "If the RST bit is set and the sequence number does not
                // exactly match the next expected sequence value, yet is
                // within the current receive window, TCP endpoints MUST send
                // an acknowledgment (challenge ACK)".
                self.send_ack(now);
                return;
            }
            match self.state {
                // "If this connection was initiated with a passive OPEN ...
                // then return this connection to LISTEN state and return."
                State::SynReceived if !self.active_open => self.back_to_listen(),
                // "... initiated with an active OPEN ... connection was refused"
                State::SynReceived => self.fail(SockError::Refused),
                // ESTABLISHED, FIN-WAIT-1/2, CLOSE-WAIT: "signal 'connection reset'"
                State::Established | State::FinWait1 | State::FinWait2 | State::CloseWait => {
                    self.fail(SockError::Reset)
                }
                // CLOSING, LAST-ACK, TIME-WAIT: "enter the CLOSED state, delete the TCB"
                _ => {
                    self.clear_timers();
                    self.set_state(State::Closed);
                }
            }
            return;
        }

        // "Fourth, check the SYN bit" (RFC 5961 4.2).
        if h.flags.syn() {
            if self.state == State::SynReceived && !self.active_open {
                // "If the connection was initiated with a passive OPEN, then
                // return this connection to the LISTEN state and return."
                self.back_to_listen();
                return;
            }
            // "TCP endpoints MUST send a 'challenge ACK'"
            self.send_ack(now);
            return;
        }

        // "Fifth, check the ACK field": "if the ACK bit is off, drop the segment".
        if !h.flags.ack() {
            return;
        }
        if self.state == State::SynReceived {
            // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state ...
            // If the segment acknowledgment is not acceptable, form a reset
            // segment <SEQ=SEG.ACK><CTL=RST>".
            if self.snd_una < h.ack && h.ack <= self.snd_max {
                self.snd_una = h.ack;
                self.on_syn_acked(now);
                self.snd_wnd = (h.window as u32) << self.snd_wscale;
                self.max_snd_wnd = self.max_snd_wnd.max(self.snd_wnd);
                self.snd_wl1 = h.seq;
                self.snd_wl2 = h.ack;
                self.set_state(State::Established);
                if self.fin_queued {
                    // CLOSE was called in SYN-RECEIVED (3.10.4).
                    self.set_state(State::FinWait1);
                }
            } else {
                let rst = self.make_segment(Flags::RST, h.ack, Vec::new(), now);
                self.push_tx(rst, false);
                return;
            }
        } else if !self.process_ack(now, &h) {
            return;
        }
        if let Some(stop) = self.after_ack_state(now) {
            if stop {
                return;
            }
        }

        // "Seventh, process the segment text" (ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2).
        if zero_window_ack_only {
            if seg_len > 0 {
                self.send_ack(now); // probe answered with the (zero) window
            }
            self.output(now);
            return;
        }
        let mut got_data = false;
        let takes_text = matches!(
            self.state,
            State::Established | State::FinWait1 | State::FinWait2
        );
        if takes_text && (h.payload_len > 0 || h.flags.fin()) {
            // Trim to the window: bytes before RCV.NXT and past the right edge.
            let mut start = 0u32;
            if h.seq < self.rcv_nxt {
                start = (self.rcv_nxt - h.seq).min(h.payload_len);
            }
            let wnd_end = self.rcv_nxt + rcv_wnd.max(1);
            let mut end = h.payload_len;
            let mut fin = h.flags.fin();
            let data_end = h.seq + h.payload_len;
            if data_end > wnd_end {
                end = end.saturating_sub(data_end - wnd_end).max(start);
                fin = false;
            }
            let first = h.seq + start;
            let off = self.recv_buf.next_offset() + (first - self.rcv_nxt) as u64;
            let data = seg.payload.get(start as usize..end as usize).unwrap_or(&[]);
            let in_order = first == self.rcv_nxt;
            let had_ooo = self.recv_buf.ooo_bytes() > 0;
            let advanced = self.recv_buf.insert(off, data, fin);
            self.rcv_nxt += advanced as u32;
            if self.app_closed {
                // The app will never read: discard (RFC 9293 leaves this to the user).
                let n = self.recv_buf.ready_len();
                self.recv_buf.read_discard(n);
            }
            if !data.is_empty() {
                got_data = true;
                self.unacked_segments += 1;
                // RFC 5681 4.2: ACK at once when a segment arrives out of order
                // or fills a hole.
                if !in_order || had_ooo {
                    self.ack_now = true;
                }
            } else if fin && !in_order {
                // RFC 5681 4.2: an out-of-order FIN is an out-of-order
                // segment too: a duplicate ACK at once.
                got_data = true;
                self.ack_now = true;
            }
        }

        // "Eighth, check the FIN bit" — once the FIN is reached in order.
        if self.recv_buf.fin_reached() && !self.fin_received {
            self.fin_received = true;
            // "advance RCV.NXT over the FIN, and send an acknowledgment for the FIN"
            self.rcv_nxt += 1;
            self.ack_now = true;
            got_data = true;
            match self.state {
                State::SynReceived | State::Established => self.set_state(State::CloseWait),
                State::FinWait1 => {
                    // "If our FIN has been ACKed ... enter TIME-WAIT ...;
                    // otherwise, enter the CLOSING state."
                    if self.fin_acked() {
                        self.enter_time_wait(now);
                    } else {
                        self.set_state(State::Closing);
                    }
                }
                State::FinWait2 => self.enter_time_wait(now),
                _ => {}
            }
        }

        // Send what can go (piggybacking the ACK), then acknowledge the rest.
        self.output(now);
        if got_data && (self.ack_now || self.unacked_segments > 0) {
            self.schedule_ack(now);
        }
    }

    /// ACK processing for synchronized states (RFC 9293 3.10.7.4 fifth;
    /// RFC 5961 5.2; RFC 6298 5.2/5.3; RFC 5681 3.1/3.2; RFC 6582).
    /// Returns false when the segment is to be dropped.
    fn process_ack(&mut self, now: u64, h: &TcpHeader) -> bool {
        // RFC 5961 5.2: the ACK is acceptable only within
        // (SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT.
        if h.ack > self.snd_max {
            // "If the ACK acks something not yet sent ... send an ACK, drop the segment"
            self.send_ack(now);
            return false;
        }
        if h.ack < self.snd_una - self.max_snd_wnd.max(1) {
            self.send_ack(now);
            return false;
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
            // RFC 5681 2: a duplicate acknowledgment.
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
        true
    }

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
        // Karn (RFC 6298 3): only a segment never retransmitted gives a sample.
        if let Some((end, sent)) = self.rtt_probe {
            if h.ack >= end {
                self.rtt.on_sample(now.saturating_sub(sent));
                self.rtt_probe = None;
            }
        }
        self.rtt.on_new_ack();
        self.retries = 0;
        // RFC 6298 5.2: "When all outstanding data has been acknowledged, turn
        // off the retransmission timer." 5.3: "When an ACK is received that
        // acknowledges new data, restart the retransmission timer".
        if self.snd_una == self.snd_max {
            self.timers.stop(TimerKind::Retransmit);
        } else {
            self.arm_rto(now);
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

    /// The state changes an acceptable ACK causes (RFC 9293 3.10.7.4 fifth).
    /// Returns Some(true) when processing stops here.
    fn after_ack_state(&mut self, now: u64) -> Option<bool> {
        match self.state {
            // "In addition to the processing for the ESTABLISHED state, if the
            // FIN segment is now acknowledged, then enter FIN-WAIT-2".
            State::FinWait1 if self.fin_acked() => {
                self.timers.stop(TimerKind::Retransmit);
                self.set_state(State::FinWait2);
                None
            }
            // CLOSING: "if the ACK acknowledges our FIN, then enter the TIME-WAIT state".
            State::Closing if self.fin_acked() => {
                self.enter_time_wait(now);
                None
            }
            // LAST-ACK: "If our FIN is now acknowledged, delete the TCB, enter CLOSED".
            State::LastAck if self.fin_acked() => {
                self.clear_timers();
                self.set_state(State::Closed);
                Some(true)
            }
            _ => None,
        }
    }

    /// RFC 9293 3.3.2: TIME-WAIT lasts 2*MSL (profile `time_wait_us`).
    fn enter_time_wait(&mut self, now: u64) {
        self.clear_timers();
        self.set_state(State::TimeWait);
        self.timers
            .set(TimerKind::TimeWait, now + self.cfg.profile.time_wait_us);
    }

    /// SYN-RECEIVED from a passive OPEN goes back to LISTEN on RST or SYN
    /// (RFC 9293 3.10.7.4 second and fourth).
    fn back_to_listen(&mut self) {
        let port = self.local_port;
        // Back to what LISTEN was before the SYN came, the same ISS included.
        self.fresh_tcb(self.iss);
        self.local_port = port;
        self.state = State::SynReceived;
        self.set_state(State::Listen);
    }
}
