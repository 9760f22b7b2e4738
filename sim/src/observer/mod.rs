//! The passive observer: follows TCP connections in a stream of captured
//! segments, infers both endpoints' states, and flags each segment the way
//! Wireshark's TCP analysis does.
//!
//! Pure: the capture path decodes packets and feeds them in; the simulator
//! may use [`TcpAnalyzer`] alone to flag its own segments.
//!
//! Calling order: create one [`Observer`] per capture, call
//! [`Observer::observe`] for every TCP packet in capture order, then read
//! [`Observer::summaries`] (for `annotate --summary`). Memory grows with the
//! number of connections only; observing a packet allocates nothing except
//! the [`ConnInfo`] of a new connection.

pub mod analysis;
pub mod infer;

pub use analysis::{SegmentAnalysis, TcpAnalyzer, WinScale};
pub use infer::{Change, Changes, Closing, Inference, Opening};

use crate::segment::TcpHeader;
use crate::state::State;
use crate::transcript::{
    Analysis, AnalysisFlag, ConnInfo, Dir, Event, EventKind, Fate, SegmentEvent, Side, Sink,
};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io;
use std::net::SocketAddr;

/// One captured TCP packet, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObservedPacket<'a> {
    /// Microseconds since the start of the capture.
    pub t_us: u64,
    /// 1-based record number in the capture.
    pub frame: u64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// `payload_len` is the length on the wire (from the IP header), which may
    /// exceed `payload` when the capture was cut short; `ack` is the raw field
    /// even when ACK is clear.
    pub hdr: TcpHeader,
    pub payload: &'a [u8],
}

/// What `annotate --summary` shows for one connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnSummary {
    /// 1-based, in order of first appearance.
    pub conn: u32,
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// Packets each way, indexed by `Dir::sender().index()`.
    pub packets: [u64; 2],
    /// Payload bytes each way, indexed by `Dir::sender().index()`.
    pub bytes: [u64; 2],
    pub first_us: u64,
    pub last_us: u64,
    pub opening: Opening,
    pub closing: Closing,
    /// States at the end of the capture, indexed by `Side::index()`.
    pub final_state: [State; 2],
    /// How many segments carried each flag, indexed like `AnalysisFlag::ALL`.
    pub flag_counts: [u64; AnalysisFlag::ALL.len()],
}

impl ConnSummary {
    pub fn duration_us(&self) -> u64 {
        self.last_us.saturating_sub(self.first_us)
    }

    pub fn count(&self, flag: AnalysisFlag) -> u64 {
        self.flag_counts.get(flag as usize).copied().unwrap_or(0)
    }
}

/// A connection being followed.
#[derive(Clone, Debug)]
struct Conn {
    id: u32,
    client: SocketAddr,
    server: SocketAddr,
    analyzer: TcpAnalyzer,
    infer: Inference,
    packets: [u64; 2],
    bytes: [u64; 2],
    first_us: u64,
    last_us: u64,
    flag_counts: [u64; AnalysisFlag::ALL.len()],
}

impl Conn {
    fn new(id: u32, client: SocketAddr, server: SocketAddr, t_us: u64) -> Conn {
        Conn {
            id,
            client,
            server,
            analyzer: TcpAnalyzer::new(),
            infer: Inference::new(),
            packets: [0; 2],
            bytes: [0; 2],
            first_us: t_us,
            last_us: t_us,
            flag_counts: [0; AnalysisFlag::ALL.len()],
        }
    }

    #[inline]
    fn dir_of(&self, src: &SocketAddr) -> Dir {
        if *src == self.client {
            Dir::ClientToServer
        } else {
            Dir::ServerToClient
        }
    }

    fn summary(&self) -> ConnSummary {
        ConnSummary {
            conn: self.id,
            client: self.client,
            server: self.server,
            packets: self.packets,
            bytes: self.bytes,
            first_us: self.first_us,
            last_us: self.last_us,
            opening: self.infer.opening(),
            closing: self.infer.closing(),
            final_state: [
                self.infer.state(Side::Client),
                self.infer.state(Side::Server),
            ],
            flag_counts: self.flag_counts,
        }
    }
}

/// The unordered pair of endpoints that names a connection.
type Key = (SocketAddr, SocketAddr);

fn key(a: SocketAddr, b: SocketAddr) -> Key {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// `(IpAddr, port)` order, for choosing the client when no SYN was seen.
fn lower(a: SocketAddr, b: SocketAddr) -> bool {
    (a.ip(), a.port()) <= (b.ip(), b.port())
}

/// Follows every TCP connection of a capture; see the module docs.
#[derive(Clone, Debug, Default)]
pub struct Observer {
    /// 4-tuple to the index in `conns` of its current connection. Lookup
    /// only; nothing iterates it.
    table: HashMap<Key, usize, BuildHasherDefault<FxHasher>>,
    /// Every connection, in order of first appearance (conn id - 1).
    conns: Vec<Conn>,
    /// The last packet's connection: most packets follow one of the same
    /// connection, so this skips the hash lookup on the hot path.
    last: Option<(Key, usize)>,
    /// Scratch list of the state changes of one segment, reused.
    changes: Changes,
}

/// The Fx hash (rustc's): a multiply and a rotate per word. The table is
/// never iterated, so its order cannot reach output; speed is what matters.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Observer {
    pub fn new() -> Observer {
        Observer::default()
    }

    /// Observes one packet: emits `begin_conn` for a new connection, then the
    /// segment (with its analysis), then any notes and state changes it implies.
    #[inline]
    pub fn observe(&mut self, pkt: &ObservedPacket<'_>, sink: &mut dyn Sink) -> io::Result<()> {
        // A sink that throws events away gets none: states and counters
        // are still kept, for the summary.
        let wants = sink.wants_events();
        let hdr = &pkt.hdr;
        let bare_syn = hdr.flags.syn() && !hdr.flags.ack();

        // The same connection as the last packet, either way: no key to
        // order and no hash lookup.
        let existing = match self.last {
            Some(((a, b), i))
                if (a == pkt.src && b == pkt.dst) || (a == pkt.dst && b == pkt.src) =>
            {
                Some(i)
            }
            _ => self.table.get(&key(pkt.src, pkt.dst)).copied(),
        };
        // dissect_tcp(): a SYN whose seq differs from the flow's base seq
        // starts a new conversation flagged "reused_ports".
        let reused = bare_syn
            && existing.is_some_and(|i| {
                self.conns.get(i).is_some_and(|c| {
                    let dir = c.dir_of(&pkt.src);
                    c.analyzer.base_seq(dir).is_some_and(|b| b != hdr.seq)
                })
            });
        let idx = match existing {
            Some(i) if !reused => i,
            _ => {
                let k = key(pkt.src, pkt.dst);
                let (client, server) = if bare_syn {
                    (pkt.src, pkt.dst)
                } else if hdr.flags.syn() {
                    (pkt.dst, pkt.src)
                } else if lower(pkt.src, pkt.dst) {
                    (pkt.src, pkt.dst)
                } else {
                    (pkt.dst, pkt.src)
                };
                let id = u32::try_from(self.conns.len() + 1).unwrap_or(u32::MAX);
                self.conns.push(Conn::new(id, client, server, pkt.t_us));
                let i = self.conns.len() - 1;
                self.table.insert(k, i);
                if wants {
                    sink.begin_conn(&ConnInfo {
                        conn: Some(id),
                        client: client.to_string(),
                        server: server.to_string(),
                    })?;
                }
                i
            }
        };
        let Some(conn) = self.conns.get_mut(idx) else {
            return Ok(());
        };
        if !matches!(self.last, Some((_, i)) if i == idx) {
            self.last = Some((key(pkt.src, pkt.dst), idx));
        }

        let dir = conn.dir_of(&pkt.src);
        let mut seg = conn.analyzer.analyze(dir, pkt.t_us, hdr);
        if reused {
            seg.flags.insert(AnalysisFlag::ReusedPorts);
        }
        let d = dir.sender().index();
        if let Some(n) = conn.packets.get_mut(d) {
            *n += 1;
        }
        if let Some(b) = conn.bytes.get_mut(d) {
            *b += u64::from(hdr.payload_len);
        }
        conn.last_us = conn.last_us.max(pkt.t_us);
        count_flags(&mut conn.flag_counts, seg.flags);

        let id = Some(conn.id);
        if wants {
            sink.event(&Event {
                t_us: pkt.t_us,
                conn: id,
                kind: EventKind::Segment(SegmentEvent {
                    dir,
                    hdr: *hdr,
                    rel_seq: seg.rel_seq,
                    rel_ack: seg.rel_ack,
                    win_bytes: seg.win_bytes,
                    fate: Fate::Captured,
                    analysis: seg.flags,
                    frame: Some(pkt.frame),
                    payload: pkt.payload,
                }),
            })?;
        }

        conn.infer.on_segment_into(dir, hdr, &mut self.changes);
        if !wants {
            return Ok(());
        }
        for change in self.changes.iter() {
            let kind = match change {
                Change::State { side, from, to } => EventKind::State {
                    endpoint: side,
                    from,
                    to,
                },
                Change::Note(text) => EventKind::Note { text },
            };
            sink.event(&Event {
                t_us: pkt.t_us,
                conn: id,
                kind,
            })?;
        }
        Ok(())
    }

    /// One summary per connection, ordered by conn id.
    pub fn summaries(&self) -> Vec<ConnSummary> {
        self.conns.iter().map(Conn::summary).collect()
    }

    /// Number of connections seen so far.
    pub fn conn_count(&self) -> usize {
        self.conns.len()
    }
}

#[inline]
fn count_flags(counts: &mut [u64; AnalysisFlag::ALL.len()], flags: Analysis) {
    if flags.is_empty() {
        return;
    }
    for f in flags.iter() {
        if let Some(c) = counts.get_mut(f as usize) {
            *c += 1;
        }
    }
}
