//! The JSON Lines transcript of docs/transcript-json.md: one object a
//! line, keys in contract order.
//!
//! Written by hand into a reused line buffer (no `serde_json::Value` per
//! event): integers are formatted without allocating and strings are escaped
//! as RFC 8259 requires. The words of calls, results and notes are those of
//! the text transcript ([`super::words`]). docs/transcript-json.md has every
//! kind and field.

use super::num::decimal;
use super::words::{CallText, NoteText, ResultText};
use std::fmt::Write as _;
use std::io::{self, Write};
use synack_sim::transcript::{Event, EventKind, SegmentEvent, Sink};

/// Renders events as JSON Lines into any writer.
#[derive(Debug)]
pub struct JsonRenderer<W: Write> {
    out: W,
    line: Vec<u8>,
    /// Scratch for words (calls, results, notes).
    words: String,
}

impl<W: Write> JsonRenderer<W> {
    pub fn new(out: W) -> JsonRenderer<W> {
        JsonRenderer {
            out,
            line: Vec::with_capacity(256),
            words: String::new(),
        }
    }

    /// Gives back the writer.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn segment(&mut self, s: &SegmentEvent<'_>) {
        let l = &mut self.line;
        key_str(l, "dir", s.dir.name());
        key_str(l, "flags", s.hdr.flags.names());
        key_u64(l, "seq", u64::from(s.hdr.seq.raw()));
        key(l, "ack");
        if s.hdr.flags.ack() {
            push_u64(l, u64::from(s.hdr.ack.raw()));
        } else {
            l.extend_from_slice(b"null");
        }
        key_u64(l, "rel_seq", u64::from(s.rel_seq));
        key(l, "rel_ack");
        match s.rel_ack {
            Some(a) if s.hdr.flags.ack() => push_u64(l, u64::from(a)),
            _ => l.extend_from_slice(b"null"),
        }
        key_u64(l, "len", u64::from(s.hdr.payload_len));
        key_u64(l, "win", u64::from(s.win_bytes));
        key_str(l, "fate", s.fate.name());
        key(l, "analysis");
        l.push(b'[');
        for (i, f) in s.analysis.iter().enumerate() {
            if i > 0 {
                l.push(b',');
            }
            push_str(l, f.name());
        }
        l.push(b']');
        key(l, "frame");
        match s.frame {
            Some(n) => push_u64(l, n),
            None => l.extend_from_slice(b"null"),
        }
        key_u64(l, "id", s.id);
    }

    /// `"name":"words"`, the words formatted into the scratch string.
    fn key_words(&mut self, name: &str, args: std::fmt::Arguments<'_>) {
        self.words.clear();
        let _ = self.words.write_fmt(args);
        key_str(&mut self.line, name, &self.words);
    }
}

impl<W: Write> JsonRenderer<W> {
    /// The JSON object of `ev`, as a line of the transcript shows it (no newline).
    pub fn object(&mut self, ev: &Event<'_>) -> &[u8] {
        self.build(ev);
        &self.line
    }

    /// Builds the object of `ev` into the line buffer.
    fn build(&mut self, ev: &Event<'_>) {
        let kind = match ev.kind {
            EventKind::Segment(_) => "segment",
            EventKind::Datagram(_) => "datagram",
            EventKind::State { .. } => "state",
            EventKind::App { .. } => "app",
            EventKind::Timer { .. } => "timer",
            EventKind::Note(_) => "note",
        };
        self.line.clear();
        self.line.extend_from_slice(b"{\"kind\":");
        push_str(&mut self.line, kind);
        key_u64(&mut self.line, "t_us", ev.t_us);
        if let Some(c) = ev.conn {
            key_u64(&mut self.line, "conn", u64::from(c));
        }
        match ev.kind {
            EventKind::Segment(ref s) => self.segment(s),
            EventKind::Datagram(ref d) => {
                key_str(&mut self.line, "dir", d.dir.name());
                key_u64(&mut self.line, "src_port", u64::from(d.src_port));
                key_u64(&mut self.line, "dst_port", u64::from(d.dst_port));
                key_u64(&mut self.line, "len", u64::from(d.len));
                key_str(&mut self.line, "fate", d.fate.name());
                key_u64(&mut self.line, "id", d.id);
            }
            EventKind::State {
                endpoint,
                from,
                to,
                source,
            } => {
                key_str(&mut self.line, "endpoint", endpoint.name());
                key_str(&mut self.line, "from", from.name());
                key_str(&mut self.line, "to", to.name());
                key_str(&mut self.line, "source", source.name());
            }
            EventKind::App {
                endpoint,
                call,
                result,
            } => {
                key_str(&mut self.line, "endpoint", endpoint.name());
                self.key_words("call", format_args!("{}", CallText(call)));
                self.key_words("result", format_args!("{}", ResultText(result)));
            }
            EventKind::Timer {
                endpoint,
                timer,
                after_us,
                rto_us,
            } => {
                key_str(&mut self.line, "endpoint", endpoint.name());
                key_str(&mut self.line, "timer", timer.name());
                key_u64(&mut self.line, "after_us", after_us);
                key(&mut self.line, "rto_us");
                match rto_us {
                    Some(us) => push_u64(&mut self.line, us),
                    None => self.line.extend_from_slice(b"null"),
                }
            }
            EventKind::Note(note) => {
                if let Some(side) = note.endpoint() {
                    key_str(&mut self.line, "endpoint", side.name());
                }
                self.key_words("text", format_args!("{}", NoteText(note)));
            }
        }
        self.line.push(b'}');
    }

    /// Writes a line of its own making (the compare lines).
    pub fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        self.out.write_all(line)?;
        self.out.write_all(b"\n")
    }
}

impl<W: Write> Sink for JsonRenderer<W> {
    fn event(&mut self, ev: &Event<'_>) -> io::Result<()> {
        self.build(ev);
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// `,"name":` (every key but `kind` follows another).
pub(crate) fn key(l: &mut Vec<u8>, name: &str) {
    l.extend_from_slice(b",\"");
    l.extend_from_slice(name.as_bytes());
    l.extend_from_slice(b"\":");
}

pub(crate) fn key_str(l: &mut Vec<u8>, name: &str, value: &str) {
    key(l, name);
    push_str(l, value);
}

pub(crate) fn key_u64(l: &mut Vec<u8>, name: &str, value: u64) {
    key(l, name);
    push_u64(l, value);
}

/// Appends `n` in decimal without allocating.
pub(crate) fn push_u64(l: &mut Vec<u8>, n: u64) {
    let mut buf = [0u8; 20];
    l.extend_from_slice(decimal(&mut buf, n));
}

/// Appends `s` as a JSON string (RFC 8259 section 7): quotes, backslashes and
/// control characters escaped; everything else, including non-ASCII, as is.
pub(crate) fn push_str(l: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    l.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        l.extend_from_slice(&bytes[start..i]);
        if esc.is_empty() {
            l.extend_from_slice(b"\\u00");
            l.push(HEX[usize::from(b >> 4)]);
            l.push(HEX[usize::from(b & 0xf)]);
        } else {
            l.extend_from_slice(esc);
        }
        start = i + 1;
    }
    l.extend_from_slice(&bytes[start..]);
    l.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_in_decimal() {
        for n in [0, 7, 10, 999, 1_000_000, u64::from(u32::MAX), u64::MAX] {
            let mut l = Vec::new();
            push_u64(&mut l, n);
            assert_eq!(String::from_utf8_lossy(&l), n.to_string());
        }
    }

    #[test]
    fn strings_escaped_as_json() {
        let nasty = "a\"b\\c\nd\te\u{1}f\u{1f}g\u{7f}h é ⏰ \r\u{8}\u{c}";
        let mut l = Vec::new();
        push_str(&mut l, nasty);
        let back: String = serde_json::from_slice(&l).unwrap_or_default();
        assert_eq!(back, nasty);
        assert_eq!(String::from_utf8_lossy(&l).lines().count(), 1);
    }
}
