//! The world: two endpoints and a link, running a scenario in virtual time.
//!
//! Steps run in order. Socket calls block the way they do on a real host, in
//! virtual time: the world lets time pass (delivering segments, firing
//! timers) until every blocking call of the step has returned. `sim.rs` holds
//! the event loop, `app.rs` the socket calls.

mod app;
mod sim;

pub use sim::{ports, run, World};

use crate::profile::ProfileName;
use crate::State;

/// Overrides from the command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// `--profile`: overrides the scenario's `profile`.
    pub profile: Option<ProfileName>,
    /// `--seed`: overrides the scenario's `seed`.
    pub seed: Option<u64>,
}

/// An `expect` that did not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectFailure {
    /// 1-based scenario line.
    pub line: u32,
    pub side: crate::Side,
    pub expected: State,
    pub actual: State,
}

/// Totals of a run, for `--summary` and benchmarks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Segments put on the link (retransmissions included).
    pub segments: u64,
    pub dropped: u64,
    pub duplicated: u64,
    pub delayed: u64,
    pub retransmissions: u64,
    /// Payload bytes delivered to each app, indexed by `Side::index()`.
    pub bytes_read: [u64; 2],
    /// FNV-1a digest of the bytes each app read, in order, indexed by
    /// `Side::index()` (see `endpoint::ReadDigest`).
    pub read_digest: [u64; 2],
    /// Virtual time at the end, microseconds.
    pub end_us: u64,
    /// Final states, indexed by `Side::index()`.
    pub final_state: [Option<State>; 2],
}

/// What a run ended with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunOutcome {
    pub expect_failures: Vec<ExpectFailure>,
    pub stats: Stats,
}

/// `1.5 s`, `20 ms`, `300 us`, `4 min`: a duration for people.
pub fn fmt_duration(us: u64) -> String {
    if us >= 60_000_000 && us.is_multiple_of(60_000_000) {
        format!("{} min", us / 60_000_000)
    } else if us >= 1_000_000 {
        let s = us as f64 / 1e6;
        format!("{} s", trim_float(s))
    } else if us >= 1_000 {
        format!("{} ms", trim_float(us as f64 / 1e3))
    } else {
        format!("{us} us")
    }
}

fn trim_float(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
