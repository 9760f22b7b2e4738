//! What `synack annotate` shows for each stored capture, pinned: the text
//! transcript, the JSON Lines transcript and both summaries, rendered through
//! the library path the command uses (`Feed` + renderers, into memory).
//! And, when root, the shape of a real echo the test captures on loopback.
//!
//! One insta setting for all: ephemeral client ports become `[port]` (the
//! fixtures are real captures; regenerating them changes the ports). The live
//! capture's snapshot keeps only what is deterministic on Linux loopback:
//! directions, flags, relative numbers, lengths, analysis and states.
//! Review a changed `.snap` as you would code: it is what a student reads.

use insta::assert_snapshot;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};
use synack::render::{summary, Header, JsonRenderer, TextRenderer};
use synack_capture::Feed;
use synack_capture::{CaptureReader, LiveCapture, LiveOptions};
use synack_sim::transcript::{Event, EventKind, Note, Sink};
use synack_tests::netns::live::go_or_skip;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/captures");

/// Each stored capture, by the case it shows.
const CASES: [&str; 8] = [
    "data_lost_rto",
    "fast_retransmit",
    "keepalive",
    "port_reuse",
    "refused",
    "rst",
    "syn_lost",
    "zero_window",
];

/// The shared settings: ephemeral ports (Linux's 32768–60999) normalized.
fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(
        r"127\.0\.0\.1:(?:3[2-9]\d{3}|[45]\d{4}|60\d{3})\b",
        "127.0.0.1:[port]",
    );
    s.set_prepend_module_to_snapshot(true);
    s
}

/// Everything `synack annotate` can print for one file.
struct Annotated {
    text: String,
    json: String,
    summary_text: String,
    summary_json: String,
}

/// Annotates `path` as `synack annotate` does (no filters), into memory.
fn annotate(path: &Path, shown: &str) -> Annotated {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = Header {
        what: format!("file {shown}"),
        capture: true,
        ..Header::default()
    };
    let (mut text, mut json) = (Vec::new(), Vec::new());
    let mut feed = Feed::new();
    {
        let mut t = TextRenderer::new(&mut text, header, false);
        let mut j = JsonRenderer::new(&mut json);
        let mut both = Tee(&mut t, &mut j);
        let mut reader = CaptureReader::new(&bytes[..]).expect("a stored fixture opens");
        while let Some(next) = reader.next_record() {
            let rec = next.expect("a stored fixture reads whole");
            feed.record(&rec, &mut both).expect("rendering into memory");
        }
        let line = Note::Text(feed.stats.to_string());
        both.event(&Event {
            t_us: 0,
            conn: None,
            kind: EventKind::Note(&line),
        })
        .expect("rendering into memory");
        both.finish().expect("rendering into memory");
    }
    let conns = feed.summaries();
    let (mut st, mut sj) = (Vec::new(), Vec::new());
    summary::write_text(&mut st, &conns, &feed.stats).expect("rendering into memory");
    summary::write_json(&mut sj, &conns, &feed.stats).expect("rendering into memory");
    let s = |v: Vec<u8>| String::from_utf8(v).expect("UTF-8 output");
    Annotated {
        text: s(text),
        json: s(json),
        summary_text: s(st),
        summary_json: s(sj),
    }
}

/// Passes every event to two sinks (one observer, two renderers).
struct Tee<'a>(&'a mut dyn Sink, &'a mut dyn Sink);

impl Sink for Tee<'_> {
    fn begin_conn(&mut self, info: &synack_sim::transcript::ConnInfo) -> std::io::Result<()> {
        self.0.begin_conn(info)?;
        self.1.begin_conn(info)
    }
    fn event(&mut self, ev: &Event<'_>) -> std::io::Result<()> {
        self.0.event(ev)?;
        self.1.event(ev)
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.0.finish()?;
        self.1.finish()
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()?;
        self.1.flush()
    }
}

#[test]
fn every_fixture_has_text_json_and_summary_snapshots() {
    let settings = settings();
    for case in CASES {
        let file = format!("{case}.pcap");
        let a = annotate(&Path::new(FIXTURES).join(&file), &file);
        assert!(a.json.lines().count() > 0, "{case}: no JSON");
        settings.bind(|| {
            assert_snapshot!(format!("annotate_{case}_text"), a.text);
            assert_snapshot!(format!("annotate_{case}_json"), a.json);
            assert_snapshot!(format!("annotate_{case}_summary"), a.summary_text);
            assert_snapshot!(format!("annotate_{case}_summary_json"), a.summary_json);
        });
    }
}

#[test]
fn the_port_filter_normalizes_only_ephemeral_ports() {
    // The filter must not hide the server's port nor the fixed ports of
    // port_reuse.pcap's clients outside the ephemeral range.
    let s = settings();
    s.bind(|| {
        assert_snapshot!(
            "annotate_port_filter_examples",
            "127.0.0.1:9999 127.0.0.1:34738 127.0.0.1:60999 127.0.0.1:61000 127.0.0.1:32767"
        );
    });
}

// --- a live capture the test makes ------------------------------------------

/// The echo's segments: handshake 3, "hello" + ACK, echo + ACK, close 3.
const ECHO_SEGMENTS: usize = 10;

/// Connect, send "hello", read the echo, close (the client first).
fn echo_once(listener: TcpListener, port: u16) {
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("accept");
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf).expect("server reads hello");
        s.write_all(&buf).expect("server echoes");
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).expect("server reads to the end");
    });
    let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    c.write_all(b"hello").expect("client sends");
    let mut echo = [0u8; 5];
    c.read_exact(&mut echo).expect("client reads the echo");
    drop(c);
    server.join().expect("the echo server ends");
}

/// One line per event, without what differs from run to run (times, ports,
/// raw sequence numbers, windows): the shape of the conversation.
fn shape(json: &str) -> String {
    let mut out = String::new();
    for line in json.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON Lines");
        let s = |k: &str| v[k].as_str().unwrap_or("?").to_owned();
        let row = match v["kind"].as_str() {
            Some("segment") => format!(
                "#{} c{} {:<15} {:<8} rel_seq={} rel_ack={} len={} {} analysis={}",
                v["frame"],
                v["conn"],
                s("dir"),
                s("flags"),
                v["rel_seq"],
                v["rel_ack"],
                v["len"],
                s("fate"),
                v["analysis"]
            ),
            Some("state") => format!(
                "   c{} {} {} → {}",
                v["conn"],
                s("endpoint"),
                s("from"),
                s("to")
            ),
            _ => format!("   {}", s("kind")),
        };
        out.push_str(&row);
        out.push('\n');
    }
    out
}

#[test]
fn a_live_echo_on_loopback_annotates_the_same_every_time() {
    const TEST: &str = "a_live_echo_on_loopback_annotates_the_same_every_time";
    // SAFETY: geteuid(2) has no preconditions and cannot fail.
    let root = if unsafe { libc::geteuid() } == 0 {
        Ok(())
    } else {
        Err("not root: live capture on lo needs root (run the tests with sudo -E)".to_owned())
    };
    if !go_or_skip(TEST, root) {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("bound").port();
    // What `synack capture --port P --count 10 --format json` does, in process:
    // open (ready once this returns), then annotate each record as it comes.
    let opts = LiveOptions {
        filter: Some(format!("tcp port {port}")),
        ..LiveOptions::default()
    };
    let mut cap = match LiveCapture::open_with(&opts) {
        Ok(c) => c,
        Err(e) => {
            go_or_skip(TEST, Err(format!("cannot capture on lo: {e}")));
            return;
        }
    };
    let echo = std::thread::spawn(move || echo_once(listener, port));
    let mut json = Vec::new();
    let mut feed = Feed::new();
    let mut seen = 0;
    // A bound on waiting, so a broken capture fails instead of hanging.
    let deadline = Instant::now() + Duration::from_secs(30);
    {
        let mut sink = JsonRenderer::new(&mut json);
        while seen < ECHO_SEGMENTS && Instant::now() < deadline {
            if let Some(rec) = cap.next_record().expect("live capture reads") {
                seen += 1;
                feed.record(&rec, &mut sink).expect("rendering into memory");
            }
        }
        sink.finish().expect("rendering into memory");
    }
    echo.join().expect("the echo ends");
    let json = String::from_utf8(json).expect("UTF-8");
    assert_eq!(seen, ECHO_SEGMENTS, "captured only:\n{json}");
    settings().bind(|| {
        assert_snapshot!("annotate_live_echo_shape", shape(&json));
    });
}
