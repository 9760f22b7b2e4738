//! A live capture under load: one thread only reads the kernel's ring,
//! writes the `-w` file (flushed at least every [`FLUSH_EVERY`], so a kill
//! loses at most that much) and copies packets into batches; the caller's
//! thread annotates them. The reader never waits on annotation or output
//! (the batches queue between them), so the kernel ring is emptied as fast
//! as the kernel fills it; what the ring still cannot hold, the kernel
//! counts as dropped, and [`BatchedCapture::stats`] says so.

use super::libpcap::{Pcap, Stat};
use super::{classify, LiveCapture, LiveError, LiveStats, Output, RecordFile};
use crate::file::{FileFormat, Record};
use crate::link::LinkType;
use crate::write::{CaptureWriter, TsResolution};
use std::fs::File;
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The `-w` file is flushed at least this often by the reader thread, so a
/// process killed at any moment leaves all but the last this-long of it.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// A batch is handed over at this many packets or bytes, or as soon as the
/// ring is empty.
const BATCH_PACKETS: usize = 4096;
const BATCH_BYTES: usize = 1 << 20;
/// Batches waiting for the annotator (memory bound: 256 MB at most).
const QUEUED_BATCHES: usize = 256;
/// After a stop, how long the ring must stay empty before the reader ends
/// (longer than any block timeout a capture uses).
const DRAIN_QUIET: Duration = Duration::from_millis(500);
/// How long the reader sleeps when the ring is empty.
const READER_IDLE: Duration = Duration::from_millis(1);

/// Packets copied out of the ring.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    /// Timestamp (ns), length on the wire, the bytes in `bytes`.
    packets: Vec<(u64, u32, Range<usize>)>,
}

/// What [`BatchedCapture::next_record`] found.
pub enum Next<'a> {
    Record(Record<'a>),
    /// Nothing within the wait: check the stop flag and call again.
    Idle,
    /// The reader has stopped (after [`BatchedCapture::stop`]) and every
    /// packet it read has been handed out.
    End,
}

/// See the [module docs](self).
pub struct BatchedCapture {
    rx: Receiver<Batch>,
    stop: Arc<AtomicBool>,
    reader: Option<JoinHandle<Result<Stat, LiveError>>>,
    final_stat: Option<Stat>,
    link: LinkType,
    batch: Batch,
    at: usize,
    next_number: u64,
}

impl LiveCapture {
    /// Moves the capture to a reader thread of its own; see [`BatchedCapture`].
    /// With `write`, the reader thread also writes every packet it reads to
    /// that file (pcap or pcapng by its extension), created now with the
    /// privileges the process has now, flushed at least every
    /// [`FLUSH_EVERY`] and only ever ending at a record boundary: the file
    /// keeps up with the wire, however far annotation lags.
    pub fn into_batched(self, write: Option<&Path>) -> Result<BatchedCapture, LiveError> {
        let output = match write {
            Some(path) => Some(open_output(path, self.link, self.snaplen)?),
            None => None,
        };
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = sync_channel(QUEUED_BATCHES);
        let flag = Arc::clone(&stop);
        let LiveCapture {
            cap, iface, link, ..
        } = self;
        let reader = std::thread::Builder::new()
            .name("synack-capture-reader".into())
            .spawn(move || read_ring(cap, &iface, &flag, &tx, output))
            .ok();
        Ok(BatchedCapture {
            rx,
            stop,
            reader,
            final_stat: None,
            link,
            batch: Batch::default(),
            at: 0,
            next_number: 1,
        })
    }
}

fn open_output(path: &Path, link: LinkType, snaplen: u32) -> Result<Output<RecordFile>, LiveError> {
    let format =
        FileFormat::from_path(path).ok_or_else(|| LiveError::UnknownFormat(path.to_owned()))?;
    let werr = |source| LiveError::Write {
        path: path.to_owned(),
        source,
    };
    let file = File::create(path).map_err(werr)?;
    let mut writer = CaptureWriter::new(
        RecordFile::new(file),
        format,
        link,
        snaplen,
        TsResolution::Nano,
    )
    .map_err(werr)?;
    writer.flush().map_err(werr)?;
    Ok(Output {
        path: path.to_owned(),
        writer,
    })
}

fn write_error(out: &Output<RecordFile>, source: std::io::Error) -> LiveError {
    LiveError::Write {
        path: out.path.clone(),
        source,
    }
}

/// The reader thread: copies packets out of the ring into batches until
/// told to stop; then hands over what it holds and returns the kernel's
/// counters.
fn read_ring(
    mut cap: Pcap,
    iface: &str,
    stop: &AtomicBool,
    tx: &SyncSender<Batch>,
    mut output: Option<Output<RecordFile>>,
) -> Result<Stat, LiveError> {
    let mut batch = Batch::default();
    let mut last_flush = Instant::now();
    let send = |batch: &mut Batch| {
        if batch.packets.is_empty() {
            return true;
        }
        tx.send(std::mem::take(batch)).is_ok()
    };
    // After the stop, what the ring still holds is read too, until it has
    // been empty for longer than the kernel takes to hand over a block, and
    // never for longer than that after the stop (traffic that goes on would
    // otherwise keep it reading for ever).
    let mut empty_since: Option<Instant> = None;
    let mut stopped_at: Option<Instant> = None;
    loop {
        if stop.load(Ordering::Relaxed) {
            let since = *stopped_at.get_or_insert_with(Instant::now);
            if empty_since.is_some_and(|t| t.elapsed() >= DRAIN_QUIET)
                || since.elapsed() >= DRAIN_QUIET
            {
                break;
            }
        }
        if last_flush.elapsed() >= FLUSH_EVERY {
            last_flush = Instant::now();
            if let Some(out) = &mut output {
                out.writer.flush().map_err(|e| write_error(out, e))?;
            }
        }
        match cap.next_packet() {
            Ok(Some(p)) => {
                empty_since = None;
                let ts_ns = p.ts_ns;
                if let Some(out) = &mut output {
                    out.writer
                        .write_packet(ts_ns, p.data, p.len)
                        .map_err(|e| write_error(out, e))?;
                }
                let start = batch.bytes.len();
                batch.bytes.extend_from_slice(p.data);
                batch.packets.push((ts_ns, p.len, start..batch.bytes.len()));
                if (batch.packets.len() >= BATCH_PACKETS || batch.bytes.len() >= BATCH_BYTES)
                    && !send(&mut batch)
                {
                    break;
                }
            }
            Ok(None) => {
                empty_since.get_or_insert_with(Instant::now);
                if batch.packets.is_empty() {
                    std::thread::sleep(READER_IDLE);
                } else if !send(&mut batch) {
                    break;
                }
            }
            Err(e) => {
                send(&mut batch);
                return Err(classify(iface, e));
            }
        }
    }
    send(&mut batch);
    if let Some(out) = &mut output {
        out.writer.flush().map_err(|e| write_error(out, e))?;
    }
    cap.stats().map_err(|e| classify(iface, e))
}

impl BatchedCapture {
    /// The link type of the interface.
    pub fn link(&self) -> LinkType {
        self.link
    }

    /// The next packet, waiting at most `wait` for one. The packet is in the
    /// `-w` file's buffer before it is returned.
    pub fn next_record(&mut self, wait: Duration) -> Result<Next<'_>, LiveError> {
        if self.at >= self.batch.packets.len() {
            match self.rx.recv_timeout(wait) {
                Ok(b) => {
                    self.batch = b;
                    self.at = 0;
                }
                Err(RecvTimeoutError::Timeout) => return Ok(Next::Idle),
                Err(RecvTimeoutError::Disconnected) => {
                    self.join()?;
                    return Ok(Next::End);
                }
            }
        }
        let Some((ts_ns, orig_len, range)) = self.batch.packets.get(self.at).cloned() else {
            return Ok(Next::Idle);
        };
        self.at += 1;
        let data = self.batch.bytes.get(range).unwrap_or(&[]);
        let number = self.next_number;
        self.next_number += 1;
        Ok(Next::Record(Record {
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

    /// Tells the reader to stop; [`BatchedCapture::next_record`] then hands
    /// out what it had read and returns [`Next::End`].
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Stops the reader and throws away what it read but did not hand out
    /// (the `-w` file has it all the same): for a capture that has all it
    /// wants (`--count`). [`BatchedCapture::stats`] then has the counters.
    pub fn stop_and_discard(&mut self) -> Result<(), LiveError> {
        self.stop();
        self.batch = Batch::default();
        self.at = 0;
        while self.rx.recv().is_ok() {}
        self.join()
    }

    fn join(&mut self) -> Result<(), LiveError> {
        if let Some(h) = self.reader.take() {
            match h.join() {
                Ok(Ok(stat)) => self.final_stat = Some(stat),
                Ok(Err(e)) => return Err(e),
                Err(_) => {
                    return Err(LiveError::Pcap {
                        iface: String::new(),
                        detail: "the capture's reader thread panicked".into(),
                    })
                }
            }
        }
        Ok(())
    }

    /// Packets handed out and the kernel's counters, once the reader has
    /// stopped ([`Next::End`]); `None` before.
    pub fn stats(&self) -> Option<LiveStats> {
        self.final_stat.map(|s| LiveStats {
            captured: self.next_number - 1,
            received: s.received,
            dropped_by_kernel: s.dropped,
            dropped_by_interface: s.if_dropped,
        })
    }
}
