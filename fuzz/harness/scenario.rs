//! The scenario parser: any text gives a scenario or a `file:line:col` error.

use synack_sim::scenario::parse;
use synack_sim::world::{RunOptions, World};

/// How many steps of the world a parsed scenario gets here (the `world`
/// target runs them longer).
const STEPS: u32 = 2_000;

/// Parses the input as a scenario; a parsed one runs a few steps.
pub fn scenario(data: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(data);
    match parse("fuzz.tcp", &text) {
        Ok(sc) => {
            let mut world = World::new(&sc, &RunOptions::default());
            let mut events = 0u64;
            for _ in 0..STEPS {
                if !world.step() {
                    break;
                }
                while let Some(ev) = world.poll_event() {
                    std::hint::black_box(ev.as_event());
                    events += 1;
                }
            }
            1 + events
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("fuzz.tcp:"), "{msg}");
            let lines = text.lines().count().max(1) as u32;
            assert!(
                e.line >= 1 && e.line <= lines + 1,
                "line {} of {lines}: {msg}",
                e.line
            );
            assert!(e.col >= 1, "{msg}");
            assert!(!e.message.is_empty());
            0
        }
    }
}
