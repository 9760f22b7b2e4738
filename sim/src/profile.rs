//! Stack profiles: the RFCs as written, or what Linux 6.x does by default.

use std::fmt;

/// Which profile a scenario runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ProfileName {
    /// RFC 9293 + RFC 6298 as a textbook states them.
    #[default]
    Rfc,
    /// Linux 6.x defaults.
    Linux,
}

impl ProfileName {
    pub const fn name(self) -> &'static str {
        match self {
            ProfileName::Rfc => "rfc",
            ProfileName::Linux => "linux",
        }
    }
    pub fn parse(s: &str) -> Option<ProfileName> {
        match s {
            "rfc" => Some(ProfileName::Rfc),
            "linux" => Some(ProfileName::Linux),
            _ => None,
        }
    }
}

impl fmt::Display for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

use crate::rtt::RtoFormula;

/// The tunables of a TCP stack. Every Linux difference from the RFCs is a
/// named field with the Linux source of its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub name: ProfileName,
    /// RFC 6298 2.1: RTO before any sample: 1 s. Linux `TCP_TIMEOUT_INIT` is 1 s too.
    pub initial_rto_us: u64,
    /// RFC 6298 2.4: RTO "SHOULD be rounded up to 1 second". Linux: `TCP_RTO_MIN` = 200 ms.
    pub min_rto_us: u64,
    /// RFC 6298 2.5: a maximum "at least 60 seconds". Linux: `TCP_RTO_MAX` = 120 s.
    pub max_rto_us: u64,
    pub rto_formula: RtoFormula,
    /// Linux `tcp_syn_linear_timeouts` (6.x): the first N SYN retransmissions
    /// keep the initial RTO (1 s, 1 s, 1 s, 1 s) before doubling. RFC: 0.
    pub syn_linear_timeouts: u32,
    /// SYN retransmissions before `connect` gives up. RFC 9293 3.8.3 asks R2
    /// for a SYN to be at least 3 minutes: 1+2+4+8+16+32+60 s = 123 s would
    /// not do, so 8 retries (255 s). Linux `tcp_syn_retries` = 6, and the
    /// linear timeouts come on top (`tcp_write_timeout()`: `max_retransmits
    /// = retry_until + tcp_syn_linear_timeouts` in SYN-SENT): 10 SYN
    /// retransmissions at 1, 1, 1, 1, 1, 2, 4, 8, 16 and 32 s, and the give-up
    /// 64 s after the last, 131 s after `connect` (Linux 6.18 measured 134 s,
    /// its timeouts running a few jiffies long; sim/tests/linux_handshake.rs).
    pub syn_retries: u32,
    /// SYN-ACK retransmissions. Linux `tcp_synack_retries` = 5.
    pub synack_retries: u32,
    /// Data/FIN retransmissions before the connection times out. RFC 9293
    /// 3.8.3: R2 at least 100 s (8 backoffs from 1 s reach 1+2+..+60 > 100 s).
    /// Linux `tcp_retries2` = 15.
    pub data_retries: u32,
    /// How long TIME-WAIT lasts: RFC 9293 3.3.2 2*MSL with MSL = 2 minutes.
    /// Linux `TCP_TIMEWAIT_LEN` = 60 s.
    pub time_wait_us: u64,
    /// Delayed ACK timeout; `None` = ACK every segment (RFC 9293 3.8.6.3
    /// allows delay, the textbook profile does not delay). Linux
    /// `TCP_DELACK_MIN` = 40 ms, and it ACKs at least every second full segment.
    pub delayed_ack_us: Option<u64>,
    /// Initial congestion window in segments; `None` = RFC 5681 3.1's rule
    /// from the MSS (3 segments for 1460). Linux `TCP_INIT_CWND` = 10 (RFC 6928).
    pub initial_cwnd_segments: Option<u32>,
    /// Receive buffer (the most we ever advertise). RFC profile: 65535, the
    /// largest window without scaling. Linux `tcp_rmem` default 131072.
    pub recv_buffer: u32,
    /// Window scale shift we offer (RFC 7323 2). Linux
    /// (`tcp_select_initial_window()`) offers the shift that lets a window
    /// reach the largest buffer, `tcp_rmem[2]`: 32 MiB on Linux 6.18, so 10
    /// (older kernels, with 6 MiB, offer 7).
    pub wscale: Option<u8>,
    /// Offer SACK-permitted (RFC 2018). Linux `tcp_sack` = 1. We offer it but do not send SACK blocks.
    pub sack_permitted: bool,
    /// Offer and use timestamps (RFC 7323 3). Linux `tcp_timestamps` = 1.
    pub timestamps: bool,
    /// Linux answers a retransmitted SYN in SYN-RECEIVED by resending its
    /// SYN-ACK (`tcp_check_req`); RFC 9293 3.10.7.4 only ACKs it. The same
    /// branch pushes the request socket's timer out by its current timeout
    /// (`mod_timer_pending(&req->rsk_timer, jiffies + reqsk_timeout(req,
    /// TCP_RTO_MAX))`), so the SYN-ACK timer does not resend it again at once.
    pub resend_synack_on_dup_syn: bool,
    /// Zero-window probe form. RFC 9293 3.8.6.1: a probe carries one byte of
    /// new data. Linux `tcp_xmit_probe_skb()`: an empty segment with SEQ =
    /// SND.UNA - 1, which forces an ACK without sending data.
    pub linux_zero_window_probe: bool,
    /// Karn's rule with timestamps. RFC 6298 3: no sample from a segment that
    /// was retransmitted, so the backoff stays until a fresh segment is timed.
    /// Linux `tcp_ack_update_rtt()` also takes the echoed timestamp (RFC 7323
    /// 4.1, "RTTM") of any ACK of new data as a valid sample, and clears the
    /// backoff with it. RFC: false (no timestamps); Linux: true.
    pub rtt_from_ts_echo: bool,
    /// What calls return after a failure or after `close()`. RFC 9293 3.10:
    /// the "connection reset" signal once, then the TCB is gone and every
    /// call gets "error: connection does not exist"; a second CLOSE gets
    /// "error: connection closing" (3.10.4). Linux (`sock_error()` clears
    /// `sk_err` when it reports it; `tcp_done()` sets `sk_shutdown` to
    /// `SHUTDOWN_MASK`): ECONNRESET once, then `tcp_recvmsg()` returns 0 (end
    /// of stream) and `tcp_sendmsg()` fails with EPIPE; any call on a closed
    /// file descriptor fails with EBADF; errors are shown by errno name.
    pub socket_errnos: bool,
    /// RFC 9293 3.7.4: Nagle's algorithm (on by default in both RFC and Linux).
    pub nagle: bool,
    /// Nagle's test. RFC 9293 3.7.4: a small segment waits while any data is
    /// unacknowledged. Linux uses Minshall's variant (`tcp_nagle_check()`,
    /// `tcp_minshall_check()`): it waits only while an earlier small segment
    /// is unacknowledged, so the short tail of a write goes at once behind
    /// full segments in flight.
    pub nagle_minshall: bool,
    /// ABORT's reset. RFC 9293 3.10.5: `<SEQ=SND.NXT><CTL=RST>`, no ACK.
    /// Linux `tcp_send_active_reset()` builds it with `TCPHDR_ACK | TCPHDR_RST`:
    /// the reset also acknowledges RCV.NXT and carries the receive window.
    pub reset_with_ack: bool,
    /// The window of a SYN or SYN,ACK in whole segments. RFC: the receive
    /// buffer as it is (65535). Linux `tcp_select_initial_window()` rounds the
    /// first window down to whole MSS, and for a SYN,ACK the MSS is less the
    /// timestamp option once timestamps are agreed (`tcp_openreq_init_rwin()`:
    /// `mss -= TCPOLEN_TSTAMP_ALIGNED`): 64240 = 44 x 1460 in the SYN,
    /// 65160 = 45 x 1448 in the SYN,ACK. A simultaneous open's SYN,ACK is
    /// the SYN resent with ACK (`tcp_send_synack()`): 64240 again.
    pub initial_window_whole_mss: bool,
    /// Linux quick-ack mode (`tcp_incr_quickack()`, `TCP_MAX_QUICKACKS` = 16):
    /// the first data of a connection gives this many ACKs that go at once,
    /// unless the side is in pingpong (interactive) mode: it sent data within
    /// 40 ms (`TCP_ATO_MIN`) of receiving some, or received a FIN in
    /// ESTABLISHED (`tcp_fin()`), and then lets the ACK ride on its own next
    /// segment (endpoint/quickack.rs). RFC: `None` (RFC 1122 4.2.3.2 only
    /// bounds the delay).
    pub quickacks: Option<u32>,
    /// SYN-SENT, an unacceptable ACK (RFC 9293 3.10.7.3: answer with RST,
    /// drop). Linux `tcp_rcv_synsent_state_process()` ("Previous FIN/ACK or
    /// RST/ACK might be ignored") also, while the SYN was never retransmitted,
    /// rearms the retransmission timer to TCP_TIMEOUT_MIN (2 jiffies: 8 ms at
    /// HZ=250), so the SYN goes again at once. That retransmission counts
    /// toward `syn_linear_timeouts` but not toward `syn_retries` (Linux gives
    /// up by elapsed time, which it hardly adds to). RFC: None.
    pub syn_sent_bad_ack_resend_us: Option<u64>,
    /// The error a socket gets when an RST ends a SYN-RECEIVED entered from
    /// SYN-SENT (a simultaneous open). RFC 9293 3.10.7.4: "connection
    /// refused". Linux `tcp_reset()` gives ECONNREFUSED only in SYN-SENT;
    /// in SYN-RECV, ECONNRESET. RFC: false; Linux: true.
    pub reset_in_syn_received_is_reset: bool,
    /// TIME-WAIT, an RST whose seq is in the window but not RCV.NXT. RFC 5961
    /// 3.2: a challenge ACK. Linux `tcp_timewait_state_process()` takes only
    /// an RST at RCV.NXT (and dies of it, tcp_rfc1337=0); any other RST is
    /// dropped silently (`inet_twsk_put`, no ACK). RFC: false; Linux: true.
    pub time_wait_drops_other_rst: bool,
    /// `shutdown(SHUT_WR)` where the send side cannot close again. RFC 9293
    /// 3.10.4: "error: connection closing" once the FIN went (FIN-WAIT-1 and
    /// later), "connection does not exist" in LISTEN. Linux
    /// `inet_shutdown()` sets the shutdown bits and calls `tcp_shutdown()`,
    /// which sends a FIN only from ESTABLISHED, SYN-SENT, SYN-RECV or
    /// CLOSE-WAIT, and returns 0: so 0 in FIN-WAIT-1, FIN-WAIT-2, CLOSING and
    /// LAST-ACK, and in LISTEN (SHUT_WR alone leaves a listener be); in
    /// TIME-WAIT the socket the program holds is CLOSED (the TIME-WAIT is a
    /// separate `inet_timewait_sock`), so ENOTCONN. RFC: false; Linux: true.
    pub shutdown_again_ok: bool,
    /// ABORT in TIME-WAIT. RFC 9293 3.10.5: "Respond with ok and delete the
    /// TCB". Linux: the connection that entered TIME-WAIT handed it to an
    /// `inet_timewait_sock` and went CLOSED itself (`tcp_time_wait()`,
    /// `tcp_done()`), so closing the program's socket, with SO_LINGER 0 or
    /// not, leaves the TIME-WAIT to run out. RFC: false; Linux: true.
    pub abort_leaves_time_wait: bool,
    /// Text after the peer's FIN. RFC 9293 3.10.7.4 (seventh, CLOSE-WAIT,
    /// CLOSING, LAST-ACK): "Ignore the segment text". Linux
    /// `tcp_rcv_state_process()` ignores it only when it starts at RCV.NXT
    /// or later; one that starts before and carries new bytes resets the
    /// connection, as RFC 1122 4.2.2.13 asks of data arriving after the
    /// receive side is shut (`tcp_reset()`, a RST <SEQ=SEG.ACK>; measured on
    /// Linux 6.18 by the matrix fixtures `*-data-partly`). RFC: false;
    /// Linux: true.
    pub reset_on_data_after_fin: bool,
    /// `connect` on a listening socket. RFC 9293 3.10.2 (SEND in LISTEN)
    /// turns the passive connection active: a SYN, SYN-SENT. Linux
    /// `__inet_stream_connect()` refuses any socket that is not CLOSED:
    /// EISCONN, and the listener listens on. RFC: true; Linux: false.
    pub connect_from_listen: bool,
    /// TIME-WAIT answers as Linux's `tcp_timewait_state_process()` (SYN
    /// and RST aside, which have their own fields): a bare ACK at RCV.NXT
    /// restarts the 60 s and gets no answer, even one whose ACK is old or
    /// ahead (RFC 9293 3.10.7.4 and RFC 5961 5.2 answer those with an ACK);
    /// anything else, text at RCV.NXT included (which the RFC ignores), is
    /// ACKed and restarts the timer when it carries ACK. RFC: false; Linux:
    /// true.
    pub time_wait_linux_input: bool,
    /// ABORT (or close) of a passive endpoint in SYN-RECEIVED. RFC 9293
    /// 3.10.5: "Send a reset segment: <SEQ=SND.NXT><CTL=RST>". Linux: the
    /// half-open connection is a request socket the program cannot reach;
    /// closing the listener drops it unanswered (`inet_csk_listen_stop()`
    /// frees the request queue; `tcp_set_state()` reports nothing).
    /// RFC: false; Linux: true.
    pub listener_close_drops_requests: bool,
    /// A retransmission that ends exactly at RCV.NXT (its text or FIN all
    /// old). RFC 9293 3.10.7.4: not acceptable, answered with an ACK and
    /// dropped before its ACK field is looked at. Linux `tcp_sequence()`
    /// takes any segment whose end reaches RCV.WUP, so its ACK is processed
    /// (a CLOSING whose FIN it acknowledges enters TIME-WAIT), then the old
    /// text gets an immediate duplicate ACK (`tcp_data_queue()`). RFC:
    /// false; Linux: true.
    pub ack_of_old_retransmission: bool,
    /// The least gap between two ACKs that answer what a connection cannot
    /// take: an unacceptable segment without data, a challenge (RFC 5961 3.2
    /// and 4.2), an ACK of data never sent or too old (5.2), TIME-WAIT's
    /// answers. RFC 5961 10 lets an implementation limit challenge ACKs.
    /// Linux limits all of these per socket, `tcp_invalid_ratelimit` =
    /// 500 ms (`tcp_oow_rate_limited()`, `tcp_send_challenge_ack()`,
    /// `tcp_timewait_check_oow_rate_limit()`), and answers an unacceptable
    /// segment with data always; so two ends that disagree about the
    /// sequence space (a forged FIN, say) do not ACK each other for ever.
    /// The global `tcp_challenge_ack_limit` is INT_MAX since Linux 6.0.
    /// RFC: None (every one answered); Linux: 500 ms.
    pub oow_ack_interval_us: Option<u64>,
    /// A new SYN (without ACK) in window in a passive SYN-RECEIVED. RFC 9293 3.10.7.4
    /// (fourth): "return this connection to the LISTEN state and return",
    /// unanswered. Linux `tcp_check_req()` resets the request
    /// (`embryonic_reset`): a RST `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>`
    /// (`tcp_v4_send_reset()` for a segment without ACK), then the listener
    /// listens on. RFC: false; Linux: true.
    pub syn_received_syn_resets: bool,
    /// The window a receiver offers. RFC 9293 3.8.6.2.2: the free buffer,
    /// the right edge moved on by at least min(RCV.BUFF / 2, MSS) and never
    /// left. Linux (`tcp_select_window()`, `tcp_grow_window()`,
    /// endpoint/rcv_linux.rs): a share of the free buffer memory, starting
    /// at the SYN's window and growing by two segments per segment received
    /// (`rcv_ssthresh`), rounded up to the window scale's unit and never
    /// below what is left of the last offer; it also decides when a second
    /// full segment is ACKed at once (`__tcp_ack_snd_check()`: not while the
    /// window would shrink) and when a read sends a window update
    /// (`tcp_cleanup_rbuf()`: the window at least doubles).
    pub linux_rcv_window: bool,
    /// RFC 6298 5.7: a SYN (or SYN,ACK) retransmitted by its timer sets the
    /// RTO to 3 s once data transmission begins. Linux (`tcp_init_metrics()`:
    /// "We've failed to get a valid RTT sample from 3WHS") falls back to
    /// 3 s only when the handshake gave no RTT sample; with timestamps the
    /// SYN,ACK echoes the retransmitted SYN, a valid sample, so the RTO is
    /// the sample's (about 220 ms at a 20 ms rtt: `tcp_rto_min` 200 ms plus
    /// the sample).
    pub syn_rto_fallback_without_sample_only: bool,
    /// Simultaneous open: the peer's SYN,ACK in SYN-RECEIVED. RFC 9293
    /// (Figure 8): its ACK is taken and the connection is ESTABLISHED, with
    /// nothing sent. Linux also ACKs it at once: its SYN ends at RCV.NXT, "a
    /// retransmit" to `tcp_data_queue()`, which forces an immediate ACK.
    pub ack_simultaneous_synack: bool,
    /// A lost tail. RFC 6298: the RTO resends it, backed off, and RFC 5681
    /// 3.1 drops the congestion window to one segment. Linux (RFC 8985 7,
    /// `tcp_schedule_loss_probe()`, `tcp_send_loss_probe()`, endpoint/tlp.rs)
    /// sends a tail loss probe after 2 x SRTT (+ 200 ms with one segment in
    /// flight, + 2 jiffies otherwise), never later than the RTO: new data if
    /// the window takes it, else the last segment again; the RTO restarts in
    /// full and the congestion window stays.
    pub tail_loss_probe: bool,
}

impl Profile {
    pub fn get(name: ProfileName) -> Profile {
        match name {
            ProfileName::Rfc => Profile {
                name,
                initial_rto_us: 1_000_000,
                min_rto_us: 1_000_000,
                max_rto_us: 60_000_000,
                rto_formula: RtoFormula::Rfc6298,
                syn_linear_timeouts: 0,
                syn_retries: 8,
                synack_retries: 8,
                data_retries: 8,
                time_wait_us: 240_000_000,
                delayed_ack_us: None,
                initial_cwnd_segments: None,
                recv_buffer: 65_535,
                wscale: None,
                sack_permitted: false,
                timestamps: false,
                resend_synack_on_dup_syn: false,
                linux_zero_window_probe: false,
                rtt_from_ts_echo: false,
                socket_errnos: false,
                nagle: true,
                nagle_minshall: false,
                reset_with_ack: false,
                initial_window_whole_mss: false,
                quickacks: None,
                syn_sent_bad_ack_resend_us: None,
                reset_in_syn_received_is_reset: false,
                time_wait_drops_other_rst: false,
                shutdown_again_ok: false,
                abort_leaves_time_wait: false,
                reset_on_data_after_fin: false,
                connect_from_listen: true,
                time_wait_linux_input: false,
                listener_close_drops_requests: false,
                ack_of_old_retransmission: false,
                oow_ack_interval_us: None,
                syn_received_syn_resets: false,
                linux_rcv_window: false,
                syn_rto_fallback_without_sample_only: false,
                ack_simultaneous_synack: false,
                tail_loss_probe: false,
            },
            ProfileName::Linux => Profile {
                name,
                initial_rto_us: 1_000_000,
                min_rto_us: 200_000,
                max_rto_us: 120_000_000,
                rto_formula: RtoFormula::Linux,
                syn_linear_timeouts: 4,
                syn_retries: 6,
                synack_retries: 5,
                data_retries: 15,
                time_wait_us: 60_000_000,
                delayed_ack_us: Some(40_000),
                initial_cwnd_segments: Some(10),
                recv_buffer: 131_072,
                wscale: Some(10),
                sack_permitted: true,
                timestamps: true,
                resend_synack_on_dup_syn: true,
                linux_zero_window_probe: true,
                rtt_from_ts_echo: true,
                socket_errnos: true,
                nagle: true,
                nagle_minshall: true,
                reset_with_ack: true,
                initial_window_whole_mss: true,
                quickacks: Some(16),
                syn_sent_bad_ack_resend_us: Some(8_000),
                reset_in_syn_received_is_reset: true,
                time_wait_drops_other_rst: true,
                shutdown_again_ok: true,
                abort_leaves_time_wait: true,
                reset_on_data_after_fin: true,
                connect_from_listen: false,
                time_wait_linux_input: true,
                listener_close_drops_requests: true,
                ack_of_old_retransmission: true,
                oow_ack_interval_us: Some(500_000),
                syn_received_syn_resets: true,
                linux_rcv_window: true,
                syn_rto_fallback_without_sample_only: true,
                ack_simultaneous_synack: true,
                tail_loss_probe: true,
            },
        }
    }

    /// RFC 5681 3.1 initial window for this sender MSS.
    pub fn initial_cwnd(&self, smss: u32) -> u32 {
        match self.initial_cwnd_segments {
            Some(n) => n * smss,
            None if smss > 2190 => 2 * smss,
            None if smss > 1095 => 3 * smss,
            None => 4 * smss,
        }
    }
}
