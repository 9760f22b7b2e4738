//! The built-in scenarios, each teaching one thing (stub list for now).

use super::ast::Scenario;
use super::error::ScenarioError;

/// A built-in scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Builtin {
    /// `handshake`, `echo`, ...
    pub name: &'static str,
    /// One line: what it teaches.
    pub summary: &'static str,
    /// The scenario text, in the scenario language.
    pub text: &'static str,
}

/// All built-ins, in the order `synack scenarios` lists them.
pub fn builtins() -> &'static [Builtin] {
    &[]
}

/// The built-in called `name`.
pub fn find(name: &str) -> Option<&'static Builtin> {
    builtins().iter().find(|b| b.name == name)
}

impl Builtin {
    /// Parses this built-in's text.
    pub fn scenario(&self) -> Result<Scenario, ScenarioError> {
        super::parser::parse(self.name, self.text)
    }
}
