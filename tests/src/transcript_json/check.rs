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
    Annotate,
    Capture,
}

impl Command {
    pub fn name(self) -> &'static str {
        match self {
            Command::Sim => "sim",
            Command::Annotate => "annotate",
            Command::Capture => "capture",
        }
    }
}

/// Checks the lines of one output, in order.
pub struct Checker<'d> {
    doc: &'d Doc,
    forms: &'d Forms,
    command: Command,
    /// Check what holds across the lines of one run: segment ids 1, 2, 3...,
    /// the simulator's time never going back.
    pub sequence: bool,
    last_id: u64,
    last_t_us: u64,
}

impl<'d> Checker<'d> {
    pub fn new(doc: &'d Doc, forms: &'d Forms, command: Command) -> Checker<'d> {
        Checker {
            doc,
            forms,
            command,
            sequence: true,
            last_id: 0,
            last_t_us: 0,
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
            "state" => Line::State(parse(line)?),
            "app" => Line::App(parse(line)?),
            "timer" => Line::Timer(parse(line)?),
            "note" => Line::Note(parse(line)?),
            "summary" => Line::Summary(parse(line)?),
            "conn_summary" => Line::ConnSummary(parse(line)?),
            _ => Line::CaptureSummary(parse(line)?),
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
        match (self.command, conn) {
            (Command::Sim, Some(c)) => Err(format!("the simulator printed conn {c}")),
            (Command::Annotate | Command::Capture, None) if !optional => {
                Err("a capture's line has no conn".into())
            }
            (_, Some(0)) => Err("conn ids count from 1".into()),
            _ => Ok(()),
        }
    }

    fn time(&mut self, t_us: u64) -> Result<(), String> {
        if self.sequence && self.command == Command::Sim {
            if t_us < self.last_t_us {
                return Err(format!(
                    "virtual time went back from {} to {t_us}",
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
            (Command::Annotate | Command::Capture, None) => {
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
