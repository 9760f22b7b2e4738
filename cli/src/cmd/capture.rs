//! `synack capture`: live capture with libpcap (default `lo`), each segment
//! annotated as it arrives (immediate mode). Stops at `--count` or Ctrl-C,
//! flushes the `-w` file and prints libpcap's counters.

use crate::args::{CaptureArgs, Format};
use crate::error::CliError;
use crate::output::Output;
use crate::render::{self, Header};
use crate::Outcome;
use anyhow::{Context, Result};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use synack_capture::{Feed, LiveCapture, LiveError, LiveOptions};

/// The BPF filter for `--port` and `--filter` together.
pub fn bpf(port: Option<u16>, filter: Option<&str>) -> Option<String> {
    match (port, filter) {
        (None, None) => None,
        (Some(p), None) => Some(format!("tcp port {p}")),
        (None, Some(f)) => Some(f.to_string()),
        (Some(p), Some(f)) => Some(format!("(tcp port {p}) and ({f})")),
    }
}

fn live_error(e: LiveError) -> CliError {
    if e.is_permission() {
        CliError::MissingPrivilege {
            what: "live capture".into(),
            fix: crate::error::clause(&e.to_string()),
        }
    } else {
        CliError::Live(crate::error::clause(&e.to_string()))
    }
}

/// Runs `synack capture`.
pub fn run(args: &CaptureArgs) -> Result<Outcome> {
    if matches!(args.output.format, Format::Pcap | Format::Pcapng) {
        return Err(CliError::Usage(
            "capture prints text or json; use -w FILE to keep a pcap or pcapng copy".into(),
        )
        .into());
    }
    if matches!(args.output.format, Format::Svg | Format::Mermaid) {
        return Err(CliError::Usage(
            "capture prints text or json; for a picture keep a copy with -w FILE, then `synack annotate FILE --conn N --format svg`".into(),
        )
        .into());
    }
    let opts = LiveOptions {
        iface: args.interface.clone(),
        filter: bpf(args.port, args.filter.as_deref()),
        snaplen: args.snaplen,
        ..LiveOptions::default()
    };
    let mut cap = LiveCapture::open_with(&opts).map_err(live_error)?;
    if let Some(path) = &args.write {
        cap.write_to(path).map_err(live_error)?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // A second Ctrl-C while we flush falls back to the default (exit).
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    let mut out = Output::open(&args.output)?;
    let header = Header {
        what: format!("live capture on {}", args.interface),
        capture: true,
        ..Header::default()
    };
    let mut feed = Feed::new();
    let mut seen = 0u64;
    {
        let mut sink = render::open(
            args.output.format,
            &mut out,
            header,
            render::View::default(),
        )?;
        eprintln!(
            "synack: capturing on {}{} (Ctrl-C to stop)",
            args.interface,
            opts.filter
                .as_deref()
                .map(|f| format!(" with filter '{f}'"))
                .unwrap_or_default()
        );
        while !stop.load(Ordering::SeqCst) && args.count.is_none_or(|n| seen < n) {
            match cap.next_record().map_err(live_error)? {
                Some(rec) => {
                    seen += 1;
                    feed.record(&rec, sink.as_mut())
                        .context("cannot write the transcript")?;
                    // Each segment is shown as it arrives.
                    sink.flush().context("cannot write the transcript")?;
                }
                None => continue,
            }
        }
        sink.finish().context("cannot write the transcript")?;
    }
    out.writer.flush().context("cannot write the transcript")?;
    cap.flush().map_err(live_error)?;
    let st = cap.stats().map_err(live_error)?;
    eprintln!(
        "synack: {} packets captured, {} received by filter, {} dropped by kernel, {} dropped by interface; {}",
        st.captured, st.received, st.dropped_by_kernel, st.dropped_by_interface, feed.stats
    );
    Ok(Outcome::Ok)
}
