//! The benchmark transfer, shared by `benches/transfer.rs` (criterion) and
//! `examples/perf.rs` (the release binary `bench/sim-vs-ns3.sh` times).

use synack_sim::transcript::{Event, Sink};

/// Scenario text of the benchmark: a one-way bulk transfer of `bytes` bytes
/// over a 20 ms RTT link with MSS 1460 and 1% random loss client->server.
pub fn transfer_scenario(profile: &str, bytes: u64) -> String {
    format!(
        "profile {profile}\n\
         rtt 20ms\n\
         mss 1460\n\
         loss client->server 1%\n\
         server listen 80\n\
         client connect\n\
         server accept\n\
         client send {bytes} bytes\n\
         client close\n\
         server recv all\n\
         server close\n"
    )
}

/// A sink that counts events and keeps nothing else: memory stays flat
/// however long the transcript.
#[derive(Clone, Copy, Debug, Default)]
pub struct CountingSink {
    pub events: u64,
}

impl Sink for CountingSink {
    fn event(&mut self, _ev: &Event<'_>) -> std::io::Result<()> {
        self.events += 1;
        Ok(())
    }
}
