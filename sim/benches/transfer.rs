//! Criterion benchmark: a bulk transfer with 1% random loss, both profiles.
//!
//! `cargo bench -p synack-sim --bench transfer`. Throughput is reported in
//! simulated segments (retransmissions and dropped segments included) per
//! second. Sample counts are kept small so the whole run takes a couple of
//! minutes on two cores.
//!
//! Two sinks: `summary` runs the world as `synack sim --summary` does (a sink
//! that wants no events, so none are built), `events` streams every event
//! into a sink that counts them (as a transcript renderer receives them).

mod common;

use common::{transfer_scenario, CountingSink};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;
use synack_sim::scenario::{parse, Scenario};
use synack_sim::transcript::Discard;
use synack_sim::world::{run, RunOptions};

const SIZES_MB: [u64; 2] = [10, 100];
const PROFILES: [&str; 2] = ["rfc", "linux"];

/// Runs the scenario once and returns the number of segments it simulates.
fn segments_of(scenario: &Scenario) -> Option<u64> {
    let mut sink = CountingSink::default();
    run(scenario, &RunOptions::default(), &mut sink)
        .ok()
        .map(|out| out.stats.segments)
}

fn transfer(c: &mut Criterion) {
    let mut group = c.benchmark_group("transfer_1pct_loss");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for profile in PROFILES {
        for mb in SIZES_MB {
            let text = transfer_scenario(profile, mb * 1_000_000);
            let scenario = match parse("bench", &text) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("skipping {profile}/{mb}MB: the scenario does not parse: {e}");
                    continue;
                }
            };
            let Some(segments) = segments_of(&scenario) else {
                eprintln!("skipping {profile}/{mb}MB: the run failed");
                continue;
            };
            group.throughput(Throughput::Elements(segments));
            group.bench_with_input(
                BenchmarkId::new(format!("{profile}/summary"), format!("{mb}MB")),
                &scenario,
                |b, scenario| {
                    b.iter(|| {
                        let out = run(black_box(scenario), &RunOptions::default(), &mut Discard);
                        black_box(out.map(|o| o.stats.segments).ok())
                    })
                },
            );
            group.bench_with_input(
                BenchmarkId::new(format!("{profile}/events"), format!("{mb}MB")),
                &scenario,
                |b, scenario| {
                    b.iter(|| {
                        let mut sink = CountingSink::default();
                        let out = run(black_box(scenario), &RunOptions::default(), &mut sink);
                        black_box((out.map(|o| o.stats.segments).ok(), sink.events))
                    })
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, transfer);
criterion_main!(benches);
