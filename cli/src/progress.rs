//! A progress line on stderr for files that take more than a second, only
//! when stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Shows `what: 45% (90 of 200 MB)` on stderr, redrawn at most 4 times a second.
pub struct Progress {
    what: String,
    total: u64,
    start: Instant,
    last: Option<Instant>,
    enabled: bool,
    shown: bool,
}

impl Progress {
    pub fn new(what: String, total: u64) -> Progress {
        Progress {
            what,
            total,
            start: Instant::now(),
            last: None,
            enabled: std::io::stderr().is_terminal() && total > 0,
            shown: false,
        }
    }

    /// Called often (it is cheap when nothing is drawn): `done` bytes so far.
    pub fn update(&mut self, done: u64) {
        if !self.due() {
            return;
        }
        let pct = done.saturating_mul(100) / self.total.max(1);
        let mb = |b: u64| b as f64 / 1e6;
        self.draw(format_args!(
            "{pct:>3}% ({:.0} of {:.0} MB)",
            mb(done),
            mb(self.total)
        ));
    }

    /// Like [`Progress::update`] for work whose total is not known:
    /// `what: text`.
    pub fn update_text(&mut self, text: &str) {
        if self.due() {
            self.draw(format_args!("{text}"));
        }
    }

    /// Whether to draw now: on a terminal, after the first second, at most
    /// 4 times a second.
    fn due(&mut self) -> bool {
        if !self.enabled {
            return false;
        }
        let now = Instant::now();
        if now.duration_since(self.start) < Duration::from_secs(1) {
            return false;
        }
        if self
            .last
            .is_some_and(|l| now.duration_since(l) < Duration::from_millis(250))
        {
            return false;
        }
        self.last = Some(now);
        true
    }

    fn draw(&mut self, args: std::fmt::Arguments<'_>) {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{}: {args}", self.what);
        let _ = err.flush();
        self.shown = true;
    }

    /// Clears the line.
    pub fn finish(&mut self) {
        if self.shown {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.shown = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
