//! The end of RFC 9293 3.10.7.4 for a segment whose ACK was taken: the
//! seventh check, "process the segment text" (trimmed to the window,
//! reassembled in sequence, acknowledged per RFC 5681 4.2 and 3.8.6.3), and
//! the eighth, "check the FIN bit", with TIME-WAIT (3.3.2). The sixth check,
//! URG, has nothing to do: there is no urgent data here.

use super::super::rcv_linux::Arrived;
use super::super::{Endpoint, SockError};
use super::classify::{Arrival, Class, SeqCheck};
use crate::segment::{Flags, Segment};
use crate::state::State;
use crate::transcript::TimerKind;

impl Endpoint {
    /// The seventh and eighth checks, then sending what can go.
    pub(super) fn on_text_and_fin(&mut self, now: u64, seg: &Segment, a: &Arrival) {
        if a.seq == SeqCheck::ZeroWindow {
            // RCV.WND = 0: only the ACK was taken ("special allowance ... to
            // accept valid ACKs"); the text is not. The reply repeats the
            // zero window: the answer to the peer's window probe.
            self.send_ack(now);
            self.output(now);
            return;
        }
        if self.resets_on_late_data(a) {
            // profile.rs, `reset_on_data_after_fin`: the reset of Linux's
            // tcp_v4_send_reset(), <SEQ=SEG.ACK><CTL=RST>.
            let mut rst = self.make_segment(Flags::RST, a.hdr.ack, Vec::new(), now);
            rst.hdr.window = 0;
            self.push_tx(rst, false);
            self.fail(SockError::Reset);
            return;
        }
        let mut to_ack = match (self.state, a.class) {
            // "ESTABLISHED STATE, FIN-WAIT-1 STATE, FIN-WAIT-2 STATE: Once in
            // the ESTABLISHED state, it is possible to deliver segment data
            // to user RECEIVE buffers."
            (State::Established | State::FinWait1 | State::FinWait2, Class::Data | Class::Fin) => {
                self.take_text(now, seg, a)
            }
            // "CLOSE-WAIT STATE, CLOSING STATE, LAST-ACK STATE, TIME-WAIT
            // STATE: This should not occur since a FIN has been received from
            // the remote side. Ignore the segment text."
            _ => false,
        };
        to_ack |= self.check_fin(now);
        // "This acknowledgment should be piggybacked on a segment being
        // transmitted if possible without incurring undue delay": send what
        // can go, then acknowledge the rest, at once or delayed.
        self.output(now);
        if to_ack && (self.ack_now || self.unacked_segments > 0) {
            self.schedule_ack(now);
        }
    }

    /// Takes the text (and a FIN) of a segment into the receive buffer, in
    /// sequence. Returns whether it calls for an acknowledgment.
    fn take_text(&mut self, now: u64, seg: &Segment, a: &Arrival) -> bool {
        let h = &a.hdr;
        // "In the following it is assumed that the segment is the idealized
        // segment that begins at RCV.NXT and does not exceed the window":
        // trim the bytes before RCV.NXT and those past the right edge.
        let mut start = 0u32;
        if h.seq < self.rcv_nxt {
            start = (self.rcv_nxt - h.seq).min(h.payload_len);
        }
        let wnd_end = self.rcv_nxt + a.rcv_wnd.max(1);
        let mut end = h.payload_len;
        let mut fin = h.flags.fin();
        let data_end = h.seq + h.payload_len;
        if data_end > wnd_end {
            end = end.saturating_sub(data_end - wnd_end).max(start);
            fin = false;
        }
        let first = h.seq + start;
        let off = self.recv_buf.next_offset() + (first - self.rcv_nxt) as u64;
        let data = seg.payload.sub(start as u64, end as u64);
        let in_order = first == self.rcv_nxt;
        let had_ooo = self.recv_buf.ooo_bytes() > 0;
        // "Segments with higher beginning sequence numbers SHOULD be held
        // for later processing": the buffer keeps them until the hole fills.
        let advanced = self.recv_buf.insert(off, data, fin);
        self.rcv_nxt += advanced as u32;
        if self.app_closed {
            // The app will never read: discard (RFC 9293 leaves this to the user).
            let n = self.recv_buf.ready_len();
            self.recv_buf.read_discard(n);
        }
        if !data.is_empty() {
            self.unacked_segments += 1;
            if in_order {
                self.quickack_on_data(now);
            }
            // profile.rs, `linux_rcv_window`: charge the buffer, grow the window.
            self.linux_text_queued(
                now,
                Arrived {
                    end: off + data.len(),
                    len: data.len() as u32,
                    in_order,
                    push: h.flags.psh() || h.flags.fin(),
                    tsecr: h.options.timestamps.map(|(_, ecr)| ecr),
                },
            );
            // RFC 5681 4.2: ACK at once when a segment arrives out of order
            // or fills a hole.
            if !in_order || had_ooo {
                self.ack_now = true;
            }
            true
        } else if fin && !in_order {
            // RFC 5681 4.2: an out-of-order FIN is an out-of-order
            // segment too: a duplicate ACK at once.
            self.ack_now = true;
            true
        } else {
            false
        }
    }

    /// "Eighth, check the FIN bit", once the peer's FIN is reached in
    /// sequence (it may have come earlier, out of order). Returns whether
    /// it calls for an acknowledgment.
    fn check_fin(&mut self, now: u64) -> bool {
        if !self.recv_buf.fin_reached() || self.fin_received {
            return false;
        }
        self.fin_received = true;
        // "advance RCV.NXT over the FIN, and send an acknowledgment for the FIN"
        self.rcv_nxt += 1;
        // Linux tcp_fin() in ESTABLISHED enters pingpong mode: the ACK of the
        // FIN waits to ride on the application's own segment (profile
        // `quickacks`); everywhere else it goes at once.
        if matches!(self.state, State::SynReceived | State::Established) && self.quickack_on_fin() {
            self.unacked_segments = self.unacked_segments.max(1);
        } else {
            self.ack_now = true;
        }
        match self.state {
            // "SYN-RECEIVED STATE, ESTABLISHED STATE: Enter the CLOSE-WAIT state."
            State::SynReceived | State::Established => self.set_state(State::CloseWait),
            // "FIN-WAIT-1 STATE: If our FIN has been ACKed (perhaps in this
            // segment), then enter TIME-WAIT, start the time-wait timer, turn
            // off the other timers; otherwise, enter the CLOSING state."
            State::FinWait1 if self.fin_acked() => self.enter_time_wait(now),
            State::FinWait1 => self.set_state(State::Closing),
            // "FIN-WAIT-2 STATE: Enter the TIME-WAIT state. Start the
            // time-wait timer, turn off the other timers."
            State::FinWait2 => self.enter_time_wait(now),
            // CLOSE-WAIT, CLOSING, LAST-ACK: "Remain in the ... state"; a FIN
            // again in TIME-WAIT lies before RCV.NXT and is answered in the
            // first check (`restart_time_wait`).
            _ => {}
        }
        true
    }

    /// TIME-WAIT for 2*MSL (RFC 9293 3.3.2, profile `time_wait_us`), every
    /// other timer off.
    pub(super) fn enter_time_wait(&mut self, now: u64) {
        self.clear_timers();
        self.set_state(State::TimeWait);
        self.restart_time_wait(now);
    }

    /// TIME-WAIT: "Restart the 2 MSL time-wait timeout."
    pub(super) fn restart_time_wait(&mut self, now: u64) {
        self.timers
            .set(TimerKind::TimeWait, now, self.cfg.profile.time_wait_us);
    }

    /// Linux `tcp_rcv_state_process()`, step 7: in CLOSE-WAIT, CLOSING and
    /// LAST-ACK a segment that starts before RCV.NXT and carries bytes past
    /// it is not ignored (as RFC 9293 3.10.7.4 says) but falls through to the
    /// FIN-WAIT case: the receive side is shut, so "RFC 1122 says we MUST
    /// send a reset" (RFC 1122 4.2.2.13): `tcp_reset()` and a RST. One that
    /// starts at RCV.NXT or later is ignored, as the RFC says.
    fn resets_on_late_data(&self, a: &Arrival) -> bool {
        let h = &a.hdr;
        self.cfg.profile.reset_on_data_after_fin
            && matches!(
                self.state,
                State::CloseWait | State::Closing | State::LastAck
            )
            && h.payload_len > 0
            && h.seq < self.rcv_nxt
            && h.seq + h.payload_len > self.rcv_nxt
    }
}
