//! The NFQUEUE link: the scenario's rtt and fault rules applied to the real
//! packets between the run's address pair.
//!
//! # Calling order
//! 1. [`NfqLink::start`]`(cfg, verdicts)`, inside the run's namespace, after
//!    the capture has started (so no packet goes uncaptured): binds the
//!    queue, installs the iptables rule (`iptables.rs`), opens the raw socket
//!    for duplicates, and starts the queue thread.
//! 2. While the scenario runs, the thread, for each packet: decodes it,
//!    asks [`Verdicts::verdict`] (on the thread), holds it, applies the
//!    verdict at its deadline, then calls [`Verdicts::applied`] and sends
//!    [`LinkEvent`]s to [`NfqLink::events`].
//! 3. [`NfqLink::stop`] when the scenario is over: packets still held are
//!    released at once (accepted, or dropped if that was their verdict), the
//!    thread ends, and the [`LinkReport`] has a [`VerdictRecord`] for every
//!    packet. Packets sent after `stop` are dropped by the kernel (the rule
//!    stays, nobody listens on the queue: `nfqnl_enqueue_packet` → -ESRCH).
//!
//! # Verdicts
//! Every packet is held rtt/2 from the moment the thread read it, so a round
//! trip takes the scenario's rtt (loopback itself adds microseconds):
//! * `Pass` → accepted after rtt/2;
//! * `Delay(d)` → accepted after rtt/2 + d (later packets may overtake it);
//! * `Drop` → dropped at once (NF_DROP). libpcap captured it already: `lo`'s
//!   taps run before PREROUTING (see `iptables.rs`);
//! * `Duplicate` → accepted after rtt/2, then a copy is sent with the raw
//!   socket ([`super::rawsock`]), marked [`super::SKIP_MARK`] so the rule
//!   lets it through. The copy is captured as a second frame, with the same
//!   [`super::packet_key`].
//!
//! Verdicts are given out of order by packet id: NFQUEUE allows it
//! (net/netfilter/nfnetlink_queue.c, `find_dequeue_entry` looks the id up
//! in the queue's list). An `accept` verdict reinjects the packet
//! synchronously (`nf_reinject` → `ip_rcv_finish` → `tcp_v4_rcv`, in the
//! `sendmsg` of the verdict), so when [`Verdicts::applied`] runs, the
//! receiving socket has processed the packet (unless the socket was locked
//! by its owner at that instant: then it is on the backlog, processed at
//! `release_sock`).
//!
//! # Timing
//! The hold starts when the thread reads the packet ([`VerdictRecord::t_ns`]).
//! A reply made inside a verdict's `sendmsg` is read right after it, tens
//! of microseconds from its send time; a packet an application sends waits
//! for the thread to wake (~0.05 ms idle, ~1 ms on a loaded machine). The
//! thread runs SCHED_FIFO where the process may (root), so its deadlines
//! are met within ~0.2 ms under load; without it, milliseconds. The hooks
//! run on this thread: keep them short (an inet_diag poll is ~1 ms).

use super::clock::now_ns;
use super::iptables::{self, RuleError};
use super::netns::Netns;
use super::packet::{decode_ip, packet_key};
use super::rawsock::RawSender;
use super::schedule::Schedule;
use super::{AddrPair, SKIP_MARK};
use std::io;
use std::net::{SocketAddr, SocketAddrV4};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use synack_sim::link::{Link, Verdict};
use synack_sim::{Dir, TcpHeader};

/// The link's settings.
#[derive(Clone, Debug)]
pub struct LinkConfig {
    pub pair: AddrPair,
    /// Round-trip time; each packet is held rtt/2.
    pub rtt_us: u64,
    /// The NFQUEUE number (queues are per network namespace).
    pub queue_num: u16,
    /// Packets the kernel may hold for the queue before it drops new ones
    /// (reported as `queue_dropped`).
    pub queue_max_len: u32,
}

impl LinkConfig {
    /// The link of `netns`'s pair with the given rtt, queue 0.
    pub fn new(netns: &Netns, rtt_us: u64) -> LinkConfig {
        LinkConfig {
            pair: netns.pair,
            rtt_us,
            queue_num: 0,
            queue_max_len: 65_536,
        }
    }
}

/// What decides each packet's fate; called on the queue thread.
pub trait Verdicts: Send + 'static {
    /// The verdict of one packet, in the order the packets reach the queue.
    fn verdict(&mut self, dir: Dir, hdr: &TcpHeader) -> Verdict;
    /// Called right after a verdict was applied (the packet accepted and
    /// processed by the receiver, or dropped, or its copy sent), before any
    /// other packet is released: the place to query inet_diag.
    fn applied(&mut self, record: &VerdictRecord) {
        let _ = record;
    }
}

/// The simulator's rule engine, as is.
impl Verdicts for Link {
    fn verdict(&mut self, dir: Dir, hdr: &TcpHeader) -> Verdict {
        Link::verdict(self, dir, hdr)
    }
}

/// A closure as [`Verdicts`] (no `applied` hook).
pub struct VerdictFn<F>(pub F);

impl<F: FnMut(Dir, &TcpHeader) -> Verdict + Send + 'static> Verdicts for VerdictFn<F> {
    fn verdict(&mut self, dir: Dir, hdr: &TcpHeader) -> Verdict {
        (self.0)(dir, hdr)
    }
}

/// One packet that went through the link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerdictRecord {
    /// 1-based, in the order the link read the packets.
    pub n: u64,
    /// The NFQUEUE packet id.
    pub packet_id: u32,
    /// When the queue thread read the packet (monotonic ns); the hold
    /// counts from here. That is the packet's send time plus the thread's
    /// wake-up latency: about 0.1 ms, up to a few ms on a busy machine.
    /// (The kernel's own stamp, NFQA_TIMESTAMP, would be exact, but nfq
    /// 0.2.5 reads it through a misaligned pointer, which panics in debug
    /// builds: `Message::get_timestamp` is not used.)
    pub t_ns: u64,
    pub dir: Dir,
    pub src: SocketAddrV4,
    pub dst: SocketAddrV4,
    pub hdr: TcpHeader,
    /// [`super::packet_key`] of the packet: the captured frame with the
    /// same key is this packet (the first such frame; a duplicate's copy is
    /// the second).
    pub key: u64,
    pub verdict: Verdict,
    /// When its verdict is due: `t_ns` + rtt/2 (+ the delay), or `t_ns`
    /// for a drop.
    pub due_ns: u64,
    /// When the verdict was applied; `None` until then.
    pub applied_ns: Option<u64>,
    /// When the duplicate's copy was sent.
    pub copy_sent_ns: Option<u64>,
    /// Released early because the link stopped.
    pub flushed_at_stop: bool,
    /// An error applying the verdict or sending the copy.
    pub error: Option<String>,
}

/// What the queue thread tells the runner, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkEvent {
    /// A packet reached the queue and got its verdict (not yet applied).
    Decided(VerdictRecord),
    /// Its verdict was applied (`applied_ns` set).
    Applied(VerdictRecord),
    /// The queue thread stopped on an error (also returned by `stop`):
    /// packets are no longer released, the run cannot go on.
    Failed(String),
}

/// What [`NfqLink::stop`] returns.
#[derive(Clone, Debug, Default)]
pub struct LinkReport {
    /// Every packet of the pair, in the order the link read them.
    pub records: Vec<VerdictRecord>,
    /// Packets in the queue that were not TCP between the pair (accepted at
    /// once; the rule should make this 0).
    pub foreign: u64,
    /// Packets the kernel dropped because the queue was full, and those it
    /// could not hand to the link (`/proc/net/netfilter/nfnetlink_queue`);
    /// `None` where that file cannot be read (in a user namespace).
    pub queue_dropped: Option<u64>,
    pub user_dropped: Option<u64>,
}

/// Why the link could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("Could not {what} ({source}); NFQUEUE needs CAP_NET_ADMIN in the network namespace and the kernel module nfnetlink_queue (`modprobe nfnetlink_queue` as root).")]
    Queue {
        what: String,
        #[source]
        source: io::Error,
    },
    #[error("{0}")]
    Rule(#[from] RuleError),
    #[error("Could not open the raw socket that sends duplicates ({0}); it needs CAP_NET_RAW and CAP_NET_ADMIN in the network namespace.")]
    RawSocket(#[source] io::Error),
    #[error("The link's queue thread failed: {0}.")]
    Thread(String),
}

impl LinkError {
    /// True when a privilege or a system component is missing (exit 3).
    pub fn is_unavailable(&self) -> bool {
        !matches!(self, LinkError::Thread(_))
    }
}

/// The running link. Dropping it without [`NfqLink::stop`] stops it too,
/// discarding the records.
pub struct NfqLink {
    stop: OwnedFd,
    thread: Option<JoinHandle<Result<LinkReport, LinkError>>>,
    events: Receiver<LinkEvent>,
    queue_num: u16,
    /// How long [`NfqLink::start`] took.
    pub setup: Duration,
}

impl NfqLink {
    /// Binds the queue, installs the rule and starts the queue thread.
    pub fn start<V: Verdicts>(cfg: LinkConfig, verdicts: V) -> Result<NfqLink, LinkError> {
        let begin = Instant::now();
        let qerr = |what: String| move |source| LinkError::Queue { what, source };
        let q = cfg.queue_num;
        let before = netfilter_sockets().map_err(qerr("list this process's sockets".into()))?;
        let mut queue = nfq::Queue::open().map_err(qerr("open an NFQUEUE socket".into()))?;
        let fd = netfilter_sockets()
            .and_then(|after| new_socket(&before, &after))
            .map_err(qerr("find the NFQUEUE socket".into()))?;
        queue.bind(q).map_err(qerr(format!("bind NFQUEUE {q}")))?;
        queue
            .set_queue_max_len(q, cfg.queue_max_len)
            .map_err(qerr(format!("set the length of NFQUEUE {q}")))?;
        queue.set_nonblocking(true);
        // The default receive buffer holds a few hundred packets; a window
        // of a bulk transfer arrives at once (capped by net.core.rmem_max).
        set_rcvbuf(fd, 8 << 20);
        let raw = RawSender::open(SKIP_MARK).map_err(LinkError::RawSocket)?;
        iptables::install(&cfg.pair, q, SKIP_MARK)?;

        // SAFETY: plain eventfd(2) call; the result is checked.
        let efd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if efd < 0 {
            return Err(qerr("create the link's stop eventfd".into())(
                io::Error::last_os_error(),
            ));
        }
        // SAFETY: efd is a fresh descriptor that nothing else owns.
        let stop = unsafe { OwnedFd::from_raw_fd(efd) };
        let stop_raw = stop.as_raw_fd();
        let (tx, events) = channel();
        let worker = Worker {
            queue,
            fd,
            stop_fd: stop_raw,
            raw,
            pair: cfg.pair,
            hold_ns: cfg.rtt_us * 1000 / 2,
            verdicts,
            tx,
            held: Schedule::default(),
            report: LinkReport::default(),
        };
        let thread = std::thread::Builder::new()
            .name("synack-link".into())
            .spawn(move || worker.run())
            .map_err(|e| LinkError::Thread(e.to_string()))?;
        Ok(NfqLink {
            stop,
            thread: Some(thread),
            events,
            queue_num: q,
            setup: begin.elapsed(),
        })
    }

    /// The events of the queue thread; a runner waiting for the network
    /// blocks on it (`recv_timeout`).
    pub fn events(&self) -> &Receiver<LinkEvent> {
        &self.events
    }

    /// The queue's number.
    pub fn queue_num(&self) -> u16 {
        self.queue_num
    }

    /// Stops the thread (releasing what it holds) and returns the report.
    pub fn stop(mut self) -> Result<LinkReport, LinkError> {
        self.signal_stop();
        let thread = self.thread.take().expect("stop runs once");
        let mut report = thread
            .join()
            .map_err(|_| LinkError::Thread("it panicked".into()))??;
        if let Some((q, u)) = queue_drop_counts(self.queue_num) {
            report.queue_dropped = Some(q);
            report.user_dropped = Some(u);
        }
        Ok(report)
    }

    fn signal_stop(&self) {
        let one: u64 = 1;
        // SAFETY: writing 8 bytes to an eventfd we own.
        unsafe { libc::write(self.stop.as_raw_fd(), (&one as *const u64).cast(), 8) };
    }
}

impl Drop for NfqLink {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            self.signal_stop();
            let _ = t.join();
        }
    }
}

/// A packet held by the link.
struct Held {
    msg: nfq::Message,
    record: VerdictRecord,
    /// The packet's bytes, kept for the duplicate's copy.
    copy: Option<Vec<u8>>,
}

struct Worker<V> {
    queue: nfq::Queue,
    /// The queue's socket, borrowed from `queue` for ppoll only.
    fd: RawFd,
    stop_fd: RawFd,
    raw: RawSender,
    pair: AddrPair,
    hold_ns: u64,
    verdicts: V,
    tx: Sender<LinkEvent>,
    held: Schedule<Held>,
    report: LinkReport,
}

impl<V: Verdicts> Worker<V> {
    fn run(self) -> Result<LinkReport, LinkError> {
        let tx = self.tx.clone();
        let result = self.serve();
        if let Err(e) = &result {
            let _ = tx.send(LinkEvent::Failed(e.to_string()));
        }
        result
    }

    fn serve(mut self) -> Result<LinkReport, LinkError> {
        set_timer_slack_1ns();
        let _ = realtime_priority();
        loop {
            self.receive_all()?;
            while let Some((_, h)) = self.held.pop_due(now_ns()) {
                self.apply(h, false)?;
            }
            let timeout = self
                .held
                .next_deadline()
                .map(|d| d.saturating_sub(now_ns()));
            if self.wait(timeout)? {
                break;
            }
        }
        let rest: Vec<Held> = self.held.drain().map(|(_, h)| h).collect();
        for h in rest {
            self.apply(h, true)?;
        }
        Ok(self.report)
    }

    /// Reads every packet the queue has now, stamping each as it is read,
    /// then admits them: the verdict hook of one does not delay the
    /// stamps of the others.
    fn receive_all(&mut self) -> Result<(), LinkError> {
        let mut batch = Vec::new();
        let result = loop {
            match self.queue.recv() {
                Ok(msg) => batch.push((now_ns(), msg)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => break Err(LinkError::Thread(format!("reading the queue: {e}"))),
            }
        };
        for (t_ns, msg) in batch {
            self.admit(t_ns, msg);
        }
        result
    }

    /// Decides a new packet's verdict and holds it.
    fn admit(&mut self, t_ns: u64, mut msg: nfq::Message) {
        let payload = msg.get_payload();
        let decoded = decode_ip(payload).ok().and_then(|p| match (p.src, p.dst) {
            (SocketAddr::V4(s), SocketAddr::V4(d)) => self
                .pair
                .dir(*s.ip(), *d.ip())
                .map(|dir| (dir, s, d, p.hdr)),
            _ => None,
        });
        let Some((dir, src, dst, hdr)) = decoded else {
            self.report.foreign += 1;
            msg.set_verdict(nfq::Verdict::Accept);
            let _ = self.queue.verdict(msg);
            return;
        };
        let key = packet_key(payload);
        let verdict = self.verdicts.verdict(dir, &hdr);
        let due_ns = match verdict {
            Verdict::Drop => t_ns,
            Verdict::Delay(d) => t_ns + self.hold_ns + d * 1000,
            Verdict::Pass | Verdict::Duplicate => t_ns + self.hold_ns,
        };
        let copy = (verdict == Verdict::Duplicate).then(|| payload.to_vec());
        self.report.records.push(VerdictRecord {
            n: self.report.records.len() as u64 + 1,
            packet_id: msg.get_packet_id(),
            t_ns,
            dir,
            src,
            dst,
            hdr,
            key,
            verdict,
            due_ns,
            applied_ns: None,
            copy_sent_ns: None,
            flushed_at_stop: false,
            error: None,
        });
        let record = self.report.records.last().cloned().expect("just pushed");
        let _ = self.tx.send(LinkEvent::Decided(record.clone()));
        self.held.push(due_ns, Held { msg, record, copy });
    }

    /// Applies a held packet's verdict, then tells the hook and the runner.
    ///
    /// The verdict's `sendmsg` runs the receiver's TCP, which may send a
    /// reply at once (a SYN-ACK, an ACK): that reply is in the queue when
    /// the verdict returns, so the queue is read again *before* the hook,
    /// which may take a millisecond (an inet_diag dump), so that the
    /// reply's hold starts when it was sent.
    fn apply(&mut self, h: Held, flushed: bool) -> Result<(), LinkError> {
        let Held {
            mut msg,
            mut record,
            copy,
        } = h;
        msg.set_verdict(match record.verdict {
            Verdict::Drop => nfq::Verdict::Drop,
            _ => nfq::Verdict::Accept,
        });
        let mut error = self
            .queue
            .verdict(msg)
            .err()
            .map(|e| format!("verdict: {e}"));
        let applied = now_ns();
        if let Some(bytes) = copy {
            match self.raw.send(&bytes) {
                Ok(()) => record.copy_sent_ns = Some(now_ns()),
                Err(e) => error = Some(format!("sending the duplicate: {e}")),
            }
        }
        record.applied_ns = Some(applied);
        record.flushed_at_stop = flushed;
        record.error = error;
        if !flushed {
            self.receive_all()?;
        }
        self.verdicts.applied(&record);
        if let Some(r) = self.report.records.get_mut(record.n as usize - 1) {
            *r = record.clone();
        }
        let _ = self.tx.send(LinkEvent::Applied(record));
        Ok(())
    }

    /// Waits for a packet, the stop signal, or `timeout_ns`. True on stop.
    fn wait(&self, timeout_ns: Option<u64>) -> Result<bool, LinkError> {
        let mut fds = [
            libc::pollfd {
                fd: self.fd,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: self.stop_fd,
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let ts = timeout_ns.map(|ns| libc::timespec {
            tv_sec: (ns / 1_000_000_000) as libc::time_t,
            tv_nsec: (ns % 1_000_000_000) as libc::c_long,
        });
        let tsp = ts
            .as_ref()
            .map_or(std::ptr::null(), |t| t as *const libc::timespec);
        // SAFETY: `fds` and `tsp` are valid for the call; no signal mask.
        let r = unsafe { libc::ppoll(fds.as_mut_ptr(), 2, tsp, std::ptr::null()) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                return Ok(false);
            }
            return Err(LinkError::Thread(format!("waiting for packets: {e}")));
        }
        Ok(fds[1].revents & libc::POLLIN != 0)
    }
}

/// The drop counters of `queue` in this namespace, from
/// `/proc/net/netfilter/nfnetlink_queue` (one line per queue: `queue portid
/// total copy_mode copy_range queue_dropped user_dropped id 1`,
/// net/netfilter/nfnetlink_queue.c `seq_show`). The file belongs to root of
/// the initial user namespace (mode 0440), so in a user namespace: `None`.
fn queue_drop_counts(queue: u16) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/net/netfilter/nfnetlink_queue").ok()?;
    text.lines()
        .map(|l| {
            l.split_whitespace()
                .filter_map(|w| w.parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .find(|f| f.len() >= 7 && f[0] == u64::from(queue))
        .map(|f| (f[5], f[6]))
}

/// The process's NETLINK_NETFILTER sockets (from `/proc/self/fd`).
fn netfilter_sockets() -> io::Result<Vec<RawFd>> {
    let mut fds = Vec::new();
    for entry in std::fs::read_dir("/proc/self/fd")? {
        let Some(fd) = entry?
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<RawFd>().ok())
        else {
            continue;
        };
        if socket_domain(fd) == Some(libc::AF_NETLINK)
            && socket_protocol(fd) == Some(libc::NETLINK_NETFILTER)
        {
            fds.push(fd);
        }
    }
    Ok(fds)
}

/// The socket `nfq::Queue::open` made: the NETLINK_NETFILTER socket in
/// `after` that was not in `before`.
///
/// nfq 0.2.5 does not expose its socket (no `AsRawFd`), and the thread must
/// wait on it and on a stop signal with a deadline (ppoll). Nothing else in
/// synack opens netfilter sockets (iptables-restore runs in a child
/// process), so exactly one is new. The descriptor is only polled, never
/// read or closed, and lives as long as the queue. (The kernel's list of
/// queues, `/proc/net/netfilter/nfnetlink_queue`, would name the portid, but
/// it is readable only by root of the initial user namespace.)
fn new_socket(before: &[RawFd], after: &[RawFd]) -> io::Result<RawFd> {
    let new: Vec<RawFd> = after
        .iter()
        .copied()
        .filter(|fd| !before.contains(fd))
        .collect();
    match new[..] {
        [fd] => Ok(fd),
        _ => Err(io::Error::other(format!(
            "expected one new netfilter socket, found {}",
            new.len()
        ))),
    }
}

/// Asks the kernel to fire this thread's timers on time rather than up to
/// 50 µs late (the default timer slack, prctl(2) PR_SET_TIMERSLACK): the
/// holds are timed by ppoll's timeout.
fn set_timer_slack_1ns() {
    // SAFETY: PR_SET_TIMERSLACK takes one unsigned long; it cannot fail
    // for a value > 0.
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0) };
}

/// Gives this thread a real-time priority (SCHED_FIFO 10) where the
/// process may (root; a user namespace may not: the check is against the
/// initial namespace, kernel/sched/syscalls.c `user_check_sched_setscheduler`).
/// The thread sleeps but for microseconds per packet, and on a loaded
/// machine an ordinary thread wakes milliseconds late, stretching the rtt.
fn realtime_priority() -> bool {
    let param = libc::sched_param { sched_priority: 10 };
    // SAFETY: pid 0 is the calling thread; `param` is valid.
    unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) == 0 }
}

fn socket_domain(fd: RawFd) -> Option<libc::c_int> {
    int_option(fd, libc::SO_DOMAIN)
}

fn socket_protocol(fd: RawFd) -> Option<libc::c_int> {
    int_option(fd, libc::SO_PROTOCOL)
}

fn int_option(fd: RawFd, opt: libc::c_int) -> Option<libc::c_int> {
    let mut v: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: an int option read into `v`, of the size given.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            opt,
            (&mut v as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    (r == 0).then_some(v)
}

fn set_rcvbuf(fd: RawFd, bytes: libc::c_int) {
    for opt in [libc::SO_RCVBUFFORCE, libc::SO_RCVBUF] {
        // SAFETY: an int option on a socket we hold; failure is harmless
        // (SO_RCVBUFFORCE needs CAP_NET_ADMIN in the initial namespace).
        let r = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                opt,
                (&bytes as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if r == 0 {
            return;
        }
    }
}
