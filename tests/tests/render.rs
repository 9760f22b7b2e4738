//! The text and JSON renderers on hand-built transcripts covering every kind
//! of event. Snapshots are named after what they show.

use insta::assert_snapshot;
use synack::render::{Header, JsonRenderer, TextRenderer};
use synack_sim::profile::ProfileName;
use synack_sim::transcript::{ConnInfo, OwnedEvent, Sink};
use synack_tests::{capture, echo_with_faults};

fn sim_header() -> Header {
    Header {
        what: "scenario echo".into(),
        profile: Some(ProfileName::Rfc),
        rtt_us: Some(20_000),
        mss: Some(1460),
        seed: Some(7),
        capture: false,
        extra: Vec::new(),
    }
}

/// Feeds `events` into `sink`, starting each connection of `conns` before
/// its first event, then finishes.
fn feed(sink: &mut dyn Sink, conns: &[ConnInfo], events: &[OwnedEvent]) {
    let mut begun = Vec::new();
    for ev in events {
        if let Some(info) = conns.iter().find(|c| c.conn == ev.conn) {
            if !begun.contains(&info.conn) {
                begun.push(info.conn);
                sink.begin_conn(info)
                    .expect("rendering into memory cannot fail");
            }
        }
        sink.event(&ev.as_event())
            .expect("rendering into memory cannot fail");
    }
    sink.finish().expect("rendering into memory cannot fail");
}

fn text(header: Header, color: bool, conns: &[ConnInfo], events: &[OwnedEvent]) -> String {
    let mut r = TextRenderer::new(Vec::new(), header, color);
    feed(&mut r, conns, events);
    String::from_utf8(r.into_inner()).expect("the text transcript is UTF-8")
}

fn json(conns: &[ConnInfo], events: &[OwnedEvent]) -> String {
    let mut r = JsonRenderer::new(Vec::new());
    feed(&mut r, conns, events);
    String::from_utf8(r.into_inner()).expect("JSON is UTF-8")
}

/// Removes ANSI SGR sequences.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\x1b' {
            for d in it.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn text_echo_with_drop_retransmission_duplicate() {
    let out = text(sim_header(), false, &[], &echo_with_faults());
    assert_snapshot!("text_echo_with_drop_retransmission_duplicate", out);
}

#[test]
fn text_capture_with_frames_and_connections() {
    let (conns, events) = capture();
    let header = Header {
        what: "file two-conns.pcap".into(),
        capture: true,
        ..Header::default()
    };
    let out = text(header, false, &conns, &events);
    assert_snapshot!("text_capture_with_frames_and_connections", out);
}

#[test]
fn text_without_events_still_says_what_ran() {
    let out = text(sim_header(), false, &[], &[]);
    assert_snapshot!("text_empty_run_header_only", out);
}

#[test]
fn text_colour_changes_nothing_but_escapes() {
    let events = echo_with_faults();
    let plain = text(sim_header(), false, &[], &events);
    let coloured = text(sim_header(), true, &[], &events);
    assert_ne!(plain, coloured, "colour was asked for but none was added");
    assert_eq!(strip_ansi(&coloured), plain);
    // dropped red, retransmission yellow, state changes bold.
    assert!(coloured.contains("\x1b[1;31m✗"), "{coloured}");
    assert!(coloured.contains("\x1b[33m[retransmission]"), "{coloured}");
    assert!(
        coloured.contains("\x1b[1;36mCLOSED → SYN-SENT"),
        "{coloured}"
    );
    assert!(coloured.contains("\x1b[1;35mCLOSED → LISTEN"), "{coloured}");
}

#[test]
fn text_one_line_per_event_columns_aligned() {
    let events = echo_with_faults();
    let out = text(sim_header(), false, &[], &events);
    let lines: Vec<&str> = out.lines().collect();
    // header, blank, column titles, then one line per event.
    assert_eq!(lines.len(), 3 + events.len());
    let server_col = lines[2].chars().position(|c| c == 's').unwrap_or(0);
    for l in &lines[3..] {
        // every client→server arrow ends just before the gap to the server column
        if let Some(end) = l.chars().position(|c| c == '▶') {
            assert_eq!(end + 3, server_col, "{l}");
        }
        // every time has its decimal point in the same place
        assert_eq!(l.chars().nth(4), Some('.'), "{l}");
    }
}

#[test]
fn json_echo_with_drop_retransmission_duplicate() {
    let out = json(&[], &echo_with_faults());
    assert_snapshot!("json_echo_with_drop_retransmission_duplicate", out);
}

#[test]
fn json_capture_with_frames_and_connections() {
    let (conns, events) = capture();
    let out = json(&conns, &events);
    assert_snapshot!("json_capture_with_frames_and_connections", out);
}

/// The keys a line of `kind` has, in contract order.
fn contract_keys(kind: &str, with_conn: bool, with_endpoint: bool) -> Vec<&'static str> {
    let mut keys = vec!["kind", "t_us"];
    if with_conn {
        keys.push("conn");
    }
    keys.extend_from_slice(match kind {
        "segment" => &[
            "dir", "flags", "seq", "ack", "rel_seq", "rel_ack", "len", "win", "fate", "analysis",
            "frame", "id",
        ][..],
        "state" => &["endpoint", "from", "to", "source"][..],
        "app" => &["endpoint", "call", "result"][..],
        "timer" => &["endpoint", "timer", "after_us", "rto_us"][..],
        "note" if with_endpoint => &["endpoint", "text"][..],
        "note" => &["text"][..],
        _ => &[][..],
    });
    keys
}

#[test]
fn json_every_line_parses_with_keys_in_contract_order() {
    let (conns, capture_events) = capture();
    for (conns, events) in [(&[][..], echo_with_faults()), (&conns[..], capture_events)] {
        let out = json(conns, &events);
        assert_eq!(out.lines().count(), events.len(), "one line per event");
        for line in out.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
            let obj = v.as_object().expect("each line is an object");
            let kind = obj["kind"].as_str().expect("kind is a string");
            let want = contract_keys(kind, obj.contains_key("conn"), obj.contains_key("endpoint"));
            let mut got: Vec<(usize, &str)> = obj
                .keys()
                .map(|k| {
                    (
                        line.find(&format!("\"{k}\":")).unwrap_or(usize::MAX),
                        k.as_str(),
                    )
                })
                .collect();
            got.sort();
            let got: Vec<&str> = got.into_iter().map(|(_, k)| k).collect();
            assert_eq!(got, want, "{line}");
        }
    }
}

#[test]
fn json_segment_fields_match_the_event() {
    let out = json(&[], &echo_with_faults());
    let first: serde_json::Value =
        serde_json::from_str(out.lines().find(|l| l.contains("segment")).unwrap_or(""))
            .expect("a segment line");
    assert_eq!(first["dir"], "client->server");
    assert_eq!(first["flags"], "SYN");
    assert_eq!(first["seq"], synack_tests::CLIENT_ISN);
    assert_eq!(first["ack"], serde_json::Value::Null);
    assert_eq!(first["rel_ack"], serde_json::Value::Null);
    assert_eq!(first["rel_seq"], 0);
    assert_eq!(first["fate"], "delivered");
    assert_eq!(first["analysis"], serde_json::json!([]));
    assert_eq!(first["frame"], serde_json::Value::Null);
    let retrans = out
        .lines()
        .find(|l| l.contains("retransmission"))
        .expect("a retransmission");
    let v: serde_json::Value = serde_json::from_str(retrans).expect("JSON");
    // ack wraps: the server's ISN + 1
    assert_eq!(v["ack"], synack_tests::SERVER_ISN + 1);
    assert_eq!(v["len"], 7);
    assert_eq!(v["analysis"], serde_json::json!(["retransmission"]));
}

mod props {
    use super::*;
    use proptest::prelude::*;
    use synack::render::words::{CallText, NoteText, ResultText};
    use synack_sim::calls::{Call, CallResult, Received, SendData};
    use synack_sim::transcript::{Event, EventKind, Note, Side};

    proptest! {
        /// Any bytes sent or received survive JSON escaping as the words of
        /// the call, and the text renderer keeps them on one line.
        #[test]
        fn any_app_bytes_stay_one_line(sent in any::<Vec<u8>>(), got in any::<Vec<u8>>(), t in any::<u64>()) {
            let call = Call::Send(SendData::Text(sent));
            let result = CallResult::Data(Received::of(&got));
            let ev = Event { t_us: t, conn: None, kind: EventKind::App { endpoint: Side::Server, call: &call, result: &result } };
            let mut j = JsonRenderer::new(Vec::new());
            prop_assert!(j.event(&ev).is_ok());
            let out = j.into_inner();
            let v: serde_json::Value = serde_json::from_slice(&out).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let (cw, rw) = (CallText(&call).to_string(), ResultText(&result).to_string());
            prop_assert_eq!(v["call"].as_str(), Some(cw.as_str()));
            prop_assert_eq!(v["result"].as_str(), Some(rw.as_str()));
            prop_assert_eq!(v["t_us"].as_u64(), Some(t));
            let mut r = TextRenderer::new(Vec::new(), Header::default(), false);
            prop_assert!(r.event(&ev).is_ok());
            let text = String::from_utf8(r.into_inner()).unwrap_or_default();
            // header, blank, titles, the event
            prop_assert_eq!(text.lines().count(), 4);
        }

        /// Any note text survives JSON and stays on one line of text.
        #[test]
        fn any_note_stays_one_line(text in any::<String>()) {
            let note = Note::Text(text.clone());
            let ev = Event { t_us: 0, conn: None, kind: EventKind::Note(&note) };
            let mut j = JsonRenderer::new(Vec::new());
            prop_assert!(j.event(&ev).is_ok());
            let v: serde_json::Value = serde_json::from_slice(&j.into_inner()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let nw = NoteText(&note).to_string();
            prop_assert_eq!(v["text"].as_str(), Some(nw.as_str()));
            let mut r = TextRenderer::new(Vec::new(), Header::default(), false);
            prop_assert!(r.event(&ev).is_ok());
            prop_assert_eq!(String::from_utf8(r.into_inner()).unwrap_or_default().lines().count(), 4);
        }
    }
}

/// `src` run as a scenario with the default options, as text (no colour) and as JSON.
fn run_source(src: &str) -> (String, String) {
    use synack::cmd::sim::header;
    use synack_sim::world::{run, RunOptions};
    let sc = synack_sim::scenario::parse("t.tcp", src).expect("the scenario parses");
    let opts = RunOptions::default();
    let mut text = Vec::new();
    {
        let mut sink = TextRenderer::new(&mut text, header(&sc, &opts.apply(&sc.settings)), false);
        run(&sc, &opts, &mut sink).expect("rendering into memory");
        sink.finish().expect("rendering into memory");
    }
    let mut json = Vec::new();
    {
        let mut sink = JsonRenderer::new(&mut json);
        run(&sc, &opts, &mut sink).expect("rendering into memory");
        sink.finish().expect("rendering into memory");
    }
    (
        String::from_utf8(text).expect("text transcripts are UTF-8"),
        String::from_utf8(json).expect("JSON is UTF-8"),
    )
}

/// Issue 14, 6: UTF-8 payloads print as text, in the call, the segment and
/// the result, in text and in JSON; bytes that are not UTF-8 and control
/// characters stay escaped.
#[test]
fn utf8_payloads_print_as_text() {
    let (text, json) = run_source(
        "server listen 7\nclient connect\nserver accept\nclient send \"héllo\"\nserver recv\nclient send \"h\\xc3\\x01\"\nserver recv\n",
    );
    assert!(text.contains("send(\"héllo\")"), "{text}");
    assert!(text.contains("len=6 win=65535 \"héllo\""), "{text}");
    assert!(text.contains("\"héllo\" (6 bytes)"), "{text}");
    assert!(text.contains("\"h\\xc3\\x01\" (3 bytes)"), "{text}");
    assert!(!text.contains("\\xa9"), "{text}");
    assert!(json.contains(r#""call":"send(\"héllo\")""#), "{json}");
    assert!(json.contains(r#""result":"\"héllo\" (6 bytes)""#), "{json}");
    assert!(
        json.contains(r#""result":"\"h\\xc3\\x01\" (3 bytes)""#),
        "{json}"
    );
}

/// The time column of a transcript's lines (text before the client's column).
fn time_column(text: &str) -> Vec<&str> {
    text.lines()
        .skip(3)
        .filter_map(|l| l.get(..11))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect()
}

/// Issue 14, 6: one time precision per column, whatever the rtt: with a
/// 300 µs rtt every line shows microseconds (0.000000, not 0.000 next to
/// 0.000150); with 20 ms every line shows milliseconds.
#[test]
fn one_time_precision_per_column() {
    let scenario = |rtt: &str| {
        format!("rtt {rtt}\nserver listen 7\nclient connect\nserver accept\nclient send \"hi\"\nserver recv\n")
    };
    let (fine, _) = run_source(&scenario("300us"));
    let times = time_column(&fine);
    assert!(times.len() >= 5, "{fine}");
    assert!(times.contains(&"0.000150"), "{fine}");
    for t in &times {
        assert_eq!(t.split('.').nth(1).map(str::len), Some(6), "{t} in\n{fine}");
    }
    let (coarse, _) = run_source(&scenario("20ms"));
    let times = time_column(&coarse);
    assert!(times.len() >= 5, "{coarse}");
    for t in &times {
        assert_eq!(
            t.split('.').nth(1).map(str::len),
            Some(3),
            "{t} in\n{coarse}"
        );
    }
}

/// Issue 14, 6: `synack sim --absolute` shows raw sequence numbers in text,
/// so a wraparound can be watched; without it they stay relative; a picture
/// format refuses the flag with a usage error (exit 2).
#[test]
fn absolute_shows_raw_sequence_numbers_across_a_wraparound() {
    use std::process::Command;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("wrap.tcp");
    std::fs::write(
        &path,
        "isn client 4294967290\nisn server 7\nserver listen 7\nclient connect\nserver accept\nclient send \"0123456789\"\nserver recv\n",
    )
    .expect("write the scenario");
    let sim = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_synack-cli"))
            .arg("sim")
            .arg(&path)
            .args(extra)
            .output()
            .expect("synack runs")
    };
    let abs = sim(&["--absolute"]);
    assert!(abs.status.success(), "{abs:?}");
    let text = String::from_utf8(abs.stdout).expect("UTF-8");
    assert!(text.contains("SYN seq=4294967290 len=0"), "{text}");
    assert!(text.contains("SYN,ACK seq=7 ack=4294967291"), "{text}");
    assert!(text.contains("seq=4294967291 ack=8 len=10"), "{text}");
    // The ACK of the ten bytes acknowledges past 2^32: 4294967291 + 10 - 2^32.
    assert!(text.contains("ACK seq=8 ack=5 len=0"), "{text}");
    let rel = sim(&[]);
    let text = String::from_utf8(rel.stdout).expect("UTF-8");
    assert!(text.contains("seq=1 ack=1 len=10"), "{text}");
    assert!(!text.contains("4294967"), "{text}");
    let svg = sim(&["--absolute", "--format", "svg"]);
    assert_eq!(svg.status.code(), Some(2), "{svg:?}");
    assert!(
        String::from_utf8_lossy(&svg.stderr).contains("--absolute"),
        "{svg:?}"
    );
}

/// Issue 14, 5: the legend says a segment's time is its send time and that
/// it arrives rtt/2 later, and the transcript bears it out: the SYN sent at
/// 0.000 moves the server to SYN-RECEIVED at 0.010 (rtt 20 ms).
#[test]
fn the_legend_says_a_segment_is_timed_when_sent_and_arrives_rtt_over_2_later() {
    for legend in [synack::cmd::demo::LEGEND, synack::cmd::demo::COMPARE_LEGEND] {
        let flat = legend.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains("a segment's time is when it was sent")
                && flat.contains("it arrives rtt/2 later"),
            "{legend}"
        );
    }
    let (text, _) = run_source("rtt 20ms\nserver listen 7\nclient connect\n");
    let at = |what: &str| {
        text.lines()
            .find(|l| l.contains(what))
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_else(|| panic!("no {what} in\n{text}"))
            .to_string()
    };
    assert_eq!(at("── SYN seq=0"), "0.000");
    assert_eq!(at("LISTEN → SYN-RECEIVED"), "0.010");
}

/// Issue 14, 5: Wireshark's `[keep-alive]` on a 1-byte retransmission and a
/// zero-window probe's payload byte each get a footnote, once, right after
/// the segment, in text and in JSON.
#[test]
fn keep_alive_and_probe_bytes_get_a_footnote() {
    let (text, json) = run_source(
        "drop client->server data #1\nserver listen 8080\nclient connect\nserver accept\nclient send \"p\"\nserver recv\nclient send \"q\"\nserver recv\n",
    );
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("\"p\"") && l.contains("[keep-alive]"))
        .unwrap_or_else(|| panic!("no [keep-alive] retransmission in\n{text}"));
    assert!(
        lines[at + 1].contains(
            "— the client's [keep-alive]: Wireshark's name for any segment of at most 1 byte"
        ),
        "{text}"
    );
    assert_eq!(
        text.matches("the client's [keep-alive]:").count(),
        1,
        "{text}"
    );
    assert!(
        json.contains(r#""endpoint":"client","text":"the client's [keep-alive]: "#),
        "{json}"
    );

    let bulk = synack_sim::scenario::builtin::find("bulk").expect("bulk is built in");
    let (text, _) = run_source(bulk.text);
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("[zero window probe]"))
        .unwrap_or_else(|| panic!("no zero-window probe in\n{text}"));
    assert!(
        lines[at + 1].contains("zero-window probe carries the next byte of the stream")
            && lines[at + 1].contains("not a mark meaning \"probe\""),
        "{text}"
    );
    assert_eq!(
        text.matches("zero-window probe carries").count(),
        1,
        "{text}"
    );
}

/// Issue 14, 4: a run that ends in TIME-WAIT says how long TIME-WAIT lasts
/// in its profile: 2*MSL (rfc), Linux's fixed 60 s (linux), and the timer
/// that ends it says the same.
#[test]
fn time_wait_says_its_length_in_each_profile() {
    let echo = synack_sim::scenario::builtin::find("echo").expect("echo is built in");
    let (rfc, _) = run_source(echo.text);
    assert!(
        rfc.contains("client stays in TIME-WAIT until 240.070 s (2*MSL)"),
        "{rfc}"
    );
    let (linux, json) = run_source(&format!("profile linux\n{}", echo.text));
    assert!(
        linux.contains("(Linux's fixed 60 s, TCP_TIMEWAIT_LEN); a `wait` would show it close"),
        "{linux}"
    );
    assert!(!linux.contains("2*MSL"), "{linux}");
    assert!(json.contains("TCP_TIMEWAIT_LEN"), "{json}");
    let (waited, _) = run_source(&format!("profile linux\n{}\nwait 2min\n", echo.text));
    assert!(
        waited.contains(
            "⏰ time-wait timer fired after 60 s (Linux's fixed TIME-WAIT, TCP_TIMEWAIT_LEN)"
        ),
        "{waited}"
    );
}

/// Issue 14, 4: Linux's linear SYN timeouts get a note, and the `lost-syn`
/// summary is true in both profiles: SYNs at 0, 1 and 3 s (rfc), at 0, 1 and
/// 2 s (linux).
#[test]
fn lost_syn_is_true_in_both_profiles() {
    let b = synack_sim::scenario::builtin::find("lost-syn").expect("lost-syn is built in");
    assert!(
        b.summary.contains("1 s, then 2 s") && b.summary.contains("linux: 1 s again"),
        "{}",
        b.summary
    );
    let syn_times = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.contains("── SYN seq="))
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .collect()
    };
    let (rfc, _) = run_source(b.text);
    assert_eq!(syn_times(&rfc), ["0.000", "1.000", "3.000"], "{rfc}");
    assert!(!rfc.contains("linear SYN timeouts"), "{rfc}");
    let (linux, _) = run_source(&format!("profile linux\n{}", b.text));
    assert_eq!(syn_times(&linux), ["0.000", "1.000", "2.000"], "{linux}");
    assert_eq!(
        linux
            .matches("the client's first 4 SYN retransmissions wait the initial RTO")
            .count(),
        1,
        "{linux}"
    );
}

/// Issue 14, 4: a send Nagle holds back says so, right after the call.
#[test]
fn nagle_holding_a_send_is_noted() {
    let (text, json) = run_source(
        "server listen 7\nclient connect\nserver accept\nclient send \"AAA\"\nclient send \"BB\"\nserver recv\n",
    );
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("send(\"BB\") → ok"))
        .unwrap_or_else(|| panic!("no second send in\n{text}"));
    assert!(
        lines[at + 1].contains(
            "— held by Nagle: the client holds back 2 bytes until all its data in flight is ACKed"
        ),
        "{text}"
    );
    assert_eq!(text.matches("held by Nagle").count(), 1, "{text}");
    assert!(
        json.contains(r#""endpoint":"client","text":"held by Nagle: "#),
        "{json}"
    );
}

/// Issue 14, 4: a delayed ACK (linux profile) is noted the first time a side
/// delays one; the rfc profile, which ACKs at once, has no such note. Linux
/// ACKs a connection's first data at once (quick-ack mode) and delays the
/// ACK of a FIN that follows data (pingpong mode, `tcp_fin()`).
#[test]
fn a_delayed_ack_is_noted_once() {
    let src = "server listen 7\nclient connect\nserver accept\nclient send \"a\"\nserver recv\nclient shutdown\nserver recv\nserver send \"b\"\nclient recv\nwait 100ms\nclient send \"c\"\nserver recv\n";
    let (linux, json) = run_source(&format!("profile linux\n{src}"));
    assert_eq!(
        linux.matches("— the server delays its ACK: up to 40 ms for data to carry it, or until more than a full segment has come while its window would not shrink (RFC 1122 4.2.3.2; Linux __tcp_ack_snd_check())").count(),
        1,
        "{linux}"
    );
    assert!(
        json.contains(r#""endpoint":"server","text":"the server delays its ACK"#),
        "{json}"
    );
    let (rfc, _) = run_source(src);
    assert!(!rfc.contains("delays its ACK"), "{rfc}");
}

/// Issue 14, 7: the delayed-ACK note is not contradicted a line later:
/// the ACK it announces comes when the timer fires; and when the reader's
/// recv sends the delayed ACK in its window update, a note says so right
/// after that ACK.
#[test]
fn a_delayed_ack_note_is_not_contradicted() {
    let (linux, _) = run_source(
        "profile linux\nserver listen 7\nclient connect\nserver accept\nclient send \"req\"\nclient shutdown\nserver recv\nserver recv\n",
    );
    // The data is ACKed at once (quick-ack mode), the FIN's ACK waits
    // (pingpong mode): it comes when the delayed-ACK timer fires.
    let lines: Vec<&str> = linux.lines().collect();
    let note = lines
        .iter()
        .position(|l| l.contains("— the server delays its ACK"))
        .unwrap_or_else(|| panic!("no delayed-ACK note in\n{linux}"));
    let fin_ack = lines
        .iter()
        .position(|l| l.contains("◀─") && l.contains("ack=5 len=0"))
        .unwrap_or_else(|| panic!("no ACK of the FIN in\n{linux}"));
    assert!(
        lines[note..fin_ack]
            .iter()
            .any(|l| l.contains("delayed-ACK timer fired")),
        "the FIN's ACK comes when the timer fires:\n{linux}"
    );
    // Past the 16 quick ACKs the server delays its ACK; its recv, reading
    // what came, sends the window update that carries it at once.
    let bulk = "server listen 7\nclient connect\nserver accept\nclient send 40000 bytes\nserver recv all\n";
    let (linux, json) = run_source(&format!("profile linux\n{bulk}"));
    let lines: Vec<&str> = linux.lines().collect();
    let delays = lines
        .iter()
        .position(|l| l.contains("— the server delays its ACK"))
        .unwrap_or_else(|| panic!("no delayed-ACK note in\n{linux}"));
    let ack = delays
        + lines[delays..]
            .iter()
            .position(|l| l.contains("◀─") && l.contains("ACK seq=1"))
            .unwrap_or_else(|| panic!("no ACK after the note in\n{linux}"));
    assert!(
        lines[ack + 1].contains(
            "— the server's recv read that data and opened its receive window: the window update carries the delayed ACK at once (RFC 9293 3.8.6.2.2)"
        ),
        "{linux}"
    );
    assert_eq!(linux.matches("the server's recv read that data").count(), 1);
    assert!(
        json.contains(r#""endpoint":"server","text":"the server's recv read that data"#),
        "{json}"
    );
    let (rfc, _) = run_source(bulk);
    assert!(!rfc.contains("recv read that data"), "{rfc}");
}

/// Issue 14, 7: when the persist timer sends data rather than a probe byte
/// (bulk: the window's last 1295 bytes), a note says why they waited for
/// it, right after that segment, once.
#[test]
fn data_a_persist_timer_forces_out_is_explained() {
    let bulk = synack_sim::scenario::builtin::find("bulk").expect("bulk is built in");
    let (text, json) = run_source(bulk.text);
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("len=1295") && l.contains("──▶"))
        .unwrap_or_else(|| panic!("no 1295-byte segment in\n{text}"));
    assert!(lines[at - 1].contains("⏰ persist timer fired"), "{text}");
    assert!(
        lines[at + 1].contains(
            "— the client's persist timer sends the 1295 bytes the window had room for: less than a full segment, so sender silly-window avoidance held them back until this timeout (RFC 9293 3.8.6.2.1)"
        ),
        "{text}"
    );
    assert_eq!(text.matches("persist timer sends").count(), 1, "{text}");
    assert!(
        json.contains(r#""endpoint":"client","text":"the client's persist timer sends"#),
        "{json}"
    );
}

/// Issue 14, 3 and 7: in `abort`, the dead client's RST (its answer to the
/// server's late ACK) is sent at 0.050, as the first RST reaches the
/// server; it arrives at 0.060, where a note says the server drops it. It
/// did not close the server.
#[test]
fn the_second_rst_of_abort_arrives_after_the_server_closed() {
    let abort = synack_sim::scenario::builtin::find("abort").expect("abort is built in");
    let (text, json) = run_source(abort.text);
    let at = |what: &str| {
        text.lines()
            .position(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no {what} in\n{text}"))
    };
    let dropped = at("— the server has no connection on port 8080: it drops the client's RST, which is never answered (RFC 9293 3.10.7.1)");
    assert!(
        text.lines()
            .nth(dropped)
            .is_some_and(|l| l.starts_with("   0.060")),
        "{text}"
    );
    assert!(dropped > at("server CLOSED: ok"), "{text}");
    assert!(json.contains(r#""text":"the server has no connection on port 8080: it drops"#));
}
