//! Any bytes as a pcap file (made to start with a pcap magic), read whole and in small pieces (the same records and errors both ways), decoded and fed to the annotator.
//! Nothing may panic. Run with `cargo +nightly fuzz run pcap` from the
//! repository root; the entry point is in `fuzz/harness/`, which
//! `tests/tests/fuzz_corpus.rs` replays on stable over `fuzz/seeds/pcap/`.
#![no_main]

#[path = "../harness/mod.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    std::hint::black_box(harness::pcap(data));
});
