//! The linux profile's handshake against what Linux 6.18 did on this
//! machine (`synack real` with every SYN dropped): 10 SYN retransmissions,
//! `tcp_syn_retries` (6) plus `tcp_syn_linear_timeouts` (4), the first five
//! 1 s apart, then doubling, and `connect` failing 134 s after it began
//! (profile.rs, `syn_retries`).

mod common;
use common::dump;
use synack_sim::scenario::parse;
use synack_sim::transcript::{OwnedKind, Recorder};
use synack_sim::world::{run, RunOptions};
use synack_sim::Side;

#[test]
fn linux_gives_up_a_connect_after_ten_syn_retransmissions() {
    let sc = parse(
        "test.tcp",
        "profile linux\n\
         drop client->server syn #1,#2,#3,#4,#5,#6,#7,#8,#9,#10,#11,#12\n\
         server listen 80\n\
         client connect\n",
    )
    .expect("the scenario parses");
    let mut rec = Recorder::default();
    run(&sc, &RunOptions::default(), &mut rec).expect("in memory");
    let syns: Vec<u64> = rec
        .events
        .iter()
        .filter(|e| {
            matches!(&e.kind, OwnedKind::Segment { seg, .. }
            if seg.dir.sender() == Side::Client && seg.hdr.flags.syn())
        })
        .map(|e| e.t_us / 1_000_000)
        .collect();
    assert_eq!(
        syns,
        vec![0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67],
        "{}",
        dump(&rec)
    );
    let failed_at = rec
        .events
        .iter()
        .find(|e| format!("{:?}", e.kind).contains("Errno(110)"))
        .map(|e| e.t_us / 1_000_000);
    assert_eq!(failed_at, Some(131), "{}", dump(&rec));
}
