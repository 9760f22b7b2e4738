//! The text transcript: what a student reads without help.
//!
//! One header line says what ran; then one line per event, with the virtual
//! time on the left, the client's column and the server's column. A segment
//! is an arrow from its sender's side to its receiver's side, labelled with
//! its flags, relative seq/ack, payload length and window:
//!
//! ```text
//!        time  client                                                          server
//!       0.000  ── SYN seq=0 len=0 win=65535 ─────────────────────────────────▶
//!       0.010  ◀───────────────────────────── SYN,ACK seq=0 ack=1 len=0 win=65535 ──
//! ```
//!
//! Columns have fixed widths so they line up; text longer than its column
//! runs on to the right (every line holds one event, so nothing overlaps).
//! The renderer reuses one line buffer and does not allocate per event.

use super::color::Style;
use super::line::{Line, TIME_W};
use super::num::digits;
use super::words::{
    datagram_label, segment_label, CallText, Duration, NoteText, ResultText, TimerText,
};
use std::io::{self, Write};
use synack_sim::profile::ProfileName;
use synack_sim::transcript::{
    AnalysisFlag, ConnInfo, Dir, Event, EventKind, Fate, SegmentEvent, Side, Sink,
};

/// Width of the arrow of a segment, from the client's column to the server's.
const ARROW_W: usize = 60;
/// Gap between the arrow and the server's column.
const GAP: usize = 2;
/// How far short of its receiver a dropped segment's arrow stops.
const CUT: usize = 6;

/// What ran, for the first line of the transcript. The command fills it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// What ran, e.g. `scenario echo`, `file trace.pcap`.
    pub what: String,
    pub profile: Option<ProfileName>,
    /// Round-trip time of the simulated link, microseconds.
    pub rtt_us: Option<u64>,
    pub mss: Option<u16>,
    pub seed: Option<u64>,
    /// A capture: adds the frame-number and connection columns.
    pub capture: bool,
    /// More facts for the first line (`Linux 6.18.44`, `states from …`).
    pub extra: Vec<String>,
}

/// Renders events as a text transcript into any writer.
#[derive(Debug)]
pub struct TextRenderer<W: Write> {
    out: W,
    header: Header,
    line: Line,
    label: String,
    started: bool,
    /// The time column's precision, one for the whole transcript:
    /// microseconds when a time may fall between milliseconds.
    micros: bool,
    /// Raw sequence numbers instead of relative ones (`--absolute`).
    absolute: bool,
}

impl<W: Write> TextRenderer<W> {
    /// `color`: add ANSI colour (the caller resolves `--color`).
    pub fn new(out: W, header: Header, color: bool) -> TextRenderer<W> {
        TextRenderer {
            out,
            micros: micros_column(&header),
            absolute: false,
            header,
            line: Line {
                buf: String::with_capacity(256),
                width: 0,
                color,
            },
            label: String::with_capacity(96),
            started: false,
        }
    }

    /// Shows raw sequence and acknowledgement numbers (`--absolute`)
    /// instead of relative ones.
    pub fn absolute(mut self, absolute: bool) -> TextRenderer<W> {
        self.absolute = absolute;
        self
    }

    /// Gives back the writer.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Column where the client's text starts.
    fn client_col(&self) -> usize {
        if self.header.capture {
            // time, frame (7), connection (c + 3)
            TIME_W + 1 + 7 + 1 + 4 + 2
        } else {
            TIME_W + 2
        }
    }

    /// Column where the server's text starts.
    fn server_col(&self) -> usize {
        self.client_col() + ARROW_W + GAP
    }

    fn side_col(&self, side: Side) -> usize {
        match side {
            Side::Client => self.client_col(),
            Side::Server => self.server_col(),
        }
    }

    fn emit(&mut self) -> io::Result<()> {
        self.line.buf.push('\n');
        let r = self.out.write_all(self.line.buf.as_bytes());
        self.line.clear();
        r
    }

    /// Writes the header once, before anything else.
    fn start(&mut self) -> io::Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        let h = &self.header;
        let l = &mut self.line;
        l.styled(Style::BOLD, |l| {
            l.push("synack");
            if !h.what.is_empty() {
                l.push(" · ");
                l.push(&h.what);
            }
        });
        if let Some(p) = h.profile {
            l.fmt(format_args!(" · profile {p}"));
        }
        if let Some(rtt) = h.rtt_us {
            l.fmt(format_args!(" · rtt {}", Duration(rtt)));
        }
        if let Some(mss) = h.mss {
            l.fmt(format_args!(" · mss {mss}"));
        }
        if let Some(seed) = h.seed {
            l.fmt(format_args!(" · seed {seed}"));
        }
        for e in &h.extra {
            l.fmt(format_args!(" · {e}"));
        }
        self.emit()?;
        self.emit()?;
        let (c, s) = (self.client_col(), self.server_col());
        let capture = self.header.capture;
        self.line.styled(Style::BOLD, |l| {
            l.pad_to(TIME_W - 4);
            l.push("time");
            if capture {
                l.push("   frame conn");
            }
            l.pad_to(c);
            l.push("client");
            l.pad_to(s);
            l.push("server");
        });
        self.emit()
    }

    /// Time, and for captures the frame and connection columns.
    fn prefix(&mut self, ev: &Event<'_>) {
        self.line.time(ev.t_us, self.micros);
        if self.header.capture {
            let frame = match ev.kind {
                EventKind::Segment(s) => s.frame,
                _ => None,
            };
            self.line.push(" ");
            match frame {
                Some(f) => self.line.push_num(f, 7),
                None => self.line.push("       "),
            }
            self.line.push(" ");
            if let Some(c) = ev.conn {
                self.line.push("c");
                self.line.push_num(u64::from(c), 0);
                let d = digits(u64::from(c));
                if d < 3 {
                    self.line.repeat(' ', 3 - d);
                }
            }
        }
    }

    fn segment(&mut self, s: &SegmentEvent<'_>) {
        segment_label(&mut self.label, s, self.absolute);
        let mut first = self.arrow(s.dir, s.fate);
        let ann = self.client_col() + ARROW_W + GAP;
        let l = &mut self.line;
        for f in s.analysis.iter() {
            if first {
                l.pad_to(ann);
                if l.width > ann {
                    l.push(" ");
                }
                first = false;
            } else {
                l.push(" ");
            }
            let style = match f {
                AnalysisFlag::Retransmission
                | AnalysisFlag::FastRetransmission
                | AnalysisFlag::SpuriousRetransmission => Style::WARN,
                _ => Style::DIM,
            };
            l.styled(style, |l| {
                l.push("[");
                l.push(f.words());
                l.push("]");
            });
        }
    }

    /// The arrow of a segment or datagram labelled `self.label`, from its
    /// sender's side, cut short with a cross when dropped, and its fate in
    /// words. Returns whether nothing was written after the arrow yet.
    fn arrow(&mut self, dir: Dir, fate: Fate) -> bool {
        let sender = match dir.sender() {
            Side::Client => Style::CLIENT,
            Side::Server => Style::SERVER,
        };
        let dropped = fate == Fate::Dropped;
        let label_w = if self.label.is_ascii() {
            self.label.len()
        } else {
            self.label.chars().count()
        };
        let shaft = ARROW_W.saturating_sub(label_w + 5).max(2);
        let col = self.client_col();
        self.line.pad_to(col);
        let label = self.label.as_str();
        let l = &mut self.line;
        match (dir, dropped) {
            (Dir::ClientToServer, false) => l.styled(sender, |l| {
                l.push("── ");
                l.push(label);
                l.push(" ");
                l.repeat('─', shaft);
                l.push("▶");
            }),
            (Dir::ClientToServer, true) => {
                l.styled(sender, |l| {
                    l.push("── ");
                    l.push(label);
                    l.push(" ");
                    l.repeat('─', shaft.saturating_sub(CUT).max(1));
                });
                l.styled(Style::DROPPED, |l| l.push("✗"));
            }
            (Dir::ServerToClient, false) => l.styled(sender, |l| {
                l.push("◀");
                l.repeat('─', shaft);
                l.push(" ");
                l.push(label);
                l.push(" ──");
            }),
            (Dir::ServerToClient, true) => {
                l.repeat(' ', CUT);
                l.styled(Style::DROPPED, |l| l.push("✗"));
                l.styled(sender, |l| {
                    l.repeat('─', shaft.saturating_sub(CUT).max(1));
                    l.push(" ");
                    l.push(label);
                    l.push(" ──");
                });
            }
        }
        let ann = col + ARROW_W + GAP;
        let words = match fate {
            Fate::Dropped => Some(("(dropped)", Style::DROPPED)),
            Fate::Duplicated => Some(("(duplicated)", Style::DIM)),
            Fate::Injected => Some(("(injected)", Style::DROPPED)),
            Fate::Delivered | Fate::Captured => None,
        };
        match words {
            Some((w, style)) => {
                l.pad_to(ann);
                if l.width > ann {
                    l.push(" ");
                }
                if fate == Fate::Duplicated {
                    l.push(w);
                } else {
                    l.styled(style, |l| l.push(w));
                }
                false
            }
            None => true,
        }
    }
}

impl<W: Write> Sink for TextRenderer<W> {
    fn begin_conn(&mut self, info: &ConnInfo) -> io::Result<()> {
        self.start()?;
        let col = self.client_col();
        let capture = self.header.capture;
        let l = &mut self.line;
        l.pad_to(col);
        l.styled(Style::BOLD, |l| {
            l.push("connection");
            if let Some(c) = info.conn {
                l.fmt(format_args!(" c{c}"));
            }
            if capture {
                l.fmt(format_args!(
                    ": client {} ⇄ server {}",
                    info.client, info.server
                ));
            } else {
                l.fmt(format_args!(
                    ": client port {} ⇄ server port {}",
                    info.client.port(),
                    info.server.port()
                ));
            }
        });
        self.emit()
    }

    fn event(&mut self, ev: &Event<'_>) -> io::Result<()> {
        self.start()?;
        self.prefix(ev);
        match ev.kind {
            EventKind::Segment(ref s) => self.segment(s),
            EventKind::Datagram(ref d) => {
                datagram_label(&mut self.label, d);
                self.arrow(d.dir, d.fate);
            }
            EventKind::State {
                endpoint, from, to, ..
            } => {
                let col = self.side_col(endpoint);
                self.line.pad_to(col);
                self.line.styled(bold_style(endpoint), |l| {
                    l.push(from.name());
                    l.push(" → ");
                    l.push(to.name());
                });
            }
            EventKind::App {
                endpoint,
                call,
                result,
            } => {
                let col = self.side_col(endpoint);
                self.line.pad_to(col);
                self.line.styled(side_style(endpoint), |l| {
                    l.fmt_clean(format_args!("{} → {}", CallText(call), ResultText(result)));
                });
            }
            EventKind::Timer {
                endpoint,
                timer,
                after_us,
                rto_us,
            } => {
                let col = self.side_col(endpoint);
                self.line.pad_to(col);
                self.line.styled(side_style(endpoint), |l| {
                    l.fmt(format_args!(
                        "{}",
                        TimerText {
                            timer,
                            after_us,
                            rto_us
                        }
                    ))
                });
            }
            EventKind::Note(note) => {
                let col = self.client_col();
                self.line.pad_to(col + 2);
                self.line.styled(Style::DIM, |l| {
                    l.push("— ");
                    l.fmt_clean(format_args!("{}", NoteText(note)));
                });
            }
        }
        self.line.trim_end();
        self.emit()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.start()?;
        self.out.flush()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Whether the time column shows microseconds, decided once for the whole
/// transcript so that every line has the same precision: a capture's times
/// are microseconds from the wire, and a simulated link whose one-way delay
/// (rtt/2) is not a whole millisecond puts segments between milliseconds.
/// Other runs (whole-millisecond delays) show milliseconds; a time that
/// still falls between them shows its microseconds rather than be rounded.
fn micros_column(h: &Header) -> bool {
    h.capture || h.rtt_us.is_some_and(|rtt| !rtt.is_multiple_of(2000))
}

fn side_style(side: Side) -> Style {
    match side {
        Side::Client => Style::CLIENT,
        Side::Server => Style::SERVER,
    }
}

fn bold_style(side: Side) -> Style {
    match side {
        Side::Client => Style::CLIENT_BOLD,
        Side::Server => Style::SERVER_BOLD,
    }
}
