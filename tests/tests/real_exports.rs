//! `synack real --format pcapng`: the real run's segments as a capture
//! Wireshark opens, each packet commented with both endpoints' states, the
//! interface description naming the real run; tshark finds nothing
//! malformed and agrees with synack's analysis frame by frame.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use synack_tests::real_probe::preflight;
use synack_tests::tshark;

const SYNACK: &str = env!("CARGO_BIN_EXE_synack-cli");

fn live() -> bool {
    let why = match preflight() {
        Err(why) => why,
        Ok(()) if Command::new("tshark").arg("--version").output().is_err() => {
            "tshark is not installed".to_string()
        }
        Ok(()) => return true,
    };
    if std::env::var_os("SYNACK_REQUIRE_LIVE").is_some() {
        panic!("SYNACK_REQUIRE_LIVE=1 but {why}");
    }
    eprintln!("skipped: {why}");
    false
}

#[test]
fn a_real_run_exports_as_pcapng_that_tshark_reads_and_agrees_with() {
    if !live() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("synack-real-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let path: PathBuf = dir.join("lost-data.pcapng");
    let o = Command::new(SYNACK)
        .args(["real", "lost-data", "--format", "pcapng", "-o"])
        .arg(&path)
        .output()
        .expect("synack runs");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let shown = path.display();
    let bad = tshark::problems(&path).unwrap_or_else(|e| panic!("{shown}: {e}"));
    assert!(bad.is_empty(), "{shown}: {}", bad.join("\n"));
    let frames = tshark::frames(&path).unwrap_or_else(|e| panic!("{shown}: {e}"));
    let notes = tshark::comments(&path).unwrap_or_else(|e| panic!("{shown}: {e}"));
    assert!(frames.len() >= 9, "{shown}: {} frames", frames.len());
    let mut lost = 0;
    for (n, (descr, comment)) in &notes {
        assert!(
            descr.starts_with("synack real run: scenario lost-data, Linux "),
            "{shown} frame {n}: {descr}"
        );
        assert!(
            comment.starts_with("synack #"),
            "{shown} frame {n}: {comment}"
        );
        lost += usize::from(comment.contains("; lost: "));
    }
    // The rule drops exactly one segment; its retransmission is marked as
    // such by tshark and by synack alike.
    assert_eq!(lost, 1, "{notes:?}");
    let retrans: Vec<u64> = frames
        .iter()
        .filter(|(_, f)| f.analysis.contains("retransmission"))
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(retrans.len(), 1, "{shown}: {retrans:?}");
    let by_comment: BTreeSet<u64> = notes
        .iter()
        .filter(|(_, (_, c))| c.contains("analysis: retransmission"))
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(by_comment, retrans.iter().copied().collect(), "{notes:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
