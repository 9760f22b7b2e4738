//! Corners found in review: CLOSE in SYN-RECEIVED while our SYN,ACK is still
//! unacknowledged, a socket opened again after a connection, and one accept
//! per connection.

mod common;
use common::{dump, results};
use synack_sim::calls::{Call, CallResult, Failure, Received, RecvMax};
use synack_sim::scenario::parse;
use synack_sim::transcript::{OwnedKind, Recorder};
use synack_sim::world::{run, RunOptions};
use synack_sim::Side;

fn simulate(text: &str) -> (Recorder, synack_sim::world::RunOutcome) {
    let sc = parse("test.tcp", text).expect("the scenario parses");
    let mut rec = Recorder::default();
    let out = run(&sc, &RunOptions::default(), &mut rec).expect("in memory");
    (rec, out)
}

/// RFC 9293 3.10.4, CLOSE in SYN-RECEIVED: "If no SENDs have been issued and
/// there is no pending data to send, then form a FIN segment and send it, and
/// enter FIN-WAIT-1 state". The FIN goes at once, though the third ACK of the
/// handshake was lost: the ACK of the FIN acknowledges the SYN,ACK too, so it
/// is never resent, and the close completes.
#[test]
fn close_in_syn_received_with_the_third_ack_lost_still_completes() {
    let (rec, out) = simulate(
        "drop client->server ack #1\n\
         server listen 8080\n\
         client connect\n\
         server close\n\
         wait 3s\n\
         client close\n\
         wait 10s\n\
         expect server TIME-WAIT\n\
         expect client CLOSED\n",
    );
    assert!(
        out.failures.is_empty(),
        "{:?}\n{}",
        out.failures,
        dump(&rec)
    );
    let synacks_resent = rec
        .events
        .iter()
        .filter(|e| {
            matches!(&e.kind, OwnedKind::Segment { seg, .. }
            if seg.dir.sender() == Side::Server && seg.hdr.flags.syn() && seg.hdr.flags.ack())
        })
        .count();
    assert_eq!(
        synacks_resent,
        1,
        "the SYN,ACK is sent once: the FIN's ACK covers it\n{}",
        dump(&rec)
    );
    let fin_at_close = rec.events.iter().any(|e| {
        e.t_us == 20_000
            && matches!(&e.kind, OwnedKind::Segment { seg, .. }
                if seg.dir.sender() == Side::Server && seg.hdr.flags.fin())
    });
    assert!(fin_at_close, "the FIN goes with the close\n{}", dump(&rec));
}

/// A socket closed and opened again starts a fresh connection: what arrives
/// is delivered (not thrown away as for the closed one), RFC 9293 3.10.1.
#[test]
fn a_reopened_socket_receives_again() {
    let (rec, out) = simulate(
        "server listen 1\n\
         server close\n\
         client connect & server connect\n\
         client send \"hi\"\n\
         server recv\n\
         expect server ESTABLISHED\n",
    );
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    let results = results(&rec, Side::Server, &Call::Recv(RecvMax::Any));
    assert_eq!(
        results.last(),
        Some(&CallResult::Data(Received::of(b"hi"))),
        "{}",
        dump(&rec)
    );
}

/// One listen, one connection: a second accept waits for another connection,
/// and with none coming, says it would block forever.
#[test]
fn a_second_accept_does_not_return_the_same_connection() {
    let (rec, _) = simulate("server listen 1\nclient connect\nserver accept\nserver accept\n");
    let results = results(&rec, Side::Server, &Call::Accept);
    assert_eq!(
        results
            .iter()
            .filter(|r| matches!(r, CallResult::Accepted { .. }))
            .count(),
        1,
        "{results:?}"
    );
    assert_eq!(
        results.last(),
        Some(&CallResult::Failed(Failure::BlocksForever)),
        "{results:?}"
    );
}

/// Linux `tcp_check_req()`: a retransmitted SYN in SYN-RECEIVED gets the
/// SYN,ACK again, and the request's timer is pushed out by its timeout.
/// With the first SYN,ACK lost, the client's SYN retransmission (1 s)
/// reaches the server at the instant the server's own SYN,ACK timer is due:
/// the kernel sends one SYN,ACK then, not two (profile.rs,
/// `resend_synack_on_dup_syn`). The rfc profile only ACKs the SYN (RFC 9293
/// 3.10.7.4), so its timer alone resends.
#[test]
fn a_retransmitted_syn_restarts_the_synack_timer_in_linux() {
    for profile in ["linux", "rfc"] {
        let (rec, out) = simulate(&format!(
            "profile {profile}\n\
             drop server->client syn-ack #1\n\
             server listen 7\n\
             client connect\n\
             server accept\n"
        ));
        assert!(
            out.failures.is_empty(),
            "{:?}\n{}",
            out.failures,
            dump(&rec)
        );
        let synacks: Vec<u64> = rec
            .events
            .iter()
            .filter(|e| {
                matches!(&e.kind, OwnedKind::Segment { seg, .. }
                if seg.dir.sender() == Side::Server && seg.hdr.flags.syn() && seg.hdr.flags.ack())
            })
            .map(|e| e.t_us)
            .collect();
        assert_eq!(
            synacks,
            vec![10_000, 1_010_000],
            "{profile}: the lost SYN,ACK and one resend at 1.010 s\n{}",
            dump(&rec)
        );
    }
}
