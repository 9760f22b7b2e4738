//! synack against tshark on a whole capture, frame by frame, on what a
//! reader sees of each TCP segment: flags, relative sequence and
//! acknowledgment numbers, length, window (scaled), and the analysis flags.
//!
//! [`tshark_segments`] runs tshark (one pass, the prefs of [`crate::tshark`])
//! and keeps the frames it decodes as TCP: those with `tcp.flags`, which
//! tshark shows once it has the first 16 bytes of a TCP header. Two kinds
//! are left out, as issue 12 leaves them out: a TCP header quoted inside an
//! ICMP error (not a segment of the connection), and IP fragments (a
//! segment tshark reassembled from them, or a first fragment the snaplen cut,
//! which tshark dissects as if whole; synack does not reassemble).
//! [`synack_segments`] runs synack's own annotate path in process (reader,
//! [`Feed`], observer) and keeps every segment event. [`compare`] says where
//! they differ.

use crate::tshark::{TsharkError, ANALYSIS_FLAGS};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::process::Command;
use synack_capture::{CaptureReader, Feed};
use synack_sim::transcript::{Event, EventKind, Note, Sink};

/// One TCP segment as either tool shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seg {
    /// SYN, FIN, RST, PSH, ACK, URG (the low 6 bits of the flags byte).
    pub flags: u8,
    pub seq: u64,
    /// `None` when ACK is clear.
    pub ack: Option<u64>,
    pub len: u64,
    pub win: u64,
    pub analysis: BTreeSet<String>,
}

/// A field [`compare`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Flags,
    Seq,
    Ack,
    Len,
    Win,
    Analysis,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::Flags,
        Field::Seq,
        Field::Ack,
        Field::Len,
        Field::Win,
        Field::Analysis,
    ];
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Flags => "flags",
            Field::Seq => "seq",
            Field::Ack => "ack",
            Field::Len => "len",
            Field::Win => "win",
            Field::Analysis => "analysis",
        })
    }
}

/// What tshark showed of a capture.
#[derive(Debug, Default)]
pub struct TsharkView {
    /// The frames it decodes as TCP, less the two kinds left out.
    pub segments: BTreeMap<u64, Seg>,
    /// Frames with TCP fields that were left out, with why.
    pub left_out: BTreeMap<u64, &'static str>,
}

const FIELDS: [&str; 12] = [
    "frame.number",
    "frame.protocols",
    "ip.fragment",
    "ipv6.fragment",
    "tcp.flags",
    "tcp.seq",
    "tcp.ack",
    "tcp.len",
    "tcp.window_size",
    "tcp.stream",
    "ip.frag_offset",
    "ip.flags.mf",
];

/// Runs tshark on `file`; see the module docs.
pub fn tshark_segments(file: &Path) -> Result<TsharkView, TsharkError> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-n").arg("-r").arg(file);
    cmd.args(["-T", "fields", "-E", "header=y", "-E", "separator=/t"]);
    cmd.args(["-E", "occurrence=f", "-E", "quote=n"]);
    for pref in [
        "tcp.analyze_sequence_numbers:TRUE",
        "tcp.relative_sequence_numbers:TRUE",
        "tcp.track_bytes_in_flight:TRUE",
        "tcp.calculate_timestamps:TRUE",
        "tcp.desegment_tcp_streams:FALSE",
        "tcp.check_checksum:FALSE",
    ] {
        cmd.args(["-o", pref]);
    }
    let analysis: Vec<String> = ANALYSIS_FLAGS
        .iter()
        .map(|f| format!("tcp.analysis.{f}"))
        .collect();
    for f in FIELDS
        .iter()
        .copied()
        .chain(analysis.iter().map(String::as_str))
    {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().map_err(TsharkError::Spawn)?;
    if !out.status.success() {
        return Err(TsharkError::Failed {
            file: file.display().to_string(),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    parse(&String::from_utf8_lossy(&out.stdout))
}

fn parse(text: &str) -> Result<TsharkView, TsharkError> {
    let mut lines = text.lines().enumerate();
    let (_, header) = lines.next().ok_or(TsharkError::NoHeader)?;
    let names: Vec<&str> = header.split('\t').collect();
    let col = |name: &str| {
        names
            .iter()
            .position(|n| *n == name)
            .ok_or_else(|| TsharkError::MissingColumn(name.to_owned()))
    };
    let cols: Vec<usize> = FIELDS.iter().map(|f| col(f)).collect::<Result<_, _>>()?;
    let flag_cols: Vec<(usize, &str)> = ANALYSIS_FLAGS
        .iter()
        .map(|f| col(&format!("tcp.analysis.{f}")).map(|c| (c, *f)))
        .collect::<Result<_, _>>()?;
    let mut view = TsharkView::default();
    for (i, line) in lines {
        if line.is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').collect();
        let cell = |k: usize| cells.get(cols[k]).copied().unwrap_or("");
        let number = |k: usize| -> Result<u64, TsharkError> {
            let v = cell(k);
            let v = v.trim_start_matches("0x");
            let radix = if cell(k).starts_with("0x") { 16 } else { 10 };
            u64::from_str_radix(v, radix).map_err(|_| TsharkError::BadNumber {
                line: i + 1,
                what: FIELDS[k].to_owned(),
                value: cell(k).to_owned(),
            })
        };
        let frame = number(0)?;
        if cell(4).is_empty() {
            continue; // no TCP header that tshark could read
        }
        let protocols = cell(1);
        if protocols.split(':').any(|p| p == "icmp" || p == "icmpv6") {
            view.left_out
                .insert(frame, "a TCP header quoted in an ICMP error");
            continue;
        }
        if !cell(2).is_empty() || !cell(3).is_empty() {
            view.left_out
                .insert(frame, "a segment reassembled from IP fragments");
            continue;
        }
        // A fragment tshark did not reassemble (the snaplen cut it) but
        // dissected as if whole, because it starts at offset 0.
        if matches!(cell(11), "1" | "True") || !matches!(cell(10), "" | "0") {
            view.left_out.insert(frame, "an IP fragment");
            continue;
        }
        let flags = (number(4)? & 0x3f) as u8;
        let ack = (flags & 0x10 != 0).then(|| number(6)).transpose()?;
        let analysis = flag_cols
            .iter()
            .filter(|(c, _)| !matches!(cells.get(*c).copied().unwrap_or(""), "" | "0"))
            .map(|(_, f)| f.to_string())
            .collect();
        view.segments.insert(
            frame,
            Seg {
                flags,
                seq: number(5)?,
                ack,
                len: number(7)?,
                win: number(8)?,
                analysis,
            },
        );
    }
    Ok(view)
}

/// What synack showed of a capture.
#[derive(Debug, Default)]
pub struct SynackView {
    pub segments: BTreeMap<u64, Seg>,
    /// Every note's text, in order.
    pub notes: Vec<String>,
    /// The summary line.
    pub stats: String,
    /// The reader's errors.
    pub errors: Vec<String>,
}

/// Runs synack's annotate path on `file`, in process.
pub fn synack_segments(file: &Path) -> Result<SynackView, String> {
    let f = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut reader = CaptureReader::from_file(f).map_err(|e| e.to_string())?;
    let mut feed = Feed::new();
    let mut sink = Collect::default();
    while let Some(next) = reader.next_record() {
        match next {
            Ok(rec) => feed.record(&rec, &mut sink).map_err(|e| e.to_string())?,
            Err(e) => sink.view.errors.push(e.to_string()),
        }
    }
    sink.view.stats = feed.stats.to_string();
    Ok(sink.view)
}

#[derive(Default)]
struct Collect {
    view: SynackView,
}

impl Sink for Collect {
    fn event(&mut self, ev: &Event<'_>) -> std::io::Result<()> {
        match ev.kind {
            EventKind::Segment(s) => {
                let Some(frame) = s.frame else {
                    return Ok(());
                };
                self.view.segments.insert(
                    frame,
                    Seg {
                        flags: s.hdr.flags.0 & 0x3f,
                        seq: u64::from(s.rel_seq),
                        ack: if s.hdr.flags.ack() {
                            s.rel_ack.map(u64::from)
                        } else {
                            None
                        },
                        len: u64::from(s.hdr.payload_len),
                        win: u64::from(s.win_bytes),
                        analysis: s.analysis.iter().map(|f| f.name().to_owned()).collect(),
                    },
                );
            }
            EventKind::Note(Note::Text(t)) => self.view.notes.push(t.clone()),
            _ => {}
        }
        Ok(())
    }
}

/// Where synack and tshark differ, one line per frame and field, except in
/// the fields of `ignore`; and, per field of `ignore`, whether it differed
/// anywhere (so that a stale exception is noticed).
pub fn compare(
    synack: &BTreeMap<u64, Seg>,
    tshark: &BTreeMap<u64, Seg>,
    ignore: &[Field],
) -> (Vec<String>, BTreeSet<Field>) {
    let mut diffs = Vec::new();
    let mut ignored_diffs = BTreeSet::new();
    let frames: BTreeSet<u64> = synack.keys().chain(tshark.keys()).copied().collect();
    for n in frames {
        let (s, t) = match (synack.get(&n), tshark.get(&n)) {
            (Some(s), Some(t)) => (s, t),
            (None, Some(_)) => {
                diffs.push(format!(
                    "frame {n}: TCP for tshark, not annotated by synack"
                ));
                continue;
            }
            (Some(_), None) => {
                diffs.push(format!(
                    "frame {n}: annotated by synack, not TCP for tshark"
                ));
                continue;
            }
            (None, None) => continue,
        };
        for field in Field::ALL {
            let (a, b) = match field {
                Field::Flags => (format!("{:#04x}", s.flags), format!("{:#04x}", t.flags)),
                Field::Seq => (s.seq.to_string(), t.seq.to_string()),
                Field::Ack => (format!("{:?}", s.ack), format!("{:?}", t.ack)),
                Field::Len => (s.len.to_string(), t.len.to_string()),
                Field::Win => (s.win.to_string(), t.win.to_string()),
                Field::Analysis => (format!("{:?}", s.analysis), format!("{:?}", t.analysis)),
            };
            if a == b {
                continue;
            }
            if ignore.contains(&field) {
                ignored_diffs.insert(field);
            } else {
                diffs.push(format!("frame {n}: {field}: synack {a}, tshark {b}"));
            }
        }
    }
    (diffs, ignored_diffs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> String {
        FIELDS
            .iter()
            .map(|s| s.to_string())
            .chain(ANALYSIS_FLAGS.iter().map(|f| format!("tcp.analysis.{f}")))
            .collect::<Vec<_>>()
            .join("\t")
    }

    fn row(cells: [&str; 12], flags: &[&str]) -> String {
        let mut v: Vec<String> = cells.iter().map(|s| s.to_string()).collect();
        for f in ANALYSIS_FLAGS {
            v.push(if flags.contains(&f) {
                "1".into()
            } else {
                String::new()
            });
        }
        v.join("\t")
    }

    #[test]
    fn keeps_tcp_frames_and_leaves_out_icmp_quotes_and_reassembled_fragments() {
        let text = format!(
            "{}\n{}\n{}\n{}\n{}\n{}\n",
            header(),
            row(
                [
                    "1",
                    "eth:ip:tcp",
                    "",
                    "",
                    "0x0002",
                    "0",
                    "0",
                    "0",
                    "64240",
                    "0",
                    "0",
                    "0"
                ],
                &[]
            ),
            row(
                [
                    "2",
                    "eth:ip:icmp:ip:tcp",
                    "",
                    "",
                    "0x0002",
                    "0",
                    "",
                    "0",
                    "64240",
                    "",
                    "0",
                    "0"
                ],
                &[]
            ),
            row(
                [
                    "3",
                    "eth:ip:tcp",
                    "",
                    "",
                    "0x0018",
                    "1",
                    "1",
                    "5",
                    "502",
                    "0",
                    "0",
                    "0"
                ],
                &["retransmission"]
            ),
            row(
                [
                    "4",
                    "eth:ip:tcp",
                    "3,4",
                    "",
                    "0x0018",
                    "1",
                    "1",
                    "400",
                    "502",
                    "0",
                    "52",
                    "0"
                ],
                &[]
            ),
            row(
                ["5", "eth:arp", "", "", "", "", "", "", "", "", "", ""],
                &[]
            ),
        );
        let text = format!(
            "{text}{}\n",
            row(
                [
                    "6",
                    "eth:ip:udp:vxlan:eth:ip:tcp",
                    "",
                    "",
                    "0x0010",
                    "1",
                    "1",
                    "1398",
                    "502",
                    "0",
                    "0",
                    "1"
                ],
                &[]
            )
        );
        let v = parse(&text).expect("parses");
        assert_eq!(v.segments.keys().copied().collect::<Vec<_>>(), [1, 3]);
        assert_eq!(v.left_out.keys().copied().collect::<Vec<_>>(), [2, 4, 6]);
        assert_eq!(v.segments[&1].ack, None, "no ACK flag, no ack");
        assert_eq!(v.segments[&3].ack, Some(1));
        assert!(v.segments[&3].analysis.contains("retransmission"));
    }

    #[test]
    fn differences_name_frame_and_field_and_ignored_fields_are_reported_apart() {
        let seg = |win| Seg {
            flags: 0x10,
            seq: 1,
            ack: Some(1),
            len: 0,
            win,
            analysis: BTreeSet::new(),
        };
        let s = BTreeMap::from([(1, seg(502)), (2, seg(100))]);
        let t = BTreeMap::from([(1, seg(64256)), (3, seg(100))]);
        let (d, ignored) = compare(&s, &t, &[]);
        assert_eq!(
            d,
            [
                "frame 1: win: synack 502, tshark 64256",
                "frame 2: annotated by synack, not TCP for tshark",
                "frame 3: TCP for tshark, not annotated by synack"
            ]
        );
        assert!(ignored.is_empty());
        let (d, ignored) = compare(&s, &t, &[Field::Win]);
        assert_eq!(d.len(), 2);
        assert_eq!(ignored, BTreeSet::from([Field::Win]));
    }
}
