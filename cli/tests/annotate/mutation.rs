//! Mutated captures: every stored fixture, as pcap and as pcapng, with 2% of
//! its bytes replaced by random ones (a seeded RNG, so a failure replays).
//! Nothing may panic, and every record before the first damaged byte must be
//! annotated exactly as in the undamaged file.
//!
//! Most mutants go through the library path `synack annotate` uses
//! ([`CaptureReader`] + [`Feed`] + the renderers, into memory); a smaller
//! number go through the binary, which must exit 0 or 2 with no panic.

use super::common::*;
use std::cell::RefCell;
use std::io::{self, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use synack::render::{summary, Header, JsonRenderer, TextRenderer};
use synack_capture::CaptureReader;
use synack_capture::Feed;
use synack_sim::transcript::{Event, EventKind, Sink};

/// Passes every event but notes on: the notes of the binary (bad records,
/// the closing count) come from the command, not the library path compared here.
struct NoNotes<S: Sink>(S);

impl<S: Sink> Sink for NoNotes<S> {
    fn event(&mut self, ev: &Event<'_>) -> io::Result<()> {
        match ev.kind {
            EventKind::Note(_) => Ok(()),
            _ => self.0.event(ev),
        }
    }
    fn finish(&mut self) -> io::Result<()> {
        self.0.finish()
    }
}

/// The JSON lines of `out` without its notes.
fn without_notes(out: &[u8]) -> Vec<u8> {
    out.split_inclusive(|&b| b == b'\n')
        .filter(|l| !l.starts_with(b"{\"kind\":\"note\""))
        .flatten()
        .copied()
        .collect()
}

/// Mutants per fixture and format through the library (`SYNACK_MUTANTS=N`
/// overrides it for a longer soak).
const LIBRARY_MUTANTS: u64 = 200;
/// Mutants per fixture and format through the binary.
const BINARY_MUTANTS: u64 = 6;
/// Share of bytes replaced, in per mille.
const RATE_PER_MILLE: u64 = 20;

/// SplitMix64: small, seeded, good enough to pick bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// A copy of `bytes` with about 2% of them randomized, and the offset of the
/// first byte that changed (`None` when none did). With `tail_only`, only
/// bytes from a random offset on are damaged, so that the records before it
/// are many and the prefix check has something to compare.
fn mutate(bytes: &[u8], seed: u64, tail_only: bool) -> (Vec<u8>, Option<usize>) {
    let mut rng = Rng(seed);
    let mut out = bytes.to_vec();
    let mut first = None;
    let start = if tail_only {
        (rng.next() % (bytes.len() as u64).max(1)) as usize
    } else {
        0
    };
    for (i, b) in out.iter_mut().enumerate().skip(start) {
        if rng.next() % 1000 < RATE_PER_MILLE {
            let new = (rng.next() & 0xff) as u8;
            if new != *b && first.is_none() {
                first = Some(i);
            }
            *b = new;
        }
    }
    (out, first)
}

/// A writer several owners can look at (to measure output per record).
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What the library path made of a file.
struct Annotated {
    json: Vec<u8>,
    /// Length of `json` after each good record, in record order.
    after_record: Vec<usize>,
}

/// Annotates `bytes` as `synack annotate` does, into JSON, text and both
/// summaries (all in memory).
fn annotate_lib(bytes: &[u8]) -> Annotated {
    let json = Shared::default();
    let mut text = Vec::new();
    let mut after_record = Vec::new();
    let mut feed = Feed::new();
    {
        let mut j = NoNotes(JsonRenderer::new(json.clone()));
        let header = Header {
            what: "mutant".into(),
            capture: true,
            ..Header::default()
        };
        let mut t = TextRenderer::new(&mut text, header, false);
        if let Ok(mut reader) = CaptureReader::new(bytes) {
            while let Some(next) = reader.next_record() {
                match next {
                    Ok(rec) => {
                        feed.record(&rec, &mut j).expect("writing into memory");
                        after_record.push(json.0.borrow().len());
                        // A second feed would double-count; the text renderer
                        // gets the same events through a fresh observer below.
                    }
                    Err(e) => {
                        assert!(e.record().is_some() || e.offset().is_some(), "{e}");
                        assert!(!e.to_string().is_empty());
                        if e.is_fatal() {
                            break;
                        }
                    }
                }
            }
        }
        j.finish().expect("writing into memory");
        // The text transcript of the same file.
        let mut feed_t = Feed::new();
        if let Ok(mut reader) = CaptureReader::new(bytes) {
            while let Some(next) = reader.next_record() {
                match next {
                    Ok(rec) => feed_t.record(&rec, &mut t).expect("writing into memory"),
                    Err(e) if e.is_fatal() => break,
                    Err(_) => {}
                }
            }
        }
        t.finish().expect("writing into memory");
    }
    let conns = feed.summaries();
    let mut sums = Vec::new();
    summary::write_text(&mut sums, &conns, &feed.stats).expect("writing into memory");
    summary::write_json(&mut sums, &conns, &feed.stats).expect("writing into memory");
    assert!(
        String::from_utf8(text).is_ok(),
        "the text transcript is UTF-8"
    );
    assert!(String::from_utf8(sums).is_ok(), "the summary is UTF-8");
    let json = json.0.borrow().clone();
    Annotated { json, after_record }
}

/// Byte spans of the records of a whole pcap or pcapng fixture, in order.
fn record_spans(bytes: &[u8]) -> Vec<(usize, usize)> {
    if u32_at(bytes, 0) == 0x0a0d_0d0a {
        pcapng_packet_blocks(bytes)
            .into_iter()
            .map(|at| (at, at + u32_at(bytes, at + 4) as usize))
            .collect()
    } else {
        pcap_records(bytes)
            .into_iter()
            .map(|r| (r.offset, r.data + r.caplen))
            .collect()
    }
}

/// The JSON the original gives for the records wholly before byte `first`.
fn good_prefix<'a>(orig: &'a Annotated, spans: &[(usize, usize)], first: usize) -> &'a [u8] {
    let whole = spans.iter().take_while(|(_, end)| *end <= first).count();
    let len = match whole.checked_sub(1) {
        Some(i) => orig.after_record[i],
        None => 0,
    };
    &orig.json[..len]
}

/// Every fixture as pcap and as pcapng: (name, bytes).
fn inputs() -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for name in FIXTURE_NAMES {
        let pcap = fixture(name);
        v.push((format!("{name}.pcapng"), to_pcapng(&pcap)));
        v.push((name.to_owned(), pcap));
    }
    v
}

fn seed_of(name: &str, i: u64) -> u64 {
    name.bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
        .wrapping_add(i)
}

#[test]
fn mutated_captures_never_panic_and_keep_the_good_prefix_library() {
    let mut checked_prefix_records = 0usize;
    for (name, bytes) in inputs() {
        let orig = annotate_lib(&bytes);
        let spans = record_spans(&bytes);
        assert_eq!(orig.after_record.len(), spans.len(), "{name}");
        let mutants = std::env::var("SYNACK_MUTANTS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(LIBRARY_MUTANTS);
        for i in 0..mutants {
            let seed = seed_of(&name, i);
            let (mutant, first) = mutate(&bytes, seed, i % 2 == 1);
            let got = catch_unwind(AssertUnwindSafe(|| annotate_lib(&mutant)))
                .unwrap_or_else(|_| panic!("{name}: mutant seed {seed:#x} panicked"));
            let first = first.unwrap_or(bytes.len());
            let want = good_prefix(&orig, &spans, first);
            assert!(
                got.json.starts_with(want),
                "{name}: mutant seed {seed:#x} (first damaged byte {first}) changed the \
                 annotation of the records before it:\nwant prefix:\n{}\ngot:\n{}",
                String::from_utf8_lossy(want),
                String::from_utf8_lossy(&got.json)
            );
            checked_prefix_records += spans.iter().filter(|(_, e)| *e <= first).count();
        }
    }
    // The prefix check must have had something to check.
    assert!(checked_prefix_records > 10_000, "{checked_prefix_records}");
}

#[test]
fn mutated_captures_never_panic_the_binary() {
    let dir = tmp_dir().join("mutants");
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let mut exit_2 = 0;
    for (name, bytes) in inputs() {
        let orig = annotate_lib(&bytes);
        let spans = record_spans(&bytes);
        // The library path is what the binary runs.
        let path = dir.join(&name);
        std::fs::write(&path, &bytes).expect("written");
        let o = synack(&["annotate", path_str(&path), "--format", "json"]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        assert_eq!(
            without_notes(&o.stdout),
            orig.json,
            "{name}: binary and library differ"
        );

        for i in 0..BINARY_MUTANTS {
            let seed = seed_of(&name, 1_000_000 + i);
            let (mutant, first) = mutate(&bytes, seed, i % 4 == 1);
            let path = dir.join(format!("{seed:016x}-{name}"));
            std::fs::write(&path, &mutant).expect("written");
            let format = if i % 2 == 0 { "json" } else { "text" };
            let mut args = vec!["annotate", path_str(&path), "--format", format];
            if i % 3 == 2 {
                args.push("--summary");
            }
            let o = synack(&args);
            let err = stderr(&o);
            assert_no_panic(&err);
            let code = o.status.code();
            assert!(
                code == Some(0) || code == Some(2),
                "{}: exit {code:?}: {err}",
                path.display()
            );
            if code == Some(2) {
                exit_2 += 1;
                assert!(!err.is_empty(), "{}: exit 2 without a word", path.display());
            }
            for line in err.lines() {
                assert!(line.starts_with("synack: "), "{}: {err}", path.display());
            }
            if format == "json" && !args.contains(&"--summary") {
                let want = good_prefix(&orig, &spans, first.unwrap_or(bytes.len()));
                assert!(
                    without_notes(&o.stdout).starts_with(want),
                    "{}: the records before the first damaged byte are annotated differently",
                    path.display()
                );
            }
            let _ = std::fs::remove_file(&path);
        }
    }
    // 2% damage breaks most files somewhere the reader notices.
    assert!(exit_2 > 0);
}
