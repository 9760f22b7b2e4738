//! The pictures: every SVG parsed (the classes-and-titles contract of
//! docs/diagrams.md), the Mermaid form, and ladders side by side.

use roxmltree::{Document, Node};
use synack::cmd::sim::header;
use synack::render::diagram::{ladder, Panel};
use synack::render::{DiagramRenderer, Header, MermaidRenderer, View};
use synack_sim::scenario::builtin::builtins;
use synack_sim::transcript::{Fate, OwnedEvent, OwnedKind, Recorder, Sink};
use synack_sim::world::{run, RunOptions};
use synack_tests::echo_with_faults;

/// Runs built-in `name` and keeps its events.
fn events(name: &str) -> (Header, Vec<OwnedEvent>) {
    let b = synack_sim::scenario::builtin::find(name).expect("listed built-in");
    let sc = b.scenario().expect("built-ins parse");
    let opts = RunOptions::default();
    let mut rec = Recorder::default();
    run(&sc, &opts, &mut rec).expect("recording cannot fail");
    (header(&sc, &opts.apply(&sc.settings)), rec.events)
}

/// Renders `events` through `sink`.
fn feed(sink: &mut dyn Sink, events: &[OwnedEvent]) {
    for ev in events {
        sink.event(&ev.as_event()).expect("rendering into memory");
    }
    sink.finish().expect("rendering into memory");
}

fn svg(header: Header, view: View, events: &[OwnedEvent]) -> String {
    let mut r = DiagramRenderer::new(Vec::new(), header, view);
    feed(&mut r, events);
    String::from_utf8(r.into_inner()).expect("SVG is UTF-8")
}

fn classes<'a>(n: &Node<'a, '_>) -> Vec<&'a str> {
    n.attribute("class")
        .unwrap_or("")
        .split_whitespace()
        .collect()
}

fn title_of(n: &Node<'_, '_>) -> String {
    n.children()
        .find(|c| c.has_tag_name("title"))
        .and_then(|t| t.text())
        .unwrap_or("")
        .trim()
        .to_string()
}

/// The segment events in order, with their labels as the SVG titles say them.
fn segments(events: &[OwnedEvent]) -> Vec<(String, synack_sim::transcript::SegmentEvent<'_>)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            OwnedKind::Segment { seg, payload } => {
                let s = synack_sim::transcript::SegmentEvent {
                    payload: payload.as_slice(),
                    ..*seg
                };
                Some((ladder::segment_title(&s), s))
            }
            _ => None,
        })
        .collect()
}

/// Checks the contract on a ladder of `events`: one `g.segment` per
/// segment, in order, with the right extra classes and its label as title;
/// one `text.state` per state change, naming the new state.
fn check_ladder(name: &str, text: &str, events: &[OwnedEvent]) {
    let doc = Document::parse(text).unwrap_or_else(|e| panic!("{name}: not well-formed: {e}"));
    let root = doc.root_element();
    assert!(
        root.has_tag_name(("http://www.w3.org/2000/svg", "svg")),
        "{name}"
    );
    let groups: Vec<Node> = doc
        .descendants()
        .filter(|n| n.has_tag_name("g") && classes(n).contains(&"segment"))
        .collect();
    let want = segments(events);
    assert_eq!(
        groups.len(),
        want.len(),
        "{name}: one g.segment per segment"
    );
    for (g, (label, s)) in groups.iter().zip(&want) {
        let c = classes(g);
        assert_eq!(
            c.contains(&"dropped"),
            s.fate == Fate::Dropped,
            "{name} #{}: {c:?}",
            s.id
        );
        assert_eq!(
            c.contains(&"duplicated"),
            s.fate == Fate::Duplicated,
            "{name} #{}",
            s.id
        );
        let re = s
            .analysis
            .iter()
            .any(|f| f.name().contains("retransmission"));
        assert_eq!(c.contains(&"retransmission"), re, "{name} #{}: {c:?}", s.id);
        assert_eq!(title_of(g), format!("#{} {label}", s.id), "{name}");
    }
    let states: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text") && classes(n).contains(&"state"))
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect();
    let want: Vec<String> = events
        .iter()
        .filter_map(|e| match e.kind {
            OwnedKind::State { to, .. } => Some(to.name().to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(states, want, "{name}: one text.state per state change");
}

#[test]
fn every_builtin_ladder_keeps_the_contract() {
    for b in builtins() {
        let (h, evs) = events(b.name);
        let out = svg(h, View::default(), &evs);
        check_ladder(b.name, &out, &evs);
    }
}

#[test]
fn every_builtin_time_sequence_graph_parses_and_marks_its_segments() {
    let view = View {
        time_sequence: true,
        ..View::default()
    };
    for b in builtins() {
        let (h, evs) = events(b.name);
        let out = svg(h, view, &evs);
        let doc = Document::parse(&out).unwrap_or_else(|e| panic!("{}: {e}", b.name));
        for class in ["axes", "ack-line", "window-line", "legend"] {
            assert!(
                doc.descendants().any(|n| classes(&n).contains(&class)),
                "{}: no {class}",
                b.name
            );
        }
        for g in doc
            .descendants()
            .filter(|n| n.has_tag_name("g") && classes(n).contains(&"segment"))
        {
            assert!(
                !title_of(&g).is_empty(),
                "{}: a segment without a title",
                b.name
            );
        }
    }
}

#[test]
fn the_hand_built_echo_marks_drop_retransmission_and_duplicate() {
    let evs = echo_with_faults();
    let out = svg(Header::default(), View::default(), &evs);
    check_ladder("echo_with_faults", &out, &evs);
    let doc = Document::parse(&out).expect("well-formed");
    let has = |c: &str| {
        doc.descendants().any(|n| {
            n.has_tag_name("g") && classes(&n).contains(&"segment") && classes(&n).contains(&c)
        })
    };
    assert!(has("dropped") && has("retransmission") && has("duplicated"));
    // The dropped one ends in a cross; the timer is a mark; the idle TIME-WAIT is compressed.
    assert!(doc.descendants().any(|n| classes(&n).contains(&"cross")));
    assert!(doc.descendants().any(|n| classes(&n).contains(&"timer")));
    let gaps: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text") && classes(n).contains(&"gap"))
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect();
    assert!(gaps.iter().any(|g| g == "+239.99 s"), "{gaps:?}");
}

#[test]
fn udp_datagrams_are_arrows_of_their_own_class() {
    let (h, evs) = events("udp-echo");
    let out = svg(h, View::default(), &evs);
    let doc = Document::parse(&out).expect("well-formed");
    let dgs: Vec<(Vec<&str>, String)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("g") && classes(n).contains(&"datagram"))
        .map(|n| (classes(&n), title_of(&n)))
        .collect();
    assert_eq!(dgs.len(), 5, "{dgs:?}");
    let dropped: Vec<&String> = dgs
        .iter()
        .filter(|(c, _)| c.contains(&"dropped"))
        .map(|(_, t)| t)
        .collect();
    assert_eq!(dropped, vec!["#4 UDP 49152 → 7 len=3 \"two\" (dropped)"]);
    assert!(!doc.descendants().any(|n| classes(&n).contains(&"segment")));
}

#[test]
fn a_window_shows_only_its_events() {
    let (h, evs) = events("lost-data");
    let view = View {
        from_us: Some(1_000_000),
        to_us: Some(1_050_000),
        ..View::default()
    };
    let out = svg(h, view, &evs);
    let inside: Vec<OwnedEvent> = evs
        .iter()
        .filter(|e| view.shows(e.t_us) && !matches!(e.kind, OwnedKind::Note(_)))
        .cloned()
        .collect();
    assert!(inside.len() < evs.len() && !inside.is_empty());
    check_ladder("lost-data 1s..1.05s", &out, &inside);
}

#[test]
fn two_ladders_side_by_side_share_the_time_axis() {
    let (h, evs) = events("lost-data");
    let (_, echo) = events("echo");
    let panels = [
        Panel {
            title: "simulated",
            conn: None,
            events: &evs,
        },
        Panel {
            title: "real",
            conn: None,
            events: &echo,
        },
    ];
    let doc = ladder::ladders(&h, &panels, &View::default());
    let text = doc.to_string();
    let parsed = Document::parse(&text).expect("well-formed");
    let ladders = parsed
        .descendants()
        .filter(|n| classes(n).contains(&"ladder"))
        .count();
    assert_eq!(ladders, 2);
    let segs = parsed
        .descendants()
        .filter(|n| n.has_tag_name("g") && classes(n).contains(&"segment"))
        .count();
    assert_eq!(segs, segments(&evs).len() + segments(&echo).len());
    // One time column for both.
    let columns = parsed
        .descendants()
        .filter(|n| classes(n).contains(&"time-axis"))
        .count();
    assert_eq!(columns, 1);
}

#[test]
fn mermaid_has_one_message_per_segment_and_crosses_the_dropped() {
    for b in builtins() {
        let (_, evs) = events(b.name);
        let mut r = MermaidRenderer::new(Vec::new(), View::default());
        feed(&mut r, &evs);
        let out = String::from_utf8(r.into_inner()).expect("UTF-8");
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some("sequenceDiagram"), "{}", b.name);
        assert_eq!(lines.next(), Some("    participant client"));
        assert_eq!(lines.next(), Some("    participant server"));
        let segs = segments(&evs);
        let datagrams = evs
            .iter()
            .filter(|e| matches!(e.kind, OwnedKind::Datagram { .. }))
            .count();
        let messages: Vec<&str> = out
            .lines()
            .filter(|l| l.contains("->>") || l.contains("-x "))
            .collect();
        assert_eq!(messages.len(), segs.len() + datagrams, "{}", b.name);
        if datagrams > 0 {
            continue;
        }
        for (m, (label, s)) in messages.iter().zip(&segs) {
            let arrow = match (s.dir.sender().name(), s.fate == Fate::Dropped) {
                ("client", false) => "client->>server",
                ("client", true) => "client-x server",
                (_, false) => "server->>client",
                (_, true) => "server-x client",
            };
            assert_eq!(
                *m,
                format!(
                    "    {arrow}: {}",
                    synack::render::mermaid::mermaid_text(label)
                ),
                "{}",
                b.name
            );
        }
        let states = evs
            .iter()
            .filter(|e| matches!(e.kind, OwnedKind::State { .. }))
            .count();
        assert_eq!(
            out.lines()
                .filter(|l| l.contains("Note over") && l.contains(" → "))
                .count(),
            states,
            "{}",
            b.name
        );
        assert!(
            !out.contains(';'),
            "{}: a ';' would end a Mermaid statement",
            b.name
        );
    }
}

/// The README's pictures: `docs/img/NAME.svg` is what synack draws now,
/// and its PNG is there (docs/img/render.sh makes both).
#[test]
fn docs_images_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/img");
    for (file, name, time_sequence) in [
        ("echo", "echo", false),
        ("lost-data", "lost-data", false),
        ("bulk-loss-time-sequence", "bulk-loss", true),
    ] {
        let b = synack_sim::scenario::builtin::find(name).expect("listed built-in");
        let sc = b.scenario().expect("built-ins parse");
        let opts = RunOptions::default();
        let view = View {
            time_sequence,
            ..View::default()
        };
        // As `synack sim NAME --format svg` draws it.
        let mut r = DiagramRenderer::new(Vec::new(), header(&sc, &opts.apply(&sc.settings)), view);
        run(&sc, &opts, &mut r).expect("rendering into memory");
        let now = String::from_utf8(r.into_inner()).expect("SVG is UTF-8");
        let committed =
            std::fs::read_to_string(dir.join(format!("{file}.svg"))).unwrap_or_default();
        assert!(
            committed == now,
            "docs/img/{file}.svg is stale: synack draws it differently now. Regenerate the SVGs \
             and their PNGs with `sh docs/img/render.sh` (the PNGs need headless Chromium: \
             apt-get install -y chromium), look at the PNGs, and commit docs/img/."
        );
        let png = std::fs::read(dir.join(format!("{file}.png"))).unwrap_or_default();
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "docs/img/{file}.png is missing: run `sh docs/img/render.sh` and commit docs/img/."
        );
    }
}

/// Issue 14, 5: a timer in a picture says what it waited, in the text
/// transcript's words (one wording source), not "RTO" for every timer: the
/// ladder's label and Mermaid's note for each timer of every built-in, in
/// both profiles, are the text's line without its ⏰.
#[test]
fn pictures_label_timers_as_the_text_does() {
    use synack::render::words::TimerText;
    use synack_sim::profile::ProfileName as Profile;
    let mut kinds = std::collections::BTreeSet::new();
    // The built-ins, and a request whose FIN the linux profile ACKs late
    // (pingpong mode, `tcp_fin()`): no built-in fires a delayed-ACK timer
    // since the profile ACKs a connection's first data at once.
    let mut scenarios: Vec<(String, synack_sim::scenario::Scenario)> = builtins()
        .iter()
        .map(|b| (b.name.to_string(), b.scenario().expect("built-ins parse")))
        .collect();
    scenarios.push((
        "request".into(),
        synack_sim::scenario::parse(
            "request.tcp",
            "server listen 7\nclient connect\nserver accept\nclient send \"req\"\nclient shutdown\nserver recv\nserver recv\n",
        )
        .expect("parses"),
    ));
    for profile in [Profile::Rfc, Profile::Linux] {
        for (name, sc) in &scenarios {
            let sc = sc.clone();
            let opts = RunOptions {
                profile: Some(profile),
                seed: None,
            };
            let mut rec = Recorder::default();
            run(&sc, &opts, &mut rec).expect("recording cannot fail");
            let h = header(&sc, &opts.apply(&sc.settings));
            let ladder = svg(h, View::default(), &rec.events);
            let mut r = MermaidRenderer::new(Vec::new(), View::default());
            feed(&mut r, &rec.events);
            let mermaid = String::from_utf8(r.into_inner()).expect("UTF-8");
            let doc = Document::parse(&ladder).expect("the ladder parses");
            let drawn: Vec<String> = doc
                .descendants()
                .filter(|n| classes(n).contains(&"timer"))
                .map(|n| {
                    // Long words are on two lines: joined, they read as one.
                    n.descendants()
                        .filter(|t| t.is_text())
                        .filter_map(|t| t.text())
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            let noted: Vec<&str> = mermaid
                .lines()
                .filter(|l| l.contains(" timer fired "))
                .collect();
            let mut want = Vec::new();
            for ev in &rec.events {
                if let OwnedKind::Timer {
                    endpoint,
                    timer,
                    after_us,
                    rto_us,
                } = ev.kind
                {
                    let text = TimerText {
                        timer,
                        after_us,
                        rto_us,
                    };
                    let line = text.to_string();
                    assert_eq!(line, format!("⏰ {}", text.words()));
                    kinds.insert(line.split(" after ").next().map(str::to_string));
                    want.push((endpoint, text.words().to_string()));
                }
            }
            let who = format!("{name} ({profile:?})");
            assert_eq!(drawn.len(), want.len(), "{who}: {drawn:?}");
            assert_eq!(noted.len(), want.len(), "{who}: {noted:?}");
            for ((endpoint, words), (d, n)) in want.iter().zip(drawn.iter().zip(&noted)) {
                assert_eq!(d, words, "{who}");
                assert_eq!(*n, format!("    Note over {endpoint}: {words}"), "{who}");
            }
        }
    }
    // Every kind of timer fires, so every wording is drawn.
    for kind in ["retransmit", "persist", "time-wait", "delayed-ACK"] {
        assert!(
            kinds.contains(&Some(format!("⏰ {kind} timer fired"))),
            "no built-in fires a {kind} timer: {kinds:?}"
        );
    }
}
