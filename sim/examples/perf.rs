//! The benchmark binary `bench/sim-vs-ns3.sh` times: one bulk transfer with
//! 1% random loss client->server (rtt 20ms, mss 1460), then a few
//! `key=value` lines of totals.
//!
//! ```text
//! cargo run --release -p synack-sim --example perf -- [--profile rfc|linux] [--mb N] [--repeat N] [--events]
//! ```
//!
//! It times `world::run()` the way `synack sim FILE --summary` runs it: into
//! [`Discard`], a sink that wants no events, so the world builds none (the
//! totals come from `RunOutcome::stats`). `--events` streams every event into
//! a sink that counts them instead, as a transcript renderer would receive
//! them (the payload bytes made, each event converted), and reports the
//! count; that was this example's only mode before, and takes about 2x as long.
//!
//! `--repeat N` runs the transfer N times and reports the fastest run (wall
//! time of `run()` alone, parsing excluded). `peak_rss_kb` is the process's
//! high-water mark (`VmHWM` from /proc/self/status) where Linux provides it.

#[path = "../benches/common/mod.rs"]
mod common;

use common::{transfer_scenario, CountingSink};
use std::process::ExitCode;
use std::time::Instant;
use synack_sim::scenario::parse;
use synack_sim::transcript::{Discard, Sink};
use synack_sim::world::{run, RunOptions};

struct Args {
    profile: String,
    bytes: u64,
    repeat: u32,
    /// Stream the events into a counting sink (`--events`).
    events: bool,
}

fn usage() -> &'static str {
    "usage: perf [--profile rfc|linux] [--mb N | --bytes N] [--repeat N] [--events]"
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        profile: "rfc".to_string(),
        bytes: 100_000_000,
        repeat: 1,
        events: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value. {}", usage()))
        };
        match flag.as_str() {
            "--profile" => {
                let v = value()?;
                if v != "rfc" && v != "linux" {
                    return Err(format!("unknown profile {v:?}: use rfc or linux."));
                }
                args.profile = v;
            }
            "--mb" | "--bytes" => {
                let v = value()?;
                let n: u64 = v
                    .parse()
                    .map_err(|_| format!("{flag} wants a whole number, not {v:?}."))?;
                let scale = if flag == "--mb" { 1_000_000 } else { 1 };
                args.bytes = n
                    .checked_mul(scale)
                    .ok_or_else(|| format!("{flag} {v} is too large."))?;
            }
            "--repeat" => {
                let v = value()?;
                args.repeat = v
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("--repeat wants a positive number, not {v:?}."))?;
            }
            "--events" => args.events = true,
            "-h" | "--help" => return Err(usage().to_string()),
            other => return Err(format!("unknown argument {other:?}. {}", usage())),
        }
    }
    Ok(args)
}

/// The process's peak resident set size in KiB, where Linux reports it.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("perf: {msg}");
            return ExitCode::from(2);
        }
    };
    let text = transfer_scenario(&args.profile, args.bytes);
    let scenario = match parse("bench", &text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("perf: the benchmark scenario does not parse: {e}");
            return ExitCode::from(2);
        }
    };
    let mut best: Option<(f64, synack_sim::world::RunOutcome, u64)> = None;
    for _ in 0..args.repeat {
        let mut counting = CountingSink::default();
        let sink: &mut dyn Sink = if args.events {
            &mut counting
        } else {
            &mut Discard
        };
        let start = Instant::now();
        let outcome = match run(&scenario, &RunOptions::default(), sink) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("perf: the run failed: {e}");
                return ExitCode::from(1);
            }
        };
        let wall = start.elapsed().as_secs_f64();
        if best.as_ref().is_none_or(|(w, _, _)| wall < *w) {
            best = Some((wall, outcome, counting.events));
        }
    }
    let Some((wall, outcome, events)) = best else {
        return ExitCode::from(2);
    };
    let s = &outcome.stats;
    let seg_per_s = if wall > 0.0 {
        s.segments as f64 / wall
    } else {
        0.0
    };
    println!("profile={}", args.profile);
    println!("bytes={}", args.bytes);
    println!("bytes_received={}", s.bytes_read[1]);
    println!("segments={}", s.segments);
    println!("dropped={}", s.dropped);
    println!("retransmissions={}", s.retransmissions);
    println!("sink={}", if args.events { "counting" } else { "discard" });
    if args.events {
        println!("events={events}");
    }
    println!("sim_end_s={:.3}", s.end_us as f64 / 1e6);
    println!("wall_s={wall:.6}");
    println!("seg_per_s={seg_per_s:.0}");
    if let Some(kb) = peak_rss_kb() {
        println!("peak_rss_kb={kb}");
    }
    if s.bytes_read[1] == args.bytes {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "perf: the server read {} of {} bytes",
            s.bytes_read[1], args.bytes
        );
        ExitCode::from(1)
    }
}
