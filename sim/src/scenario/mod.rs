//! The scenario language of DESIGN.md: the AST, its parser and the built-ins.

pub mod ast;

pub use ast::*;
