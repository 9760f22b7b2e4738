//! The layout of `synack step`: one function that draws a [`View`] into a
//! ratatui buffer, used by the terminal UI (through `Terminal::draw`), by
//! the scripted mode (into a buffer it prints as text) and by the layout
//! tests (`TestBackend`).
//!
//! ```text
//!  synack step · lost-data │ 1.030 s │ event 19 of 35 │ main › drop #6     status
//! ── client ───────────────────────────── ── server ─────────────────────  endpoints
//! ESTABLISHED        RTO 1 s              ESTABLISHED        RTO 1 s
//! SND.UNA 1          RCV.NXT 1            …
//! ── in flight (1) ───────────────────────────────────────────────────────
//!   #7 ──▶  at 1.040 s  PSH,ACK seq=1 ack=1 len=5 win=65535 "hello"
//! ── transcript · profile rfc · rtt 20 ms · seed 0 ──────────────────────
//!      1.030  client   ⏰ retransmit timer fired after 1 s (RTO)
//! ▶    1.030   #7 ──▶  PSH,ACK seq=1 ack=1 len=5 win=65535 "hello" …
//! n/→ next  p/← prev  Home/End  Tab select  d drop  u up  ? help  q quit    keys
//! ```
//!
//! It fits 80x24 (the transcript gets what the fixed panes leave) and uses
//! only what any terminal over SSH has: no mouse, no images, colours only
//! when asked for (a current line is marked with `▶` and reverse video, so
//! it shows without colour too).

use super::view::{timer_text, Row, SideView, Tone, View};
use crate::render::words::{Duration, Secs};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};
use unicode_width::UnicodeWidthStr;

/// Rows of the endpoints' panes: a title and six lines.
const ENDPOINT_ROWS: u16 = 7;

/// The keys, as the last line shows them.
pub const KEY_HINTS: &str =
    "n/→ next  p/← prev  Home/End  Tab select  d drop  u up  ? help  q quit";

/// The keys of a capture, which has no branches.
pub const CAPTURE_KEY_HINTS: &str = "n/→ next  p/← prev  Home/End  Tab select  ? help  q quit";

/// The help overlay: each key and what it does.
pub const HELP: [(&str, &str); 9] = [
    ("n  →  Space", "next event"),
    ("p  ←", "previous event"),
    (
        "Home  End",
        "the start; the end (simulated to it the first time)",
    ),
    (
        "Tab  Shift-Tab",
        "select a segment: in flight or already sent",
    ),
    (
        "d",
        "drop it: replay from the instant it was sent, with it lost",
    ),
    ("u", "up one branch level (back to the run before the drop)"),
    ("?", "this help (any key closes it)"),
    ("q  Esc  Ctrl-C", "quit"),
    (
        "",
        "not a terminal? one command a line: next prev start end drop ID undo quit",
    ),
];

/// How tones look: colours only when `color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Palette {
    pub color: bool,
}

impl Palette {
    pub fn style(self, tone: Tone) -> Style {
        let s = Style::default();
        let c = |color: Color| if self.color { s.fg(color) } else { s };
        match tone {
            Tone::Plain => s,
            Tone::Client => c(Color::Cyan),
            Tone::Server => c(Color::Magenta),
            Tone::ClientBold => c(Color::Cyan).add_modifier(Modifier::BOLD),
            Tone::ServerBold => c(Color::Magenta).add_modifier(Modifier::BOLD),
            Tone::Dropped => c(Color::Red).add_modifier(Modifier::BOLD),
            Tone::Warn => c(Color::Yellow),
            Tone::Dim => s.add_modifier(Modifier::DIM),
            Tone::Bold => s.add_modifier(Modifier::BOLD),
        }
    }

    fn line(self, row: &Row) -> Line<'static> {
        Line::from(
            row.iter()
                .map(|s| Span::styled(s.text.clone(), self.style(s.tone)))
                .collect::<Vec<_>>(),
        )
    }
}

/// Draws `view` into `area` of `buf`; with `help`, the keys over it.
pub fn render(view: &View, area: Rect, buf: &mut Buffer, pal: Palette, help: bool) {
    // A message longer than the line wraps onto a second one.
    let keys_rows = match (&view.message, usize::from(area.width.max(1))) {
        (Some(m), w) => m.width().div_ceil(w).clamp(1, 3) as u16,
        (None, _) => 1,
    };
    let rest = area.height.saturating_sub(2 + ENDPOINT_ROWS);
    let flight_rows = (rest / 4).clamp(2, 6) + 1;
    let [status, sides, flight, transcript, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(ENDPOINT_ROWS),
        Constraint::Length(flight_rows),
        Constraint::Min(2),
        Constraint::Length(keys_rows),
    ])
    .areas(area);
    render_status(view, status, buf);
    let [client, server] =
        Layout::horizontal([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(sides);
    render_side(view, &view.sides[0], client, buf, pal);
    render_side(view, &view.sides[1], server, buf, pal);
    render_flight(view, flight, buf, pal);
    render_transcript(view, transcript, buf, pal);
    render_keys(view, keys, buf, pal);
    if help {
        render_help(area, buf);
    }
}

fn title_block(title: String) -> Block<'static> {
    Block::default().borders(Borders::TOP).title(title)
}

fn render_status(view: &View, area: Rect, buf: &mut Buffer) {
    let text = format!(
        " synack step · {} │ {} s │ {} │ {}",
        view.title,
        Secs::millis(view.t_us),
        view.counter(),
        view.path_text()
    );
    Paragraph::new(text)
        .style(Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD))
        .render(area, buf);
}

fn dash(v: Option<u32>) -> String {
    v.map_or_else(|| "—".to_string(), |n| n.to_string())
}

fn render_side(view: &View, s: &SideView, area: Rect, buf: &mut Buffer, pal: Palette) {
    let block =
        title_block(format!(" {} ", s.side.name())).border_style(pal.style(Tone::of(s.side)));
    let inner = block.inner(area);
    block.render(area, buf);
    // Two columns; the right one starts halfway at 80 columns (19 of 40),
    // and no farther than 26 on a wide terminal, so pairs stay together.
    let col2 = usize::from(inner.width.saturating_sub(1) / 2).clamp(18, 26);
    let pair = |a: String, b: String| {
        let pad = col2.saturating_sub(a.width()).max(1);
        format!("{a}{}{b}", " ".repeat(pad))
    };
    let v = &s.vars;
    let rto = match v.rto_us {
        Some(us) => format!("RTO {}", Duration(us)),
        None => "RTO —".to_string(),
    };
    let srtt = match v.srtt_us {
        Some(us) => format!("SRTT {}", Duration(us)),
        None => "SRTT —".to_string(),
    };
    let state = s.state.name();
    let mut lines = vec![
        Line::from(vec![
            Span::styled(state, pal.style(Tone::bold(s.side))),
            Span::raw(" ".repeat(col2.saturating_sub(state.len()).max(1))),
            Span::raw(rto),
        ]),
        Line::raw(pair(
            format!("SND.UNA {}", dash(v.snd_una)),
            format!("RCV.NXT {}", dash(v.rcv_nxt)),
        )),
        Line::raw(pair(
            format!("SND.NXT {}", dash(v.snd_nxt)),
            format!("RCV.WND {}", dash(v.rcv_wnd)),
        )),
        Line::raw(pair(format!("SND.WND {}", dash(v.snd_wnd)), srtt)),
    ];
    if view.wire {
        lines.push(Line::styled(
            "numbers as seen on the wire;",
            pal.style(Tone::Dim),
        ));
        lines.push(Line::styled("timers and RTT are not", pal.style(Tone::Dim)));
    } else if s.timers.is_empty() {
        lines.push(Line::styled("no timer armed", pal.style(Tone::Dim)));
    } else {
        for &(timer, deadline) in &s.timers {
            lines.push(Line::raw(timer_text(timer, deadline, view.t_us)));
        }
    }
    Paragraph::new(lines).render(inner, buf);
}

fn render_flight(view: &View, area: Rect, buf: &mut Buffer, pal: Palette) {
    let block = title_block(format!(" {} ({}) ", view.flight_title, view.flight.len()));
    let inner = block.inner(area);
    block.render(area, buf);
    let room = usize::from(inner.height);
    let mut lines: Vec<Line> = Vec::new();
    if view.flight.is_empty() {
        lines.push(Line::styled("  nothing", pal.style(Tone::Dim)));
    }
    let shown = if view.flight.len() > room {
        room.saturating_sub(1)
    } else {
        view.flight.len()
    };
    for (id, row) in &view.flight[..shown] {
        lines.push(gutter(
            view.selected.as_ref().is_some_and(|s| s.0 == *id),
            false,
            row,
            pal,
        ));
    }
    if shown < view.flight.len() {
        lines.push(Line::styled(
            format!("  … and {} more", view.flight.len() - shown),
            pal.style(Tone::Dim),
        ));
    }
    Paragraph::new(lines).render(inner, buf);
}

/// A row with its two-column gutter: `▶` the current event, `◆` the
/// selected segment.
fn gutter(selected: bool, current: bool, row: &Row, pal: Palette) -> Line<'static> {
    let mark = match (current, selected) {
        (true, _) => "▶ ",
        (false, true) => "◆ ",
        _ => "  ",
    };
    let mut line = pal.line(row);
    line.spans.insert(0, Span::raw(mark));
    if current {
        line = line.style(Style::default().add_modifier(Modifier::REVERSED));
    } else if selected {
        line = line.style(Style::default().add_modifier(Modifier::UNDERLINED));
    }
    line
}

fn render_transcript(view: &View, area: Rect, buf: &mut Buffer, pal: Palette) {
    let block = title_block(format!(" transcript · {} ", view.about));
    let inner = block.inner(area);
    block.render(area, buf);
    let room = usize::from(inner.height);
    let from = view.lines.len().saturating_sub(room);
    let mut lines: Vec<Line> = view.lines[from..]
        .iter()
        .map(|l| gutter(l.selected, l.current, &l.row, pal))
        .collect();
    if view.pos == 0 {
        lines.push(Line::styled(
            "  nothing has happened yet: n steps to the first event",
            pal.style(Tone::Dim),
        ));
    }
    Paragraph::new(lines).render(inner, buf);
}

fn render_keys(view: &View, area: Rect, buf: &mut Buffer, pal: Palette) {
    let line = if let Some(m) = &view.message {
        Line::styled(m.clone(), pal.style(Tone::Warn))
    } else if let Some((id, _)) = &view.selected {
        Line::raw(if view.wire {
            format!("#{id} selected  Tab next  ? help")
        } else {
            format!("#{id} selected: d drops it (what if it were lost?)  Tab next  ? help")
        })
    } else if view.wire {
        Line::styled(CAPTURE_KEY_HINTS, pal.style(Tone::Dim))
    } else {
        Line::styled(KEY_HINTS, pal.style(Tone::Dim))
    };
    Paragraph::new(line)
        .wrap(Wrap { trim: true })
        .render(area, buf);
}

fn render_help(area: Rect, buf: &mut Buffer) {
    let w = area.width.min(78);
    let h = (HELP.len() as u16 + 2).min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    Clear.render(r, buf);
    let lines: Vec<Line> = HELP
        .iter()
        .map(|(k, what)| Line::raw(format!(" {k:<15} {what}")))
        .collect();
    Paragraph::new(lines)
        .block(Block::bordered().title(" keys "))
        .render(r, buf);
}

/// The buffer as text, one line a row, trailing blanks cut; with `color`,
/// the colours and attributes as ANSI escapes. What the scripted mode prints
/// and the layout tests compare.
pub fn buffer_text(buf: &Buffer, color: bool) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        let mut style = Style::default();
        let mut skip = 0;
        for x in area.left()..area.right() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let cell = &buf[(x, y)];
            let sym = cell.symbol();
            skip = sym.width().saturating_sub(1);
            if color {
                let s = cell.style();
                if s != style {
                    line.push_str("\x1b[0m");
                    push_sgr(&mut line, s);
                    style = s;
                }
            }
            line.push_str(sym);
        }
        if color && style != Style::default() {
            line.push_str("\x1b[0m");
        }
        let trimmed = line.trim_end_matches(' ');
        out.push_str(trimmed);
        out.push('\n');
    }
    out
}

fn push_sgr(out: &mut String, s: Style) {
    let mut codes: Vec<&str> = Vec::new();
    let m = s.add_modifier;
    for (flag, code) in [
        (Modifier::BOLD, "1"),
        (Modifier::DIM, "2"),
        (Modifier::UNDERLINED, "4"),
        (Modifier::REVERSED, "7"),
    ] {
        if m.contains(flag) {
            codes.push(code);
        }
    }
    match s.fg {
        Some(Color::Red) => codes.push("31"),
        Some(Color::Yellow) => codes.push("33"),
        Some(Color::Magenta) => codes.push("35"),
        Some(Color::Cyan) => codes.push("36"),
        _ => {}
    }
    if !codes.is_empty() {
        out.push_str("\x1b[");
        out.push_str(&codes.join(";"));
        out.push('m');
    }
}
