//! RFC 9293 3.10.7.4 "Otherwise": the dispatch of a classified segment by
//! (state, class, acceptability), the replies to unacceptable segments
//! (first check), the RST bit (second check, RFC 5961 3.2) and the SYN bit
//! (fourth check, RFC 5961 4.2). The third check, security, has nothing to
//! do: there are no IP security options here.

use super::super::{Endpoint, SockError};
use super::ack::AfterAck;
use super::classify::{Arrival, Class, SeqCheck};
use crate::segment::{Flags, Segment};
use crate::state::State;

impl Endpoint {
    /// RFC 9293 3.10.7.4, "Otherwise" (SYN-RECEIVED and the synchronized states).
    pub(super) fn on_synchronized(&mut self, now: u64, seg: &Segment) {
        let a = self.classify(seg.hdr);
        // A simultaneous open's SYN,ACK, whose SYN `classify` trimmed.
        let synack_of_simultaneous_open = seg.hdr.flags.syn() && !a.hdr.flags.syn();
        let pushed = self.tx_pushed;
        self.on_classified(now, seg, &a);
        // Linux (tcp_data_queue(): a segment ending at RCV.NXT is "a
        // retransmit ... Force an immediate ack") ACKs that SYN,ACK at once,
        // unless a segment of ours already carries the ACK (profile.rs,
        // `ack_simultaneous_synack`).
        if synack_of_simultaneous_open
            && self.cfg.profile.ack_simultaneous_synack
            && self.state == State::Established
            && self.tx_pushed == pushed
        {
            self.send_ack(now);
        }
    }

    /// The checks of RFC 9293 3.10.7.4 for a classified segment.
    fn on_classified(&mut self, now: u64, seg: &Segment, a: &Arrival) {
        use Class::*;
        use SeqCheck::*;
        use State::*;
        let a = *a;
        match (self.state, a.class, a.seq) {
            // `handle_segment` brings only SYN-RECEIVED and the synchronized states here.
            (Closed | Listen | SynSent, _, _) => {}
            // Linux's TIME-WAIT socket (profile.rs, `time_wait_linux_input`).
            (TimeWait, c, _)
                if self.cfg.profile.time_wait_linux_input && !matches!(c, Rst | Syn) =>
            {
                self.time_wait_linux(now, &a)
            }

            // ----- First, check sequence number: not acceptable -----
            // "(unless the RST bit is set, if so drop the segment and
            // return)"; RFC 5961 3.2: "If the RST bit is set and the sequence
            // number is outside the current receive window, silently drop
            // the segment."
            (_, Rst, Unacceptable) => {}
            // Linux (tcp_check_req): a retransmitted SYN gets the SYN,ACK again.
            // It also restarts the SYN-ACK's timer with its current timeout
            // (profile.rs, `resend_synack_on_dup_syn`).
            (SynReceived, Syn, Unacceptable) if self.is_retransmitted_syn(&a) => {
                self.resend_syn_ack(now);
                self.arm_rto(now);
            }
            // A retransmitted FIN lies before RCV.NXT. Eighth check,
            // TIME-WAIT: "Remain in the TIME-WAIT state. Restart the 2 MSL
            // time-wait timeout." and the ACK below.
            (TimeWait, _, Unacceptable) if a.hdr.flags.fin() => {
                self.restart_time_wait(now);
                self.send_ack(now);
            }
            // "If an incoming segment is not acceptable, an acknowledgment
            // should be sent in reply ... <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
            // After sending the acknowledgment, drop the unacceptable segment
            // and return."
            // Linux: a retransmission ending at RCV.NXT has its ACK taken
            // first (profile.rs, `ack_of_old_retransmission`).
            (_, AckOnly | Data | Fin, Unacceptable) if self.takes_old_ack(&a) => {
                let before = self.state;
                if let AfterAck::Continue = self.check_ack(now, &a.hdr) {
                    // CLOSING to TIME-WAIT consumes the segment (tcp_time_wait()).
                    if !(before == Closing && self.state == TimeWait) {
                        self.send_ack(now);
                    }
                }
            }
            (_, _, Unacceptable) => self.send_limited_ack(now, &a.hdr, false),

            // ----- Second, check the RST bit (RFC 5961 3.2) -----
            // "If the RST bit is set and the sequence number does not exactly
            // match the next expected sequence value, yet is within the
            // current receive window, TCP endpoints MUST send an
            // acknowledgment (challenge ACK)".
            // Linux drops it in TIME-WAIT, unanswered (profile.rs,
            // `time_wait_drops_other_rst`).
            (TimeWait, Rst, _)
                if a.hdr.seq != self.rcv_nxt && self.cfg.profile.time_wait_drops_other_rst => {}
            (_, Rst, _) if a.hdr.seq != self.rcv_nxt => self.send_limited_ack(now, &a.hdr, true),
            // "If the RST bit is set and the sequence number exactly matches
            // the next expected sequence number (RCV.NXT), then TCP endpoints
            // MUST reset the connection in the manner prescribed below
            // according to the connection state."
            // SYN-RECEIVED: "If this connection was initiated with a passive
            // OPEN (i.e., came from the LISTEN state), then return this
            // connection to LISTEN state and return."
            (SynReceived, Rst, _) if !self.active_open => self.back_to_listen(),
            // "If this connection was initiated with an active OPEN (i.e.,
            // came from SYN-SENT state), then the connection was refused;
            // signal the user "connection refused"."
            // Linux: ECONNRESET (profile.rs, `reset_in_syn_received_is_reset`).
            (SynReceived, Rst, _) if self.cfg.profile.reset_in_syn_received_is_reset => {
                self.fail(SockError::Reset)
            }
            (SynReceived, Rst, _) => self.fail(SockError::Refused),
            // ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT: "Users should
            // also receive an unsolicited general "connection reset" signal.
            // Enter the CLOSED state, delete the TCB, and return."
            (Established | FinWait1 | FinWait2 | CloseWait, Rst, _) => self.fail(SockError::Reset),
            // CLOSING, LAST-ACK, TIME-WAIT: "If the RST bit is set, then
            // enter the CLOSED state, delete the TCB, and return."
            (Closing | LastAck | TimeWait, Rst, _) => self.delete_tcb(),

            // ----- Fourth, check the SYN bit (RFC 5961 4.2) -----
            // SYN-RECEIVED: "If the connection was initiated with a passive
            // OPEN, then return this connection to the LISTEN state and return."
            // Linux resets the request first (profile.rs, `syn_received_syn_resets`).
            (SynReceived, Syn, _) if !self.active_open => {
                if self.cfg.profile.syn_received_syn_resets && !a.hdr.flags.ack() {
                    let h = a.hdr;
                    let mut rst = self.make_segment(
                        Flags::RST | Flags::ACK,
                        crate::seq::SeqNum(0),
                        Vec::new(),
                        now,
                    );
                    rst.hdr.ack = h.seq + h.seg_len();
                    rst.hdr.window = 0;
                    self.push_tx(rst, false);
                }
                self.back_to_listen()
            }
            // Otherwise, "if the SYN bit is set, irrespective of the sequence
            // number, TCP endpoints MUST send a "challenge ACK" to the remote
            // peer: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>".
            (_, Syn, _) => self.send_limited_ack(now, &a.hdr, true),

            // ----- Fifth, check the ACK field -----
            // "if the ACK bit is off, drop the segment and return"
            (_, NoAck, _) => {}
            // "if the ACK bit is on": the fifth check, then the seventh and
            // the eighth (`ack.rs`, `text.rs`).
            (_, AckOnly | Data | Fin, _) => self.on_ack_bit(now, seg, &a),
        }
    }

    /// "if the ACK bit is on": the fifth check; unless it drops the segment
    /// or closes the connection, the seventh and the eighth.
    fn on_ack_bit(&mut self, now: u64, seg: &Segment, a: &Arrival) {
        self.update_ts_recent(&a.hdr);
        match self.check_ack(now, &a.hdr) {
            AfterAck::Continue => self.on_text_and_fin(now, seg, a),
            AfterAck::Dropped | AfterAck::Closed => {}
        }
    }

    /// RFC 7323 4.3 (2): "If SEG.TSval >= TS.Recent and SEG.SEQ =<
    /// Last.ACK.sent then SEG.TSval is copied to TS.Recent", so that the
    /// timestamp we echo is that of the segment our ACK acknowledges
    /// (Linux `tcp_replace_ts_recent()`).
    fn update_ts_recent(&mut self, h: &crate::segment::TcpHeader) {
        if !self.ts_enabled {
            return;
        }
        if let Some((tsval, _)) = h.options.timestamps {
            if (tsval.wrapping_sub(self.ts_recent) as i32) >= 0 && h.seq <= self.last_ack_sent {
                self.ts_recent = tsval;
            }
        }
    }

    /// Linux `tcp_timewait_state_process()` for a segment without SYN or
    /// RST: "In window segment, it may be only reset or bare ack": a bare
    /// segment at RCV.NXT restarts the timer (`inet_twsk_reschedule()`) and
    /// is not answered; every other is answered with an ACK
    /// (`TCP_TW_ACK`), the timer restarted when it carries ACK.
    fn time_wait_linux(&mut self, now: u64, a: &Arrival) {
        let h = &a.hdr;
        if h.seq == self.rcv_nxt && h.payload_len == 0 && !h.flags.fin() {
            self.restart_time_wait(now);
            return;
        }
        if h.flags.ack() {
            self.restart_time_wait(now);
        }
        let h = a.hdr;
        self.send_limited_ack(now, &h, false);
    }

    /// A segment with ACK whose text (or FIN) ends exactly at RCV.NXT, in
    /// a profile that processes its ACK (Linux `tcp_sequence()`).
    fn takes_old_ack(&self, a: &Arrival) -> bool {
        let h = &a.hdr;
        self.cfg.profile.ack_of_old_retransmission
            && h.flags.ack()
            && h.seg_len() > 0
            && h.seq + h.seg_len() == self.rcv_nxt
    }

    /// The peer's SYN again (SEG.SEQ = IRS, no ACK), in a profile that
    /// answers it with the SYN,ACK (Linux).
    fn is_retransmitted_syn(&self, a: &Arrival) -> bool {
        !a.hdr.flags.ack() && a.hdr.seq == self.irs && self.cfg.profile.resend_synack_on_dup_syn
    }

    /// Resends our SYN,ACK <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
    fn resend_syn_ack(&mut self, now: u64) {
        let syn_ack = self.make_segment(Flags::SYN | Flags::ACK, self.iss, Vec::new(), now);
        self.push_tx(syn_ack, true);
    }

    /// SYN-RECEIVED from a passive OPEN goes back to LISTEN on RST or SYN
    /// (RFC 9293 3.10.7.4 second and fourth): a fresh TCB, the same port.
    fn back_to_listen(&mut self) {
        let port = self.local_port;
        // Back to what LISTEN was before the SYN came, the same ISS included.
        self.fresh_tcb(self.iss);
        self.local_port = port;
        self.state = State::SynReceived;
        self.set_state(State::Listen);
    }
}
