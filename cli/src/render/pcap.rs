//! `--format pcap|pcapng`: a simulated transcript as a capture file that
//! opens in Wireshark. Every segment is written as the sender's side of the
//! link would see it, at the time it was sent, as IPv4 on loopback between
//! the client's and the server's ports: dropped ones too (once), duplicated
//! ones once. That is what synack's own analysis looks at (the sender's
//! view), so Wireshark's `tcp.analysis` of the file agrees with it frame by
//! frame: a segment the link lost is in the file, and its retransmission is
//! a retransmission in both (docs/diagrams.md, "Annotated exports").
//!
//! pcapng adds what Wireshark cannot know: the interface description names
//! the scenario, profile and seed, and each packet carries a comment
//! (`pkt_comment`) with both endpoints' states after the segment (the
//! sender's once it was sent, the receiver's once it arrived and was
//! handled), synack's analysis, and the segment's fate on the link.

use super::text::Header;
use super::words::Duration;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use synack_capture::{FileFormat, LinkType, SegmentExporter};
use synack_sim::transcript::{
    ConnInfo, DatagramEvent, Event, EventKind, Fate, OwnedEvent, OwnedKind, SegmentEvent, Side,
    Sink,
};
use synack_sim::State;

/// A sink that writes segments to a pcap or pcapng stream.
pub struct PcapRenderer<W: Write> {
    state: Exporting<W>,
    description: String,
    /// Each endpoint's state as the transcript has told it so far.
    states: [State; 2],
    /// Segments waiting for their receiver's state after their arrival, in
    /// the order they were sent.
    pending: VecDeque<Pending>,
}

/// A segment not written yet.
struct Pending {
    ev: OwnedEvent,
    /// The sender's state once it was sent.
    sender: State,
    /// When the receiver's state is known: the arrival, or the send for a
    /// dropped segment.
    settles_us: u64,
    /// The receiver's state after the arrival, once known.
    receiver: Option<State>,
}

/// The file is started at the first `begin_conn`, which names the addresses.
enum Exporting<W: Write> {
    NotYet { out: W, format: FileFormat },
    Writing(SegmentExporter<W>),
    Done,
}

/// The address both hosts get when no connection names them.
const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

impl<W: Write> PcapRenderer<W> {
    /// A capture file in `format`, written once the connection is known.
    /// `header` says what ran (pcapng's interface description).
    pub fn new(out: W, format: FileFormat, header: &Header) -> Self {
        PcapRenderer {
            state: Exporting::NotYet { out, format },
            description: description(header),
            states: [State::Closed; 2],
            pending: VecDeque::new(),
        }
    }

    /// Starts the file for a connection between `client` and `server`.
    fn start(&mut self, client: SocketAddr, server: SocketAddr) -> io::Result<()> {
        if let Exporting::NotYet { .. } = self.state {
            let Exporting::NotYet { out, format } =
                std::mem::replace(&mut self.state, Exporting::Done)
            else {
                return Ok(());
            };
            let exp = SegmentExporter::with_description(
                out,
                format,
                LinkType::RAW,
                client,
                server,
                Some(&self.description),
            )
            .map_err(io::Error::other)?;
            self.state = Exporting::Writing(exp);
        }
        Ok(())
    }

    /// Notes the receiver's state for every segment that has arrived by
    /// `now` (exclusive: all events at its arrival instant are in), then
    /// writes those at the head whose comment is complete.
    fn settle(&mut self, now: Option<u64>) -> io::Result<()> {
        for p in &mut self.pending {
            if p.receiver.is_none() && now.is_none_or(|t| t > p.settles_us) {
                if let OwnedKind::Segment { seg, .. } = &p.ev.kind {
                    p.receiver = Some(self.states[seg.dir.receiver().index()]);
                }
            }
        }
        while self.pending.front().is_some_and(|p| p.receiver.is_some()) {
            let Some(p) = self.pending.pop_front() else {
                break;
            };
            let Exporting::Writing(exp) = &mut self.state else {
                continue;
            };
            if let OwnedKind::Datagram { dg, payload } = &p.ev.kind {
                let note = datagram_comment(dg);
                exp.write_datagram_commented(
                    p.ev.t_us,
                    dg.dir,
                    (dg.src_port, dg.dst_port),
                    payload,
                    Some(&note),
                )
                .map_err(io::Error::other)?;
                continue;
            }
            let OwnedKind::Segment { seg, payload } = &p.ev.kind else {
                continue;
            };
            let receiver = p.receiver.unwrap_or(State::Closed);
            let note = comment(seg, p.sender, receiver);
            exp.write_segment_commented(p.ev.t_us, seg.dir, &seg.hdr, payload, Some(&note))
                .map_err(io::Error::other)?;
        }
        Ok(())
    }
}

/// The interface description: what ran, with its settings.
fn description(h: &Header) -> String {
    let mut s = match h.what.strip_prefix("real ") {
        // `synack real`: the kernel ran it; the header's facts say which.
        Some(scenario) => {
            let mut s = format!("synack real run: scenario {scenario}");
            for fact in &h.extra {
                let _ = write!(s, ", {fact}");
            }
            s
        }
        None => format!("synack simulation: {}", h.what),
    };
    if let Some(p) = h.profile {
        let _ = write!(s, ", profile {p}");
    }
    if let Some(seed) = h.seed {
        let _ = write!(s, ", seed {seed}");
    }
    if let Some(rtt) = h.rtt_us {
        let _ = write!(s, ", rtt {}", Duration(rtt));
    }
    if let Some(mss) = h.mss {
        let _ = write!(s, ", mss {mss}");
    }
    s
}

/// A packet's comment: `synack #5: client ESTABLISHED, server
/// ESTABLISHED; analysis: retransmission; lost: ...`.
pub fn comment(s: &SegmentEvent<'_>, sender: State, receiver: State) -> String {
    let (client, server) = match s.dir.sender() {
        Side::Client => (sender, receiver),
        Side::Server => (receiver, sender),
    };
    let mut c = format!("synack #{}: client {client}, server {server}", s.id);
    if !s.analysis.is_empty() {
        c.push_str("; analysis: ");
        for (i, f) in s.analysis.iter().enumerate() {
            if i > 0 {
                c.push_str(", ");
            }
            c.push_str(f.words());
        }
    }
    match s.fate {
        Fate::Dropped => {
            let _ = write!(
                c,
                "; lost: the link dropped it, the {} never received it",
                s.dir.receiver()
            );
        }
        Fate::Duplicated => c.push_str("; duplicated: the link delivered it twice"),
        Fate::Injected => {
            let _ = write!(
                c,
                "; injected: forged by the scenario as if the {} sent it, handed to the {} at once",
                s.dir.sender(),
                s.dir.receiver()
            );
        }
        Fate::Delivered | Fate::Captured => {}
    }
    c
}

/// A datagram's comment: UDP has no states; its fate on the link.
pub fn datagram_comment(d: &DatagramEvent<'_>) -> String {
    let mut c = format!("synack #{}: UDP datagram, {} bytes", d.id, d.len);
    match d.fate {
        Fate::Dropped => {
            let _ = write!(
                c,
                "; lost: the link dropped it, the {} never received it, and nobody resends it",
                d.dir.receiver()
            );
        }
        Fate::Duplicated => c.push_str("; duplicated: the link delivered it twice"),
        Fate::Delivered | Fate::Captured | Fate::Injected => {}
    }
    c
}

impl<W: Write> Sink for PcapRenderer<W> {
    fn begin_conn(&mut self, info: &ConnInfo) -> io::Result<()> {
        self.start(info.client, info.server)
    }

    fn event(&mut self, ev: &Event<'_>) -> io::Result<()> {
        // At its arrival instant a segment is handled first: the receiver's
        // state changes, then its answer or its app's calls. The first of
        // those closes "the state after the segment".
        let acts = match ev.kind {
            EventKind::App { endpoint, .. } => Some(endpoint),
            EventKind::Segment(ref s) => Some(s.dir.sender()),
            _ => None,
        };
        if let Some(side) = acts {
            for p in &mut self.pending {
                if let OwnedKind::Segment { seg, .. } = &p.ev.kind {
                    let to = seg.dir.receiver();
                    if p.receiver.is_none() && p.settles_us == ev.t_us && to == side {
                        p.receiver = Some(self.states[to.index()]);
                    }
                }
            }
        }
        self.settle(Some(ev.t_us))?;
        match ev.kind {
            EventKind::State { endpoint, to, .. } => self.states[endpoint.index()] = to,
            EventKind::Segment(ref s) if matches!(self.state, Exporting::Writing(_)) => {
                let settles_us = match s.fate {
                    Fate::Dropped => ev.t_us,
                    _ => s.arrives_us.unwrap_or(ev.t_us),
                };
                self.pending.push_back(Pending {
                    ev: OwnedEvent::from_event(ev),
                    sender: self.states[s.dir.sender().index()],
                    settles_us,
                    receiver: None,
                });
            }
            EventKind::Datagram(_) if matches!(self.state, Exporting::Writing(_)) => {
                // Nothing to wait for: written in order, behind any segment.
                self.pending.push_back(Pending {
                    ev: OwnedEvent::from_event(ev),
                    sender: State::Closed,
                    settles_us: ev.t_us,
                    receiver: Some(State::Closed),
                });
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.settle(None)?;
        let any = SocketAddr::new(LOOPBACK, 0);
        self.start(any, any)?;
        if let Exporting::Writing(exp) = std::mem::replace(&mut self.state, Exporting::Done) {
            let mut w = exp.finish().map_err(io::Error::other)?;
            w.flush()?;
        }
        Ok(())
    }
}
