//! Renderers: each implements [`synack_sim::transcript::Sink`] over any
//! `impl Write`, so tests render into a `Vec<u8>`.

pub mod color;
pub mod compare;
pub mod json;
mod line;
pub mod num;
pub mod pcap;
pub mod summary;
pub mod text;
pub mod words;

pub use color::ColorChoice;

use crate::args::Format;
use crate::error::CliError;
use crate::output::Output;
use synack_capture::FileFormat;
use synack_sim::transcript::Sink;

/// The renderer of `format` over `out`: the one place every command turns
/// `--format` into a sink. `header` heads a text transcript.
pub fn open<'w>(
    format: Format,
    out: &'w mut Output,
    header: Header,
) -> Result<Box<dyn Sink + 'w>, CliError> {
    let color = out.color;
    Ok(match format {
        Format::Text => Box::new(TextRenderer::new(&mut out.writer, header, color)),
        Format::Json => Box::new(JsonRenderer::new(&mut out.writer)),
        Format::Pcap | Format::Pcapng => {
            if out.is_terminal {
                return Err(CliError::Usage(
                    "a capture file is binary: write it with -o FILE or pipe it (e.g. | wireshark -k -i -)"
                        .into(),
                ));
            }
            let file = match format {
                Format::Pcap => FileFormat::Pcap,
                _ => FileFormat::Pcapng,
            };
            Box::new(PcapRenderer::new(&mut out.writer, file))
        }
    })
}
pub use json::JsonRenderer;
pub use pcap::PcapRenderer;
pub use text::{Header, TextRenderer};
