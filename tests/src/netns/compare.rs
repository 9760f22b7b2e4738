//! Frame-by-frame comparison of `synack annotate FILE --format json` with
//! tshark's analysis flags.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Why the comparison could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("could not run {bin}: {source}.")]
    Spawn {
        bin: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`synack annotate {file} --format json` failed with {status}: {stderr}")]
    Failed {
        file: String,
        status: String,
        stderr: String,
    },
    #[error("line {line} of synack's JSON output is not a JSON object: {reason}")]
    BadJson { line: usize, reason: String },
    #[error(
        "line {line} of synack's JSON output is a segment without a valid `frame` or `analysis`."
    )]
    BadSegment { line: usize },
}

/// What a comparison found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    /// The `synack` binary is not built, or has no `annotate` yet.
    NotAvailable,
    /// `frames` frames compared; one line per frame that differs.
    Compared {
        frames: usize,
        differences: Vec<String>,
    },
}

impl Comparison {
    /// A one-line summary for the test log.
    pub fn summary(&self) -> String {
        match self {
            Comparison::NotAvailable => {
                "synack annotate not available yet; compared 0 frames".to_owned()
            }
            Comparison::Compared {
                frames,
                differences,
            } => format!(
                "compared {frames} frames with tshark: {} differ",
                differences.len()
            ),
        }
    }
}

/// The `synack` binary: `$SYNACK_BIN`, else `debug/synack` or
/// `release/synack` under `$CARGO_TARGET_DIR` or the workspace's `target/`
/// (the most recently built one when both exist).
pub fn synack_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SYNACK_BIN") {
        return Some(PathBuf::from(p));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    ["debug", "release"]
        .iter()
        .map(|p| target.join(p).join("synack"))
        .filter_map(|p| {
            let modified = std::fs::metadata(&p).and_then(|m| m.modified()).ok()?;
            Some((modified, p))
        })
        .max()
        .map(|(_, p)| p)
}

/// True when `bin annotate --help` exits 0.
fn has_annotate(bin: &Path) -> bool {
    Command::new(bin)
        .args(["annotate", "--help"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `synack annotate capture --format json` and compares its analysis
/// flags with `tshark`'s (per frame, as from [`crate::tshark::analysis`]).
/// A frame absent on one side counts as having no flags there.
pub fn compare_with_synack(
    capture: &Path,
    tshark: &BTreeMap<u64, BTreeSet<String>>,
) -> Result<Comparison, CompareError> {
    match synack_bin() {
        Some(bin) => compare_using(&bin, capture, tshark),
        None => Ok(Comparison::NotAvailable),
    }
}

/// [`compare_with_synack`] with the given `synack` binary; `NotAvailable`
/// when `bin annotate --help` does not succeed.
pub fn compare_using(
    bin: &Path,
    capture: &Path,
    tshark: &BTreeMap<u64, BTreeSet<String>>,
) -> Result<Comparison, CompareError> {
    if !has_annotate(bin) {
        return Ok(Comparison::NotAvailable);
    }
    let out = Command::new(bin)
        .arg("annotate")
        .arg(capture)
        .args(["--format", "json"])
        .stdin(Stdio::null())
        .output()
        .map_err(|source| CompareError::Spawn {
            bin: bin.display().to_string(),
            source,
        })?;
    if !out.status.success() {
        return Err(CompareError::Failed {
            file: capture.display().to_string(),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    let synack = parse_annotate(&String::from_utf8_lossy(&out.stdout))?;
    Ok(diff(&synack, tshark))
}

/// Per frame, the analysis flags of the `segment` lines of synack's JSON.
pub fn parse_annotate(text: &str) -> Result<BTreeMap<u64, BTreeSet<String>>, CompareError> {
    let mut frames: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| CompareError::BadJson {
                line: line_no,
                reason: e.to_string(),
            })?;
        if v.get("kind").and_then(|k| k.as_str()) != Some("segment") {
            continue;
        }
        let bad = || CompareError::BadSegment { line: line_no };
        let frame = v.get("frame").and_then(|f| f.as_u64()).ok_or_else(bad)?;
        let flags = v
            .get("analysis")
            .and_then(|a| a.as_array())
            .ok_or_else(bad)?
            .iter()
            .map(|f| f.as_str().map(str::to_owned).ok_or_else(bad))
            .collect::<Result<BTreeSet<_>, _>>()?;
        frames.entry(frame).or_default().extend(flags);
    }
    Ok(frames)
}

/// Compares two per-frame flag maps; each difference reads
/// `frame N: synack {..} vs tshark {..}`.
pub fn diff(
    synack: &BTreeMap<u64, BTreeSet<String>>,
    tshark: &BTreeMap<u64, BTreeSet<String>>,
) -> Comparison {
    let empty = BTreeSet::new();
    let all: BTreeSet<u64> = synack.keys().chain(tshark.keys()).copied().collect();
    let differences = all
        .iter()
        .filter_map(|n| {
            let s = synack.get(n).unwrap_or(&empty);
            let t = tshark.get(n).unwrap_or(&empty);
            (s != t).then(|| format!("frame {n}: synack {} vs tshark {}", set(s), set(t)))
        })
        .collect();
    Comparison::Compared {
        frames: all.len(),
        differences,
    }
}

fn set(s: &BTreeSet<String>) -> String {
    let mut out = String::from("{");
    for (i, f) in s.iter().enumerate() {
        let _ = write!(out, "{}{f}", if i == 0 { "" } else { ", " });
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(u64, &[&str])]) -> BTreeMap<u64, BTreeSet<String>> {
        entries
            .iter()
            .map(|(n, fs)| (*n, fs.iter().map(|f| f.to_string()).collect()))
            .collect()
    }

    #[test]
    fn reads_segment_lines_only() {
        let text = r#"{"kind":"state","t_us":0,"endpoint":"client","from":"CLOSED","to":"SYN-SENT"}
{"kind":"segment","t_us":0,"frame":1,"analysis":[]}
{"kind":"segment","t_us":5,"frame":2,"analysis":["retransmission","fast_retransmission"]}
"#;
        let got = parse_annotate(text).expect("valid JSON lines");
        assert_eq!(
            got,
            map(&[(1, &[]), (2, &["fast_retransmission", "retransmission"])])
        );
    }

    #[test]
    fn bad_lines_are_errors() {
        assert!(matches!(
            parse_annotate("{not json"),
            Err(CompareError::BadJson { line: 1, .. })
        ));
        assert!(matches!(
            parse_annotate("\n{\"kind\":\"segment\",\"analysis\":[]}"),
            Err(CompareError::BadSegment { line: 2 })
        ));
    }

    /// A fake `synack`: `annotate --help` exits with `help`, `annotate`
    /// prints `body` (or fails when `body` is None).
    fn fake(dir: &Path, name: &str, help: u8, body: Option<&str>) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let run = match body {
            Some(b) => format!("cat <<'JSON'\n{b}JSON\n"),
            None => "echo 'synack: no such file' >&2; exit 2\n".to_owned(),
        };
        let script = format!("#!/bin/sh\nif [ \"$2\" = --help ]; then exit {help}; fi\n{run}");
        let path = dir.join(name);
        std::fs::write(&path, script).expect("write the fake synack");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .expect("make the fake synack executable");
        path
    }

    #[test]
    fn runs_the_binary_when_it_has_annotate() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let agrees = fake(
            dir.path(),
            "agrees",
            0,
            Some("{\"kind\":\"segment\",\"frame\":2,\"analysis\":[\"retransmission\"]}\n"),
        );
        let old = fake(dir.path(), "old", 2, None);
        let broken = fake(dir.path(), "broken", 0, None);
        let tshark = map(&[(1, &[]), (2, &["retransmission"])]);
        let cap = Path::new("x.pcap");
        assert_eq!(
            compare_using(&agrees, cap, &tshark).expect("runs"),
            Comparison::Compared {
                frames: 2,
                differences: vec![]
            }
        );
        let tshark_more = map(&[(1, &["keep_alive"]), (2, &["retransmission"])]);
        assert_eq!(
            compare_using(&agrees, cap, &tshark_more).expect("runs"),
            Comparison::Compared {
                frames: 2,
                differences: vec!["frame 1: synack {} vs tshark {keep_alive}".to_owned()]
            }
        );
        assert_eq!(
            compare_using(&old, cap, &tshark).expect("no annotate"),
            Comparison::NotAvailable
        );
        let err = compare_using(&broken, cap, &tshark).expect_err("annotate fails");
        assert!(err.to_string().contains("no such file"), "{err}");
        assert_eq!(
            Comparison::NotAvailable.summary(),
            "synack annotate not available yet; compared 0 frames"
        );
    }

    #[test]
    fn differences_name_the_frame_and_both_sets() {
        let synack = map(&[(1, &[]), (2, &["duplicate_ack"])]);
        let tshark = map(&[(1, &[]), (2, &["duplicate_ack", "window_update"]), (3, &[])]);
        assert_eq!(
            diff(&synack, &tshark),
            Comparison::Compared {
                frames: 3,
                differences: vec![
                    "frame 2: synack {duplicate_ack} vs tshark {duplicate_ack, window_update}"
                        .to_owned()
                ],
            }
        );
        assert_eq!(
            diff(&tshark, &tshark),
            Comparison::Compared {
                frames: 3,
                differences: vec![]
            }
        );
    }
}
