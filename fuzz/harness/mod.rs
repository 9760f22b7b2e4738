//! The fuzz targets' entry points, shared by the cargo-fuzz binaries
//! (`fuzz/fuzz_targets/*.rs`, nightly) and the stable test that replays every
//! committed corpus file (`tests/tests/fuzz_corpus.rs`), which includes this
//! module by path. Each entry point takes any bytes, must never panic, and
//! returns a small count of what it exercised so the replay test can check
//! that the seeds reach past the first checks.

#![allow(dead_code)]

#[path = "capture.rs"]
mod capture;
#[path = "scenario.rs"]
mod scenario;
#[path = "tape.rs"]
mod tape;
#[path = "world.rs"]
mod world;

pub use capture::{decode, pcap, pcapng};
pub use scenario::scenario;
pub use world::world;

/// An entry point: any bytes in, a count of what was exercised out.
pub type Entry = fn(&[u8]) -> u64;

/// The targets, by name: the directory names under `fuzz/seeds/` and the
/// binaries of `fuzz/Cargo.toml`.
pub const TARGETS: [(&str, Entry); 5] = [
    ("pcap", pcap),
    ("pcapng", pcapng),
    ("decode", decode),
    ("scenario", scenario),
    ("world", world),
];
