//! The world: two endpoints and a link, running a scenario in virtual time.
//!
//! # Calling order
//! [`World::new`] takes a scenario; then call [`World::step`] until it
//! returns `false`, and after each step drain [`World::poll_event`] until it
//! returns `None` (quinn's `Connection` works the same way). [`run`] is that
//! loop, feeding a [`Sink`]. A `World` is `Clone`: a user interface keeps
//! clones as checkpoints, and a branch ("what if segment 7 were lost") is a
//! clone taken before that segment was sent, told [`World::lose`] and stepped
//! on.
//!
//! Steps run in order. Socket calls block the way they do on a real host, in
//! virtual time: the world lets time pass (delivering segments, firing
//! timers) until every blocking call of the step has returned
//! (docs/scenario-language.md). `stepper.rs` holds the stepping and the end
//! of a run, `net.rs` the link and the queue of segments in flight,
//! `calls.rs` the socket calls.

mod calls;
mod inject;
mod net;
mod stepper;

pub use net::InFlight;
pub use stepper::World;

use crate::profile::ProfileName;
use crate::scenario::{Action, Scenario, Settings};
use crate::state::State;
use crate::transcript::{ConnInfo, Side, Sink};
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Overrides from the command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// `--profile`: overrides the scenario's `profile`.
    pub profile: Option<ProfileName>,
    /// `--seed`: overrides the scenario's `seed`.
    pub seed: Option<u64>,
}

impl RunOptions {
    /// The scenario's settings with these overrides applied: the one place
    /// where `--profile` and `--seed` win over the file.
    pub fn apply(&self, settings: &Settings) -> Settings {
        Settings {
            profile: self.profile.unwrap_or(settings.profile),
            seed: self.seed.unwrap_or(settings.seed),
            ..settings.clone()
        }
    }
}

/// A scenario check that did not hold: an `expect`, or a `wait until`
/// whose state never came.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckFailure {
    /// 1-based scenario line.
    pub line: u32,
    pub side: Side,
    /// The state the scenario asked for.
    pub expected: State,
    /// The state the endpoint was in.
    pub actual: State,
    /// `Some(max)` for a `wait until` that waited `max` microseconds in vain.
    pub waited_us: Option<u64>,
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
    /// Polynomial digest of the bytes each app read, in order, indexed by
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
    pub failures: Vec<CheckFailure>,
    /// An `inject` line that the run could not build (its pretended sender
    /// never had a connection and a number was not given): the run stopped
    /// there. A scenario error like a parse error (file:line:col).
    pub error: Option<crate::scenario::ScenarioError>,
    pub stats: Stats,
}

/// Runs `scenario` in the simulator, streaming its transcript into `sink`.
///
/// Deterministic: the same scenario, options and seed give the same events.
pub fn run(scenario: &Scenario, opts: &RunOptions, sink: &mut dyn Sink) -> io::Result<RunOutcome> {
    if scenario.settings.transport == crate::scenario::Transport::Udp {
        return crate::udp::run(scenario, opts, sink);
    }
    let mut world = World::new(scenario, opts);
    let wants = sink.wants_events();
    world.record_events(wants);
    if wants {
        sink.begin_conn(&world.conn_info())?;
    }
    while world.step() {
        while let Some(ev) = world.poll_event() {
            sink.event(&ev.as_event())?;
        }
    }
    sink.finish()?;
    Ok(world.outcome())
}

/// The address both simulated hosts have, as in an exported capture.
pub const SIM_ADDR: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The client's port and the port the server listens on (9999 when it never
/// listens): where a `connect` without a port goes (docs/scenario-language.md).
pub fn ports(scenario: &Scenario) -> [u16; 2] {
    let listen = actions(scenario).find_map(|a| match a {
        Action::Listen {
            side: Side::Server,
            port,
        } => Some(*port),
        _ => None,
    });
    [scenario.settings.client_port, listen.unwrap_or(9999)]
}

/// The connection the scenario opens, with the ports it actually uses: those
/// of its first `connect` (to an explicit port, or to the server's listening
/// port at that point), else the client's port and the listening port.
pub fn conn_info(scenario: &Scenario) -> ConnInfo {
    let [client, mut server] = ports(scenario);
    let mut pair = (client, server);
    for a in actions(scenario) {
        match a {
            Action::Listen {
                side: Side::Server,
                port,
            } => server = *port,
            Action::Connect {
                side: Side::Client,
                port,
            } => {
                pair = (client, port.unwrap_or(server));
                break;
            }
            Action::Connect {
                side: Side::Server,
                port,
            } => {
                pair = (port.unwrap_or(client), server);
                break;
            }
            _ => {}
        }
        pair = (client, server);
    }
    ConnInfo {
        conn: None,
        client: SocketAddr::new(SIM_ADDR, pair.0),
        server: SocketAddr::new(SIM_ADDR, pair.1),
    }
}

fn actions(scenario: &Scenario) -> impl Iterator<Item = &Action> {
    scenario.steps.iter().flat_map(|st| &st.actions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;

    fn info(text: &str) -> (u16, u16) {
        let s = parse("t", text).unwrap_or_else(|e| panic!("{e}"));
        let c = conn_info(&s);
        (c.client.port(), c.server.port())
    }

    #[test]
    fn conn_info_shows_the_ports_actually_used() {
        assert_eq!(info("server listen 8080\nclient connect\n"), (49152, 8080));
        assert_eq!(
            info("server listen 8080\nclient connect 8081\n"),
            (49152, 8081)
        );
        assert_eq!(info("client connect\n"), (49152, 9999));
        assert_eq!(
            info("port client 5000\nclient connect & server connect\n"),
            (5000, 9999)
        );
        assert_eq!(info("server listen 7\n"), (49152, 7));
    }

    #[test]
    fn options_override_the_file_in_one_place() {
        let s = Settings::default();
        let o = RunOptions {
            profile: Some(ProfileName::Linux),
            seed: Some(9),
        };
        let applied = o.apply(&s);
        assert_eq!(applied.profile, ProfileName::Linux);
        assert_eq!(applied.seed, 9);
        assert_eq!(RunOptions::default().apply(&s), s);
    }
}
