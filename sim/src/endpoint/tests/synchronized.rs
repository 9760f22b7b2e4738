//! ESTABLISHED: data, acceptability (RFC 9293 3.10.7.4), RST and SYN
//! (RFC 5961), the windows (RFC 9293 3.8.6), modulo-2^32 sequence numbers.

use super::*;
use crate::endpoint::{CallError, Read, SockError};

/// RFC 9293 3.10.7.4 seventh: in-order text goes to the user; "Send an
/// acknowledgment of the form <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"
/// (the rfc profile ACKs every segment), the window shrunk by the unread data.
#[test]
fn established__data__delivered_and_acked_rfc9293_3_10_7_4() {
    let mut ep = established(RFC);
    send!(
        ep,
        SEC,
        ACK | PSH,
        seq = IRS + 1,
        ack = ISS + 1,
        data = b"hello"
    );
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 6, win = 65_530);
    recv_nothing!(ep);
    assert_eq!(ep.read(SEC, 100), Ok(Read::Data(b"hello".to_vec())));
    assert_eq!(ep.read(SEC, 100), Ok(Read::WouldBlock));
}

/// RFC 9293 3.10.7.4 first: a segment wholly before RCV.NXT is not
/// acceptable: "an acknowledgment should be sent in reply", and it is not
/// delivered again.
#[test]
fn established__old_duplicate__acked_not_delivered_rfc9293_3_10_7_4() {
    let mut ep = established(RFC);
    send!(
        ep,
        SEC,
        ACK | PSH,
        seq = IRS + 1,
        ack = ISS + 1,
        data = b"abc"
    );
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 4);
    send!(
        ep,
        SEC,
        ACK | PSH,
        seq = IRS + 1,
        ack = ISS + 1,
        data = b"abc"
    );
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 4);
    recv_nothing!(ep);
    assert_eq!(ep.read(SEC, 100), Ok(Read::Data(b"abc".to_vec())));
    assert_eq!(ep.read(SEC, 100), Ok(Read::WouldBlock));
}

/// RFC 9293 3.10.7.4 seventh and RFC 5681 4.2: an out-of-order segment is
/// kept and answered at once with a duplicate ACK; the segment that fills the
/// hole releases both.
#[test]
fn established__out_of_order__dup_ack_then_reassembled_rfc5681_4_2() {
    let mut ep = established(RFC);
    send!(ep, SEC, ACK, seq = IRS + 4, ack = ISS + 1, data = b"def");
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 1);
    assert_eq!(ep.read(SEC, 100), Ok(Read::WouldBlock));
    send!(ep, SEC, ACK, seq = IRS + 1, ack = ISS + 1, data = b"abc");
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 7);
    recv_nothing!(ep);
    assert_eq!(ep.read(SEC, 100), Ok(Read::Data(b"abcdef".to_vec())));
}

/// RFC 9293 3.10.7.4 first: a segment overlapping RCV.NXT is acceptable;
/// only the new part is taken.
#[test]
fn established__overlapping_segment__new_part_taken_rfc9293_3_10_7_4() {
    let mut ep = established(RFC);
    send!(ep, SEC, ACK, seq = IRS + 1, ack = ISS + 1, data = b"abc");
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 4);
    send!(ep, SEC, ACK, seq = IRS + 2, ack = ISS + 1, data = b"bcde");
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 6);
    assert_eq!(ep.read(SEC, 100), Ok(Read::Data(b"abcde".to_vec())));
}

/// RFC 5961 3.2: "If the RST bit is set and the sequence number exactly
/// matches the next expected sequence number (RCV.NXT), then TCP MUST reset
/// the connection"; RFC 9293 3.10.7.4: the user is told "connection reset".
#[test]
fn established__rst_exact__reset_rfc5961_3_2() {
    let mut ep = established(RFC);
    send!(ep, SEC, RST, seq = IRS + 1);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Closed);
    assert_eq!(ep.error(), Some(SockError::Reset));
    assert_eq!(ep.read(SEC, 10), Err(CallError::Failed(SockError::Reset)));
    // RFC 9293 3.10.7.4: the reset is signalled once and the TCB deleted;
    // 3.10.2, 3.10.3, 3.10.4 in CLOSED: "error: connection does not exist".
    assert_eq!(ep.send(SEC, b"x"), Err(CallError::NotConnected));
    assert_eq!(ep.read(SEC, 10), Err(CallError::NotConnected));
    assert_eq!(ep.close(SEC), Err(CallError::NotConnected));
    assert_eq!(ep.poll_timeout(), None);
}

/// Whichever call comes first after the reset gets it (RFC 9293 3.10.7.4),
/// `close` included; the next gets "connection does not exist".
#[test]
fn established__rst_then_close__reset_once_rfc9293_3_10_7_4() {
    let mut ep = established(RFC);
    send!(ep, SEC, RST, seq = IRS + 1);
    assert_eq!(ep.close(SEC), Err(CallError::Failed(SockError::Reset)));
    assert_eq!(ep.close(SEC), Err(CallError::Closing), "a second close");
}

/// Linux: ECONNRESET once (`sock_error()` clears `sk_err`), then `recv`
/// reads end of stream and `send` fails with EPIPE (`tcp_done()` set
/// `sk_shutdown`); `close` succeeds, and any call after it is EBADF.
#[test]
fn established__rst__econnreset_once_then_eof_and_epipe_linux() {
    let mut ep = established(LINUX);
    send!(ep, SEC, RST, seq = IRS + 1);
    assert_eq!(ep.state(), State::Closed);
    assert_eq!(ep.read(SEC, 10), Err(CallError::Failed(SockError::Reset)));
    assert_eq!(ep.read(SEC, 10), Ok(Read::Eof));
    assert_eq!(ep.send(SEC, b"x"), Err(CallError::Closing), "EPIPE");
    assert_eq!(ep.read(SEC, 10), Ok(Read::Eof));
    assert_eq!(ep.close(SEC), Ok(()));
    assert_eq!(ep.read(SEC, 10), Err(CallError::BadDescriptor));
    assert_eq!(ep.send(SEC, b"x"), Err(CallError::BadDescriptor));
    assert_eq!(ep.close(SEC), Err(CallError::BadDescriptor));
}

/// Linux: a `send` first after the reset gets ECONNRESET, the next EPIPE.
#[test]
fn established__rst__send_econnreset_then_epipe_linux() {
    let mut ep = established(LINUX);
    send!(ep, SEC, RST, seq = IRS + 1);
    assert_eq!(ep.send(SEC, b"x"), Err(CallError::Failed(SockError::Reset)));
    assert_eq!(ep.send(SEC, b"x"), Err(CallError::Closing), "EPIPE");
}

/// RFC 5961 3.2: "If the RST bit is set and the sequence number does not
/// exactly match the next expected sequence value, yet is within the current
/// receive window, TCP MUST send an acknowledgment (challenge ACK)".
#[test]
fn established__rst_in_window_not_exact__challenge_ack_rfc5961_3_2() {
    let mut ep = established(RFC);
    send!(ep, SEC, RST, seq = IRS + 2);
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 1);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Established);
    assert_eq!(ep.error(), None);
}

/// RFC 5961 3.2: "If the RST bit is set and the sequence number is outside
/// the current receive window, silently drop the segment."
#[test]
fn established__rst_out_of_window__dropped_rfc5961_3_2() {
    let mut ep = established(RFC);
    send!(ep, SEC, RST, seq = IRS + 1 + 70_000);
    send!(ep, SEC, RST, seq = IRS);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Established);
}

/// RFC 5961 4.2: a SYN in a synchronized state, whatever its sequence
/// number: "TCP endpoints MUST send a 'challenge ACK'", and nothing else.
#[test]
fn established__syn__challenge_ack_rfc5961_4_2() {
    let mut ep = established(RFC);
    send!(ep, SEC, SYN, seq = IRS + 10);
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 1);
    send!(ep, SEC, SYN, seq = 3_000_000_000);
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 1);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Established);
}

/// RFC 9293 3.10.7.4 fifth: "If the ACK acks something not yet sent
/// (SEG.ACK > SND.NXT), then send an ACK, drop the segment, and return." The data it
/// carries is not taken.
#[test]
fn established__ack_of_unsent_data__ack_and_drop_rfc9293_3_10_7_4() {
    let mut ep = established(RFC);
    send!(ep, SEC, ACK, seq = IRS + 1, ack = ISS + 50, data = b"zz");
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 1);
    recv_nothing!(ep);
    assert_eq!(ep.read(SEC, 10), Ok(Read::WouldBlock));
}

/// RFC 5961 5.2: an ACK older than SND.UNA - MAX.SND.WND is answered with
/// an ACK and the segment dropped.
#[test]
fn established__ack_too_old__challenge_ack_rfc5961_5_2() {
    let mut ep = established(RFC);
    send!(
        ep,
        SEC,
        ACK,
        seq = IRS + 1,
        ack = (ISS + 1).wrapping_sub(70_000),
        data = b"zz"
    );
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 1);
    recv_nothing!(ep);
    assert_eq!(ep.read(SEC, 10), Ok(Read::WouldBlock));
}

/// RFC 9293 3.10.7.4 fifth: "If the ACK bit is off, drop the segment and return".
#[test]
fn established__segment_without_ack__dropped_rfc9293_3_10_7_4() {
    let mut ep = established(RFC);
    send!(ep, SEC, PSH, seq = IRS + 1, data = b"zz");
    recv_nothing!(ep);
    assert_eq!(ep.read(SEC, 10), Ok(Read::WouldBlock));
}

/// RFC 9293 3.10.2 and 3.7.4 (Nagle): the first small segment goes at once,
/// the second waits until the first is acknowledged, with the retransmission
/// timer running from the first (RFC 6298 5.1).
#[test]
fn established__send__segment_then_nagle_rfc9293_3_7_4() {
    let mut ep = established(RFC);
    assert_eq!(ep.send(SEC, b"hello"), Ok(()));
    recv!(ep, PSH | ACK, seq = ISS + 1, ack = IRS + 1, data = b"hello");
    assert_eq!(ep.timer(TimerKind::Retransmit), Some(2 * SEC));
    assert_eq!(ep.send(SEC + MS, b"world"), Ok(()));
    recv_nothing!(ep);
    send!(ep, SEC + 100 * MS, ACK, seq = IRS + 1, ack = ISS + 6);
    recv!(ep, PSH | ACK, seq = ISS + 6, ack = IRS + 1, data = b"world");
    recv_nothing!(ep);
    assert_eq!(ep.unacked_bytes(), 5);
}

/// Nagle with full segments in flight: RFC 9293 3.7.4 holds the short tail
/// of a write until they are acknowledged; Linux's Minshall variant
/// (`tcp_minshall_check()`, profile.rs `nagle_minshall`) sends it at once,
/// since no small segment is in flight, and then holds the next small one.
#[test]
fn established__send_full_segments_and_a_tail__minshall_nagle() {
    for (p, tail_now) in [(RFC, false), (LINUX, true)] {
        let mut ep = established(p);
        let mss = ep.smss() as usize;
        assert_eq!(ep.send(SEC, &vec![7u8; 2 * mss + 100]), Ok(()));
        let mut lens = Vec::new();
        while let Some(t) = ep.poll_transmit() {
            lens.push(t.seg.hdr.payload_len as usize);
        }
        let want = if tail_now {
            vec![mss, mss, 100]
        } else {
            vec![mss, mss]
        };
        assert_eq!(lens, want, "{p:?}");
        if tail_now {
            // A small segment is in flight now: the next one waits.
            assert_eq!(ep.send(SEC + MS, b"more"), Ok(()));
            recv_nothing!(ep);
        }
    }
}

/// RFC 9293 3.8.6 / 3.10.2: the sender never sends past SND.UNA + SND.WND;
/// a window update releases the rest.
#[test]
fn established__send_beyond_peer_window__held_rfc9293_3_8_6() {
    let mut ep = listen(RFC);
    send!(ep, 0, SYN, seq = IRS, win = 1000, mss = 1460);
    recv!(ep, SYN | ACK, seq = ISS, ack = IRS + 1);
    send!(ep, 100 * MS, ACK, seq = IRS + 1, ack = ISS + 1, win = 1000);
    assert_eq!(ep.send(SEC, &[7u8; 3000]), Ok(()));
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 1, len = 1000);
    recv_nothing!(ep);
    send!(
        ep,
        SEC + 100 * MS,
        ACK,
        seq = IRS + 1,
        ack = ISS + 1001,
        win = 1000
    );
    recv!(ep, ACK, seq = ISS + 1001, ack = IRS + 1, len = 1000);
    recv_nothing!(ep);
    send!(
        ep,
        SEC + 200 * MS,
        ACK,
        seq = IRS + 1,
        ack = ISS + 2001,
        win = 5000
    );
    recv!(ep, PSH | ACK, seq = ISS + 2001, ack = IRS + 1, len = 1000);
    recv_nothing!(ep);
}

/// Fills our 65535-byte receive window without the app reading.
fn fill_receive_window(ep: &mut Endpoint) -> u32 {
    let mut off = 0u32;
    while off < 65_535 {
        let n = (65_535 - off).min(1460);
        send!(*ep, SEC, ACK, seq = IRS + 1 + off, ack = ISS + 1, len = n);
        off += n;
        recv!(
            *ep,
            ACK,
            seq = ISS + 1,
            ack = IRS + 1 + off,
            win = (65_535 - off) as u16
        );
    }
    recv_nothing!(*ep);
    off
}

/// RFC 9293 3.10.7.4 first: with RCV.WND = 0 no data is acceptable, "but
/// special allowance should be made to accept valid ACKs"; the reply is an
/// ACK advertising the zero window. Reading reopens it (3.8.6.2.2).
#[test]
fn established__zero_window__data_refused_ack_with_window_0_rfc9293_3_10_7_4() {
    let mut ep = established(RFC);
    let full = fill_receive_window(&mut ep);
    assert_eq!(full, 65_535);
    send!(
        ep,
        2 * SEC,
        ACK,
        seq = IRS + 1 + full,
        ack = ISS + 1,
        data = b"!"
    );
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 1 + full, win = 0);
    recv_nothing!(ep);
    assert_eq!(ep.readable(), 65_535);
    // The app reads everything: a window update goes out.
    assert_eq!(ep.read_discard(3 * SEC, usize::MAX), 65_535);
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 1 + full, win = 65_535);
    recv_nothing!(ep);
}

/// RFC 9293 3.10.7.4 first, RCV.WND = 0: "special allowance should be made
/// to accept valid ACKs": a segment with text at RCV.NXT is not acceptable,
/// but the ACK in it is taken (our data is acknowledged, the timer stops);
/// the text is not, and the reply still says window 0.
#[test]
fn established__zero_window__ack_in_refused_segment_taken_rfc9293_3_10_7_4() {
    let mut ep = established(RFC);
    let full = fill_receive_window(&mut ep);
    assert_eq!(ep.send(2 * SEC, b"hello"), Ok(()));
    recv!(
        ep,
        PSH | ACK,
        seq = ISS + 1,
        ack = IRS + 1 + full,
        win = 0,
        data = b"hello"
    );
    send!(
        ep,
        2 * SEC + 100 * MS,
        ACK,
        seq = IRS + 1 + full,
        ack = ISS + 6,
        data = b"!"
    );
    recv!(ep, ACK, seq = ISS + 6, ack = IRS + 1 + full, win = 0);
    recv_nothing!(ep);
    assert_eq!(ep.unacked_bytes(), 0, "the ACK was taken");
    assert_eq!(ep.timer(TimerKind::Retransmit), None, "RFC 6298 5.2");
    assert_eq!(ep.readable(), 65_535, "the text was not");
}

/// RFC 9293 3.10.7.4 first, RCV.WND = 0: special allowance for "RSTs" too:
/// an exact RST still resets (RFC 5961 3.2).
#[test]
fn established__zero_window__rst_exact_resets_rfc5961_3_2() {
    let mut ep = established(RFC);
    let full = fill_receive_window(&mut ep);
    send!(ep, 2 * SEC, RST, seq = IRS + 1 + full);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Closed);
    assert_eq!(ep.error(), Some(SockError::Reset));
}

/// Establishes, then the peer closes its window to 0.
fn peer_window_zero(p: ProfileName) -> Endpoint {
    let mut ep = established(p);
    send!(ep, 200 * MS, ACK, seq = IRS + 1, ack = ISS + 1, win = 0);
    recv_nothing!(ep);
    ep
}

/// RFC 9293 3.8.6.1: with a zero send window the sender "must regularly
/// retransmit to the receiving TCP" a probe of one byte, backing off
/// exponentially (1 s, 2 s, 4 s from an RTO of 1 s); a window opening stops
/// the probes and the data flows.
#[test]
fn established__peer_zero_window__persist_probes_with_backoff_rfc9293_3_8_6_1() {
    let mut ep = peer_window_zero(RFC);
    assert_eq!(ep.send(SEC, b"abc"), Ok(()));
    recv_nothing!(ep);
    let mut t = 2 * SEC;
    let mut gap = SEC;
    for next_gap in [2, 4, 8] {
        assert_eq!(ep.timer(TimerKind::Retransmit), None);
        assert_eq!(
            expire(&mut ep, TimerKind::Persist, t),
            (gap, Some(gap)),
            "the probe interval it ran"
        );
        gap = next_gap * SEC;
        recv!(ep, ACK, seq = ISS + 1, ack = IRS + 1, data = b"a");
        recv_nothing!(ep);
        // The receiver still has no room: it ACKs without taking the byte.
        send!(ep, t + 50 * MS, ACK, seq = IRS + 1, ack = ISS + 1, win = 0);
        recv_nothing!(ep);
        t += next_gap * SEC;
        assert_eq!(ep.timer(TimerKind::Persist), Some(t), "backoff doubles");
    }
    // The window opens: probing stops, the data goes out.
    send!(ep, t - SEC, ACK, seq = IRS + 1, ack = ISS + 1, win = 1000);
    recv!(ep, PSH | ACK, seq = ISS + 1, ack = IRS + 1, data = b"abc");
    recv_nothing!(ep);
    assert_eq!(ep.timer(TimerKind::Persist), None);
}

/// Linux profile (`tcp_xmit_probe_skb`): the zero-window probe is an empty
/// ACK with SEQ = SND.UNA - 1.
#[test]
fn established__peer_zero_window__linux_probe_is_old_seq_ack() {
    let mut ep = peer_window_zero(LINUX);
    assert_eq!(ep.send(SEC, b"abc"), Ok(()));
    recv_nothing!(ep);
    let at = ep.timer(TimerKind::Persist).expect("persist timer armed");
    expire(&mut ep, TimerKind::Persist, at);
    recv!(ep, ACK, seq = ISS, ack = IRS + 1);
    recv_nothing!(ep);
}

/// RFC 9293 3.4 and 3.10.7.4: sequence numbers are modulo 2^32. With ISS
/// 10 below 2^32, data crossing the wrap is sent, acknowledged with a
/// wrapped ACK, and the retransmission timer stops (RFC 6298 5.2).
#[test]
fn established__send_across_the_wrap__acked_rfc9293_3_4() {
    let iss = u32::MAX - 10;
    let mut ep = endpoint(RFC, iss);
    assert_eq!(ep.connect(0, LOCAL, REMOTE), Ok(()));
    recv!(ep, SYN, seq = iss);
    send!(
        ep,
        20 * MS,
        SYN | ACK,
        seq = IRS,
        ack = iss.wrapping_add(1),
        mss = 1460
    );
    recv!(ep, ACK, seq = iss.wrapping_add(1), ack = IRS + 1);
    assert_eq!(ep.send(SEC, &[1u8; 100]), Ok(()));
    recv!(ep, PSH | ACK, seq = u32::MAX - 9, ack = IRS + 1, len = 100);
    recv_nothing!(ep);
    // A partial ACK past the wrap point.
    send!(ep, SEC + 20 * MS, ACK, seq = IRS + 1, ack = 40);
    assert_eq!(ep.unacked_bytes(), 50);
    assert_eq!(
        ep.timer(TimerKind::Retransmit),
        Some(SEC + 20 * MS + ep.rto_us())
    );
    send!(ep, SEC + 30 * MS, ACK, seq = IRS + 1, ack = 90);
    recv_nothing!(ep);
    assert_eq!(ep.unacked_bytes(), 0);
    assert_eq!(ep.timer(TimerKind::Retransmit), None);
    // Our FIN also sits past the wrap.
    assert_eq!(ep.close(2 * SEC), Ok(()));
    recv!(ep, FIN | ACK, seq = 90, ack = IRS + 1);
    send!(ep, 2 * SEC + 20 * MS, ACK, seq = IRS + 1, ack = 91);
    assert_eq!(ep.state(), State::FinWait2);
}

/// RFC 9293 3.4: receiving across the wrap: IRS 5 below 2^32, 20 bytes.
#[test]
fn established__receive_across_the_wrap__acked_rfc9293_3_4() {
    let irs = u32::MAX - 5;
    let mut ep = listen(RFC);
    send!(ep, 0, SYN, seq = irs, mss = 1460);
    recv!(ep, SYN | ACK, seq = ISS, ack = u32::MAX - 4);
    send!(ep, 10 * MS, ACK, seq = u32::MAX - 4, ack = ISS + 1);
    assert_eq!(ep.state(), State::Established);
    send!(
        ep,
        20 * MS,
        ACK,
        seq = u32::MAX - 4,
        ack = ISS + 1,
        data = b"0123456789"
    );
    recv!(ep, ACK, seq = ISS + 1, ack = 5, win = 65_525);
    // Out of order past the wrap, then the hole.
    send!(ep, 30 * MS, ACK, seq = 10, ack = ISS + 1, data = b"fghij");
    recv!(ep, ACK, seq = ISS + 1, ack = 5);
    send!(ep, 40 * MS, FIN | ACK, seq = 15, ack = ISS + 1);
    recv!(ep, ACK, seq = ISS + 1, ack = 5);
    send!(ep, 50 * MS, ACK, seq = 5, ack = ISS + 1, data = b"abcde");
    recv!(ep, ACK, seq = ISS + 1, ack = 16);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::CloseWait);
    let mut got = Vec::new();
    while let Ok(Read::Data(d)) = ep.read(60 * MS, 7) {
        got.extend(d);
    }
    assert_eq!(got, b"0123456789abcdefghij");
    assert_eq!(ep.read(60 * MS, 7), Ok(Read::Eof));
}

/// Linux profile: the first data is ACKed at once (quick-ack mode,
/// `tcp_in_quickack_mode()`); once the endpoint answers with data within
/// 40 ms (pingpong mode, `tcp_event_data_sent()`), delayed ACK (40 ms,
/// `TCP_DELACK_MIN`), but at least every second full segment is ACKed at once
/// (RFC 9293 3.8.6.3, RFC 5681 4.2).
#[test]
fn established__data__delayed_ack_linux_rfc9293_3_8_6_3() {
    let mut ep = established(LINUX);
    send!(ep, SEC / 2, ACK, seq = IRS + 1, ack = ISS + 1, len = 1);
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 2);
    assert_eq!(ep.send_pattern(SEC / 2, 1), Ok(()));
    recv!(ep, ACK | PSH, seq = ISS + 1, ack = IRS + 2, len = 1);
    recv_nothing!(ep);
    send!(ep, SEC, ACK, seq = IRS + 2, ack = ISS + 2, len = 99);
    recv_nothing!(ep);
    assert_eq!(
        expire(&mut ep, TimerKind::DelayedAck, SEC + 40 * MS),
        (40 * MS, None),
        "the delayed ACK ran its 40 ms, not an RTO"
    );
    recv!(ep, ACK, seq = ISS + 2, ack = IRS + 101);
    recv_nothing!(ep);
    // The timer that fired ended pingpong mode: quick ACKs again.
    send!(ep, 2 * SEC, ACK, seq = IRS + 101, ack = ISS + 2, len = 1460);
    recv!(ep, ACK, seq = ISS + 2, ack = IRS + 1561);
    assert_eq!(ep.send_pattern(2 * SEC, 1), Ok(()));
    recv!(ep, ACK | PSH, seq = ISS + 2, ack = IRS + 1561, len = 1);
    send!(
        ep,
        3 * SEC,
        ACK,
        seq = IRS + 1561,
        ack = ISS + 3,
        len = 1460
    );
    recv_nothing!(ep);
    send!(
        ep,
        3 * SEC,
        ACK,
        seq = IRS + 3021,
        ack = ISS + 3,
        len = 1460
    );
    recv!(ep, ACK, seq = ISS + 3, ack = IRS + 4481);
    recv_nothing!(ep);
    assert_eq!(ep.timer(TimerKind::DelayedAck), None);
}

/// Linux profile: initial window of 10 segments (RFC 6928, `TCP_INIT_CWND`).
#[test]
fn established__bulk_send__initial_window_10_mss_linux() {
    let mut ep = established(LINUX);
    assert_eq!(ep.send_pattern(SEC, 100_000), Ok(()));
    for i in 0..10u32 {
        recv!(ep, ACK, seq = ISS + 1 + i * 1460, ack = IRS + 1, len = 1460);
    }
    recv_nothing!(ep);
}

/// RFC 5681 3.1: the rfc profile's initial window is 3 segments for an MSS of 1460.
#[test]
fn established__bulk_send__initial_window_3_mss_rfc5681_3_1() {
    let mut ep = established(RFC);
    assert_eq!(ep.send_pattern(SEC, 100_000), Ok(()));
    for i in 0..3u32 {
        recv!(ep, ACK, seq = ISS + 1 + i * 1460, ack = IRS + 1, len = 1460);
    }
    recv_nothing!(ep);
}

/// The options each profile offers in its SYN (RFC 9293 3.7.1; RFC 7323; RFC 2018).
#[test]
fn closed__connect__syn_options_per_profile() {
    let mut rfc = syn_sent(RFC);
    let mut linux = endpoint(LINUX, ISS);
    assert_eq!(linux.connect(0, LOCAL, REMOTE), Ok(()));
    let l = recv!(linux, SYN, seq = ISS, mss = 1460).hdr.options;
    assert_eq!(l.wscale, Some(10));
    assert!(l.sack_permitted);
    assert!(l.timestamps.is_some());
    recv_nothing!(rfc);
    let mut rfc2 = endpoint(RFC, ISS);
    assert_eq!(rfc2.connect(0, LOCAL, REMOTE), Ok(()));
    let r = recv!(rfc2, SYN, seq = ISS, win = 65_535, mss = 1460)
        .hdr
        .options;
    assert_eq!(
        (r.wscale, r.sack_permitted, r.timestamps),
        (None, false, None)
    );
    assert_eq!(rfc.state(), State::SynSent);
}

/// The read digest covers exactly the bytes the app read, in order.
#[test]
fn established__reads__digest_of_bytes_read() {
    let mut ep = established(RFC);
    send!(ep, SEC, ACK, seq = IRS + 1, ack = ISS + 1, data = b"abcdef");
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 7);
    assert_eq!(ep.read(SEC, 2), Ok(Read::Data(b"ab".to_vec())));
    assert_eq!(ep.read_discard(SEC, 10), 4);
    let mut want = crate::endpoint::ReadDigest::default();
    want.update(*b"abcdef");
    assert_eq!(ep.read_digest(), want);
    let mut other = crate::endpoint::ReadDigest::default();
    other.update(*b"abcdfe");
    assert_ne!(ep.read_digest(), other);
}
