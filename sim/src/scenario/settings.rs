//! The setting statements: `profile`, `rtt`, `mss`, `seed`, `isn`, `port`,
//! the fault rules `drop`, `duplicate`, `delay`, and `loss`, and `transport`.

use std::collections::BTreeMap;

use super::ast::{FaultAction, FaultRule, LossRule, SegKind, Settings, Transport};
use super::cursor::Cursor;
use super::lexer::{Fail, TokenKind};
use super::values::{did_you_mean, parse_percent_ppm, parse_u64, NumError};
use crate::profile::ProfileName;
use crate::transcript::Side;

/// The first words of setting statements.
pub(crate) const SETTINGS: [&str; 11] = [
    "profile",
    "rtt",
    "mss",
    "seed",
    "isn",
    "port",
    "drop",
    "duplicate",
    "delay",
    "loss",
    "transport",
];

/// The smallest `mss` accepted: smaller segments teach nothing and make bulk
/// transfers absurdly long.
pub(crate) const MIN_MSS: u64 = 64;

const SEG_KINDS: [&str; 7] = ["syn", "syn-ack", "ack", "data", "fin", "rst", "any"];

/// Builds [`Settings`] statement by statement; a scalar setting may be set once.
#[derive(Default)]
pub(crate) struct SettingsBuilder {
    pub settings: Settings,
    /// Scalar settings already set, with the line that set them.
    seen: BTreeMap<String, u32>,
}

impl SettingsBuilder {
    /// Records that `key` is set on `line`; an error if it was set before.
    fn once(&mut self, key: String, line: u32, col: u32) -> Result<(), Fail> {
        if let Some(prev) = self.seen.get(&key) {
            return Err(Fail::new(
                col,
                format!("\"{key}\" is already set on line {prev}; set it only once"),
            ));
        }
        self.seen.insert(key, line);
        Ok(())
    }

    /// Parses the setting whose keyword `key` (at `col`) was just read.
    pub fn statement(
        &mut self,
        key: &str,
        col: u32,
        line: u32,
        cur: &mut Cursor<'_, '_>,
    ) -> Result<(), Fail> {
        match key {
            "profile" => {
                self.once(key.into(), line, col)?;
                let (w, wcol) = cur.word("a profile (rfc or linux)")?;
                self.settings.profile = ProfileName::parse(w).ok_or_else(|| {
                    Fail::new(
                        wcol,
                        format!(
                            "expected a profile (rfc or linux), found \"{w}\"{}",
                            did_you_mean(w, &["rfc", "linux"])
                        ),
                    )
                })?;
            }
            "rtt" => {
                self.once(key.into(), line, col)?;
                self.settings.rtt_us = cur.duration()?;
            }
            "mss" => {
                self.once(key.into(), line, col)?;
                self.settings.mss = mss(cur)?;
            }
            "seed" => {
                self.once(key.into(), line, col)?;
                self.settings.seed = cur.number("a seed", 0, u64::MAX)?;
            }
            "isn" => {
                let side = cur.side()?;
                self.once(format!("isn {side}"), line, col)?;
                let n = cur.number("an initial sequence number", 0, u64::from(u32::MAX))?;
                self.settings.isn[side.index()] = Some(u32::try_from(n).unwrap_or(u32::MAX));
                self.settings.isn_at[side.index()] = Some((line, col));
            }
            "port" => {
                let side_col = cur.col();
                if cur.side()? == Side::Server {
                    return Err(Fail::new(
                        side_col,
                        "only the client's port can be set; the server's port is the one it listens on",
                    ));
                }
                self.once("port client".into(), line, col)?;
                self.settings.client_port = cur.port()?;
            }
            "drop" | "duplicate" | "delay" => {
                let rule = fault(key, line, cur)?;
                self.settings.faults.push(rule);
            }
            "transport" => {
                self.once(key.into(), line, col)?;
                self.settings.transport_at = Some((line, col));
                let (w, wcol) = cur.word("a transport (tcp or udp)")?;
                self.settings.transport = match w {
                    "tcp" => Transport::Tcp,
                    "udp" => Transport::Udp,
                    _ => {
                        return Err(Fail::new(
                            wcol,
                            format!(
                                "expected a transport (tcp or udp), found \"{w}\"{}",
                                did_you_mean(w, &["tcp", "udp"])
                            ),
                        ))
                    }
                };
            }
            "loss" => {
                let dir = cur.dir()?;
                let (w, wcol) = cur.word("a percentage like 1% or 0.5%")?;
                let ppm = parse_percent_ppm(w).map_err(|m| Fail::new(wcol, m))?;
                self.settings.losses.push(LossRule { line, dir, ppm });
            }
            _ => {
                return Err(Fail::new(col, format!("unknown setting \"{key}\"")));
            }
        }
        Ok(())
    }
}

/// `mss N`, 64..=65535.
fn mss(cur: &mut Cursor<'_, '_>) -> Result<u16, Fail> {
    let (w, col) = cur.word("a segment size like 1460")?;
    match parse_u64(w) {
        Ok(n) if n < MIN_MSS => Err(Fail::new(
            col,
            format!("an mss of {n} bytes is too small; the smallest is {MIN_MSS}"),
        )),
        Ok(n) if n <= u64::from(u16::MAX) => Ok(u16::try_from(n).unwrap_or(u16::MAX)),
        Ok(_) | Err(NumError::TooLarge) => Err(Fail::new(
            col,
            format!("an mss must be at most 65535 bytes, found \"{w}\""),
        )),
        Err(NumError::NotANumber) => Err(Fail::new(
            col,
            format!("expected a segment size like 1460, found \"{w}\""),
        )),
    }
}

/// `drop|duplicate <dir> <kind> #n[,#m...]` and `delay <dir> <kind> #n[,#m...] D`.
fn fault(key: &str, line: u32, cur: &mut Cursor<'_, '_>) -> Result<FaultRule, Fail> {
    let dir = cur.dir()?;
    let kind_what = "a segment kind (syn, syn-ack, ack, data, fin, rst or any)";
    let (w, col) = cur.word(kind_what)?;
    let kind = SegKind::parse(w).ok_or_else(|| {
        Fail::new(
            col,
            format!(
                "expected {kind_what}, found \"{w}\"{}",
                did_you_mean(w, &SEG_KINDS)
            ),
        )
    })?;
    let mut nth = vec![ordinal(cur)?];
    while matches!(cur.peek().map(|t| &t.kind), Some(TokenKind::Comma)) {
        cur.next();
        nth.push(ordinal(cur)?);
    }
    let action = match key {
        "drop" => FaultAction::Drop,
        "duplicate" => FaultAction::Duplicate,
        _ => FaultAction::Delay(cur.duration()?),
    };
    if !cur.at_action_end() && key != "delay" {
        return Err(cur.fail("\",\" and another ordinal, or the end of the line"));
    }
    Ok(FaultRule {
        line,
        action,
        dir,
        kind,
        nth,
    })
}

/// `#n`, n >= 1.
fn ordinal(cur: &mut Cursor<'_, '_>) -> Result<u32, Fail> {
    let what = "a segment ordinal like #1";
    let (w, col) = cur.word(what)?;
    let Some(digits) = w.strip_prefix('#') else {
        return Err(Fail::new(col, format!("expected {what}, found \"{w}\"")));
    };
    match parse_u64(digits) {
        Ok(0) => Err(Fail::new(
            col,
            format!("segment ordinals count from #1, found \"{w}\""),
        )),
        Ok(n) if n <= u64::from(u32::MAX) => Ok(u32::try_from(n).unwrap_or(u32::MAX)),
        Ok(_) | Err(NumError::TooLarge) => Err(Fail::new(
            col,
            format!(
                "a segment ordinal must be at most #{}, found \"{w}\"",
                u32::MAX
            ),
        )),
        Err(NumError::NotANumber) => Err(Fail::new(col, format!("expected {what}, found \"{w}\""))),
    }
}
