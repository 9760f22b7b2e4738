//! The application's calls on an endpoint (RFC 9293 3.10.1 - 3.10.5): OPEN
//! as `listen` and `connect`, SEND, RECEIVE, CLOSE as `shutdown` and
//! `close`, and ABORT, with the answers each profile gives
//! (docs/state-event-matrix.md lists them per state).

use super::buffers::{Read, SendBuffer};
use super::{CallError, Endpoint};
use crate::state::State;

impl Endpoint {
    // ----- app commands (RFC 9293 3.10.1 - 3.10.5) -----

    /// Passive OPEN (RFC 9293 3.10.1): CLOSED -> LISTEN.
    pub fn listen(&mut self, port: u16) -> Result<(), CallError> {
        if self.state != State::Closed {
            return Err(CallError::AlreadyOpen);
        }
        self.new_incarnation();
        self.local_port = port;
        self.active_open = false;
        self.set_state(State::Listen);
        Ok(())
    }

    /// Active OPEN (RFC 9293 3.10.1): send SYN, CLOSED -> SYN-SENT. A LISTEN
    /// endpoint may be turned active too (RFC 9293 3.10.2, SEND in LISTEN).
    pub fn connect(
        &mut self,
        now: u64,
        local_port: u16,
        remote_port: u16,
    ) -> Result<(), CallError> {
        if !matches!(self.state, State::Closed | State::Listen)
            || (self.state == State::Listen && !self.cfg.profile.connect_from_listen)
        {
            // Linux: EISCONN from a listener too (profile.rs, `connect_from_listen`).
            return Err(CallError::AlreadyOpen);
        }
        if self.state == State::Closed {
            self.new_incarnation();
        }
        self.local_port = local_port;
        self.remote_port = remote_port;
        self.active_open = true;
        self.error = None;
        self.snd_una = self.iss;
        self.snd_nxt = self.iss;
        self.snd_max = self.iss;
        self.set_state(State::SynSent);
        self.send_syn(now, false);
        Ok(())
    }

    /// SEND (RFC 9293 3.10.2): queue bytes; they leave as the windows allow.
    pub fn send(&mut self, now: u64, data: &[u8]) -> Result<(), CallError> {
        self.check_can_send()?;
        self.send_buf.push_bytes(data);
        self.output(now);
        Ok(())
    }

    /// SEND of `n` pattern bytes (`send N bytes`), without materializing them.
    pub fn send_pattern(&mut self, now: u64, n: u64) -> Result<(), CallError> {
        self.check_can_send()?;
        self.send_buf.push_pattern(n);
        self.output(now);
        Ok(())
    }

    /// The answer to a call the app makes after its own `close()`: Linux
    /// fails it with EBADF (the file descriptor is gone); RFC 9293 3.10.4
    /// answers a CLOSE after CLOSE "error: connection closing".
    fn after_close(&self) -> CallError {
        if self.cfg.profile.socket_errnos {
            CallError::BadDescriptor
        } else {
            CallError::Closing
        }
    }

    /// The failure, reported once (RFC 9293 3.10.7.4; Linux `sock_error()`).
    fn report_error(&mut self) -> Result<(), CallError> {
        match self.error.take() {
            Some(e) => Err(CallError::Failed(e)),
            None => Ok(()),
        }
    }

    /// After the failure was reported: RFC 9293 3.10, the TCB is gone,
    /// "error: connection does not exist"; Linux (`tcp_done()` set
    /// `sk_shutdown` to `SHUTDOWN_MASK`): `send` fails with EPIPE.
    fn send_after_failure(&self) -> CallError {
        if self.cfg.profile.socket_errnos {
            CallError::Closing
        } else {
            CallError::NotConnected
        }
    }

    fn check_can_send(&mut self) -> Result<(), CallError> {
        if self.app_closed {
            return Err(self.after_close());
        }
        self.report_error()?;
        if self.failed {
            return Err(self.send_after_failure());
        }
        if self.fin_queued {
            return Err(CallError::Closing);
        }
        match self.state {
            // RFC 9293 3.10.2: in SYN-SENT/SYN-RECEIVED "queue the data for
            // transmission after entering ESTABLISHED state".
            State::SynSent | State::SynReceived | State::Established | State::CloseWait => Ok(()),
            // RFC 9293 3.10.2 CLOSED: "error: connection does not exist";
            // LISTEN would turn active, which a socket never does. Linux
            // (socket errnos): tcp_sendmsg() waits for a connection in
            // sk_stream_wait_connect(), which answers EPIPE in any state but
            // SYN-SENT and SYN-RECV.
            State::Closed | State::Listen if self.cfg.profile.socket_errnos => {
                Err(CallError::Closing)
            }
            State::Closed | State::Listen => Err(CallError::NotConnected),
            _ => Err(CallError::Closing),
        }
    }

    /// RECEIVE (RFC 9293 3.10.3): up to `max` bytes, end-of-stream, or nothing yet.
    pub fn read(&mut self, now: u64, max: usize) -> Result<Read, CallError> {
        if self.app_closed {
            return Err(self.after_close());
        }
        let r = self.recv_buf.read(max);
        if let Read::Data(_) = r {
            self.after_read(now);
            return Ok(r);
        }
        self.report_error()?;
        if self.failed && self.cfg.profile.socket_errnos {
            // Linux tcp_recvmsg(): after the error was reported, a socket
            // whose `sk_shutdown` has RCV_SHUTDOWN reads 0 bytes: end of stream.
            return Ok(Read::Eof);
        }
        // RFC 9293 3.10.3, LISTEN: "Queue for processing after entering
        // ESTABLISHED state": the call waits for the connection's data. Linux
        // (`tcp_recvmsg()` on a listening socket): ENOTCONN.
        let queued = self.state == State::Listen && !self.cfg.profile.socket_errnos;
        if r == Read::WouldBlock && matches!(self.state, State::Closed | State::Listen) && !queued {
            return Err(CallError::NotConnected);
        }
        Ok(r)
    }

    /// RECEIVE that discards: returns how many bytes were consumed.
    pub fn read_discard(&mut self, now: u64, max: usize) -> usize {
        let n = self.recv_buf.read_discard(max);
        if n > 0 {
            self.after_read(now);
        }
        n
    }

    /// `shutdown(SHUT_WR)`: the CLOSE of RFC 9293 3.10.4 for the send side only.
    pub fn shutdown(&mut self, now: u64) -> Result<(), CallError> {
        if self.app_closed {
            return Err(self.after_close());
        }
        if self.cfg.profile.shutdown_again_ok && self.error.is_none() {
            // Linux inet_shutdown() (profile.rs, `shutdown_again_ok`).
            match self.state {
                State::Listen
                | State::FinWait1
                | State::FinWait2
                | State::Closing
                | State::LastAck => return Ok(()),
                State::TimeWait => return Err(CallError::NotConnected),
                _ => {}
            }
        }
        self.close_send_side(now)
    }

    /// The CLOSE of the send side, for `shutdown` and `close`.
    fn close_send_side(&mut self, now: u64) -> Result<(), CallError> {
        self.report_error()?;
        match self.state {
            State::Closed | State::Listen | State::SynSent => Err(CallError::NotConnected),
            // "Queue this until all preceding SENDs have been segmentized, then
            // form a FIN segment and send it. In any case, enter FIN-WAIT-1 state."
            State::SynReceived | State::Established => {
                self.fin_queued = true;
                self.set_state(State::FinWait1);
                self.output(now);
                Ok(())
            }
            // CLOSE-WAIT: "Queue this request until all preceding SENDs have
            // been segmentized; then send a FIN segment, enter LAST-ACK state."
            State::CloseWait => {
                self.fin_queued = true;
                self.set_state(State::LastAck);
                self.output(now);
                Ok(())
            }
            _ => Err(CallError::Closing),
        }
    }

    /// Whether CLOSE now resets the connection instead of sending FIN: RFC
    /// 2525 2.17 / RFC 9293 3.10.4 note, closing with unread data resets it so
    /// the peer learns the data was lost.
    pub fn close_resets(&self) -> bool {
        matches!(
            self.state,
            State::SynReceived | State::Established | State::CloseWait
        ) && self.recv_buf.ready_len() > 0
    }

    /// CLOSE (RFC 9293 3.10.4): shut the send side and stop reading.
    pub fn close(&mut self, now: u64) -> Result<(), CallError> {
        if self.app_closed {
            // RFC 9293 3.10.4, FIN-WAIT-1 and the later states: "Strictly
            // speaking, this is an error and should receive an "error:
            // connection closing" response". Linux: EBADF.
            return Err(self.after_close());
        }
        self.app_closed = true;
        if self.cfg.profile.socket_errnos {
            // Linux close(2) releases the file descriptor and returns 0,
            // whatever happened to the connection (an unreported error is
            // dropped with the socket).
            self.error = None;
        }
        match self.state {
            // "LISTEN STATE: Any outstanding RECEIVEs are returned ... delete TCB,
            // enter CLOSED state". "SYN-SENT STATE: Delete the TCB".
            State::Listen | State::SynSent => {
                self.delete_tcb();
                Ok(())
            }
            // RFC 9293 3.10.4 CLOSED: "error: connection does not exist",
            // after the reset signal, if not yet given (3.10.7.4).
            State::Closed if !self.cfg.profile.socket_errnos => {
                self.report_error()?;
                Err(CallError::NotConnected)
            }
            State::Closed => Ok(()),
            State::SynReceived | State::Established | State::CloseWait => {
                if self.close_resets() {
                    self.abort(now);
                    return Ok(());
                }
                self.close_send_side(now)
            }
            // Already closing: CLOSE after shutdown just stops reading.
            _ => Ok(()),
        }
    }

    /// ABORT as the app calls it, with its result (RFC 9293 3.10.5):
    /// "CLOSED STATE (i.e., TCB does not exist) ... return "error:
    /// connection does not exist"", after the reset signal if not yet
    /// given (3.10.7.4), as CLOSE does. Linux: `close(2)` of an `SO_LINGER`
    /// 0 socket returns 0 whatever happened to the connection.
    pub fn abort_call(&mut self, now: u64) -> Result<(), CallError> {
        if self.app_closed && self.cfg.profile.socket_errnos {
            // Linux: the descriptor went with the first close (EBADF), and
            // with it nothing the connection does (a TIME-WAIT stays).
            return Err(self.after_close());
        }
        if self.state == State::TimeWait && self.cfg.profile.abort_leaves_time_wait {
            // profile.rs, `abort_leaves_time_wait`: the socket closes, the
            // TIME-WAIT runs on.
            self.app_closed = true;
            return Ok(());
        }
        if self.state == State::Closed && !self.cfg.profile.socket_errnos {
            self.app_closed = true;
            self.report_error()?;
            return Err(CallError::NotConnected);
        }
        self.abort(now);
        Ok(())
    }

    /// ABORT (RFC 9293 3.10.5): send RST in synchronized states, go to CLOSED.
    pub fn abort(&mut self, now: u64) {
        // ABORT as `SO_LINGER` 0 then close(): the app gives the socket up.
        self.app_closed = true;
        // Linux: a half-open passive connection goes unanswered
        // (profile.rs, `listener_close_drops_requests`).
        let silent = self.state == State::SynReceived
            && !self.active_open
            && self.cfg.profile.listener_close_drops_requests;
        match self.state {
            State::SynReceived
            | State::Established
            | State::FinWait1
            | State::FinWait2
            | State::CloseWait
                if !silent =>
            {
                // "Send a reset segment: <SEQ=SND.NXT><CTL=RST>"
                // "<SEQ=SND.NXT>": the next sequence number the peer expects from
                // us, which after a retransmission timeout is SND.MAX, not the
                // rolled-back SND.NXT (see `acceptable_seq`).
                let seq = self.acceptable_seq();
                // Linux tcp_send_active_reset(): RST,ACK (profile `reset_with_ack`).
                let flags = if self.cfg.profile.reset_with_ack {
                    crate::Flags::RST | crate::Flags::ACK
                } else {
                    crate::Flags::RST
                };
                let seg = self.make_segment(flags, seq, crate::Payload::EMPTY, now);
                self.push_tx(seg, false);
            }
            _ => {}
        }
        self.clear_timers();
        self.fin_queued = false;
        self.send_buf = SendBuffer::default();
        self.set_state(State::Closed);
    }
}
