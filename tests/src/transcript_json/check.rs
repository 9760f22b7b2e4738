//! Checking lines: types first, then what types cannot say.

use super::doc::Doc;
use super::forms::Forms;
use super::introspect::{variants_of, Keys};
use super::*;
use serde::de::DeserializeOwned;

/// The command that printed the lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Sim,
    Real,
    Compare,
    Annotate,
    Capture,
}

impl Command {
    pub fn name(self) -> &'static str {
        match self {
            Command::Sim => "sim",
            Command::Real => "real",
            Command::Compare => "compare",
            Command::Annotate => "annotate",
            Command::Capture => "capture",
        }
    }

    /// Whether its lines come from a capture file or a live capture (and
    /// so carry `conn`).
    fn reads_captures(self) -> bool {
        matches!(self, Command::Annotate | Command::Capture)
    }
}

/// The kinds of event a `pair` may hold: notes are not paired
/// (docs/transcript-json.md, `pair`).
const PAIRED: [&str; 4] = ["segment", "state", "app", "timer"];

/// Checks the lines of one output, in order.
pub struct Checker<'d> {
    doc: &'d Doc,
    forms: &'d Forms,
    command: Command,
    /// Check what holds across the lines of one run: segment ids 1, 2, 3...,
    /// the run's time never going back, `compare`'s totals.
    pub sequence: bool,
    last_id: u64,
    last_datagram_id: u64,
    last_t_us: u64,
    /// `pair` lines seen, by verdict: same, explained, unexplained.
    verdicts: [u64; 3],
}

impl<'d> Checker<'d> {
    pub fn new(doc: &'d Doc, forms: &'d Forms, command: Command) -> Checker<'d> {
        Checker {
            doc,
            forms,
            command,
            sequence: true,
            last_id: 0,
            last_datagram_id: 0,
            last_t_us: 0,
            verdicts: [0; 3],
        }
    }

    /// Checks one line; `Err` says what is wrong with it.
    pub fn line(&mut self, line: &str) -> Result<Line, String> {
        let keys = serde_json::from_str::<Keys>(line)
            .map_err(|e| format!("not a JSON object: {e}"))?
            .0;
        #[derive(Deserialize)]
        struct KindOnly {
            kind: String,
        }
        let kind = serde_json::from_str::<KindOnly>(line)
            .map_err(|e| format!("no string `kind`: {e}"))?
            .kind;
        let (_, order) = kinds()
            .into_iter()
            .find(|(k, _)| *k == kind)
            .ok_or_else(|| format!("unknown kind {kind:?}"))?;
        let printed_by = self.doc.cell("The kinds of line", &kind, 1);
        self.printed_by(&format!("kind {kind:?}"), &printed_by)?;
        key_order(&keys, order)?;
        let parsed = match kind.as_str() {
            "segment" => Line::Segment(parse(line)?),
            "datagram" => Line::Datagram(parse(line)?),
            "state" => Line::State(parse(line)?),
            "app" => Line::App(parse(line)?),
            "timer" => Line::Timer(parse(line)?),
            "note" => Line::Note(parse(line)?),
            "summary" => Line::Summary(parse(line)?),
            "conn_summary" => Line::ConnSummary(parse(line)?),
            "capture_summary" => Line::CaptureSummary(parse(line)?),
            "pair" => Line::Pair(parse(line)?),
            _ => Line::Compare(parse(line)?),
        };
        self.rules(&parsed)?;
        Ok(parsed)
    }

    /// Fails unless the "printed by" cell names this command.
    fn printed_by(&self, what: &str, cell: &str) -> Result<(), String> {
        if cell.contains(&format!("`{}", self.command.name())) {
            Ok(())
        } else {
            Err(format!(
                "{what} is documented as printed by {cell}, not by `{}`",
                self.command.name()
            ))
        }
    }

    /// `conn` is there exactly in captures (where it may be left out only on
    /// notes that concern no connection).
    fn conn(&self, conn: Option<u32>, optional: bool) -> Result<(), String> {
        match (self.command.reads_captures(), conn) {
            (false, Some(c)) => Err(format!("`{}` printed conn {c}", self.command.name())),
            (true, None) if !optional => Err("a capture's line has no conn".into()),
            (_, Some(0)) => Err("conn ids count from 1".into()),
            _ => Ok(()),
        }
    }

    fn time(&mut self, t_us: u64) -> Result<(), String> {
        if self.sequence && matches!(self.command, Command::Sim | Command::Real) {
            if t_us < self.last_t_us {
                return Err(format!(
                    "the run's time went back from {} to {t_us}",
                    self.last_t_us
                ));
            }
            self.last_t_us = t_us;
        }
        Ok(())
    }

    fn rules(&mut self, line: &Line) -> Result<(), String> {
        match line {
            Line::Segment(s) => self.segment(s),
            Line::Datagram(d) => self.datagram(d),
            Line::State(s) => {
                self.time(s.t_us)?;
                self.conn(s.conn, false)?;
                if s.from == s.to {
                    return Err(format!("a state change from {:?} to itself", s.from));
                }
                let source = s.source.json_name();
                self.printed_by(
                    &format!("source {source:?}"),
                    &self.doc.cell("Sources", source, 1),
                )
            }
            Line::App(a) => {
                self.time(a.t_us)?;
                self.forms
                    .find(&self.forms.calls, &a.call)
                    .ok_or_else(|| format!("call {:?} matches no documented call", a.call))?;
                self.forms
                    .find(&self.forms.results, &a.result)
                    .ok_or_else(|| format!("result {:?} matches no documented result", a.result))?;
                Ok(())
            }
            Line::Timer(t) => {
                self.time(t.t_us)?;
                if t.after_us == 0 {
                    return Err("a timer that ran for 0 µs".into());
                }
                let timer = t.timer.json_name();
                let rto_doc = self.doc.cell("Timers", timer, 1);
                if (rto_doc == "`null`") != t.rto_us.is_none() {
                    return Err(format!(
                        "timer {timer:?} has rto_us {:?}; the Timers table says {rto_doc}",
                        t.rto_us
                    ));
                }
                Ok(())
            }
            Line::Note(n) => {
                self.time(n.t_us)?;
                self.conn(n.conn, true)?;
                let (form, endpoint, by) = self
                    .forms
                    .notes
                    .iter()
                    .find(|(f, _, _)| self.forms.find(std::slice::from_ref(f), &n.text).is_some())
                    .ok_or_else(|| format!("note {:?} matches no documented note text", n.text))?;
                if *endpoint != n.endpoint.is_some() {
                    return Err(format!(
                        "note {:?} (form {:?}) has endpoint {:?}; the table says {}",
                        n.text,
                        form.text,
                        n.endpoint,
                        if *endpoint { "yes" } else { "no" }
                    ));
                }
                if let Some(side) = n.endpoint {
                    if !n.text.contains(side.json_name()) {
                        return Err(format!(
                            "note about the {} does not name it",
                            side.json_name()
                        ));
                    }
                }
                self.printed_by(&format!("note {:?}", form.text), by)
            }
            Line::Summary(_) => Ok(()),
            Line::ConnSummary(c) => {
                let flags = variants_of::<AnalysisFlag>();
                for (name, n) in &c.analysis {
                    if !flags.contains(&name.as_str()) {
                        return Err(format!("analysis count for unknown flag {name:?}"));
                    }
                    if *n == 0 {
                        return Err(format!(
                            "analysis count 0 for {name:?}: only flags that occurred"
                        ));
                    }
                }
                if c.duration_us != c.last_us.saturating_sub(c.first_us) || c.first_us > c.last_us {
                    return Err("duration_us is not last_us - first_us".into());
                }
                if c.conn == 0 {
                    return Err("conn ids count from 1".into());
                }
                Ok(())
            }
            Line::Pair(p) => self.pair(p),
            Line::Compare(c) => {
                let sum = c.same + c.explained + c.unexplained;
                if c.pairs != sum {
                    return Err(format!(
                        "pairs {} is not same + explained + unexplained ({sum})",
                        c.pairs
                    ));
                }
                let seen = self.verdicts;
                if self.sequence && [c.same, c.explained, c.unexplained] != seen {
                    return Err(format!(
                        "the totals same/explained/unexplained {}/{}/{} are not those of the pair lines before ({}/{}/{})",
                        c.same, c.explained, c.unexplained, seen[0], seen[1], seen[2]
                    ));
                }
                if c.kernel.is_empty() {
                    return Err("an empty kernel release".into());
                }
                Ok(())
            }
            Line::CaptureSummary(c) => {
                if c.not_tcp != c.records.saturating_sub(c.tcp) {
                    return Err("not_tcp is not records - tcp".into());
                }
                if !c.text.starts_with(&format!("{} record", c.records)) {
                    return Err(format!("text {:?} does not count the records", c.text));
                }
                Ok(())
            }
        }
    }

    fn segment(&mut self, s: &Segment) -> Result<(), String> {
        self.time(s.t_us)?;
        self.conn(s.conn, false)?;
        let ack = s.flags.has("ACK");
        if s.ack.is_some() != ack || s.rel_ack.is_some() != ack {
            return Err(format!(
                "flags {:?} with ack {:?} and rel_ack {:?}: both must be null exactly when ACK is clear",
                s.flags.0, s.ack, s.rel_ack
            ));
        }
        if s.analysis.windows(2).any(|w| w[0] >= w[1]) {
            return Err(format!(
                "analysis {:?} is not in the documented order (or repeats a flag)",
                s.analysis
            ));
        }
        let fate = s.fate.json_name();
        self.printed_by(&format!("fate {fate:?}"), &self.doc.cell("Fates", fate, 1))?;
        match (self.command, s.frame) {
            (Command::Sim, Some(f)) => return Err(format!("the simulator printed frame {f}")),
            (Command::Real | Command::Annotate | Command::Capture, None) => {
                return Err("a captured segment without its frame".into())
            }
            (_, Some(0)) => return Err("frames count from 1".into()),
            _ => {}
        }
        if s.id == 0 {
            return Err("segment ids count from 1".into());
        }
        if self.sequence {
            if s.id != self.last_id + 1 {
                return Err(format!(
                    "segment id {} after {}: ids count 1, 2, 3, ... in order",
                    s.id, self.last_id
                ));
            }
            self.last_id = s.id;
        }
        Ok(())
    }
}

impl Checker<'_> {
    fn datagram(&mut self, d: &Datagram) -> Result<(), String> {
        self.time(d.t_us)?;
        if d.src_port == 0 || d.dst_port == 0 {
            return Err("a datagram from or to port 0".into());
        }
        if d.len > 65507 {
            return Err(format!("a datagram of {} bytes: UDP carries 65507", d.len));
        }
        let fate = d.fate.json_name();
        self.printed_by(&format!("fate {fate:?}"), &self.doc.cell("Fates", fate, 1))?;
        if d.id == 0 {
            return Err("datagram ids count from 1".into());
        }
        if self.sequence {
            if d.id != self.last_datagram_id + 1 {
                return Err(format!(
                    "datagram id {} after {}: ids count 1, 2, 3, ... in order",
                    d.id, self.last_datagram_id
                ));
            }
            self.last_datagram_id = d.id;
        }
        Ok(())
    }

    /// A `pair`: each event as a line of its own command, then the verdict,
    /// its rule and its why.
    fn pair(&mut self, p: &PairLine) -> Result<(), String> {
        let mut kinds = Vec::new();
        for (side, event, command) in [
            ("sim", &p.sim, Command::Sim),
            ("real", &p.real, Command::Real),
        ] {
            let Some(event) = event else { continue };
            let mut inner = Checker::new(self.doc, self.forms, command);
            inner.sequence = false;
            let line = inner
                .line(&event.0)
                .map_err(|e| format!("its `{side}` event: {e}"))?;
            let kind = match line {
                Line::Segment(_) => "segment",
                Line::State(_) => "state",
                Line::App(_) => "app",
                Line::Timer(_) => "timer",
                _ => "",
            };
            if !PAIRED.contains(&kind) {
                return Err(format!(
                    "its `{side}` event is not one of the kinds a pair holds ({})",
                    PAIRED.join(", ")
                ));
            }
            kinds.push(kind);
        }
        match kinds.as_slice() {
            [] => return Err("a pair with neither event".into()),
            [a, b] if a != b => return Err(format!("a pair of {a} and {b}: two kinds")),
            _ => {}
        }
        let verdict = p.verdict.json_name();
        self.verdicts[p.verdict as usize] += 1;
        let rule_doc = self.doc.cell("Verdicts", verdict, 1);
        match (&p.rule, rule_doc == "`null`") {
            (Some(r), true) => {
                return Err(format!(
                    "verdict {verdict:?} with rule {r:?}: the Verdicts table says null"
                ))
            }
            (None, false) => return Err(format!("verdict {verdict:?} without its rule")),
            _ => {}
        }
        match p.verdict {
            Verdict::Same => {
                if kinds.len() != 2 {
                    return Err("a \"same\" pair with one event".into());
                }
                if let Some(w) = &p.why {
                    return Err(format!("a \"same\" pair with why {w:?}"));
                }
            }
            Verdict::Explained => {
                let rule = p.rule.as_deref().unwrap_or_default();
                let (_, why) = self
                    .forms
                    .rules
                    .iter()
                    .find(|(name, _)| name == rule)
                    .ok_or_else(|| format!("rule {rule:?} is not in docs/differences.md"))?;
                if p.why.as_deref() != Some(why.as_str()) {
                    return Err(format!(
                        "rule {rule:?} with why {:?}: docs/differences.md says {why:?}",
                        p.why
                    ));
                }
            }
            Verdict::Unexplained => {
                let why = p.why.as_deref().ok_or("an unexplained pair without why")?;
                let (form, when) = self
                    .forms
                    .whys
                    .iter()
                    .find(|(f, _)| self.forms.find(std::slice::from_ref(f), why).is_some())
                    .ok_or_else(|| format!("why {why:?} matches no documented why text"))?;
                let want = match (&p.sim, &p.real) {
                    (Some(_), None) => "`real` is `null`",
                    (None, Some(_)) => "`sim` is `null`",
                    _ => "both are there",
                };
                if !when.starts_with(want) {
                    return Err(format!(
                        "why {why:?} (form {:?}, when {when}) where {want}",
                        form.text
                    ));
                }
            }
        }
        Ok(())
    }
}

fn parse<T: DeserializeOwned>(line: &str) -> Result<T, String> {
    serde_json::from_str(line).map_err(|e| e.to_string())
}

/// The keys of a line must be `order`, with optional keys left out.
fn key_order(keys: &[String], order: &[&str]) -> Result<(), String> {
    let mut pos = 0;
    for k in keys {
        match order[pos..].iter().position(|o| o == k) {
            Some(i) => pos += i + 1,
            None if order.contains(&k.as_str()) => {
                return Err(format!(
                    "key {k:?} out of order: the documented order is {}",
                    order.join(", ")
                ))
            }
            // Unknown keys are reported by deserialisation.
            None => {}
        }
    }
    Ok(())
}
