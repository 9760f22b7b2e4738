//! One module per subcommand.

pub mod annotate;
pub mod capture;
pub mod compare;
pub mod demo;
pub mod real;
pub mod scenarios;
pub mod sim;
pub mod step;
