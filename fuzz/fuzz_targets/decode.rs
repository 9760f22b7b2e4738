//! Any bytes as a capture file through the feed annotate uses, and as one frame of every supported link type (whole and as if cut by a snaplen).
//! Nothing may panic. Run with `cargo +nightly fuzz run decode` from the
//! repository root; the entry point is in `fuzz/harness/`, which
//! `tests/tests/fuzz_corpus.rs` replays on stable over `fuzz/seeds/decode/`.
#![no_main]

#[path = "../harness/mod.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    std::hint::black_box(harness::decode(data));
});
