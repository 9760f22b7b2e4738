//! From capture records to an annotated transcript: decode each record,
//! count what it held, hand TCP segments to the observer. Shared by
//! `synack annotate` (files), `synack capture` (live) and `synack real`.
//!
//! Calling order: [`Feed::new`], then [`Feed::record`] for every record in
//! capture order; `observer` and `stats` hold the summaries at the end.

use crate::decode::{decode_record, NotTcp};
use crate::file::Record;
use crate::stats::Stats;
use std::io;
use synack_sim::observer::Observer;
use synack_sim::transcript::{Event, EventKind, Note, Sink};

/// Feeds records into an observer and a sink.
pub struct Feed {
    pub observer: Observer,
    pub stats: Stats,
    /// Timestamp of the first record: times are shown relative to it.
    t0_ns: Option<u64>,
    /// Time of the latest record, relative to the first.
    pub last_t_us: u64,
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
            Ok(pkt) => self.observer.observe(t_us, rec.number, &pkt, sink),
            // A record that is TCP but cannot be annotated is said so in the
            // transcript; other protocols only count in the summary.
            Err(why @ (NotTcp::Truncated(_) | NotTcp::Malformed(_) | NotTcp::Fragment)) => {
                let note = Note::Text(format!("frame {}: not annotated: {why}", rec.number));
                sink.event(&Event {
                    t_us,
                    conn: None,
                    kind: EventKind::Note(&note),
                })
            }
            Err(_) => Ok(()),
        }
    }
}
