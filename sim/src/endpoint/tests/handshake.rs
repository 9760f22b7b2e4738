//! CLOSED, LISTEN, SYN-SENT and SYN-RECEIVED (RFC 9293 3.5, 3.10.1, 3.10.7.1-3).

use super::*;
use crate::endpoint::{reset_for_closed_port, CallError, SockError};

// ----- CLOSED (RFC 9293 3.10.7.1) -----

/// RFC 9293 3.10.7.1: "If the ACK bit is off, sequence number zero is used,
/// <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>".
#[test]
fn closed_port__syn__rst_ack_rfc9293_3_10_7_1() {
    let syn = seg!(SYN, seq = IRS).to_segment();
    let rst = reset_for_closed_port(&syn.hdr).expect("a SYN to a closed port is answered");
    assert_eq!(rst.flags, RST | ACK);
    assert_eq!(rst.seq, SeqNum(0));
    assert_eq!(rst.ack, SeqNum(IRS + 1));
    assert_eq!((rst.src_port, rst.dst_port), (LOCAL, REMOTE));
}

/// RFC 9293 3.10.7.1: "If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>".
#[test]
fn closed_port__ack__rst_from_seg_ack_rfc9293_3_10_7_1() {
    let data = seg!(ACK | PSH, seq = IRS, ack = 777, len = 10).to_segment();
    let rst = reset_for_closed_port(&data.hdr).expect("answered");
    assert_eq!(rst.flags, RST);
    assert_eq!(rst.seq, SeqNum(777));
}

/// RFC 9293 3.10.7.1: "An incoming segment containing a RST is discarded."
#[test]
fn closed_port__rst__discarded_rfc9293_3_10_7_1() {
    let rst = seg!(RST | ACK, seq = IRS, ack = 5).to_segment();
    assert_eq!(reset_for_closed_port(&rst.hdr), None);
}

/// RFC 9293 3.10.7.1: the owner answers for a CLOSED endpoint; the endpoint itself stays silent.
#[test]
fn closed__segment__ignored_rfc9293_3_10_7_1() {
    let mut ep = endpoint(RFC, ISS);
    send!(ep, 0, SYN, seq = IRS);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Closed);
}

/// RFC 9293 3.10.2: SEND in CLOSED: "error: connection does not exist".
#[test]
fn closed__send__not_connected_rfc9293_3_10_2() {
    let mut ep = endpoint(RFC, ISS);
    assert_eq!(ep.send(0, b"x"), Err(CallError::NotConnected));
    assert_eq!(ep.read(0, 10), Err(CallError::NotConnected));
    recv_nothing!(ep);
}

/// RFC 9293 3.10.1: active OPEN sends <SEQ=ISS><CTL=SYN> and enters SYN-SENT;
/// RFC 6298 5.1 starts the retransmission timer with the initial RTO of 1 s (2.1).
#[test]
fn closed__connect__syn_sent_rfc9293_3_10_1() {
    let ep = syn_sent(RFC);
    assert_eq!(ep.state(), State::SynSent);
    assert_eq!(ep.timer(TimerKind::Retransmit), Some(SEC));
}

// ----- LISTEN (RFC 9293 3.10.7.2) -----

/// RFC 9293 3.10.7.2 first: "An incoming RST segment could not be valid ... ignore".
#[test]
fn listen__rst__ignored_rfc9293_3_10_7_2() {
    let mut ep = listen(RFC);
    send!(ep, 0, RST, seq = IRS);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Listen);
}

/// RFC 9293 3.10.7.2 second: "Any acknowledgment is bad if it arrives on a
/// connection still in the LISTEN state. An acceptable reset segment should
/// be formed ... <SEQ=SEG.ACK><CTL=RST>".
#[test]
fn listen__ack__rst_rfc9293_3_10_7_2() {
    let mut ep = listen(RFC);
    send!(ep, 0, ACK, seq = IRS, ack = 4242);
    recv!(ep, RST, seq = 4242);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Listen);
}

/// RFC 9293 3.10.7.2 third: a SYN gets <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>,
/// SYN-RECEIVED, and the retransmission timer runs (RFC 6298 5.1).
#[test]
fn listen__syn__syn_ack_rfc9293_3_10_7_2() {
    let mut ep = syn_received(RFC);
    assert_eq!(transitions(&mut ep), [(State::Listen, State::SynReceived)]);
    assert_eq!(ep.timer(TimerKind::Retransmit), Some(SEC));
    assert_eq!(ep.remote_port(), REMOTE);
}

/// RFC 9293 3.10.7.2 fourth: "Any other control or text-bearing segment ...
/// drop the segment and return."
#[test]
fn listen__fin_without_syn__dropped_rfc9293_3_10_7_2() {
    let mut ep = listen(RFC);
    send!(ep, 0, FIN, seq = IRS, len = 3);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Listen);
}

/// RFC 9293 3.10.4: CLOSE in LISTEN: "delete TCB, enter CLOSED state".
#[test]
fn listen__close__closed_rfc9293_3_10_4() {
    let mut ep = listen(RFC);
    assert_eq!(ep.close(0), Ok(()));
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Closed);
}

/// RFC 9293 3.10.1: OPEN on an existing connection: "error: connection already exists".
#[test]
fn listen__listen_again__already_exists_rfc9293_3_10_1() {
    let mut ep = listen(RFC);
    assert_eq!(ep.listen(LOCAL), Err(CallError::AlreadyOpen));
}

// ----- SYN-SENT (RFC 9293 3.10.7.3) -----

/// RFC 9293 3.10.7.3 fourth: a SYN,ACK acknowledging our SYN: ESTABLISHED and
/// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
#[test]
fn syn_sent__syn_ack__established_rfc9293_3_10_7_3() {
    let mut ep = syn_sent(RFC);
    send!(ep, 20 * MS, SYN | ACK, seq = IRS, ack = ISS + 1, mss = 1460);
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 1, win = 65_535);
    recv_nothing!(ep);
    assert_eq!(transitions(&mut ep), [(State::SynSent, State::Established)]);
    assert_eq!(ep.timer(TimerKind::Retransmit), None, "RFC 6298 5.2");
    // RFC 6298 2.2: the first sample: SRTT = R, RTTVAR = R/2.
    assert_eq!(ep.rtt().srtt_us(), Some(20 * MS));
    assert_eq!(ep.rtt().rttvar_us(), 10 * MS);
}

/// RFC 9293 3.10.7.3 second: "If the ACK was acceptable, then signal to the
/// user 'error: connection reset', drop the segment, enter CLOSED state"
/// (a refused connect, ECONNREFUSED).
#[test]
fn syn_sent__rst_with_acceptable_ack__refused_rfc9293_3_10_7_3() {
    let mut ep = syn_sent(RFC);
    send!(ep, 20 * MS, RST | ACK, seq = 0, ack = ISS + 1);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Closed);
    assert_eq!(ep.error(), Some(SockError::Refused));
    assert_eq!(
        ep.poll_timeout(),
        None,
        "no timer survives a refused connect"
    );
    assert_eq!(
        ep.send(30 * MS, b"x"),
        Err(CallError::Failed(SockError::Refused))
    );
}

/// RFC 9293 3.10.7.3 second: "Otherwise (no ACK), drop the segment and return."
#[test]
fn syn_sent__rst_without_ack__dropped_rfc9293_3_10_7_3() {
    let mut ep = syn_sent(RFC);
    send!(ep, 20 * MS, RST, seq = IRS);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::SynSent);
    assert_eq!(ep.error(), None);
}

/// RFC 9293 3.10.7.3 first: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a
/// reset (unless the RST bit is set ...) <SEQ=SEG.ACK><CTL=RST>".
#[test]
fn syn_sent__unacceptable_ack__rst_rfc9293_3_10_7_3() {
    let mut ep = syn_sent(RFC);
    send!(ep, 20 * MS, SYN | ACK, seq = IRS, ack = ISS);
    recv!(ep, RST, seq = ISS);
    send!(ep, 20 * MS, SYN | ACK, seq = IRS, ack = ISS + 2);
    recv!(ep, RST, seq = ISS + 2);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::SynSent);
}

/// RFC 9293 3.10.7.3 first: an unacceptable ACK with RST: "drop the segment and return".
#[test]
fn syn_sent__rst_with_unacceptable_ack__dropped_rfc9293_3_10_7_3() {
    let mut ep = syn_sent(RFC);
    send!(ep, 20 * MS, RST | ACK, seq = IRS, ack = ISS + 7);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::SynSent);
    assert_eq!(ep.error(), None);
}

/// RFC 9293 3.10.7.3 fourth, simultaneous open: "Otherwise, enter
/// SYN-RECEIVED, form a SYN,ACK segment <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>";
/// the peer's SYN,ACK then completes it (RFC 9293 Figure 8).
#[test]
fn syn_sent__syn__syn_received_simultaneous_open_rfc9293_3_10_7_3() {
    let mut ep = syn_sent(RFC);
    send!(ep, 10 * MS, SYN, seq = IRS, mss = 1460);
    recv!(ep, SYN | ACK, seq = ISS, ack = IRS + 1);
    recv_nothing!(ep);
    assert_eq!(transitions(&mut ep), [(State::SynSent, State::SynReceived)]);
    send!(ep, 20 * MS, SYN | ACK, seq = IRS, ack = ISS + 1);
    assert_eq!(ep.state(), State::Established);
    assert_eq!(ep.timer(TimerKind::Retransmit), None, "RFC 6298 5.2");
    // Data flows both ways afterwards.
    send!(
        ep,
        30 * MS,
        ACK | PSH,
        seq = IRS + 1,
        ack = ISS + 1,
        data = b"hi"
    );
    while ep.poll_transmit().is_some() {}
    assert_eq!(
        ep.read(30 * MS, 10),
        Ok(crate::endpoint::Read::Data(b"hi".to_vec()))
    );
}

/// RFC 9293 3.10.7.3 fourth: neither SYN nor RST: "drop the segment and return".
#[test]
fn syn_sent__ack_without_syn__dropped_rfc9293_3_10_7_3() {
    let mut ep = syn_sent(RFC);
    send!(ep, 20 * MS, ACK, seq = IRS, ack = ISS + 1);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::SynSent);
}

/// RFC 9293 3.10.4: CLOSE in SYN-SENT: "Delete the TCB".
#[test]
fn syn_sent__close__closed_rfc9293_3_10_4() {
    let mut ep = syn_sent(RFC);
    assert_eq!(ep.close(10 * MS), Ok(()));
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Closed);
    assert_eq!(ep.poll_timeout(), None);
}

/// RFC 9293 3.10.2: SEND in SYN-SENT queues the data until ESTABLISHED.
#[test]
fn syn_sent__send__queued_until_established_rfc9293_3_10_2() {
    let mut ep = syn_sent(RFC);
    assert_eq!(ep.send(MS, b"early"), Ok(()));
    recv_nothing!(ep);
    send!(ep, 20 * MS, SYN | ACK, seq = IRS, ack = ISS + 1, mss = 1460);
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 1);
    recv!(ep, PSH | ACK, seq = ISS + 1, ack = IRS + 1, data = b"early");
    recv_nothing!(ep);
}

// ----- SYN-RECEIVED (RFC 9293 3.10.7.4) -----

/// RFC 9293 3.10.7.4 fifth, SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT,
/// then enter ESTABLISHED state".
#[test]
fn syn_received__ack__established_rfc9293_3_10_7_4() {
    let mut ep = syn_received(RFC);
    transitions(&mut ep);
    send!(ep, 100 * MS, ACK, seq = IRS + 1, ack = ISS + 1);
    recv_nothing!(ep);
    assert_eq!(
        transitions(&mut ep),
        [(State::SynReceived, State::Established)]
    );
    assert_eq!(ep.timer(TimerKind::Retransmit), None);
    assert_eq!(ep.rtt().srtt_us(), Some(100 * MS));
}

/// RFC 9293 3.10.7.4 fifth, SYN-RECEIVED: "If the segment acknowledgment is
/// not acceptable, form a reset segment <SEQ=SEG.ACK><CTL=RST>".
#[test]
fn syn_received__unacceptable_ack__rst_rfc9293_3_10_7_4() {
    let mut ep = syn_received(RFC);
    send!(ep, 100 * MS, ACK, seq = IRS + 1, ack = ISS + 5);
    recv!(ep, RST, seq = ISS + 5);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::SynReceived);
}

/// RFC 9293 3.10.7.4 second, SYN-RECEIVED: "If this connection was initiated
/// with a passive OPEN (i.e., came from the LISTEN state), then return this
/// connection to LISTEN state and return."
#[test]
fn syn_received__rst_passive__back_to_listen_rfc9293_3_10_7_4() {
    let mut ep = syn_received(RFC);
    transitions(&mut ep);
    send!(ep, 50 * MS, RST, seq = IRS + 1);
    recv_nothing!(ep);
    assert_eq!(transitions(&mut ep), [(State::SynReceived, State::Listen)]);
    assert_eq!(
        ep.poll_timeout(),
        None,
        "the SYN,ACK is no longer retransmitted"
    );
    assert_eq!(ep.error(), None, "the listener's app is not told");
    // The listener takes the next SYN.
    send!(ep, 60 * MS, SYN, seq = 5_000, mss = 1460);
    recv!(ep, SYN | ACK, seq = ISS, ack = 5_001);
}

/// RFC 9293 3.10.7.4 second, SYN-RECEIVED from an active OPEN: "the
/// connection was refused; signal the user 'connection refused'".
#[test]
fn syn_received__rst_active__refused_rfc9293_3_10_7_4() {
    let mut ep = syn_sent(RFC);
    send!(ep, 10 * MS, SYN, seq = IRS, mss = 1460);
    recv!(ep, SYN | ACK, seq = ISS, ack = IRS + 1);
    send!(ep, 20 * MS, RST, seq = IRS + 1);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Closed);
    assert_eq!(ep.error(), Some(SockError::Refused));
}

/// RFC 9293 3.10.7.4 fourth, SYN-RECEIVED: an in-window SYN on a passive
/// open returns the connection to LISTEN.
#[test]
fn syn_received__syn_in_window_passive__back_to_listen_rfc9293_3_10_7_4() {
    let mut ep = syn_received(RFC);
    transitions(&mut ep);
    send!(ep, 50 * MS, SYN, seq = IRS + 100);
    assert_eq!(transitions(&mut ep), [(State::SynReceived, State::Listen)]);
}

/// RFC 9293 3.10.7.4 fourth, SYN-RECEIVED from an active OPEN (simultaneous
/// open): a new SYN is handled "per the directions for synchronized states":
/// RFC 5961 4.2, "TCP endpoints MUST send a "challenge ACK"", nothing else.
#[test]
fn syn_received__syn_active__challenge_ack_rfc5961_4_2() {
    let mut ep = syn_sent(RFC);
    send!(ep, 10 * MS, SYN, seq = IRS, mss = 1460);
    recv!(ep, SYN | ACK, seq = ISS, ack = IRS + 1);
    transitions(&mut ep);
    send!(ep, 20 * MS, SYN, seq = IRS + 100);
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 1);
    recv_nothing!(ep);
    assert_eq!(transitions(&mut ep), []);
    assert_eq!(ep.state(), State::SynReceived);
}

/// RFC 9293 3.10.7.4 first: the retransmitted SYN (SEG.SEQ = IRS < RCV.NXT)
/// is not acceptable: "an acknowledgment should be sent in reply".
#[test]
fn syn_received__retransmitted_syn__ack_rfc9293_3_10_7_4() {
    let mut ep = syn_received(RFC);
    send!(ep, 50 * MS, SYN, seq = IRS, mss = 1460);
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 1);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::SynReceived);
}

/// Linux profile (`tcp_check_req`): a retransmitted SYN gets the SYN,ACK again.
#[test]
fn syn_received__retransmitted_syn__syn_ack_again_linux() {
    let mut ep = syn_received(LINUX);
    send!(ep, 50 * MS, SYN, seq = IRS, mss = 1460);
    recv!(ep, SYN | ACK, seq = ISS, ack = IRS + 1);
    recv_nothing!(ep);
}

/// RFC 6298 5.4: the SYN,ACK is retransmitted when the timer expires.
#[test]
fn syn_received__timeout__syn_ack_retransmitted_rfc6298_5_4() {
    let mut ep = syn_received(RFC);
    expire(&mut ep, TimerKind::Retransmit, SEC);
    recv!(ep, SYN | ACK, seq = ISS, ack = IRS + 1);
    recv_nothing!(ep);
    assert_eq!(
        ep.timer(TimerKind::Retransmit),
        Some(3 * SEC),
        "RFC 6298 5.5"
    );
}

/// RFC 9293 3.10.4, CLOSE in SYN-RECEIVED: FIN-WAIT-1; the FIN follows once
/// our SYN is acknowledged ("queue for processing after entering ESTABLISHED").
#[test]
fn syn_received__close__fin_wait_1_rfc9293_3_10_4() {
    let mut ep = syn_received(RFC);
    assert_eq!(ep.close(10 * MS), Ok(()));
    assert_eq!(ep.state(), State::FinWait1);
    send!(ep, 100 * MS, ACK, seq = IRS + 1, ack = ISS + 1);
    recv!(ep, FIN | ACK, seq = ISS + 1, ack = IRS + 1);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::FinWait1);
}
