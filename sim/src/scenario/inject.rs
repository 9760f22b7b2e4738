//! The `inject` statement: `inject DIR FLAGS [seq=V] [ack=V] [win=N]
//! [len=N | "text"]` (docs/scenario-language.md, "inject").

use super::ast::{Action, Inject, InjectPayload, SeqValue};
use super::cursor::Cursor;
use super::lexer::{Fail, TokenKind};
use super::values::{did_you_mean, parse_u64, NumError};
use crate::segment::Flags;

/// The flag names `inject` takes, in the order of docs/transcript-json.md.
const FLAGS: [(&str, Flags); 8] = [
    ("SYN", Flags::SYN),
    ("FIN", Flags::FIN),
    ("RST", Flags::RST),
    ("PSH", Flags::PSH),
    ("ACK", Flags::ACK),
    ("URG", Flags::URG),
    ("ECE", Flags::ECE),
    ("CWR", Flags::CWR),
];

/// The `key=value` fields of an `inject` line.
const FIELDS: [&str; 4] = ["seq", "ack", "win", "len"];

/// The largest window an `inject` line may give: 65535 scaled by the
/// largest shift, 14 (RFC 7323 2.3).
pub const MAX_INJECT_WIN: u64 = 65_535 << 14;

/// The most payload bytes one forged segment may carry.
pub const MAX_INJECT_LEN: u64 = 65_535;

/// After `inject` (at column `col`): the rest of the statement.
pub(crate) fn inject(cur: &mut Cursor<'_, '_>, col: u32) -> Result<Action, Fail> {
    let dir = cur.dir()?;
    let flags = flags(cur)?;
    let mut out = Inject {
        dir,
        flags,
        seq: None,
        ack: None,
        win: None,
        payload: InjectPayload::None,
        col,
        seq_col: None,
        ack_col: None,
    };
    let mut payload_col: Option<u32> = None;
    let mut seen: Vec<&str> = Vec::new();
    while !cur.at_action_end() {
        let at = cur.col();
        if let Some(TokenKind::Str(bytes)) = cur.peek().map(|t| &t.kind) {
            if bytes.is_empty() {
                return Err(Fail::new(
                    at,
                    "an injected payload needs at least one byte, found an empty string; leave it out for a segment without data",
                ));
            }
            if payload_col.is_some() {
                return Err(Fail::new(
                    at,
                    "the payload is given twice: use either len=N or one \"text\"",
                ));
            }
            payload_col = Some(at);
            out.payload = InjectPayload::Text(bytes.clone());
            cur.next();
            continue;
        }
        let what = "seq=V, ack=V, win=N, len=N, a quoted payload, \"&\" or the end of the line";
        let (w, _) = cur.word(what)?;
        let Some((key, value)) = w.split_once('=') else {
            let hint = did_you_mean(w, &FIELDS);
            return Err(Fail::new(
                at,
                format!("expected {what}, found \"{w}\"{hint}"),
            ));
        };
        if !FIELDS.contains(&key) {
            return Err(Fail::new(
                at,
                format!(
                    "unknown field \"{key}\" of inject; expected one of: seq, ack, win, len{}",
                    did_you_mean(key, &FIELDS)
                ),
            ));
        }
        if seen.contains(&key) {
            return Err(Fail::new(at, format!("\"{key}\" is given twice")));
        }
        seen.push(key);
        let vcol = at.saturating_add(u32::try_from(key.len()).unwrap_or(0) + 1);
        match key {
            "seq" => {
                out.seq = Some(seq_value(value, vcol, "seq")?);
                out.seq_col = Some(at);
            }
            "ack" => {
                out.ack = Some(seq_value(value, vcol, "ack")?);
                out.ack_col = Some(at);
            }
            "win" => {
                let n = bounded(value, vcol, "win", 0, MAX_INJECT_WIN)?;
                out.win = Some(u32::try_from(n).unwrap_or(u32::MAX));
            }
            _ => {
                if payload_col.is_some() {
                    return Err(Fail::new(
                        at,
                        "the payload is given twice: use either len=N or one \"text\"",
                    ));
                }
                payload_col = Some(at);
                let n = bounded(value, vcol, "len", 1, MAX_INJECT_LEN)?;
                out.payload = InjectPayload::Len(u32::try_from(n).unwrap_or(u32::MAX));
            }
        }
    }
    Ok(Action::Inject(out))
}

/// `ACK`, `PSH,ACK`, `RST`: flag names joined by commas, each once.
fn flags(cur: &mut Cursor<'_, '_>) -> Result<Flags, Fail> {
    let names: Vec<&str> = FLAGS.iter().map(|(n, _)| *n).collect();
    let what = "the segment's flags like ACK, RST or PSH,ACK";
    let mut flags = Flags::NONE;
    loop {
        let (w, col) = cur.word(what)?;
        let upper = w.to_ascii_uppercase();
        let Some((_, f)) = FLAGS.iter().find(|(n, _)| *n == upper) else {
            let field = w.contains('=');
            return Err(Fail::new(
                col,
                if field && flags == Flags::NONE {
                    format!("expected {what} before \"{w}\"")
                } else {
                    format!(
                        "unknown flag \"{w}\"; expected one of: {}{}",
                        names.join(", "),
                        did_you_mean(&upper, &names)
                    )
                },
            ));
        };
        if flags.contains(*f) {
            return Err(Fail::new(col, format!("the flag {upper} is given twice")));
        }
        flags = flags | *f;
        match cur.peek().map(|t| &t.kind) {
            Some(TokenKind::Comma) => {
                cur.next();
            }
            _ => return Ok(flags),
        }
    }
}

/// `+N`, `-N` (offsets, up to 2^32 - 1) or a plain 32-bit number.
fn seq_value(v: &str, col: u32, key: &str) -> Result<SeqValue, Fail> {
    let example = format!("{key}=+100, {key}=-5 or {key}=1000");
    let (sign, digits) = match v.strip_prefix('+') {
        Some(d) => (1i64, d),
        None => match v.strip_prefix('-') {
            Some(d) => (-1i64, d),
            None => (0, v),
        },
    };
    let max = u64::from(u32::MAX);
    match parse_u64(digits) {
        Ok(n) if n <= max => {
            let n32 = u32::try_from(n).unwrap_or(u32::MAX);
            Ok(if sign == 0 {
                SeqValue::Plain(n32)
            } else {
                SeqValue::Offset(sign * i64::from(n32))
            })
        }
        Ok(_) | Err(NumError::TooLarge) => Err(Fail::new(
            col,
            format!("{key} must fit in 32 bits (at most {max}), found \"{v}\""),
        )),
        Err(NumError::NotANumber) if v.is_empty() => Err(Fail::new(
            col,
            format!("expected a number after \"{key}=\", like {example}"),
        )),
        Err(NumError::NotANumber) => Err(Fail::new(
            col,
            format!("expected a number like {example}, found \"{v}\""),
        )),
    }
}

/// A plain number in `min..=max` after `key=`.
fn bounded(v: &str, col: u32, key: &str, min: u64, max: u64) -> Result<u64, Fail> {
    match parse_u64(v) {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        Ok(_) | Err(NumError::TooLarge) => Err(Fail::new(
            col,
            format!("{key} must be between {min} and {max}, found \"{v}\""),
        )),
        Err(NumError::NotANumber) => Err(Fail::new(
            col,
            format!("expected a byte count ({min}..={max}) after \"{key}=\", found \"{v}\""),
        )),
    }
}
