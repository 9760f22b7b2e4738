//! The time-sequence graph (Stevens, tcptrace; Wireshark's "TCP Stream
//! Graphs"): for the direction that carries the data, every segment as a
//! vertical bar from its first to its last sequence number at the time it
//! was sent, the ACK line (what the receiver has acknowledged) and the
//! receive-window line (the ACK plus the advertised window: how far the
//! sender may go) as steps, retransmissions and drops marked.
//!
//! It is the sender's view: data at the time it is sent; ACKs and windows
//! at the time they reach the sender (their `arrives_us`; a capture has
//! only the capture time). An ACK the link dropped never reached the
//! sender and is not on the lines.

use super::ladder::segment_title;
use super::{document, group, heading, palette as pal, round, text, title, View, MONO};
use crate::render::text::Header;
use crate::render::words::Secs;
use svg::node::element::{ClipPath, Definitions, Group, Line, Path, Polyline};
use svg::Document;
use synack_sim::transcript::{AnalysisFlag, Dir, Fate, OwnedEvent, OwnedKind, SegmentEvent};

const LEFT: f64 = 86.0;
const RIGHT: f64 = 36.0;
const TOP: f64 = 92.0;
const BOTTOM: f64 = 56.0;
const PLOT_W: f64 = 900.0;
const PLOT_H: f64 = 520.0;

/// The direction that carries more payload (client->server when equal).
pub fn data_dir(events: &[OwnedEvent]) -> Dir {
    let mut bytes = [0u64; 2];
    for ev in events {
        if let OwnedKind::Segment { seg, .. } = &ev.kind {
            bytes[seg.dir.sender().index()] += u64::from(seg.hdr.payload_len);
        }
    }
    if bytes[1] > bytes[0] {
        Dir::ServerToClient
    } else {
        Dir::ClientToServer
    }
}

/// A step line's points: (time, value).
type Steps = Vec<(u64, u64)>;

/// Draws the time-sequence graph of `events` (one connection).
pub fn graph(header: &Header, events: &[OwnedEvent], view: &View) -> Document {
    let dir = data_dir(events);
    let segs: Vec<(u64, &SegmentEvent<'static>)> = events
        .iter()
        .filter_map(|e| match &e.kind {
            OwnedKind::Segment { seg, .. } => Some((e.t_us, seg)),
            _ => None,
        })
        .collect();
    // The sender's data, and the receiver's ACKs as they reach the sender.
    let data: Vec<_> = segs
        .iter()
        .filter(|(_, s)| s.dir == dir && s.hdr.seg_len() > 0)
        .collect();
    let mut acks: Steps = Vec::new();
    let mut wins: Steps = Vec::new();
    let mut back: Vec<(u64, &SegmentEvent<'static>)> = segs
        .iter()
        .filter(|(_, s)| s.dir == dir.reverse() && s.fate != Fate::Dropped)
        .map(|(t, s)| (s.arrives_us.unwrap_or(*t), *s))
        .collect();
    back.sort_by_key(|(t, s)| (*t, s.id));
    for (t, s) in back {
        if let Some(a) = s.rel_ack {
            acks.push((t, u64::from(a)));
            wins.push((t, u64::from(a) + u64::from(s.win_bytes)));
        }
    }
    let times = data
        .iter()
        .map(|(t, _)| *t)
        .chain(acks.iter().map(|(t, _)| *t));
    let (t0, t1) = match (view.from_us, view.to_us) {
        (Some(f), Some(t)) if t > f => (f, t),
        _ => {
            let (lo, hi) = times.fold((u64::MAX, 0), |(lo, hi), t| (lo.min(t), hi.max(t)));
            if lo > hi {
                (0, 1)
            } else {
                (
                    view.from_us.unwrap_or(lo),
                    view.to_us.unwrap_or(hi).max(lo + 1),
                )
            }
        }
    };
    // The data and the ACKs fill the height; the window line may run above
    // the plot, where it is clipped (it matters where it is close to the data).
    let top = data
        .iter()
        .map(|(_, s)| u64::from(s.rel_seq) + u64::from(s.hdr.seg_len()))
        .chain(acks.iter().map(|(_, a)| *a))
        .max()
        .unwrap_or(1)
        .max(1);
    let top = top + top / 8 + 1;
    let plot = Plot { t0, t1, top };
    let width = LEFT + PLOT_W + RIGHT;
    let height = TOP + PLOT_H + BOTTOM;
    let mut h = heading(header);
    h.push_str(&format!(" · time-sequence graph, {dir}"));
    let mut doc = document(width, height)
        .add(
            text(12.0, 22.0, &h, 14.0, "start", pal::INK)
                .set("class", "heading")
                .set("font-weight", "bold"),
        )
        .add(legend(LEFT, 50.0))
        .add(plot.axes());
    let clip = ClipPath::new().set("id", "plot-area").add(
        svg::node::element::Rectangle::new()
            .set("x", LEFT)
            .set("y", TOP)
            .set("width", PLOT_W)
            .set("height", PLOT_H),
    );
    doc = doc.add(Definitions::new().add(clip)).add(
        group("lines")
            .set("clip-path", "url(#plot-area)")
            .add(plot.steps(&wins, pal::WINDOW, "window-line"))
            .add(plot.steps(&acks, pal::ACK, "ack-line")),
    );
    // Segments sent at the same instant (virtual time has no serialization
    // delay) are drawn side by side, 4 px apart, in the order they were sent.
    let mut bars = group("segments");
    let mut same = (u64::MAX, 0u32);
    let color = match dir {
        Dir::ClientToServer => pal::CLIENT,
        Dir::ServerToClient => pal::SERVER,
    };
    for (t, s) in data {
        same = if same.0 == *t {
            (*t, same.1 + 1)
        } else {
            (*t, 0)
        };
        bars = bars.add(plot.bar(*t, f64::from(same.1) * 4.0, s, color));
    }
    doc.add(bars)
}

/// Maps (time, sequence number) into the plot.
struct Plot {
    t0: u64,
    t1: u64,
    top: u64,
}

impl Plot {
    fn x(&self, t: u64) -> f64 {
        let t = t.clamp(self.t0, self.t1);
        LEFT + (t - self.t0) as f64 / (self.t1 - self.t0) as f64 * PLOT_W
    }

    /// Above the plot for a number beyond its top (lines are clipped there).
    fn y(&self, seq: u64) -> f64 {
        let seq = seq.min(self.top.saturating_mul(2));
        TOP + PLOT_H - seq as f64 / self.top as f64 * PLOT_H
    }

    /// The frame, the ticks and the axis titles.
    fn axes(&self) -> Group {
        let mut g = group("axes").add(
            svg::node::element::Rectangle::new()
                .set("x", LEFT)
                .set("y", TOP)
                .set("width", PLOT_W)
                .set("height", PLOT_H)
                .set("fill", "none")
                .set("stroke", pal::DIM),
        );
        let tstep = nice_step(self.t1 - self.t0, 10);
        let mut t = self.t0.div_ceil(tstep) * tstep;
        while t <= self.t1 {
            let x = self.x(t);
            g = g.add(grid(x, TOP, x, TOP + PLOT_H)).add(
                text(
                    x,
                    TOP + PLOT_H + 16.0,
                    &Secs::millis(t).to_string(),
                    10.5,
                    "middle",
                    pal::DIM,
                )
                .set("font-family", MONO),
            );
            t += tstep;
        }
        let sstep = nice_step(self.top, 8);
        let mut s = 0;
        while s <= self.top {
            let y = self.y(s);
            g = g.add(grid(LEFT, y, LEFT + PLOT_W, y)).add(
                text(LEFT - 6.0, y + 4.0, &s.to_string(), 10.5, "end", pal::DIM)
                    .set("font-family", MONO),
            );
            s += sstep;
        }
        g.add(text(
            LEFT + PLOT_W / 2.0,
            TOP + PLOT_H + 40.0,
            "time (s)",
            12.0,
            "middle",
            pal::INK,
        ))
        .add(
            text(
                18.0,
                TOP + PLOT_H / 2.0,
                "relative sequence number (bytes)",
                12.0,
                "middle",
                pal::INK,
            )
            .set(
                "transform",
                format!("rotate(-90 18 {})", round(TOP + PLOT_H / 2.0)),
            ),
        )
    }

    /// A step line through `pts`: flat until the next value, then up (or down).
    fn steps(&self, pts: &Steps, color: &str, class: &str) -> Group {
        let mut d = String::new();
        for (i, (t, v)) in pts.iter().enumerate() {
            let (x, y) = (self.x(*t), self.y(*v));
            if i == 0 {
                d.push_str(&format!("{},{}", round(x), round(y)));
            } else {
                let prev = self.y(pts[i - 1].1);
                d.push_str(&format!(
                    " {},{} {},{}",
                    round(x),
                    round(prev),
                    round(x),
                    round(y)
                ));
            }
        }
        if let Some((_, v)) = pts.last() {
            d.push_str(&format!(" {},{}", round(LEFT + PLOT_W), round(self.y(*v))));
        }
        group(class).add(
            Polyline::new()
                .set("points", d)
                .set("fill", "none")
                .set("stroke", color)
                .set("stroke-width", 1.6),
        )
    }

    /// One segment: a bar from its first to its last sequence number, with
    /// serifs; retransmissions orange, drops red with a cross on top.
    fn bar(&self, t: u64, dx: f64, s: &SegmentEvent<'static>, data_color: &str) -> Group {
        let retrans = [
            AnalysisFlag::Retransmission,
            AnalysisFlag::FastRetransmission,
            AnalysisFlag::SpuriousRetransmission,
        ]
        .into_iter()
        .any(|f| s.analysis.contains(f));
        let dropped = s.fate == Fate::Dropped;
        let color = if dropped {
            pal::DROPPED
        } else if retrans {
            pal::RETRANSMISSION
        } else {
            data_color
        };
        let x = (self.x(t) + dx).min(LEFT + PLOT_W);
        let lo = u64::from(s.rel_seq);
        let hi = lo + u64::from(s.hdr.seg_len());
        let (y0, y1) = (self.y(lo), self.y(hi).min(self.y(lo) - 2.0));
        let mut class = String::from("segment");
        if dropped {
            class.push_str(" dropped");
        }
        if s.fate == Fate::Duplicated {
            class.push_str(" duplicated");
        }
        if retrans {
            class.push_str(" retransmission");
        }
        let line = |x1: f64, y1: f64, x2: f64, y2: f64| {
            Line::new()
                .set("x1", round(x1))
                .set("y1", round(y1))
                .set("x2", round(x2))
                .set("y2", round(y2))
                .set("stroke", color)
                .set("stroke-width", 1.5)
        };
        let mut g = Group::new()
            .set("class", class)
            .set("data-id", s.id)
            .add(title(&format!(
                "#{} at {} s: {}",
                s.id,
                Secs::millis(t),
                segment_title(s)
            )))
            .add(line(x, y0, x, y1))
            .add(line(x - 3.0, y0, x + 3.0, y0))
            .add(line(x - 3.0, y1, x + 3.0, y1));
        if dropped {
            let (cx, cy, a) = (x, (y0 + y1) / 2.0, 4.5);
            g = g.add(
                Path::new()
                    .set(
                        "d",
                        format!(
                            "M{} {} L{} {} M{} {} L{} {}",
                            round(cx - a),
                            round(cy - a),
                            round(cx + a),
                            round(cy + a),
                            round(cx - a),
                            round(cy + a),
                            round(cx + a),
                            round(cy - a)
                        ),
                    )
                    .set("stroke", pal::DROPPED)
                    .set("stroke-width", 2),
            );
        }
        g
    }
}

fn grid(x1: f64, y1: f64, x2: f64, y2: f64) -> Line {
    Line::new()
        .set("x1", round(x1))
        .set("y1", round(y1))
        .set("x2", round(x2))
        .set("y2", round(y2))
        .set("stroke", pal::RULE)
        .set("stroke-width", 0.6)
}

/// A step of 1, 2 or 5 times a power of ten giving at most about `n` ticks over `span`.
pub fn nice_step(span: u64, n: u64) -> u64 {
    let raw = (span / n.max(1)).max(1);
    let mut p = 1u64;
    while p.saturating_mul(10) <= raw {
        p *= 10;
    }
    for m in [1, 2, 5, 10] {
        if p * m >= raw {
            return p * m;
        }
    }
    p * 10
}

fn legend(x: f64, y: f64) -> Group {
    let item = |g: Group, at: f64, color: &str, words: &str, bar: bool| {
        let mark = if bar {
            Line::new()
                .set("x1", at + 6.0)
                .set("y1", y - 7.0)
                .set("x2", at + 6.0)
                .set("y2", y + 7.0)
        } else {
            Line::new()
                .set("x1", at)
                .set("y1", y)
                .set("x2", at + 22.0)
                .set("y2", y)
        };
        g.add(
            group("legend-item")
                .add(mark.set("stroke", color).set("stroke-width", 2))
                .add(text(at + 28.0, y + 4.0, words, 11.0, "start", pal::INK)),
        )
    };
    let mut g = group("legend");
    g = item(g, x, pal::CLIENT, "segment (first to last byte)", true);
    g = item(g, x + 210.0, pal::RETRANSMISSION, "retransmission", true);
    g = item(g, x + 340.0, pal::DROPPED, "dropped on the link", true);
    g = item(g, x + 500.0, pal::ACK, "ACK line", false);
    item(
        g,
        x + 610.0,
        pal::WINDOW,
        "receive window (ACK + window)",
        false,
    )
}

#[cfg(test)]
mod tests {
    use super::nice_step;

    #[test]
    fn ticks_are_one_two_five() {
        assert_eq!(nice_step(1_000_000, 10), 100_000);
        assert_eq!(nice_step(6_000_000, 10), 1_000_000);
        assert_eq!(nice_step(100_000, 8), 20_000);
        assert_eq!(nice_step(3, 10), 1);
    }
}
