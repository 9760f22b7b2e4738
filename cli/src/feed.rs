//! From capture records to an annotated transcript: decode each record,
//! count what it held, hand TCP segments to the observer. Shared by
//! `synack annotate` (files) and `synack capture` (live).

use std::io;
use synack_capture::{decode_record, NotTcp, Record, Stats};
use synack_sim::observer::{ObservedPacket, Observer};
use synack_sim::transcript::{ConnInfo, Event, EventKind, Sink};

/// Feeds records into an observer and a sink.
pub struct Feed {
    pub observer: Observer,
    pub stats: Stats,
    /// Timestamp of the first record: times are shown relative to it.
    t0_ns: Option<u64>,
    /// Time of the latest record, relative to the first.
    pub last_t_us: u64,
    note: String,
}

impl Default for Feed {
    fn default() -> Self {
        Feed::new()
    }
}

impl Feed {
    pub fn new() -> Feed {
        Feed {
            observer: Observer::new(),
            stats: Stats::default(),
            t0_ns: None,
            last_t_us: 0,
            note: String::new(),
        }
    }

    /// Decodes one record, counts it and annotates it into `sink`.
    pub fn record(&mut self, rec: &Record<'_>, sink: &mut dyn Sink) -> io::Result<()> {
        let t0 = *self.t0_ns.get_or_insert(rec.ts_ns);
        let t_us = rec.ts_ns.saturating_sub(t0) / 1_000;
        self.last_t_us = self.last_t_us.max(t_us);
        let decoded = decode_record(rec);
        self.stats.count(&decoded);
        match decoded {
            Ok(pkt) => {
                let obs = ObservedPacket {
                    t_us,
                    frame: rec.number,
                    src: pkt.src,
                    dst: pkt.dst,
                    hdr: pkt.hdr,
                    payload: pkt.payload,
                };
                self.observer.observe(&obs, sink)
            }
            // A record that is TCP but cannot be annotated is said so in the
            // text transcript; other protocols only count in the summary.
            Err(why @ (NotTcp::Truncated(_) | NotTcp::Malformed(_) | NotTcp::Fragment)) => {
                use std::fmt::Write as _;
                self.note.clear();
                let _ = write!(self.note, "frame {}: not annotated: {why}", rec.number);
                sink.event(&Event {
                    t_us,
                    conn: None,
                    kind: EventKind::Note { text: &self.note },
                })
            }
            Err(_) => Ok(()),
        }
    }
}

/// Passes on only the events of the connections `keep` accepts, so that
/// `--conn` and `--port` keep the connection ids of the whole capture.
pub struct ConnFilter<'a, F: Fn(&ConnInfo) -> bool> {
    pub inner: &'a mut dyn Sink,
    pub keep: F,
    /// Connection ids accepted so far (ids are dense and 1-based).
    kept: Vec<bool>,
}

impl<'a, F: Fn(&ConnInfo) -> bool> ConnFilter<'a, F> {
    pub fn new(inner: &'a mut dyn Sink, keep: F) -> Self {
        ConnFilter {
            inner,
            keep,
            kept: Vec::new(),
        }
    }

    fn is_kept(&self, conn: Option<u32>) -> bool {
        match conn {
            Some(id) => self.kept.get(id as usize).copied().unwrap_or(false),
            None => true,
        }
    }
}

impl<F: Fn(&ConnInfo) -> bool> Sink for ConnFilter<'_, F> {
    fn begin_conn(&mut self, info: &ConnInfo) -> io::Result<()> {
        let keep = (self.keep)(info);
        if let Some(id) = info.conn {
            let i = id as usize;
            if self.kept.len() <= i {
                self.kept.resize(i + 1, false);
            }
            self.kept[i] = keep;
        }
        if keep {
            self.inner.begin_conn(info)?;
        }
        Ok(())
    }

    fn event(&mut self, ev: &Event<'_>) -> io::Result<()> {
        if self.is_kept(ev.conn) {
            self.inner.event(ev)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.inner.finish()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    fn wants_events(&self) -> bool {
        self.inner.wants_events()
    }
}

/// The port of an `address:port` string of a [`ConnInfo`].
pub fn port_of(addr: &str) -> Option<u16> {
    addr.rsplit(':').next()?.parse().ok()
}
