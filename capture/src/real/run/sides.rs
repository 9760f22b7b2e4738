//! From the kernel's sockets to the transcript's two endpoints.
//!
//! The kernel reports states per socket: the client's connection; the
//! server's listener, its request socket (SYN-RECEIVED) and the accepted
//! child, which share one 4-tuple; a TIME-WAIT mini-socket that takes over
//! a closed full socket's 4-tuple. The simulator has one TCB per endpoint,
//! so each side's state here is the state of its latest connection, or of
//! its listener while no connection is open: LISTEN → SYN-RECEIVED (the
//! request socket) → ESTABLISHED (the child), as RFC 9293 3.5 draws it.

use super::super::kstate::{SockKind, StateChange};
use super::super::AddrPair;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use synack_sim::{Side, State};

type Name = (SocketAddrV4, SocketAddrV4);

/// One change of an endpoint's state, as the transcript shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct SideChange {
    pub t_ns: u64,
    pub side: Side,
    pub from: State,
    pub to: State,
    /// The change is a full socket closing as its TIME-WAIT mini-socket
    /// takes over (Linux), or that mini-socket appearing.
    pub time_wait_handover: bool,
}

/// The current state of every socket of the run, and of each endpoint.
#[derive(Clone, Debug)]
pub(super) struct Sides {
    pair: AddrPair,
    sockets: BTreeMap<Name, State>,
    /// Connection names per side, in the order they first appeared.
    conns: [Vec<Name>; 2],
    current: [State; 2],
    /// States each side entered since [`Sides::reset_entered`], as bits.
    entered: [u16; 2],
    /// The last full-socket close per name, to tell a TIME-WAIT handover.
    closed: BTreeMap<Name, u64>,
}

impl Sides {
    pub(super) fn new(pair: AddrPair) -> Sides {
        Sides {
            pair,
            sockets: BTreeMap::new(),
            conns: [Vec::new(), Vec::new()],
            current: [State::Closed; 2],
            entered: [0; 2],
            closed: BTreeMap::new(),
        }
    }

    fn side_of(&self, ip: Ipv4Addr) -> Option<Side> {
        if ip == self.pair.client {
            Some(Side::Client)
        } else if ip == self.pair.server {
            Some(Side::Server)
        } else {
            None
        }
    }

    /// Takes one kernel change; returns the endpoint's change, if any.
    pub(super) fn apply(&mut self, c: &StateChange) -> Option<SideChange> {
        let side = self.side_of(*c.local.ip())?;
        let name = (c.local, c.remote);
        let listener = c.remote.port() == 0;
        if !listener && !self.conns[side.index()].contains(&name) {
            self.conns[side.index()].push(name);
        }
        self.sockets.insert(name, c.to);
        let handover = match (c.sock, c.to) {
            (SockKind::Full, State::Closed) => {
                self.closed.insert(name, c.t_ns);
                false
            }
            (SockKind::TimeWait, _) => self.closed.contains_key(&name),
            _ => false,
        };
        let from = self.current[side.index()];
        let to = self.endpoint_state(side);
        if from == to {
            return None;
        }
        self.current[side.index()] = to;
        self.entered[side.index()] |= 1 << to as u16;
        let closing_for_time_wait = c.sock == SockKind::Full
            && to == State::Closed
            && matches!(from, State::FinWait2 | State::Closing);
        Some(SideChange {
            t_ns: c.t_ns,
            side,
            from,
            to,
            time_wait_handover: handover || closing_for_time_wait,
        })
    }

    /// The endpoint's state: its latest connection's, unless that is
    /// closed and a listener listens.
    fn endpoint_state(&self, side: Side) -> State {
        let conn = self.conns[side.index()]
            .last()
            .and_then(|n| self.sockets.get(n).copied());
        let listening = self.sockets.iter().any(|((l, r), st)| {
            r.port() == 0 && self.side_of(*l.ip()) == Some(side) && *st == State::Listen
        });
        match conn {
            Some(st) if st != State::Closed => st,
            _ if listening => State::Listen,
            Some(st) => st,
            None => State::Closed,
        }
    }

    /// The endpoint's state now.
    pub(super) fn state(&self, side: Side) -> State {
        self.current[side.index()]
    }

    /// Forgets which states `side` entered (a `wait until` begins).
    pub(super) fn reset_entered(&mut self, side: Side) {
        self.entered[side.index()] = 0;
    }

    /// Whether `side` entered `state` since the last reset.
    pub(super) fn entered(&self, side: Side, state: State) -> bool {
        self.entered[side.index()] & (1 << state as u16) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::real::kstate::{StateSource, When};

    fn pair() -> AddrPair {
        AddrPair::for_pid(7)
    }

    fn change(
        t: u64,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        from: State,
        to: State,
        sock: SockKind,
    ) -> StateChange {
        StateChange {
            t_ns: t,
            local,
            remote,
            from,
            to,
            kernel_state: 0,
            source: StateSource::Tracepoint,
            sock,
            when: When::Exact,
        }
    }

    #[test]
    fn the_server_is_its_listener_then_its_connection() {
        let p = pair();
        let srv = SocketAddrV4::new(p.server, 80);
        let cli = SocketAddrV4::new(p.client, 49152);
        let any = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0);
        let mut s = Sides::new(p);
        let seen: Vec<(State, State)> = [
            change(1, srv, any, State::Closed, State::Listen, SockKind::Full),
            change(
                2,
                srv,
                cli,
                State::Closed,
                State::SynReceived,
                SockKind::Request,
            ),
            change(
                3,
                srv,
                cli,
                State::SynReceived,
                State::Established,
                SockKind::Full,
            ),
            // accept took the connection; the listener goes.
            change(4, srv, any, State::Listen, State::Closed, SockKind::Full),
            change(
                5,
                srv,
                cli,
                State::Established,
                State::CloseWait,
                SockKind::Full,
            ),
        ]
        .iter()
        .filter_map(|c| s.apply(c))
        .map(|c| (c.from, c.to))
        .collect();
        assert_eq!(
            seen,
            [
                (State::Closed, State::Listen),
                (State::Listen, State::SynReceived),
                (State::SynReceived, State::Established),
                (State::Established, State::CloseWait),
            ]
        );
    }

    #[test]
    fn a_time_wait_handover_is_marked() {
        let p = pair();
        let srv = SocketAddrV4::new(p.server, 80);
        let cli = SocketAddrV4::new(p.client, 49152);
        let mut s = Sides::new(p);
        s.reset_entered(Side::Client);
        let out: Vec<SideChange> = [
            change(1, cli, srv, State::Closed, State::SynSent, SockKind::Full),
            change(2, cli, srv, State::SynSent, State::FinWait2, SockKind::Full),
            change(3, cli, srv, State::FinWait2, State::Closed, SockKind::Full),
            change(
                3,
                cli,
                srv,
                State::Closed,
                State::TimeWait,
                SockKind::TimeWait,
            ),
        ]
        .iter()
        .filter_map(|c| s.apply(c))
        .collect();
        assert!(!out[1].time_wait_handover);
        assert!(out[2].time_wait_handover && out[3].time_wait_handover);
        assert_eq!(s.state(Side::Client), State::TimeWait);
        assert!(s.entered(Side::Client, State::FinWait2));
        assert!(!s.entered(Side::Client, State::Established));
    }
}
