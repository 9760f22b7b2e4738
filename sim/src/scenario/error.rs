//! Scenario errors: file:line:col and what was expected.

/// A scenario that cannot be parsed. Displays as `file:line:col: message`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{col}: {message}")]
pub struct ScenarioError {
    /// File name or built-in name.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (characters).
    pub col: u32,
    /// A full sentence naming what was found and what was expected.
    pub message: String,
}
