//! The JSON Lines transcript of DESIGN.md ("JSON transcript"): one object a
//! line, keys in contract order.
//!
//! Written by hand into a reused line buffer (no `serde_json::Value` per
//! event): integers are formatted without allocating and strings are escaped
//! as RFC 8259 requires. `Note` events are for human readers and are not
//! written.

use std::io::{self, Write};
use synack_sim::transcript::{Event, EventKind, SegmentEvent, Sink};

/// Renders events as JSON Lines into any writer.
#[derive(Debug)]
pub struct JsonRenderer<W: Write> {
    out: W,
    line: Vec<u8>,
}

impl<W: Write> JsonRenderer<W> {
    pub fn new(out: W) -> JsonRenderer<W> {
        JsonRenderer {
            out,
            line: Vec::with_capacity(256),
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
    }
}

impl<W: Write> Sink for JsonRenderer<W> {
    fn event(&mut self, ev: &Event<'_>) -> io::Result<()> {
        let kind = match ev.kind {
            EventKind::Segment(_) => "segment",
            EventKind::State { .. } => "state",
            EventKind::App { .. } => "app",
            EventKind::Timer { .. } => "timer",
            EventKind::Note { .. } => return Ok(()),
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
            EventKind::State { endpoint, from, to } => {
                key_str(&mut self.line, "endpoint", endpoint.name());
                key_str(&mut self.line, "from", from.name());
                key_str(&mut self.line, "to", to.name());
            }
            EventKind::App {
                endpoint,
                call,
                result,
            } => {
                key_str(&mut self.line, "endpoint", endpoint.name());
                key_str(&mut self.line, "call", call);
                key_str(&mut self.line, "result", result);
            }
            EventKind::Timer {
                endpoint,
                timer,
                rto_us,
            } => {
                key_str(&mut self.line, "endpoint", endpoint.name());
                key_str(&mut self.line, "timer", timer.name());
                key(&mut self.line, "rto_us");
                match rto_us {
                    Some(us) => push_u64(&mut self.line, us),
                    None => self.line.extend_from_slice(b"null"),
                }
            }
            EventKind::Note { .. } => {}
        }
        self.line.extend_from_slice(b"}\n");
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
fn key(l: &mut Vec<u8>, name: &str) {
    l.extend_from_slice(b",\"");
    l.extend_from_slice(name.as_bytes());
    l.extend_from_slice(b"\":");
}

fn key_str(l: &mut Vec<u8>, name: &str, value: &str) {
    key(l, name);
    push_str(l, value);
}

fn key_u64(l: &mut Vec<u8>, name: &str, value: u64) {
    key(l, name);
    push_u64(l, value);
}

/// Appends `n` in decimal without allocating.
pub(crate) fn push_u64(l: &mut Vec<u8>, n: u64) {
    let mut buf = [0u8; 20];
    l.extend_from_slice(decimal(&mut buf, n));
}

/// `n` in decimal ASCII digits, written into the end of `buf`: two digits
/// per division, from a table.
pub(crate) fn decimal(buf: &mut [u8; 20], mut n: u64) -> &[u8] {
    const PAIRS: &[u8; 200] = b"\
        0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let mut i = buf.len();
    while n >= 100 {
        // `n % 100` is below 100, so the index is in the table.
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    &buf[i..]
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
    fn decimal_digits_match_display() {
        let mut samples = vec![
            0,
            1,
            9,
            10,
            11,
            99,
            100,
            101,
            999,
            1000,
            4_294_967_295,
            u64::MAX,
        ];
        samples.extend((0..64).map(|b| 1u64 << b));
        samples.extend((1..20).map(|p| 10u64.pow(p) - 1));
        for n in samples {
            let mut buf = [0u8; 20];
            assert_eq!(decimal(&mut buf, n), n.to_string().as_bytes(), "{n}");
        }
    }

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
