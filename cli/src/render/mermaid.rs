//! `--format mermaid`: a Mermaid `sequenceDiagram` (docs/diagrams.md),
//! for Markdown that GitHub, GitLab and many wikis draw.
//!
//! Participants `client` and `server`; one message per segment, labelled as
//! in the text transcript (`client->>server`, `client-x server` when the
//! link dropped it); state changes and timers as `Note over`. Calls and
//! notes are left out, as in the SVG ladder (docs/diagrams.md). Streams:
//! one line per event.

use super::diagram::ladder::segment_title;
use super::diagram::View;
use super::words::{datagram_label, TimerText};
use std::io::{self, Write};
use synack_sim::transcript::{Dir, Event, EventKind, Fate, Sink};

/// Writes a sequenceDiagram.
pub struct MermaidRenderer<W: Write> {
    out: W,
    view: View,
    started: bool,
}

impl<W: Write> MermaidRenderer<W> {
    pub fn new(out: W, view: View) -> Self {
        MermaidRenderer {
            out,
            view,
            started: false,
        }
    }

    /// Gives back the writer.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            writeln!(self.out, "sequenceDiagram")?;
            writeln!(self.out, "    participant client")?;
            writeln!(self.out, "    participant server")?;
        }
        Ok(())
    }
}

/// Text Mermaid shows as it is: `;` ends a statement and `#` starts an
/// entity code, so both are written as entity codes; line breaks as spaces.
pub fn mermaid_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ';' => out.push_str("#59;"),
            '#' => out.push_str("#35;"),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

impl<W: Write> Sink for MermaidRenderer<W> {
    fn event(&mut self, ev: &Event<'_>) -> io::Result<()> {
        self.start()?;
        if !self.view.shows(ev.t_us) {
            return Ok(());
        }
        match ev.kind {
            EventKind::Segment(ref s) => {
                let arrow = match (s.dir, s.fate) {
                    (Dir::ClientToServer, Fate::Dropped) => "client-x server",
                    (Dir::ServerToClient, Fate::Dropped) => "server-x client",
                    // A forged segment (`inject`): dotted, and "(injected)" in its label.
                    (Dir::ClientToServer, Fate::Injected) => "client-->>server",
                    (Dir::ServerToClient, Fate::Injected) => "server-->>client",
                    (Dir::ClientToServer, _) => "client->>server",
                    (Dir::ServerToClient, _) => "server->>client",
                };
                writeln!(self.out, "    {arrow}: {}", mermaid_text(&segment_title(s)))
            }
            EventKind::State {
                endpoint, from, to, ..
            } => writeln!(self.out, "    Note over {endpoint}: {from} → {to}"),
            EventKind::Timer {
                endpoint,
                timer,
                after_us,
                rto_us,
            } => {
                let words = TimerText {
                    timer,
                    after_us,
                    rto_us,
                };
                writeln!(self.out, "    Note over {endpoint}: {}", words.words())
            }
            EventKind::Datagram(ref d) => {
                let arrow = match (d.dir, d.fate) {
                    (Dir::ClientToServer, Fate::Dropped) => "client-x server",
                    (Dir::ServerToClient, Fate::Dropped) => "server-x client",
                    (Dir::ClientToServer, _) => "client->>server",
                    (Dir::ServerToClient, _) => "server->>client",
                };
                let mut label = String::new();
                datagram_label(&mut label, d);
                if d.fate == Fate::Dropped {
                    label.push_str(" (dropped)");
                }
                writeln!(self.out, "    {arrow}: {}", mermaid_text(&label))
            }
            EventKind::App { .. } | EventKind::Note(_) => Ok(()),
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        self.start()?;
        self.out.flush()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
