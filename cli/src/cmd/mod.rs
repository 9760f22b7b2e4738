//! One module per subcommand.

pub mod demo;
pub mod scenarios;
pub mod sim;
