//! Pictures of a transcript (`--format svg`, docs/diagrams.md): the ladder
//! diagram ([`ladder`]) and the time-sequence graph ([`tseq`]).
//!
//! Both need the whole run before they can lay it out, so
//! [`DiagramRenderer`] is a [`Sink`] that keeps the events (of one
//! connection) and draws at [`Sink::finish`]. The drawing functions take
//! event lists, not a sink: [`ladder::ladders`] takes several ([`Panel`]s)
//! and draws them side by side on one shared time axis, which is what
//! `synack compare` will call with the simulated and the real run.
//!
//! The SVG is built with the `svg` crate (element nodes, escaped text),
//! standalone (white background, sizes in user units, fonts with generic
//! fallbacks, presentation attributes rather than CSS) so that it renders
//! alike in Chromium and Firefox.

pub mod axis;
pub mod ladder;
pub mod tseq;

use super::text::Header;
use std::io::{self, Write};
use svg::node::element::{Group, Rectangle, Text as TextEl, Title};
use svg::Document;
use synack_sim::transcript::{ConnInfo, Event, EventKind, OwnedEvent, Sink};

/// What picture, and which stretch of time (`--graph`, `--from`, `--to`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct View {
    /// Draw the time-sequence graph instead of the ladder.
    pub time_sequence: bool,
    /// Show only events at or after this time (µs).
    pub from_us: Option<u64>,
    /// Show only events at or before this time (µs).
    pub to_us: Option<u64>,
    /// Text: raw sequence and acknowledgement numbers instead of relative
    /// ones (`--absolute`), as JSON's `seq` and `ack`.
    pub absolute: bool,
}

impl View {
    /// Whether an event at `t_us` is inside the window.
    pub fn shows(&self, t_us: u64) -> bool {
        self.from_us.is_none_or(|f| t_us >= f) && self.to_us.is_none_or(|t| t_us <= t)
    }

    /// Whether a window was asked for.
    pub fn is_windowed(&self) -> bool {
        self.from_us.is_some() || self.to_us.is_some()
    }
}

/// One ladder of a diagram: a title and the events of one connection.
#[derive(Clone, Copy, Debug)]
pub struct Panel<'a> {
    /// Above the ladder, e.g. `simulated` or `real`; empty for a single ladder.
    pub title: &'a str,
    pub conn: Option<&'a ConnInfo>,
    pub events: &'a [OwnedEvent],
}

/// Keeps the events of a run and draws them as SVG when the run ends.
pub struct DiagramRenderer<W: Write> {
    out: W,
    header: Header,
    view: View,
    conns: Vec<ConnInfo>,
    events: Vec<OwnedEvent>,
    /// Drawn already: a second `finish` writes nothing.
    done: bool,
}

impl<W: Write> DiagramRenderer<W> {
    pub fn new(out: W, header: Header, view: View) -> Self {
        DiagramRenderer {
            out,
            header,
            view,
            conns: Vec::new(),
            events: Vec::new(),
            done: false,
        }
    }

    /// Gives back the writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> Sink for DiagramRenderer<W> {
    fn begin_conn(&mut self, info: &ConnInfo) -> io::Result<()> {
        self.conns.push(*info);
        Ok(())
    }

    fn event(&mut self, ev: &Event<'_>) -> io::Result<()> {
        // Notes are not drawn (docs/diagrams.md); the rest is, in the window.
        if !matches!(ev.kind, EventKind::Note(_)) && self.view.shows(ev.t_us) {
            self.events.push(OwnedEvent::from_event(ev));
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if std::mem::replace(&mut self.done, true) {
            return Ok(());
        }
        let doc = if self.view.time_sequence {
            tseq::graph(&self.header, &self.events, &self.view)
        } else {
            let panel = Panel {
                title: "",
                conn: self.conns.first(),
                events: &self.events,
            };
            ladder::ladders(&self.header, &[panel], &self.view)
        };
        write_document(&mut self.out, &doc)?;
        self.out.flush()
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes `doc` with the XML declaration, ending in a newline.
pub fn write_document(out: &mut dyn Write, doc: &Document) -> io::Result<()> {
    writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
    writeln!(out, "{doc}")
}

/// The colours of the pictures (colour-blind safe, after Okabe and Ito).
pub mod palette {
    pub const CLIENT: &str = "#0072b2";
    pub const SERVER: &str = "#8a3ea0";
    pub const RETRANSMISSION: &str = "#e06000";
    pub const DROPPED: &str = "#d00000";
    pub const TIMER: &str = "#7a6a00";
    pub const ACK: &str = "#009e73";
    pub const WINDOW: &str = "#b8a000";
    pub const INK: &str = "#222222";
    pub const DIM: &str = "#777777";
    pub const RULE: &str = "#cccccc";
}

/// The fonts: a sans-serif for words, a monospace for segment labels.
pub const SANS: &str = "DejaVu Sans, Verdana, Arial, sans-serif";
pub const MONO: &str = "DejaVu Sans Mono, Menlo, Consolas, monospace";

/// Text that XML 1.0 can carry: control characters (other than tab and
/// newline) become U+FFFD. The `svg` crate escapes `&`, `<` and `>`.
pub fn xml_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\t' && c != '\n' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// A `<text>` at (x, y) in `font` of `size`, with `anchor`
/// (`start`, `middle`, `end`) and `fill`.
pub fn text(x: f64, y: f64, s: &str, size: f64, anchor: &str, fill: &str) -> TextEl {
    TextEl::new(xml_text(s))
        .set("x", round(x))
        .set("y", round(y))
        .set("font-size", size)
        .set("text-anchor", anchor)
        .set("fill", fill)
}

/// A `<title>` (the tooltip, and the label tests read).
pub fn title(s: &str) -> Title {
    Title::new(xml_text(s))
}

/// A number with at most one decimal, so the SVG stays small and stable.
pub fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The document frame: size, white background, default font.
pub fn document(width: f64, height: f64) -> Document {
    Document::new()
        .set("width", round(width))
        .set("height", round(height))
        .set("viewBox", (0, 0, round(width), round(height)))
        .set("font-family", SANS)
        .add(
            Rectangle::new()
                .set("class", "background")
                .set("width", "100%")
                .set("height", "100%")
                .set("fill", "#ffffff"),
        )
}

/// The heading line: what ran (the text transcript's header, in words).
pub fn heading(header: &Header) -> String {
    use super::words::Duration;
    let mut s = String::from("synack");
    if !header.what.is_empty() {
        s.push_str(" · ");
        s.push_str(&header.what);
    }
    if let Some(p) = header.profile {
        s.push_str(&format!(" · profile {p}"));
    }
    if let Some(rtt) = header.rtt_us {
        s.push_str(&format!(" · rtt {}", Duration(rtt)));
    }
    if let Some(seed) = header.seed {
        s.push_str(&format!(" · seed {seed}"));
    }
    s
}

/// A group with a class.
pub fn group(class: &str) -> Group {
    Group::new().set("class", class)
}
