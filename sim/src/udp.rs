//! UDP, for contrast (docs/udp.md): a minimal datagram socket (RFC 768)
//! and the world that runs `transport udp` scenarios on the same link as
//! TCP (delay, fault rules, seeded loss).
//!
//! What a socket course shows with it: no handshake (the first `send` is
//! the first packet), no ACK, no retransmission (a datagram the link drops
//! is simply gone, and a `recv` waiting for it waits for ever), and message
//! boundaries kept (each `recv` returns one whole datagram, however many
//! are queued, where TCP's `recv` returns whatever bytes are there).
//!
//! # Calling order
//! [`run`] is the whole of it: each step's actions start at the current
//! instant, after every arrival due then; blocking `recv`s and `wait`s let
//! virtual time pass (delivering datagrams) until they return; after the
//! last step the datagrams still in flight arrive. Events stream into the
//! sink as they happen. The TCP world (`crate::world`) is not involved.

use crate::calls::{Blocked, Call, CallResult, Failure, Received, SendData};
use crate::link::{Link, Verdict};
use crate::scenario::{Action, Scenario};
use crate::segment::TcpHeader;
use crate::transcript::{
    ConnInfo, DatagramEvent, Event, EventKind, Fate, Note, OwnedEvent, OwnedKind, Side, Sink,
};
use crate::world::{RunOptions, RunOutcome, Stats, SIM_ADDR};
use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::net::SocketAddr;

/// The largest UDP payload over IPv4 (65535 - 20 - 8).
pub const MAX_DATAGRAM: u64 = 65_507;

/// A UDP socket: a port it is bound to and a queue of whole datagrams.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UdpSocket {
    port: Option<u16>,
    closed: bool,
    /// Datagrams received and not read yet: (sender's port, payload).
    queue: VecDeque<(u16, Vec<u8>)>,
    /// The port of the last datagram received (where `send` answers).
    last_peer: Option<u16>,
}

impl UdpSocket {
    /// `bind(port)`; a socket binds once.
    pub fn bind(&mut self, port: u16) -> Result<(), Failure> {
        if self.closed {
            return Err(Failure::Closed);
        }
        if self.port.is_some() {
            return Err(Failure::AlreadyOpen);
        }
        self.port = Some(port);
        Ok(())
    }

    /// The port it sends from: its own, bound now to `default` if it was
    /// not (as `sendto` binds an unbound socket).
    pub fn port_or_bind(&mut self, default: u16) -> u16 {
        *self.port.get_or_insert(default)
    }

    /// A datagram arrives for `port`: queued if this socket is bound there
    /// and open; else discarded (`false`).
    pub fn deliver(&mut self, port: u16, from: u16, payload: Vec<u8>) -> bool {
        if self.closed || self.port != Some(port) {
            return false;
        }
        self.last_peer = Some(from);
        self.queue.push_back((from, payload));
        true
    }

    /// One whole datagram, if one is queued.
    pub fn recv(&mut self) -> Option<(u16, Vec<u8>)> {
        self.queue.pop_front()
    }

    /// `close()`: datagrams not read are lost with the socket.
    pub fn close(&mut self) {
        self.closed = true;
        self.queue.clear();
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }
}

/// A datagram on the link.
#[derive(Clone, Debug)]
struct Flight {
    to: Side,
    from_port: u16,
    dst_port: u16,
    payload: Vec<u8>,
}

/// What a step still waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Waiting {
    Recv(Side),
    Until(u64),
}

/// The client's port and the server's: its first `bind`, else 9999.
fn ports(scenario: &Scenario) -> [u16; 2] {
    let server = scenario
        .steps
        .iter()
        .flat_map(|s| &s.actions)
        .find_map(|a| match a {
            Action::Bind {
                side: Side::Server,
                port,
            } => Some(*port),
            _ => None,
        })
        .unwrap_or(9999);
    [scenario.settings.client_port, server]
}

/// The addresses of a udp scenario, as the transcript's header shows them.
pub fn conn_info(scenario: &Scenario) -> ConnInfo {
    let [c, s] = ports(scenario);
    ConnInfo {
        conn: None,
        client: SocketAddr::new(SIM_ADDR, c),
        server: SocketAddr::new(SIM_ADDR, s),
    }
}

/// Two UDP sockets and a link.
struct UdpWorld<'s> {
    now: u64,
    socks: [UdpSocket; 2],
    ports: [u16; 2],
    link: Link,
    /// In flight, by (arrival, order sent).
    queue: BTreeMap<(u64, u64), Flight>,
    sent: u64,
    next_id: u64,
    stats: Stats,
    sink: &'s mut dyn Sink,
}

/// Runs a `transport udp` scenario, streaming its transcript into `sink`.
pub fn run(scenario: &Scenario, opts: &RunOptions, sink: &mut dyn Sink) -> io::Result<RunOutcome> {
    let s = opts.apply(&scenario.settings);
    if sink.wants_events() {
        sink.begin_conn(&conn_info(scenario))?;
    }
    let mut w = UdpWorld {
        now: 0,
        socks: Default::default(),
        ports: ports(scenario),
        link: Link::new(s.rtt_us, s.faults.clone(), s.losses.clone(), s.seed),
        queue: BTreeMap::new(),
        sent: 0,
        next_id: 0,
        stats: Stats::default(),
        sink,
    };
    for step in &scenario.steps {
        w.arrive_due()?;
        let mut waiting = Vec::new();
        for action in &step.actions {
            if let Some(wait) = w.start(action)? {
                waiting.push(wait);
            }
        }
        while !waiting.is_empty() {
            let next_arrival = w.queue.keys().next().map(|k| k.0);
            let deadline = waiting
                .iter()
                .filter_map(|x| match x {
                    Waiting::Until(t) => Some(*t),
                    Waiting::Recv(_) => None,
                })
                .min();
            let to = match (next_arrival, deadline) {
                (Some(a), Some(d)) => a.min(d),
                (a, d) => match a.or(d) {
                    Some(t) => t,
                    None => {
                        // Nothing is in flight: a waiting recv would wait for ever.
                        for x in waiting.drain(..) {
                            if let Waiting::Recv(side) = x {
                                w.app(
                                    side,
                                    Call::RecvFrom,
                                    CallResult::Failed(Failure::BlocksForever),
                                )?;
                            }
                        }
                        break;
                    }
                },
            };
            w.now = w.now.max(to);
            w.arrive_due()?;
            let mut still = Vec::new();
            for x in waiting {
                let done = match x {
                    Waiting::Until(t) => w.now >= t,
                    Waiting::Recv(side) => w.try_recv(side)?,
                };
                if !done {
                    still.push(x);
                }
            }
            waiting = still;
        }
    }
    // After the last step: what is in flight arrives.
    while let Some(&(t, _)) = w.queue.keys().next() {
        w.now = w.now.max(t);
        w.arrive_due()?;
    }
    w.sink.finish()?;
    let mut stats = w.stats;
    stats.end_us = w.now;
    Ok(RunOutcome {
        failures: Vec::new(),
        error: None,
        stats,
    })
}

impl UdpWorld<'_> {
    fn emit(&mut self, kind: OwnedKind) -> io::Result<()> {
        if !self.sink.wants_events() {
            return Ok(());
        }
        let ev = OwnedEvent {
            t_us: self.now,
            conn: None,
            kind,
        };
        self.sink.event(&ev.as_event())
    }

    fn app(&mut self, endpoint: Side, call: Call, result: CallResult) -> io::Result<()> {
        self.emit(OwnedKind::App {
            endpoint,
            call,
            result,
        })
    }

    /// Starts an action; returns what the step must wait for.
    fn start(&mut self, action: &Action) -> io::Result<Option<Waiting>> {
        match action {
            Action::Bind { side, port } => {
                let r = self.socks[side.index()].bind(*port);
                let result = r.map_or_else(CallResult::Failed, |()| CallResult::Ok);
                self.app(*side, Call::Bind { port: *port }, result)?;
            }
            Action::Send { side, data } => self.send(*side, data)?,
            Action::Recv { side, .. } if !self.try_recv(*side)? => {
                let blocked = CallResult::Blocked(Blocked::Datagram);
                self.app(*side, Call::RecvFrom, blocked)?;
                return Ok(Some(Waiting::Recv(*side)));
            }
            Action::Close { side } => {
                self.socks[side.index()].close();
                self.app(*side, Call::Close, CallResult::Ok)?;
            }
            Action::Wait { us } => {
                let note = Note::Wait { us: *us };
                self.sink.event(&Event {
                    t_us: self.now,
                    conn: None,
                    kind: EventKind::Note(&note),
                })?;
                return Ok(Some(Waiting::Until(self.now.saturating_add(*us))));
            }
            // The parser keeps TCP's calls and checks out of udp scenarios.
            _ => {}
        }
        Ok(None)
    }

    /// `recv` on `side`: returns one queued datagram, if any (`true`).
    fn try_recv(&mut self, side: Side) -> io::Result<bool> {
        let sock = &mut self.socks[side.index()];
        if sock.is_closed() {
            self.app(side, Call::RecvFrom, CallResult::Failed(Failure::Closed))?;
            return Ok(true);
        }
        match sock.recv() {
            Some((from_port, payload)) => {
                self.stats.bytes_read[side.index()] += payload.len() as u64;
                let result = CallResult::Datagram {
                    from_port,
                    data: Received::of(&payload),
                };
                self.app(side, Call::RecvFrom, result)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// `send` on `side`: one datagram to the peer (the server's port; for
    /// the server, the port it last heard from).
    fn send(&mut self, side: Side, data: &SendData) -> io::Result<()> {
        let peer = match side {
            Side::Client => self.ports[1],
            Side::Server => self.socks[1].last_peer.unwrap_or(self.ports[0]),
        };
        let call = Call::SendTo {
            port: peer,
            data: data.clone(),
        };
        let payload = match data {
            SendData::Text(b) => b.clone(),
            SendData::Bytes(n) if *n > MAX_DATAGRAM => {
                return self.app(side, call, CallResult::Failed(Failure::MessageTooLong));
            }
            SendData::Bytes(n) => (0..*n).map(|i| b'a' + (i % 26) as u8).collect(),
        };
        if payload.len() as u64 > MAX_DATAGRAM {
            return self.app(side, call, CallResult::Failed(Failure::MessageTooLong));
        }
        let sock = &mut self.socks[side.index()];
        if sock.is_closed() {
            return self.app(side, call, CallResult::Failed(Failure::Closed));
        }
        let from_port = sock.port_or_bind(self.ports[side.index()]);
        self.app(side, call, CallResult::Ok)?;
        let dir = side.dir();
        // The link's rules count a datagram as a segment of kind `data`
        // (payload > 0) and `any`: a header with no flags says just that.
        let pseudo = TcpHeader {
            src_port: from_port,
            dst_port: peer,
            payload_len: u32::try_from(payload.len()).unwrap_or(u32::MAX),
            ..TcpHeader::default()
        };
        let verdict = self.link.verdict(dir, &pseudo);
        self.next_id += 1;
        self.stats.segments += 1;
        let arrives = self.now + self.link.one_way_us();
        let (fate, arrives_us) = match verdict {
            Verdict::Drop => {
                self.stats.dropped += 1;
                (Fate::Dropped, arrives)
            }
            Verdict::Duplicate => {
                self.stats.duplicated += 1;
                (Fate::Duplicated, arrives)
            }
            Verdict::Delay(d) => {
                self.stats.delayed += 1;
                (Fate::Delivered, arrives + d)
            }
            Verdict::Pass => (Fate::Delivered, arrives),
        };
        let dg = DatagramEvent {
            id: self.next_id,
            dir,
            src_port: from_port,
            dst_port: peer,
            len: pseudo.payload_len,
            fate,
            arrives_us: Some(arrives_us),
            payload: &[],
        };
        self.emit(OwnedKind::Datagram {
            dg,
            payload: payload.clone(),
        })?;
        let copies = match fate {
            Fate::Dropped => 0,
            Fate::Duplicated => 2,
            _ => 1,
        };
        for _ in 0..copies {
            self.sent += 1;
            let flight = Flight {
                to: side.peer(),
                from_port,
                dst_port: peer,
                payload: payload.clone(),
            };
            self.queue.insert((arrives_us, self.sent), flight);
        }
        Ok(())
    }

    /// Delivers every datagram due by now.
    fn arrive_due(&mut self) -> io::Result<()> {
        while let Some(entry) = self.queue.first_entry() {
            if entry.key().0 > self.now {
                break;
            }
            let f = entry.remove();
            let sock = &mut self.socks[f.to.index()];
            if !sock.deliver(f.dst_port, f.from_port, f.payload) {
                let note = Note::Text(format!(
                    "nobody receives on port {} at the {}: the datagram is discarded (a real host answers with ICMP port unreachable)",
                    f.dst_port, f.to
                ));
                self.emit(OwnedKind::Note(note))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::Recorder;

    fn run_text(text: &str) -> Recorder {
        let sc = crate::scenario::parse("t", text).unwrap_or_else(|e| panic!("{e}"));
        let mut rec = Recorder::default();
        run(&sc, &RunOptions::default(), &mut rec).unwrap_or_else(|e| panic!("{e}"));
        rec
    }

    fn results(rec: &Recorder) -> Vec<(Side, CallResult)> {
        rec.events
            .iter()
            .filter_map(|e| match &e.kind {
                OwnedKind::App {
                    endpoint, result, ..
                } => Some((*endpoint, result.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn recv_returns_one_whole_datagram_each_boundaries_kept() {
        let rec = run_text(
            "transport udp\nserver bind 7\nclient send \"AAA\"\nclient send \"BBB\"\nwait 1s\nserver recv\nserver recv\n",
        );
        let got: Vec<CallResult> = results(&rec)
            .into_iter()
            .filter(|(s, _)| *s == Side::Server)
            .map(|(_, r)| r)
            .collect();
        let dg = |b: &[u8]| CallResult::Datagram {
            from_port: 49152,
            data: Received::of(b),
        };
        assert_eq!(got, vec![CallResult::Ok, dg(b"AAA"), dg(b"BBB")]);
    }

    #[test]
    fn a_dropped_datagram_is_gone_and_recv_would_wait_for_ever() {
        let rec = run_text(
            "transport udp\ndrop client->server data #1\nserver bind 7\nclient send \"x\"\nserver recv\n",
        );
        let dgs: Vec<Fate> = rec
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                OwnedKind::Datagram { dg, .. } => Some(dg.fate),
                _ => None,
            })
            .collect();
        assert_eq!(dgs, vec![Fate::Dropped], "no retransmission, no ACK");
        let last = results(&rec).pop().map(|(_, r)| r);
        assert_eq!(last, Some(CallResult::Failed(Failure::BlocksForever)));
    }

    #[test]
    fn no_handshake_the_first_send_is_the_first_packet_and_the_server_answers_its_sender() {
        let rec = run_text(
            "transport udp\nserver bind 7\nclient send \"hi\"\nserver recv\nserver send \"ho\"\nclient recv\n",
        );
        let first = rec.events.iter().find_map(|e| match &e.kind {
            OwnedKind::Datagram { dg, .. } => Some((e.t_us, dg.dir, dg.src_port, dg.dst_port)),
            _ => None,
        });
        assert_eq!(
            first,
            Some((0, crate::transcript::Dir::ClientToServer, 49152, 7))
        );
        let last = results(&rec).pop();
        assert_eq!(
            last,
            Some((
                Side::Client,
                CallResult::Datagram {
                    from_port: 7,
                    data: Received::of(b"ho")
                }
            ))
        );
    }
}
