//! Renderers: each implements [`synack_sim::transcript::Sink`] over any
//! `impl Write`, so tests render into a `Vec<u8>`.

pub mod color;
pub mod json;
pub mod pcap;
pub mod summary;
pub mod text;

pub use color::ColorChoice;
pub use json::JsonRenderer;
pub use pcap::PcapRenderer;
pub use text::{Header, TextRenderer};
