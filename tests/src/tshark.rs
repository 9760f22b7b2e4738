//! tshark as the oracle of Wireshark's TCP analysis.
//!
//! [`tsv`] runs `tshark -r FILE -T fields` with a header line, the frame
//! number, the TCP stream, flags, relative seq/ack, length and window, and one
//! column per `tcp.analysis.*` flag; [`parse`] reads that text back (also from
//! the stored `*.tshark.tsv` fixtures, so comparisons run without tshark).
//!
//! Field format (tshark 4.x, `-T fields`): every analysis flag is an
//! `FT_NONE` field, printed as `1` when present and as an empty string when
//! absent; numbers are decimal except `tcp.flags`, printed as hex `0x0012`;
//! a frame without TCP has every TCP column empty. Only the first occurrence
//! of each field is printed (`-E occurrence=f`), so a TCP header quoted
//! inside an ICMP error cannot add values. Flags are deliberately not taken
//! from `duplicate_ack_num`/`duplicate_ack_frame` (numbers, or frame numbers
//! of the original): only the `FT_NONE` flag fields say "this frame is one".
//! tshark runs one pass (no `-2`), as a live capture is analysed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// The names of Wireshark's `tcp.analysis.*` flags, as the JSON transcript
/// spells them.
pub const ANALYSIS_FLAGS: [&str; 15] = [
    "retransmission",
    "fast_retransmission",
    "spurious_retransmission",
    "out_of_order",
    "lost_segment",
    "ack_lost_segment",
    "duplicate_ack",
    "zero_window",
    "zero_window_probe",
    "zero_window_probe_ack",
    "window_full",
    "window_update",
    "keep_alive",
    "keep_alive_ack",
    "reused_ports",
];

/// The columns before the analysis flags.
const BASE_FIELDS: [&str; 7] = [
    "frame.number",
    "tcp.stream",
    "tcp.flags",
    "tcp.seq",
    "tcp.ack",
    "tcp.len",
    "tcp.window_size",
];

/// TCP header flag bits, as in `tcp.flags`.
pub mod flag {
    pub const FIN: u16 = 0x01;
    pub const SYN: u16 = 0x02;
    pub const RST: u16 = 0x04;
    pub const PSH: u16 = 0x08;
    pub const ACK: u16 = 0x10;
}

/// Why running or reading tshark failed.
#[derive(Debug, thiserror::Error)]
pub enum TsharkError {
    #[error("could not run tshark: {0}; install it with `apt-get install -y tshark`.")]
    Spawn(#[source] std::io::Error),
    #[error("tshark failed with {status} on {file}: {stderr}")]
    Failed {
        file: String,
        status: String,
        stderr: String,
    },
    #[error("tshark's output has no header line.")]
    NoHeader,
    #[error("tshark's output has no column {0:?}.")]
    MissingColumn(String),
    #[error("line {line} of tshark's output: {what} {value:?} is not a valid number.")]
    BadNumber {
        line: usize,
        what: String,
        value: String,
    },
}

/// One frame as tshark dissects it (`None` where the frame has no TCP).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TsharkFrame {
    pub frame: u64,
    pub stream: Option<u64>,
    pub flags: Option<u16>,
    /// Relative sequence number.
    pub seq: Option<u64>,
    /// Relative acknowledgment number.
    pub ack: Option<u64>,
    pub len: Option<u64>,
    /// The window in bytes (scaled when the SYNs were seen).
    pub window: Option<u64>,
    /// The analysis flags present, by their names in [`ANALYSIS_FLAGS`].
    pub analysis: BTreeSet<String>,
}

impl TsharkFrame {
    /// True when every bit of `bits` (see [`flag`]) is set.
    pub fn has(&self, bits: u16) -> bool {
        self.flags.is_some_and(|f| f & bits == bits)
    }

    /// True when the analysis flag `name` is present.
    pub fn is(&self, name: &str) -> bool {
        self.analysis.contains(name)
    }
}

/// All the fields' names, in column order.
pub fn field_names() -> Vec<String> {
    BASE_FIELDS
        .iter()
        .map(|s| s.to_string())
        .chain(ANALYSIS_FLAGS.iter().map(|f| format!("tcp.analysis.{f}")))
        .collect()
}

/// Runs tshark on `file` and returns its tab-separated output, header first.
pub fn tsv(file: &Path) -> Result<String, TsharkError> {
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
    for f in field_names() {
        cmd.args(["-e", &f]);
    }
    let out = cmd.output().map_err(TsharkError::Spawn)?;
    if !out.status.success() {
        return Err(TsharkError::Failed {
            file: file.display().to_string(),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Reads [`tsv`]'s output: per frame number, the frame's fields.
pub fn parse(text: &str) -> Result<BTreeMap<u64, TsharkFrame>, TsharkError> {
    let mut lines = text.lines().enumerate();
    let (_, header) = lines.next().ok_or(TsharkError::NoHeader)?;
    let names: Vec<&str> = header.split('\t').collect();
    let col = |name: &str| {
        names
            .iter()
            .position(|n| *n == name)
            .ok_or_else(|| TsharkError::MissingColumn(name.to_owned()))
    };
    let frame_col = col("frame.number")?;
    let base: Vec<usize> = BASE_FIELDS[1..]
        .iter()
        .map(|n| col(n))
        .collect::<Result<_, _>>()?;
    let flag_cols: Vec<(usize, &str)> = ANALYSIS_FLAGS
        .iter()
        .map(|f| col(&format!("tcp.analysis.{f}")).map(|c| (c, *f)))
        .collect::<Result<_, _>>()?;
    let mut frames = BTreeMap::new();
    for (i, line) in lines {
        if line.is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').collect();
        let cell = |c: usize| cells.get(c).copied().unwrap_or("");
        let lineno = i + 1;
        let number = |c: usize, what: &str| -> Result<Option<u64>, TsharkError> {
            let v = cell(c);
            if v.is_empty() {
                return Ok(None);
            }
            v.parse().map(Some).map_err(|_| TsharkError::BadNumber {
                line: lineno,
                what: what.to_owned(),
                value: v.to_owned(),
            })
        };
        let frame = number(frame_col, "frame.number")?.ok_or_else(|| TsharkError::BadNumber {
            line: lineno,
            what: "frame.number".into(),
            value: String::new(),
        })?;
        let flags = match cell(base[1]) {
            "" => None,
            v => Some(
                u16::from_str_radix(v.trim_start_matches("0x"), 16).map_err(|_| {
                    TsharkError::BadNumber {
                        line: lineno,
                        what: "tcp.flags".into(),
                        value: v.to_owned(),
                    }
                })?,
            ),
        };
        let analysis = flag_cols
            .iter()
            .filter(|(c, _)| !matches!(cell(*c), "" | "0"))
            .map(|(_, f)| f.to_string())
            .collect();
        frames.insert(
            frame,
            TsharkFrame {
                frame,
                stream: number(base[0], "tcp.stream")?,
                flags,
                seq: number(base[2], "tcp.seq")?,
                ack: number(base[3], "tcp.ack")?,
                len: number(base[4], "tcp.len")?,
                window: number(base[5], "tcp.window_size")?,
                analysis,
            },
        );
    }
    Ok(frames)
}

/// Runs tshark on `file` and returns every frame's fields.
pub fn frames(file: &Path) -> Result<BTreeMap<u64, TsharkFrame>, TsharkError> {
    parse(&tsv(file)?)
}

/// Per frame, the set of analysis flags present (empty sets included).
pub fn analysis_of(frames: &BTreeMap<u64, TsharkFrame>) -> BTreeMap<u64, BTreeSet<String>> {
    frames
        .iter()
        .map(|(n, f)| (*n, f.analysis.clone()))
        .collect()
}

/// Runs tshark on `file` with `args` and returns what it printed.
fn run(file: &Path, args: &[&str]) -> Result<String, TsharkError> {
    let out = Command::new("tshark")
        .arg("-n")
        .arg("-r")
        .arg(file)
        .args(args)
        .output()
        .map_err(TsharkError::Spawn)?;
    if !out.status.success() {
        return Err(TsharkError::Failed {
            file: file.display().to_string(),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The summary lines of every frame of `file` that tshark finds malformed
/// or whose IP, TCP or UDP checksum is not good (checksums checked): none
/// for a sound file. TCP reassembly is off, as in [`tsv`]: reassembling
/// the byte stream for an application dissector (HTTP guesses port 8080)
/// flags a retransmission that overlaps the lost original as a reassembly
/// error, which says nothing about the packet.
pub fn problems(file: &Path) -> Result<Vec<String>, TsharkError> {
    let filter = "_ws.malformed \
        || (ip && ip.checksum.status != 1) || (tcp && tcp.checksum.status != 1) \
        || (udp && udp.checksum.status != 1)";
    let text = run(
        file,
        &[
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
            "-o",
            "tcp.desegment_tcp_streams:FALSE",
            "-Y",
            filter,
        ],
    )?;
    Ok(text.lines().map(str::to_owned).collect())
}

/// Per frame: the interface description and the packet comment (pcapng),
/// empty where there is none.
pub fn comments(file: &Path) -> Result<BTreeMap<u64, (String, String)>, TsharkError> {
    let text = run(
        file,
        &[
            "-T",
            "fields",
            "-E",
            "separator=/t",
            "-E",
            "occurrence=f",
            "-E",
            "quote=n",
            "-e",
            "frame.number",
            "-e",
            "frame.interface_description",
            "-e",
            "frame.comment",
        ],
    )?;
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let mut cells = line.split('\t');
        let n = cells.next().unwrap_or("");
        let frame = n.parse().map_err(|_| TsharkError::BadNumber {
            line: i + 1,
            what: "frame.number".into(),
            value: n.to_owned(),
        })?;
        let descr = cells.next().unwrap_or("").to_owned();
        let comment = cells.next().unwrap_or("").to_owned();
        out.insert(frame, (descr, comment));
    }
    Ok(out)
}

/// Runs tshark on `file`: per frame, the set of analysis flags present.
pub fn analysis(file: &Path) -> Result<BTreeMap<u64, BTreeSet<String>>, TsharkError> {
    Ok(analysis_of(&frames(file)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> String {
        field_names().join("\t")
    }

    fn row(base: [&str; 7], flags: &[&str]) -> String {
        let mut cells: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        for f in ANALYSIS_FLAGS {
            cells.push(if flags.contains(&f) {
                "1".into()
            } else {
                String::new()
            });
        }
        cells.join("\t")
    }

    #[test]
    fn parses_flags_numbers_and_empty_cells() {
        let text = format!(
            "{}\n{}\n{}\n{}\n",
            header(),
            row(["1", "0", "0x0002", "0", "", "0", "65495"], &[]),
            row(
                ["2", "0", "0x0018", "1", "1", "100", "512"],
                &["retransmission", "fast_retransmission"]
            ),
            row(["3", "", "", "", "", "", ""], &[]),
        );
        let frames = parse(&text).expect("valid output");
        assert_eq!(frames.len(), 3);
        let syn = &frames[&1];
        assert!(syn.has(flag::SYN) && !syn.has(flag::ACK));
        assert_eq!((syn.seq, syn.ack, syn.window), (Some(0), None, Some(65495)));
        let re = &frames[&2];
        assert!(re.has(flag::PSH | flag::ACK));
        assert!(re.is("retransmission") && re.is("fast_retransmission"));
        assert_eq!(re.analysis.len(), 2);
        assert_eq!(frames[&3].flags, None);
        assert!(frames[&3].analysis.is_empty());
    }

    #[test]
    fn columns_found_by_name_not_position() {
        let mut names = field_names();
        names.swap(0, 1);
        let mut cells = vec![String::new(); names.len()];
        cells[0] = "4".into(); // tcp.stream
        cells[1] = "9".into(); // frame.number
        let dup = names
            .iter()
            .position(|n| n == "tcp.analysis.duplicate_ack")
            .expect("a duplicate_ack column");
        cells[dup] = "1".into();
        let text = format!("{}\n{}\n", names.join("\t"), cells.join("\t"));
        let frames = parse(&text).expect("valid output");
        assert_eq!(frames[&9].stream, Some(4));
        assert!(frames[&9].is("duplicate_ack"));
    }

    #[test]
    fn errors_are_typed() {
        assert!(matches!(parse(""), Err(TsharkError::NoHeader)));
        assert!(matches!(
            parse("frame.number\n1\n"),
            Err(TsharkError::MissingColumn(_))
        ));
        let text = format!("{}\n{}\n", header(), row(["x"; 7], &[]));
        let err = parse(&text).expect_err("x is not a number");
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
