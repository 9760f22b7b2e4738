//! `synack step`: walk through a simulated connection (or a capture) event
//! by event, backwards too, and ask "what if this segment were lost".
//!
//! # Who calls what
//! `cmd::step` builds a [`session::Session`] around a [`sim::SimSession`]
//! (a scenario) or a [`capture::CaptureSession`] (a capture file), then
//! hands it to [`app::run`] (a terminal: ratatui + crossterm) or to
//! [`script::run`] (standard input or output is not a terminal: one
//! command a line, the screen as text after each). Both turn keys or lines
//! into [`session::Command`]s and draw the session's [`view::View`] with
//! [`draw::render`].
//!
//! Under a simulated session, a [`timeline::Timeline`] keeps clones of the
//! world every [`timeline::CHECKPOINT_EVERY`] events (the arithmetic is in
//! its module docs) and a [`cursor::Cursor`] replays at most that many from
//! one to reach any event: stepping back, or jumping, never replays the
//! run from its start. A branch ("drop #7") shares the checkpoints taken
//! before segment 7 was sent and simulates on its own from there.

pub mod app;
pub mod capture;
pub mod cursor;
pub mod draw;
pub mod script;
pub mod session;
pub mod sim;
pub mod term;
pub mod timeline;
pub mod view;

/// Scenarios for the unit tests of this module.
#[cfg(test)]
pub(crate) mod testing {
    use synack_sim::scenario::builtin::find;
    use synack_sim::scenario::{parse, Scenario};

    /// A built-in scenario.
    pub fn builtin(name: &str) -> Scenario {
        find(name)
            .and_then(|b| b.scenario().ok())
            .expect("a built-in")
    }

    /// A transfer long enough for several checkpoints, with random loss.
    pub fn long() -> Scenario {
        parse(
            "long.tcp",
            "rtt 20ms\nloss client->server 1%\nseed 4\nserver listen 80\nclient connect\n\
             server accept\nclient send 2000000 bytes\nclient close\nserver recv all\nserver close\n",
        )
        .expect("parses")
    }
}
