//! `synack compare`: the simulation and the real run side by side.
//!
//! Text: one row per pair, the simulation on the left and the real run on
//! the right, each with its own time; between them a mark (`│` the same,
//! `≈` explained by a known difference, `✗` unexplained) and, on every row
//! that differs, a short reason at the end. Below, the totals and one line
//! per rule used, saying why. JSON: one `pair` line per row and a closing
//! `compare` line (docs/transcript-json.md).

use super::color::Style;
use super::json::{key, key_str, key_u64, push_str, JsonRenderer};
use super::line::Line;
use super::words::{segment_label, CallText, Duration, ResultText, TimerText};
use std::fmt::Write as _;
use std::io::{self, Write};
use synack_sim::compare::{Field, Pair, Totals, Verdict};
use synack_sim::profile::ProfileName;
use synack_sim::transcript::{Dir, Fate, OwnedEvent, OwnedKind, Sink};

/// Width of each side's event text.
const SIDE_W: usize = 56;
/// Width of a side's time column.
const TIME_W: usize = 9;

/// What ran, for the header and the closing line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompareHeader {
    /// The scenario's name.
    pub scenario: String,
    pub profile: Option<ProfileName>,
    pub rtt_us: u64,
    /// The kernel release of the real run, e.g. `6.18.44`.
    pub kernel: String,
    /// How the real run's states were read, for the header.
    pub states_from: String,
}

/// The mark of a verdict.
fn mark(v: Verdict) -> &'static str {
    match v {
        Verdict::Same => "│",
        Verdict::Explained => "≈",
        Verdict::Unexplained => "✗",
    }
}

/// `win, len`: the fields, as JSON names them.
fn fields(f: &[Field]) -> String {
    f.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
}

/// Where a lone event is: `only in the simulation`, `only in the real run`.
fn alone(p: &Pair) -> &'static str {
    if p.sim.is_some() {
        "only in the simulation"
    } else {
        "only in the real run"
    }
}

/// The short reason at the end of a row that differs.
fn reason(p: &Pair) -> String {
    let what = if p.differs == [Field::Presence] {
        alone(p).to_string()
    } else {
        fields(&p.differs)
    };
    match p.rule {
        Some(r) => format!("{}: {what}", r.name),
        None => format!("unexplained: {what}"),
    }
}

/// The `why` of a pair in JSON: the rule's sentence, or what no rule explains.
pub fn why(p: &Pair) -> Option<String> {
    match (p.verdict, p.rule) {
        (Verdict::Same, _) => None,
        (_, Some(r)) => Some(r.why.to_string()),
        (_, None) if p.differs == [Field::Presence] => {
            Some(format!("{}; no known difference explains it", alone(p)))
        }
        (_, None) => Some(format!(
            "differs in {}; no known difference explains it",
            fields(&p.differs)
        )),
    }
}

/// One side's event, compact: `c→s SYN seq=0 len=0 win=65535`.
fn event_text(out: &mut String, e: &OwnedEvent) {
    out.clear();
    match &e.kind {
        OwnedKind::Segment { seg, payload } => {
            let seg = synack_sim::transcript::SegmentEvent {
                payload: payload.as_slice(),
                ..*seg
            };
            let mut label = String::new();
            segment_label(&mut label, &seg, false);
            let arrow = match seg.dir {
                Dir::ClientToServer => "c→s",
                Dir::ServerToClient => "s→c",
            };
            let _ = write!(out, "{arrow} {label}");
            match seg.fate {
                Fate::Dropped => out.push_str(" ✗ dropped"),
                Fate::Duplicated => out.push_str(" (duplicated)"),
                _ => {}
            }
        }
        OwnedKind::Datagram { dg, payload } => {
            let dg = synack_sim::transcript::DatagramEvent {
                payload: payload.as_slice(),
                ..*dg
            };
            let mut label = String::new();
            crate::render::words::datagram_label(&mut label, &dg);
            let arrow = match dg.dir {
                Dir::ClientToServer => "c→s",
                Dir::ServerToClient => "s→c",
            };
            let _ = write!(out, "{arrow} {label}");
        }
        OwnedKind::State {
            endpoint, from, to, ..
        } => {
            let _ = write!(out, "{endpoint} {from} → {to}");
        }
        OwnedKind::App {
            endpoint,
            call,
            result,
        } => {
            let _ = write!(
                out,
                "{endpoint} {} → {}",
                CallText(call),
                ResultText(result)
            );
        }
        OwnedKind::Timer {
            endpoint,
            timer,
            after_us,
            rto_us,
        } => {
            let fired = TimerText {
                timer: *timer,
                after_us: *after_us,
                rto_us: *rto_us,
            };
            let _ = write!(out, "{endpoint} {fired}");
        }
        OwnedKind::Note(_) => {}
    }
}

/// Writes the side-by-side text.
pub fn write_text(
    out: &mut dyn Write,
    h: &CompareHeader,
    pairs: &[Pair],
    totals: &Totals,
    color: bool,
) -> io::Result<()> {
    let mut l = Line::new(color);
    l.styled(Style::BOLD, |l| {
        l.fmt(format_args!("synack · compare {}", h.scenario));
    });
    if let Some(p) = h.profile {
        l.fmt(format_args!(" · profile {p}"));
    }
    l.fmt(format_args!(" · rtt {}", Duration(h.rtt_us)));
    l.fmt(format_args!(" · Linux {} · {}", h.kernel, h.states_from));
    emit(out, &mut l)?;
    emit(out, &mut l)?;
    let mut text = String::new();
    let side_w = side_width(pairs, &mut text);
    let right = TIME_W + 1 + side_w + 3;
    l.styled(Style::BOLD, |l| {
        l.pad_to(TIME_W - 4);
        l.push("time  simulation");
        if let Some(p) = h.profile {
            l.fmt(format_args!(" ({p} profile)"));
        }
        l.pad_to(right + TIME_W - 4);
        l.fmt(format_args!("time  real (Linux {})", h.kernel));
    });
    emit(out, &mut l)?;
    for p in pairs {
        side(&mut l, p.sim.as_ref(), &mut text, side_w);
        l.pad_to(TIME_W + 1 + side_w + 1);
        let style = match p.verdict {
            Verdict::Same => Style::DIM,
            Verdict::Explained => Style::WARN,
            Verdict::Unexplained => Style::DROPPED,
        };
        l.styled(style, |l| l.push(mark(p.verdict)));
        l.push(" ");
        side(&mut l, p.real.as_ref(), &mut text, side_w);
        if p.verdict != Verdict::Same {
            l.pad_to(2 * (TIME_W + 1 + side_w) + 5);
            l.push(" ");
            l.styled(style, |l| l.push(&reason(p)));
        }
        l.trim_end();
        emit(out, &mut l)?;
    }
    emit(out, &mut l)?;
    l.fmt(format_args!(
        "{} pairs: {} same, {} explained, {} unexplained",
        totals.pairs, totals.same, totals.explained, totals.unexplained
    ));
    emit(out, &mut l)?;
    let mut used: Vec<&'static synack_sim::compare::Rule> = Vec::new();
    for r in pairs.iter().filter_map(|p| p.rule) {
        if !used.iter().any(|u| u.name == r.name) {
            used.push(r);
        }
    }
    for r in used {
        l.styled(Style::WARN, |l| l.fmt(format_args!("  ≈ {}", r.name)));
        l.fmt(format_args!(": {} ({})", r.why, r.source));
        emit(out, &mut l)?;
    }
    if totals.unexplained > 0 {
        l.styled(Style::DROPPED, |l| l.push("  ✗ unexplained"));
        l.push(": no known difference accounts for it (docs/differences.md lists them)");
        emit(out, &mut l)?;
    }
    Ok(())
}

/// The width of a column's events: [`SIDE_W`], or more when an event's
/// text (a long payload) needs it, so the marks stay in one column.
fn side_width(pairs: &[Pair], text: &mut String) -> usize {
    let mut probe = Line::new(false);
    let widest = pairs
        .iter()
        .flat_map(|p| [p.sim.as_ref(), p.real.as_ref()])
        .flatten()
        .map(|e| {
            event_text(text, e);
            probe.clear();
            probe.push_clean(text);
            probe.width
        })
        .max()
        .unwrap_or(0);
    SIDE_W.max(widest + 2)
}

/// One side of a row: its time and event, or blanks.
fn side(l: &mut Line, e: Option<&OwnedEvent>, text: &mut String, side_w: usize) {
    let start = l.width;
    if let Some(e) = e {
        l.pad_to(start + TIME_W - 8);
        l.push_secs(e.t_us);
        l.push("  ");
        event_text(text, e);
        l.push_clean(text);
    }
    l.pad_to(start + TIME_W + 1 + side_w);
}

fn emit(out: &mut dyn Write, l: &mut Line) -> io::Result<()> {
    l.buf.push('\n');
    let r = out.write_all(l.buf.as_bytes());
    l.clear();
    r
}

/// Writes the `pair` lines and the closing `compare` line.
pub fn write_json(
    out: &mut dyn Write,
    h: &CompareHeader,
    pairs: &[Pair],
    totals: &Totals,
) -> io::Result<()> {
    let mut json = JsonRenderer::new(out);
    let mut l: Vec<u8> = Vec::with_capacity(512);
    for p in pairs {
        l.clear();
        l.extend_from_slice(b"{\"kind\":\"pair\"");
        for (name, e) in [("sim", &p.sim), ("real", &p.real)] {
            key(&mut l, name);
            match e {
                Some(e) => {
                    let obj = json.object(&e.as_event()).to_vec();
                    l.extend_from_slice(&obj);
                }
                None => l.extend_from_slice(b"null"),
            }
        }
        key_str(&mut l, "verdict", p.verdict.name());
        key(&mut l, "rule");
        match p.rule {
            Some(r) => push_str(&mut l, r.name),
            None => l.extend_from_slice(b"null"),
        }
        key(&mut l, "why");
        match why(p) {
            Some(w) => push_str(&mut l, &w),
            None => l.extend_from_slice(b"null"),
        }
        l.push(b'}');
        json.write_line(&l)?;
    }
    l.clear();
    l.extend_from_slice(b"{\"kind\":\"compare\"");
    key(&mut l, "profile");
    match h.profile {
        Some(p) => push_str(&mut l, p.name()),
        None => l.extend_from_slice(b"null"),
    }
    key_str(&mut l, "kernel", &h.kernel);
    key_u64(&mut l, "pairs", totals.pairs);
    key_u64(&mut l, "same", totals.same);
    key_u64(&mut l, "explained", totals.explained);
    key_u64(&mut l, "unexplained", totals.unexplained);
    l.push(b'}');
    json.write_line(&l)?;
    json.finish()
}
