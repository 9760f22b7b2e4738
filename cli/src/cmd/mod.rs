//! One module per subcommand.

pub mod annotate;
pub mod capture;
pub mod demo;
pub mod scenarios;
pub mod sim;
pub mod step;
