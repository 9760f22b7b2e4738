//! The scenario language of DESIGN.md: the AST, its parser and the built-ins.

pub mod ast;
pub mod builtin;
pub mod error;
pub mod parser;

pub use ast::*;
pub use error::ScenarioError;
pub use parser::parse;
