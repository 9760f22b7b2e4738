//! The world: two endpoints and a link, running a scenario in virtual time.
//!
//! (API fixed first; the implementation lands with the endpoint.)

use crate::profile::ProfileName;
use crate::scenario::Scenario;
use crate::transcript::Sink;
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

/// Runs `scenario` in the simulator, streaming its transcript into `sink`.
///
/// Deterministic: the same scenario, options and seed give the same events.
pub fn run(
    scenario: &Scenario,
    opts: &RunOptions,
    sink: &mut dyn Sink,
) -> std::io::Result<RunOutcome> {
    let _ = (scenario, opts, sink);
    Err(std::io::Error::other(
        "the simulated world is not built yet",
    ))
}
