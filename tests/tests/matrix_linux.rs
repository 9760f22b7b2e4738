//! The state × event matrix on the real kernel (issue 11, point 3): every
//! fixture of tests/fixtures/matrix/ that can run for real goes through
//! `synack compare --profile linux`, its `inject` lines forged with a raw
//! socket in the run's namespace (docs/real.md, "Forged segments"). The
//! kernel picks its own ISNs, so the fixtures' `isn` lines are left out
//! (the numbers of `inject` are relative to them). A fixture that cannot
//! run for real says why on a `# real: no, …` line.
//!
//! Every pair must be the same or explained by the catalogue
//! (docs/differences.md); the `expect` lines must hold in the simulation and
//! in the real run. docs/matrix-on-linux.md records, per fixture, Linux's
//! answer to the forged segment and the catalogue's rules that explained a
//! difference; `SYNACK_BLESS=1` rewrites it, and the test fails when it
//! lists other fixtures than the directory holds.
//!
//! Needs root (namespaces); with SYNACK_REQUIRE_LIVE=1 a missing privilege
//! fails the test, otherwise it skips and says why.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use synack_tests::matrix::fixtures;
use synack_tests::real_probe::live_or_skip as live;

const SYNACK: &str = env!("CARGO_BIN_EXE_synack-cli");

fn doc_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/matrix-on-linux.md")
}

fn header<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("# {key}: ")))
}

/// The round trip of a real run whose fixture names none. The fixtures
/// are written for the simulator's 20 ms, where a forged segment or an
/// abort lands within 10 ms of the segment it races; the real runner
/// takes a few milliseconds a step (a state poll, a forged send), more on
/// a busy machine, so the real run gets a longer trip to keep the race's
/// order. The simulation runs the same text, so both sides see it.
const REAL_RTT: &str = "80ms";

/// The fixture as the real run takes it: without its `isn` lines, which
/// are replaced by comments, and with its first line (the `# cell:`
/// comment) replaced by `rtt` when the fixture has none, so that every
/// other line keeps its number.
fn for_real(text: &str) -> String {
    let has_rtt = text.lines().any(|l| l.trim_start().starts_with("rtt "));
    let rtt = std::env::var("SYNACK_MATRIX_RTT").unwrap_or_else(|_| REAL_RTT.to_string());
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            if l.trim_start().starts_with("isn ") {
                "# (isn: the kernel picks its own)".to_string()
            } else if i == 0 && !has_rtt && l.starts_with('#') {
                format!("rtt {rtt} # the real run's round trip (tests/tests/matrix_linux.rs)")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// What one fixture's comparison found.
struct Outcome {
    name: String,
    cell: String,
    /// Linux's answer to the first forged segment (flags of the real run's
    /// next segment in the other direction at once, or "none").
    answer: String,
    /// The catalogue's rules that explained a pair.
    rules: BTreeSet<String>,
    /// Problems: unexplained pairs, failed expects, a failed run.
    problems: Vec<String>,
    /// How long its comparison took (the slowest are printed).
    took: std::time::Duration,
}

fn compare(name: &str, text: &str, dir: &std::path::Path) -> Outcome {
    let path = dir.join(name);
    std::fs::write(&path, for_real(text)).expect("write the scenario");
    let began = std::time::Instant::now();
    let out = Command::new(SYNACK)
        .args(["compare", &path.display().to_string(), "--profile", "linux"])
        .args(["--format", "json", "--call-cap", "20s"])
        .output()
        .expect("synack runs");
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let mut problems = Vec::new();
    if out.status.code() != Some(0) {
        problems.push(format!(
            "exit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let mut rules = BTreeSet::new();
    for p in lines.iter().filter(|l| l["kind"] == "pair") {
        match p["verdict"].as_str() {
            Some("explained") => {
                rules.insert(p["rule"].as_str().unwrap_or("?").to_string());
            }
            Some("unexplained") => problems.push(format!("unexplained: {p}")),
            _ => {}
        }
    }
    if !lines.iter().any(|l| l["kind"] == "compare") {
        problems.push("no totals line".into());
    }
    Outcome {
        took: began.elapsed(),
        name: name.to_string(),
        cell: header(text, "cell").unwrap_or("?").to_string(),
        answer: answer(&lines),
        rules,
        problems,
    }
}

/// The flags of the real run's answer to its first forged segment: the
/// next segment in the other direction within 1 ms, or "none".
fn answer(lines: &[Value]) -> String {
    let real: Vec<&Value> = lines
        .iter()
        .filter(|l| l["kind"] == "pair")
        .filter_map(|l| l.get("real"))
        .filter(|r| r["kind"] == "segment")
        .collect();
    let Some(i) = real.iter().position(|s| s["fate"] == "injected") else {
        return "(nothing forged)".into();
    };
    let forged = real[i];
    let t = forged["t_us"].as_u64().unwrap_or(0);
    real[i + 1..]
        .iter()
        .find(|s| s["dir"] != forged["dir"] && s["t_us"].as_u64().is_some_and(|u| u <= t + 1000))
        .and_then(|s| s["flags"].as_str())
        .unwrap_or("none")
        .to_string()
}

fn render(outcomes: &[Outcome], skipped: &[(String, String, String)]) -> String {
    let mut s = String::from(
        "# The state × event matrix on Linux\n\n\
         <!-- generated by tests/tests/matrix_linux.rs; rewrite with `SYNACK_BLESS=1 cargo test -p synack-tests --test matrix_linux` (as root) -->\n\n\
         Every fixture of the state × event matrix (docs/state-event-matrix.md) that\n\
         can run for real, run by `synack compare FIXTURE --profile linux`: the\n\
         forged segments are sent with a raw socket in the run's namespace\n\
         (docs/real.md, \"Forged segments\") and the kernel answers them. The\n\
         fixtures' `isn` lines are left out: Linux picks its own ISNs, and\n\
         `inject` counts from them. A fixture that names no `rtt` runs at\n\
         80 ms, in the simulation too: the real runner takes a few\n\
         milliseconds a step, and a forged segment must land before the\n\
         segment it races. The Linux answer is what the kernel sent back at\n\
         once to the first forged segment.\n\n\
         In every fixture below, every pair of the comparison is the same or\n\
         explained by the catalogue (docs/differences.md, the rules named), and\n\
         the `expect` lines hold on the real kernel as in the `linux` profile.\n\n\
         | fixture | cell | Linux answers | explained by |\n| --- | --- | --- | --- |\n",
    );
    for o in outcomes {
        let rules = if o.rules.is_empty() {
            "(all the same)".to_string()
        } else {
            o.rules
                .iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        s += &format!(
            "| `{}` | {} | {} | {} |\n",
            o.name,
            o.cell.replace('|', "/"),
            o.answer,
            rules
        );
    }
    if !skipped.is_empty() {
        s += "\n## Not run for real\n\n| fixture | cell | why |\n| --- | --- | --- |\n";
        for (name, cell, why) in skipped {
            s += &format!("| `{name}` | {} | {why} |\n", cell.replace('|', "/"));
        }
    }
    s
}

/// The fixture names a document lists (its first column).
fn listed(doc: &str) -> BTreeSet<String> {
    doc.lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .filter(|n| n.ends_with(".tcp"))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_matrix_fixture_runs_on_linux_with_nothing_unexplained() {
    if !live() {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("synack-matrix-linux-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755));
    let all = fixtures();
    let mut skipped = Vec::new();
    let mut jobs = Vec::new();
    for (name, text) in &all {
        match header(text, "real") {
            Some(why) => skipped.push((
                name.clone(),
                header(text, "cell").unwrap_or("?").to_string(),
                why.trim_start_matches("no, ").to_string(),
            )),
            None => jobs.push((name.clone(), text.clone())),
        }
    }
    // Three at a time: each run holds its own namespace and address pair;
    // most wait on their link's rtt, not on the CPU.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some((name, text)) = jobs.get(i) else {
                    break;
                };
                let o = compare(name, text, &dir);
                results.lock().expect("no panic holds it").push(o);
            });
        }
    });
    let mut outcomes = results.into_inner().expect("no panic holds it");
    outcomes.sort_by_key(|o| std::cmp::Reverse(o.took));
    for o in outcomes.iter().take(5) {
        eprintln!("slowest: {} took {:.1} s", o.name, o.took.as_secs_f64());
    }
    outcomes.sort_by(|a, b| a.name.cmp(&b.name));
    let _ = std::fs::remove_dir_all(&dir);
    let problems: Vec<String> = outcomes
        .iter()
        .flat_map(|o| o.problems.iter().map(move |p| format!("{}: {p}", o.name)))
        .collect();
    let doc = render(&outcomes, &skipped);
    if std::env::var_os("SYNACK_BLESS").is_some() && problems.is_empty() {
        std::fs::write(doc_path(), &doc).expect("write docs/matrix-on-linux.md");
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) on the real kernel:\n{}",
        problems.len(),
        problems.join("\n")
    );
    let on_disk = std::fs::read_to_string(doc_path()).unwrap_or_default();
    assert_eq!(
        listed(&on_disk),
        listed(&doc),
        "docs/matrix-on-linux.md lists other fixtures than tests/fixtures/matrix/ holds: \
         rewrite it with SYNACK_BLESS=1"
    );
}
