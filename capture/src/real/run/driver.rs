//! The socket calls of a real run: one worker thread per endpoint, doing
//! that endpoint's calls in order on real kernel sockets (socket2), blocking
//! as the kernel blocks, and telling the runner what each call returned.
//!
//! # Calling order
//! [`Endpoint::spawn`] per side (after the namespace is entered); then
//! [`Endpoint::call`] for each of the side's calls, in the scenario's order.
//! The worker sends [`Report`]s on the channel it was given: `Blocked` when
//! a call has to wait (the same test as the simulator's: nothing there yet),
//! `Returned` when the scenario may go on (for `send`, once the kernel took
//! what it could take at once; the rest is written in the background, as the
//! simulator's `send` returns at once), and `Done` with the result. Every
//! wait polls in short slices, so the shared stop flag ends any call.

use super::super::clock::now_ns;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io::{self, ErrorKind, Read};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, SocketAddrV4};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Barrier};
use std::thread::JoinHandle;
use synack_sim::calls::{
    Blocked, Call, CallResult, Failure, Received, RecvMax, SendData, PREVIEW_BYTES,
};
use synack_sim::endpoint::pattern_byte;
use synack_sim::Side;

/// How long one wait slice lasts before the stop flag is looked at, ms.
const SLICE_MS: i32 = 20;
/// Bytes a `send N bytes` writes per system call.
const CHUNK: usize = 64 * 1024;

/// A call to make, with what the runner resolved (the addresses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Cmd {
    Listen {
        port: u16,
    },
    Connect {
        local: SocketAddrV4,
        remote: SocketAddrV4,
    },
    Accept,
    Send(SendData),
    Recv(RecvMax),
    Shutdown,
    Close,
    Abort,
}

impl Cmd {
    /// The call as the transcript shows it.
    pub(super) fn call(&self) -> Call {
        match self {
            Cmd::Listen { port } => Call::Listen { port: *port },
            Cmd::Connect { remote, .. } => Call::Connect {
                port: remote.port(),
            },
            Cmd::Accept => Call::Accept,
            Cmd::Send(d) => Call::Send(d.clone()),
            Cmd::Recv(m) => Call::Recv(*m),
            Cmd::Shutdown => Call::Shutdown,
            Cmd::Close => Call::Close,
            Cmd::Abort => Call::Abort,
        }
    }
}

/// What a worker tells the runner about a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Report {
    /// The call waits (the transcript's "blocked: …"), at `t_ns`.
    Blocked {
        side: Side,
        call: Call,
        why: Blocked,
        t_ns: u64,
    },
    /// The scenario may go on past this call.
    Returned { side: Side },
    /// The call's result, at `t_ns`.
    Done {
        side: Side,
        call: Call,
        result: CallResult,
        t_ns: u64,
    },
}

/// A call, and the barrier it meets with the other calls of its step (`&`:
/// the same instant) just before the system call that acts.
pub(super) struct Job {
    pub cmd: Cmd,
    pub together: Option<Arc<Barrier>>,
}

/// One endpoint's worker.
pub(super) struct Endpoint {
    tx: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Endpoint {
    /// Starts the worker of `side`, whose sockets bind to `addr`.
    pub(super) fn spawn(
        side: Side,
        addr: Ipv4Addr,
        reports: Sender<Report>,
        stop: Arc<AtomicBool>,
    ) -> io::Result<Endpoint> {
        let (tx, rx) = channel();
        let thread = std::thread::Builder::new()
            .name(format!("synack-{side}"))
            .spawn(move || {
                Worker {
                    side,
                    addr,
                    listener: None,
                    conn: None,
                    closed: false,
                    reports,
                    stop,
                    returned: false,
                    started_ns: 0,
                    waited: false,
                    together: None,
                }
                .serve(rx)
            })?;
        Ok(Endpoint {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Queues a call; the worker makes it after the side's earlier calls.
    pub(super) fn call(&self, job: Job) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(job);
        }
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The sockets of one endpoint and the calls on them.
struct Worker {
    side: Side,
    addr: Ipv4Addr,
    /// A listening socket (`listen` until `accept` takes its connection:
    /// the simulator's endpoint has one TCB, which a LISTEN turns into the
    /// connection, so the listener goes once it has given its connection).
    listener: Option<Socket>,
    /// The connection.
    conn: Option<Socket>,
    /// The program closed (or aborted) its socket: every later call but
    /// `listen` and `connect` (a new socket) finds its descriptor gone,
    /// EBADF, as the simulator's linux profile says.
    closed: bool,
    reports: Sender<Report>,
    stop: Arc<AtomicBool>,
    /// The current call already told the runner it returned.
    returned: bool,
    /// When the current call began, and whether it had to wait.
    started_ns: u64,
    waited: bool,
    /// The current call's barrier with the other calls of its step.
    together: Option<Arc<Barrier>>,
}

/// What waiting on a socket ended with.
enum Waited {
    Ready,
    Stopped,
}

impl Worker {
    fn serve(mut self, rx: Receiver<Job>) {
        while let Ok(Job { cmd, together }) = rx.recv() {
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            self.together = together;
            let call = cmd.call();
            self.returned = false;
            self.waited = false;
            self.started_ns = now_ns();
            let result = self.run(cmd);
            // A call that never waited returned at once: it is shown where
            // it began, before the segments it made the kernel send (as the
            // simulator shows `send` before its segment).
            let t_ns = if self.waited || self.returned {
                now_ns()
            } else {
                self.started_ns
            };
            let _ = self.reports.send(Report::Done {
                side: self.side,
                call,
                result,
                t_ns,
            });
            if !self.returned {
                let _ = self.reports.send(Report::Returned { side: self.side });
            }
        }
    }

    fn report(&self, r: Report) {
        let _ = self.reports.send(r);
    }

    /// The call has to wait: said at the instant it began.
    fn blocked(&mut self, call: Call, why: Blocked) {
        self.waited = true;
        self.report(Report::Blocked {
            side: self.side,
            call,
            why,
            t_ns: self.started_ns,
        });
    }

    /// Meets the other calls of the step, once, right before acting.
    fn meet(&mut self) {
        if let Some(b) = self.together.take() {
            b.wait();
        }
        self.started_ns = now_ns();
    }

    fn run(&mut self, cmd: Cmd) -> CallResult {
        let call = cmd.call();
        if !matches!(cmd, Cmd::Connect { .. } | Cmd::Listen { .. }) {
            self.meet();
        }
        match cmd {
            Cmd::Listen { port } => self.listen(port),
            Cmd::Connect { local, remote } => self.connect(call, local, remote),
            Cmd::Accept => self.accept(call),
            Cmd::Send(data) => self.send(data),
            Cmd::Recv(max) => self.recv(call, max),
            Cmd::Shutdown => match self.unconnected() {
                Some(r) => r,
                None => match self.conn.as_ref().or(self.listener.as_ref()) {
                    Some(s) => result(s.shutdown(Shutdown::Write)),
                    None => self.on_fresh_socket(|s| result(s.shutdown(Shutdown::Write))),
                },
            },
            Cmd::Close => self.close(),
            Cmd::Abort => {
                if let Some(r) = self.unconnected() {
                    return r;
                }
                // ABORT (RFC 9293 3.10.5) as sockets do it: SO_LINGER with a
                // zero timeout, then close: the kernel sends RST.
                if let Some(s) = self.conn.take() {
                    let _ = s.set_linger(Some(std::time::Duration::ZERO));
                }
                self.listener = None;
                self.closed = true;
                CallResult::Ok
            }
        }
    }

    /// A call on a socket the program closed: EBADF. `None` otherwise.
    fn unconnected(&self) -> Option<CallResult> {
        self.closed
            .then_some(CallResult::Failed(Failure::Errno(libc::EBADF)))
    }

    /// A call made before `listen` or `connect`, on the socket a program
    /// would have from socket(2): the kernel answers (send EPIPE, recv and
    /// shutdown ENOTCONN), not the runner.
    fn on_fresh_socket(&self, call: impl FnOnce(&Socket) -> CallResult) -> CallResult {
        match Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)) {
            Ok(s) => call(&s),
            Err(e) => failed(&e),
        }
    }

    fn socket(&self) -> io::Result<Socket> {
        let s = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
        s.set_reuse_address(true)?;
        Ok(s)
    }

    fn listen(&mut self, port: u16) -> CallResult {
        self.meet();
        if self.listener.is_some() || self.conn.is_some() {
            return CallResult::Failed(Failure::AlreadyOpen);
        }
        let s = match self.socket() {
            Ok(s) => s,
            Err(e) => return failed(&e),
        };
        let addr = SocketAddr::V4(SocketAddrV4::new(self.addr, port));
        match s.bind(&addr.into()).and_then(|()| s.listen(16)) {
            Ok(()) => {
                self.listener = Some(s);
                self.closed = false;
                CallResult::Ok
            }
            Err(e) => failed(&e),
        }
    }

    fn connect(&mut self, call: Call, local: SocketAddrV4, remote: SocketAddrV4) -> CallResult {
        if self.conn.is_some() {
            self.meet();
            return CallResult::Failed(Failure::AlreadyOpen);
        }
        // A listening socket cannot connect on Linux (EISCONN): the
        // kernel's answer, as the linux profile gives it
        // (`connect_from_listen`).
        if self.listener.is_some() {
            self.meet();
        }
        if let Some(l) = &self.listener {
            return match l.connect(&SockAddr::from(SocketAddr::V4(remote))) {
                Ok(()) => CallResult::Connected,
                Err(e) => failed(&e),
            };
        }
        let s = match self.socket() {
            Ok(s) => s,
            Err(e) => {
                self.meet();
                return failed(&e);
            }
        };
        let setup = s
            .bind(&SocketAddr::V4(local).into())
            .and_then(|()| s.set_nonblocking(true));
        if let Err(e) = setup {
            self.meet();
            return failed(&e);
        }
        // Both sides of a simultaneous open have their sockets bound before
        // either sends its SYN.
        self.meet();
        match s.connect(&SockAddr::from(SocketAddr::V4(remote))) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {
                self.blocked(call, Blocked::Handshake);
                if let Waited::Stopped = self.wait(s.as_raw_fd(), libc::POLLOUT) {
                    return CallResult::Failed(Failure::BlocksForever);
                }
                match s.take_error() {
                    Ok(None) => {}
                    Ok(Some(e)) | Err(e) => return failed(&e),
                }
            }
            Err(e) => return failed(&e),
        }
        let _ = s.set_nonblocking(false);
        self.conn = Some(s);
        self.closed = false;
        CallResult::Connected
    }

    fn accept(&mut self, call: Call) -> CallResult {
        let Some(fd) = self.listener.as_ref().map(AsRawFd::as_raw_fd) else {
            return CallResult::Failed(if self.conn.is_some() {
                // One listen, one connection: like the simulator's second
                // accept, nothing more will come.
                Failure::BlocksForever
            } else {
                Failure::NotListening
            });
        };
        if !ready(fd, libc::POLLIN) {
            self.blocked(call, Blocked::Connection);
            if let Waited::Stopped = self.wait(fd, libc::POLLIN) {
                return CallResult::Failed(Failure::BlocksForever);
            }
        }
        let Some(l) = &self.listener else {
            return CallResult::Failed(Failure::NotListening);
        };
        match l.accept() {
            Ok((s, peer)) => {
                let port = peer.as_socket().map_or(0, |a| a.port());
                self.conn = Some(s);
                self.listener = None;
                CallResult::Accepted { port }
            }
            Err(e) => failed(&e),
        }
    }

    /// `send`: writes everything, the first pass without waiting; the
    /// scenario goes on after that pass, the rest follows as the peer reads.
    fn send(&mut self, data: SendData) -> CallResult {
        if let Some(r) = self.unconnected() {
            return r;
        }
        let Some(s) = &self.conn else {
            let some = |s: &Socket| match send_some(s.as_raw_fd(), b"?") {
                Ok(_) => CallResult::Ok,
                Err(e) => failed(&e),
            };
            return match &self.listener {
                Some(l) => some(l),
                None => self.on_fresh_socket(some),
            };
        };
        let fd = s.as_raw_fd();
        let total = match &data {
            SendData::Text(b) => b.len() as u64,
            SendData::Bytes(n) => *n,
        };
        let mut sent = 0u64;
        let mut chunk = Vec::with_capacity(CHUNK);
        while sent < total {
            chunk.clear();
            let n = (total - sent).min(CHUNK as u64) as usize;
            match &data {
                SendData::Text(b) => chunk.extend_from_slice(&b[sent as usize..sent as usize + n]),
                SendData::Bytes(_) => chunk.extend((sent..sent + n as u64).map(pattern_byte)),
            }
            // MSG_DONTWAIT: as much as the socket takes now.
            match send_some(fd, &chunk) {
                Ok(k) => sent += k as u64,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if !self.returned {
                        self.report(Report::Returned { side: self.side });
                        self.returned = true;
                    }
                    if let Waited::Stopped = self.wait(fd, libc::POLLOUT) {
                        return CallResult::Failed(Failure::BlocksForever);
                    }
                }
                Err(e) => return failed(&e),
            }
        }
        CallResult::Ok
    }

    fn recv(&mut self, call: Call, max: RecvMax) -> CallResult {
        if let Some(r) = self.unconnected() {
            return r;
        }
        let Some(s) = &self.conn else {
            let some = |s: &Socket| {
                let mut b = [std::mem::MaybeUninit::<u8>::uninit(); 1];
                match s.recv_with_flags(&mut b, libc::MSG_DONTWAIT) {
                    Ok(_) => CallResult::EndOfStream,
                    Err(e) => failed(&e),
                }
            };
            return match &self.listener {
                Some(l) => some(l),
                None => self.on_fresh_socket(some),
            };
        };
        let fd = s.as_raw_fd();
        if !ready(fd, libc::POLLIN) {
            self.blocked(call, Blocked::Data);
        }
        let stop = self.stop.clone();
        let Some(s) = &mut self.conn else {
            return CallResult::Failed(Failure::NotConnected);
        };
        let mut buf = vec![0u8; synack_sim::calls::READ_CHUNK];
        let mut got = Received::default();
        if let RecvMax::Exactly(n) = max {
            return read_exactly(s, &stop, n as usize);
        }
        loop {
            if let Waited::Stopped = wait(&stop, fd, libc::POLLIN) {
                return CallResult::Failed(Failure::BlocksForever);
            }
            let want = match max {
                RecvMax::UpTo(n) => buf.len().min(n as usize),
                _ => buf.len(),
            };
            match s.read(&mut buf[..want]) {
                Ok(0) if max == RecvMax::All => return CallResult::DataThenEnd(got),
                Ok(0) => return CallResult::EndOfStream,
                Ok(n) if max != RecvMax::All => return CallResult::Data(Received::of(&buf[..n])),
                Ok(n) => {
                    let room = PREVIEW_BYTES.saturating_sub(got.preview.len());
                    got.preview.extend_from_slice(&buf[..n.min(room)]);
                    got.len += n as u64;
                }
                Err(e)
                    if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => {}
                Err(e) if max == RecvMax::All && got.len > 0 => {
                    return CallResult::FailedAfter(failure(&e), got)
                }
                Err(e) => return failed(&e),
            }
        }
    }

    fn close(&mut self) -> CallResult {
        if let Some(r) = self.unconnected() {
            return r;
        }
        self.closed = true;
        match (self.conn.take(), self.listener.take()) {
            (Some(s), _) => {
                // Closing with unread data resets the connection (RFC 9293
                // 3.10.4, RFC 2525 2.17; Linux tcp_close()).
                let unread = unread(s.as_raw_fd());
                drop(s);
                if unread > 0 {
                    CallResult::ClosedWithReset
                } else {
                    CallResult::Ok
                }
            }
            // close(2) of a listener, or of the socket socket(2) gave a
            // program that never used it: 0.
            (None, _) => CallResult::Ok,
        }
    }

    fn wait(&self, fd: RawFd, events: i16) -> Waited {
        wait(&self.stop, fd, events)
    }
}

/// `recv exactly N` (MSG_WAITALL): `n` bytes, fewer only at end of stream.
fn read_exactly(s: &mut Socket, stop: &AtomicBool, n: usize) -> CallResult {
    let mut data = Vec::with_capacity(n);
    let mut buf = vec![0u8; n.clamp(1, CHUNK)];
    while data.len() < n {
        if let Waited::Stopped = wait(stop, s.as_raw_fd(), libc::POLLIN) {
            return CallResult::Failed(Failure::BlocksForever);
        }
        let want = (n - data.len()).min(buf.len());
        match s.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(k) => data.extend_from_slice(&buf[..k]),
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return failed(&e),
        }
    }
    if data.is_empty() {
        CallResult::EndOfStream
    } else {
        CallResult::Data(Received::of(&data))
    }
}

/// Waits until `fd` is ready for `events` (or has an error or hang-up), in
/// slices, ending early when `stop` is set.
fn wait(stop: &AtomicBool, fd: RawFd, events: i16) -> Waited {
    loop {
        if stop.load(Ordering::SeqCst) {
            return Waited::Stopped;
        }
        if poll(fd, events, SLICE_MS) {
            return Waited::Ready;
        }
    }
}

/// Whether `fd` is ready for `events` now.
fn ready(fd: RawFd, events: i16) -> bool {
    poll(fd, events, 0)
}

fn poll(fd: RawFd, events: i16, timeout_ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd, its count 1.
    let n = unsafe { libc::poll(&mut p, 1, timeout_ms) };
    n > 0 && p.revents != 0
}

/// Bytes waiting to be read (FIONREAD).
fn unread(fd: RawFd) -> i32 {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int through the pointer, which is valid.
    let r = unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) };
    if r == 0 {
        n
    } else {
        0
    }
}

/// `send(2)` with MSG_DONTWAIT | MSG_NOSIGNAL.
fn send_some(fd: RawFd, data: &[u8]) -> io::Result<usize> {
    // SAFETY: the pointer and length describe `data`, valid for the call.
    let n = unsafe {
        libc::send(
            fd,
            data.as_ptr().cast(),
            data.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

fn result(r: io::Result<()>) -> CallResult {
    match r {
        Ok(()) => CallResult::Ok,
        Err(e) => failed(&e),
    }
}

fn failed(e: &io::Error) -> CallResult {
    CallResult::Failed(failure(e))
}

/// A socket error as the transcript names it (RFC 9293 3.10's words where
/// one fits, the errno otherwise).
pub(super) fn failure(e: &io::Error) -> Failure {
    match e.raw_os_error() {
        Some(libc::ECONNREFUSED) => Failure::Refused,
        Some(libc::ECONNRESET) | Some(libc::ECONNABORTED) => Failure::Reset,
        Some(libc::ETIMEDOUT) => Failure::TimedOut,
        Some(libc::ENOTCONN) | Some(libc::EBADF) => Failure::NotConnected,
        Some(libc::EISCONN) | Some(libc::EALREADY) => Failure::AlreadyOpen,
        Some(libc::EPIPE) => Failure::Closing,
        Some(n) => Failure::Errno(n),
        None => Failure::Errno(libc::EIO),
    }
}
