//! What `synack annotate` shows for the crafted cases of issue 12, pinned
//! (text and JSON, through the library path the command uses): TCP options
//! after unknown kinds, records over the snaplen, the same inner 4-tuple in
//! two VXLAN networks, one flow inside GRE and plain, a link type synack
//! does not decode. The crafted captures are deterministic (fixed addresses,
//! ports, numbers and times), so nothing is filtered.

use insta::assert_snapshot;
use std::path::Path;
use synack::render::{Header, JsonRenderer, TextRenderer};
use synack_capture::{CaptureReader, Feed};
use synack_sim::transcript::{ConnInfo, Event, EventKind, Note, Sink};

const WILD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/wild");

/// The text and JSON transcripts of a capture, as `synack annotate` renders them.
fn annotate(file: &str) -> (String, String) {
    let path = Path::new(WILD).join(file);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = Header {
        what: format!("file {file}"),
        capture: true,
        ..Header::default()
    };
    let (mut text, mut json) = (Vec::new(), Vec::new());
    {
        let mut t = TextRenderer::new(&mut text, header, false);
        let mut j = JsonRenderer::new(&mut json);
        let mut both = Tee(&mut t, &mut j);
        let mut feed = Feed::new();
        let mut reader = CaptureReader::new(&bytes[..]).expect("a crafted fixture opens");
        while let Some(next) = reader.next_record() {
            let rec = next.expect("a crafted fixture reads whole");
            feed.record(&rec, &mut both).expect("rendering into memory");
        }
        let line = Note::Text(feed.stats.to_string());
        both.event(&Event {
            t_us: feed.last_t_us,
            conn: None,
            kind: EventKind::Note(&line),
        })
        .expect("rendering into memory");
        both.finish().expect("rendering into memory");
    }
    let s = |v: Vec<u8>| String::from_utf8(v).expect("UTF-8 output");
    (s(text), s(json))
}

struct Tee<'a>(&'a mut dyn Sink, &'a mut dyn Sink);

impl Sink for Tee<'_> {
    fn begin_conn(&mut self, info: &ConnInfo) -> std::io::Result<()> {
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
}

#[test]
fn crafted_cases_of_issue_12() {
    for (name, file) in [
        ("wild_accecn_options", "accecn_options.pcap"),
        ("wild_over_snaplen", "over_snaplen.pcapng"),
        (
            "wild_vxlan_same_tuple_two_vnis",
            "vxlan_same_tuple_two_vnis.pcap",
        ),
        ("wild_gre_and_plain_copies", "gre_and_plain_copies.pcap"),
        ("wild_unsupported_link", "unsupported_link_user0.pcap"),
    ] {
        let (text, json) = annotate(file);
        assert_snapshot!(format!("{name}_text"), text);
        assert_snapshot!(format!("{name}_json"), json);
    }
}
