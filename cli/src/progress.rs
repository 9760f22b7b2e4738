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
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if now.duration_since(self.start) < Duration::from_secs(1) {
            return;
        }
        if self
            .last
            .is_some_and(|l| now.duration_since(l) < Duration::from_millis(250))
        {
            return;
        }
        self.last = Some(now);
        let pct = done.saturating_mul(100) / self.total.max(1);
        let mb = |b: u64| b as f64 / 1e6;
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2K{}: {pct:>3}% ({:.0} of {:.0} MB)",
            self.what,
            mb(done),
            mb(self.total)
        );
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
