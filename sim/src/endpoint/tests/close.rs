//! The closing states and TIME-WAIT (RFC 9293 3.6, 3.10.4, 3.10.5, 3.10.7.4).

use super::*;
use crate::endpoint::{CallError, Read, SockError};

// ----- ESTABLISHED: CLOSE, ABORT, FIN -----

/// RFC 9293 3.10.4, CLOSE in ESTABLISHED: "form a FIN segment and send it,
/// and set FIN-WAIT-1 state"; the FIN is retransmitted like data (RFC 6298 5.1).
#[test]
fn established__close__fin_wait_1_rfc9293_3_10_4() {
    let mut ep = fin_wait_1(RFC);
    assert_eq!(
        transitions(&mut ep),
        [(State::Established, State::FinWait1)]
    );
    assert_eq!(ep.timer(TimerKind::Retransmit), Some(2 * SEC));
    assert_eq!(ep.send(SEC, b"late"), Err(CallError::Closing));
}

/// RFC 9293 3.10.4: data queued before CLOSE is sent first, the FIN rides on
/// the last data segment.
#[test]
fn established__send_then_close__fin_after_data_rfc9293_3_10_4() {
    let mut ep = established(RFC);
    assert_eq!(ep.send(SEC, b"bye"), Ok(()));
    recv!(ep, PSH | ACK, seq = ISS + 1, ack = IRS + 1, data = b"bye");
    assert_eq!(ep.send(SEC, b"!"), Ok(()));
    recv_nothing!(ep); // Nagle holds it
    assert_eq!(ep.close(SEC), Ok(()));
    recv!(
        ep,
        FIN | PSH | ACK,
        seq = ISS + 4,
        ack = IRS + 1,
        data = b"!"
    );
    recv_nothing!(ep);
}

/// RFC 9293 3.10.7.4 eighth: a FIN in ESTABLISHED: "Enter the CLOSE-WAIT
/// state", ACK it, and the user's RECEIVE returns end of stream.
#[test]
fn established__fin__close_wait_rfc9293_3_10_7_4() {
    let mut ep = close_wait(RFC);
    assert_eq!(
        transitions(&mut ep),
        [(State::Established, State::CloseWait)]
    );
    assert_eq!(ep.read(SEC, 10), Ok(Read::Eof));
}

/// Linux profile: a FIN in ESTABLISHED puts the receiver in pingpong mode
/// (`tcp_fin()`): once data has come (which set the ATO), its ACK waits, and
/// rides on the application's own FIN when it closes within 40 ms (three
/// segments close the connection, not four); otherwise the delayed-ACK timer
/// sends it. On a connection that never carried data the ATO is 0 and the
/// ACK goes at once. RFC 9293 3.10.7.4 eighth: "send an acknowledgment for
/// the FIN" (RFC 1122 4.2.3.2 lets it be delayed).
#[test]
fn established__fin__ack_rides_on_our_fin_linux_rfc9293_3_10_7_4() {
    let with_data = || {
        let mut ep = established(LINUX);
        send!(
            ep,
            SEC,
            PSH | ACK,
            seq = IRS + 1,
            ack = ISS + 1,
            data = b"x"
        );
        // Quick-ack mode: the first data is ACKed at once.
        recv!(ep, ACK, seq = ISS + 1, ack = IRS + 2);
        assert_eq!(ep.read(SEC, 10).map(|_| ()), Ok(()));
        send!(ep, SEC, FIN | ACK, seq = IRS + 2, ack = ISS + 1);
        ep
    };
    let mut ep = with_data();
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::CloseWait);
    assert_eq!(ep.read(SEC, 10), Ok(Read::Eof));
    assert_eq!(ep.close(SEC + 10 * MS), Ok(()));
    recv!(ep, FIN | ACK, seq = ISS + 1, ack = IRS + 3);
    recv_nothing!(ep);
    // Without a close, the delayed-ACK timer sends the ACK after 40 ms.
    let mut ep = with_data();
    recv_nothing!(ep);
    assert_eq!(
        expire(&mut ep, TimerKind::DelayedAck, SEC + 40 * MS),
        (40 * MS, None)
    );
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 3);
    // No data before the FIN: the ACK at once.
    let mut ep = established(LINUX);
    send!(ep, SEC, FIN | ACK, seq = IRS + 1, ack = ISS + 1);
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 2);
    assert_eq!(ep.state(), State::CloseWait);
}

/// RFC 9293 3.10.7.4 eighth: a FIN after data: the data first, then end of stream.
#[test]
fn established__data_with_fin__data_then_eof_rfc9293_3_10_7_4() {
    let mut ep = established(RFC);
    send!(
        ep,
        SEC,
        FIN | PSH | ACK,
        seq = IRS + 1,
        ack = ISS + 1,
        data = b"last"
    );
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 6);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::CloseWait);
    assert_eq!(ep.read(SEC, 10), Ok(Read::Data(b"last".to_vec())));
    assert_eq!(ep.read(SEC, 10), Ok(Read::Eof));
}

/// RFC 9293 3.10.5, ABORT in ESTABLISHED: "Send a reset segment:
/// <SEQ=SND.NXT><CTL=RST>", enter CLOSED.
#[test]
fn established__abort__rst_rfc9293_3_10_5() {
    let mut ep = established(RFC);
    assert_eq!(ep.send(SEC, b"abc"), Ok(()));
    recv!(ep, PSH | ACK, seq = ISS + 1, len = 3);
    ep.abort(SEC + MS);
    recv!(ep, RST, seq = ISS + 4);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Closed);
    assert_eq!(ep.poll_timeout(), None);
}

/// RFC 2525 2.17 (and RFC 9293 3.10.4's note): CLOSE with unread received
/// data resets the connection instead of sending a FIN.
#[test]
fn established__close_with_unread_data__rst_rfc2525_2_17() {
    let mut ep = established(RFC);
    send!(
        ep,
        SEC,
        ACK | PSH,
        seq = IRS + 1,
        ack = ISS + 1,
        data = b"unread"
    );
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 7);
    assert_eq!(ep.close(2 * SEC), Ok(()));
    recv!(ep, RST, seq = ISS + 1);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Closed);
}

/// RFC 9293 3.10.4, `shutdown(SHUT_WR)`: FIN sent, and data still received
/// (half-close: FIN-WAIT-1 and FIN-WAIT-2 process text, 3.10.7.4 seventh).
#[test]
fn established__shutdown__half_close_still_receives_rfc9293_3_10_7_4() {
    let mut ep = established(RFC);
    assert_eq!(ep.shutdown(SEC), Ok(()));
    recv!(ep, FIN | ACK, seq = ISS + 1, ack = IRS + 1);
    send!(
        ep,
        SEC + 10 * MS,
        ACK,
        seq = IRS + 1,
        ack = ISS + 1,
        data = b"more"
    );
    recv!(ep, ACK, seq = ISS + 2, ack = IRS + 5);
    assert_eq!(ep.state(), State::FinWait1);
    send!(
        ep,
        SEC + 20 * MS,
        ACK,
        seq = IRS + 5,
        ack = ISS + 2,
        data = b"data"
    );
    recv!(ep, ACK, seq = ISS + 2, ack = IRS + 9);
    assert_eq!(ep.state(), State::FinWait2);
    assert_eq!(ep.read(SEC, 100), Ok(Read::Data(b"moredata".to_vec())));
    recv_nothing!(ep);
}

// ----- FIN-WAIT-1 -----

/// RFC 9293 3.10.7.4 fifth, FIN-WAIT-1: "if the FIN segment is now
/// acknowledged, then enter FIN-WAIT-2"; the retransmission timer stops.
#[test]
fn fin_wait_1__ack_of_fin__fin_wait_2_rfc9293_3_10_7_4() {
    let mut ep = fin_wait_2(RFC);
    assert_eq!(ep.timer(TimerKind::Retransmit), None);
    assert!(transitions(&mut ep).contains(&(State::FinWait1, State::FinWait2)));
}

/// RFC 9293 3.10.7.4 eighth, FIN-WAIT-1: a FIN that does not acknowledge
/// ours: "enter the CLOSING state" (simultaneous close).
#[test]
fn fin_wait_1__fin__closing_rfc9293_3_10_7_4() {
    let mut ep = closing(RFC);
    assert!(transitions(&mut ep).contains(&(State::FinWait1, State::Closing)));
}

/// RFC 9293 3.10.7.4 eighth, FIN-WAIT-1: "If our FIN has been ACKed (perhaps
/// in this segment), then enter TIME-WAIT, start the time-wait timer".
#[test]
fn fin_wait_1__fin_with_ack_of_fin__time_wait_rfc9293_3_10_7_4() {
    let mut ep = fin_wait_1(RFC);
    send!(ep, SEC + 50 * MS, FIN | ACK, seq = IRS + 1, ack = ISS + 2);
    recv!(ep, ACK, seq = ISS + 2, ack = IRS + 2);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::TimeWait);
    assert_eq!(
        ep.timer(TimerKind::TimeWait),
        Some(SEC + 50 * MS + 240 * SEC)
    );
}

/// RFC 6298 5.4: the FIN is retransmitted when the timer expires.
#[test]
fn fin_wait_1__timeout__fin_retransmitted_rfc6298_5_4() {
    let mut ep = fin_wait_1(RFC);
    expire(&mut ep, TimerKind::Retransmit, 2 * SEC);
    recv!(ep, FIN | ACK, seq = ISS + 1, ack = IRS + 1);
    recv_nothing!(ep);
    assert_eq!(ep.timer(TimerKind::Retransmit), Some(4 * SEC));
}

/// RFC 9293 3.10.7.4 second: RST in FIN-WAIT-1: "connection reset".
#[test]
fn fin_wait_1__rst__reset_rfc9293_3_10_7_4() {
    let mut ep = fin_wait_1(RFC);
    send!(ep, SEC + 10 * MS, RST, seq = IRS + 1);
    assert_eq!(ep.state(), State::Closed);
    assert_eq!(ep.error(), Some(SockError::Reset));
}

// ----- FIN-WAIT-2 -----

/// RFC 9293 3.10.7.4 second, FIN-WAIT-2: an exact RST: "Users should also
/// receive an unsolicited general "connection reset" signal. Enter the
/// CLOSED state".
#[test]
fn fin_wait_2__rst__reset_rfc9293_3_10_7_4() {
    let mut ep = fin_wait_2(RFC);
    send!(ep, 2 * SEC, RST, seq = IRS + 1);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Closed);
    assert_eq!(ep.error(), Some(SockError::Reset));
    assert_eq!(ep.poll_timeout(), None);
}

/// RFC 9293 3.10.7.4 eighth, FIN-WAIT-2: "Enter the TIME-WAIT state. Start
/// the time-wait timer" (2*MSL = 240 s in the rfc profile, RFC 9293 3.3.2).
#[test]
fn fin_wait_2__fin__time_wait_rfc9293_3_10_7_4() {
    let mut ep = time_wait(RFC);
    assert!(transitions(&mut ep).contains(&(State::FinWait2, State::TimeWait)));
    assert_eq!(
        ep.timer(TimerKind::TimeWait),
        Some(SEC + 200 * MS + 240 * SEC)
    );
    // After `close` the app reads no more (RFC 9293 3.10.4 in TIME-WAIT:
    // "error: connection closing"; a scenario refuses `recv` after `close`).
    assert_eq!(ep.read(2 * SEC, 10), Err(CallError::Closing));
}

/// RFC 9293 3.10.4, FIN-WAIT-1 and later: a second CLOSE "should receive
/// an "error: connection closing" response". Linux: EBADF, the descriptor
/// is gone.
#[test]
fn fin_wait_1__second_close__connection_closing_rfc9293_3_10_4() {
    let mut ep = fin_wait_1(RFC);
    assert_eq!(ep.close(SEC), Err(CallError::Closing));
    let mut ep = fin_wait_1(LINUX);
    assert_eq!(ep.close(SEC), Err(CallError::BadDescriptor));
    assert_eq!(ep.shutdown(SEC), Err(CallError::BadDescriptor));
}

/// `close` after `shutdown` is how a socket program ends a half-close: not
/// a second CLOSE.
#[test]
fn fin_wait_1__close_after_shutdown__ok_rfc9293_3_10_4() {
    let mut ep = established(RFC);
    assert_eq!(ep.shutdown(SEC), Ok(()));
    recv!(ep, FIN | ACK, seq = ISS + 1, ack = IRS + 1);
    assert_eq!(ep.close(SEC), Ok(()));
    assert_eq!(ep.close(SEC), Err(CallError::Closing));
}

/// RFC 9293 3.10.7.4 seventh: FIN-WAIT-2 still takes data after a
/// `shutdown` (after `close` the app reads no more, 3.10.4).
#[test]
fn fin_wait_2__data__received_rfc9293_3_10_7_4() {
    let mut ep = established(RFC);
    assert_eq!(ep.shutdown(SEC), Ok(()));
    recv!(ep, FIN | ACK, seq = ISS + 1, ack = IRS + 1);
    send!(ep, SEC + 100 * MS, ACK, seq = IRS + 1, ack = ISS + 2);
    assert_eq!(ep.state(), State::FinWait2);
    send!(
        ep,
        2 * SEC,
        PSH | ACK,
        seq = IRS + 1,
        ack = ISS + 2,
        data = b"still"
    );
    recv!(ep, ACK, seq = ISS + 2, ack = IRS + 6);
    recv_nothing!(ep);
    assert_eq!(ep.read(2 * SEC, 10), Ok(Read::Data(b"still".to_vec())));
}

// ----- CLOSE-WAIT -----

/// RFC 9293 3.10.2: SEND in CLOSE-WAIT is allowed (the peer half-closed).
#[test]
fn close_wait__send__allowed_rfc9293_3_10_2() {
    let mut ep = close_wait(RFC);
    assert_eq!(ep.send(2 * SEC, b"reply"), Ok(()));
    recv!(ep, PSH | ACK, seq = ISS + 1, ack = IRS + 2, data = b"reply");
    recv_nothing!(ep);
}

/// RFC 9293 3.10.7.4 seventh, CLOSE-WAIT: text after the peer's FIN "should
/// not occur since a FIN has been received from the remote side. Ignore the
/// segment text." Its ACK is still taken (fifth check), nothing is sent.
#[test]
fn close_wait__data_after_fin__text_ignored_rfc9293_3_10_7_4() {
    let mut ep = close_wait(RFC);
    assert_eq!(ep.send(SEC + 10 * MS, b"abc"), Ok(()));
    recv!(ep, PSH | ACK, seq = ISS + 1, ack = IRS + 2, data = b"abc");
    send!(
        ep,
        SEC + 50 * MS,
        ACK,
        seq = IRS + 2,
        ack = ISS + 4,
        data = b"zz"
    );
    recv_nothing!(ep);
    assert_eq!(ep.unacked_bytes(), 0, "the ACK was taken");
    assert_eq!(ep.timer(TimerKind::Retransmit), None);
    assert_eq!(ep.read(SEC + 60 * MS, 10), Ok(Read::Eof));
    assert_eq!(ep.state(), State::CloseWait);
}

/// RFC 9293 3.10.4, CLOSE in CLOSE-WAIT: "send a FIN segment, enter LAST-ACK state".
#[test]
fn close_wait__close__last_ack_rfc9293_3_10_4() {
    let mut ep = last_ack(RFC);
    assert!(transitions(&mut ep).contains(&(State::CloseWait, State::LastAck)));
    assert_eq!(ep.timer(TimerKind::Retransmit), Some(2 * SEC + 100 * MS));
}

/// RFC 9293 3.10.7.4 second: RST in CLOSE-WAIT: "connection reset".
#[test]
fn close_wait__rst__reset_rfc9293_3_10_7_4() {
    let mut ep = close_wait(RFC);
    send!(ep, 2 * SEC, RST, seq = IRS + 2);
    assert_eq!(ep.state(), State::Closed);
    assert_eq!(ep.error(), Some(SockError::Reset));
}

// ----- CLOSING -----

/// RFC 9293 3.10.7.4 fifth, CLOSING: "if the ACK acknowledges our FIN, then
/// enter the TIME-WAIT state, otherwise, ignore the segment".
#[test]
fn closing__ack_of_fin__time_wait_rfc9293_3_10_7_4() {
    let mut ep = closing(RFC);
    send!(ep, SEC + 60 * MS, ACK, seq = IRS + 2, ack = ISS + 1);
    assert_eq!(
        ep.state(),
        State::Closing,
        "an ACK not covering our FIN is ignored"
    );
    send!(ep, SEC + 70 * MS, ACK, seq = IRS + 2, ack = ISS + 2);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::TimeWait);
    assert_eq!(
        ep.timer(TimerKind::TimeWait),
        Some(SEC + 70 * MS + 240 * SEC)
    );
    assert_eq!(ep.timer(TimerKind::Retransmit), None);
}

/// RFC 9293 3.10.7.4 second, CLOSING: RST: "enter the CLOSED state, delete the TCB".
#[test]
fn closing__rst__closed_rfc9293_3_10_7_4() {
    let mut ep = closing(RFC);
    send!(ep, SEC + 60 * MS, RST, seq = IRS + 2);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Closed);
}

// ----- LAST-ACK -----

/// RFC 9293 3.10.7.4 fifth, LAST-ACK: "If our FIN is now acknowledged,
/// delete the TCB, enter the CLOSED state, and return."
#[test]
fn last_ack__ack__closed_rfc9293_3_10_7_4() {
    let mut ep = last_ack(RFC);
    transitions(&mut ep);
    send!(ep, SEC + 150 * MS, ACK, seq = IRS + 2, ack = ISS + 2);
    recv_nothing!(ep);
    assert_eq!(transitions(&mut ep), [(State::LastAck, State::Closed)]);
    assert_eq!(ep.poll_timeout(), None);
    assert_eq!(ep.error(), None, "an orderly close is not an error");
}

/// RFC 6298 5.4: the FIN in LAST-ACK is retransmitted.
#[test]
fn last_ack__timeout__fin_retransmitted_rfc6298_5_4() {
    let mut ep = last_ack(RFC);
    expire(&mut ep, TimerKind::Retransmit, 2 * SEC + 100 * MS);
    recv!(ep, FIN | ACK, seq = ISS + 1, ack = IRS + 2);
    recv_nothing!(ep);
}

/// RFC 9293 3.10.7.4 second, LAST-ACK: RST: "enter the CLOSED state".
#[test]
fn last_ack__rst__closed_rfc9293_3_10_7_4() {
    let mut ep = last_ack(RFC);
    send!(ep, SEC + 150 * MS, RST, seq = IRS + 2);
    assert_eq!(ep.state(), State::Closed);
}

// ----- TIME-WAIT -----

/// RFC 9293 3.3.2 / 3.10.8: "If the time-wait timeout expires on a
/// connection, delete the TCB, enter the CLOSED state" (2*MSL = 240 s, rfc).
#[test]
fn time_wait__2msl__closed_rfc9293_3_10_8() {
    let mut ep = time_wait(RFC);
    transitions(&mut ep);
    let at = SEC + 200 * MS + 240 * SEC;
    assert_eq!(
        expire(&mut ep, TimerKind::TimeWait, at),
        (240 * SEC, None),
        "TIME-WAIT ran 2*MSL; it does not run on the RTO"
    );
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Closed);
    assert_eq!(ep.poll_timeout(), None);
}

/// Linux profile: TIME-WAIT lasts 60 s (`TCP_TIMEWAIT_LEN`).
#[test]
fn time_wait__60s__closed_linux() {
    let mut ep = time_wait(LINUX);
    expire(&mut ep, TimerKind::TimeWait, SEC + 200 * MS + 60 * SEC);
    assert_eq!(ep.state(), State::Closed);
}

/// RFC 9293 3.10.7.4 eighth, TIME-WAIT: "Remain in the TIME-WAIT state.
/// Acknowledge it, and restart the 2 MSL timeout."
#[test]
fn time_wait__fin_retransmitted__acked_and_timer_restarted_rfc9293_3_10_7_4() {
    let mut ep = time_wait(RFC);
    let t = 100 * SEC;
    send!(ep, t, FIN | ACK, seq = IRS + 1, ack = ISS + 2);
    recv!(ep, ACK, seq = ISS + 2, ack = IRS + 2);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::TimeWait);
    assert_eq!(
        expire(&mut ep, TimerKind::TimeWait, t + 240 * SEC),
        (240 * SEC, None),
        "2*MSL since the restart"
    );
    assert_eq!(ep.state(), State::Closed);
}

/// RFC 9293 3.10.7.4 second, TIME-WAIT: an exact RST: "enter the CLOSED state".
#[test]
fn time_wait__rst__closed_rfc9293_3_10_7_4() {
    let mut ep = time_wait(RFC);
    send!(ep, 2 * SEC, RST, seq = IRS + 2);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Closed);
    assert_eq!(ep.poll_timeout(), None);
}

/// RFC 5961 4.2 in TIME-WAIT: a SYN gets a challenge ACK, the state stays.
#[test]
fn time_wait__syn__challenge_ack_rfc5961_4_2() {
    let mut ep = time_wait(RFC);
    send!(ep, 2 * SEC, SYN, seq = IRS + 2);
    recv!(ep, ACK, seq = ISS + 2, ack = IRS + 2);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::TimeWait);
}

// ----- CLOSE and ABORT before and after the connection -----

/// RFC 9293 3.10.4, CLOSE in SYN-RECEIVED: "If no SENDs have been issued and
/// there is no pending data to send, then form a FIN segment and send it,
/// and enter FIN-WAIT-1 state"; the ACK of SYN,ACK and FIN ends in FIN-WAIT-2.
#[test]
fn syn_received__close__fin_at_once_rfc9293_3_10_4() {
    let mut ep = syn_received(RFC);
    transitions(&mut ep);
    assert_eq!(ep.close(10 * MS), Ok(()));
    recv!(ep, FIN | ACK, seq = ISS + 1, ack = IRS + 1);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::FinWait1);
    send!(ep, 100 * MS, ACK, seq = IRS + 1, ack = ISS + 2);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::FinWait2);
}

/// RFC 9293 3.10.4, CLOSE in SYN-RECEIVED with data queued: "otherwise,
/// queue for processing after entering ESTABLISHED state": the data and
/// the FIN wait for the ACK of our SYN,ACK.
#[test]
fn syn_received__send_then_close__fin_waits_rfc9293_3_10_4() {
    let mut ep = syn_received(RFC);
    assert_eq!(ep.send(10 * MS, b"hi"), Ok(()));
    assert_eq!(ep.close(10 * MS), Ok(()));
    recv_nothing!(ep);
    send!(ep, 100 * MS, ACK, seq = IRS + 1, ack = ISS + 1);
    recv!(
        ep,
        FIN | PSH | ACK,
        seq = ISS + 1,
        ack = IRS + 1,
        data = b"hi"
    );
}

/// RFC 9293 3.10.5, ABORT in CLOSED: "return error: connection does not
/// exist"; the linux profile returns 0 as close(2) does.
#[test]
fn closed__abort__does_not_exist_rfc9293_3_10_5() {
    let mut ep = endpoint(RFC, ISS);
    assert_eq!(ep.abort_call(0), Err(CallError::NotConnected));
    let mut ep = endpoint(LINUX, ISS);
    assert_eq!(ep.abort_call(0), Ok(()));
}

/// RFC 9293 3.10.3, RECEIVE in LISTEN: "Queue for processing after
/// entering ESTABLISHED state"; Linux: ENOTCONN on a listening socket.
#[test]
fn listen__recv__queued_rfc9293_3_10_3() {
    let mut ep = listen(RFC);
    assert_eq!(ep.read(0, 10), Ok(Read::WouldBlock));
    let mut ep = listen(LINUX);
    assert_eq!(ep.read(0, 10), Err(CallError::NotConnected));
}
