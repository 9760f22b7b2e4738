//! Any text as a scenario: a scenario or a file:line:col error; a parsed scenario runs a few steps.
//! Nothing may panic. Run with `cargo +nightly fuzz run scenario` from the
//! repository root; the entry point is in `fuzz/harness/`, which
//! `tests/tests/fuzz_corpus.rs` replays on stable over `fuzz/seeds/scenario/`.
#![no_main]

#[path = "../harness/mod.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    std::hint::black_box(harness::scenario(data));
});
