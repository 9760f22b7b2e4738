//! `inject`: a forged segment, handed to the receiver at once, as if the
//! other side had sent it, without changing that side
//! (docs/scenario-language.md, "inject").

use super::net::InFlight;
use super::stepper::World;
use crate::endpoint::Endpoint;
use crate::scenario::Inject;
use crate::segment::{Segment, TcpHeader, TcpOptions};
use crate::seq::SeqNum;
use crate::state::State;
use crate::transcript::{Fate, OwnedKind, SegmentEvent};

/// Whether `ep` never had a connection whose numbers a forged segment could
/// take: LISTEN (a fresh socket waiting), or CLOSED before any connect.
fn never_connected(ep: &Endpoint) -> bool {
    match ep.state() {
        State::Listen => true,
        State::Closed => ep.snd_nxt() == ep.iss(),
        _ => false,
    }
}

impl World {
    /// Runs an `inject` line (`line`): builds the segment from the pretended
    /// sender's numbers, writes it with fate "injected" and delivers it now.
    pub(super) fn inject(&mut self, i: &Inject, line: u32) {
        let from = i.dir.sender();
        let to = from.peer();
        let sender = &self.eps[from.index()];
        let receiver = &self.eps[to.index()];
        let absolute = never_connected(sender);
        // A plain ack counts from the receiver's ISN whenever it has one
        // (it sent a SYN): `ack=1` acknowledges a SYN-SENT client's SYN even
        // from a pretended sender that never connected.
        let ack_absolute = absolute && never_connected(receiver);
        if absolute {
            let why = match sender.state() {
                State::Listen => "is in LISTEN",
                _ => "is CLOSED and never connected",
            };
            if let Some(e) = i.needs_absolute(from, why, &self.source, line) {
                self.fail_run(e);
                return;
            }
        }
        let seq = Inject::resolve(i.seq, sender.snd_nxt(), sender.iss(), absolute);
        let ack = if i.flags.ack() || i.ack.is_some() {
            Inject::resolve(i.ack, sender.rcv_nxt(), receiver.iss(), ack_absolute)
        } else {
            SeqNum(0)
        };
        // The window in bytes, on the wire scaled down by the sender's shift
        // (RFC 7323 2.3; never in a SYN, 2.2).
        let bytes = i.win.unwrap_or_else(|| sender.rcv_window());
        let shift = if i.flags.syn() || absolute {
            0
        } else {
            sender.rcv_wscale()
        };
        let window = u16::try_from(bytes >> shift).unwrap_or(u16::MAX);
        // Ports: those of the receiver's connection, else of the sender's,
        // else the scenario's.
        let (src_port, dst_port) =
            if !never_connected(receiver) && receiver.state() != State::Closed {
                (receiver.remote_port(), receiver.local_port())
            } else if !absolute {
                (sender.local_port(), sender.remote_port())
            } else {
                let [c, s] = self.ports;
                match from {
                    crate::transcript::Side::Client => (c, s),
                    crate::transcript::Side::Server => (s, c),
                }
            };
        let payload = i.payload();
        let hdr = TcpHeader {
            src_port,
            dst_port,
            seq,
            ack,
            flags: i.flags,
            window,
            options: TcpOptions::default(),
            payload_len: 0,
        };
        let seg = Segment::new(hdr, payload);
        self.next_id += 1;
        let id = self.next_id;
        let seen = self.analyze(i.dir, &seg.hdr);
        if self.record {
            let ev = SegmentEvent {
                id,
                dir: i.dir,
                hdr: seg.hdr,
                rel_seq: seen.rel_seq,
                rel_ack: seen.rel_ack,
                win_bytes: seen.win_bytes,
                fate: Fate::Injected,
                analysis: seen.flags,
                frame: None,
                arrives_us: Some(self.now),
                payload: &[],
            };
            let bytes = seg.payload.to_vec();
            self.push(OwnedKind::Segment {
                seg: ev,
                payload: bytes,
            });
        }
        self.deliver(InFlight {
            id,
            arrives_us: self.now,
            to,
            seg,
        });
    }
}
