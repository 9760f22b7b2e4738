//! Tests of the words (`render::words`): how each event reads.

use super::*;
use synack_sim::{Side, State};

fn result(r: CallResult) -> String {
    ResultText(&r).to_string()
}

#[test]
fn results_read_as_before() {
    assert_eq!(result(CallResult::Connected), "ok: connected");
    assert_eq!(
        result(CallResult::Blocked(Blocked::Handshake)),
        "blocked: waiting for the handshake"
    );
    assert_eq!(
        result(CallResult::Data(Received::of(b"Michael"))),
        "\"Michael\" (7 bytes)"
    );
    assert_eq!(
        result(CallResult::Data(Received::of(b"x"))),
        "\"x\" (1 byte)"
    );
    assert_eq!(
        result(CallResult::DataThenEnd(Received {
            len: 20000,
            preview: b"abcdefghijklmnopqrstuvwxyz".to_vec(),
        })),
        "20000 bytes \"abcdefghijklmnop\"…, then end of stream"
    );
    // A long read's preview is cut between characters.
    assert_eq!(
        result(CallResult::Data(Received {
            len: 20000,
            preview: "abcdefghijklmnoé and more".as_bytes().to_vec(),
        })),
        "20000 bytes \"abcdefghijklmno\"…"
    );
    assert_eq!(
        result(CallResult::Failed(Failure::Refused)),
        "error: connection refused"
    );
    assert_eq!(
        result(CallResult::FailedAfter(
            Failure::Closed,
            Received::of(b"hi")
        )),
        "error: connection closed after \"hi\" (2 bytes)"
    );
    // An errno reads the same whether or not bytes came before it.
    assert_eq!(
        result(CallResult::Failed(Failure::Errno(EADDRINUSE))),
        "error: Address already in use (os error 98)"
    );
    assert_eq!(
        result(CallResult::FailedAfter(
            Failure::Errno(EADDRINUSE),
            Received::of(b"hi")
        )),
        "error: Address already in use (os error 98) after \"hi\" (2 bytes)"
    );
}

/// EADDRINUSE on Linux.
const EADDRINUSE: i32 = 98;
/// The linux profile's failures read as a socket program sees them.
#[test]
fn linux_failures_show_the_errno_name() {
    use synack_sim::calls::errno;
    let linux = |f: Failure| result(CallResult::Failed(f).as_errno());
    assert_eq!(
        linux(Failure::Reset),
        "error: ECONNRESET (connection reset by peer)"
    );
    assert_eq!(linux(Failure::Closing), "error: EPIPE (broken pipe)");
    assert_eq!(
        linux(Failure::Errno(errno::EBADF)),
        "error: EBADF (bad file descriptor: the socket was closed)"
    );
    assert_eq!(
        linux(Failure::BlocksForever),
        "error: would block forever (nothing more will arrive)"
    );
}

#[test]
fn calls_read_as_written() {
    let call = |c: Call| CallText(&c).to_string();
    assert_eq!(
        call(Call::Send(SendData::Text(b"a\"\n\x01".to_vec()))),
        "send(\"a\\\"\\n\\x01\")"
    );
    assert_eq!(call(Call::Send(SendData::Bytes(5))), "send(5 bytes)");
    // Text as people write it: UTF-8 as is, control characters and
    // bytes that are not UTF-8 escaped.
    assert_eq!(
        call(Call::Send(SendData::Text("héllo ⏰".as_bytes().to_vec()))),
        "send(\"héllo ⏰\")"
    );
    assert_eq!(
        call(Call::Send(SendData::Text(
            b"h\xc3\xa9\xc3 \x7f\xc2\x85\xff".to_vec()
        ))),
        "send(\"hé\\xc3 \\x7f\\xc2\\x85\\xff\")"
    );
    assert_eq!(call(Call::Recv(RecvMax::UpTo(3))), "recv(3)");
    assert_eq!(call(Call::Shutdown), "shutdown(SHUT_WR)");
}

/// Issue 14, 5: a timer says what it waited, not "RTO" for every timer.
#[test]
fn timers_say_what_they_waited() {
    let timer = |timer, after_us, rto_us| {
        TimerText {
            timer,
            after_us,
            rto_us,
        }
        .to_string()
    };
    assert_eq!(
        timer(TimerKind::Retransmit, 1_000_000, Some(1_000_000)),
        "⏰ retransmit timer fired after 1 s (RTO)"
    );
    assert_eq!(
        timer(TimerKind::Persist, 2_000_000, Some(2_000_000)),
        "⏰ persist timer fired after 2 s (RTO)"
    );
    assert_eq!(
        timer(TimerKind::TimeWait, 240_000_000, None),
        "⏰ time-wait timer fired after 240 s (2*MSL, MSL = 2 min)"
    );
    assert_eq!(
        timer(TimerKind::TimeWait, 60_000_000, None),
        "⏰ time-wait timer fired after 60 s (Linux's fixed TIME-WAIT, TCP_TIMEWAIT_LEN)"
    );
    assert_eq!(
        timer(TimerKind::DelayedAck, 40_000, None),
        "⏰ delayed-ACK timer fired after 40 ms (delayed-ACK timeout)"
    );
}

#[test]
fn durations_read_naturally() {
    for (us, want) in [
        (20_000, "20 ms"),
        (2_000_000, "2 s"),
        (1_500_000, "1.5 s"),
        (240_000_000, "4 min"),
        (90_000_000, "90 s"),
        (500, "500 µs"),
        (1_250, "1.25 ms"),
    ] {
        assert_eq!(Duration(us).to_string(), want);
    }
    assert_eq!(Secs::millis(1_250_000).to_string(), "1.250");
    assert_eq!(Secs::millis(1_250_300).to_string(), "1.250300");
    assert_eq!(Secs::micros(1_250_000).to_string(), "1.250000");
}

#[test]
fn a_failed_check_reads_the_same_in_the_note_and_on_stderr() {
    let note = Note::Expect {
        line: 16,
        side: Side::Client,
        expected: State::TimeWait,
        actual: State::Closed,
    };
    assert_eq!(
        NoteText(&note).to_string(),
        "expect client TIME-WAIT failed: client is CLOSED (line 16)"
    );
    let waited = CheckFailure {
        line: 3,
        side: Side::Server,
        expected: State::Closed,
        actual: State::LastAck,
        waited_us: Some(600_000_000),
    };
    assert_eq!(
        CheckText(&waited).to_string(),
        "wait until server CLOSED failed: server is still LAST-ACK after 10 min"
    );
}
