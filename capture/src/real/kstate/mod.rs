//! The kernel's own TCP states of the run's sockets.
//!
//! # Calling order
//! 1. [`KernelStates::open`]`(&netns)` after [`crate::real::netns::enter`]
//!    (inet_diag sees the namespace of the socket that asks) and before
//!    the first socket call. As root it opens the tracepoints; otherwise,
//!    or when they cannot be opened, inet_diag alone ([`StatesMode`]).
//! 2. [`KernelStates::poll`] after every socket call and every applied
//!    verdict (`Verdicts::applied`, on the link's thread, or on
//!    `LinkEvent::Applied`), and while a `wait` passes: it returns the
//!    [`StateChange`]s and [`Retransmit`]s since the last poll.
//! 3. [`KernelStates::close`] at the end: a last poll, and the tracepoint
//!    events still waiting for their socket's addresses.
//!
//! # The sources (see docs/real.md)
//! * `sock:inet_sock_set_state` (root): every state a *full* socket takes,
//!   stamped when it happens (`When::Exact`). It never shows the
//!   mini-sockets: a request socket (`TCP_NEW_SYN_RECV`) is not a full
//!   socket and changes no state through `inet_sk_state_store`, and a
//!   TIME-WAIT socket is a new `inet_timewait_sock` whose state is set
//!   directly (`tw->tw_state = TCP_TIME_WAIT`, net/ipv4/inet_timewait_sock.c
//!   `inet_twsk_alloc`), so the full socket is seen to go FIN-WAIT-2 (or
//!   CLOSING) → CLOSE instead.
//! * inet_diag (always): a dump of the namespace's sockets, mini-sockets
//!   included, seen when polled (`When::Polled`); a state that comes and
//!   goes between two polls is missed.
//! * `tcp:tcp_retransmit_skb` (root): each retransmission of a full
//!   socket, for the runner to confirm the wire's; `tcp:tcp_retransmit_synack`
//!   (a request socket's SYN-ACK) on request ([`StatesOptions`]).
//! * [`tcp_info()`]: RTO, cwnd, RTT of a socket the runner holds; inet_diag
//!   gives the same for every full socket ([`KernelStates::sockets`]).

mod diag;
mod perf;
mod tcp_info;
mod tracefs;
mod tracker;

pub use diag::DiagSocket;
pub use tcp_info::{tcp_info, TcpInfo};

use super::clock::now_ns;
use super::netns::Netns;
use super::AddrPair;
use diag::Diag;
use perf::{Request, Sample, Tracer};
use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, Instant};
use synack_sim::State;
use tracefs::Format;
use tracker::{TpEvent, Tracker};

/// Linux's TCP state numbers (include/net/tcp_states.h).
pub const TCP_ESTABLISHED: i32 = 1;
pub const TCP_CLOSE: i32 = 7;
pub const TCP_LISTEN: i32 = 10;

/// A Linux TCP state number as synack's [`State`]. `TCP_CLOSE` is CLOSED;
/// `TCP_NEW_SYN_RECV` (a request socket) is SYN-RECEIVED;
/// `TCP_BOUND_INACTIVE` (bound, nothing else; inet_diag only) is CLOSED.
pub fn linux_state(n: i32) -> Option<State> {
    Some(match n {
        1 => State::Established,
        2 => State::SynSent,
        3 | 12 => State::SynReceived,
        4 => State::FinWait1,
        5 => State::FinWait2,
        6 => State::TimeWait,
        7 | 13 => State::Closed,
        8 => State::CloseWait,
        9 => State::LastAck,
        10 => State::Listen,
        11 => State::Closing,
        _ => return None,
    })
}

/// The kernel's name of a state number (`TCP_NEW_SYN_RECV`).
pub fn linux_state_name(n: i32) -> &'static str {
    const NAMES: [&str; 14] = [
        "?",
        "TCP_ESTABLISHED",
        "TCP_SYN_SENT",
        "TCP_SYN_RECV",
        "TCP_FIN_WAIT1",
        "TCP_FIN_WAIT2",
        "TCP_TIME_WAIT",
        "TCP_CLOSE",
        "TCP_CLOSE_WAIT",
        "TCP_LAST_ACK",
        "TCP_LISTEN",
        "TCP_CLOSING",
        "TCP_NEW_SYN_RECV",
        "TCP_BOUND_INACTIVE",
    ];
    usize::try_from(n)
        .ok()
        .and_then(|i| NAMES.get(i))
        .copied()
        .unwrap_or("?")
}

/// Which sources a run's states come from (the header names it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatesMode {
    /// `sock:inet_sock_set_state` through perf_event_open, plus inet_diag
    /// for request and TIME-WAIT sockets.
    Tracepoints,
    /// inet_diag alone, polled; `reason` says why not the tracepoints.
    InetDiagOnly { reason: String },
}

/// Which source reported a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StateSource {
    Tracepoint,
    InetDiag,
}

/// Which kind of kernel socket the change is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SockKind {
    /// A full socket (`struct tcp_sock`).
    Full,
    /// A TIME-WAIT mini-socket (`struct inet_timewait_sock`); its state
    /// is TIME-WAIT, or FIN-WAIT-2 for an orphan taken over in FIN-WAIT-2.
    TimeWait,
    /// A request socket (`struct request_sock`): a passive open between
    /// the SYN and the final ACK.
    Request,
}

/// How exact a change's time is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum When {
    /// Stamped by the kernel when it happened (tracepoint).
    Exact,
    /// When a poll first saw it: it happened since the previous poll.
    Polled,
    /// A TIME-WAIT dated at its full socket's close (same kernel call).
    AtClose,
}

/// One change of a socket's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateChange {
    /// Monotonic ns.
    pub t_ns: u64,
    pub local: SocketAddrV4,
    /// 0.0.0.0:0 for a listener.
    pub remote: SocketAddrV4,
    /// The state this name had before (CLOSED for a new socket).
    pub from: State,
    pub to: State,
    /// The kernel's number of `to` (see [`linux_state_name`]).
    pub kernel_state: i32,
    pub source: StateSource,
    pub sock: SockKind,
    pub when: When,
}

/// One retransmission the kernel reported (root only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retransmit {
    pub t_ns: u64,
    pub local: SocketAddrV4,
    pub remote: SocketAddrV4,
    /// The socket's state; `None` for a SYN-ACK of a request socket.
    pub state: Option<State>,
    /// True for `tcp_retransmit_synack`.
    pub synack: bool,
}

/// What a poll found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Polled {
    pub changes: Vec<StateChange>,
    pub retransmits: Vec<Retransmit>,
}

/// Why the states cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum KstateError {
    #[error("tracefs is not mounted{}: mount it with `mount -t tracefs nodev /sys/kernel/tracing`.", .detail.as_ref().map(|d| format!(" and could not be mounted ({d})")).unwrap_or_default())]
    NoTracefs { detail: Option<String> },
    #[error("The tracepoint {event} cannot be read ({source}); this kernel may lack it (CONFIG_TRACEPOINTS).")]
    Tracepoint {
        event: String,
        #[source]
        source: io::Error,
    },
    #[error("perf_event_open on the tracepoints failed ({0}); it needs root (CAP_PERFMON).")]
    Perf(#[source] io::Error),
    #[error("The inet_diag query failed ({0}); the kernel needs CONFIG_INET_DIAG and CONFIG_INET_TCP_DIAG (module tcp_diag).")]
    Diag(#[source] io::Error),
}

impl KstateError {
    /// True when a privilege or a system component is missing (exit 3).
    pub fn is_unavailable(&self) -> bool {
        true
    }
}

/// The tracepoints this module reads.
const SET_STATE: &str = "sock/inet_sock_set_state";
const RETRANSMIT: &str = "tcp/tcp_retransmit_skb";
const RETRANSMIT_SYNACK: &str = "tcp/tcp_retransmit_synack";

struct Tracing {
    tracer: Tracer,
    set_state: Format,
    retransmit: Format,
    retransmit_synack: Option<Format>,
}

/// Options of [`KernelStates::open_with`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatesOptions {
    /// Try the tracepoints (only root can).
    pub tracepoints: bool,
    /// Also `tcp:tcp_retransmit_synack` (a request socket's SYN-ACK
    /// retransmissions). Off by default: each tracepoint costs 20–50 ms
    /// when it is released at the end (see `perf.rs`), and the wire shows
    /// these retransmissions anyway.
    pub synack_retransmits: bool,
}

/// The run's state sources.
pub struct KernelStates {
    mode: StatesMode,
    pair: AddrPair,
    tracing: Option<Tracing>,
    diag: Diag,
    tracker: Tracker,
    last_dump: Vec<DiagSocket>,
    /// How long [`KernelStates::open`] took.
    pub setup: Duration,
}

impl KernelStates {
    /// Tracepoints as root, inet_diag always.
    pub fn open(netns: &Netns) -> Result<KernelStates, KstateError> {
        KernelStates::open_with(
            netns,
            StatesOptions {
                tracepoints: netns.privilege.is_root(),
                synack_retransmits: false,
            },
        )
    }

    /// As [`KernelStates::open`], choosing whether to try the tracepoints.
    /// A failure to open them is not an error: the mode says why.
    pub fn open_with(netns: &Netns, opts: StatesOptions) -> Result<KernelStates, KstateError> {
        let begin = Instant::now();
        let diag = Diag::open().map_err(KstateError::Diag)?;
        let (tracing, mode) = if !opts.tracepoints {
            let reason = if netns.privilege.is_root() {
                "tracepoints not requested"
            } else {
                "not root: perf_event_open on tracepoints needs CAP_PERFMON in the initial user namespace"
            };
            (
                None,
                StatesMode::InetDiagOnly {
                    reason: reason.into(),
                },
            )
        } else {
            match open_tracing(netns.private_mounts, opts.synack_retransmits) {
                Ok(t) => (Some(t), StatesMode::Tracepoints),
                Err(e) => (
                    None,
                    StatesMode::InetDiagOnly {
                        reason: e.to_string(),
                    },
                ),
            }
        };
        let mut states = KernelStates {
            tracker: Tracker::new(netns.pair, tracing.is_none()),
            mode,
            pair: netns.pair,
            tracing,
            diag,
            last_dump: Vec::new(),
            setup: Duration::ZERO,
        };
        // A first dump: the diag socket works, and what exists is known.
        states.poll()?;
        states.setup = begin.elapsed();
        Ok(states)
    }

    pub fn mode(&self) -> &StatesMode {
        &self.mode
    }

    /// Open perf events (tracepoints × online CPUs); 0 without tracepoints.
    pub fn perf_events(&self) -> usize {
        self.tracing.as_ref().map_or(0, |t| t.tracer.event_count())
    }

    /// Tracepoint filters (`family == 2`…) the kernel refused; their events
    /// are filtered here instead.
    pub fn filters_refused(&self) -> usize {
        perf::FILTERS_REFUSED.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Samples the kernel could not deliver (a ring was full).
    pub fn lost(&self) -> u64 {
        self.tracing.as_ref().map_or(0, |t| t.tracer.lost)
    }

    /// The sockets of the pair in the last dump, with `tcp_info` for full ones.
    pub fn sockets(&self) -> &[DiagSocket] {
        &self.last_dump
    }

    /// The kernel's state of a name, as this module last knew it.
    pub fn state(&self, local: SocketAddrV4, remote: SocketAddrV4) -> State {
        self.tracker.state(local, remote)
    }

    /// Reads every source and returns what changed since the last poll.
    pub fn poll(&mut self) -> Result<Polled, KstateError> {
        let dump_start = now_ns();
        let dump = self.diag.dump().map_err(KstateError::Diag)?;
        let dump_end = now_ns();
        let mut samples = Vec::new();
        if let Some(t) = &mut self.tracing {
            t.tracer.drain(&mut samples);
        }
        samples.sort_by_key(|s| s.t_ns);
        let mut retransmits = Vec::new();
        let split = samples.partition_point(|s| s.t_ns <= dump_end);
        for s in &samples[..split] {
            self.sample(s, &mut retransmits);
        }
        self.tracker.snapshot(dump_start, &dump);
        for s in &samples[split..] {
            self.sample(s, &mut retransmits);
        }
        self.last_dump = dump
            .into_iter()
            .filter(|s| self.pair.has(*s.local.ip()))
            .collect();
        Ok(Polled {
            changes: self.tracker.take(),
            retransmits,
        })
    }

    /// A last poll, then the events still waiting for their addresses.
    /// The perf events are released in the background (see `perf.rs`).
    pub fn close(mut self) -> Result<Polled, KstateError> {
        let mut p = self.poll()?;
        self.tracker.flush_pending();
        p.changes.extend(self.tracker.take());
        Ok(p)
    }

    fn sample(&mut self, s: &Sample, retransmits: &mut Vec<Retransmit>) {
        let Some(t) = &self.tracing else { return };
        let id = s.event_id();
        let raw = &s.raw;
        if id == Some(t.set_state.id) {
            let f = &t.set_state;
            if f.uint(raw, "family") != Some(libc::AF_INET as u64)
                || f.uint(raw, "protocol") != Some(libc::IPPROTO_TCP as u64)
            {
                return;
            }
            let (Some(local), Some(remote), Some(old), Some(new)) = (
                addr(f, raw, "saddr", "sport"),
                addr(f, raw, "daddr", "dport"),
                f.int(raw, "oldstate"),
                f.int(raw, "newstate"),
            ) else {
                return;
            };
            self.tracker.tracepoint(TpEvent {
                t_ns: s.t_ns,
                skaddr: f.uint(raw, "skaddr").unwrap_or(0),
                local,
                remote,
                old,
                new,
            });
        } else {
            let (f, synack) = if id == Some(t.retransmit.id) {
                (&t.retransmit, false)
            } else {
                match &t.retransmit_synack {
                    Some(f) if id == Some(f.id) => (f, true),
                    _ => return,
                }
            };
            let (Some(local), Some(remote)) = (
                addr(f, raw, "saddr", "sport"),
                addr(f, raw, "daddr", "dport"),
            ) else {
                return;
            };
            if f.uint(raw, "family") != Some(libc::AF_INET as u64) || !self.pair.has(*local.ip()) {
                return;
            }
            retransmits.push(Retransmit {
                t_ns: s.t_ns,
                local,
                remote,
                state: f.int(raw, "state").and_then(linux_state),
                synack,
            });
        }
    }
}

/// An IPv4 address field and a port field (host order in these tracepoints:
/// `ntohs(inet->inet_sport)` in their TP_fast_assign).
fn addr(f: &Format, raw: &[u8], a: &str, p: &str) -> Option<SocketAddrV4> {
    let b = f.bytes(raw, a)?;
    let ip = Ipv4Addr::new(*b.first()?, *b.get(1)?, *b.get(2)?, *b.get(3)?);
    let port = u16::try_from(f.uint(raw, p)?).ok()?;
    Some(SocketAddrV4::new(ip, port))
}

fn open_tracing(may_mount: bool, synack_retransmits: bool) -> Result<Tracing, KstateError> {
    let root = tracefs::root(may_mount)?;
    let set_state = Format::read(&root, SET_STATE)?;
    let retransmit = Format::read(&root, RETRANSMIT)?;
    let retransmit_synack = if synack_retransmits {
        Format::read(&root, RETRANSMIT_SYNACK).ok()
    } else {
        None
    };
    let mut reqs = vec![
        Request {
            id: set_state.id,
            filter: Some("family == 2 && protocol == 6"),
        },
        Request {
            id: retransmit.id,
            filter: Some("family == 2"),
        },
    ];
    if let Some(f) = &retransmit_synack {
        reqs.push(Request {
            id: f.id,
            filter: Some("family == 2"),
        });
    }
    let tracer = Tracer::open(&reqs).map_err(KstateError::Perf)?;
    Ok(Tracing {
        tracer,
        set_state,
        retransmit,
        retransmit_synack,
    })
}

#[cfg(test)]
mod tests;
