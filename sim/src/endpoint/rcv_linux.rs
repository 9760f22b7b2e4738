//! Linux's receive window (profile `linux_rcv_window`): what a Linux receiver
//! advertises, and how that grows and shrinks, as `tcp_select_window()`,
//! `__tcp_select_window()`, `tcp_grow_window()` and `tcp_measure_rcv_mss()`
//! compute it (Linux 6.18, net/ipv4/tcp_output.c and tcp_input.c).
//!
//! RFC 9293 3.8.6.2.2 leaves the receiver free to offer any window that does
//! not move the right edge left, and avoids silly windows by advancing the
//! edge by at least min(RCV.BUFF / 2, MSS). Linux offers less than its buffer:
//! - memory, not bytes: the buffer (`sk_rcvbuf`, `tcp_rmem[1]` = 131072) is
//!   charged each received segment's `truesize` (payload plus the socket
//!   buffer's own overhead), and a window is `scaling_ratio / 256` of the free
//!   memory (`tcp_win_from_space()`): 1/2 until the first full-size segment
//!   arrives, then payload / truesize of that segment;
//! - `rcv_ssthresh`: the window starts at what the SYN or SYN,ACK offered and
//!   grows by two segments per segment of at least 128 bytes received, up to
//!   what the memory allows (`tcp_grow_window()`); each growth also gives one
//!   more quick ACK (`icsk_ack.quick |= 1`);
//! - never shrink: a new window smaller than what is left of the last one
//!   offers what is left instead, rounded up to the window scale's unit
//!   (`tcp_select_window()`, `sysctl_tcp_shrink_window` = 0), so the right
//!   edge creeps on by the rounding while the buffer fills;
//! - zero window: when the free memory is below half the full window and
//!   below 1/16 of it or one segment, the new window is 0 (and what is left
//!   of the last one still goes out), and quick-ack mode ends.
//!
//! - the buffer itself grows, once per receiver round trip (measured from
//!   timestamps), when the application read more than in the last one
//!   (`tcp_rcv_space_adjust()`, `tcp_rcvbuf_grow()`).
//!
//! What stays apart: when those measures fall on the real clock, the
//! collapsing of queued segments under memory pressure (`tcp_prune_queue()`),
//! and the true size of segments cut otherwise than full-size loopback GSO
//! segments. docs/differences.md says so.

use super::Endpoint;
use crate::seq::SeqNum;
use crate::transcript::TimerKind;
use std::collections::BTreeMap;

/// `TCP_RMEM_TO_WIN_SCALE`: `scaling_ratio` is in 1/256ths.
const RATIO_SHIFT: u32 = 8;
/// `TCP_DEFAULT_SCALING_RATIO`: 1/2 until a full segment was measured.
const DEFAULT_RATIO: u32 = 1 << (RATIO_SHIFT - 1);
/// `sysctl_tcp_rmem[2]` (32 MiB on Linux 6.18), used by `__tcp_grow_window()`.
const RMEM_MAX: i64 = 32 << 20;
/// `TCP_MSS_DEFAULT`: the receive MSS guessed before data arrives
/// (`tcp_initialize_rcv_mss()`).
const MSS_DEFAULT: u32 = 536;
/// The `truesize` of a received segment beyond its payload: the `sk_buff`
/// (256) and `skb_shared_info` (320) with a small head (256), for a segment
/// whose payload sits in page fragments, as a loopback GSO segment does
/// (`skb_segment()`). Measured on Linux 6.18, `bulk`: the windows the
/// receiver offers while its buffer fills fit 2261 to 2288 bytes for a
/// 1448-byte segment (scaling ratio 162 or 163 / 256), with 17 segments to
/// a buffer.
pub(super) const SKB_OVERHEAD: u32 = 832;
/// `MAX_SKB_FRAGS`: a queued buffer takes the fragments of at most this many
/// segments (`skb_try_coalesce()`), then the next segment starts a new one.
const MAX_SKB_FRAGS: u32 = 17;

/// One queued socket buffer.
#[derive(Clone, Copy, Debug)]
struct Skb {
    truesize: u32,
    /// Segments (page fragments) coalesced into it.
    frags: u32,
    /// Its last segment was a full-size one, cut from a larger write by
    /// GSO: a buffer of its own, not a clone of the sender's, so the next
    /// segment may be coalesced into it (`skb_cloned(to)` is false).
    full: bool,
}

/// A segment's text queued by the receiver.
#[derive(Clone, Copy, Debug)]
pub(super) struct Arrived {
    /// Stream offset of its end.
    pub end: u64,
    /// Payload bytes taken.
    pub len: u32,
    /// It began at RCV.NXT.
    pub in_order: bool,
    /// It carried PSH or FIN (`TCP_REMNANT`).
    pub push: bool,
    /// Its echoed timestamp (TSecr), if it had the option.
    pub tsecr: Option<u32>,
}

/// A Linux receiver's window state (`struct tcp_sock` fields).
#[derive(Clone, Debug, Default)]
pub(super) struct LinuxRcv {
    /// `rcv_ssthresh`: the most the window may offer now.
    pub ssthresh: u32,
    /// `window_clamp`: the most the window may ever offer.
    pub clamp: u32,
    /// `scaling_ratio`, in 1/256ths (0 until set up).
    ratio: u32,
    /// `icsk_ack.rcv_mss`: the receive MSS, as measured.
    pub rcv_mss: u32,
    /// `rcv_wnd`: the window last offered (before the never-shrink rule).
    pub last_wnd: u32,
    /// Segments charged to `sk_rmem_alloc`: stream offset of each one's end
    /// -> its truesize (in order and out of order; freed once read).
    skbs: BTreeMap<u64, Skb>,
    /// `rcv_wup`: RCV.NXT when the last window was offered.
    pub wup: SeqNum,
    /// `sk_rcvbuf`: the buffer's memory, grown by the application's reading
    /// (`tcp_rcvbuf_grow()`).
    rcvbuf: u32,
    /// `rcvq_space.space`, `.seq`, `.time`: bytes the application read in
    /// the last measured round trip, from which stream offset, since when.
    space: u32,
    space_seq: u64,
    space_time_us: u64,
    /// `rcv_rtt_est.rtt_us` (times 8, as the kernel keeps it) and
    /// `rcv_rtt_last_tsecr`: the receiver's round trip, from timestamps.
    rtt_us: u64,
    rtt_last_tsecr: Option<u32>,
    /// `ICSK_ACK_PUSHED` / `ICSK_ACK_PUSHED2`: small pushed segments came
    /// since the last ACK (0, 1 or 2).
    pub pushed: u8,
}

impl LinuxRcv {
    /// Set up at the SYN or SYN,ACK, which offered `initial` bytes
    /// (`tcp_connect_init()`, `tcp_openreq_init_rwin()`): `rcv_ssthresh` is
    /// the window offered, the clamp the whole buffer's window.
    pub fn start(&mut self, rcvbuf: u32, initial: u32, now: u64, advmss: u32) {
        self.ratio = DEFAULT_RATIO;
        self.rcvbuf = rcvbuf;
        self.ssthresh = initial;
        self.last_wnd = initial;
        self.clamp = self.win_from_space(rcvbuf as i64).max(0) as u32;
        self.rcv_mss = MSS_DEFAULT;
        self.skbs.clear();
        // tcp_init_buffer_space(): the first measure of how fast the
        // application reads, TCP_INIT_CWND segments.
        self.space = initial.min(10 * advmss);
        self.space_seq = 0;
        self.space_time_us = now;
        self.rtt_us = 0;
        self.rtt_last_tsecr = None;
    }

    pub fn started(&self) -> bool {
        self.ratio != 0
    }

    /// The window `initial` bytes of buffer give before any data
    /// (`tcp_full_space()` with the default ratio).
    pub fn initial_space(rcvbuf: u32) -> u32 {
        ((rcvbuf as u64 * DEFAULT_RATIO as u64) >> RATIO_SHIFT) as u32
    }

    /// `tcp_win_from_space()`.
    fn win_from_space(&self, space: i64) -> i64 {
        (space * self.ratio as i64) >> RATIO_SHIFT
    }

    /// `sk_rmem_alloc`: the truesize of every segment queued.
    pub fn rmem(&self) -> i64 {
        self.skbs.values().map(|b| b.truesize as i64).sum()
    }

    /// Frees the segments the application has read up to `read_total`.
    pub fn release(&mut self, read_total: u64) {
        while let Some(e) = self.skbs.first_entry() {
            if *e.key() > read_total {
                break;
            }
            e.remove();
        }
    }

    /// A segment of `len` payload bytes, ending at stream offset `end`,
    /// was queued (in order or not). `advmss` is our MSS less options.
    /// Returns whether the window grew (one more quick ACK).
    pub fn on_data(&mut self, seg: Arrived, advmss: u32) -> bool {
        let Arrived {
            end,
            len,
            in_order,
            push,
            ..
        } = seg;
        if !self.started() || len == 0 {
            return false;
        }
        let truesize = len + SKB_OVERHEAD;
        self.queue(end, len, truesize);
        if in_order {
            // tcp_event_data_recv(): tcp_measure_rcv_mss(), then
            // tcp_grow_window() for segments of 128 bytes or more.
            self.measure(len, truesize, advmss, push);
            if len < 128 {
                return false;
            }
            // truesize_adjust(): payload in page fragments only.
            self.grow(len, len, advmss)
        } else {
            // tcp_data_queue_ofo(): tcp_grow_window(sk, skb, false) with SACK.
            self.grow(len, truesize, advmss)
        }
    }

    /// Charges a segment to the buffer (`tcp_queue_rcv()`,
    /// `tcp_try_coalesce()`): into the buffer it continues when that one
    /// may take it, with its payload only; otherwise as a buffer of its own.
    fn queue(&mut self, end: u64, len: u32, truesize: u32) {
        let start = end - len as u64;
        let full = len >= self.rcv_mss.max(MSS_DEFAULT);
        if let Some(tail) = self.skbs.get(&start).copied() {
            if tail.full && tail.frags < MAX_SKB_FRAGS {
                self.skbs.remove(&start);
                let skb = Skb {
                    truesize: tail.truesize + len,
                    frags: tail.frags + 1,
                    full,
                };
                self.skbs.insert(end, skb);
                return;
            }
        }
        let skb = Skb {
            truesize,
            frags: 1,
            full,
        };
        self.skbs.insert(end, skb);
    }

    /// `tcp_measure_rcv_mss()`: a segment of a new full size sets the
    /// scaling ratio from its payload and truesize, and the clamp with it
    /// (`tcp_set_window_clamp()`).
    fn measure(&mut self, len: u32, truesize: u32, advmss: u32, push: bool) {
        if len < self.rcv_mss {
            // A short segment: unless it is nearly full size, or neither
            // pushed nor tiny, the ACK may go when the application empties
            // the buffer (`ICSK_ACK_PUSHED`, then `ICSK_ACK_PUSHED2`). The
            // kernel counts the TCP header (32 bytes with timestamps).
            let wire = len + 32;
            let full_enough = wire >= MSS_DEFAULT + 20 || (wire >= 88 + 20 && !push);
            if !full_enough {
                self.pushed = (self.pushed + 1).min(2);
            }
            return;
        }
        if len != self.rcv_mss {
            let ratio = ((len as u64) << RATIO_SHIFT) / truesize as u64;
            let ratio = (ratio as u32).clamp(1, 255);
            if ratio != self.ratio {
                self.ratio = ratio;
                let clamp = self.win_from_space(self.rcvbuf as i64).max(0) as u32;
                if clamp < self.clamp {
                    self.ssthresh = self.ssthresh.min(clamp);
                } else {
                    self.ssthresh = self.ssthresh.max(self.last_wnd.min(clamp));
                }
                self.clamp = clamp;
            }
        }
        self.rcv_mss = len.min(advmss);
    }

    /// `tcp_grow_window()`, without memory pressure.
    fn grow(&mut self, len: u32, truesize: u32, advmss: u32) -> bool {
        let space = self.win_from_space(self.rcvbuf as i64 - self.rmem());
        let room = (self.clamp as i64).min(space) - self.ssthresh as i64;
        if room <= 0 {
            return false;
        }
        let incr = if self.win_from_space(truesize as i64) <= len as i64 {
            2 * advmss as i64
        } else {
            self.grow_small(len, truesize)
        };
        if incr == 0 {
            return false;
        }
        let incr = incr.max(2 * len as i64);
        self.ssthresh += room.min(incr) as u32;
        true
    }

    /// `__tcp_grow_window()`: a segment with much overhead grows the window
    /// only while `rcv_ssthresh` is small next to the largest buffer.
    fn grow_small(&self, len: u32, truesize: u32) -> i64 {
        let mut truesize = self.win_from_space(truesize as i64) >> 1;
        let mut window = self.win_from_space(RMEM_MAX) >> 1;
        while self.ssthresh as i64 <= window {
            if truesize <= len as i64 {
                return 2 * self.rcv_mss as i64;
            }
            truesize >>= 1;
            window >>= 1;
        }
        0
    }

    /// `tcp_rcv_rtt_measure_ts()`: a full-size segment in order whose
    /// echoed timestamp is new gives the receiver a round-trip sample
    /// (`tcp_rcv_rtt_update()`: the minimum, or smoothed once the queue
    /// is empty). `ts_now` and `tsecr` are in milliseconds.
    pub fn rtt_sample(&mut self, len: u32, ts_now: u32, tsecr: u32, queue_empty: bool) {
        if self.rtt_last_tsecr == Some(tsecr) {
            return;
        }
        self.rtt_last_tsecr = Some(tsecr);
        if len < self.rcv_mss {
            return;
        }
        let delta = ts_now.wrapping_sub(tsecr) as i32;
        if delta <= 0 {
            return;
        }
        let sample = delta as u64 * 1000;
        let m = sample << 3;
        let old = self.rtt_us;
        if old == 0 || m < old {
            self.rtt_us = m;
        } else if queue_empty {
            self.rtt_us = old - (old >> 3) + sample;
        }
    }

    /// `tcp_rcv_space_adjust()` after a read, with `copied` the stream
    /// offset the application has read to and `inq` the bytes still queued:
    /// once per receiver round trip, reading more than the last measure
    /// grows the buffer (`tcp_rcvbuf_grow()`, `tcp_moderate_rcvbuf` = 1).
    pub fn space_adjust(&mut self, now: u64, copied: u64, inq: u64) {
        if self.rtt_us == 0 {
            return;
        }
        if now.saturating_sub(self.space_time_us) < self.rtt_us >> 3 {
            return;
        }
        let read = copied.saturating_sub(self.space_seq) as i64 - inq as i64;
        if read > self.space as i64 {
            self.rcvbuf_grow(read as u32);
        }
        self.space_seq = copied;
        self.space_time_us = now;
    }

    /// `tcp_rcvbuf_grow()`: room for twice what was read in a round trip,
    /// more when the rate grows ("slow start"), up to `tcp_rmem[2]`.
    fn rcvbuf_grow(&mut self, newval: u32) {
        let old = self.space.max(1) as u128;
        self.space = newval;
        let mut rcvwin = (newval as u128) << 1;
        let grow = rcvwin * (newval as u128).saturating_sub(old) / old;
        rcvwin += grow << 1;
        let space = (rcvwin << RATIO_SHIFT) / self.ratio.max(1) as u128;
        let rcvbuf = space.min(RMEM_MAX as u128) as u32;
        if rcvbuf > self.rcvbuf {
            self.rcvbuf = rcvbuf;
            self.clamp = self.win_from_space(rcvbuf as i64).max(0) as u32;
        }
    }

    /// `__tcp_select_window()`: the window the memory allows now, before
    /// the never-shrink rule. The second value says the buffer is more
    /// than half full (quick-ack mode ends).
    pub fn fresh_window(&self, wscale: u8) -> (u32, bool) {
        if !self.started() {
            return (0, false);
        }
        let unit = 1i64 << wscale;
        let allowed = self.win_from_space(self.rcvbuf as i64);
        let full = (self.clamp as i64).min(allowed);
        let mut free = self.win_from_space(self.rcvbuf as i64 - self.rmem());
        let mss = (self.rcv_mss as i64).min(full);
        if mss <= 0 {
            return (0, true);
        }
        let mut half_full = false;
        if free < full >> 1 {
            half_full = true;
            free = free.max(0) / unit * unit;
            if free < allowed >> 4 || free < mss {
                return (0, half_full);
            }
        }
        let free = free.min(self.ssthresh as i64);
        let window = if wscale > 0 {
            (free + unit - 1) / unit * unit
        } else {
            // Without scaling: whole receive MSS, as `__tcp_select_window()`
            // rounds when the window is not a multiple of it.
            let mut w = free.min(65_535);
            if w <= mss || w > free - mss / 2 && w < free {
                w = free / mss * mss;
            }
            w
        };
        (window.max(0) as u32, half_full)
    }

    /// `tcp_select_window()`: the window to offer, given what is left of the
    /// last one (`tcp_receive_window()`). Never less than that, rounded up to
    /// the scale's unit.
    pub fn select(&mut self, wscale: u8, left: u32) -> (u32, bool) {
        let (fresh, half_full) = self.fresh_window(wscale);
        let unit = 1u64 << wscale;
        let window = if fresh < left {
            ((left as u64).div_ceil(unit) * unit) as u32
        } else {
            fresh
        };
        // The field holds 16 bits of the scaled window.
        let window = window.min(65_535u32 << wscale);
        self.last_wnd = window;
        (window, half_full)
    }
}

/// The profile's hooks into the endpoint (see output.rs and input/text.rs).
impl Endpoint {
    /// Our MSS for the peer's data, less the timestamp option when
    /// timestamps are in use (`advmss`).
    pub(super) fn advmss_with(&self, timestamps: bool) -> u32 {
        let opt = if timestamps {
            super::output::TS_OPTION_LEN
        } else {
            0
        };
        (self.cfg.mss as u32).saturating_sub(opt).max(1)
    }

    /// The window to advertise now (`tcp_select_window()`); RCV.WUP becomes
    /// RCV.NXT. A buffer more than half full ends quick-ack mode.
    pub(super) fn advertise_linux(&mut self) -> u32 {
        self.lrcv.release(self.recv_buf.read_total());
        let left = self.rcv_wnd();
        let (w, half_full) = self.lrcv.select(self.rcv_wscale, left);
        if half_full {
            self.quickack_end();
        }
        self.rcv_adv = self.rcv_nxt + w;
        self.lrcv.wup = self.rcv_nxt;
        w
    }

    /// Text was queued (`tcp_data_queue()`, `tcp_event_data_recv()`).
    pub(super) fn linux_text_queued(&mut self, now: u64, seg: Arrived) {
        if !self.lrcv.started() {
            return;
        }
        let advmss = self.advmss_with(self.ts_enabled);
        if let (true, Some(tsecr)) = (seg.in_order, seg.tsecr) {
            let queue_empty = self.recv_buf.ready_len() as u64 <= seg.len as u64;
            let ts_now = super::output::ts_clock(now);
            self.lrcv.rtt_sample(seg.len, ts_now, tsecr, queue_empty);
        }
        if self.lrcv.on_data(seg, advmss) {
            self.quickack_on_grow();
        }
    }

    /// More than one full segment came since the last ACK and the window
    /// would not shrink, or nothing is left unread: ACK at once
    /// (`__tcp_ack_snd_check()`). Without this profile: a second segment.
    pub(super) fn second_segment_acks_now(&mut self) -> bool {
        if !self.lrcv.started() {
            return self.unacked_segments >= 2;
        }
        if !self.segment_since_ack() {
            return false;
        }
        if self.recv_buf.ready_len() == 0 {
            return true;
        }
        self.fresh_linux_window() >= self.lrcv.last_wnd
    }

    /// More than a receive MSS came since the last window was offered.
    fn segment_since_ack(&self) -> bool {
        self.rcv_nxt - self.lrcv.wup > self.lrcv.rcv_mss
    }

    /// `__tcp_select_window()` as the ACK decisions call it: the window the
    /// memory allows now; a buffer more than half full ends quick-ack mode.
    fn fresh_linux_window(&mut self) -> u32 {
        self.lrcv.release(self.recv_buf.read_total());
        let (fresh, half_full) = self.lrcv.fresh_window(self.rcv_wscale);
        if half_full {
            self.quickack_end();
        }
        fresh
    }

    /// After the application read (`tcp_cleanup_rbuf()`): a pending ACK goes
    /// when more than a segment came since the last one, or when the read
    /// emptied a buffer that held a small pushed segment; otherwise a window
    /// update goes when the window can at least double.
    pub(super) fn after_read_linux(&mut self, now: u64) {
        let copied = self.recv_buf.read_total();
        self.lrcv.release(copied);
        self.lrcv
            .space_adjust(now, copied, self.recv_buf.ready_len() as u64);
        let scheduled =
            self.unacked_segments > 0 || self.timers.get(TimerKind::DelayedAck).is_some();
        let mut time_to_ack = false;
        if scheduled {
            let pushed = self.lrcv.pushed >= 2 || self.lrcv.pushed == 1 && !self.qa.pingpong;
            time_to_ack = self.segment_since_ack() || pushed && self.lrcv.rmem() == 0;
        }
        if !time_to_ack && !self.fin_received && self.state.is_synchronized() {
            let now_w = self.rcv_wnd();
            if 2 * now_w as u64 <= self.lrcv.clamp as u64 {
                let fresh = self.fresh_linux_window();
                time_to_ack = fresh != 0 && fresh as u64 >= 2 * now_w as u64;
            }
        }
        if time_to_ack {
            self.send_ack(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrived(end: u64, len: u32) -> Arrived {
        Arrived {
            end,
            len,
            in_order: true,
            push: false,
            tsecr: None,
        }
    }

    /// The windows Linux 6.18 offered for the first ten 1448-byte segments
    /// of `bulk` (server side: SYN,ACK 65160, scale 10, nothing read), from
    /// tests/fixtures and `synack real bulk`: growth by 2 x 1448 to 78848,
    /// then the never-shrink rule one unit (1024) down per segment.
    #[test]
    fn first_flight_windows_match_the_kernel() {
        let mut r = LinuxRcv::default();
        r.start(131_072, 65_160, 0, 1448);
        let mut left = 65_160u32;
        let mut got = Vec::new();
        for i in 1..=10u64 {
            r.on_data(arrived(i * 1448, 1448), 1448);
            left -= 1448;
            let (w, _) = r.select(10, left);
            left = w;
            got.push(w / 1024);
        }
        assert_eq!(got, [67, 70, 73, 75, 77, 76, 75, 74, 73, 72]);
    }

    /// `tcp_rcv_space_adjust()`: reading more in a round trip than the last
    /// measure (10 segments at first) grows the buffer, and with it how far
    /// the window may grow; not before a round trip has passed.
    #[test]
    fn reading_fast_grows_the_buffer_once_a_round_trip() {
        let mut r = LinuxRcv::default();
        r.start(131_072, 65_160, 0, 1448);
        r.on_data(arrived(1448, 1448), 1448);
        r.rtt_sample(1448, 21, 1, true); // 20 ms
        let before = r.clamp;
        r.space_adjust(10_000, 60_000, 0); // 10 ms: too soon
        assert_eq!(r.clamp, before);
        r.space_adjust(30_000, 60_000, 0);
        assert!(r.clamp > 4 * before, "{} -> {}", before, r.clamp);
        assert!(r.clamp <= (RMEM_MAX as u32 / 256) * 255);
    }

    #[test]
    fn small_segments_leave_the_first_window() {
        let mut r = LinuxRcv::default();
        r.start(131_072, 64_240, 0, 1448);
        assert_eq!(r.select(10, 64_240).0, 64_512);
        r.on_data(arrived(15, 15), 1448);
        assert_eq!(r.select(10, 64_240 - 15).0, 64_512);
        r.release(15);
        assert_eq!(r.rmem(), 0);
    }

    #[test]
    fn a_full_buffer_offers_what_is_left_then_zero() {
        let mut r = LinuxRcv::default();
        r.start(131_072, 65_160, 0, 1448);
        let mut left = 65_160u32;
        let mut end = 0;
        let mut last = u32::MAX;
        while left >= 1448 {
            end += 1448;
            r.on_data(arrived(end, 1448), 1448);
            left -= 1448;
            let (w, _) = r.select(10, left);
            left = w;
            assert!(w <= last || w <= 78_848);
            last = w;
        }
        // Nothing is read: what is left goes down to less than a segment,
        // and the fresh window is zero.
        assert!(left < 1448 + 1024);
        assert_eq!(r.fresh_window(10).0, 0);
        r.release(end);
        assert!(r.fresh_window(10).0 > 60_000);
    }
}
