//! The scenario language of docs/scenario-language.md: the AST, its parser
//! and the built-ins.

pub mod ast;
pub mod builtin;
mod cursor;
pub mod error;
mod inject;
mod lexer;
pub mod parser;
mod settings;
mod values;

pub use ast::*;
pub use error::ScenarioError;
pub use inject::{MAX_INJECT_LEN, MAX_INJECT_WIN};
pub use parser::parse;
pub use values::{closest, parse_duration};
