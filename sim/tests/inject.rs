//! The `inject` statement (docs/scenario-language.md, "inject"): its parse,
//! its errors with file:line:col, and the segment the world builds and
//! delivers at once with fate "injected".

use synack_sim::scenario::{parse, Action, Inject, InjectPayload, SeqValue};
use synack_sim::transcript::{EventKind, Fate, Recorder};
use synack_sim::world::{run, RunOptions, RunOutcome};
use synack_sim::{Dir, Flags};

#[track_caller]
fn err(text: &str) -> String {
    match parse("t.tcp", text) {
        Ok(s) => panic!("expected an error, parsed {s:?}"),
        Err(e) => e.to_string(),
    }
}

#[track_caller]
fn one(line: &str) -> Inject {
    let s = parse("t.tcp", line).unwrap_or_else(|e| panic!("{e}"));
    match s.steps.first().and_then(|st| st.actions.first()) {
        Some(Action::Inject(i)) => i.clone(),
        other => panic!("not an inject: {other:?}"),
    }
}

#[test]
fn parses_every_form_of_the_design() {
    let i = one("inject client->server RST");
    assert_eq!(
        (i.dir, i.flags, i.seq, i.ack, i.win),
        (Dir::ClientToServer, Flags::RST, None, None, None)
    );
    assert_eq!(i.payload, InjectPayload::None);
    assert_eq!(i.col, 1);
    let i = one("inject client->server RST seq=+100");
    assert_eq!(i.seq, Some(SeqValue::Offset(100)));
    assert_eq!(i.seq_col, Some(27));
    let i = one("inject server->client ACK ack=5 win=0");
    assert_eq!(
        (i.dir, i.ack, i.win),
        (Dir::ServerToClient, Some(SeqValue::Plain(5)), Some(0))
    );
    let i = one("inject client->server PSH,ACK \"hello\" seq=-5");
    assert_eq!(i.flags, Flags::PSH | Flags::ACK);
    assert_eq!(i.payload, InjectPayload::Text(b"hello".to_vec()));
    assert_eq!(i.seq, Some(SeqValue::Offset(-5)));
    let i = one("inject server->client fin,ack len=100 seq=4294967295");
    assert_eq!(i.flags, Flags::FIN | Flags::ACK);
    assert_eq!(i.payload, InjectPayload::Len(100));
    assert_eq!(i.seq, Some(SeqValue::Plain(u32::MAX)));
    // Joined with other actions, and followed by a comment.
    let s = parse(
        "t.tcp",
        "inject client->server RST & expect server CLOSED # x\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.steps[0].actions.len(), 2);
}

#[test]
fn every_bad_form_names_line_and_column() {
    for (text, want) in [
        ("inject", "t.tcp:1:7: expected a direction like client->server, found the end of the line"),
        ("inject client RST", "t.tcp:1:8: expected a direction like client->server, found \"client\""),
        ("inject client->server", "t.tcp:1:22: expected the segment's flags like ACK, RST or PSH,ACK, found the end of the line"),
        ("inject client->server seq=1", "t.tcp:1:23: expected the segment's flags like ACK, RST or PSH,ACK before \"seq=1\""),
        ("inject client->server ACKK", "t.tcp:1:23: unknown flag \"ACKK\"; expected one of: SYN, FIN, RST, PSH, ACK, URG, ECE, CWR; did you mean \"ACK\"?"),
        ("inject client->server PSH,", "t.tcp:1:27: expected the segment's flags like ACK, RST or PSH,ACK, found the end of the line"),
        ("inject client->server ACK,ack", "t.tcp:1:27: the flag ACK is given twice"),
        ("inject client->server ACK sqe=1", "t.tcp:1:27: unknown field \"sqe\" of inject; expected one of: seq, ack, win, len; did you mean \"seq\"?"),
        ("inject client->server ACK seq", "t.tcp:1:27: expected seq=V, ack=V, win=N, len=N, a quoted payload, \"&\" or the end of the line, found \"seq\"; did you mean \"seq\"?"),
        ("inject client->server ACK seq=", "t.tcp:1:31: expected a number after \"seq=\", like seq=+100, seq=-5 or seq=1000"),
        ("inject client->server ACK seq=x1", "t.tcp:1:31: expected a number like seq=+100, seq=-5 or seq=1000, found \"x1\""),
        ("inject client->server ACK ack=+", "t.tcp:1:31: expected a number like ack=+100, ack=-5 or ack=1000, found \"+\""),
        ("inject client->server ACK seq=4294967296", "t.tcp:1:31: seq must fit in 32 bits (at most 4294967295), found \"4294967296\""),
        ("inject client->server ACK seq=1 seq=2", "t.tcp:1:33: \"seq\" is given twice"),
        ("inject client->server ACK win=-1", "t.tcp:1:31: expected a byte count (0..=1073725440) after \"win=\", found \"-1\""),
        ("inject client->server ACK win=1073725441", "t.tcp:1:31: win must be between 0 and 1073725440, found \"1073725441\""),
        ("inject client->server ACK len=0", "t.tcp:1:31: len must be between 1 and 65535, found \"0\""),
        ("inject client->server ACK len=5 \"hi\"", "t.tcp:1:33: the payload is given twice: use either len=N or one \"text\""),
        ("inject client->server ACK \"hi\" len=5", "t.tcp:1:32: the payload is given twice: use either len=N or one \"text\""),
        ("inject client->server ACK \"\"", "t.tcp:1:27: an injected payload needs at least one byte, found an empty string; leave it out for a segment without data"),
        ("transport udp\ninject client->server ACK", "t.tcp:2:1: \"inject\" forges a TCP segment, and a udp scenario has no connection (transport udp)"),
        ("  injct client->server ACK", "t.tcp:1:3: unknown statement \"injct\"; expected one of: profile, rtt, mss, seed, isn, port, drop, duplicate, delay, loss, transport, client, server, wait, expect, inject; did you mean \"inject\"?"),
    ] {
        assert_eq!(err(text), want, "{text}");
    }
}

fn simulate(text: &str) -> (Recorder, RunOutcome) {
    let s = parse("t.tcp", text).unwrap_or_else(|e| panic!("{e}"));
    let mut rec = Recorder::default();
    let out = run(&s, &RunOptions::default(), &mut rec).expect("in-memory");
    (rec, out)
}

/// (id, dir, flags, raw seq, raw ack, win field, len, fate, t_us) of each segment.
type Seg = (u64, Dir, String, u32, u32, u16, u32, Fate, u64);

fn segments(rec: &Recorder) -> Vec<Seg> {
    rec.events
        .iter()
        .filter_map(|ev| match ev.as_event().kind {
            EventKind::Segment(s) => Some((
                s.id,
                s.dir,
                s.hdr.flags.names().to_string(),
                s.hdr.seq.raw(),
                s.hdr.ack.raw(),
                s.hdr.window,
                s.hdr.payload_len,
                s.fate,
                ev.t_us,
            )),
            _ => None,
        })
        .collect()
}

const OPEN: &str =
    "isn client 1000\nisn server 5000\nserver listen 80\nclient connect\nwait 100ms\n";

#[test]
fn defaults_take_the_pretended_senders_numbers() {
    let (rec, out) = simulate(&format!(
        "{OPEN}inject client->server ACK\ninject client->server ACK seq=+7 ack=-1\ninject server->client ACK seq=3 ack=2 win=1000\n"
    ));
    assert_eq!(out.error, None);
    let inj: Vec<Seg> = segments(&rec)
        .into_iter()
        .filter(|s| s.7 == Fate::Injected)
        .collect();
    assert_eq!(inj.len(), 3, "{inj:?}");
    // SND.NXT and RCV.NXT of the client: 1001 and 5001.
    assert_eq!((inj[0].3, inj[0].4), (1001, 5001));
    assert_eq!((inj[1].3, inj[1].4), (1008, 5000));
    // Plain numbers: seq relative to the server's ISN, ack to the client's.
    assert_eq!((inj[2].3, inj[2].4), (5003, 1002));
    // The window in bytes, scaled down by the server's shift.
    assert_eq!(u32::from(inj[2].5), 1000 >> ep_shift(&out, &rec));
    // Delivered at once, at the instant of their lines: connect returned at
    // 20 ms, then the wait of 100 ms.
    assert!(inj.iter().all(|s| s.8 == 120_000), "{inj:?}");
}

/// The server's receive window shift, as its SYN,ACK announced it.
fn ep_shift(_out: &RunOutcome, rec: &Recorder) -> u32 {
    rec.events
        .iter()
        .find_map(|ev| match ev.as_event().kind {
            EventKind::Segment(s) if s.hdr.flags.syn() && s.hdr.flags.ack() => {
                Some(u32::from(s.hdr.options.wscale.unwrap_or(0)))
            }
            _ => None,
        })
        .unwrap_or(0)
}

#[test]
fn the_pretended_sender_is_not_changed_and_no_rule_applies() {
    // A drop rule on every client->server segment does not touch the
    // injected one, nor count it: the first data segment after it is #1.
    let (rec, _) = simulate(&format!(
        "drop client->server rst #1\n{OPEN}inject client->server RST\nexpect server CLOSED\nexpect client ESTABLISHED\n"
    ));
    let text = format!("{:?}", segments(&rec));
    assert!(
        segments(&rec)
            .iter()
            .any(|s| s.2 == "RST" && s.7 == Fate::Injected),
        "{text}"
    );
    let (_, out) = simulate(&format!(
        "drop client->server rst #1\n{OPEN}inject client->server RST\nexpect server CLOSED\nexpect client ESTABLISHED\n"
    ));
    assert_eq!(out.failures, [], "{text}");
}

#[test]
fn a_sender_that_never_connected_needs_absolute_numbers() {
    // The client is CLOSED before any connect: no default seq.
    let (_, out) = simulate("server listen 80\ninject client->server SYN\nwait 1s\n");
    let e = out.error.expect("an error");
    assert_eq!(
        e.to_string(),
        "t.tcp:2:1: the client is CLOSED and never connected, so it has no seq to default to or offset from; give seq= as an absolute 32-bit number, like seq=1000"
    );
    let (_, out) = simulate("server listen 80\ninject client->server SYN seq=+1\n");
    assert_eq!(out.error.map(|e| (e.line, e.col)), Some((2, 27)));
    let (_, out) = simulate("server listen 80\ninject server->client ACK seq=1 ack=+1\n");
    assert_eq!(
        out.error.map(|e| e.to_string()),
        Some("t.tcp:2:33: the server is in LISTEN, so it has no ack to default to or offset from; give ack= as an absolute 32-bit number, like ack=1000".into())
    );
    // With absolute numbers, a forged SYN to a LISTEN server opens a
    // connection to nobody: the server answers SYN,ACK to the client, whose
    // CLOSED port answers RST (RFC 9293 3.10.7.1), and the server is back
    // in LISTEN (3.10.7.4).
    let (rec, out) = simulate(
        "server listen 80\ninject client->server SYN seq=777\nwait 1s\nexpect server LISTEN\n",
    );
    assert_eq!(out.error, None);
    assert_eq!(out.failures, []);
    let segs = segments(&rec);
    assert_eq!(segs[0].3, 777);
    assert_eq!(segs[1].2, "SYN,ACK");
    assert_eq!(segs[1].4, 778);
    assert_eq!(segs[2].2, "RST");
}
