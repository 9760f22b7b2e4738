//! Scenario text, a 0 byte, then a tape: the world runs the scenario, losing segments the tape picks, and a fork of it runs behind a link that flips, truncates, reorders, drops and duplicates real segments.
//! Nothing may panic. Run with `cargo +nightly fuzz run world` from the
//! repository root; the entry point is in `fuzz/harness/`, which
//! `tests/tests/fuzz_corpus.rs` replays on stable over `fuzz/seeds/world/`.
#![no_main]

#[path = "../harness/mod.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    std::hint::black_box(harness::world(data));
});
