//! The handshake before synchronization: RFC 9293 3.10.7.2 ("If the state is
//! LISTEN") and 3.10.7.3 ("If the state is SYN-SENT"), with the options a SYN
//! carries (RFC 9293 3.7.1, RFC 7323, RFC 2018).

use super::super::{Endpoint, SockError};
use crate::segment::{Flags, Segment, TcpHeader};
use crate::state::State;
use crate::transcript::TimerKind;

impl Endpoint {
    /// RFC 9293 3.10.7.2, "If the state is LISTEN".
    pub(super) fn on_listen(&mut self, now: u64, seg: &Segment) {
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
    pub(super) fn take_syn(&mut self, h: &TcpHeader) {
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
            super::super::output::TS_OPTION_LEN
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
    pub(super) fn on_syn_sent(&mut self, now: u64, seg: &Segment) {
        let h = &seg.hdr;
        // "First, check the ACK bit: If SEG.ACK =< ISS or SEG.ACK > SND.NXT,
        // send a reset (unless the RST bit is set, if so drop the segment)".
        if h.flags.ack() && (h.ack <= self.iss || h.ack > self.snd_max) {
            if !h.flags.rst() {
                let rst = self.make_segment(Flags::RST, h.ack, Vec::new(), now);
                self.push_tx(rst, false);
            }
            // Linux: the SYN goes again soon (profile.rs,
            // `syn_sent_bad_ack_resend_us`).
            if let Some(after) = self.cfg.profile.syn_sent_bad_ack_resend_us {
                if self.retries == 0 && !self.syn_retransmitted {
                    self.quick_syn_resend = true;
                    self.timers.set(TimerKind::Retransmit, now, after);
                }
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
            self.on_syn_acked(now, h);
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
    pub(super) fn on_syn_acked(&mut self, now: u64, h: &TcpHeader) {
        let sampled = self.rtt.srtt_us().is_some();
        self.take_rtt_sample(now, h);
        self.retries = 0;
        // profile.rs, `syn_rto_fallback_without_sample_only`: Linux keeps
        // the handshake's sample (from the echoed timestamp) instead.
        let keep_sample = self.cfg.profile.syn_rto_fallback_without_sample_only
            && !sampled
            && self.rtt.srtt_us().is_some();
        if self.syn_retransmitted && !keep_sample {
            self.rtt.after_syn_timeout();
        }
        self.timers.stop(TimerKind::Retransmit);
    }
}
