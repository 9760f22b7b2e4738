//! From the kernel's reports to one stream of state changes per 4-tuple.
//!
//! Pure: no I/O, fed by [`super::KernelStates::poll`] in this order each
//! poll: tracepoint events up to the end of the inet_diag dump
//! ([`Tracker::tracepoint`]), the dump ([`Tracker::snapshot`]), the later
//! tracepoint events; then [`Tracker::take`].
//!
//! Rules:
//! * A socket is named by (local, remote); the listener's remote is
//!   0.0.0.0:0. Each name has one current state (CLOSED when unknown); a
//!   report that does not change it is dropped (deduplication), so two
//!   sources may report the same transition.
//! * Tracepoint events are keyed by the kernel socket (`skaddr`) until its
//!   4-tuple is known: `connect` on a socket with no bound port reports
//!   CLOSE → SYN_SENT with sport 0 (net/ipv4/tcp_ipv4.c, `tcp_v4_connect`
//!   sets TCP_SYN_SENT before `inet_hash_connect` picks the port; seen on
//!   6.18), so that event waits for the socket's next one. (A passive
//!   open's child reports LISTEN → SYN_RECV with its full 4-tuple on 6.18.)
//! * With tracepoints, inet_diag adds only mini-sockets (request and
//!   TIME-WAIT), and only for a name with no live full socket: Linux hashes
//!   the TIME-WAIT socket (`inet_twsk_hashdance_schedule`) just before the
//!   full socket's `tcp_done` sets CLOSE, and a dump may see both. A
//!   TIME-WAIT that follows a full socket's close is dated at that close
//!   ([`When::AtClose`]): `tcp_time_wait` does both in one call
//!   (net/ipv4/tcp_minisocks.c).
//! * Without tracepoints, inet_diag is the only source: every socket, its
//!   changes seen when polled ([`When::Polled`]).
//! * A socket that leaves the dump while its name still has the state it
//!   reported goes to CLOSED (a TIME-WAIT that expired, a listener closed).

use super::diag::DiagSocket;
use super::{linux_state, SockKind, StateChange, StateSource, When, TCP_CLOSE, TCP_LISTEN};
use crate::real::AddrPair;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use synack_sim::State;

type Name = (SocketAddrV4, SocketAddrV4);

/// One `sock:inet_sock_set_state` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TpEvent {
    pub t_ns: u64,
    pub skaddr: u64,
    pub local: SocketAddrV4,
    pub remote: SocketAddrV4,
    pub old: i32,
    pub new: i32,
}

#[derive(Default)]
struct Sk {
    name: Option<Name>,
    pending: Vec<TpEvent>,
}

pub(crate) struct Tracker {
    pair: AddrPair,
    /// True without tracepoints: inet_diag reports full sockets too.
    diag_only: bool,
    states: BTreeMap<Name, State>,
    socks: BTreeMap<u64, Sk>,
    /// The last dump: kind and raw state of each socket applied.
    seen: BTreeMap<Name, (SockKind, i32)>,
    /// When a full socket of the name last reported CLOSE.
    closed_at: BTreeMap<Name, u64>,
    out: Vec<StateChange>,
}

impl Tracker {
    pub fn new(pair: AddrPair, diag_only: bool) -> Tracker {
        Tracker {
            pair,
            diag_only,
            states: BTreeMap::new(),
            socks: BTreeMap::new(),
            seen: BTreeMap::new(),
            closed_at: BTreeMap::new(),
            out: Vec::new(),
        }
    }

    fn ours(&self, local: SocketAddrV4, remote: SocketAddrV4) -> bool {
        self.pair.has(*local.ip())
            && (self.pair.has(*remote.ip()) || *remote.ip() == Ipv4Addr::UNSPECIFIED)
    }

    /// The current state of a name (CLOSED when unknown).
    pub fn state(&self, local: SocketAddrV4, remote: SocketAddrV4) -> State {
        self.states
            .get(&(local, remote))
            .copied()
            .unwrap_or(State::Closed)
    }

    pub fn tracepoint(&mut self, e: TpEvent) {
        if !self.ours(e.local, e.remote) {
            return;
        }
        let complete = e.local.port() != 0
            && (e.remote.port() != 0 || e.new == TCP_LISTEN || e.new == TCP_CLOSE);
        let sk = self.socks.entry(e.skaddr).or_default();
        let name = match (complete, sk.name) {
            (true, _) => Some((e.local, e.remote)),
            (false, known) => known,
        };
        let Some(name) = name else {
            sk.pending.push(e);
            return;
        };
        sk.name = Some(name);
        let pending = std::mem::take(&mut sk.pending);
        for p in pending.into_iter().chain([e]) {
            self.emit(
                p.t_ns,
                name,
                p.new,
                StateSource::Tracepoint,
                SockKind::Full,
                When::Exact,
            );
        }
        if e.new == TCP_CLOSE {
            self.closed_at.insert(name, e.t_ns);
            // The kernel may reuse the address for another socket.
            self.socks.remove(&e.skaddr);
        }
    }

    pub fn snapshot(&mut self, t_ns: u64, dump: &[DiagSocket]) {
        let mut now: BTreeMap<Name, (SockKind, i32)> = BTreeMap::new();
        for s in dump {
            let kind = s.kind();
            if !self.ours(s.local, s.remote) || (!self.diag_only && kind == SockKind::Full) {
                continue;
            }
            let name = (s.local, s.remote);
            if !self.diag_only
                && self.state(s.local, s.remote) != State::Closed
                && !self.seen.contains_key(&name)
            {
                // A full socket still has this name: the mini-socket is
                // taking over (TIME-WAIT) or is stale (a request whose
                // child exists). Look again next poll.
                continue;
            }
            now.insert(name, (kind, i32::from(s.state_raw)));
        }
        for (&name, &(kind, raw)) in &now {
            if self.seen.get(&name) == Some(&(kind, raw)) {
                continue;
            }
            let after_close = kind == SockKind::TimeWait
                && !self.diag_only
                && !self.seen.contains_key(&name)
                && self.state(name.0, name.1) == State::Closed;
            let (t, when) = match self.closed_at.get(&name) {
                Some(&tc) if after_close => (tc, When::AtClose),
                _ => (t_ns, When::Polled),
            };
            self.emit(t, name, raw, StateSource::InetDiag, kind, when);
        }
        let gone: Vec<(Name, (SockKind, i32))> = self
            .seen
            .iter()
            .filter(|(n, _)| !now.contains_key(n))
            .map(|(&n, &v)| (n, v))
            .collect();
        for (name, (kind, raw)) in gone {
            if linux_state(raw) == Some(self.state(name.0, name.1)) {
                self.emit(
                    t_ns,
                    name,
                    TCP_CLOSE,
                    StateSource::InetDiag,
                    kind,
                    When::Polled,
                );
            }
        }
        self.seen = now;
    }

    /// Emits tracepoint events still waiting for their 4-tuple, with what
    /// they carry (at the end of a run).
    pub fn flush_pending(&mut self) {
        let pending: Vec<TpEvent> = self
            .socks
            .values_mut()
            .flat_map(|sk| std::mem::take(&mut sk.pending))
            .collect();
        for p in pending {
            let name = (p.local, p.remote);
            self.emit(
                p.t_ns,
                name,
                p.new,
                StateSource::Tracepoint,
                SockKind::Full,
                When::Exact,
            );
        }
    }

    /// The changes since the last call, in time order.
    pub fn take(&mut self) -> Vec<StateChange> {
        let mut out = std::mem::take(&mut self.out);
        out.sort_by_key(|c| c.t_ns);
        out
    }

    fn emit(
        &mut self,
        t_ns: u64,
        name: Name,
        raw: i32,
        source: StateSource,
        sock: SockKind,
        when: When,
    ) {
        let Some(to) = linux_state(raw) else {
            return;
        };
        let from = self.state(name.0, name.1);
        if from == to {
            return;
        }
        if to == State::Closed {
            self.states.remove(&name);
        } else {
            self.states.insert(name, to);
        }
        self.out.push(StateChange {
            t_ns,
            local: name.0,
            remote: name.1,
            from,
            to,
            kernel_state: raw,
            source,
            sock,
            when,
        });
    }
}
