//! The words of a transcript: the one place that turns the core's typed
//! calls, results, notes and times into English. Every renderer (text, JSON,
//! side by side) and every command uses these, so the same call reads the
//! same everywhere; the JSON `call` and `result` strings are exactly these
//! (docs/transcript-json.md).

use super::num::push_u64;
use std::fmt::{self, Display, Formatter, Write as _};
use synack_sim::calls::{Blocked, Call, CallResult, Failure, Received, RecvMax, SendData};
use synack_sim::printable::escaped;
use synack_sim::transcript::{DatagramEvent, Footnote, Note, SegmentEvent, TimerKind, WireNote};
use synack_sim::world::CheckFailure;

/// Longest payload a segment label shows in quotes.
pub const MAX_SHOWN_PAYLOAD: usize = 24;

/// How many bytes of a long read a result shows before `…`.
const LONG_PREVIEW: usize = 16;

/// `PSH,ACK seq=1 ack=1 len=7 win=65535 "Michael"` into `out`; `absolute`:
/// the raw sequence and acknowledgement numbers, not the relative ones.
pub fn segment_label(out: &mut String, s: &SegmentEvent<'_>, absolute: bool) {
    out.clear();
    let flags = s.hdr.flags.names();
    out.push_str(if flags.is_empty() {
        "<no flags>"
    } else {
        flags
    });
    out.push_str(" seq=");
    let seq = if absolute { s.hdr.seq.raw() } else { s.rel_seq };
    push_u64(out, u64::from(seq));
    let ack = if absolute {
        Some(s.hdr.ack.raw())
    } else {
        s.rel_ack
    };
    if let (true, Some(a)) = (s.hdr.flags.ack(), ack) {
        out.push_str(" ack=");
        push_u64(out, u64::from(a));
    }
    out.push_str(" len=");
    push_u64(out, u64::from(s.hdr.payload_len));
    out.push_str(" win=");
    push_u64(out, u64::from(s.win_bytes));
    let shown = s.payload.len() == s.hdr.payload_len as usize
        && s.payload.len() <= MAX_SHOWN_PAYLOAD
        && is_text(s.payload);
    if shown {
        let _ = write!(out, " {}", Quoted(s.payload));
    }
}

/// `UDP 49152 → 7 len=3 "one"`: a datagram's label, into `out`.
pub fn datagram_label(out: &mut String, d: &DatagramEvent<'_>) {
    out.clear();
    let _ = write!(out, "UDP {} → {} len={}", d.src_port, d.dst_port, d.len);
    let shown = d.payload.len() == d.len as usize
        && d.payload.len() <= MAX_SHOWN_PAYLOAD
        && is_text(d.payload);
    if shown {
        let _ = write!(out, " {}", Quoted(d.payload));
    }
}

/// Whether a payload reads as text, so its label quotes it: not empty, valid
/// UTF-8, and no control character but `\n`, `\r` and `\t`.
fn is_text(payload: &[u8]) -> bool {
    !payload.is_empty()
        && std::str::from_utf8(payload).is_ok_and(|t| {
            t.chars()
                .all(|c| !escaped(c) || matches!(c, '\n' | '\r' | '\t'))
        })
}

/// A call as the app wrote it: `connect(8080)`, `send("hi")`, `recv(all)`.
pub struct CallText<'a>(pub &'a Call);

impl Display for CallText<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            Call::Listen { port } => write!(f, "listen({port})"),
            Call::Connect { port } => write!(f, "connect({port})"),
            Call::Accept => f.write_str("accept()"),
            Call::Send(SendData::Text(bytes)) => write!(f, "send({})", Quoted(bytes)),
            Call::Send(SendData::Bytes(n)) => write!(f, "send({n} bytes)"),
            Call::Recv(RecvMax::Any) => f.write_str("recv()"),
            Call::Recv(RecvMax::UpTo(n)) => write!(f, "recv({n})"),
            Call::Recv(RecvMax::Exactly(n)) => write!(f, "recv(exactly {n})"),
            Call::Recv(RecvMax::All) => f.write_str("recv(all)"),
            Call::Shutdown => f.write_str("shutdown(SHUT_WR)"),
            Call::Close => f.write_str("close()"),
            Call::Abort => f.write_str("abort()"),
            Call::Bind { port } => write!(f, "bind({port})"),
            Call::SendTo {
                port,
                data: SendData::Text(bytes),
            } => write!(f, "sendto({}, port {port})", Quoted(bytes)),
            Call::SendTo {
                port,
                data: SendData::Bytes(n),
            } => write!(f, "sendto({n} bytes, port {port})"),
            Call::RecvFrom => f.write_str("recvfrom()"),
        }
    }
}

/// What a call returned: `ok: connected`, `"hello" (5 bytes)`, `error: timed out`.
pub struct ResultText<'a>(pub &'a CallResult);

impl Display for ResultText<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            CallResult::Ok => f.write_str("ok"),
            CallResult::Connected => f.write_str("ok: connected"),
            CallResult::Accepted { port } => write!(f, "ok: connection from port {port}"),
            CallResult::ClosedWithReset => f.write_str("ok (unread data: connection reset)"),
            CallResult::Blocked(Blocked::MoreData(n)) => write!(
                f,
                "blocked: read {n} {} so far, waiting for more",
                if *n == 1 { "byte" } else { "bytes" }
            ),
            CallResult::Blocked(b) => write!(f, "blocked: waiting for {}", blocked(*b)),
            CallResult::Data(r) => write!(f, "{}", Data(r)),
            CallResult::EndOfStream => f.write_str("end of stream"),
            CallResult::DataThenEnd(r) => write!(f, "{}, then end of stream", Data(r)),
            CallResult::DataNoEnd(r) => write!(f, "{} (no end of stream)", Data(r)),
            CallResult::Failed(Failure::Errno(n)) => write!(f, "error: {}", Errno(*n)),
            CallResult::Failed(e) => write!(f, "error: {}", failure(*e)),
            CallResult::FailedAfter(Failure::Errno(n), r) => {
                write!(f, "error: {} after {}", Errno(*n), Data(r))
            }
            CallResult::FailedAfter(e, r) => write!(f, "error: {} after {}", failure(*e), Data(r)),
            CallResult::Datagram { from_port, data } => {
                write!(f, "{} from port {from_port}", Data(data))
            }
        }
    }
}

/// An errno: by name with its meaning for the socket errors the linux
/// profile names (`ECONNRESET (connection reset by peer)`), as the OS says
/// it otherwise (`Address already in use (os error 98)`).
struct Errno(i32);

impl Display for Errno {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match errno_name(self.0) {
            Some((name, meaning)) => write!(f, "{name} ({meaning})"),
            None => write!(f, "{}", std::io::Error::from_raw_os_error(self.0)),
        }
    }
}

/// The socket errnos by name, with Linux's strerror() words.
pub fn errno_name(n: i32) -> Option<(&'static str, &'static str)> {
    use synack_sim::calls::errno::*;
    Some(match n {
        EBADF => ("EBADF", "bad file descriptor: the socket was closed"),
        EINVAL => ("EINVAL", "invalid argument"),
        EPIPE => ("EPIPE", "broken pipe"),
        ECONNRESET => ("ECONNRESET", "connection reset by peer"),
        EISCONN => ("EISCONN", "transport endpoint is already connected"),
        ENOTCONN => ("ENOTCONN", "transport endpoint is not connected"),
        ETIMEDOUT => ("ETIMEDOUT", "connection timed out"),
        ECONNREFUSED => ("ECONNREFUSED", "connection refused"),
        _ => return None,
    })
}

fn blocked(b: Blocked) -> &'static str {
    match b {
        Blocked::Handshake => "the handshake",
        Blocked::Connection => "a connection",
        Blocked::Data | Blocked::MoreData(_) => "data",
        Blocked::Datagram => "a datagram",
    }
}

/// The words of RFC 9293 3.10's errors (and the world's own).
pub fn failure(e: Failure) -> &'static str {
    match e {
        Failure::Refused => "connection refused",
        Failure::Reset => "connection reset",
        Failure::TimedOut => "timed out",
        Failure::NotConnected => "connection does not exist",
        Failure::AlreadyOpen => "connection already exists",
        Failure::Closing => "connection closing",
        Failure::NotListening => "not listening",
        Failure::Closed => "connection closed",
        Failure::BlocksForever => "would block forever (nothing more will arrive)",
        Failure::MessageTooLong => "message too long (a UDP datagram carries at most 65507 bytes)",
        Failure::GaveUp => {
            "still blocked after 1 hour of virtual time; giving up (it would block forever)"
        }
        Failure::Errno(_) => "the system call failed",
    }
}

/// `"Michael" (7 bytes)` for a short read, `20000 bytes "abcd…"…` otherwise.
struct Data<'a>(&'a Received);

impl Display for Data<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let r = self.0;
        let unit = if r.len == 1 { "byte" } else { "bytes" };
        if r.is_whole() {
            write!(f, "{} ({} {unit})", Quoted(&r.preview), r.len)
        } else {
            // Cut between characters, not inside one: back over at most
            // three UTF-8 continuation bytes.
            let mut cut = r.preview.len().min(LONG_PREVIEW);
            let at_least = cut.saturating_sub(3);
            while cut > at_least && r.preview.get(cut).is_some_and(|b| b & 0xc0 == 0x80) {
                cut -= 1;
            }
            let shown = &r.preview[..cut];
            write!(f, "{} {unit} {}…", r.len, Quoted(shown))
        }
    }
}

/// Bytes as a string literal, as people write text: valid UTF-8 as is
/// (`"héllo"`), `"` and `\` escaped, `\n`, `\r`, `\t`, and `\xNN` for each
/// byte of any other control character (synack_sim::printable's rule) and
/// for every byte that is not valid UTF-8. The one byte escaper of the
/// transcripts (calls, results, segment payloads); the scenario language
/// reads it back.
pub struct Quoted<'a>(pub &'a [u8]);

impl Display for Quoted<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                match c {
                    '"' => f.write_str("\\\"")?,
                    '\\' => f.write_str("\\\\")?,
                    '\n' => f.write_str("\\n")?,
                    '\r' => f.write_str("\\r")?,
                    '\t' => f.write_str("\\t")?,
                    c if escaped(c) => {
                        for b in c.encode_utf8(&mut [0; 4]).bytes() {
                            write!(f, "\\x{b:02x}")?;
                        }
                    }
                    c => f.write_char(c)?,
                }
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        f.write_char('"')
    }
}

/// A note in words. A failed check names its scenario line.
pub struct NoteText<'a>(pub &'a Note);

impl Display for NoteText<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            Note::Wait { us } => write!(f, "wait {}", Duration(*us)),
            Note::WaitUntil { side, state, .. } => write!(f, "wait until {side} {state}"),
            Note::WaitUntilFailed {
                line,
                side,
                state,
                actual,
                max_us,
            } => write!(
                f,
                "{} (line {line})",
                CheckText(&CheckFailure {
                    line: *line,
                    side: *side,
                    expected: *state,
                    actual: *actual,
                    waited_us: Some(*max_us),
                })
            ),
            Note::Expect {
                side,
                expected,
                actual,
                ..
            } if actual == expected => write!(f, "expect {side} {expected}: ok"),
            Note::Expect {
                line,
                side,
                expected,
                actual,
            } => write!(
                f,
                "{} (line {line})",
                CheckText(&CheckFailure {
                    line: *line,
                    side: *side,
                    expected: *expected,
                    actual: *actual,
                    waited_us: None,
                })
            ),
            Note::TimeWaitRemains {
                side,
                until_us,
                length_us,
            } => write!(
                f,
                "{side} stays in TIME-WAIT until {} s ({}); a `wait` would show it close",
                Secs::millis(*until_us),
                TimeWaitLength(*length_us)
            ),
            Note::StoppedBusy { after_us } => write!(
                f,
                "simulation stopped {} after the last step; the connection was still busy",
                Duration(*after_us)
            ),
            Note::Wire(w) => f.write_str(wire(*w)),
            Note::KernelTimeWait { side } => write!(
                f,
                "Linux hands the {side}'s connection to a TIME-WAIT mini-socket: the full socket closes (→ CLOSED) and inet_diag shows the TIME-WAIT"
            ),
            Note::WireDisagrees { side, wire, kernel } => match (wire, kernel) {
                (Some(w), Some(k)) => write!(
                    f,
                    "the segments show the {side} in {w} where the kernel reports {k}"
                ),
                (Some(w), None) => write!(
                    f,
                    "the segments show the {side} in {w}, which the kernel did not report"
                ),
                (None, Some(k)) => write!(
                    f,
                    "the kernel reports the {side} in {k}, which the segments do not show"
                ),
                (None, None) => Ok(()),
            },
            Note::KernelRetransmit { side, rto_us, cwnd } => {
                write!(f, "the kernel confirms the {side}'s retransmission")?;
                match (rto_us, cwnd) {
                    (Some(rto), Some(cwnd)) => write!(
                        f,
                        ": RTO now {}, cwnd {cwnd} segment{}",
                        Duration(*rto),
                        if *cwnd == 1 { "" } else { "s" }
                    ),
                    _ => Ok(()),
                }
            }
            Note::RetransmitUnconfirmed { side, on_wire: true } => write!(
                f,
                "the segments show a retransmission by the {side} that the kernel did not report"
            ),
            Note::RetransmitUnconfirmed {
                side,
                on_wire: false,
            } => write!(
                f,
                "the kernel reports a retransmission by the {side} that the segments do not show"
            ),
            Note::PolledStates => f.write_str(
                "states polled from inet_diag (not root): a state shorter than a poll is not seen",
            ),
            Note::CallTooLong { side, after_us } => write!(
                f,
                "the {side}'s call was still blocked after {}: the run stops here",
                Duration(*after_us)
            ),
            Note::Interrupted => f.write_str("interrupted (Ctrl-C): the run stops here"),
            Note::ClosedPortReset { side, port, flags } => write!(
                f,
                "the {side} has no connection on port {port}: it answers the {}'s {} with RST (RFC 9293 3.10.7.1)",
                side.peer(),
                flags.names()
            ),
            Note::ResetDropped { side, port } => write!(
                f,
                "the {side} has no connection on port {port}: it drops the {}'s RST, which is never answered (RFC 9293 3.10.7.1)",
                side.peer()
            ),
            Note::Footnote {
                side,
                footnote: Footnote::KeepAlive,
            } => write!(
                f,
                "the {side}'s [keep-alive]: Wireshark's name for any segment of at most 1 byte just below the next sequence number; a keep-alive probe looks like that, and so does a 1-byte retransmission"
            ),
            Note::Footnote {
                side,
                footnote: Footnote::ProbeByte,
            } => write!(
                f,
                "the {side}'s zero-window probe carries the next byte of the stream into the closed window (RFC 9293 3.8.6.1): its payload is the app's data, not a mark meaning \"probe\""
            ),
            Note::DelayedAck { side, max_us } => write!(
                f,
                "the {side} delays its ACK: up to {} for data to carry it, or until more than a full segment has come while its window would not shrink (RFC 1122 4.2.3.2; Linux __tcp_ack_snd_check())",
                Duration(*max_us)
            ),
            Note::AckedOnRead { side } => write!(
                f,
                "the {side}'s recv read that data and opened its receive window: the window update carries the delayed ACK at once (RFC 9293 3.8.6.2.2)"
            ),
            Note::PersistForcesOut { side, bytes } => write!(
                f,
                "the {side}'s persist timer sends the {bytes} {} the window had room for: less than a full segment, so sender silly-window avoidance held {} back until this timeout (RFC 9293 3.8.6.2.1)",
                if *bytes == 1 { "byte" } else { "bytes" },
                if *bytes == 1 { "it" } else { "them" }
            ),
            Note::NagleHolds { side, held, .. } => write!(
                f,
                "held by Nagle: the {side} holds back {held} {} until all its data in flight is ACKed (RFC 9293 3.7.4)",
                if *held == 1 { "byte" } else { "bytes" }
            ),
            Note::LinearSynTimeouts { side, count } => write!(
                f,
                "the {side}'s first {count} SYN retransmissions wait the initial RTO, not a doubled one: Linux's linear SYN timeouts (tcp_syn_linear_timeouts, since 6.5; RFC 6298 5.5 doubles it)"
            ),
            Note::Text(t) => f.write_str(t),
        }
    }
}

fn wire(w: WireNote) -> &'static str {
    match w {
        WireNote::MidConnection => {
            "capture starts mid-connection: both endpoints assumed ESTABLISHED"
        }
        WireNote::SynMissed => "capture starts at the SYN-ACK: client assumed SYN-SENT",
        WireNote::Refused => "connection refused: the SYN was answered with RST",
        WireNote::ResetBy(side) => match side {
            synack_sim::Side::Client => "connection reset by client",
            synack_sim::Side::Server => "connection reset by server",
        },
    }
}

/// A failed scenario check, as a clause: `expect client TIME-WAIT failed:
/// client is CLOSED`, `wait until client CLOSED failed: client is still
/// TIME-WAIT after 10 min`. The transcript's note and the message on stderr
/// both say this.
pub struct CheckText<'a>(pub &'a CheckFailure);

impl Display for CheckText<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let c = self.0;
        match c.waited_us {
            None => write!(
                f,
                "expect {side} {} failed: {side} is {}",
                c.expected,
                c.actual,
                side = c.side
            ),
            Some(us) => write!(
                f,
                "wait until {side} {} failed: {side} is still {} after {}",
                c.expected,
                c.actual,
                Duration(us),
                side = c.side
            ),
        }
    }
}

/// A timer that fired, saying what it waited: `⏰ retransmit timer fired
/// after 1 s (RTO)`, `⏰ time-wait timer fired after 240 s (2*MSL, MSL = 2 min)`, `⏰
/// delayed-ACK timer fired after 40 ms (delayed-ACK timeout)`.
pub struct TimerText {
    pub timer: TimerKind,
    pub after_us: u64,
    pub rto_us: Option<u64>,
}

impl Display for TimerText {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "⏰ {}", self.words())
    }
}

impl TimerText {
    /// The words without the ⏰, for the pictures, which draw a mark of
    /// their own: `retransmit timer fired after 1 s (RTO)`. The text, the
    /// ladder diagram and Mermaid all say it with these words.
    pub fn words(&self) -> TimerWords<'_> {
        TimerWords(self)
    }
}

/// [`TimerText`] without its ⏰.
pub struct TimerWords<'a>(&'a TimerText);

impl Display for TimerWords<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let name = match self.0.timer {
            TimerKind::DelayedAck => "delayed-ACK",
            t => t.name(),
        };
        write!(f, "{name} timer fired {}", TimerWait::of(self.0))
    }
}

/// What a timer waited, and why that long: `after 1 s (RTO)`.
pub struct TimerWait {
    pub timer: TimerKind,
    pub after_us: u64,
    pub rto_us: Option<u64>,
}

impl TimerWait {
    fn of(t: &TimerText) -> TimerWait {
        TimerWait {
            timer: t.timer,
            after_us: t.after_us,
            rto_us: t.rto_us,
        }
    }
}

/// Why TIME-WAIT lasts as long as it does: `2*MSL`, `Linux's fixed 60 s,
/// TCP_TIMEWAIT_LEN`.
struct TimeWaitLength(u64);

impl Display for TimeWaitLength {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            TWO_MSL_US => f.write_str("2*MSL"),
            TCP_TIMEWAIT_LEN_US => f.write_str("Linux's fixed 60 s, TCP_TIMEWAIT_LEN"),
            other => write!(f, "TIME-WAIT lasts {}", Duration(other)),
        }
    }
}

/// What the time-wait timer waited, in seconds as the time column counts
/// them (`after 240 s (2*MSL)`: 0.050 + 240 is 240.050), and why: the
/// length once, not `after 1 min (Linux's fixed 60 s, …)`.
struct TimeWaitWait(u64);

impl Display for TimeWaitWait {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let us = self.0;
        if us.is_multiple_of(1_000_000) {
            write!(f, "after {} s", us / 1_000_000)?;
        } else {
            write!(f, "after {}", Duration(us))?;
        }
        match us {
            TWO_MSL_US => f.write_str(" (2*MSL, MSL = 2 min)"),
            TCP_TIMEWAIT_LEN_US => f.write_str(" (Linux's fixed TIME-WAIT, TCP_TIMEWAIT_LEN)"),
            _ => Ok(()),
        }
    }
}

/// RFC 9293 3.3.2's TIME-WAIT: 2*MSL with MSL = 2 minutes (the rfc profile).
const TWO_MSL_US: u64 = 240_000_000;
/// Linux's fixed TIME-WAIT, `TCP_TIMEWAIT_LEN` (the linux profile).
const TCP_TIMEWAIT_LEN_US: u64 = 60_000_000;

impl Display for TimerWait {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let (TimerKind::TimeWait, None) = (self.timer, self.rto_us) {
            return write!(f, "{}", TimeWaitWait(self.after_us));
        }
        write!(f, "after {}", Duration(self.after_us))?;
        match (self.timer, self.rto_us) {
            // The retransmission timeout (RFC 6298, with its backoff) it ran for.
            (_, Some(rto)) if rto == self.after_us => f.write_str(" (RTO)"),
            (_, Some(rto)) => write!(f, " (RTO {})", Duration(rto)),
            (TimerKind::DelayedAck, None) => f.write_str(" (delayed-ACK timeout)"),
            (TimerKind::LossProbe, None) => f.write_str(" (tail loss probe, RFC 8985)"),
            (TimerKind::Retransmit | TimerKind::Persist | TimerKind::TimeWait, None) => Ok(()),
        }
    }
}

/// A duration for people: `4 min`, `1.5 s`, `20 ms`, `300 µs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Duration(pub u64);

impl Display for Duration {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let us = self.0;
        if us >= 60_000_000 && us.is_multiple_of(60_000_000) {
            write!(f, "{} min", us / 60_000_000)
        } else if us >= 1_000_000 {
            write!(f, "{} s", Decimal(us, 1_000_000))
        } else if us >= 1_000 {
            write!(f, "{} ms", Decimal(us, 1_000))
        } else {
            write!(f, "{us} µs")
        }
    }
}

/// `n / unit` in decimal, without trailing zeros: `Decimal(1500, 1000)` is `1.5`.
struct Decimal(u64, u64);

impl Display for Decimal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (n, unit) = (self.0, self.1);
        write!(f, "{}", n / unit)?;
        let mut frac = n % unit;
        if frac == 0 {
            return Ok(());
        }
        f.write_char('.')?;
        let mut scale = unit / 10;
        while frac > 0 && scale > 0 {
            write!(f, "{}", frac / scale)?;
            frac %= scale;
            scale /= 10;
        }
        Ok(())
    }
}

/// A time in seconds with fixed decimals: `Secs::millis` gives `1.250`
/// (three decimals, six when the time is not a whole millisecond),
/// `Secs::micros` always six (`1.250000`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Secs {
    us: u64,
    always_micros: bool,
}

impl Secs {
    pub fn millis(us: u64) -> Secs {
        Secs {
            us,
            always_micros: false,
        }
    }
    pub fn micros(us: u64) -> Secs {
        Secs {
            us,
            always_micros: true,
        }
    }
}

impl Display for Secs {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (s, frac) = (self.us / 1_000_000, self.us % 1_000_000);
        if !self.always_micros && frac.is_multiple_of(1000) {
            write!(f, "{s}.{:03}", frac / 1000)
        } else {
            write!(f, "{s}.{frac:06}")
        }
    }
}

#[cfg(test)]
#[path = "words_tests.rs"]
mod tests;
