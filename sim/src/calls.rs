//! Socket calls and what they return, typed: the app side of a transcript.
//!
//! The simulated world ([`crate::world`]) and the real runner (`synack real`)
//! both describe every call an app makes as a [`Call`] and its outcome as a
//! [`CallResult`]. Neither writes English: the words a reader sees ("ok:
//! connected", "blocked: waiting for data", …) live in one place, the CLI's
//! renderers, which is also what keeps the JSON `call` and `result` strings
//! identical in every command (docs/transcript-json.md).

use crate::endpoint::{CallError, SockError};

/// The longest stretch of received bytes a [`Received`] keeps to show.
pub const PREVIEW_BYTES: usize = 40;

/// Bytes a bulk reader (`recv all`) asks for per read, in the simulation
/// and in `synack real` alike, so that a Linux receiver frees its buffer and
/// updates its window at the same points in both.
pub const READ_CHUNK: usize = 64 * 1024;

/// What `send` hands to the socket.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SendData {
    /// `send "text"`: these bytes.
    Text(Vec<u8>),
    /// `send N bytes`: N bytes of a generated, recognisable pattern.
    Bytes(u64),
}

/// How much `recv` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecvMax {
    /// `recv`: whatever is there (at least one byte) or end of stream.
    Any,
    /// `recv N`: at most N bytes.
    UpTo(u32),
    /// `recv exactly N`: waits until N bytes are there (or no more can
    /// come) and returns exactly N (like `MSG_WAITALL`): reading a
    /// length-prefixed message whole.
    Exactly(u32),
    /// `recv all`: everything until end of stream (a bulk reader).
    All,
}

/// A socket call, as the app made it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Call {
    /// `listen(PORT)`: passive OPEN (RFC 9293 3.10.1).
    Listen { port: u16 },
    /// `connect(PORT)`: active OPEN to that port (RFC 9293 3.10.1).
    Connect { port: u16 },
    /// `accept()`: the connection of the current `listen`.
    Accept,
    /// `send(...)`: SEND (RFC 9293 3.10.2).
    Send(SendData),
    /// `recv(...)`: RECEIVE (RFC 9293 3.10.3).
    Recv(RecvMax),
    /// `shutdown(SHUT_WR)`: CLOSE of the sending side only.
    Shutdown,
    /// `close()`: CLOSE (RFC 9293 3.10.4).
    Close,
    /// `abort()`: ABORT (RFC 9293 3.10.5), as `SO_LINGER` 0 then `close()`.
    Abort,
    /// UDP `bind(PORT)`: the socket receives datagrams sent to that port.
    Bind { port: u16 },
    /// UDP `sendto(DATA, PORT)`: one datagram to that port.
    SendTo { port: u16, data: SendData },
    /// UDP `recvfrom()`: one whole datagram.
    RecvFrom,
}

/// Why a call is still waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Blocked {
    /// `connect`: the handshake has not completed.
    Handshake,
    /// `accept`: no connection is established yet.
    Connection,
    /// `recv`: no data and no end of stream yet.
    Data,
    /// `recv all`: it has read this many bytes already and waits for more
    /// (reading them is what opened the window the peer now fills).
    MoreData(u64),
    /// UDP `recvfrom`: no datagram yet.
    Datagram,
}

/// Bytes a `recv` returned: how many, and the first few of them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Received {
    /// How many bytes were read.
    pub len: u64,
    /// The first bytes read, at most [`PREVIEW_BYTES`].
    pub preview: Vec<u8>,
}

impl Received {
    /// All of `bytes`, keeping at most [`PREVIEW_BYTES`] of them to show.
    pub fn of(bytes: &[u8]) -> Received {
        Received {
            len: bytes.len() as u64,
            preview: bytes[..bytes.len().min(PREVIEW_BYTES)].to_vec(),
        }
    }

    /// Whether every byte read is in the preview.
    pub fn is_whole(&self) -> bool {
        self.len == self.preview.len() as u64
    }
}

/// Why a call failed: an error of RFC 9293 3.10 or its socket errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Failure {
    /// A RST answered our SYN: nobody listens there (ECONNREFUSED).
    Refused,
    /// The peer reset the connection (ECONNRESET).
    Reset,
    /// Retransmissions ran out (ETIMEDOUT).
    TimedOut,
    /// RFC 9293 3.10: "connection does not exist" (ENOTCONN).
    NotConnected,
    /// RFC 9293 3.10.1: "connection already exists" (EISCONN).
    AlreadyOpen,
    /// RFC 9293 3.10.2: "connection closing" (EPIPE).
    Closing,
    /// `accept` on a socket that does not listen (EINVAL).
    NotListening,
    /// The connection went to CLOSED under a waiting call.
    Closed,
    /// Nothing will ever arrive: the call would block forever.
    BlocksForever,
    /// A datagram larger than UDP can carry (EMSGSIZE).
    MessageTooLong,
    /// The call stayed blocked for the world's limit (only timers kept
    /// firing): it would block forever.
    GaveUp,
    /// A real socket call failed with this errno, which none of the above
    /// names (`synack real`).
    Errno(i32),
}

/// The errno numbers the linux profile names (Linux
/// `include/uapi/asm-generic/errno-base.h` and `errno.h`).
pub mod errno {
    pub const EBADF: i32 = 9;
    pub const EINVAL: i32 = 22;
    pub const EPIPE: i32 = 32;
    pub const ECONNRESET: i32 = 104;
    pub const EISCONN: i32 = 106;
    pub const ENOTCONN: i32 = 107;
    pub const ETIMEDOUT: i32 = 110;
    pub const ECONNREFUSED: i32 = 111;
}

impl Failure {
    /// The socket errno of this failure, for one that a socket call returns
    /// (the table in docs/transcript-json.md, "Errors").
    pub fn errno(self) -> Option<i32> {
        Some(match self {
            Failure::Refused => errno::ECONNREFUSED,
            Failure::Reset => errno::ECONNRESET,
            Failure::TimedOut => errno::ETIMEDOUT,
            Failure::NotConnected => errno::ENOTCONN,
            Failure::AlreadyOpen => errno::EISCONN,
            Failure::Closing => errno::EPIPE,
            Failure::NotListening => errno::EINVAL,
            Failure::Errno(n) => n,
            Failure::Closed
            | Failure::BlocksForever
            | Failure::MessageTooLong
            | Failure::GaveUp => return None,
        })
    }

    /// The same failure named by its errno where it has one (the linux
    /// profile shows errno names, as a socket program sees them).
    pub fn as_errno(self) -> Failure {
        self.errno().map_or(self, Failure::Errno)
    }
}

impl From<SockError> for Failure {
    fn from(e: SockError) -> Failure {
        match e {
            SockError::Refused => Failure::Refused,
            SockError::Reset => Failure::Reset,
            SockError::TimedOut => Failure::TimedOut,
        }
    }
}

impl From<CallError> for Failure {
    fn from(e: CallError) -> Failure {
        match e {
            CallError::NotConnected => Failure::NotConnected,
            CallError::AlreadyOpen => Failure::AlreadyOpen,
            CallError::Closing => Failure::Closing,
            CallError::BadDescriptor => Failure::Errno(errno::EBADF),
            CallError::Failed(e) => e.into(),
        }
    }
}

/// What a call returned (or that it has not returned yet).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CallResult {
    /// Done.
    Ok,
    /// `connect`: the handshake completed.
    Connected,
    /// `accept`: a connection from the peer's `port`.
    Accepted { port: u16 },
    /// `close` with unread data: the connection was reset instead of closed
    /// (RFC 9293 3.10.4, RFC 2525 2.17).
    ClosedWithReset,
    /// The call waits; its result follows in a later event.
    Blocked(Blocked),
    /// `recv`: these bytes.
    Data(Received),
    /// `recv`: the peer closed its side and every byte has been read.
    EndOfStream,
    /// `recv all`: these bytes, then end of stream.
    DataThenEnd(Received),
    /// `recv all`: these bytes, and then nothing more would ever arrive.
    DataNoEnd(Received),
    /// The call failed.
    Failed(Failure),
    /// `recv all` failed after reading these bytes.
    FailedAfter(Failure, Received),
    /// `recvfrom`: one whole datagram, from this port.
    Datagram { from_port: u16, data: Received },
}

impl CallResult {
    /// The same result with its failure named by errno ([`Failure::as_errno`]).
    pub fn as_errno(&self) -> CallResult {
        match self {
            CallResult::Failed(f) => CallResult::Failed(f.as_errno()),
            CallResult::FailedAfter(f, r) => CallResult::FailedAfter(f.as_errno(), r.clone()),
            other => other.clone(),
        }
    }
}

impl From<Result<(), CallError>> for CallResult {
    fn from(r: Result<(), CallError>) -> CallResult {
        match r {
            Ok(()) => CallResult::Ok,
            Err(e) => CallResult::Failed(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_keeps_a_short_preview() {
        let short = Received::of(b"hello");
        assert_eq!(short.len, 5);
        assert!(short.is_whole());
        let long = Received::of(&[b'x'; 100]);
        assert_eq!(long.len, 100);
        assert_eq!(long.preview.len(), PREVIEW_BYTES);
        assert!(!long.is_whole());
    }

    #[test]
    fn endpoint_errors_map_to_failures() {
        assert_eq!(
            Failure::from(CallError::Failed(SockError::Reset)),
            Failure::Reset
        );
        assert_eq!(
            CallResult::from(Err(CallError::Closing)),
            CallResult::Failed(Failure::Closing)
        );
        assert_eq!(CallResult::from(Ok(())), CallResult::Ok);
    }
}
