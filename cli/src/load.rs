//! Finding a scenario: a built-in name or a `.tcp` file.

use crate::error::CliError;
use std::path::Path;
use synack_sim::scenario::builtin::{builtins, find};
use synack_sim::scenario::{parse, Scenario};

/// Whether `arg` names a file rather than a built-in: it contains `/`, ends
/// in `.tcp`, or exists as a file.
pub fn is_path(arg: &str) -> bool {
    arg.contains('/') || arg.ends_with(".tcp") || Path::new(arg).is_file()
}

/// Reads and parses the scenario `arg` names.
pub fn load(arg: &str) -> Result<Scenario, CliError> {
    if is_path(arg) {
        let text = std::fs::read_to_string(arg).map_err(|err| CliError::ReadScenario {
            path: arg.to_string(),
            err,
        })?;
        return Ok(parse(arg, &text)?);
    }
    match find(arg) {
        Some(b) => Ok(b.scenario()?),
        None => Err(CliError::UnknownScenario {
            name: arg.to_string(),
            suggestion: closest(arg, builtins().iter().map(|b| b.name)),
        }),
    }
}

/// The candidate closest to `name`, when it is close enough to be a typo:
/// at most one edit in three characters (and at least one allowed).
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance in characters, with adjacent swaps counting once.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // prev2, prev, cur: rows i-2, i-1, i of the table.
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let mut d = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            if i > 0 && j > 0 && a.get(i - 1) == Some(cb) && b.get(j - 1) == Some(ca) {
                d = d.min(prev2[j - 1] + 1);
            }
            cur[j + 1] = d;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_names_are_told_apart() {
        assert!(is_path("./x"));
        assert!(is_path("x.tcp"));
        assert!(is_path("dir/x"));
        assert!(!is_path("echo"));
    }

    #[test]
    fn typos_find_their_name() {
        let names = ["echo", "handshake", "retransmit"];
        assert_eq!(closest("ecoh", names.into_iter()), Some("echo"));
        assert_eq!(closest("handshak", names.into_iter()), Some("handshake"));
        assert_eq!(closest("retransmti", names.into_iter()), Some("retransmit"));
        assert_eq!(closest("zzzz", names.into_iter()), None);
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("abc", "acb"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn missing_file_names_the_file() {
        let err = load("no/such/file.tcp").err().map(|e| e.to_string());
        let msg = err.unwrap_or_default();
        assert!(
            msg.starts_with("cannot read scenario file \"no/such/file.tcp\": "),
            "{msg}"
        );
    }
}
