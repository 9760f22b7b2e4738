//! Sending: segment construction, the send loop with the receive window,
//! congestion window and Nagle, ACKs and window updates (RFC 9293 3.8.6,
//! 3.7.4; RFC 5681).

use super::{rcv_linux, Endpoint};
use crate::payload::Payload;
use crate::segment::{Flags, Segment, TcpHeader, TcpOptions};
use crate::seq::SeqNum;
use crate::state::State;
use crate::transcript::TimerKind;

/// Bytes of option space timestamps take in every segment (RFC 7323 3.2, with 2 NOPs).
pub(super) const TS_OPTION_LEN: u32 = 12;

impl Endpoint {
    /// Free receive buffer space (in-order unread and out-of-order data count).
    fn rcv_space(&self) -> u32 {
        let used = self.recv_buf.ready_len() as u64 + self.recv_buf.ooo_bytes();
        (self.cfg.profile.recv_buffer as u64).saturating_sub(used) as u32
    }

    /// RCV.WND as last advertised: the right edge minus RCV.NXT.
    pub(super) fn rcv_wnd(&self) -> u32 {
        if self.rcv_adv > self.rcv_nxt {
            self.rcv_adv - self.rcv_nxt
        } else {
            0
        }
    }

    /// The right edge the free buffer space would allow now: RCV.NXT plus
    /// the space, rounded down to what the window scale can express (RFC
    /// 7323 2.3). Returns (edge, space).
    fn rcv_edge_now(&self) -> (SeqNum, u32) {
        let granule = 1u32 << self.rcv_wscale;
        let space = self.rcv_space() / granule * granule;
        (self.rcv_nxt + space, space)
    }

    /// The window to advertise now, moving the right edge per RFC 9293
    /// 3.8.6.2.2 (receiver SWS avoidance): the edge advances only by at least
    /// min(RCV.BUFF / 2, Eff.snd.MSS), and never moves left ("shrinking the
    /// window is strongly discouraged", 3.8.6.2.2 / 3.10.7.4).
    fn advertise(&mut self) -> u32 {
        if self.lrcv.started() {
            return self.advertise_linux();
        }
        let cap = self.cfg.profile.recv_buffer;
        let (candidate, space) = self.rcv_edge_now();
        let step = (cap / 2).min(self.smss).max(1);
        if candidate > self.rcv_adv
            && (candidate - self.rcv_adv >= step || self.rcv_adv <= self.rcv_nxt && space >= step)
        {
            self.rcv_adv = candidate;
        } else if self.rcv_adv < self.rcv_nxt {
            self.rcv_adv = self.rcv_nxt;
        }
        self.rcv_wnd()
    }

    /// Builds a segment from us with the current ACK and window.
    pub(super) fn make_segment(
        &mut self,
        flags: Flags,
        seq: SeqNum,
        payload: impl Into<Payload>,
        now: u64,
    ) -> Segment {
        let profile = &self.cfg.profile;
        let mut options = TcpOptions::default();
        let window;
        if flags.syn() {
            // RFC 7323 2.2: the window in a SYN is never scaled.
            let mut w = if profile.linux_rcv_window {
                // tcp_full_space(): the window the whole buffer gives.
                rcv_linux::LinuxRcv::initial_space(profile.recv_buffer)
            } else {
                self.rcv_space()
            }
            .min(65_535);
            // On a SYN-ACK, offer only what the SYN offered (RFC 7323 2.2, 3.2; RFC 2018).
            let answering = flags.ack();
            if profile.initial_window_whole_mss {
                // Linux tcp_select_initial_window() rounds the window down to
                // whole MSS; a SYN,ACK's MSS is less the timestamp option once
                // timestamps are agreed (tcp_openreq_init_rwin()). A
                // simultaneous open's SYN,ACK is the SYN sent again with ACK
                // (tcp_send_synack()): the SYN's window.
                let mut unit = self.cfg.mss as u32;
                if answering && self.ts_enabled && !self.active_open {
                    unit -= 12;
                }
                w = w / unit * unit;
            }
            self.rcv_adv = self.rcv_nxt + w;
            window = w as u16;
            if profile.linux_rcv_window {
                // advmss once timestamps are agreed (tcp_init_buffer_space()).
                let advmss = self.advmss_with(profile.timestamps);
                self.lrcv.start(profile.recv_buffer, w, now, advmss);
            }
            options.mss = Some(self.cfg.mss);
            if profile.sack_permitted && (!answering || self.peer_sack) {
                options.sack_permitted = true;
            }
            if profile.timestamps && (!answering || self.ts_enabled) {
                options.timestamps = Some((ts_clock(now), self.ts_recent));
            }
            if let Some(ws) = profile.wscale {
                if !answering || self.peer_wscale.is_some() {
                    options.wscale = Some(ws);
                }
            }
        } else {
            // A RST leaves the window as it was; Linux's RST,ACK
            // (tcp_send_active_reset()) goes through tcp_select_window()
            // like any other segment.
            let w = if flags.rst() && !(flags.ack() && self.lrcv.started()) {
                self.rcv_wnd()
            } else {
                self.advertise()
            };
            window = (w >> self.rcv_wscale).min(65_535) as u16;
            if self.ts_enabled && !flags.rst() {
                options.timestamps = Some((ts_clock(now), self.ts_recent));
            }
        }
        let ack = if flags.ack() { self.rcv_nxt } else { SeqNum(0) };
        if flags.ack() {
            // RFC 7323 4.3: Last.ACK.sent, for the TS.Recent rule.
            self.last_ack_sent = self.rcv_nxt;
        }
        let hdr = TcpHeader {
            src_port: self.local_port,
            dst_port: self.remote_port,
            seq,
            ack,
            flags,
            window,
            options,
            payload_len: 0,
        };
        if flags.ack() {
            if self.ack_now
                || self.unacked_segments > 0
                || self.timers.get(TimerKind::DelayedAck).is_some()
            {
                self.quickack_spent();
            }
            self.ack_now = false;
            self.unacked_segments = 0;
            self.lrcv.pushed = 0;
            self.timers.stop(TimerKind::DelayedAck);
        }
        let seg = Segment::new(hdr, payload);
        if seg.hdr.payload_len > 0 {
            self.quickack_on_data_sent(now);
        }
        seg
    }

    /// Sends (or resends) our SYN or SYN-ACK (RFC 9293 3.10.1, 3.10.7.2/3).
    pub(super) fn send_syn(&mut self, now: u64, retransmission: bool) {
        let flags = if self.state == State::SynSent {
            Flags::SYN
        } else {
            Flags::SYN | Flags::ACK
        };
        let seg = self.make_segment(flags, self.iss, Payload::EMPTY, now);
        self.send_timed(seg, retransmission, now);
    }

    /// Puts a segment that occupies sequence space (SYN, data, FIN) on the
    /// wire: SND.NXT moves past it, the round trip is timed unless it is a
    /// retransmission (Karn's rule, RFC 6298 3), and RFC 6298 5.1: "Every
    /// time a packet containing data is sent (including a retransmission), if
    /// the timer is not running, start it".
    pub(super) fn send_timed(&mut self, seg: Segment, retransmission: bool, now: u64) {
        if !retransmission && seg.hdr.payload_len > 0 && seg.hdr.payload_len < self.smss {
            // Linux tcp_minshall_update() (tcp_write_xmit()): the end of the
            // last small segment of new data.
            self.snd_sml = seg.hdr.seq + seg.hdr.payload_len;
        }
        if !retransmission && seg.hdr.seg_len() > 0 {
            // The tail a loss probe would send again (tlp.rs).
            self.tlp_last_start = seg.hdr.seq;
        }
        self.snd_nxt = seg.hdr.seq + seg.hdr.seg_len();
        self.snd_max = self.snd_max.max(self.snd_nxt);
        if retransmission {
            self.rtt_probe = None;
        } else if self.rtt_probe.is_none() {
            self.rtt_probe = Some((self.snd_nxt, now));
        }
        self.push_tx(seg, retransmission);
        if self.timers.get(TimerKind::Retransmit).is_none()
            && self.timers.get(TimerKind::LossProbe).is_none()
        {
            self.arm_rto(now);
        }
    }

    /// An empty ACK: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
    /// An ACK that answers what the connection cannot take, rate-limited
    /// per socket in a profile that asks for it (profile.rs,
    /// `oow_ack_interval_us`): a challenge ACK always counts; the answer to
    /// an unacceptable segment only when it carries no data (Linux
    /// `tcp_oow_rate_limited()`: "Data packets without SYNs are not likely
    /// part of an ACK loop").
    pub(super) fn send_limited_ack(
        &mut self,
        now: u64,
        h: &crate::segment::TcpHeader,
        challenge: bool,
    ) {
        let exempt = !challenge && h.seg_len() > 0 && !h.flags.syn();
        if let (Some(gap), false) = (self.cfg.profile.oow_ack_interval_us, exempt) {
            if self
                .last_oow_ack_us
                .is_some_and(|t| now.saturating_sub(t) < gap)
            {
                return;
            }
            self.last_oow_ack_us = Some(now);
        }
        self.send_ack(now);
    }

    pub(super) fn send_ack(&mut self, now: u64) {
        // BSD tcp_output(): "For ACK only packets, we do not want the sequence
        // number of the retransmitted packet, we want the sequence number of
        // the next unsent octet": after a timeout rolls SND.NXT back, an ACK
        // carrying it would be old to the peer, which would answer with an
        // ACK of its own, and so on (an ACK war). Linux never rolls back its
        // snd_nxt, which is our snd_max.
        let seq = self.acceptable_seq();
        let seg = self.make_segment(Flags::ACK, seq, Payload::EMPTY, now);
        self.push_tx(seg, false);
    }

    /// The sequence number for a segment without data (an ACK, a RST): the
    /// next unsent octet (SND.MAX, see `send_ack`), but never past the right
    /// edge of the peer's window, or a peer whose window is closed would find
    /// it unacceptable and drop the ACK in it (Linux `tcp_acceptable_seq()`).
    pub(super) fn acceptable_seq(&self) -> SeqNum {
        let wnd_end = self.snd_una + self.snd_wnd;
        if self.snd_max <= wnd_end || !self.state.is_synchronized() {
            self.snd_max
        } else {
            wnd_end
        }
    }

    /// Our SYN is still unacknowledged (SND.UNA = ISS).
    pub(super) fn syn_unacked(&self) -> bool {
        self.snd_una == self.iss
    }

    /// Our SYN is unacknowledged and data waits to go after it: the data
    /// and the FIN wait for ESTABLISHED (RFC 9293 3.10.4, CLOSE in
    /// SYN-RECEIVED "otherwise, queue"). With nothing queued, the FIN may go.
    fn syn_before_fin(&self) -> bool {
        self.syn_unacked() && !self.send_buf.is_empty()
    }

    /// Our FIN has been acknowledged (RFC 9293 3.10.7.4, "if the FIN segment is now acknowledged").
    pub(super) fn fin_acked(&self) -> bool {
        matches!(self.fin_seq_sent, Some(f) if self.snd_una > f)
    }

    /// Nagle's algorithm (RFC 9293 3.7.4) holds data now: the bytes held
    /// (less than a full segment, and the windows would let them go) and the
    /// bytes in flight, unacknowledged, that it waits for.
    pub fn nagle_holds(&self) -> Option<(u64, u32)> {
        let may_send = matches!(self.state, State::Established | State::CloseWait);
        let flight = self.snd_nxt - self.snd_una;
        let data_off = u64::from(flight);
        let remaining = self.send_buf.len().saturating_sub(data_off);
        let usable = self.snd_wnd.min(self.cwnd).saturating_sub(flight);
        (may_send
            && self.nagle_waits()
            && !self.fin_queued
            && remaining > 0
            && remaining < u64::from(self.smss)
            && u64::from(usable) >= remaining)
            .then_some((remaining, flight))
    }

    /// Nagle's algorithm would hold a small segment now: data is in flight
    /// (RFC 9293 3.7.4). Linux (profile.rs, `nagle_minshall`): only a small
    /// segment in flight holds the next one (`tcp_minshall_check()`).
    fn nagle_waits(&self) -> bool {
        let flight = self.snd_nxt - self.snd_una;
        if !self.cfg.profile.nagle || flight == 0 {
            return false;
        }
        !self.cfg.profile.nagle_minshall
            || (self.snd_sml > self.snd_una && self.snd_sml <= self.snd_nxt)
    }

    /// Sends what the windows allow: data, then a queued FIN (RFC 9293 3.10.2,
    /// 3.10.4), with Nagle (3.7.4) and sender SWS avoidance (3.8.6.2.1).
    pub(super) fn output(&mut self, now: u64) {
        let sent_before = self.snd_max;
        self.output_segments(now);
        // Linux tcp_write_xmit(): new data sent, the loss probe is (re)armed
        // (tlp.rs), bounded by what is left of the RTO.
        if self.snd_max > sent_before && !self.tlp_new_data {
            self.schedule_loss_probe(now, false);
        }
    }

    fn output_segments(&mut self, now: u64) {
        let may_send = match self.state {
            State::Established | State::CloseWait => true,
            // Data queued before CLOSE still goes out, then the FIN. Before
            // our SYN is acknowledged (CLOSE in SYN-RECEIVED), only a FIN with
            // nothing queued before it: RFC 9293 3.10.4, SYN-RECEIVED: "If no
            // SENDs have been issued and there is no pending data to send, then
            // form a FIN segment and send it, and enter FIN-WAIT-1 state;
            // otherwise, queue for processing after entering ESTABLISHED state."
            State::FinWait1 | State::LastAck | State::Closing => !self.syn_before_fin(),
            _ => false,
        };
        if !may_send {
            return;
        }
        loop {
            let data_off = (self.snd_nxt - self.snd_una) as u64;
            let buffered = self.send_buf.len();
            let remaining = buffered.saturating_sub(data_off);
            let wnd = self.snd_wnd.min(self.cwnd);
            let flight = self.snd_nxt - self.snd_una;
            let usable = wnd.saturating_sub(flight);
            let len = (remaining.min(self.smss as u64) as u32).min(usable);
            // The FIN takes a sequence number, so it needs room in the window
            // like a byte of data: a receiver drops a FIN that arrives at a zero
            // window (RFC 9293 3.10.7.4, first check), and Linux's
            // tcp_snd_wnd_test() holds it back the same way. With a closed
            // window the persist timer probes until the FIN fits.
            let fin_now = self.fin_queued
                && data_off + len as u64 >= buffered
                && !self.syn_before_fin()
                && !self.fin_outstanding_at_nxt()
                && (len < usable || self.force_send);
            if len == 0 && !fin_now {
                break;
            }
            if len > 0 && (len as u64) < remaining.min(self.smss as u64) {
                // Window-limited small segment: sender SWS avoidance (3.8.6.2.1):
                // send only if at least half the largest window the peer offered.
                // The persist timer's expiry is the "override timeout" that forces it out.
                if !self.force_send && (len < self.max_snd_wnd / 2 || flight > 0) {
                    break;
                }
            }
            if len > 0
                && (len as u64) < self.smss as u64
                && self.nagle_waits()
                && !fin_now
                && !self.tlp_new_data
            {
                // Nagle (RFC 9293 3.7.4): hold a small segment while data is unacknowledged.
                break;
            }
            let seq = self.snd_nxt;
            let payload = self.send_buf.slice(data_off, len as usize);
            let mut flags = Flags::ACK;
            if len > 0 && data_off + len as u64 == buffered {
                flags = flags | Flags::PSH;
            }
            if fin_now {
                flags = flags | Flags::FIN;
                self.fin_seq_sent = Some(seq + len);
            }
            let seg = self.make_segment(flags, seq, payload, now);
            let retransmission = seq < self.snd_max;
            self.send_timed(seg, retransmission, now);
            self.timers.stop(TimerKind::Persist);
            if fin_now {
                break;
            }
        }
        self.maybe_arm_persist(now);
    }

    /// `output` for the timers: no sender SWS avoidance, and at least one
    /// sequence number (a byte or the FIN) goes through a closed window, as a
    /// retransmission after a timeout or a probe does (RFC 6298 5.4, RFC 9293
    /// 3.8.6.1 and the SWS override timeout of 3.8.6.2.1).
    pub(super) fn output_forced(&mut self, now: u64) {
        let saved = self.snd_wnd;
        self.snd_wnd = saved.max(1);
        self.force_send = true;
        self.output(now);
        self.force_send = false;
        self.snd_wnd = saved;
    }

    /// The FIN already occupies SND.NXT's place (sent and not rolled back).
    pub(super) fn fin_outstanding_at_nxt(&self) -> bool {
        matches!(self.fin_seq_sent, Some(f) if self.snd_nxt > f)
    }

    /// RFC 9293 3.8.6.1: with data to send, a zero (or too small) window and
    /// nothing in flight, the persist timer keeps probing the window.
    pub(super) fn maybe_arm_persist(&mut self, now: u64) {
        let data_off = (self.snd_nxt - self.snd_una) as u64;
        let unsent = self.send_buf.len().saturating_sub(data_off);
        // BSD `tcp_setpersist`: also when the window is merely too small to
        // use (sender SWS avoidance), the persist timer is the override timeout.
        let fin_waiting = self.fin_queued && !self.fin_outstanding_at_nxt() && !self.syn_unacked();
        if (unsent > 0 || fin_waiting)
            && self.timers.get(TimerKind::Retransmit).is_none()
            && self.timers.get(TimerKind::LossProbe).is_none()
            && self.timers.get(TimerKind::Persist).is_none()
            && self.state.is_synchronized()
        {
            let timeout = self.persist_timeout_us();
            self.timers.set(TimerKind::Persist, now, timeout);
        }
    }

    /// The persist interval: the RTO, doubled per unanswered probe (RFC 9293
    /// 3.8.6.1 "exponential backoff"), bounded like the RTO.
    pub(super) fn persist_timeout_us(&self) -> u64 {
        let base = self.rtt.rto_us();
        base.checked_shl(self.persist_backoff.min(32))
            .unwrap_or(u64::MAX)
            .min(self.cfg.profile.max_rto_us)
    }

    pub(super) fn arm_rto(&mut self, now: u64) {
        self.timers
            .set(TimerKind::Retransmit, now, self.rtt.rto_us());
    }

    /// After the app read: send a window update when the window opened by at
    /// least two segments or half the buffer (BSD `tcp_output`; RFC 9293
    /// 3.8.6.2.2 lets the receiver announce the opening).
    pub(super) fn after_read(&mut self, now: u64) {
        if self.lrcv.started() {
            self.after_read_linux(now);
            return;
        }
        if !matches!(
            self.state,
            State::Established | State::FinWait1 | State::FinWait2
        ) {
            return;
        }
        let cap = self.cfg.profile.recv_buffer;
        let (candidate, _) = self.rcv_edge_now();
        let current = self.rcv_wnd();
        if candidate > self.rcv_adv {
            let opening = candidate - self.rcv_adv;
            if opening >= 2 * self.smss
                || opening >= cap / 2
                || (current < self.smss && opening >= self.smss.min(cap / 2))
            {
                self.send_ack(now);
            }
        }
    }

    /// Decide how to acknowledge received data (RFC 9293 3.8.6.3; Linux profile
    /// delays up to 40 ms but ACKs at least every second full segment).
    pub(super) fn schedule_ack(&mut self, now: u64) {
        let second = self.second_segment_acks_now();
        let delay = match self.cfg.profile.delayed_ack_us {
            Some(d) if !self.ack_now && !second && !self.in_quickack_mode() => d,
            _ => {
                self.send_ack(now);
                return;
            }
        };
        if self.timers.get(TimerKind::DelayedAck).is_none() {
            self.timers.set(TimerKind::DelayedAck, now, delay);
        }
    }
}

/// The timestamp clock (RFC 7323 5.4): milliseconds of virtual time, plus one
/// so that it is never zero.
pub(super) fn ts_clock(now_us: u64) -> u32 {
    (now_us / 1000) as u32 + 1
}
