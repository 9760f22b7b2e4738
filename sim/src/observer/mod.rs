//! The passive observer: follows TCP connections in a stream of captured
//! segments, infers both endpoints' states, and flags each segment the way
//! Wireshark's TCP analysis does.
//!
//! Pure: the capture path decodes packets and feeds them in; the simulator
//! may use [`TcpAnalyzer`] alone to flag its own segments.
//!
//! Calling order: create one [`Observer`] per capture, call
//! [`Observer::observe`]`(t_us, frame, &packet, sink)` for every TCP packet
//! in capture order, then read
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
    Analysis, AnalysisFlag, ConnInfo, Dir, Event, EventKind, Fate, Footnotes, Note, SegmentEvent,
    Side, Sink, StateSource,
};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io;
use std::net::SocketAddr;

/// One captured TCP packet, decoded: what the capture path's decoder
/// produces and the observer reads (one type, zero-copy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpPacket<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// `payload_len` is the length on the wire (from the IP header), which may
    /// exceed `payload` when the capture was cut short; `ack` is the raw field
    /// even when ACK is clear.
    pub hdr: TcpHeader,
    /// The captured payload bytes (fewer than `hdr.payload_len` when cut).
    pub payload: &'a [u8],
}

impl TcpPacket<'_> {
    /// The snaplen cut the payload: fewer bytes captured than it had.
    pub fn payload_truncated(&self) -> bool {
        (self.payload.len() as u64) < u64::from(self.hdr.payload_len)
    }
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
    /// The footnotes to Wireshark's words told so far on this connection.
    footnotes: Footnotes,
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
            footnotes: Footnotes::default(),
            infer: Inference::new(),
            packets: [0; 2],
            bytes: [0; 2],
            first_us: t_us,
            last_us: t_us,
            flag_counts: [0; AnalysisFlag::ALL.len()],
        }
    }

    /// Counts a segment of this connection.
    #[inline]
    fn count(&mut self, dir: Dir, t_us: u64, hdr: &TcpHeader, flags: Analysis) {
        let d = dir.sender().index();
        if let Some(n) = self.packets.get_mut(d) {
            *n += 1;
        }
        if let Some(b) = self.bytes.get_mut(d) {
            *b += u64::from(hdr.payload_len);
        }
        self.last_us = self.last_us.max(t_us);
        count_flags(&mut self.flag_counts, flags);
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

/// Which end is the client (docs/transcript-json.md): the sender of a bare
/// SYN, the receiver of a SYN-ACK, else the lower `(address, port)`.
fn choose_client(pkt: &TcpPacket<'_>) -> (SocketAddr, SocketAddr) {
    let f = pkt.hdr.flags;
    let lower = (pkt.src.ip(), pkt.src.port()) <= (pkt.dst.ip(), pkt.dst.port());
    if (f.syn() && !f.ack()) || (!f.syn() && lower) {
        (pkt.src, pkt.dst)
    } else {
        (pkt.dst, pkt.src)
    }
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
    /// Segments observed so far: the last one's id.
    segments: u64,
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

    /// Observes one packet, captured `t_us` after the start as record
    /// `frame`: finds its connection (or starts one), analyses and counts
    /// the segment, infers what it proves, and emits `begin_conn` for a new
    /// connection, then the segment, then the notes and state changes it implies.
    #[inline]
    pub fn observe(
        &mut self,
        t_us: u64,
        frame: u64,
        pkt: &TcpPacket<'_>,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        // A sink that throws events away gets none: states and counters
        // are still kept, for the summary.
        let wants = sink.wants_events();
        self.segments += 1;
        let existing = self.lookup(pkt);
        let reused = self.reuses_ports(existing, pkt);
        let idx = match existing {
            Some(i) if !reused => i,
            _ => {
                let info = self.open_conn(t_us, pkt);
                if wants {
                    sink.begin_conn(&info)?;
                }
                self.conns.len() - 1
            }
        };
        if !matches!(self.last, Some((_, i)) if i == idx) {
            self.last = Some((key(pkt.src, pkt.dst), idx));
        }
        let Some(conn) = self.conns.get_mut(idx) else {
            return Ok(());
        };
        let dir = conn.dir_of(&pkt.src);
        let mut seg = conn.analyzer.analyze(dir, t_us, &pkt.hdr);
        if reused {
            seg.flags.insert(AnalysisFlag::ReusedPorts);
        }
        conn.count(dir, t_us, &pkt.hdr, seg.flags);
        conn.infer.on_segment_into(dir, &pkt.hdr, &mut self.changes);
        if !wants {
            return Ok(());
        }
        let conn_id = Some(conn.id);
        let id = self.segments;
        let event = |kind| Event {
            t_us,
            conn: conn_id,
            kind,
        };
        sink.event(&event(EventKind::Segment(SegmentEvent {
            id,
            dir,
            hdr: pkt.hdr,
            rel_seq: seg.rel_seq,
            rel_ack: seg.rel_ack,
            win_bytes: seg.win_bytes,
            fate: Fate::Captured,
            analysis: seg.flags,
            frame: Some(frame),
            arrives_us: None,
            payload: pkt.payload,
        })))?;
        if let Some(footnote) = conn.footnotes.take(seg.flags) {
            let note = Note::Footnote {
                side: dir.sender(),
                footnote,
            };
            sink.event(&Event {
                t_us,
                conn: conn_id,
                kind: EventKind::Note(&note),
            })?;
        }
        for change in self.changes.iter() {
            match change {
                Change::State { side, from, to } => sink.event(&event(EventKind::State {
                    endpoint: side,
                    from,
                    to,
                    source: StateSource::Wire,
                }))?,
                Change::Note(n) => {
                    let note = Note::Wire(n);
                    sink.event(&Event {
                        t_us,
                        conn: conn_id,
                        kind: EventKind::Note(&note),
                    })?
                }
            }
        }
        Ok(())
    }

    /// The connection the packet belongs to, if one is followed.
    #[inline]
    fn lookup(&self, pkt: &TcpPacket<'_>) -> Option<usize> {
        // The same connection as the last packet, either way: no key to
        // order and no hash lookup.
        match self.last {
            Some(((a, b), i))
                if (a == pkt.src && b == pkt.dst) || (a == pkt.dst && b == pkt.src) =>
            {
                Some(i)
            }
            _ => self.table.get(&key(pkt.src, pkt.dst)).copied(),
        }
    }

    /// dissect_tcp(): a SYN whose seq differs from the flow's base seq
    /// starts a new conversation flagged "reused_ports".
    fn reuses_ports(&self, existing: Option<usize>, pkt: &TcpPacket<'_>) -> bool {
        let hdr = &pkt.hdr;
        hdr.flags.syn()
            && !hdr.flags.ack()
            && existing.is_some_and(|i| {
                self.conns.get(i).is_some_and(|c| {
                    let dir = c.dir_of(&pkt.src);
                    c.analyzer.base_seq(dir).is_some_and(|b| b != hdr.seq)
                })
            })
    }

    /// Starts following a new connection with this packet.
    fn open_conn(&mut self, t_us: u64, pkt: &TcpPacket<'_>) -> ConnInfo {
        let (client, server) = choose_client(pkt);
        let id = u32::try_from(self.conns.len() + 1).unwrap_or(u32::MAX);
        self.conns.push(Conn::new(id, client, server, t_us));
        self.table
            .insert(key(pkt.src, pkt.dst), self.conns.len() - 1);
        ConnInfo {
            conn: Some(id),
            client,
            server,
        }
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
