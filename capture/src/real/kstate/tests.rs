//! The tracker on the reports Linux makes for a connect/accept/close, as
//! root (tracepoints + inet_diag) and without (inet_diag alone).

#![allow(non_snake_case)] // test names read like the rule: case__situation__outcome

use super::tracker::{TpEvent, Tracker};
use super::*;
use crate::real::AddrPair;
use State::*;

const C: u16 = 49152;
const S: u16 = 9999;

fn pair() -> AddrPair {
    AddrPair::for_pid(1)
}
fn client() -> SocketAddrV4 {
    SocketAddrV4::new(pair().client, C)
}
fn server() -> SocketAddrV4 {
    SocketAddrV4::new(pair().server, S)
}
fn any() -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)
}

fn tp(
    t_ns: u64,
    skaddr: u64,
    local: SocketAddrV4,
    remote: SocketAddrV4,
    old: i32,
    new: i32,
) -> TpEvent {
    TpEvent {
        t_ns,
        skaddr,
        local,
        remote,
        old,
        new,
    }
}

fn sock(local: SocketAddrV4, remote: SocketAddrV4, raw: u8, full: bool) -> DiagSocket {
    DiagSocket {
        local,
        remote,
        state_raw: raw,
        state: linux_state(i32::from(raw)),
        timer: if raw == 6 { 3 } else { 0 },
        retrans: 0,
        expires_ms: 0,
        rqueue: 0,
        wqueue: 0,
        inode: 0,
        cookie: 0,
        info: full.then(TcpInfo::default),
    }
}

/// (t, local port, remote port, from, to, when)
type Row = (u64, u16, u16, State, State, When);

fn rows(changes: &[StateChange]) -> Vec<Row> {
    changes
        .iter()
        .map(|c| {
            (
                c.t_ns,
                c.local.port(),
                c.remote.port(),
                c.from,
                c.to,
                c.when,
            )
        })
        .collect()
}

#[test]
fn root__connect_accept_close__request_and_time_wait_from_diag() {
    let mut t = Tracker::new(pair(), false);
    // listen(): the listener, then connect(): the client.
    t.tracepoint(tp(10, 0xa, server(), any(), 7, 10));
    t.tracepoint(tp(20, 0xb, client(), server(), 7, 2));
    // The SYN is held in the queue; a poll sees the request socket? Not
    // yet: the SYN has not reached the server.
    t.snapshot(25, &[]);
    // The SYN arrived: a request socket (diag only).
    t.snapshot(40, &[sock(server(), client(), 3, false)]);
    // SYN-ACK reaches the client; the final ACK reaches the server: the
    // child is cloned from the listener, then ESTABLISHED.
    t.tracepoint(tp(50, 0xb, client(), server(), 2, 1));
    t.tracepoint(tp(60, 0xc, server(), client(), 10, 3));
    t.tracepoint(tp(60, 0xc, server(), client(), 3, 1));
    t.snapshot(65, &[]);
    assert_eq!(
        rows(&t.take()),
        [
            (10, S, 0, Closed, Listen, When::Exact),
            (20, C, S, Closed, SynSent, When::Exact),
            (40, S, C, Closed, SynReceived, When::Polled),
            (50, C, S, SynSent, Established, When::Exact),
            (60, S, C, SynReceived, Established, When::Exact),
        ]
    );
    // close() on the client: FIN-WAIT-1, FIN-WAIT-2, then the server's FIN:
    // the full socket is closed and a TIME-WAIT socket takes the name; a
    // dump in between sees both (the TIME-WAIT is hashed first).
    t.tracepoint(tp(100, 0xb, client(), server(), 1, 4));
    t.tracepoint(tp(110, 0xb, client(), server(), 4, 5));
    t.tracepoint(tp(110, 0xc, server(), client(), 1, 8));
    t.tracepoint(tp(120, 0xc, server(), client(), 8, 9));
    t.snapshot(125, &[sock(client(), server(), 6, false)]);
    t.tracepoint(tp(130, 0xb, client(), server(), 5, 7));
    t.tracepoint(tp(131, 0xc, server(), client(), 9, 7));
    t.snapshot(140, &[sock(client(), server(), 6, false)]);
    assert_eq!(
        rows(&t.take()),
        [
            (100, C, S, Established, FinWait1, When::Exact),
            (110, C, S, FinWait1, FinWait2, When::Exact),
            (110, S, C, Established, CloseWait, When::Exact),
            (120, S, C, CloseWait, LastAck, When::Exact),
            (130, C, S, FinWait2, Closed, When::Exact),
            (130, C, S, Closed, TimeWait, When::AtClose),
            (131, S, C, LastAck, Closed, When::Exact),
        ]
    );
    // 60 s later the TIME-WAIT socket is gone.
    t.snapshot(60_000, &[]);
    assert_eq!(
        rows(&t.take()),
        [(60_000, C, S, TimeWait, Closed, When::Polled)]
    );
}

#[test]
fn root__connect_from_an_unbound_port__syn_sent_waits_for_the_port() {
    let mut t = Tracker::new(pair(), false);
    let unbound = SocketAddrV4::new(pair().client, 0);
    t.tracepoint(tp(20, 0xb, unbound, server(), 7, 2));
    assert!(t.take().is_empty(), "no name yet");
    t.tracepoint(tp(50, 0xb, client(), server(), 2, 1));
    assert_eq!(
        rows(&t.take()),
        [
            (20, C, S, Closed, SynSent, When::Exact),
            (50, C, S, SynSent, Established, When::Exact),
        ]
    );
    // A socket that never got a port is reported as it was, at the end.
    t.tracepoint(tp(70, 0xd, unbound, server(), 7, 2));
    t.flush_pending();
    assert_eq!(rows(&t.take()), [(70, 0, S, Closed, SynSent, When::Exact)]);
}

#[test]
fn root__a_stale_request_after_its_child_is_ignored() {
    let mut t = Tracker::new(pair(), false);
    t.tracepoint(tp(10, 0xa, server(), any(), 7, 10));
    t.tracepoint(tp(60, 0xc, server(), client(), 10, 3));
    t.tracepoint(tp(60, 0xc, server(), client(), 3, 1));
    // A dump that raced the final ACK still lists the request.
    t.snapshot(61, &[sock(server(), client(), 3, false)]);
    t.snapshot(70, &[]);
    assert_eq!(
        rows(&t.take()),
        [
            (10, S, 0, Closed, Listen, When::Exact),
            (60, S, C, Closed, SynReceived, When::Exact),
            (60, S, C, SynReceived, Established, When::Exact),
        ]
    );
}

#[test]
fn root__other_addresses_are_not_ours() {
    let mut t = Tracker::new(pair(), false);
    let other = SocketAddrV4::new(Ipv4Addr::LOCALHOST, S);
    t.tracepoint(tp(10, 0xa, other, any(), 7, 10));
    t.snapshot(20, &[sock(other, client(), 6, false)]);
    assert!(t.take().is_empty());
}

#[test]
fn diag_only__every_socket_polled__orphan_in_fin_wait_2_becomes_time_wait() {
    let mut t = Tracker::new(pair(), true);
    t.snapshot(10, &[sock(server(), any(), 10, true)]);
    t.snapshot(
        20,
        &[
            sock(server(), any(), 10, true),
            sock(client(), server(), 2, true),
        ],
    );
    let est = [
        sock(server(), any(), 10, true),
        sock(client(), server(), 1, true),
        sock(server(), client(), 1, true),
    ];
    t.snapshot(30, &est);
    // client closes; it is orphaned, so FIN-WAIT-2 is a TIME-WAIT socket
    // with substate FIN-WAIT-2 (no tcp_info): no change of state.
    t.snapshot(
        40,
        &[
            sock(server(), any(), 10, true),
            sock(client(), server(), 5, true),
            sock(server(), client(), 8, true),
        ],
    );
    t.snapshot(
        50,
        &[
            sock(server(), any(), 10, true),
            sock(client(), server(), 5, false),
            sock(server(), client(), 8, true),
        ],
    );
    t.snapshot(
        60,
        &[
            sock(server(), any(), 10, true),
            sock(client(), server(), 6, false),
        ],
    );
    assert_eq!(
        rows(&t.take()),
        [
            (10, S, 0, Closed, Listen, When::Polled),
            (20, C, S, Closed, SynSent, When::Polled),
            (30, C, S, SynSent, Established, When::Polled),
            (30, S, C, Closed, Established, When::Polled),
            (40, C, S, Established, FinWait2, When::Polled),
            (40, S, C, Established, CloseWait, When::Polled),
            (60, C, S, FinWait2, TimeWait, When::Polled),
            (60, S, C, CloseWait, Closed, When::Polled),
        ]
    );
}

#[test]
fn linux_numbers_map_to_rfc_states() {
    assert_eq!(linux_state(12), Some(SynReceived));
    assert_eq!(linux_state(7), Some(Closed));
    assert_eq!(linux_state(99), None);
    assert_eq!(linux_state_name(12), "TCP_NEW_SYN_RECV");
    assert_eq!(linux_state_name(-1), "?");
}
