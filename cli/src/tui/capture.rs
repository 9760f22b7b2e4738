//! Stepping through a real capture, one segment at a time: the annotated
//! transcript (`synack annotate`'s: states inferred from the wire, relative
//! numbers, Wireshark's analysis), with each side's sequence variables as
//! the wire shows them. A capture has no branches: its segments happened.
//!
//! # Calling order
//! [`load`] reads the file into a [`CaptureSession`]; then
//! [`Stepper::apply`] per command and [`Stepper::view`]. Position `k` is the
//! k-th segment (0: before the first); the transcript shows every event up
//! to the next segment, so the states a segment changed are on screen with it.

use super::cursor::LOOKBACK;
use super::session::{Command, Done, Stepper, Tick};
use super::view::{event_row, flight_row, id_width, Line, SideView, Unit, Vars, View};
use crate::error::{clause, CliError};
use crate::progress::Progress;
use crate::render::words::MAX_SHOWN_PAYLOAD;
use std::fs::File;
use std::io;
use std::path::Path;
use synack_capture::{CaptureReader, Feed};
use synack_sim::seq::SeqNum;
use synack_sim::transcript::{
    ConnInfo, Event, EventKind, Note, OwnedEvent, OwnedKind, SegmentEvent, Side, Sink,
};
use synack_sim::State;

/// Segments between two saved wire states: a position is at most this many
/// segments' events away from one.
const MARK_EVERY: usize = 1024;

/// Segments looked back through for those not yet acknowledged.
const UNACKED_LOOKBACK: usize = 4096;

/// One side's sequence variables as its segments and its peer's ACKs show them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct WireSide {
    /// The highest ACK the peer sent.
    snd_una: Option<SeqNum>,
    /// The end of the highest sequence number this side sent.
    snd_nxt: Option<SeqNum>,
    /// The peer's last window.
    snd_wnd: Option<u32>,
    /// This side's last ACK.
    rcv_nxt: Option<u32>,
    /// This side's last window.
    rcv_wnd: Option<u32>,
}

/// Both sides as the wire shows them after some events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Wire {
    states: [State; 2],
    sides: [WireSide; 2],
}

impl Wire {
    fn apply(&mut self, ev: &OwnedEvent) {
        match &ev.kind {
            OwnedKind::State { endpoint, to, .. } => self.states[endpoint.index()] = *to,
            OwnedKind::Segment { seg, .. } if !seg.hdr.flags.rst() => {
                let (a, b) = (seg.dir.sender().index(), seg.dir.receiver().index());
                let end = SeqNum(seg.rel_seq) + seg.hdr.seg_len();
                let s = &mut self.sides[a];
                s.snd_nxt = Some(s.snd_nxt.map_or(end, |n| n.max(end)));
                if s.snd_una.is_none() {
                    s.snd_una = Some(SeqNum(seg.rel_seq));
                }
                if let (true, Some(ack)) = (seg.hdr.flags.ack(), seg.rel_ack) {
                    s.rcv_nxt = Some(ack);
                    s.rcv_wnd = Some(seg.win_bytes);
                    let peer = &mut self.sides[b];
                    peer.snd_una = Some(peer.snd_una.map_or(SeqNum(ack), |u| u.max(SeqNum(ack))));
                    peer.snd_wnd = Some(seg.win_bytes);
                }
            }
            _ => {}
        }
    }
}

/// A capture's connection, stepped through segment by segment.
pub struct CaptureSession {
    title: String,
    about: String,
    events: Vec<OwnedEvent>,
    /// Index in `events` of each segment.
    segs: Vec<usize>,
    pos: usize,
    selected: Option<u64>,
    /// The wire state before the events of position `j * MARK_EVERY`'s end.
    marks: Vec<Wire>,
    id_w: usize,
}

/// Keeps the events of one connection, with payloads only as long as a
/// label shows them.
struct Keep {
    conn: u32,
    info: Option<ConnInfo>,
    events: Vec<OwnedEvent>,
}

impl Sink for Keep {
    fn begin_conn(&mut self, info: &ConnInfo) -> io::Result<()> {
        if info.conn == Some(self.conn) {
            self.info = Some(*info);
        }
        Ok(())
    }
    fn event(&mut self, ev: &Event<'_>) -> io::Result<()> {
        if ev.conn == Some(self.conn) {
            let mut owned = OwnedEvent::from_event(ev);
            if let OwnedKind::Segment { payload, .. } = &mut owned.kind {
                if payload.len() > MAX_SHOWN_PAYLOAD {
                    *payload = Vec::new();
                }
            }
            self.events.push(owned);
        }
        Ok(())
    }
}

/// Reads capture `path` and keeps connection `conn` (1 when `None`).
pub fn load(path: &Path, conn: Option<u32>) -> Result<CaptureSession, CliError> {
    let shown = path.display().to_string();
    let file = File::open(path).map_err(|err| CliError::ReadCapture {
        path: shown.clone(),
        err,
    })?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = CaptureReader::from_file(file)
        .map_err(|e| CliError::BadCapture(format!("{shown}: {}", clause(&e.to_string()))))?;
    let mut keep = Keep {
        conn: conn.unwrap_or(1),
        info: None,
        events: Vec::new(),
    };
    let mut feed = Feed::new();
    let mut progress = Progress::new(format!("synack: reading {shown}"), size);
    let mut records = 0u64;
    while let Some(next) = reader.next_record() {
        match next {
            Ok(rec) => {
                let _ = feed.record(&rec, &mut keep);
            }
            Err(e) => {
                let note = Note::Text(format!("not annotated: {}", clause(&e.to_string())));
                keep.events.push(OwnedEvent::from_event(&Event {
                    t_us: feed.last_t_us,
                    conn: Some(keep.conn),
                    kind: EventKind::Note(&note),
                }));
                if e.is_fatal() {
                    break;
                }
            }
        }
        records += 1;
        if records & 0xfff == 0 {
            progress.update(reader.position());
        }
    }
    progress.finish();
    let count = feed.conn_count();
    let Some(info) = keep.info else {
        return Err(match (conn, count) {
            (_, 0) => CliError::Usage(format!("{shown} holds no TCP connection to step through")),
            (Some(c), n) => CliError::Usage(format!(
                "--conn {c}: the capture has {n} connection(s), numbered from 1"
            )),
            (None, _) => CliError::Usage(format!("{shown}: connection 1 has no segments")),
        });
    };
    let about = format!(
        "connection {} of {count}: client {} ⇄ server {}{}",
        keep.conn,
        info.client,
        info.server,
        if count > 1 && conn.is_none() {
            " (--conn N for another)"
        } else {
            ""
        }
    );
    // The file's name heads the screen; its whole path would crowd 80 columns.
    let title = path
        .file_name()
        .map_or(shown, |n| n.to_string_lossy().into_owned());
    Ok(CaptureSession::new(title, about, keep.events))
}

impl CaptureSession {
    fn new(title: String, about: String, events: Vec<OwnedEvent>) -> CaptureSession {
        let segs: Vec<usize> = events
            .iter()
            .enumerate()
            .filter(|(_, e)| matches!(e.kind, OwnedKind::Segment { .. }))
            .map(|(i, _)| i)
            .collect();
        let max_id = events
            .iter()
            .filter_map(|e| match &e.kind {
                OwnedKind::Segment { seg, .. } => Some(seg.id),
                _ => None,
            })
            .max()
            .unwrap_or(1);
        let mut s = CaptureSession {
            title,
            about,
            segs,
            pos: 0,
            selected: None,
            marks: Vec::new(),
            id_w: id_width(max_id),
            events,
        };
        let mut wire = Wire {
            states: initial_states(&s.events),
            sides: Default::default(),
        };
        let mut done = 0;
        for k in (0..=s.segs.len()).step_by(MARK_EVERY) {
            let end = s.visible_end(k);
            for ev in &s.events[done..end] {
                wire.apply(ev);
            }
            done = end;
            s.marks.push(wire);
        }
        s
    }

    /// Events shown at position `k`: those before the (k+1)-th segment.
    fn visible_end(&self, k: usize) -> usize {
        self.segs.get(k).copied().unwrap_or(self.events.len())
    }

    fn wire_at(&self, k: usize) -> Wire {
        let j = k / MARK_EVERY;
        let mut w = self.marks[j];
        for ev in &self.events[self.visible_end(j * MARK_EVERY)..self.visible_end(k)] {
            w.apply(ev);
        }
        w
    }

    /// Segments sent up to position `k` and not acknowledged by the peer's
    /// highest ACK so far, oldest first.
    fn unacked(&self, k: usize, wire: &Wire) -> Vec<&OwnedEvent> {
        let mut out: Vec<&OwnedEvent> = self.segs[..k]
            .iter()
            .rev()
            .take(UNACKED_LOOKBACK)
            .map(|&i| &self.events[i])
            .filter(|e| match &e.kind {
                OwnedKind::Segment { seg, .. } if seg.hdr.seg_len() > 0 => {
                    let end = SeqNum(seg.rel_seq) + seg.hdr.seg_len();
                    wire.sides[seg.dir.sender().index()]
                        .snd_una
                        .is_none_or(|una| end > una)
                }
                _ => false,
            })
            .take(64)
            .collect();
        out.reverse();
        out
    }

    fn selectable(&self) -> Vec<u64> {
        let from = self.pos.saturating_sub(LOOKBACK as usize);
        let mut ids: Vec<u64> = self.segs[from..self.pos]
            .iter()
            .filter_map(|&i| match &self.events[i].kind {
                OwnedKind::Segment { seg, .. } => Some(seg.id),
                _ => None,
            })
            .collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids
    }
}

/// Each side's state before its first change (the `from` of that change).
fn initial_states(events: &[OwnedEvent]) -> [State; 2] {
    let mut s = [None, None];
    for e in events {
        if let OwnedKind::State { endpoint, from, .. } = e.kind {
            s[endpoint.index()].get_or_insert(from);
        }
    }
    [s[0].unwrap_or(State::Closed), s[1].unwrap_or(State::Closed)]
}

impl Stepper for CaptureSession {
    fn apply(&mut self, cmd: Command, _tick: Tick<'_>) -> Done {
        let n = self.segs.len();
        match cmd {
            Command::Next if self.pos >= n => {
                return Err(format!("at the end: segment {n} is the last"))
            }
            Command::Next => self.pos += 1,
            Command::Prev if self.pos == 0 => return Err("at the start: no segment yet".into()),
            Command::Prev => self.pos -= 1,
            Command::Start => self.pos = 0,
            Command::End => self.pos = n,
            Command::Drop(_) => {
                return Err("a capture has no branches: its segments were really sent \
                            (`synack step SCENARIO` asks what if one were lost)"
                    .into())
            }
            Command::Undo => return Err("nothing to undo: a capture has no branches".into()),
            Command::SelectOlder | Command::SelectNewer => {
                let ids = self.selectable();
                if ids.is_empty() {
                    return Err("no segment yet to select".into());
                }
                let older = cmd == Command::SelectOlder;
                self.selected = Some(match self.selected {
                    None => ids[0],
                    Some(c) if older => ids.iter().copied().find(|&i| i < c).unwrap_or(ids[0]),
                    Some(c) => ids
                        .iter()
                        .rev()
                        .copied()
                        .find(|&i| i > c)
                        .unwrap_or(ids[ids.len() - 1]),
                });
                return Ok(None);
            }
        }
        Ok(None)
    }

    fn view(&self, message: Option<&str>) -> View {
        let k = self.pos;
        let wire = self.wire_at(k);
        let current = k.checked_sub(1).map(|i| self.segs[i]);
        let t_us = current.map_or(0, |i| self.events[i].t_us);
        let sides = [Side::Client, Side::Server].map(|side| {
            let w = wire.sides[side.index()];
            let una = w.snd_una.map(|s| s.0);
            SideView {
                side,
                state: wire.states[side.index()],
                vars: Vars {
                    snd_una: una,
                    snd_nxt: w.snd_nxt.map(|s| s.0),
                    snd_wnd: w.snd_wnd,
                    rcv_nxt: w.rcv_nxt,
                    rcv_wnd: w.rcv_wnd,
                    srtt_us: None,
                    rto_us: None,
                },
                timers: Vec::new(),
            }
        });
        let flight = self
            .unacked(k, &wire)
            .into_iter()
            .filter_map(|e| match &e.kind {
                OwnedKind::Segment { seg, payload } => {
                    let s = SegmentEvent { payload, ..*seg };
                    Some((seg.id, flight_row(&s, ("sent", e.t_us), self.id_w)))
                }
                _ => None,
            })
            .collect();
        let end = self.visible_end(k);
        let from = end.saturating_sub(LOOKBACK as usize);
        let is_selected = |e: &OwnedEvent| matches!(&e.kind, OwnedKind::Segment { seg, .. } if Some(seg.id) == self.selected);
        let lines = (from..end)
            .map(|i| {
                let e = &self.events[i];
                Line {
                    index: i as u64 + 1,
                    current: Some(i) == current,
                    selected: is_selected(e),
                    row: event_row(&e.as_event(), self.id_w),
                }
            })
            .collect();
        let selected = self.selected.and_then(|id| {
            self.segs[..k]
                .iter()
                .map(|&i| &self.events[i])
                .rev()
                .find(|e| is_selected(e))
                .map(|e| (id, event_row(&e.as_event(), self.id_w)))
        });
        View {
            title: self.title.clone(),
            about: self.about.clone(),
            t_us,
            unit: Unit::Segment,
            pos: k as u64,
            total: self.segs.len() as u64,
            total_known: true,
            path: vec!["capture".into()],
            sides,
            wire: true,
            flight_title: "sent, not yet acknowledged",
            flight,
            lines,
            selected,
            message: message.map(str::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> CaptureSession {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/captures")
            .join(name);
        load(&p, None).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn the_wire_state_at_a_position_is_the_same_from_a_mark_or_from_the_start() {
        let s = fixture("fast_retransmit.pcap");
        let n = s.segs.len();
        assert!(n > 5);
        let mut w = Wire {
            states: initial_states(&s.events),
            sides: Default::default(),
        };
        for k in 0..=n {
            let end = s.visible_end(k);
            let start = if k == 0 { 0 } else { s.visible_end(k - 1) };
            for ev in &s.events[start..end] {
                w.apply(ev);
            }
            assert_eq!(s.wire_at(k), w, "segment {k}");
        }
    }

    #[test]
    fn the_handshake_gives_both_sides_their_numbers() {
        let mut s = fixture("data_lost_rto.pcap");
        for _ in 0..3 {
            s.apply(Command::Next, &mut |_| true)
                .expect("three segments");
        }
        let v = s.view(None);
        assert_eq!(v.sides[0].state, State::Established);
        assert_eq!(v.sides[1].state, State::Established);
        assert_eq!(v.sides[0].vars.snd_nxt, Some(1));
        assert_eq!(v.sides[0].vars.snd_una, Some(1));
        assert_eq!(v.sides[1].vars.rcv_nxt, Some(1));
        assert!(s.apply(Command::Drop(1), &mut |_| true).is_err());
    }
}
