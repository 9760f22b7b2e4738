//! Replays every committed fuzz corpus file (`fuzz/seeds/TARGET/`: the seeds
//! made from the fixtures, and every input a fuzz run found a crash with)
//! through the same entry points the cargo-fuzz targets call
//! (`fuzz/harness/`), on stable, so CI exercises them without nightly.

#[path = "../../fuzz/harness/mod.rs"]
mod harness;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn seeds(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/seeds")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs every file of one target's corpus; returns the files that panicked
/// and the total the entry point counted.
fn replay(target: &str, entry: fn(&[u8]) -> u64) -> (Vec<String>, u64, usize) {
    let files = seeds(target);
    let mut failed = Vec::new();
    let mut total = 0u64;
    for f in &files {
        let data = std::fs::read(f).expect("a corpus file");
        match catch_unwind(AssertUnwindSafe(|| entry(&data))) {
            Ok(n) => total += n,
            Err(_) => failed.push(f.display().to_string()),
        }
    }
    (failed, total, files.len())
}

#[test]
fn every_corpus_file_runs_without_a_panic() {
    let mut failed = Vec::new();
    for (target, entry) in harness::TARGETS {
        let (bad, total, files) = replay(target, entry);
        assert!(files >= 5, "fuzz/seeds/{target} holds {files} files");
        // The seeds are real captures and scenarios: they get past the
        // first checks (records decoded, scenarios parsed and run).
        assert!(
            total > files as u64,
            "{target}: the seeds reach nothing ({total})"
        );
        eprintln!("{target}: {files} files, count {total}");
        failed.extend(bad);
    }
    assert!(failed.is_empty(), "these corpus files panic: {failed:#?}");
}

#[test]
fn the_harness_catches_what_it_checks() {
    // A reader that gave different records whole and in pieces, or a
    // scenario error without file:line:col, would panic; these do not, and
    // an unparsable scenario counts 0 while a parsed one counts its events.
    assert_eq!(harness::scenario(b"frobnicate\n"), 0);
    assert!(harness::scenario(b"server listen 7\nclient connect\nserver accept\n") > 3);
    assert_eq!(harness::world(b"nonsense\0\x01\x02"), 0);
    assert!(harness::pcap(b"") >= 1, "the opening error is an item");
}
