//! Linux's quick-ack and pingpong modes (profile `quickacks`), which decide
//! whether an ACK goes at once or waits for the delayed-ACK timer.
//!
//! RFC 1122 4.2.3.2 lets a receiver delay an ACK (up to 500 ms, every second
//! full segment ACKed). Linux refines when it does:
//! - quick-ack mode: the first data of a connection gives
//!   `tcp_incr_quickack()` a budget of `TCP_MAX_QUICKACKS` (16) ACKs that go at
//!   once (`tcp_in_quickack_mode()`); each ACK sent spends one
//!   (`tcp_dec_quickack_mode()`);
//! - pingpong (interactive) mode: a side that sends data within the ATO
//!   (40 ms, `TCP_ATO_MIN`) of receiving some (`tcp_event_data_sent()`,
//!   `tcp_pingpong_thresh` 1), or that receives a FIN in ESTABLISHED
//!   (`tcp_fin()`), delays its ACKs to let them ride on its own data or FIN;
//!   a delayed-ACK timer that fires ends it (`tcp_delack_timer_handler()`).

use super::Endpoint;

/// The state of the two modes.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct QuickAck {
    /// ACKs left to send at once.
    left: u32,
    /// The first data has come (the budget is given once).
    started: bool,
    /// Pingpong (interactive) mode.
    pub pingpong: bool,
    /// When data last arrived (`icsk_ack.lrcvtime`).
    last_data_us: Option<u64>,
}

/// Linux `TCP_ATO_MIN`: the ATO a connection starts with.
const ATO_MIN_US: u64 = 40_000;

impl Endpoint {
    /// Data arrived in sequence (`tcp_event_data_recv()`).
    pub(super) fn quickack_on_data(&mut self, now: u64) {
        let Some(n) = self.cfg.profile.quickacks else {
            return;
        };
        if !self.qa.started {
            self.qa.started = true;
            self.qa.left = n;
        }
        self.qa.last_data_us = Some(now);
    }

    /// A FIN arrived in ESTABLISHED (`tcp_fin()`: `inet_csk_enter_pingpong_mode()`):
    /// true when its ACK may wait for the application's own segment. Only
    /// after data came: the ATO is set by the first data
    /// (`tcp_event_data_recv()`: `icsk_ack.ato = TCP_ATO_MIN`); before, it
    /// is 0 and the delayed-ACK timer fires at the next jiffy
    /// (`tcp_send_delayed_ack()`), so a FIN on a connection that never
    /// carried data is ACKed at once (measured: 2 ms on Linux 6.18).
    pub(super) fn quickack_on_fin(&mut self) -> bool {
        if self.cfg.profile.quickacks.is_none() {
            return false;
        }
        self.qa.pingpong = true;
        self.qa.started
    }

    /// We send data (`tcp_event_data_sent()`).
    pub(super) fn quickack_on_data_sent(&mut self, now: u64) {
        if self.cfg.profile.quickacks.is_none() {
            return;
        }
        if self
            .qa
            .last_data_us
            .is_some_and(|t| now.saturating_sub(t) < ATO_MIN_US)
        {
            self.qa.pingpong = true;
        }
    }

    /// Whether an ACK must go at once (`tcp_in_quickack_mode()`).
    pub(super) fn in_quickack_mode(&self) -> bool {
        self.cfg.profile.quickacks.is_some() && self.qa.left > 0 && !self.qa.pingpong
    }

    /// An ACK went out while one was due (`tcp_dec_quickack_mode()`).
    pub(super) fn quickack_spent(&mut self) {
        self.qa.left = self.qa.left.saturating_sub(1);
    }

    /// The receive window grew (`tcp_grow_window()`: `icsk_ack.quick |= 1`):
    /// one more ACK at once, unless the count is odd already.
    pub(super) fn quickack_on_grow(&mut self) {
        if self.cfg.profile.quickacks.is_some() {
            self.qa.left |= 1;
        }
    }

    /// The receive buffer is more than half full (`__tcp_select_window()`:
    /// `icsk_ack.quick = 0`): quick-ack mode ends.
    pub(super) fn quickack_end(&mut self) {
        self.qa.left = 0;
    }

    /// The delayed-ACK timer fired: pingpong ends (`inet_csk_exit_pingpong_mode()`).
    pub(super) fn quickack_timer_fired(&mut self) {
        self.qa.pingpong = false;
    }
}
