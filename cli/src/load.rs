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

/// The built-in closest to `name`, when `name` looks like a typo of it.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let names: Vec<&'a str> = candidates.collect();
    synack_sim::scenario::closest(name, &names)
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
    fn missing_file_names_the_file() {
        let err = load("no/such/file.tcp").err().map(|e| e.to_string());
        let msg = err.unwrap_or_default();
        assert!(
            msg.starts_with("cannot read scenario file \"no/such/file.tcp\": "),
            "{msg}"
        );
    }
}
