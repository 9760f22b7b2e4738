//! Live capture with libpcap (loaded on demand, see [`libpcap`]): immediate mode, a BPF
//! filter, a read timeout so the caller's loop can check a stop flag, optional
//! writing of what is captured to a pcap or pcapng file, and kernel drop
//! statistics. Packets come out as the same [`Record`] the file reader yields,
//! so they go through the same decode path.

mod batched;
mod libpcap;
mod privilege;
mod sink_file;

pub use batched::{BatchedCapture, Next, FLUSH_EVERY};
pub use privilege::{drop_privileges, PrivilegeError, DEFAULT_USER};
pub use sink_file::RecordFile;

use self::libpcap::{Pcap, PcapError};
use crate::file::{FileFormat, Record};
use crate::link::LinkType;
use crate::write::{CaptureWriter, TsResolution};
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

/// The interface `synack capture` uses when none is given.
pub const DEFAULT_INTERFACE: &str = "lo";
/// The default snapshot length: whole packets.
pub const DEFAULT_SNAPLEN: u32 = 262_144;
/// How long one read waits for a packet before returning `Ok(None)`.
pub const DEFAULT_TIMEOUT_MS: i32 = 100;

/// Why live capture failed.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("No permission to capture on {iface}: run synack as root, or give the binary the capability with `sudo setcap cap_net_raw,cap_net_admin=eip {binary}` ({detail}).")]
    Permission {
        iface: String,
        binary: String,
        detail: String,
    },
    #[error("There is no network interface named {iface} ({detail}).")]
    NoSuchDevice { iface: String, detail: String },
    #[error("The capture filter {filter:?} is not valid BPF: {detail}.")]
    Filter { filter: String, detail: String },
    #[error("libpcap, which live capture needs, cannot be loaded ({detail}); install it with `apt-get install libpcap0.8` (Debian, Ubuntu) or your system's libpcap package.")]
    NoLibpcap { detail: String },
    #[error("Live capture on {iface} failed: {detail}.")]
    Pcap { iface: String, detail: String },
    #[error("The output file {} has no .pcap or .pcapng extension, so its format is unknown.", .0.display())]
    UnknownFormat(PathBuf),
    #[error("Writing the capture to {} failed: {source}.", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl LiveError {
    /// The process should exit 3: a missing privilege.
    pub fn is_permission(&self) -> bool {
        matches!(self, LiveError::Permission { .. })
    }

    /// The process should exit 3: libpcap is not installed.
    pub fn is_missing_libpcap(&self) -> bool {
        matches!(self, LiveError::NoLibpcap { .. })
    }
}

/// Kernel statistics of a live capture (pcap_stats).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LiveStats {
    /// Packets the capture saw (records read by this process).
    pub captured: u64,
    /// Packets the kernel received for this capture (as libpcap reports it).
    pub received: u32,
    /// Packets the kernel dropped because the buffer was full.
    pub dropped_by_kernel: u32,
    /// Packets the interface or its driver dropped.
    pub dropped_by_interface: u32,
}

/// The longest a read with no packet waits (bounds Ctrl-C latency and the
/// delay before a packet that arrives while we sleep is shown).
const IDLE_POLL_MS: u64 = 10;

/// Options of [`LiveCapture::open_with`].
#[derive(Clone, Debug)]
pub struct LiveOptions {
    pub iface: String,
    /// A BPF filter, e.g. `tcp port 9999`.
    pub filter: Option<String>,
    pub snaplen: u32,
    /// Read timeout in milliseconds; a read returns `Ok(None)` after it.
    pub timeout_ms: i32,
    /// Only packets the interface received (`pcap_setdirection(PCAP_D_IN)`).
    /// On `lo` every packet is seen twice, once sent and once received;
    /// this keeps the received copy.
    pub incoming_only: bool,
}

impl Default for LiveOptions {
    fn default() -> LiveOptions {
        LiveOptions {
            iface: DEFAULT_INTERFACE.to_owned(),
            filter: None,
            snaplen: DEFAULT_SNAPLEN,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            incoming_only: false,
        }
    }
}

/// How the kernel side of a capture is set up, beyond [`LiveOptions`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuning {
    /// The kernel ring's size in bytes (`pcap_set_buffer_size`); `None`
    /// keeps libpcap's default (2 MB).
    pub buffer_bytes: Option<u32>,
    /// Immediate mode: each packet is handed over as it arrives. Off, the
    /// kernel hands over blocks of packets (TPACKET_V3, packets packed by
    /// their length) at least every read timeout: far fewer wake-ups and
    /// no fixed-size slot per packet, for captures under load.
    pub immediate: bool,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning {
            buffer_bytes: None,
            immediate: true,
        }
    }
}

struct Output<W: std::io::Write = BufWriter<File>> {
    path: PathBuf,
    writer: CaptureWriter<W>,
}

/// An open live capture.
pub struct LiveCapture {
    cap: Pcap,
    iface: String,
    link: LinkType,
    snaplen: u32,
    /// How long a read with nothing to read waits before returning `None`.
    idle_ms: u64,
    next_number: u64,
    output: Option<Output>,
}

/// Opens a live capture on `iface` with an optional BPF `filter` and the given
/// snaplen, in immediate mode, with the default read timeout.
pub fn open(iface: &str, filter: Option<&str>, snaplen: u32) -> Result<LiveCapture, LiveError> {
    LiveCapture::open_with(&LiveOptions {
        iface: iface.to_owned(),
        filter: filter.map(str::to_owned),
        snaplen,
        ..LiveOptions::default()
    })
}

impl LiveCapture {
    /// Opens a live capture with full options.
    pub fn open_with(opts: &LiveOptions) -> Result<LiveCapture, LiveError> {
        LiveCapture::open_tuned(opts, &Tuning::default())
    }

    /// Opens a live capture with full options and the kernel side tuned.
    pub fn open_tuned(opts: &LiveOptions, tuning: &Tuning) -> Result<LiveCapture, LiveError> {
        let iface = opts.iface.as_str();
        let snaplen = i32::try_from(opts.snaplen).unwrap_or(i32::MAX);
        let fail = |e| classify(iface, e);
        let mut cap = Pcap::create(iface).map_err(fail)?;
        if let Some(bytes) = tuning.buffer_bytes {
            cap.set_buffer_size(i32::try_from(bytes).unwrap_or(i32::MAX));
        }
        cap.set_promisc(false);
        cap.set_immediate_mode(tuning.immediate);
        cap.set_snaplen(snaplen);
        cap.set_timeout(opts.timeout_ms.max(1));
        cap.set_nano_precision();
        cap.activate().map_err(fail)?;
        // In immediate mode libpcap ignores the read timeout and blocks
        // until a packet comes, so a quiet interface would never let the
        // caller see its stop flag (Ctrl-C). Non-blocking reads, with a
        // short sleep when nothing is there, keep `next_record` bounded.
        cap.set_nonblock().map_err(fail)?;
        if opts.incoming_only {
            cap.set_direction_in().map_err(fail)?;
        }
        if let Some(filter) = &opts.filter {
            cap.set_filter(filter).map_err(|e| match e {
                PcapError::Failed(text) => LiveError::Filter {
                    filter: filter.clone(),
                    detail: text.trim_end_matches('.').to_owned(),
                },
                e => classify(iface, e),
            })?;
        }
        let link = LinkType::from_dlt(cap.datalink());
        Ok(LiveCapture {
            cap,
            iface: iface.to_owned(),
            link,
            snaplen: opts.snaplen,
            idle_ms: u64::try_from(opts.timeout_ms.max(1)).unwrap_or(1),
            next_number: 1,
            output: None,
        })
    }

    /// Also writes every packet read from now on to `path`, as pcap or pcapng
    /// by its extension (nanosecond timestamps).
    pub fn write_to(&mut self, path: &Path) -> Result<(), LiveError> {
        let format =
            FileFormat::from_path(path).ok_or_else(|| LiveError::UnknownFormat(path.to_owned()))?;
        let werr = |source| LiveError::Write {
            path: path.to_owned(),
            source,
        };
        let file = File::create(path).map_err(werr)?;
        let writer = CaptureWriter::new(
            BufWriter::new(file),
            format,
            self.link,
            self.snaplen,
            TsResolution::Nano,
        )
        .map_err(werr)?;
        self.output = Some(Output {
            path: path.to_owned(),
            writer,
        });
        Ok(())
    }

    /// The link type of the interface.
    pub fn link(&self) -> LinkType {
        self.link
    }

    /// Reads the next packet: `Ok(Some(record))`, or `Ok(None)` when the read
    /// timeout passed without one (check your stop flag and call again). The
    /// packet is written to the output file, if any, before it is returned.
    /// `offset` in the record is 0: live packets have no file position.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, LiveError> {
        let packet = match self.cap.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => {
                std::thread::sleep(std::time::Duration::from_millis(
                    self.idle_ms.min(IDLE_POLL_MS),
                ));
                return Ok(None);
            }
            Err(e) => return Err(classify(&self.iface, e)),
        };
        let ts_ns = packet.ts_ns;
        let orig_len = packet.len;
        let data: &[u8] = packet.data;
        if let Some(out) = &mut self.output {
            out.writer
                .write_packet(ts_ns, data, orig_len)
                .map_err(|source| LiveError::Write {
                    path: out.path.clone(),
                    source,
                })?;
        }
        let number = self.next_number;
        self.next_number += 1;
        Ok(Some(Record {
            number,
            offset: 0,
            ts_ns,
            link: self.link,
            interface: 0,
            data,
            orig_len,
            over_snaplen: None,
        }))
    }

    /// Flushes the output file, if any.
    pub fn flush(&mut self) -> Result<(), LiveError> {
        if let Some(out) = &mut self.output {
            out.writer.flush().map_err(|source| LiveError::Write {
                path: out.path.clone(),
                source,
            })?;
        }
        Ok(())
    }

    /// Packets read so far and the kernel's drop counters.
    pub fn stats(&mut self) -> Result<LiveStats, LiveError> {
        let s = self.cap.stats().map_err(|e| classify(&self.iface, e))?;
        Ok(LiveStats {
            captured: self.next_number - 1,
            received: s.received,
            dropped_by_kernel: s.dropped,
            dropped_by_interface: s.if_dropped,
        })
    }
}

/// Maps a libpcap error to a [`LiveError`], recognising a missing libpcap,
/// missing privilege ("Operation not permitted", "You don't have permission
/// …") and unknown devices.
fn classify(iface: &str, e: PcapError) -> LiveError {
    match e {
        PcapError::Unavailable(detail) => LiveError::NoLibpcap { detail },
        PcapError::Failed(text) => classify_text(iface, text.trim_end_matches('.').to_owned()),
    }
}

fn classify_text(iface: &str, detail: String) -> LiveError {
    let lower = detail.to_ascii_lowercase();
    if lower.contains("permission") || lower.contains("not permitted") || lower.contains("eperm") {
        let binary = std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "<path to synack>".to_owned());
        LiveError::Permission {
            iface: iface.to_owned(),
            binary,
            detail,
        }
    } else if lower.contains("no such device") || lower.contains("doesn't exist") {
        LiveError::NoSuchDevice {
            iface: iface.to_owned(),
            detail,
        }
    } else {
        LiveError::Pcap {
            iface: iface.to_owned(),
            detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_errors_name_the_fix() {
        let e = classify_text("lo", "socket: Operation not permitted".into());
        assert!(e.is_permission());
        let msg = e.to_string();
        assert!(msg.contains("run synack as root"), "{msg}");
        assert!(
            msg.contains("setcap cap_net_raw,cap_net_admin=eip"),
            "{msg}"
        );
        assert!(!msg.contains('\n'));
        let e = classify_text(
            "eth0",
            "eth0: You don't have permission to capture on that device".into(),
        );
        assert!(e.is_permission());
    }

    #[test]
    fn other_errors_are_not_permission_errors() {
        let e = classify_text("nope0", "nope0: No such device exists".into());
        assert!(matches!(e, LiveError::NoSuchDevice { .. }));
        assert!(!e.is_permission());
        let e = classify_text("lo", "something odd".into());
        assert!(matches!(e, LiveError::Pcap { .. }));
    }

    #[test]
    fn unknown_interface_is_reported() {
        // Works as root or not: libpcap checks the device name either way, or
        // reports missing privilege first.
        match open("synack-no-such-if0", None, 1500) {
            Err(
                LiveError::NoSuchDevice { .. }
                | LiveError::Permission { .. }
                | LiveError::Pcap { .. },
            ) => {}
            Err(other) => panic!("unexpected error: {other}"),
            Ok(_) => panic!("opened an interface that does not exist"),
        }
    }
}
