//! Every value of the core that the page must cover, listed by hand: each
//! list has a `match` without a wildcard, so a new variant in the core fails
//! to compile here until it is listed (and then checked against the page by
//! `tests/tests/transcript_json.rs`).

use synack_sim::calls::{Blocked, Call, CallResult, Failure, Received, RecvMax, SendData};
use synack_sim::compare::{Field, Verdict};
use synack_sim::profile::ProfileName;
use synack_sim::transcript::{Note, WireNote};
use synack_sim::{Side, State as St};

/// Every kind of call, with every kind of argument.
pub fn calls() -> Vec<Call> {
    let text = || SendData::Text(b"hi \"x\"\x01".to_vec());
    let calls = vec![
        Call::Listen { port: 8080 },
        Call::Connect { port: 8080 },
        Call::Accept,
        Call::Send(text()),
        Call::Send(SendData::Bytes(100)),
        Call::Recv(RecvMax::Any),
        Call::Recv(RecvMax::UpTo(5)),
        Call::Recv(RecvMax::Exactly(5)),
        Call::Recv(RecvMax::All),
        Call::Shutdown,
        Call::Close,
        Call::Abort,
        Call::Bind { port: 7 },
        Call::SendTo {
            port: 7,
            data: text(),
        },
        Call::SendTo {
            port: 7,
            data: SendData::Bytes(70000),
        },
        Call::RecvFrom,
    ];
    for c in &calls {
        match c {
            Call::Listen { .. }
            | Call::Connect { .. }
            | Call::Accept
            | Call::Send(SendData::Text(_) | SendData::Bytes(_))
            | Call::Recv(RecvMax::Any | RecvMax::UpTo(_) | RecvMax::Exactly(_) | RecvMax::All)
            | Call::Shutdown
            | Call::Close
            | Call::Abort
            | Call::Bind { .. }
            | Call::SendTo { .. }
            | Call::RecvFrom => {}
        }
    }
    calls
}

/// Every failure (an errno that none of the others names: EADDRINUSE).
pub fn failures() -> Vec<Failure> {
    let failures = vec![
        Failure::Refused,
        Failure::Reset,
        Failure::TimedOut,
        Failure::NotConnected,
        Failure::AlreadyOpen,
        Failure::Closing,
        Failure::NotListening,
        Failure::Closed,
        Failure::BlocksForever,
        Failure::MessageTooLong,
        Failure::GaveUp,
        Failure::Errno(libc::EADDRINUSE),
    ];
    // The errnos the linux profile names (synack_sim::calls::errno).
    use synack_sim::calls::errno;
    let mut failures = failures;
    failures.extend(
        [
            errno::EBADF,
            errno::EINVAL,
            errno::EPIPE,
            errno::ECONNRESET,
            errno::EISCONN,
            errno::ENOTCONN,
            errno::ETIMEDOUT,
            errno::ECONNREFUSED,
        ]
        .map(Failure::Errno),
    );
    for f in &failures {
        match f {
            Failure::Refused
            | Failure::Reset
            | Failure::TimedOut
            | Failure::NotConnected
            | Failure::AlreadyOpen
            | Failure::Closing
            | Failure::NotListening
            | Failure::Closed
            | Failure::BlocksForever
            | Failure::MessageTooLong
            | Failure::GaveUp
            | Failure::Errno(_) => {}
        }
    }
    failures
}

/// Every kind of result, reads short, of one byte and long, and every
/// failure alone and after data.
pub fn results() -> Vec<CallResult> {
    let short = Received::of(b"hello");
    let long = Received::of(&[b'z'; 100]);
    let mut results = vec![
        CallResult::Ok,
        CallResult::Connected,
        CallResult::Accepted { port: 49152 },
        CallResult::ClosedWithReset,
        CallResult::Blocked(Blocked::Handshake),
        CallResult::Blocked(Blocked::Connection),
        CallResult::Blocked(Blocked::Data),
        CallResult::Blocked(Blocked::Datagram),
        CallResult::Blocked(Blocked::MoreData(65535)),
        CallResult::Blocked(Blocked::MoreData(1)),
        CallResult::Data(short.clone()),
        CallResult::Data(Received::of(b"x")),
        CallResult::Data(long.clone()),
        CallResult::EndOfStream,
        CallResult::DataThenEnd(long.clone()),
        CallResult::DataNoEnd(short.clone()),
        CallResult::Datagram {
            from_port: 49152,
            data: short.clone(),
        },
    ];
    for f in failures() {
        results.push(CallResult::Failed(f));
        results.push(CallResult::FailedAfter(f, short.clone()));
    }
    for r in &results {
        match r {
            CallResult::Ok
            | CallResult::Connected
            | CallResult::Accepted { .. }
            | CallResult::ClosedWithReset
            | CallResult::Blocked(
                Blocked::Handshake
                | Blocked::Connection
                | Blocked::Data
                | Blocked::Datagram
                | Blocked::MoreData(_),
            )
            | CallResult::Data(_)
            | CallResult::EndOfStream
            | CallResult::DataThenEnd(_)
            | CallResult::DataNoEnd(_)
            | CallResult::Failed(_)
            | CallResult::FailedAfter(..)
            | CallResult::Datagram { .. } => {}
        }
    }
    results
}

/// Every note but free text (`Note::Text`: the capture reader's and the
/// UDP run's, checked where the commands print them).
pub fn notes() -> Vec<Note> {
    let c = Side::Client;
    let notes = vec![
        Note::Wait { us: 1_500_000 },
        Note::WaitUntil {
            side: c,
            state: St::Closed,
            max_us: 600_000_000,
        },
        Note::WaitUntilFailed {
            line: 3,
            side: c,
            state: St::Closed,
            actual: St::TimeWait,
            max_us: 1_000_000,
        },
        Note::Expect {
            line: 4,
            side: c,
            expected: St::Closed,
            actual: St::Closed,
        },
        Note::Expect {
            line: 4,
            side: c,
            expected: St::Closed,
            actual: St::TimeWait,
        },
        Note::TimeWaitRemains {
            side: c,
            until_us: 241_060_000,
            length_us: 240_000_000,
        },
        Note::TimeWaitRemains {
            side: c,
            until_us: 61_060_000,
            length_us: 60_000_000,
        },
        Note::StoppedBusy {
            after_us: 600_000_000,
        },
        Note::Wire(WireNote::MidConnection),
        Note::Wire(WireNote::SynMissed),
        Note::Wire(WireNote::Refused),
        Note::Wire(WireNote::ResetBy(Side::Client)),
        Note::Wire(WireNote::ResetBy(Side::Server)),
        Note::KernelTimeWait { side: c },
        Note::WireDisagrees {
            side: c,
            wire: Some(St::FinWait2),
            kernel: Some(St::Closed),
        },
        Note::WireDisagrees {
            side: c,
            wire: Some(St::FinWait2),
            kernel: None,
        },
        Note::WireDisagrees {
            side: c,
            wire: None,
            kernel: Some(St::Closed),
        },
        Note::KernelRetransmit {
            side: c,
            rto_us: Some(412_000),
            cwnd: Some(10),
        },
        Note::KernelRetransmit {
            side: c,
            rto_us: Some(1_000_000),
            cwnd: Some(1),
        },
        Note::KernelRetransmit {
            side: c,
            rto_us: None,
            cwnd: None,
        },
        Note::RetransmitUnconfirmed {
            side: c,
            on_wire: true,
        },
        Note::RetransmitUnconfirmed {
            side: c,
            on_wire: false,
        },
        Note::ClosedPortReset {
            side: c,
            port: 49152,
            flags: synack_sim::segment::Flags::ACK,
        },
        Note::PolledStates,
        Note::CallTooLong {
            side: c,
            after_us: 300_000_000,
        },
        Note::Interrupted,
        Note::LinearSynTimeouts { side: c, count: 4 },
        Note::DelayedAck {
            side: c,
            max_us: 40_000,
        },
        Note::AckedOnRead { side: c },
        Note::ResetDropped {
            side: c,
            port: 49152,
        },
        Note::PersistForcesOut {
            side: c,
            bytes: 1295,
        },
        Note::NagleHolds {
            side: c,
            held: 3,
            unacked: 1460,
        },
        Note::NagleHolds {
            side: c,
            held: 1,
            unacked: 1,
        },
        Note::Footnote {
            side: c,
            footnote: synack_sim::transcript::Footnote::KeepAlive,
        },
        Note::Footnote {
            side: c,
            footnote: synack_sim::transcript::Footnote::ProbeByte,
        },
    ];
    for n in &notes {
        match n {
            Note::Wait { .. }
            | Note::WaitUntil { .. }
            | Note::WaitUntilFailed { .. }
            | Note::Expect { .. }
            | Note::TimeWaitRemains { .. }
            | Note::StoppedBusy { .. }
            | Note::Wire(
                WireNote::MidConnection
                | WireNote::SynMissed
                | WireNote::Refused
                | WireNote::ResetBy(_),
            )
            | Note::KernelTimeWait { .. }
            | Note::WireDisagrees { .. }
            | Note::KernelRetransmit { .. }
            | Note::RetransmitUnconfirmed { .. }
            | Note::ClosedPortReset { .. }
            | Note::PolledStates
            | Note::CallTooLong { .. }
            | Note::Interrupted
            | Note::Footnote { .. }
            | Note::LinearSynTimeouts { .. }
            | Note::NagleHolds { .. }
            | Note::DelayedAck { .. }
            | Note::AckedOnRead { .. }
            | Note::ResetDropped { .. }
            | Note::PersistForcesOut { .. }
            | Note::Text(_) => {}
        }
    }
    notes
}

/// Every field a pair may differ in, in the core's order (the order `why`
/// names them).
pub fn fields() -> Vec<Field> {
    let fields = vec![
        Field::Presence,
        Field::Flags,
        Field::RelSeq,
        Field::RelAck,
        Field::Len,
        Field::Win,
        Field::Call,
        Field::Result,
        Field::From,
        Field::To,
        Field::Timer,
        Field::Order,
    ];
    for f in &fields {
        match f {
            Field::Presence
            | Field::Flags
            | Field::RelSeq
            | Field::RelAck
            | Field::Len
            | Field::Win
            | Field::Call
            | Field::Result
            | Field::From
            | Field::To
            | Field::Timer
            | Field::Order => {}
        }
    }
    fields
}

/// Every verdict.
pub fn verdicts() -> Vec<Verdict> {
    let verdicts = vec![Verdict::Same, Verdict::Explained, Verdict::Unexplained];
    for v in &verdicts {
        match v {
            Verdict::Same | Verdict::Explained | Verdict::Unexplained => {}
        }
    }
    verdicts
}

/// Every profile.
pub fn profiles() -> Vec<ProfileName> {
    let profiles = vec![ProfileName::Rfc, ProfileName::Linux];
    for p in &profiles {
        match p {
            ProfileName::Rfc | ProfileName::Linux => {}
        }
    }
    profiles
}
