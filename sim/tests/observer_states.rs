//! State inference and connection tracking of the observer, one test per
//! RFC 9293 transition as seen from the wire.

use std::net::SocketAddr;
use synack_sim::observer::{Closing, Observer, Opening, TcpPacket};
use synack_sim::state::State::{self, *};
use synack_sim::transcript::{
    AnalysisFlag, Note, OwnedKind, Recorder, Side, StateSource, WireNote,
};
use synack_sim::{Flags, SeqNum, TcpHeader};

const CLIENT: &str = "10.0.0.1:40000";
const SERVER: &str = "10.0.0.2:80";

struct Cap {
    obs: Observer,
    rec: Recorder,
    frame: u64,
    t: u64,
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

impl Cap {
    fn new() -> Cap {
        Cap {
            obs: Observer::new(),
            rec: Recorder::default(),
            frame: 0,
            t: 0,
        }
    }

    /// `from` is "c" or "s"; flags as in "SA", "FA", "PA", "RA".
    #[track_caller]
    fn send(&mut self, from: &str, f: &str, seq: u32, ack: u32, len: u32) {
        let flags = f.chars().fold(Flags::NONE, |acc, c| {
            acc | match c {
                'S' => Flags::SYN,
                'F' => Flags::FIN,
                'R' => Flags::RST,
                'P' => Flags::PSH,
                'A' => Flags::ACK,
                _ => Flags::NONE,
            }
        });
        let (src, dst) = if from == "c" {
            (CLIENT, SERVER)
        } else {
            (SERVER, CLIENT)
        };
        self.frame += 1;
        self.t += 1000;
        let pkt = TcpPacket {
            src: addr(src),
            dst: addr(dst),
            hdr: TcpHeader {
                src_port: addr(src).port(),
                dst_port: addr(dst).port(),
                seq: SeqNum(seq),
                ack: SeqNum(ack),
                flags,
                window: 1000,
                payload_len: len,
                ..Default::default()
            },
            payload: &[],
        };
        self.obs
            .observe(self.t, self.frame, &pkt, &mut self.rec)
            .unwrap();
    }

    /// State changes since the last call, as (side, from, to).
    fn take_states(&mut self) -> Vec<(Side, State, State)> {
        let out = self
            .rec
            .events
            .iter()
            .filter_map(|e| match e.kind {
                OwnedKind::State {
                    endpoint,
                    from,
                    to,
                    source,
                } => {
                    assert_eq!(source, StateSource::Wire);
                    Some((endpoint, from, to))
                }
                _ => None,
            })
            .collect();
        self.rec
            .events
            .retain(|e| !matches!(e.kind, OwnedKind::State { .. }));
        out
    }

    fn notes(&self) -> Vec<WireNote> {
        self.rec
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                OwnedKind::Note(Note::Wire(n)) => Some(*n),
                _ => None,
            })
            .collect()
    }

    #[track_caller]
    fn expect(&mut self, want: &[(Side, State, State)]) {
        assert_eq!(self.take_states(), want);
    }
}

use Side::{Client as C, Server as S};

/// Client ISN 1000, server ISN 5000, through ESTABLISHED.
fn established() -> Cap {
    let mut c = Cap::new();
    c.send("c", "S", 1000, 0, 0);
    c.expect(&[(C, Closed, SynSent)]);
    c.send("s", "SA", 5000, 1001, 0);
    c.expect(&[(S, Listen, SynReceived)]);
    c.send("c", "A", 1001, 5001, 0);
    c.expect(&[(C, SynSent, Established), (S, SynReceived, Established)]);
    c
}

#[test]
fn handshake_and_orderly_close_by_client() {
    let mut c = established();
    c.send("c", "PA", 1001, 5001, 7);
    c.expect(&[]);
    c.send("c", "FA", 1008, 5001, 0);
    c.expect(&[(C, Established, FinWait1)]);
    c.send("s", "A", 5001, 1009, 0);
    c.expect(&[(S, Established, CloseWait), (C, FinWait1, FinWait2)]);
    c.send("s", "FA", 5001, 1009, 0);
    c.expect(&[(S, CloseWait, LastAck)]);
    c.send("c", "A", 1009, 5002, 0);
    c.expect(&[(C, FinWait2, TimeWait), (S, LastAck, Closed)]);
    let s = &c.obs.summaries()[0];
    assert_eq!(
        (s.opening, s.closing),
        (Opening::Handshake, Closing::FinBothWays)
    );
    assert_eq!(s.final_state, [TimeWait, Closed]);
    assert_eq!((s.packets, s.bytes), ([5, 3], [7, 0]));
}

#[test]
fn fin_ack_that_acks_the_peer_fin_passes_through_close_wait() {
    let mut c = established();
    c.send("c", "FA", 1001, 5001, 0);
    c.expect(&[(C, Established, FinWait1)]);
    c.send("s", "FA", 5001, 1002, 0);
    c.expect(&[
        (S, Established, CloseWait),
        (C, FinWait1, FinWait2),
        (S, CloseWait, LastAck),
    ]);
    c.send("c", "A", 1002, 5002, 0);
    c.expect(&[(C, FinWait2, TimeWait), (S, LastAck, Closed)]);
}

#[test]
fn simultaneous_close_goes_through_closing() {
    let mut c = established();
    c.send("c", "FA", 1001, 5001, 0);
    c.send("s", "FA", 5001, 1001, 0); // crossed: does not ack the client's FIN
    c.expect(&[(C, Established, FinWait1), (S, Established, FinWait1)]);
    c.send("c", "A", 1002, 5002, 0);
    c.expect(&[(C, FinWait1, Closing), (S, FinWait1, FinWait2)]);
    c.send("s", "A", 5002, 1002, 0);
    c.expect(&[(S, FinWait2, TimeWait), (C, Closing, TimeWait)]);
}

#[test]
fn half_close_keeps_data_flowing_the_other_way() {
    let mut c = established();
    c.send("c", "FA", 1001, 5001, 0);
    c.send("s", "A", 5001, 1002, 0);
    c.take_states();
    c.send("s", "PA", 5001, 1002, 3);
    c.send("c", "A", 1002, 5004, 0);
    c.expect(&[]);
    assert_eq!(
        c.obs.summaries()[0].closing,
        Closing::HalfClosed(Side::Client)
    );
    assert_eq!(c.obs.summaries()[0].final_state, [FinWait2, CloseWait]);
}

#[test]
fn refused_connect() {
    let mut c = Cap::new();
    c.send("c", "S", 1000, 0, 0);
    c.send("s", "RA", 0, 1001, 0);
    c.expect(&[(C, Closed, SynSent), (C, SynSent, Closed)]);
    assert_eq!(c.notes(), [WireNote::Refused]);
    let s = &c.obs.summaries()[0];
    assert_eq!(
        (s.opening, s.closing),
        (Opening::Refused, Closing::Reset(Side::Server))
    );
    assert_eq!(s.final_state, [Closed, Closed]);
}

#[test]
fn rst_mid_stream_closes_both() {
    let mut c = established();
    c.send("s", "RA", 5001, 1001, 0);
    c.expect(&[(S, Established, Closed), (C, Established, Closed)]);
    assert_eq!(c.notes(), [WireNote::ResetBy(Side::Server)]);
}

#[test]
fn simultaneous_open() {
    let mut c = Cap::new();
    c.send("c", "S", 1000, 0, 0);
    c.send("s", "S", 5000, 0, 0);
    c.expect(&[(C, Closed, SynSent), (S, Listen, SynSent)]);
    c.send("c", "SA", 1000, 5001, 0);
    c.expect(&[(C, SynSent, SynReceived)]);
    c.send("s", "SA", 5000, 1001, 0);
    c.expect(&[
        (S, SynSent, SynReceived),
        (S, SynReceived, Established),
        (C, SynReceived, Established),
    ]);
    assert_eq!(c.obs.summaries()[0].opening, Opening::SimultaneousOpen);
}

#[test]
fn capture_starting_mid_connection() {
    let mut c = Cap::new();
    c.send("s", "PA", 5001, 1001, 10);
    c.expect(&[]);
    assert_eq!(c.notes(), [WireNote::MidConnection]);
    // The lower address:port is the client.
    assert_eq!(c.rec.conns[0].client, addr(CLIENT));
    c.send("c", "FA", 1001, 5011, 0);
    c.expect(&[(C, Established, FinWait1)]);
    assert_eq!(c.obs.summaries()[0].opening, Opening::MidConnection);
}

#[test]
fn new_syn_with_another_isn_starts_a_new_connection_with_reused_ports() {
    let mut c = established();
    c.send("c", "FA", 1001, 5001, 0);
    c.send("s", "FA", 5001, 1002, 0);
    c.send("c", "A", 1002, 5002, 0);
    c.send("c", "S", 9000, 0, 0);
    let conns: Vec<_> = c.rec.conns.iter().map(|i| i.conn).collect();
    assert_eq!(conns, [Some(1), Some(2)]);
    let last = c.rec.events.iter().rev().find_map(|e| match &e.kind {
        OwnedKind::Segment { seg, .. } => Some((e.conn, seg.analysis)),
        _ => None,
    });
    let (conn, analysis) = last.unwrap();
    assert_eq!(conn, Some(2));
    assert!(analysis.contains(AnalysisFlag::ReusedPorts));
    // The same SYN again is a retransmission in the new connection, not a third one.
    c.send("c", "S", 9000, 0, 0);
    assert_eq!(c.obs.conn_count(), 2);
    let sums = c.obs.summaries();
    assert_eq!(sums[0].final_state, [TimeWait, Closed]);
    assert_eq!(sums[1].final_state, [SynSent, Listen]);
    assert_eq!(sums[1].opening, Opening::SynOnly);
    assert_eq!(sums[1].count(AnalysisFlag::ReusedPorts), 1);
    assert_eq!(sums[1].count(AnalysisFlag::Retransmission), 1);
}

#[test]
fn sequence_numbers_wrapping_past_2_pow_32() {
    let isn = u32::MAX - 2;
    let mut c = Cap::new();
    c.send("c", "S", isn, 0, 0);
    c.send("s", "SA", 5000, isn.wrapping_add(1), 0);
    c.send("c", "A", isn.wrapping_add(1), 5001, 0);
    c.take_states();
    c.send("c", "PA", isn.wrapping_add(1), 5001, 10); // crosses 2^32
    c.send("c", "FA", isn.wrapping_add(11), 5001, 0);
    c.send("s", "FA", 5001, isn.wrapping_add(12), 0);
    c.send("c", "A", isn.wrapping_add(12), 5002, 0);
    c.expect(&[
        (C, Established, FinWait1),
        (S, Established, CloseWait),
        (C, FinWait1, FinWait2),
        (S, CloseWait, LastAck),
        (C, FinWait2, TimeWait),
        (S, LastAck, Closed),
    ]);
    let rel: Vec<u32> = c
        .rec
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            OwnedKind::Segment { seg, .. } if seg.dir.sender() == Side::Client => Some(seg.rel_seq),
            _ => None,
        })
        .collect();
    assert_eq!(rel, [0, 1, 1, 11, 12]);
}
