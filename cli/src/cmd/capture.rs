//! `synack capture`: live capture with libpcap (default `lo`), each segment
//! annotated as it arrives: a reader thread empties the kernel's ring into
//! batches, this thread annotates them (`BatchedCapture`). Started as root,
//! it switches to `--user` (default `nobody`) once the interface and the
//! files are open. Stops at `--count` or Ctrl-C, flushes the `-w` file
//! (also every 50 ms while it runs) and prints libpcap's counters, and one
//! more line when packets were dropped.

use crate::args::{CaptureArgs, Format};
use crate::error::CliError;
use crate::output::Output;
use crate::render::{self, Header};
use crate::Outcome;
use anyhow::{Context, Result};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use synack_capture::live::{drop_privileges, Next};
use synack_capture::{Feed, LiveCapture, LiveError, LiveOptions, Tuning};

/// The default snaplen: the link, IP and TCP headers (tunnels too) and the
/// short payload a transcript shows in quotes.
const HEADERS: u32 = 256;
/// The default snaplen with `-w`: whole packets.
const WHOLE: u32 = 262_144;
/// The kernel's ring: at full loopback speed it holds what arrives while
/// the reader thread is not scheduled (bench/README.md, "capture under load").
const RING_BYTES: u32 = 64 << 20;
/// Whether to keep lo's sent copies out of the ring with `inbound`. Off:
/// with it, tests/tests/capture_gigabyte.rs found a few hundred packets
/// the kernel counted as received (and not dropped) but never handed over;
/// not understood yet, so not used.
const KERNEL_INBOUND: bool = false;
/// The kernel hands over a block of packets at least this often.
const BLOCK_TIMEOUT_MS: i32 = 10;
/// The longest one wait for a packet takes (bounds Ctrl-C latency).
const WAIT: Duration = Duration::from_millis(20);
/// How often the transcript is flushed while segments come.
const SHOW_EVERY: Duration = Duration::from_millis(20);

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
    if let LiveError::NoLibpcap { detail } = &e {
        CliError::MissingComponent {
            what: "libpcap, the library live capture uses,".into(),
            fix: format!("install it with `apt-get install libpcap0.8` (Debian, Ubuntu) or your system's libpcap package ({detail})"),
        }
    } else if e.is_permission() {
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
    let snaplen = args
        .snaplen
        .unwrap_or(if args.write.is_some() { WHOLE } else { HEADERS });
    let shown_filter = bpf(args.port, args.filter.as_deref());
    // On lo the kernel puts each packet in the ring twice (sent and
    // received) and libpcap throws the sent copy away; `inbound` keeps it
    // out of the ring, which then holds twice as many packets.
    let kernel_filter = match (&shown_filter, args.interface == "lo" && KERNEL_INBOUND) {
        (Some(f), true) => Some(format!("inbound and ({f})")),
        (None, true) => Some("inbound".to_owned()),
        (f, false) => f.clone(),
    };
    let opts = LiveOptions {
        iface: args.interface.clone(),
        filter: kernel_filter,
        snaplen,
        timeout_ms: BLOCK_TIMEOUT_MS,
        ..LiveOptions::default()
    };
    let tuning = Tuning {
        buffer_bytes: Some(RING_BYTES),
        immediate: false,
    };
    let mut cap = LiveCapture::open_tuned(&opts, &tuning)
        .map_err(live_error)?
        .into_batched(args.write.as_deref())
        .map_err(live_error)?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // A second Ctrl-C while we flush falls back to the default (exit).
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    let mut out = Output::open(&args.output)?;
    // The device and the files are open: root is no longer needed.
    drop_privileges(&args.user)
        .map_err(|e| CliError::Live(crate::error::clause(&e.to_string())))?;
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
            shown_filter
                .as_deref()
                .map(|f| format!(" with filter '{f}'"))
                .unwrap_or_default()
        );
        let mut stopping = false;
        let mut unflushed = false;
        let mut last_flush = Instant::now();
        loop {
            if args.count.is_some_and(|n| seen >= n) {
                cap.stop_and_discard().map_err(live_error)?;
                break;
            }
            if !stopping && stop.load(Ordering::SeqCst) {
                // What was read before Ctrl-C is still shown.
                cap.stop();
                stopping = true;
            }
            match cap.next_record(WAIT).map_err(live_error)? {
                Next::Record(rec) => {
                    seen += 1;
                    feed.record(&rec, sink.as_mut())
                        .context("cannot write the transcript")?;
                    unflushed = true;
                }
                Next::Idle => {}
                Next::End => break,
            }
            // Segments are shown as they arrive, a few milliseconds at a time.
            if unflushed && last_flush.elapsed() >= SHOW_EVERY {
                sink.flush().context("cannot write the transcript")?;
                unflushed = false;
                last_flush = Instant::now();
            }
        }
        sink.finish().context("cannot write the transcript")?;
    }
    out.writer.flush().context("cannot write the transcript")?;
    let st = cap.stats().unwrap_or_default();
    eprintln!(
        "synack: {} packets captured, {} received by filter, {} dropped by kernel, {} dropped by interface; {}",
        st.captured, st.received, st.dropped_by_kernel, st.dropped_by_interface, feed.stats
    );
    let dropped = u64::from(st.dropped_by_kernel) + u64::from(st.dropped_by_interface);
    if dropped > 0 {
        eprintln!(
            "synack: warning: {dropped} packets were dropped before synack could read them (the kernel's {} MB ring was full) and are missing from the transcript",
            RING_BYTES >> 20
        );
    }
    Ok(Outcome::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_libpcap_exits_3_and_says_how_to_install_it() {
        let e = live_error(LiveError::NoLibpcap {
            detail: "dlopen: libpcap.so.0.8: cannot open shared object file".into(),
        });
        assert_eq!(e.exit_code(), 3);
        let msg = e.to_string();
        assert!(msg.contains("libpcap"), "{msg}");
        assert!(msg.contains("apt-get install libpcap0.8"), "{msg}");
        assert!(msg.contains("libpcap.so.0.8: cannot open"), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
    }

    #[test]
    fn other_capture_errors_keep_their_exit_codes() {
        let e = live_error(LiveError::Permission {
            iface: "lo".into(),
            binary: "synack".into(),
            detail: "socket: Operation not permitted".into(),
        });
        assert_eq!(e.exit_code(), 3);
        let e = live_error(LiveError::NoSuchDevice {
            iface: "nope0".into(),
            detail: "No such device exists".into(),
        });
        assert_eq!(e.exit_code(), 2);
    }
}
