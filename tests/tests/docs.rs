//! The pages of docs/ stay true to the code: the scenario language's examples
//! parse and its defaults are the parser's, the architecture names files and
//! functions that exist, and no source cites a file outside the repository.
//! (docs/transcript-json.md has its own test, `transcript_json.rs`.)

use std::path::{Path, PathBuf};
use synack_sim::scenario::builtin::builtins;
use synack_sim::scenario::parser::MAX_SEND_BYTES;
use synack_sim::scenario::{parse, Settings};
use synack_sim::world::{run, RunOptions};
use synack_tests::transcript_json::Doc;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn every_scenario_example_parses() {
    let doc = Doc::named("scenario-language.md");
    let blocks = doc.code_blocks("");
    assert!(blocks.len() >= 20, "{} scenario blocks", blocks.len());
    for (i, block) in blocks.iter().enumerate() {
        let text = block.join("\n");
        if let Err(e) = parse(&format!("block {}", i + 1), &text) {
            panic!("docs/scenario-language.md, example {}: {e}\n{text}", i + 1);
        }
    }
    // The first example is a whole scenario whose checks hold in both profiles.
    let first = parse("hello.tcp", &blocks[0].join("\n")).expect("parses");
    for profile in [
        synack_sim::profile::ProfileName::Rfc,
        synack_sim::profile::ProfileName::Linux,
    ] {
        let opts = RunOptions {
            profile: Some(profile),
            seed: None,
        };
        let mut sink = synack_sim::transcript::Discard;
        let outcome = run(&first, &opts, &mut sink).expect("runs");
        assert_eq!(outcome.failures, [], "the first example, profile {profile}");
    }
}

#[test]
fn documented_defaults_are_the_parsers() {
    let doc = Doc::named("scenario-language.md");
    let section = doc.section("Settings");
    for (setting, default) in [
        ("profile", "rfc"),
        ("rtt", "20ms"),
        ("mss", "1460"),
        ("seed", "0"),
        ("port client", "49152"),
    ] {
        let row = section
            .lines()
            .find(|l| l.starts_with(&format!("| `{setting} ")))
            .unwrap_or_else(|| panic!("no row for `{setting}`"));
        assert!(
            row.trim_end().ends_with(&format!("| `{default}` |")),
            "`{setting}` is documented with another default: {row}"
        );
        let sc = parse("default", &format!("{setting} {default}\n")).expect("parses");
        assert_eq!(sc.settings, Settings::default(), "`{setting} {default}`");
    }
}

#[test]
fn the_builtin_table_lists_the_builtins() {
    let doc = Doc::named("scenario-language.md");
    let rows = doc.table("The built-in scenarios");
    let listed: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r[0].trim_matches('`').to_string(), r[1].clone()))
        .collect();
    let actual: Vec<(String, String)> = builtins()
        .iter()
        .map(|b| (b.name.to_string(), b.summary.to_string()))
        .collect();
    assert_eq!(listed, actual);
}

#[test]
fn the_limits_are_the_parsers() {
    let doc = Doc::named("scenario-language.md");
    let limits = doc.section("Limits");
    assert!(
        limits.contains(&format!("1 to {MAX_SEND_BYTES} bytes")),
        "MAX_SEND_BYTES is {MAX_SEND_BYTES}"
    );
    let ten_min = synack_sim::scenario::parser::WAIT_UNTIL_MAX_US;
    assert_eq!(ten_min, 10 * 60 * 1_000_000);
    assert!(limits.contains("| `wait until` without `max` | 10 minutes"));
}

/// Whether `span` looks like a path the architecture page names:
/// `seq.rs`, `endpoint/`, `world/stepper.rs::World::new`, `endpoint/input*`.
fn path_like(span: &str) -> bool {
    let path = span.split("::").next().unwrap_or("");
    !span.contains("**")
        && (path.ends_with(".rs") || path.ends_with('/') || path.ends_with('*'))
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./*".contains(c))
}

/// The files a path with an optional trailing `*` names, under `base`.
fn resolve(base: &Path, path: &str) -> Vec<PathBuf> {
    let Some(prefix) = path.strip_suffix('*') else {
        let p = base.join(path);
        return if p.exists() { vec![p] } else { Vec::new() };
    };
    let p = base.join(prefix);
    let (dir, stem) = (
        p.parent().unwrap_or(base),
        p.file_name().unwrap_or_default(),
    );
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|e| {
            e.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&*stem.to_string_lossy()))
        })
        .collect()
}

/// The Rust source of `paths` (directories: every `.rs` file below).
fn source(paths: &[PathBuf]) -> String {
    let mut out = String::new();
    for p in paths {
        if p.is_dir() {
            let entries: Vec<PathBuf> = std::fs::read_dir(p)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .collect();
            out.push_str(&source(&entries));
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push_str(&std::fs::read_to_string(p).unwrap_or_default());
        }
    }
    out
}

#[test]
fn the_architecture_names_files_and_functions_that_exist() {
    let doc = Doc::named("architecture.md");
    let root = root();
    let mut base = root.join("sim/src");
    let mut checked = 0;
    let mut missing = Vec::new();
    for line in doc.text.lines() {
        // Paths are under sim/src/, except in each crate's own table (under
        // that crate's src/) and where they start at the repository root.
        if line.starts_with("## ") {
            base = root.join("sim/src");
        }
        for (heading, dir) in [("### `capture/`", "capture/src"), ("### `cli/`", "cli/src")] {
            if line.starts_with(heading) {
                base = root.join(dir);
            }
        }
        let spans: Vec<&str> = line.split('`').skip(1).step_by(2).collect();
        // A table row that starts with a directory names files inside it.
        let row_base = match spans.first() {
            Some(first) if line.starts_with("| `") && first.ends_with('/') => base.join(first),
            _ => base.clone(),
        };
        for (i, span) in spans.iter().enumerate() {
            let span = *span;
            if !path_like(span) {
                continue;
            }
            let base = if i == 0 { &base } else { &row_base };
            let mut parts = span.split("::");
            let path = parts.next().unwrap_or("");
            let from_root = ["sim/", "capture/", "cli/", "tests/", "docs/"]
                .iter()
                .any(|r| path.starts_with(r));
            let files = resolve(if from_root { &root } else { base }, path);
            checked += 1;
            if files.is_empty() {
                missing.push(format!("{span}: no such file"));
                continue;
            }
            let code = source(&files);
            for name in parts {
                let defined = ["fn ", "struct ", "enum ", "trait ", "const ", "impl "]
                    .iter()
                    .any(|k| {
                        code.match_indices(&format!("{k}{name}")).any(|(i, m)| {
                            !code[i + m.len()..]
                                .starts_with(|c: char| c.is_alphanumeric() || c == '_')
                        })
                    });
                if !defined {
                    missing.push(format!("{span}: no `{name}` in {path}"));
                }
            }
        }
    }
    assert!(checked >= 80, "only {checked} paths checked");
    assert!(
        missing.is_empty(),
        "docs/architecture.md:\n{}",
        missing.join("\n")
    );
}

#[test]
fn no_source_cites_a_design_file_outside_the_repository() {
    // Built at run time, so this file does not cite it either.
    let outside = format!("{}.md", "DESIGN");
    let mut cites = Vec::new();
    let mut stack: Vec<PathBuf> = ["sim", "capture", "cli", "tests"]
        .iter()
        .map(|d| root().join(d))
        .collect();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            if p.ends_with("snapshots") {
                continue;
            }
            stack.extend(
                std::fs::read_dir(&p)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.path()),
            );
        } else if p
            .extension()
            .is_some_and(|e| e == "rs" || e == "toml" || e == "tcp")
        {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            for (n, line) in text.lines().enumerate() {
                if line.contains(&outside) {
                    cites.push(format!("{}:{}: {line}", p.display(), n + 1));
                }
            }
        }
    }
    assert!(
        cites.is_empty(),
        "cite docs/ instead, which users can read:\n{}",
        cites.join("\n")
    );
}
