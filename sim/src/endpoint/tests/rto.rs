//! RFC 6298 retransmission timer and the profiles' timing (initial RTO,
//! backoff, restart, Karn, bound, retry limit, 5.7).

use super::*;
use crate::endpoint::{CallError, SockError};

/// Expires the retransmission timer at each of `times` in turn, expecting
/// our SYN again each time.
#[track_caller]
fn expect_syn_retransmissions(ep: &mut Endpoint, times: &[u64]) {
    for &t in times {
        expire(ep, TimerKind::Retransmit, t);
        recv!(*ep, SYN, seq = ISS);
        recv_nothing!(*ep);
    }
}

/// RFC 6298 2.1 (initial RTO 1 s) and 5.5 ("back off the timer"): the rfc
/// profile retransmits a SYN after 1 s, 2 s, 4 s, 8 s ...
#[test]
fn syn_sent__timeouts__backoff_1_2_4_rfc6298_5_5() {
    let mut ep = syn_sent(RFC);
    expect_syn_retransmissions(&mut ep, &[SEC, 3 * SEC, 7 * SEC, 15 * SEC]);
    assert_eq!(ep.timer(TimerKind::Retransmit), Some(31 * SEC));
}

/// Linux profile (`tcp_syn_linear_timeouts` = 4, Documentation/networking/
/// ip-sysctl.rst: "we would expect SYN RTOs to be: 1, 1, 1, 1, 1, 2, 4, ..."):
/// the first retransmissions are 1 s apart, then the doubling starts.
#[test]
fn syn_sent__timeouts__linear_then_backoff_linux() {
    let mut ep = syn_sent(LINUX);
    expect_syn_retransmissions(&mut ep, &[SEC, 2 * SEC, 3 * SEC, 4 * SEC, 5 * SEC, 7 * SEC]);
    assert_eq!(ep.timer(TimerKind::Retransmit), Some(11 * SEC));
}

/// Linux: the linear SYN timeouts are for the active side only; a SYN,ACK
/// backs off 1, 2, 4 s (`tcp_syn_linear_timeouts` "has no effect on SYNACK").
#[test]
fn syn_received__timeouts__synack_backoff_exponential_linux() {
    let mut ep = syn_received(LINUX);
    for t in [SEC, 3 * SEC, 7 * SEC] {
        expire(&mut ep, TimerKind::Retransmit, t);
        recv!(ep, SYN | ACK, seq = ISS, ack = IRS + 1);
    }
    assert_eq!(ep.timer(TimerKind::Retransmit), Some(15 * SEC));
}

/// RFC 9293 3.8.3 (R2) and RFC 6298: after the retry limit (8 for the rfc
/// profile) the connection is closed and the app told "timed out".
#[test]
fn syn_sent__retry_limit__timed_out_rfc9293_3_8_3() {
    let mut ep = syn_sent(RFC);
    let mut t = 0;
    let mut rto = SEC;
    for _ in 0..8 {
        t += rto;
        expire(&mut ep, TimerKind::Retransmit, t);
        recv!(ep, SYN, seq = ISS);
        rto = (rto * 2).min(60 * SEC);
    }
    t += rto;
    expire(&mut ep, TimerKind::Retransmit, t);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Closed);
    assert_eq!(ep.error(), Some(SockError::TimedOut));
    assert_eq!(ep.poll_timeout(), None);
}

/// RFC 6298 5.7: "If the timer expires awaiting the ACK of a SYN segment and
/// the TCP implementation is using an RTO less than 3 seconds, the RTO MUST
/// be re-initialized to 3 seconds when data transmission begins".
#[test]
fn syn_sent__syn_timed_out__rto_3s_for_data_rfc6298_5_7() {
    let mut ep = syn_sent(RFC);
    expect_syn_retransmissions(&mut ep, &[SEC]);
    send!(
        ep,
        SEC + 500 * MS,
        SYN | ACK,
        seq = IRS,
        ack = ISS + 1,
        mss = 1460
    );
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 1);
    // Karn (RFC 6298 3): no sample from the retransmitted SYN.
    assert_eq!(ep.rtt().srtt_us(), None);
    assert_eq!(ep.rto_us(), 3 * SEC);
    assert_eq!(ep.send(2 * SEC, b"x"), Ok(()));
    recv!(ep, PSH | ACK, seq = ISS + 1, len = 1);
    expire(&mut ep, TimerKind::Retransmit, 5 * SEC);
    recv!(ep, PSH | ACK, seq = ISS + 1, len = 1);
}

/// Linux (`tcp_init_metrics()`): RFC 6298 5.7's 3 s applies only when the
/// handshake gave no RTT sample. With timestamps the SYN,ACK echoes the
/// retransmitted SYN's TSval, a valid sample (RFC 7323 4.1), so the RTO is
/// `tcp_rto_min` (200 ms) plus the 20 ms sample (profile.rs,
/// `syn_rto_fallback_without_sample_only`).
#[test]
fn syn_sent__syn_timed_out__linux_keeps_the_timestamp_sample() {
    let mut ep = syn_sent(LINUX);
    expire(&mut ep, TimerKind::Retransmit, SEC);
    let again = recv!(ep, SYN, seq = ISS);
    let (tsval, _) = again.hdr.options.timestamps.expect("timestamps offered");
    send!(
        ep,
        SEC + 20 * MS,
        SYN | ACK,
        seq = IRS,
        ack = ISS + 1,
        mss = 1460,
        ts = (700, tsval)
    );
    recv!(ep, ACK, seq = ISS + 1, ack = IRS + 1);
    assert_eq!(ep.rtt().srtt_us(), Some(20 * MS));
    assert_eq!(ep.rto_us(), 220 * MS);
}

/// Established with a 100 ms sample, then 5 bytes sent at 1 s.
fn data_in_flight() -> Endpoint {
    let mut ep = established(RFC);
    assert_eq!(ep.rtt().srtt_us(), Some(100 * MS));
    // RFC 6298 2.2 + 2.4: 100 ms + 4 * 50 ms rounds up to 1 s.
    assert_eq!(ep.rto_us(), SEC);
    assert_eq!(ep.send(SEC, b"hello"), Ok(()));
    recv!(ep, PSH | ACK, seq = ISS + 1, ack = IRS + 1, data = b"hello");
    ep
}

/// RFC 6298 5.4-5.6: on expiry, retransmit the earliest unacknowledged
/// segment, double the RTO and restart the timer with it; the doubling
/// persists across expiries (1, 2, 4, 8 s).
#[test]
fn established__timeouts__retransmit_with_backoff_rfc6298_5_5() {
    let mut ep = data_in_flight();
    let mut t = SEC;
    for gap in [1, 2, 4, 8] {
        t += gap * SEC;
        assert_eq!(
            expire(&mut ep, TimerKind::Retransmit, t),
            (gap * SEC, Some(gap * SEC)),
            "it ran the RTO it was armed with"
        );
        recv!(ep, PSH | ACK, seq = ISS + 1, ack = IRS + 1, data = b"hello");
        recv_nothing!(ep);
    }
    assert_eq!(ep.timer(TimerKind::Retransmit), Some(t + 16 * SEC));
}

/// RFC 6298 3 (Karn): no RTT sample from a retransmitted segment, and the
/// backed-off RTO "is used for subsequent packets until a valid RTT
/// measurement is obtained" (also the note after 5.7): an ACK of new data
/// alone does not end the backoff.
#[test]
fn established__ack_of_retransmission__no_sample_backoff_kept_karn_rfc6298_3() {
    let mut ep = data_in_flight();
    expire(&mut ep, TimerKind::Retransmit, 2 * SEC);
    recv!(ep, PSH | ACK, seq = ISS + 1, len = 5);
    assert_eq!(ep.rto_us(), 2 * SEC);
    // A duplicate ACK acknowledges nothing new: the backoff stays.
    send!(ep, 2 * SEC + 10 * MS, ACK, seq = IRS + 1, ack = ISS + 1);
    assert_eq!(ep.rto_us(), 2 * SEC);
    send!(ep, 2 * SEC + 300 * MS, ACK, seq = IRS + 1, ack = ISS + 6);
    assert_eq!(
        ep.rtt().srtt_us(),
        Some(100 * MS),
        "no sample from a retransmission"
    );
    assert_eq!(ep.rto_us(), 2 * SEC, "no valid sample: the backoff stays");
    assert_eq!(ep.timer(TimerKind::Retransmit), None, "RFC 6298 5.2");
}

/// The scenario: one segment lost twice (RTO 4 s), its ACK arrives,
/// then the next segment is lost too: it is retransmitted after 4 s, not
/// 1 s (RFC 6298 3). Only the ACK of a segment sent once, a valid sample,
/// brings the RTO back down (the note after RFC 6298 5.7: "collapsing").
#[test]
fn established__lost_twice_then_next_segment__backed_off_rto_karn_rfc6298_3() {
    let mut ep = data_in_flight();
    expire(&mut ep, TimerKind::Retransmit, 2 * SEC);
    recv!(ep, PSH | ACK, seq = ISS + 1, len = 5);
    expire(&mut ep, TimerKind::Retransmit, 4 * SEC);
    recv!(ep, PSH | ACK, seq = ISS + 1, len = 5);
    assert_eq!(ep.rto_us(), 4 * SEC);
    send!(ep, 4 * SEC + 100 * MS, ACK, seq = IRS + 1, ack = ISS + 6);
    assert_eq!(ep.send(5 * SEC, b"world"), Ok(()));
    recv!(ep, PSH | ACK, seq = ISS + 6, data = b"world");
    assert_eq!(
        expire(&mut ep, TimerKind::Retransmit, 9 * SEC),
        (4 * SEC, Some(4 * SEC)),
        "the next segment waits the backed-off 4 s"
    );
    recv!(ep, PSH | ACK, seq = ISS + 6, data = b"world");
    send!(ep, 9 * SEC + 100 * MS, ACK, seq = IRS + 1, ack = ISS + 11);
    assert_eq!(ep.rto_us(), 8 * SEC, "still no valid sample");
    // A segment sent once and acknowledged: a valid sample ends the backoff.
    assert_eq!(ep.send(10 * SEC, b"!"), Ok(()));
    recv!(ep, PSH | ACK, seq = ISS + 11, data = b"!");
    send!(ep, 10 * SEC + 100 * MS, ACK, seq = IRS + 1, ack = ISS + 12);
    assert_eq!(ep.rtt().backoff(), 0);
    assert_eq!(ep.rto_us(), SEC, "the valid sample collapses the RTO");
}

/// Linux (`tcp_ack_update_rtt()`, RFC 7323 4.1 RTTM): with timestamps, the
/// echo of a retransmission's TSval is a valid sample, which ends the
/// backoff at once.
#[test]
fn established__ack_echoes_retransmission_ts__valid_sample_linux() {
    let mut ep = listen(LINUX);
    send!(ep, 0, SYN, seq = IRS, mss = 1460, ts = (500, 0));
    let syn_ack = recv!(ep, SYN | ACK, seq = ISS, ack = IRS + 1);
    let (our_ts, echoed) = syn_ack.hdr.options.timestamps.expect("timestamps offered");
    assert_eq!(echoed, 500);
    send!(
        ep,
        20 * MS,
        ACK,
        seq = IRS + 1,
        ack = ISS + 1,
        ts = (520, our_ts)
    );
    assert_eq!(ep.state(), State::Established);
    assert_eq!(ep.rto_us(), 220 * MS);
    assert_eq!(ep.send(SEC, b"x"), Ok(()));
    recv!(ep, PSH | ACK, seq = ISS + 1, len = 1);
    expire(&mut ep, TimerKind::Retransmit, SEC + 220 * MS);
    let rexmit = recv!(ep, PSH | ACK, seq = ISS + 1, len = 1);
    expire(&mut ep, TimerKind::Retransmit, SEC + 660 * MS);
    let rexmit2 = recv!(ep, PSH | ACK, seq = ISS + 1, len = 1);
    assert_eq!(ep.rtt().backoff(), 2);
    let (tsval, tsecr) = rexmit2.hdr.options.timestamps.expect("timestamps");
    assert_ne!(tsval, rexmit.hdr.options.timestamps.unwrap().0);
    assert_eq!(
        tsecr, 520,
        "TS.Recent follows the peer's last in-order segment (RFC 7323 4.3)"
    );
    // The ACK echoes the second retransmission's TSval: a 20 ms sample.
    send!(
        ep,
        SEC + 680 * MS,
        ACK,
        seq = IRS + 1,
        ack = ISS + 2,
        ts = (1_700, tsval)
    );
    assert_eq!(
        ep.rtt().backoff(),
        0,
        "a valid TS-echo sample ends the backoff"
    );
    assert_eq!(ep.rtt().srtt_us(), Some(20 * MS));
}

/// The same in the rfc profile, which has no timestamps: the ACK of the
/// retransmission leaves the backoff (RFC 6298 3).
#[test]
fn established__ack_with_ts_echo__ignored_without_timestamps_rfc6298_3() {
    let mut ep = data_in_flight();
    expire(&mut ep, TimerKind::Retransmit, 2 * SEC);
    recv!(ep, PSH | ACK, seq = ISS + 1, len = 5);
    send!(
        ep,
        2 * SEC + 100 * MS,
        ACK,
        seq = IRS + 1,
        ack = ISS + 6,
        ts = (7, 2_001)
    );
    assert_eq!(
        ep.rtt().backoff(),
        1,
        "no timestamps negotiated: the echo is ignored"
    );
}

/// RFC 6298 2.3: a sample from a segment sent once updates SRTT and RTTVAR.
#[test]
fn established__ack_of_fresh_segment__rtt_sample_rfc6298_2_3() {
    let mut ep = data_in_flight();
    send!(ep, SEC + 300 * MS, ACK, seq = IRS + 1, ack = ISS + 6);
    // RTTVAR = 3/4 * 50 + 1/4 * |100 - 300| = 87.5 ms; SRTT = 7/8 * 100 + 1/8 * 300 = 125 ms.
    assert_eq!(ep.rtt().srtt_us(), Some(125 * MS));
    assert_eq!(ep.rtt().rttvar_us(), 87_500);
}

/// RFC 6298 5.3: "When an ACK is received that acknowledges new data,
/// restart the retransmission timer so that it will expire after RTO seconds".
#[test]
fn established__ack_of_new_data__timer_restarted_rfc6298_5_3() {
    let mut ep = established(RFC);
    assert_eq!(ep.send(SEC, &[1u8; 2920]), Ok(()));
    recv!(ep, ACK, seq = ISS + 1, len = 1460);
    recv!(ep, PSH | ACK, seq = ISS + 1461, len = 1460);
    assert_eq!(ep.timer(TimerKind::Retransmit), Some(2 * SEC));
    send!(ep, SEC + 500 * MS, ACK, seq = IRS + 1, ack = ISS + 1461);
    let rto = ep.rto_us();
    assert_eq!(ep.timer(TimerKind::Retransmit), Some(SEC + 500 * MS + rto));
    expire(&mut ep, TimerKind::Retransmit, SEC + 500 * MS + rto);
    recv!(ep, PSH | ACK, seq = ISS + 1461, len = 1460);
}

/// RFC 6298 2.5: "A maximum value MAY be placed on RTO provided it is at
/// least 60 seconds": the rfc profile stops doubling at 60 s; RFC 9293 3.8.3
/// gives up after 8 retransmissions and the app is told "timed out".
#[test]
fn established__many_timeouts__rto_bounded_then_timed_out_rfc6298_2_5() {
    let mut ep = data_in_flight();
    let mut t = SEC;
    for gap in [1, 2, 4, 8, 16, 32, 60, 60] {
        t += gap * SEC;
        expire(&mut ep, TimerKind::Retransmit, t);
        recv!(ep, PSH | ACK, seq = ISS + 1, len = 5);
    }
    t += 60 * SEC;
    expire(&mut ep, TimerKind::Retransmit, t);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Closed);
    assert_eq!(ep.error(), Some(SockError::TimedOut));
    assert_eq!(ep.read(t, 10), Err(CallError::Failed(SockError::TimedOut)));
}

/// Linux profile: RTO = SRTT + max(4 * RTTVAR, 200 ms) (`tcp_rto_min`).
#[test]
fn established__small_rtt__rto_200ms_floor_linux() {
    let mut ep = syn_received(LINUX);
    send!(ep, 20 * MS, ACK, seq = IRS + 1, ack = ISS + 1);
    assert_eq!(ep.state(), State::Established);
    assert_eq!(ep.rto_us(), 220 * MS);
    assert_eq!(ep.send(SEC, b"x"), Ok(()));
    recv!(ep, PSH | ACK, seq = ISS + 1, len = 1);
    expire(&mut ep, TimerKind::Retransmit, SEC + 220 * MS);
    recv!(ep, PSH | ACK, seq = ISS + 1, len = 1);
    assert_eq!(ep.timer(TimerKind::Retransmit), Some(SEC + 660 * MS));
}

/// RFC 5681 3.2: the third duplicate ACK triggers a fast retransmit of the
/// first unacknowledged segment, before the timer.
#[test]
fn established__three_dup_acks__fast_retransmit_rfc5681_3_2() {
    let mut ep = established(RFC);
    assert_eq!(ep.send_pattern(SEC, 3 * 1460), Ok(()));
    recv!(ep, ACK, seq = ISS + 1, len = 1460);
    recv!(ep, ACK, seq = ISS + 1461, len = 1460);
    recv!(ep, PSH | ACK, seq = ISS + 2921, len = 1460);
    send!(ep, SEC + 100 * MS, ACK, seq = IRS + 1, ack = ISS + 1461);
    recv_nothing!(ep);
    send!(ep, SEC + 110 * MS, ACK, seq = IRS + 1, ack = ISS + 1461);
    send!(ep, SEC + 120 * MS, ACK, seq = IRS + 1, ack = ISS + 1461);
    recv_nothing!(ep);
    send!(ep, SEC + 130 * MS, ACK, seq = IRS + 1, ack = ISS + 1461);
    recv!(ep, ACK, seq = ISS + 1461, len = 1460);
    recv_nothing!(ep);
}

/// RFC 8985 7 (Linux `tcp_schedule_loss_probe()`, profile.rs
/// `tail_loss_probe`): with two segments unacknowledged the probe timeout is
/// 2 x SRTT + 2 jiffies (208 ms after a 100 ms sample), before the RTO (300
/// ms); the probe sends the last segment again, keeps the congestion window
/// and restarts the RTO unbacked. The rfc profile waits for the RTO.
#[test]
fn established__tail_lost__linux_probes_before_the_rto() {
    let mut ep = established_with_sack();
    let mss = ep.smss() as usize;
    assert_eq!(ep.rto_us(), 300 * MS);
    assert_eq!(ep.send(SEC, &vec![7u8; 2 * mss]), Ok(()));
    recv!(ep, ACK, seq = ISS + 1, len = mss as u32);
    recv!(ep, PSH | ACK, seq = ISS + 1 + mss as u32, len = mss as u32);
    assert_eq!(ep.timer(TimerKind::Retransmit), None);
    let cwnd = ep.cwnd();
    assert_eq!(
        expire(&mut ep, TimerKind::LossProbe, SEC + 208 * MS),
        (208 * MS, None)
    );
    recv!(ep, PSH | ACK, seq = ISS + 1 + mss as u32, len = mss as u32);
    recv_nothing!(ep);
    assert_eq!(ep.cwnd(), cwnd, "a probe is not a timeout");
    assert_eq!(ep.rto_us(), 300 * MS, "nor backed off");
    assert_eq!(ep.timer(TimerKind::Retransmit), Some(SEC + 508 * MS));
    // Only one probe at a time: the RTO comes next, and backs off.
    assert_eq!(ep.timer(TimerKind::LossProbe), None);
    expire(&mut ep, TimerKind::Retransmit, SEC + 508 * MS);
    recv!(ep, ACK, seq = ISS + 1, len = mss as u32);
    assert_eq!(ep.rto_us(), 600 * MS);

    let mut rfc = established(RFC);
    let mss = rfc.smss() as usize;
    assert_eq!(rfc.send(SEC, &vec![7u8; 2 * mss]), Ok(()));
    assert_eq!(rfc.timer(TimerKind::LossProbe), None);
    assert_eq!(rfc.timer(TimerKind::Retransmit), Some(2 * SEC));
}

/// One segment in flight: the probe allows for a delayed ACK (+ 200 ms,
/// `TCP_RTO_MIN`), so the RTO bounds it: the probe fires when the RTO would,
/// as Linux 6.18 did for `lost-data` ("RTO now 224 ms, cwnd 10 segments").
#[test]
fn established__one_segment_lost__linux_probe_at_the_rto() {
    let mut ep = established_with_sack();
    assert_eq!(ep.send(SEC, b"hello"), Ok(()));
    recv!(ep, PSH | ACK, seq = ISS + 1, data = b"hello");
    assert_eq!(ep.timer(TimerKind::LossProbe), Some(SEC + 300 * MS));
    expire(&mut ep, TimerKind::LossProbe, SEC + 300 * MS);
    recv!(ep, PSH | ACK, seq = ISS + 1, data = b"hello");
    assert_eq!(ep.rto_us(), 300 * MS);
}

/// ESTABLISHED under linux after a passive open whose SYN offered SACK (a
/// loss probe needs it), with a 100 ms RTT sample.
fn established_with_sack() -> Endpoint {
    let mut ep = listen(LINUX);
    send!(ep, 0, SYN, seq = IRS, mss = 1460, sack = true);
    recv!(ep, SYN | ACK, seq = ISS, ack = IRS + 1);
    send!(ep, 100 * MS, ACK, seq = IRS + 1, ack = ISS + 1);
    recv_nothing!(ep);
    assert_eq!(ep.state(), State::Established);
    ep
}
