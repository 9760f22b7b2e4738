//! Stepping through a simulated run, with "what if this segment were
//! lost" branches.
//!
//! # Calling order
//! [`SimSession::new`] simulates the first [`FIRST_EVENTS`] events (a small
//! scenario entirely); then [`Stepper::apply`] per command and
//! [`Stepper::view`]. The branches form a stack: the main run at the
//! bottom, each `drop` pushes a level (a [`Timeline::branch`] of the level
//! below, simulated to its end), each `undo` pops one and returns to where
//! the level below was.

use super::cursor::{Cursor, LOOKBACK};
use super::session::{Command, Done, Stepper, Tick};
use super::timeline::{DropError, Ending, Timeline};
use super::view::{
    event_row, flight_row, id_width, Line, Row, SideView, Span, Tone, Unit, Vars, View,
};
use crate::render::words::Secs;
use std::collections::BTreeMap;
use synack_sim::scenario::Scenario;
use synack_sim::transcript::{
    Analysis, Fate, OwnedEvent, OwnedKind, SegmentEvent, Side, TimerKind,
};
use synack_sim::world::{InFlight, RunOptions, World};
use synack_sim::State;

/// Events simulated before the first screen: a classroom scenario entirely,
/// a long run in a few milliseconds (the rest comes as it is walked to, or
/// at the first `end`).
pub const FIRST_EVENTS: u64 = 20_000;

/// Events simulated ahead at a time when `next` reaches what is known.
const AHEAD: u64 = 4096;

/// One level of the branch stack.
struct Level {
    /// `main`, or `drop #ID`.
    name: String,
    tl: Timeline,
    cur: Cursor,
    pos: u64,
    selected: Option<u64>,
}

impl Level {
    fn new(name: String, tl: Timeline) -> Level {
        let cur = Cursor::new(&tl);
        Level {
            name,
            tl,
            cur,
            pos: 0,
            selected: None,
        }
    }

    fn go(&mut self, p: u64) {
        self.pos = p;
        self.cur.seek(&self.tl, p);
        if self
            .selected
            .is_some_and(|id| id > self.cur.last_segment_at(p))
        {
            self.selected = None;
        }
    }

    /// The ids Tab goes through: in flight and in the transcript on screen,
    /// newest first.
    fn selectable(&self) -> Vec<u64> {
        let last = self.cur.last_segment_at(self.pos);
        let mut ids: Vec<u64> = self
            .cur
            .world()
            .in_flight()
            .map(|f| f.id)
            .filter(|&id| id <= last)
            .chain(
                self.cur
                    .lines(self.pos, LOOKBACK)
                    .filter_map(|(_, e)| match &e.kind {
                        OwnedKind::Segment { seg, .. } => Some(seg.id),
                        _ => None,
                    }),
            )
            .collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids.dedup();
        ids
    }
}

/// A simulated run and its branches.
pub struct SimSession {
    title: String,
    about: String,
    levels: Vec<Level>,
}

impl SimSession {
    /// A session on `scenario` with the command line's overrides; `title`
    /// and `about` head the screen.
    pub fn new(scenario: &Scenario, opts: &RunOptions, title: String, about: String) -> Self {
        let mut tl = Timeline::new(World::new(scenario, opts));
        tl.discover(FIRST_EVENTS, &mut |_| true);
        SimSession {
            title,
            about,
            levels: vec![Level::new("main".into(), tl)],
        }
    }

    fn top(&self) -> &Level {
        &self.levels[self.levels.len() - 1]
    }

    fn top_mut(&mut self) -> &mut Level {
        let i = self.levels.len() - 1;
        &mut self.levels[i]
    }

    /// Checkpoints held on the whole branch stack (for the bench).
    pub fn checkpoints(&self) -> usize {
        self.levels.iter().map(|l| l.tl.checkpoints()).sum()
    }

    fn next(&mut self, tick: Tick<'_>) -> Done {
        let l = self.top_mut();
        if l.pos >= l.tl.known() {
            l.tl.discover(l.tl.known() + AHEAD, tick);
        }
        if l.pos >= l.tl.known() {
            return Err(at_the_end(l));
        }
        l.go(l.pos + 1);
        Ok(None)
    }

    fn prev(&mut self) -> Done {
        let l = self.top_mut();
        if l.pos == 0 {
            return Err("at the start: nothing has happened yet".into());
        }
        l.go(l.pos - 1);
        Ok(None)
    }

    fn end(&mut self, tick: Tick<'_>) -> Done {
        let l = self.top_mut();
        let finished = l.tl.discover(u64::MAX, tick);
        let known = l.tl.known();
        l.go(known);
        if !finished {
            return Ok(Some(format!(
                "stopped simulating at event {known}; End goes on from there"
            )));
        }
        Ok(Some(self.endings()))
    }

    /// `the end: 1.070 s, client TIME-WAIT, server CLOSED, 10 segments, 1
    /// lost`, and in a branch the ending of the level below, to compare.
    fn endings(&self) -> String {
        let mine = self.top().tl.ending();
        let mut text = match mine {
            Some(e) => format!("the end: {}", ending_text(&e)),
            None => "the end is not simulated yet".into(),
        };
        if let Some(below) = self.levels.len().checked_sub(2).map(|i| &self.levels[i]) {
            match below.tl.ending() {
                Some(e) if Some(e) == mine => {
                    text.push_str(&format!(" · {}: the same", below.name))
                }
                Some(e) => text.push_str(&format!(" · {}: {}", below.name, ending_text(&e))),
                None => {}
            }
        }
        text
    }

    fn drop_segment(&mut self, id: u64, tick: Tick<'_>) -> Done {
        let l = self.top();
        let last = l.cur.last_segment_at(l.pos);
        if id > last {
            return Err(match last {
                0 => format!(
                    "segment #{id} has not been sent yet: no segment has been sent at {} {}",
                    Unit::Event.name(),
                    l.pos
                ),
                _ => format!(
                    "segment #{id} has not been sent yet at event {} (the last one sent is #{last})",
                    l.pos
                ),
            });
        }
        let branch = l.tl.branch(id).map_err(|e| match e {
            DropError::AlreadyLost(id) => {
                format!("segment #{id} is already lost in this run (the link's rules drop it)")
            }
            DropError::NeverSent(id) => format!("segment #{id} is never sent in this run"),
        })?;
        let mut tl = branch.timeline;
        let finished = tl.discover(u64::MAX, tick);
        let mut level = Level::new(format!("drop #{id}"), tl);
        level.go(branch.at);
        level.selected = Some(id);
        self.levels.push(level);
        let sent = self.top().cur.event(branch.at).map_or(0, |e| e.t_us);
        let mut text = format!("#{id} lost: replayed from {} s", Secs::millis(sent));
        if finished {
            text.push_str("; ");
            text.push_str(&self.endings());
        }
        Ok(Some(text))
    }

    fn undo(&mut self) -> Done {
        if self.levels.len() == 1 {
            return Err("nothing to undo: this is the main run (drop a segment to branch)".into());
        }
        let gone = self.levels.pop().map(|l| (l.name, l.tl.ending()));
        let here = self.top();
        let mut text = format!("back to {} at event {}", here.name, here.pos);
        if let Some((name, Some(e))) = gone {
            text.push_str(&format!("; {name} ended at {}", ending_text(&e)));
        }
        Ok(Some(text))
    }

    fn select(&mut self, older: bool) -> Done {
        let l = self.top_mut();
        let ids = l.selectable();
        if ids.is_empty() {
            return Err("no segment sent yet to select".into());
        }
        let next = match l.selected {
            None => ids[0],
            Some(cur) if older => ids.iter().copied().find(|&i| i < cur).unwrap_or(ids[0]),
            Some(cur) => ids
                .iter()
                .rev()
                .copied()
                .find(|&i| i > cur)
                .unwrap_or(ids[ids.len() - 1]),
        };
        l.selected = Some(next);
        Ok(None)
    }
}

/// The segments whose transcript lines the cursor still holds, by id.
fn sent_segments(l: &Level) -> BTreeMap<u64, &OwnedEvent> {
    l.cur
        .lines(l.pos, u64::MAX)
        .filter_map(|(_, e)| match &e.kind {
            OwnedKind::Segment { seg, .. } => Some((seg.id, e)),
            _ => None,
        })
        .collect()
}

fn at_the_end(l: &Level) -> String {
    format!("at the end: event {} is the last", l.pos)
}

/// `1.070 s, client TIME-WAIT, server CLOSED, 10 segments, 1 lost`.
pub fn ending_text(e: &Ending) -> String {
    format!(
        "{} s, client {}, server {}, {} segments, {} lost",
        Secs::millis(e.t_us),
        e.states[0],
        e.states[1],
        e.segments,
        e.lost
    )
}

impl Stepper for SimSession {
    fn apply(&mut self, cmd: Command, tick: Tick<'_>) -> Done {
        match cmd {
            Command::Next => self.next(tick),
            Command::Prev => self.prev(),
            Command::Start => {
                self.top_mut().go(0);
                Ok(None)
            }
            Command::End => self.end(tick),
            Command::Drop(id) => self.drop_segment(id, tick),
            Command::Undo => self.undo(),
            Command::SelectOlder => self.select(true),
            Command::SelectNewer => self.select(false),
        }
    }

    fn view(&self, message: Option<&str>) -> View {
        let l = self.top();
        let p = l.pos;
        let world = l.cur.world();
        let t_us = l
            .cur
            .event(p)
            .map_or(if p == 0 { 0 } else { world.now() }, |e| e.t_us);
        let states = l.cur.states_at(p);
        let sides =
            [Side::Client, Side::Server].map(|side| side_view(world, side, states[side.index()]));
        let id_w = id_width(l.tl.segments_known());
        let last = l.cur.last_segment_at(p);
        let sent = sent_segments(l);
        let flight: Vec<(u64, Row)> = world
            .in_flight()
            .filter(|f| f.id <= last)
            .map(|f| {
                let row = match sent.get(&f.id) {
                    Some(OwnedEvent {
                        kind: OwnedKind::Segment { seg, payload },
                        ..
                    }) => flight_row(
                        &SegmentEvent {
                            payload,
                            fate: Fate::Delivered,
                            ..*seg
                        },
                        ("at", f.arrives_us),
                        id_w,
                    ),
                    _ => {
                        let bytes = f.seg.payload.bytes();
                        flight_row(&rebuilt(world, f, &bytes), ("at", f.arrives_us), id_w)
                    }
                };
                (f.id, row)
            })
            .collect();
        let lines = l
            .cur
            .lines(p, LOOKBACK)
            .map(|(i, e)| Line {
                index: i,
                current: i == p,
                selected: matches!(&e.kind, OwnedKind::Segment { seg, .. } if Some(seg.id) == l.selected),
                row: event_row(&e.as_event(), id_w),
            })
            .collect();
        let selected = l.selected.map(|id| {
            let row = match sent.get(&id) {
                Some(e) => event_row(&e.as_event(), id_w),
                None => flight
                    .iter()
                    .find(|(i, _)| *i == id)
                    .map(|(_, r)| r.clone())
                    .unwrap_or_else(|| {
                        vec![Span {
                            text: format!("#{id}"),
                            tone: Tone::Plain,
                        }]
                    }),
            };
            (id, row)
        });
        View {
            title: self.title.clone(),
            about: self.about.clone(),
            t_us,
            unit: Unit::Event,
            pos: p,
            total: l.tl.known(),
            total_known: l.tl.total().is_some(),
            path: self.levels.iter().map(|l| l.name.clone()).collect(),
            sides,
            wire: false,
            flight_title: "in flight",
            flight,
            lines,
            selected,
            message: message.map(str::to_string),
        }
    }
}

/// One endpoint's pane: `state` is exact at the current event, the
/// variables and timers are the world's at the end of its instant.
fn side_view(world: &World, side: Side, state: State) -> SideView {
    let ep = world.endpoint(side);
    let open = !matches!(ep.state(), State::Closed | State::Listen);
    let synced = open && ep.state() != State::SynSent;
    let vars = Vars {
        snd_una: open.then(|| ep.snd_una() - ep.iss()),
        snd_nxt: open.then(|| ep.snd_nxt() - ep.iss()),
        snd_wnd: synced.then(|| ep.snd_wnd()),
        rcv_nxt: synced.then(|| ep.rcv_nxt() - ep.irs()),
        rcv_wnd: synced.then(|| ep.rcv_window()),
        srtt_us: ep.rtt().srtt_us(),
        rto_us: Some(ep.rto_us()),
    };
    let timers = TimerKind::ALL
        .into_iter()
        .filter_map(|k| ep.timer(k).map(|d| (k, d)))
        .collect();
    SideView {
        side,
        state,
        vars,
        timers,
    }
}

/// A segment in flight whose transcript line is no longer kept: its
/// numbers made relative to the endpoints' ISNs, as the transcript has them.
fn rebuilt<'a>(world: &World, f: &InFlight, payload: &'a [u8]) -> SegmentEvent<'a> {
    let h = f.seg.hdr;
    let (from, to) = (world.endpoint(f.to.peer()), world.endpoint(f.to));
    let win = u32::from(h.window);
    SegmentEvent {
        id: f.id,
        dir: f.to.peer().dir(),
        hdr: h,
        rel_seq: h.seq - from.iss(),
        rel_ack: h.flags.ack().then(|| h.ack - to.iss()),
        win_bytes: if h.flags.syn() {
            win
        } else {
            win << from.rcv_wscale()
        },
        fate: Fate::Delivered,
        analysis: Analysis::NONE,
        frame: None,
        arrives_us: Some(f.arrives_us),
        payload,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::testing::builtin;

    fn session(name: &str) -> SimSession {
        let sc = builtin(name);
        SimSession::new(&sc, &RunOptions::default(), name.into(), String::new())
    }

    fn go(s: &mut SimSession, cmd: Command) -> Done {
        s.apply(cmd, &mut |_| true)
    }

    fn current_line(v: &View) -> String {
        v.lines
            .iter()
            .find(|l| l.current)
            .map(|l| super::super::view::row_text(&l.row))
            .unwrap_or_default()
    }

    #[test]
    fn drop_branches_at_the_segment_and_undo_returns_to_where_the_run_was() {
        let mut s = session("lost-data");
        go(&mut s, Command::End).expect("the end");
        let end = s.view(None).pos;
        let msg = go(&mut s, Command::Drop(6)).expect("#6 was sent");
        assert!(msg.is_some_and(|m| m.starts_with("#6 lost: replayed from 1.040 s")));
        let v = s.view(None);
        assert_eq!(v.path, ["main", "drop #6"]);
        assert!(
            current_line(&v).contains("#6 ✗──  ACK"),
            "{}",
            current_line(&v)
        );
        assert_eq!(v.selected.map(|s| s.0), Some(6));
        // Branches nest.
        go(&mut s, Command::Drop(3)).expect("#3 was sent");
        assert_eq!(s.view(None).path, ["main", "drop #6", "drop #3"]);
        go(&mut s, Command::Undo).expect("up");
        go(&mut s, Command::Undo).expect("up");
        let v = s.view(None);
        assert_eq!(v.path, ["main"]);
        assert_eq!(v.pos, end);
        assert!(go(&mut s, Command::Undo).is_err());
    }

    #[test]
    fn a_segment_not_sent_yet_cannot_be_dropped() {
        let mut s = session("lost-data");
        for _ in 0..5 {
            go(&mut s, Command::Next).expect("more events");
        }
        let e = go(&mut s, Command::Drop(2)).unwrap_err();
        assert_eq!(
            e,
            "segment #2 has not been sent yet at event 5 (the last one sent is #1)"
        );
    }

    #[test]
    fn prev_at_the_start_and_next_at_the_end_say_so() {
        let mut s = session("handshake");
        assert!(go(&mut s, Command::Prev)
            .unwrap_err()
            .starts_with("at the start"));
        go(&mut s, Command::End).expect("the end");
        assert!(go(&mut s, Command::Next)
            .unwrap_err()
            .starts_with("at the end"));
        go(&mut s, Command::Start).expect("the start");
        assert_eq!(s.view(None).pos, 0);
    }

    #[test]
    fn tab_goes_through_the_segments_sent_newest_first() {
        let mut s = session("lost-data");
        for _ in 0..12 {
            go(&mut s, Command::Next).expect("more events");
        }
        go(&mut s, Command::SelectOlder).expect("a segment");
        assert_eq!(s.view(None).selected.map(|s| s.0), Some(3));
        go(&mut s, Command::SelectOlder).expect("a segment");
        assert_eq!(s.view(None).selected.map(|s| s.0), Some(2));
        go(&mut s, Command::SelectNewer).expect("a segment");
        assert_eq!(s.view(None).selected.map(|s| s.0), Some(3));
    }
}
