//! One output line being built: visible width tracked apart from colour
//! escapes, fixed-width time column, padding to a column. Shared by the
//! transcript and the side-by-side renderers.

use super::color::Style;
use super::num::{digits, push_u64};
use std::fmt::{self, Write as _};
use synack_sim::printable::Printable;

/// Width of the time column: `9999.999` plus room for microseconds.
pub(super) const TIME_W: usize = 11;

/// A run of box-drawing dashes to slice from (each is 3 bytes of UTF-8).
const DASHES: &str = "────────────────────────────────────────────────────────────────────────────────────────────────────";

/// One output line being built, with its visible width (escapes excluded).
#[derive(Debug)]
pub(super) struct Line {
    pub(super) buf: String,
    pub(super) width: usize,
    pub(super) color: bool,
}

impl Line {
    /// An empty line; `color` adds ANSI colour to styled text.
    pub(super) fn new(color: bool) -> Line {
        Line {
            buf: String::with_capacity(256),
            width: 0,
            color,
        }
    }

    /// Seconds with milliseconds, right-aligned in 8 columns: `   0.050`.
    pub(super) fn push_secs(&mut self, us: u64) {
        let (s, ms) = (us / 1_000_000, us % 1_000_000 / 1000);
        self.push_num(s, 4);
        self.push(".");
        self.push_frac(ms, 3);
    }

    pub(super) fn clear(&mut self) {
        self.buf.clear();
        self.width = 0;
    }

    pub(super) fn push(&mut self, s: &str) {
        self.buf.push_str(s);
        self.width += if s.is_ascii() {
            s.len()
        } else {
            s.chars().count()
        };
    }

    /// Pushes `n` right-aligned in `w` columns.
    pub(super) fn push_num(&mut self, n: u64, w: usize) {
        let d = digits(n);
        if d < w {
            self.repeat(' ', w - d);
        }
        push_u64(&mut self.buf, n);
        self.width += d;
    }

    /// Pushes text from outside (app strings, notes) with control
    /// characters shown as `\u{..}`, so they cannot break the layout.
    pub(super) fn push_clean(&mut self, s: &str) {
        self.fmt(format_args!("{}", Printable(s)));
    }

    /// Formats, then pushes the result as [`Line::push_clean`] does.
    pub(super) fn fmt_clean(&mut self, args: fmt::Arguments<'_>) {
        let mut text = String::new();
        let _ = text.write_fmt(args);
        self.push_clean(&text);
    }

    pub(super) fn repeat(&mut self, c: char, n: usize) {
        if c == '─' && n * 3 <= DASHES.len() {
            self.buf.push_str(&DASHES[..n * 3]);
        } else {
            for _ in 0..n {
                self.buf.push(c);
            }
        }
        self.width += n;
    }

    pub(super) fn pad_to(&mut self, col: usize) {
        if self.width < col {
            let n = col - self.width;
            self.repeat(' ', n);
        }
    }

    pub(super) fn fmt(&mut self, args: fmt::Arguments<'_>) {
        let start = self.buf.len();
        let _ = self.buf.write_fmt(args);
        self.width += self.buf.get(start..).map_or(0, |s| s.chars().count());
    }

    pub(super) fn styled(&mut self, style: Style, f: impl FnOnce(&mut Line)) {
        if self.color {
            style.start(&mut self.buf);
        }
        f(self);
        if self.color {
            self.buf.push_str(Style::RESET);
        }
    }

    pub(super) fn trim_end(&mut self) {
        let len = self.buf.trim_end_matches(' ').len();
        self.width -= self.buf.len() - len;
        self.buf.truncate(len);
    }

    /// The fixed-width time column, with the precision of the whole
    /// column: three decimals (and three spaces, so that the decimal points
    /// line up) when `micros` is false and the time is a whole millisecond,
    /// six otherwise (a time is never rounded away).
    pub(super) fn time(&mut self, us: u64, micros: bool) {
        let (s, frac) = (us / 1_000_000, us % 1_000_000);
        self.push_num(s, 4);
        self.push(".");
        if !micros && frac.is_multiple_of(1000) {
            self.push_frac(frac / 1000, 3);
            self.push("   ");
        } else {
            self.push_frac(frac, 6);
        }
    }

    /// A fraction with leading zeros, `w` digits.
    pub(super) fn push_frac(&mut self, n: u64, w: usize) {
        let d = digits(n);
        for _ in d..w {
            self.buf.push('0');
        }
        push_u64(&mut self.buf, n);
        self.width += w.max(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line() -> Line {
        Line {
            buf: String::new(),
            width: 0,
            color: false,
        }
    }

    #[test]
    fn time_column_has_fixed_width_and_aligned_points() {
        let mut a = line();
        a.time(20_000, false);
        let mut b = line();
        b.time(1_020_500, false);
        let mut c = line();
        c.time(0, true);
        assert_eq!(a.buf, "   0.020   ");
        assert_eq!(b.buf, "   1.020500");
        assert_eq!(c.buf, "   0.000000");
        assert_eq!(a.width, TIME_W);
        assert_eq!(b.width, TIME_W);
        assert_eq!(c.width, TIME_W);
    }

    #[test]
    fn width_ignores_colour_escapes() {
        let mut l = line();
        l.color = true;
        l.styled(Style::CLIENT, |l| l.push("── ▶"));
        assert_eq!(l.width, 4);
        assert!(l.buf.starts_with("\x1b[36m"));
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut l = line();
        l.push_clean("a\nb");
        assert_eq!(l.buf, "a\\nb");
        assert_eq!(l.width, 4);
    }
}
