//! Renderers: each implements [`synack_sim::transcript::Sink`] over any
//! `impl Write`, so tests render into a `Vec<u8>`.

pub mod color;
pub mod compare;
pub mod diagram;
pub mod json;
mod line;
pub mod mermaid;
pub mod num;
pub mod pcap;
pub mod summary;
pub mod text;
pub mod words;

pub use color::ColorChoice;

use crate::args::{Format, Graph, ViewFlags};
use crate::error::CliError;
use crate::output::Output;
use synack_capture::FileFormat;
use synack_sim::transcript::Sink;

/// The renderer of `format` over `out`: the one place every command turns
/// `--format` into a sink. `header` says what ran (a text transcript's
/// first line, a picture's heading, a pcapng file's interface description);
/// `view` is the picture and window of `--graph`, `--from`, `--to`.
pub fn open<'w>(
    format: Format,
    out: &'w mut Output,
    header: Header,
    view: View,
) -> Result<Box<dyn Sink + 'w>, CliError> {
    let color = out.color;
    if view.time_sequence && format != Format::Svg {
        return Err(CliError::Usage(
            "--graph draws a picture: add --format svg".into(),
        ));
    }
    if view.is_windowed() && !matches!(format, Format::Svg | Format::Mermaid) {
        return Err(CliError::Usage(
            "--from and --to choose the stretch of time a picture shows: use them with --format svg or mermaid".into(),
        ));
    }
    if view.absolute && !matches!(format, Format::Text | Format::Json) {
        return Err(CliError::Usage(
            "--absolute shows raw sequence numbers in the text transcript (JSON always has them as seq and ack): use it with --format text".into(),
        ));
    }
    if let (Some(from), Some(to)) = (view.from_us, view.to_us) {
        if to < from {
            return Err(CliError::Usage("--to must not come before --from".into()));
        }
    }
    Ok(match format {
        Format::Svg => Box::new(DiagramRenderer::new(&mut out.writer, header, view)),
        Format::Mermaid => Box::new(MermaidRenderer::new(&mut out.writer, view)),
        Format::Text => {
            Box::new(TextRenderer::new(&mut out.writer, header, color).absolute(view.absolute))
        }
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
            Box::new(PcapRenderer::new(&mut out.writer, file, &header))
        }
    })
}
pub use diagram::{DiagramRenderer, View};
pub use json::JsonRenderer;
pub use mermaid::MermaidRenderer;
pub use pcap::PcapRenderer;
pub use text::{Header, TextRenderer};

impl From<&ViewFlags> for View {
    fn from(f: &ViewFlags) -> View {
        View {
            time_sequence: f.graph == Some(Graph::TimeSequence),
            from_us: f.from,
            to_us: f.to,
            absolute: f.absolute,
        }
    }
}
