//! The run's capture: libpcap on the namespace's `lo` ([`crate::live`]),
//! received copies only, filtered to the address pair, on a thread.
//!
//! # Calling order
//! 1. [`RealCapture::start`] after [`super::netns::enter`] and before the
//!    link starts: once it returns, the packet socket is bound and every
//!    later packet is captured.
//! 2. [`RealCapture::stop`] after the link stopped: reads what is left in
//!    the buffer and returns the [`Frame`]s in capture order.
//!
//! # Which copy, and when
//! `lo` passes each packet to the taps twice: when sent
//! (`dev_queue_xmit_nit`, PACKET_OUTGOING) and when received
//! (`__netif_receive_skb_core`, PACKET_HOST). Both come before the
//! PREROUTING hook where the link's queue sits, so the received copy of a
//! packet the link drops or holds is captured all the same, at its send
//! time (checked by the tests, see docs/real.md). Direction "in" keeps one
//! copy of each.
//!
//! # Clock
//! The kernel stamps the frames with `CLOCK_REALTIME`
//! (net/packet/af_packet.c, `tpacket_get_timestamp` falls back to
//! `ktime_get_real`); [`Frame::t_ns`] is converted to `CLOCK_MONOTONIC` with
//! the [`ClockOffset`] measured at start, like every other time of the run.

use super::clock::ClockOffset;
use super::netns::Netns;
use super::packet::packet_key;
use crate::decode::{decode, NotTcp};
use crate::link::LinkType;
use crate::live::{LiveCapture, LiveError, LiveOptions, LiveStats, DEFAULT_SNAPLEN};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use synack_sim::observer::TcpPacket;

/// How long an idle read waits before the thread looks at its stop flag.
const IDLE_MS: i32 = 2;

/// Options of [`RealCapture::start`].
#[derive(Clone, Debug)]
pub struct CaptureOptions {
    pub snaplen: u32,
    /// Also write every frame to this pcap or pcapng file (`-w FILE`).
    pub write_to: Option<PathBuf>,
}

impl Default for CaptureOptions {
    fn default() -> CaptureOptions {
        CaptureOptions {
            snaplen: DEFAULT_SNAPLEN,
            write_to: None,
        }
    }
}

/// One captured frame, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// 1-based capture order.
    pub number: u64,
    /// Monotonic ns (converted from the kernel's realtime stamp).
    pub t_ns: u64,
    /// The kernel's own stamp (realtime ns), as written to `-w FILE`.
    pub realtime_ns: u64,
    pub link: LinkType,
    pub data: Vec<u8>,
    pub orig_len: u32,
}

impl Frame {
    /// The IPv4/IPv6 packet inside the frame (`lo` is Ethernet with zero
    /// addresses; RAW and Linux SLL are handled for completeness).
    pub fn ip(&self) -> Option<&[u8]> {
        let at = match self.link {
            LinkType::ETHERNET => 14,
            LinkType::RAW => 0,
            LinkType::LINUX_SLL => 16,
            LinkType::LINUX_SLL2 => 20,
            _ => return None,
        };
        self.data.get(at..)
    }

    /// [`super::packet_key`] of the packet, to find its verdict.
    pub fn key(&self) -> Option<u64> {
        self.ip().map(packet_key)
    }

    /// The TCP segment in the frame.
    pub fn decode(&self) -> Result<TcpPacket<'_>, NotTcp> {
        decode(self.link, &self.data, self.orig_len)
    }
}

/// What [`RealCapture::stop`] returns.
#[derive(Clone, Debug, Default)]
pub struct CaptureReport {
    pub frames: Vec<Frame>,
    pub stats: LiveStats,
}

/// Why the capture failed.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{0}")]
    Live(#[from] LiveError),
    #[error("The capture thread failed: {0}.")]
    Thread(String),
}

impl CaptureError {
    /// True when a privilege or libpcap is missing (exit 3).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, CaptureError::Live(e) if e.is_permission() || e.is_missing_libpcap())
    }
}

/// A running capture.
pub struct RealCapture {
    stop: Arc<AtomicBool>,
    report: Receiver<Result<CaptureReport, CaptureError>>,
    thread: Option<JoinHandle<()>>,
    /// The realtime → monotonic offset the frames were converted with.
    pub offset: ClockOffset,
    /// How long [`RealCapture::start`] took.
    pub setup: Duration,
}

impl RealCapture {
    /// Opens the capture on `lo` (in the namespace) and starts reading.
    pub fn start(netns: &Netns, opts: &CaptureOptions) -> Result<RealCapture, CaptureError> {
        let begin = Instant::now();
        let mut live = LiveCapture::open_with(&LiveOptions {
            iface: "lo".into(),
            filter: Some(netns.pair.bpf_filter()),
            snaplen: opts.snaplen,
            timeout_ms: IDLE_MS,
            incoming_only: true,
        })?;
        if let Some(path) = &opts.write_to {
            live.write_to(path)?;
        }
        let offset = ClockOffset::measure();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let (tx, report) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("synack-capture".into())
            .spawn(move || {
                let mut live = live;
                let _ = tx.send(read_until_stopped(&mut live, &flag, offset));
                // Closing a packet socket waits for an RCU grace period
                // (net/packet/af_packet.c, `packet_release` calls
                // `synchronize_net`): done here, after the report is out.
                drop(live);
            })
            .map_err(|e| CaptureError::Thread(e.to_string()))?;
        Ok(RealCapture {
            stop,
            report,
            thread: Some(thread),
            offset,
            setup: begin.elapsed(),
        })
    }

    /// Stops reading once the buffer is empty, and returns the frames. The
    /// packet socket is closed afterwards on the capture's thread (some
    /// 20 ms of RCU grace period that the caller does not wait for).
    pub fn stop(mut self) -> Result<CaptureReport, CaptureError> {
        self.stop.store(true, Ordering::Release);
        // The thread closes on its own; a process exiting meanwhile waits
        // for the close in the kernel.
        drop(self.thread.take());
        self.report
            .recv()
            .map_err(|_| CaptureError::Thread("it panicked".into()))?
    }
}

impl Drop for RealCapture {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            self.stop.store(true, Ordering::Release);
            let _ = t.join();
        }
    }
}

fn read_until_stopped(
    live: &mut LiveCapture,
    stop: &AtomicBool,
    offset: ClockOffset,
) -> Result<CaptureReport, CaptureError> {
    let mut frames = Vec::new();
    loop {
        // Read the flag before the read: a stop seen here means every packet
        // the runner waited for is already in the socket's buffer.
        let stopping = stop.load(Ordering::Acquire);
        match live.next_record()? {
            Some(r) => frames.push(Frame {
                number: r.number,
                t_ns: offset.to_monotonic(r.ts_ns),
                realtime_ns: r.ts_ns,
                link: r.link,
                data: r.data.to_vec(),
                orig_len: r.orig_len,
            }),
            None if stopping => break,
            None => {}
        }
    }
    live.flush()?;
    let stats = live.stats()?;
    Ok(CaptureReport { frames, stats })
}
