//! The ladder diagram: the client's and the server's timelines, time
//! running down, one sloped arrow per segment from its send time (on the
//! sender's timeline) to its arrival time (on the receiver's).
//!
//! The contract (docs/diagrams.md): each segment is a
//! `<g class="segment">`, with the extra classes `dropped`,
//! `retransmission`, `duplicated` and `injected` where they apply, holding a
//! `<title>` with its label; each state change is a `<text class="state">`
//! beside its endpoint's timeline. Calls are written beside the timelines
//! too, timers are marks on them (a bracket shows how long the timer ran),
//! idle stretches are compressed ([`super::axis`]) and marked.
//!
//! [`ladders`] draws several ladders side by side on one time axis (one
//! [`Panel`] each): one for `sim` and `annotate`, two for `compare`.

use super::axis::{TimeAxis, ROW};
use super::{document, group, heading, palette as pal, round, text, title, Panel, View, MONO};
use crate::render::text::Header;
use crate::render::words::{
    datagram_label, segment_label, CallText, Duration, ResultText, Secs, TimerText,
};
use std::collections::BTreeMap;
use svg::node::element::{Circle, Line, Path, Polygon};
use svg::Document;
use synack_sim::transcript::{
    AnalysisFlag, DatagramEvent, Fate, OwnedEvent, OwnedKind, SegmentEvent, Side, TimerKind,
};

/// The time column, left of the first ladder.
const TIME_W: f64 = 96.0;
/// One ladder's width.
const PANEL_W: f64 = 1100.0;
/// The client's timeline, from the ladder's left edge.
const CLIENT_X: f64 = 290.0;
/// Between the timelines: room for a rotated segment label.
const LANE_W: f64 = 510.0;
/// Where the first instant is drawn.
const TOP: f64 = 132.0;
/// The extra room above titled panels.
const TITLE_H: f64 = 24.0;
/// Below the last instant.
const BOTTOM: f64 = 28.0;
/// Where along an arrow its label is centred (from the sender).
const LABEL_AT: f64 = 0.32;
/// The longest call text shown whole.
const MAX_CALL_CHARS: usize = 48;

/// Where each event of a panel is drawn: its row at its instant, and for a
/// segment the row at its arrival.
struct Placed {
    row: u32,
    arrival: Option<(u64, u32)>,
}

/// Rows each instant needs, over all panels, and each event's place.
fn place(panels: &[Panel<'_>]) -> (BTreeMap<u64, u32>, Vec<Vec<Placed>>) {
    let mut rows: BTreeMap<u64, u32> = BTreeMap::new();
    let mut placed = Vec::new();
    for p in panels {
        let mut at: BTreeMap<u64, u32> = BTreeMap::new();
        let mut arrivals: BTreeMap<u64, u32> = BTreeMap::new();
        let mut mine = Vec::with_capacity(p.events.len());
        for ev in p.events {
            let row = at.entry(ev.t_us).or_insert(0);
            let here = *row;
            *row += 1;
            let arrival = arrival_of(&ev.kind).filter(|a| *a != ev.t_us).map(|a| {
                let n = arrivals.entry(a).or_insert(0);
                *n += 1;
                (a, *n - 1)
            });
            mine.push(Placed { row: here, arrival });
        }
        for (t, n) in at.into_iter().chain(arrivals) {
            let r = rows.entry(t).or_insert(0);
            *r = (*r).max(n);
        }
        placed.push(mine);
    }
    (rows, placed)
}

/// When a segment or datagram arrives, where the producer knows it.
fn arrival_of(kind: &OwnedKind) -> Option<u64> {
    match kind {
        OwnedKind::Segment { seg, .. } => seg.arrives_us,
        OwnedKind::Datagram { dg, .. } => dg.arrives_us,
        _ => None,
    }
}

/// Pixels per microsecond between instants: a one-way trip of the
/// simulated link is 44 px; for a capture, the median gap between
/// instants is 28 px.
fn scale(header: &Header, rows: &BTreeMap<u64, u32>) -> f64 {
    if let Some(rtt) = header.rtt_us.filter(|r| *r >= 2) {
        return 44.0 / (rtt / 2) as f64;
    }
    let ts: Vec<u64> = rows.keys().copied().collect();
    let mut gaps: Vec<u64> = ts
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|g| *g > 0)
        .collect();
    gaps.sort_unstable();
    match gaps.get(gaps.len() / 2) {
        Some(&g) => 28.0 / g as f64,
        None => 0.0,
    }
}

/// Draws `panels` side by side on one shared time axis.
pub fn ladders(header: &Header, panels: &[Panel<'_>], view: &View) -> Document {
    let (rows, placed) = place(panels);
    let axis = TimeAxis::build(&rows, scale(header, &rows));
    let width = TIME_W + PANEL_W * panels.len().max(1) as f64;
    // Titled panels (compare's) move down a line, clear of the legend.
    let shift = if panels.iter().any(|p| !p.title.is_empty()) {
        TITLE_H
    } else {
        0.0
    };
    let height = TOP + axis.height + BOTTOM + shift;
    let mut heading = heading(header);
    if view.is_windowed() {
        let from = Secs::millis(view.from_us.unwrap_or(0));
        match view.to_us {
            Some(to) => heading.push_str(&format!(" · from {from} s to {} s", Secs::millis(to))),
            None => heading.push_str(&format!(" · from {from} s")),
        }
    }
    let doc = document(width, height)
        .add(
            text(12.0, 22.0, &heading, 14.0, "start", pal::INK)
                .set("class", "heading")
                .set("font-weight", "bold"),
        )
        .add(legend(12.0, 48.0));
    let mut body = group("body").add(time_column(&axis));
    if shift > 0.0 {
        body = body.set("transform", format!("translate(0,{shift})"));
    }
    for (i, (p, places)) in panels.iter().zip(&placed).enumerate() {
        let x0 = TIME_W + PANEL_W * i as f64;
        body = body.add(panel(x0, p, places, &axis));
    }
    doc.add(body)
}

/// Times on the left, at every instant, and the compressed gaps.
fn time_column(axis: &TimeAxis) -> svg::node::element::Group {
    let mut g = group("time-axis").add(text(
        TIME_W - 10.0,
        TOP - 34.0,
        "time (s)",
        11.0,
        "end",
        pal::DIM,
    ));
    for s in &axis.stops {
        g = g.add(
            text(
                TIME_W - 10.0,
                TOP + s.y + ROW / 2.0 + 4.0,
                &Secs::millis(s.t_us).to_string(),
                10.5,
                "end",
                pal::DIM,
            )
            .set("class", "time")
            .set("font-family", MONO),
        );
    }
    for b in &axis.breaks {
        let y = TOP + (b.y0 + b.y1) / 2.0 + 4.0;
        g = g.add(
            text(
                TIME_W - 10.0,
                y,
                &format!("+{}", Duration(b.to_us - b.from_us)),
                10.5,
                "end",
                pal::DIM,
            )
            .set("class", "gap")
            .set("font-style", "italic"),
        );
    }
    g
}

/// One ladder: headings, timelines, breaks, and every event.
fn panel(x0: f64, p: &Panel<'_>, places: &[Placed], axis: &TimeAxis) -> svg::node::element::Group {
    let xs = [x0 + CLIENT_X, x0 + CLIENT_X + LANE_W];
    let mut g = group("ladder");
    if !p.title.is_empty() {
        g = g.add(
            text(
                x0 + CLIENT_X + LANE_W / 2.0,
                TOP - 58.0,
                p.title,
                13.0,
                "middle",
                pal::INK,
            )
            .set("class", "panel-title")
            .set("font-weight", "bold"),
        );
    }
    let bottom = TOP + axis.height + 10.0;
    for side in [Side::Client, Side::Server] {
        let x = xs[side.index()];
        let color = side_color(side);
        let port = p.conn.map(|c| match side {
            Side::Client => c.client,
            Side::Server => c.server,
        });
        let name = match port {
            Some(a) if a.ip().is_loopback() => format!("{side} :{}", a.port()),
            Some(a) => format!("{side} {a}"),
            None => side.name().to_string(),
        };
        g = g.add(
            text(x, TOP - 34.0, &name, 13.0, "middle", color)
                .set("class", "endpoint")
                .set("font-weight", "bold"),
        );
        if let Some(first) = initial_state(p.events, side) {
            g = g.add(
                text(x, TOP - 18.0, first, 10.5, "middle", pal::DIM).set("class", "state-initial"),
            );
        }
        g = g.add(
            Line::new()
                .set("class", "timeline")
                .set("x1", round(x))
                .set("y1", TOP - 10.0)
                .set("x2", round(x))
                .set("y2", round(bottom))
                .set("stroke", color)
                .set("stroke-width", 2),
        );
        for b in &axis.breaks {
            g = g.add(break_mark(x, TOP + b.y0, TOP + b.y1));
        }
    }
    for (ev, at) in p.events.iter().zip(places) {
        let y = TOP + axis.row_y(ev.t_us, at.row);
        g = match &ev.kind {
            OwnedKind::Segment { seg, payload } => {
                let end = at.arrival.map_or(y, |(t, r)| TOP + axis.row_y(t, r));
                let seg = SegmentEvent {
                    payload: payload.as_slice(),
                    ..*seg
                };
                g.add(segment(&seg, xs, y, end))
            }
            OwnedKind::Datagram { dg, payload } => {
                let end = at.arrival.map_or(y, |(t, r)| TOP + axis.row_y(t, r));
                let dg = DatagramEvent {
                    payload: payload.as_slice(),
                    ..*dg
                };
                g.add(datagram(&dg, xs, y, end))
            }
            OwnedKind::State { endpoint, to, .. } => g.add(state(xs, *endpoint, y, to.name())),
            OwnedKind::App {
                endpoint,
                call,
                result,
            } => {
                let words = shorten(&format!("{} → {}", CallText(call), ResultText(result)));
                g.add(beside(xs, *endpoint, y, &words, pal::INK, 10.0).set("class", "call"))
            }
            OwnedKind::Timer {
                endpoint,
                timer,
                after_us,
                rto_us,
            } => {
                let start = TOP + axis.y(ev.t_us.saturating_sub(*after_us));
                g.add(timer_mark(
                    xs, *endpoint, y, start, *timer, *after_us, *rto_us,
                ))
            }
            OwnedKind::Note(_) => g,
        };
    }
    g
}

/// The state a side starts in: the `from` of its first state change.
fn initial_state(events: &[OwnedEvent], side: Side) -> Option<&'static str> {
    events.iter().find_map(|e| match e.kind {
        OwnedKind::State { endpoint, from, .. } if endpoint == side => Some(from.name()),
        _ => None,
    })
}

fn side_color(side: Side) -> &'static str {
    match side {
        Side::Client => pal::CLIENT,
        Side::Server => pal::SERVER,
    }
}

/// Text beside a side's timeline, on the outer side.
fn beside(
    xs: [f64; 2],
    side: Side,
    y: f64,
    s: &str,
    fill: &str,
    size: f64,
) -> svg::node::element::Text {
    match side {
        Side::Client => text(xs[0] - 12.0, y + 4.0, s, size, "end", fill),
        Side::Server => text(xs[1] + 12.0, y + 4.0, s, size, "start", fill),
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= MAX_CALL_CHARS {
        return s.to_string();
    }
    let mut out: String = s.chars().take(MAX_CALL_CHARS - 1).collect();
    out.push('…');
    out
}

/// A state change: a dot on the timeline and the state's name beside it.
fn state(xs: [f64; 2], side: Side, y: f64, name: &str) -> svg::node::element::Group {
    let x = xs[side.index()];
    group("state-change")
        .add(
            Circle::new()
                .set("cx", round(x))
                .set("cy", round(y))
                .set("r", 3.5)
                .set("fill", side_color(side)),
        )
        .add(
            beside(xs, side, y, name, side_color(side), 11.5)
                .set("class", "state")
                .set("font-weight", "bold"),
        )
}

/// A timer that fired: a ring on the timeline, a bracket from when it was
/// armed (`start`) to when it fired, and what it was.
fn timer_mark(
    xs: [f64; 2],
    side: Side,
    y: f64,
    start: f64,
    timer: TimerKind,
    after_us: u64,
    rto_us: Option<u64>,
) -> svg::node::element::Group {
    let x = xs[side.index()];
    let bx = match side {
        Side::Client => x - 6.0,
        Side::Server => x + 6.0,
    };
    let words = TimerText {
        timer,
        after_us,
        rto_us,
    }
    .words()
    .to_string();
    group("timer")
        .add(
            Line::new()
                .set("class", "timer-span")
                .set("x1", round(bx))
                .set("y1", round(start))
                .set("x2", round(bx))
                .set("y2", round(y))
                .set("stroke", pal::TIMER)
                .set("stroke-width", 1.2)
                .set("stroke-dasharray", "3 2"),
        )
        .add(
            Circle::new()
                .set("cx", round(x))
                .set("cy", round(y))
                .set("r", 4.5)
                .set("fill", "#ffffff")
                .set("stroke", pal::TIMER)
                .set("stroke-width", 2),
        )
        .add(timer_words(xs, side, y, &words))
}

/// A timer's words beside its ring: on one line when they fit as a call's
/// do (`MAX_CALL_CHARS`), else the why (from its ` (`) on the ring's line
/// and the rest on a line above it, where the dashed bracket runs and the
/// side's column is free (the time column must not be written over).
fn timer_words(xs: [f64; 2], side: Side, y: f64, words: &str) -> svg::node::element::Group {
    let g = group("timer-words");
    match words.rfind(" (") {
        Some(at) if words.chars().count() > MAX_CALL_CHARS => g
            .add(beside(xs, side, y - 13.0, &words[..at], pal::TIMER, 10.5))
            .add(beside(xs, side, y, &words[at + 1..], pal::TIMER, 10.5)),
        _ => g.add(beside(xs, side, y, words, pal::TIMER, 10.5)),
    }
}

/// An axis break on a timeline between `y0` and `y1`: the line interrupted,
/// two slanted strokes at each end.
fn break_mark(x: f64, y0: f64, y1: f64) -> svg::node::element::Group {
    let stroke = |y: f64| {
        Line::new()
            .set("x1", round(x - 7.0))
            .set("y1", round(y + 3.0))
            .set("x2", round(x + 7.0))
            .set("y2", round(y - 3.0))
            .set("stroke", pal::DIM)
            .set("stroke-width", 1.5)
    };
    group("gap")
        .add(
            svg::node::element::Rectangle::new()
                .set("x", round(x - 4.0))
                .set("y", round(y0 + 6.0))
                .set("width", 8)
                .set("height", round((y1 - y0 - 12.0).max(0.0)))
                .set("fill", "#ffffff"),
        )
        .add(stroke(y0 + 6.0))
        .add(stroke(y1 - 6.0))
}

/// Whether a segment is one of Wireshark's retransmissions.
fn is_retransmission(s: &SegmentEvent<'_>) -> bool {
    [
        AnalysisFlag::Retransmission,
        AnalysisFlag::FastRetransmission,
        AnalysisFlag::SpuriousRetransmission,
    ]
    .into_iter()
    .any(|f| s.analysis.contains(f))
}

/// The classes of a segment's group (docs/diagrams.md). `injected`
/// comes with the fate of an `inject` statement's segment.
pub fn segment_classes(s: &SegmentEvent<'_>) -> String {
    let mut c = String::from("segment");
    match s.fate {
        Fate::Dropped => c.push_str(" dropped"),
        Fate::Duplicated => c.push_str(" duplicated"),
        Fate::Injected => c.push_str(" injected"),
        Fate::Delivered | Fate::Captured => {}
    }
    if is_retransmission(s) {
        c.push_str(" retransmission");
    }
    c
}

/// A segment's label with its analysis and fate, as its title and its text say.
pub fn segment_title(s: &SegmentEvent<'_>) -> String {
    let mut label = String::with_capacity(96);
    segment_label(&mut label, s, false);
    for f in s.analysis.iter() {
        label.push_str(&format!(" [{}]", f.words()));
    }
    match s.fate {
        Fate::Dropped => label.push_str(" (dropped)"),
        Fate::Duplicated => label.push_str(" (duplicated)"),
        Fate::Injected => label.push_str(" (injected)"),
        Fate::Delivered | Fate::Captured => {}
    }
    label
}

/// One segment: a sloped arrow from the sender's timeline at `y0` to the
/// receiver's at `y1`; dropped, it ends half way in a cross.
fn segment(s: &SegmentEvent<'_>, xs: [f64; 2], y0: f64, y1: f64) -> svg::node::element::Group {
    let color = if is_retransmission(s) {
        pal::RETRANSMISSION
    } else {
        side_color(s.dir.sender())
    };
    let arrow = Arrow {
        class: segment_classes(s),
        id: s.id,
        label: segment_title(s),
        dir: s.dir,
        fate: s.fate,
        color,
    };
    arrow.draw(xs, y0, y1)
}

/// A UDP datagram: drawn like a segment, in a `<g class="datagram">`.
fn datagram(d: &DatagramEvent<'_>, xs: [f64; 2], y0: f64, y1: f64) -> svg::node::element::Group {
    let mut label = String::new();
    datagram_label(&mut label, d);
    let mut class = String::from("datagram");
    match d.fate {
        Fate::Dropped => {
            class.push_str(" dropped");
            label.push_str(" (dropped)");
        }
        Fate::Duplicated => {
            class.push_str(" duplicated");
            label.push_str(" (duplicated)");
        }
        // Datagrams are never injected (`inject` is refused with transport udp).
        Fate::Delivered | Fate::Captured | Fate::Injected => {}
    }
    let arrow = Arrow {
        class,
        id: d.id,
        label,
        dir: d.dir,
        fate: d.fate,
        color: side_color(d.dir.sender()),
    };
    arrow.draw(xs, y0, y1)
}

/// What an arrow of the ladder shows.
struct Arrow {
    class: String,
    id: u64,
    label: String,
    dir: synack_sim::transcript::Dir,
    fate: Fate,
    color: &'static str,
}

impl Arrow {
    fn draw(self, xs: [f64; 2], y0: f64, y1: f64) -> svg::node::element::Group {
        let Arrow {
            class,
            id,
            label,
            dir,
            fate,
            color,
        } = self;
        let from = dir.sender();
        let (x0, x1) = (xs[from.index()], xs[from.peer().index()]);
        let mut g = svg::node::element::Group::new()
            .set("class", class)
            .set("data-id", id)
            .add(title(&format!("#{id} {label}")));
        let dropped = fate == Fate::Dropped;
        // Stop short of the timelines so arrowheads stay visible.
        let (dx, dy) = (x1 - x0, y1 - y0);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let (ux, uy) = (dx / len, dy / len);
        let (sx, sy) = (x0 + ux * 3.0, y0 + uy * 3.0);
        let end_frac = if dropped { 0.5 } else { 1.0 };
        let (ex, ey) = (
            x0 + dx * end_frac - ux * if dropped { 0.0 } else { 3.0 },
            y0 + dy * end_frac - uy * if dropped { 0.0 } else { 3.0 },
        );
        let shaft = |off: f64| {
            Line::new()
                .set("x1", round(sx - uy * off))
                .set("y1", round(sy + ux * off))
                .set("x2", round(ex - uy * off))
                .set("y2", round(ey + ux * off))
                .set("stroke", color)
                .set("stroke-width", 1.6)
        };
        if fate == Fate::Duplicated {
            g = g.add(shaft(-1.8)).add(shaft(1.8));
        } else {
            g = g.add(shaft(0.0));
        }
        if dropped {
            let arm = 6.0;
            let cross = format!(
                "M{} {} L{} {} M{} {} L{} {}",
                round(ex - arm),
                round(ey - arm),
                round(ex + arm),
                round(ey + arm),
                round(ex - arm),
                round(ey + arm),
                round(ex + arm),
                round(ey - arm)
            );
            g = g.add(
                Path::new()
                    .set("class", "cross")
                    .set("d", cross)
                    .set("stroke", pal::DROPPED)
                    .set("stroke-width", 2.5),
            );
        } else {
            let (bx, by) = (ex - ux * 10.0, ey - uy * 10.0);
            let pts = format!(
                "{},{} {},{} {},{}",
                round(ex),
                round(ey),
                round(bx - uy * 4.5),
                round(by + ux * 4.5),
                round(bx + uy * 4.5),
                round(by - ux * 4.5)
            );
            g = g.add(Polygon::new().set("points", pts).set("fill", color));
        }
        // The label along the arrow, above it, read left to right.
        // Centred a third of the way from the sender, so that labels of arrows
        // crossing in the middle stay apart; a long one moves on until it clears
        // the sender's timeline (10.5 px monospace: about 6.3 px a character).
        let half = label.chars().count() as f64 * 6.3 / 2.0 + 10.0;
        let at = LABEL_AT.max((half / len).min(0.5));
        let (cx, cy) = (x0 + dx * at, y0 + dy * at);
        let angle = (dy * dx.signum()).atan2(dx.abs()).to_degrees();
        g.add(
            text(cx, cy - 4.5, &label, 10.5, "middle", color)
                .set("class", "label")
                .set("font-family", MONO)
                .set(
                    "transform",
                    format!("rotate({} {} {})", round(angle), round(cx), round(cy)),
                )
                .set("stroke", "#ffffff")
                .set("stroke-width", 3)
                .set("stroke-linejoin", "round")
                .set("paint-order", "stroke"),
        )
    }
}

/// The legend under the heading.
fn legend(x: f64, y: f64) -> svg::node::element::Group {
    let mut g = group("legend");
    let mut at = x;
    let mut arrow = |g: svg::node::element::Group, color: &str, words: &str, dup: bool| {
        let mut item = group("legend-item");
        let offs: &[f64] = if dup { &[-1.8, 1.8] } else { &[0.0] };
        for off in offs {
            item = item.add(
                Line::new()
                    .set("x1", round(at))
                    .set("y1", round(y + off))
                    .set("x2", round(at + 26.0))
                    .set("y2", round(y + off))
                    .set("stroke", color)
                    .set("stroke-width", 1.6),
            );
        }
        item = item
            .add(
                Polygon::new()
                    .set(
                        "points",
                        format!(
                            "{},{} {},{} {},{}",
                            at + 34.0,
                            y,
                            at + 24.0,
                            y - 4.5,
                            at + 24.0,
                            y + 4.5
                        ),
                    )
                    .set("fill", color),
            )
            .add(text(at + 40.0, y + 4.0, words, 11.0, "start", pal::INK));
        at += 48.0 + words.chars().count() as f64 * 6.4;
        g.add(item)
    };
    g = arrow(g, pal::CLIENT, "client → server", false);
    g = arrow(g, pal::SERVER, "server → client", false);
    g = arrow(g, pal::RETRANSMISSION, "retransmission", false);
    g = arrow(g, pal::DIM, "duplicated (arrived twice)", true);
    let cross = format!(
        "M{} {} L{} {} M{} {} L{} {}",
        at + 20.0,
        y - 5.0,
        at + 30.0,
        y + 5.0,
        at + 20.0,
        y + 5.0,
        at + 30.0,
        y - 5.0
    );
    g = g.add(
        group("legend-item")
            .add(
                Line::new()
                    .set("x1", at)
                    .set("y1", y)
                    .set("x2", at + 25.0)
                    .set("y2", y)
                    .set("stroke", pal::DIM)
                    .set("stroke-width", 1.6),
            )
            .add(
                Path::new()
                    .set("d", cross)
                    .set("stroke", pal::DROPPED)
                    .set("stroke-width", 2.5),
            )
            .add(text(at + 38.0, y + 4.0, "dropped", 11.0, "start", pal::INK)),
    );
    at += 38.0 + 7.0 * 6.4 + 14.0;
    g = g.add(
        group("legend-item")
            .add(
                Circle::new()
                    .set("cx", at + 6.0)
                    .set("cy", y)
                    .set("r", 4.5)
                    .set("fill", "#ffffff")
                    .set("stroke", pal::TIMER)
                    .set("stroke-width", 2),
            )
            .add(text(
                at + 16.0,
                y + 4.0,
                "timer fired (dashed: how long it ran)",
                11.0,
                "start",
                pal::INK,
            )),
    );
    let y2 = y + 22.0;
    g.add(
        group("legend-item")
            .add(break_mark(x + 6.0, y2 - 14.0, y2 + 14.0))
            .add(text(
                x + 22.0,
                y2 + 4.0,
                "idle time left out (the time column says how long); states and calls are written beside each timeline",
                11.0,
                "start",
                pal::INK,
            )),
    )
}
