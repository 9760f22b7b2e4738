//! What `synack step` shows at one position, as data: the status, both
//! endpoints, the segments in flight, the transcript so far. The simulated
//! and the captured session each build a [`View`]; `draw.rs` lays it out,
//! on the terminal and (the same layout, as text) in scripted mode.
//!
//! The words are the transcript's (`render::words`): a segment, a call, a
//! timer or a note reads here as it does in `synack sim`.

use crate::render::words::{
    segment_label, CallText, Duration, NoteText, ResultText, Secs, TimerText,
};
use synack_sim::printable::Printable;
use synack_sim::transcript::{
    AnalysisFlag, Dir, Event, EventKind, Fate, SegmentEvent, Side, TimerKind,
};
use synack_sim::State;

/// How a piece of text is shown; `draw.rs` maps it to colours (or to
/// nothing, with `--color never` and `NO_COLOR`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Client,
    Server,
    ClientBold,
    ServerBold,
    Dropped,
    Warn,
    Dim,
    Bold,
}

impl Tone {
    pub fn of(side: Side) -> Tone {
        match side {
            Side::Client => Tone::Client,
            Side::Server => Tone::Server,
        }
    }
    pub fn bold(side: Side) -> Tone {
        match side {
            Side::Client => Tone::ClientBold,
            Side::Server => Tone::ServerBold,
        }
    }
}

/// A piece of text with its tone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub tone: Tone,
}

/// One line of text in pieces.
pub type Row = Vec<Span>;

fn span(text: impl Into<String>, tone: Tone) -> Span {
    Span {
        text: text.into(),
        tone,
    }
}

/// What the position counts: events of a simulation, segments of a capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Event,
    Segment,
}

impl Unit {
    pub fn name(self) -> &'static str {
        match self {
            Unit::Event => "event",
            Unit::Segment => "segment",
        }
    }
}

/// The send and receive variables of one endpoint, relative to the ISNs as
/// the transcript's numbers are; `None` where there is nothing to show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Vars {
    pub snd_una: Option<u32>,
    pub snd_nxt: Option<u32>,
    pub snd_wnd: Option<u32>,
    pub rcv_nxt: Option<u32>,
    pub rcv_wnd: Option<u32>,
    pub srtt_us: Option<u64>,
    pub rto_us: Option<u64>,
}

/// One endpoint's pane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SideView {
    pub side: Side,
    pub state: State,
    pub vars: Vars,
    /// Armed timers and their deadlines (virtual time, microseconds).
    pub timers: Vec<(TimerKind, u64)>,
}

/// A line of the transcript pane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// 1-based event index.
    pub index: u64,
    pub current: bool,
    pub selected: bool,
    pub row: Row,
}

/// Everything on the screen at one position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    /// What is stepped through: a scenario's name, a capture file.
    pub title: String,
    /// Settings under the title: profile, rtt, seed; or the connection.
    pub about: String,
    /// Virtual time of the current position, microseconds.
    pub t_us: u64,
    pub unit: Unit,
    /// The current position: 0 before the first event (or segment).
    pub pos: u64,
    /// How many there are, and whether that is all (`false`: the run has
    /// not been simulated to its end yet, there are more).
    pub total: u64,
    pub total_known: bool,
    /// The branch path: `main`, then one `drop #ID` per level.
    pub path: Vec<String>,
    pub sides: [SideView; 2],
    /// The endpoints' numbers are read off the wire (a capture): no timers,
    /// no RTT estimate.
    pub wire: bool,
    pub flight_title: &'static str,
    /// The segments in flight, in arrival order, with their rows.
    pub flight: Vec<(u64, Row)>,
    /// The transcript up to the current position, oldest first.
    pub lines: Vec<Line>,
    /// The selected segment (Tab) and its row.
    pub selected: Option<(u64, Row)>,
    /// What the last command said.
    pub message: Option<String>,
}

impl View {
    /// `event 19 of 35`, `event 3 of 20480+`.
    pub fn counter(&self) -> String {
        format!(
            "{} {} of {}{}",
            self.unit.name(),
            self.pos,
            self.total,
            if self.total_known { "" } else { "+" }
        )
    }

    /// `main › drop #6`.
    pub fn path_text(&self) -> String {
        self.path.join(" › ")
    }
}

/// Digits of the largest segment id, for the id column.
pub fn id_width(max_id: u64) -> usize {
    max_id.max(1).ilog10() as usize + 1
}

/// The arrow of a segment: `──▶` client to server, `◀──` back; cut (`──✗`,
/// `✗──`) when it was lost.
fn arrow(dir: Dir, fate: Fate) -> &'static str {
    match (dir, fate == Fate::Dropped) {
        (Dir::ClientToServer, false) => "──▶",
        (Dir::ClientToServer, true) => "──✗",
        (Dir::ServerToClient, false) => "◀──",
        (Dir::ServerToClient, true) => "✗──",
    }
}

/// `#12 ──▶` in `width` columns.
fn segment_who(id: u64, dir: Dir, fate: Fate, id_w: usize) -> String {
    format!(
        "{:>w$} {}",
        format!("#{id}"),
        arrow(dir, fate),
        w = id_w + 1
    )
}

/// Width of the column naming who did something: `client`, `#12 ──▶`.
pub fn who_width(id_w: usize) -> usize {
    (id_w + 5).max(6)
}

/// The time column: `   1.030`, `   0.000016`.
pub fn time_text(t_us: u64) -> String {
    format!("{:>8}", Secs::millis(t_us).to_string())
}

/// The label and annotations of a segment: `PSH,ACK seq=1 ack=1 len=5
/// win=65535 "hello"`, then `(dropped)` and Wireshark's analysis.
pub fn segment_spans(s: &SegmentEvent<'_>, out: &mut Row) {
    let mut label = String::new();
    segment_label(&mut label, s, false);
    out.push(span(label, Tone::of(s.dir.sender())));
    match s.fate {
        Fate::Dropped => out.push(span(" (dropped)", Tone::Dropped)),
        Fate::Duplicated => out.push(span(" (duplicated)", Tone::Plain)),
        Fate::Injected => out.push(span(" (injected)", Tone::Dropped)),
        Fate::Delivered | Fate::Captured => {}
    }
    for f in s.analysis.iter() {
        let tone = match f {
            AnalysisFlag::Retransmission
            | AnalysisFlag::FastRetransmission
            | AnalysisFlag::SpuriousRetransmission => Tone::Warn,
            _ => Tone::Dim,
        };
        out.push(span(format!(" [{}]", f.words()), tone));
    }
}

/// One transcript event as a row: time, who, what.
pub fn event_row(ev: &Event<'_>, id_w: usize) -> Row {
    let who_w = who_width(id_w);
    let mut row = vec![
        span(time_text(ev.t_us), Tone::Plain),
        span("  ", Tone::Plain),
    ];
    let side_who = |side: Side| span(format!("{:<who_w$}  ", side.name()), Tone::of(side));
    match ev.kind {
        EventKind::Segment(ref s) => {
            let who = segment_who(s.id, s.dir, s.fate, id_w);
            row.push(span(format!("{who:<who_w$}  "), Tone::of(s.dir.sender())));
            segment_spans(s, &mut row);
        }
        EventKind::State {
            endpoint, from, to, ..
        } => {
            row.push(side_who(endpoint));
            row.push(span(format!("{from} → {to}"), Tone::bold(endpoint)));
        }
        EventKind::App {
            endpoint,
            call,
            result,
        } => {
            row.push(side_who(endpoint));
            let text = format!("{} → {}", CallText(call), ResultText(result));
            row.push(span(Printable(&text).to_string(), Tone::of(endpoint)));
        }
        EventKind::Timer {
            endpoint,
            timer,
            after_us,
            rto_us,
        } => {
            row.push(side_who(endpoint));
            let text = TimerText {
                timer,
                after_us,
                rto_us,
            };
            row.push(span(text.to_string(), Tone::of(endpoint)));
        }
        EventKind::Note(note) => {
            row.push(span(format!("{:<who_w$}  ", ""), Tone::Plain));
            let text = format!("— {}", NoteText(note));
            row.push(span(Printable(&text).to_string(), Tone::Dim));
        }
        EventKind::Datagram(ref d) => {
            row.push(side_who(d.dir.sender()));
            let mut text = String::new();
            crate::render::words::datagram_label(&mut text, d);
            row.push(span(Printable(&text).to_string(), Tone::of(d.dir.sender())));
        }
    }
    row
}

/// A segment in flight: `#7 ──▶  at 1.040 s  PSH,ACK seq=1 …`. `when` is
/// `("at", arrival)` in the simulator, `("sent", time)` in a capture (where
/// the row is a segment not yet acknowledged).
pub fn flight_row(s: &SegmentEvent<'_>, when: (&str, u64), id_w: usize) -> Row {
    let mut row = vec![
        span(
            format!("{}  ", segment_who(s.id, s.dir, s.fate, id_w)),
            Tone::of(s.dir.sender()),
        ),
        span(
            format!("{} {} s  ", when.0, Secs::millis(when.1)),
            Tone::Plain,
        ),
    ];
    segment_spans(s, &mut row);
    row
}

/// A timer's deadline: `retransmit at 2.030 s (in 1 s)`.
pub fn timer_text(timer: TimerKind, deadline_us: u64, now_us: u64) -> String {
    format!(
        "⏰ {} at {} s (in {})",
        timer.name(),
        Secs::millis(deadline_us),
        Duration(deadline_us.saturating_sub(now_us))
    )
}

/// The plain text of a row.
pub fn row_text(row: &Row) -> String {
    row.iter().map(|s| s.text.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use synack_sim::segment::{Flags, TcpHeader};
    use synack_sim::transcript::Analysis;

    fn seg(id: u64, dir: Dir, fate: Fate) -> SegmentEvent<'static> {
        SegmentEvent {
            id,
            dir,
            hdr: TcpHeader {
                flags: Flags::ACK,
                payload_len: 5,
                ..TcpHeader::default()
            },
            rel_seq: 1,
            rel_ack: Some(1),
            win_bytes: 65535,
            fate,
            analysis: Analysis::NONE.with(AnalysisFlag::Retransmission),
            frame: None,
            arrives_us: None,
            payload: b"hello",
        }
    }

    #[test]
    fn a_segment_reads_as_in_the_transcript_with_its_id_and_arrow() {
        let ev = Event {
            t_us: 1_030_000,
            conn: None,
            kind: EventKind::Segment(seg(12, Dir::ClientToServer, Fate::Dropped)),
        };
        assert_eq!(
            row_text(&event_row(&ev, 2)),
            "   1.030  #12 ──✗  ACK seq=1 ack=1 len=5 win=65535 \"hello\" (dropped) [retransmission]"
        );
        let back = Event {
            kind: EventKind::Segment(seg(3, Dir::ServerToClient, Fate::Delivered)),
            ..ev
        };
        assert!(row_text(&event_row(&back, 2)).starts_with("   1.030   #3 ◀──  ACK"));
    }

    #[test]
    fn endpoint_events_name_their_side_in_the_who_column() {
        let ev = Event {
            t_us: 10_000,
            conn: None,
            kind: EventKind::State {
                endpoint: Side::Server,
                from: State::Listen,
                to: State::SynReceived,
                source: synack_sim::transcript::StateSource::Sim,
            },
        };
        assert_eq!(
            row_text(&event_row(&ev, 1)),
            "   0.010  server  LISTEN → SYN-RECEIVED"
        );
    }

    #[test]
    fn a_timer_says_when_it_fires_and_how_soon() {
        assert_eq!(
            timer_text(TimerKind::Retransmit, 2_030_000, 1_030_000),
            "⏰ retransmit at 2.030 s (in 1 s)"
        );
    }
}
