//! What socket calls answer after a reset and after the app's own close, as
//! a real socket does (RFC 9293 3.10 in the rfc profile; Linux's errnos in
//! the linux profile), through whole scenarios.

mod common;
use common::{dump, results};
use synack_sim::calls::{errno, Call, CallResult, Failure, RecvMax, SendData};
use synack_sim::scenario::parse;
use synack_sim::transcript::Recorder;
use synack_sim::world::{run, RunOptions};
use synack_sim::Side;

fn simulate(text: &str) -> Recorder {
    let sc = parse("test.tcp", text).expect("the scenario parses");
    let mut rec = Recorder::default();
    run(&sc, &RunOptions::default(), &mut rec).expect("in memory");
    rec
}

/// The client aborts; the server's first `recv` gets the reset, and the
/// calls after it find no connection.
const RESET: &str = "server listen 8080\n\
                     client connect\n\
                     server accept\n\
                     client abort\n\
                     wait 1s\n\
                     server recv\n\
                     server send \"late\"\n\
                     server recv\n\
                     server close\n\
                     server close\n";

fn send_late() -> Call {
    Call::Send(SendData::Text(b"late".to_vec()))
}

/// RFC 9293 3.10.7.4: "connection reset" once; then 3.10.2/3.10.3/3.10.4 in
/// CLOSED: "connection does not exist"; a second close: "connection closing".
#[test]
fn rfc_reset_is_reported_once_then_the_connection_does_not_exist() {
    let rec = simulate(RESET);
    let recv = results(&rec, Side::Server, &Call::Recv(RecvMax::Any));
    assert_eq!(
        recv,
        [
            CallResult::Failed(Failure::Reset),
            CallResult::Failed(Failure::NotConnected)
        ],
        "{}",
        dump(&rec)
    );
    assert_eq!(
        results(&rec, Side::Server, &send_late()),
        [CallResult::Failed(Failure::NotConnected)]
    );
    assert_eq!(
        results(&rec, Side::Server, &Call::Close),
        [
            CallResult::Failed(Failure::NotConnected),
            CallResult::Failed(Failure::Closing)
        ]
    );
}

/// Linux: ECONNRESET once, then `recv` reads end of stream, `send` fails
/// with EPIPE, `close` succeeds and a call on the closed descriptor is EBADF;
/// every error by its errno.
#[test]
fn linux_reset_is_econnreset_once_then_eof_epipe_and_ebadf() {
    let rec = simulate(&format!("profile linux\n{RESET}"));
    let recv = results(&rec, Side::Server, &Call::Recv(RecvMax::Any));
    assert_eq!(
        recv,
        [
            CallResult::Failed(Failure::Errno(errno::ECONNRESET)),
            CallResult::EndOfStream
        ],
        "{}",
        dump(&rec)
    );
    assert_eq!(
        results(&rec, Side::Server, &send_late()),
        [CallResult::Failed(Failure::Errno(errno::EPIPE))]
    );
    assert_eq!(
        results(&rec, Side::Server, &Call::Close),
        [
            CallResult::Ok,
            CallResult::Failed(Failure::Errno(errno::EBADF))
        ]
    );
}

/// A second `close()` without a reset: RFC 9293 3.10.4 "error: connection
/// closing"; Linux EBADF; and `send` after `close`: the same.
#[test]
fn a_second_close_is_an_error_in_both_profiles() {
    let base = "server listen 8080\nclient connect\nserver accept\nclient close\nclient close\nclient send \"x\"\n";
    let rec = simulate(base);
    assert_eq!(
        results(&rec, Side::Client, &Call::Close),
        [CallResult::Ok, CallResult::Failed(Failure::Closing)]
    );
    let rec = simulate(&format!("profile linux\n{base}"));
    let ebadf = CallResult::Failed(Failure::Errno(errno::EBADF));
    assert_eq!(
        results(&rec, Side::Client, &Call::Close),
        [CallResult::Ok, ebadf.clone()]
    );
    assert_eq!(
        results(
            &rec,
            Side::Client,
            &Call::Send(SendData::Text(b"x".to_vec()))
        ),
        [ebadf]
    );
}

/// `recv` after the side's own `close` is a scenario mistake, reported at
/// its line and column, not a socket error ("would block forever").
#[test]
fn recv_after_own_close_is_a_scenario_mistake() {
    let err = parse(
        "t.tcp",
        "server listen 8080\nclient connect\nserver accept\nclient close\nwait 1s\n  client recv\n",
    )
    .expect_err("recv after close is refused");
    assert_eq!(
        err.to_string(),
        "t.tcp:6:3: \"client recv\" after the client closed its socket (on line 4): close() gives the socket up, so there is nothing to read from; to send FIN and keep reading, use \"client shutdown\" instead of \"client close\""
    );
    let err = parse("t.tcp", "server listen 1\nserver abort & server recv\n").unwrap_err();
    assert!(
        err.to_string().starts_with(
            "t.tcp:2:16: \"server recv\" after the server closed its socket (on this line)"
        ),
        "{err}"
    );
    // A new socket (listen or connect) may read again.
    parse(
        "t.tcp",
        "server listen 1\nserver close\nserver listen 1\nserver recv\n",
    )
    .expect("a new socket reads");
    // `shutdown` keeps the receive side open.
    parse("t.tcp", "server listen 1\nserver shutdown\nserver recv\n")
        .expect("shutdown keeps reading");
}
