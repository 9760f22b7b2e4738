//! From capture records to an annotated transcript: decode each record,
//! count what it held, hand TCP segments to the observer. Shared by
//! `synack annotate` (files and streams), `synack capture` (live) and
//! `synack real`.
//!
//! Calling order: [`Feed::new`], then [`Feed::record`] for every record in
//! capture order; [`Feed::summaries`], [`Feed::conn_count`] and
//! [`Feed::stats`] hold the summaries at the end.
//!
//! # Tunnels
//!
//! Connections are keyed by their inner addresses and ports, and by the
//! tunnel they travel in ([`Tunnel::key`]: kind, outer addresses, VNI or
//! key): the same inner 4-tuple in two VXLAN segments, or once inside a
//! tunnel and once outside it, are two connections, not one (Wireshark
//! merges them). Each tunnel gets an observer of its own, and the events of
//! all of them are renumbered into one sequence of connection and segment
//! ids, in capture order. A connection inside a tunnel starts with a note
//! naming it: `inside VXLAN 10.0.0.1 → 10.0.0.2 vni 42`.

use crate::decode::{decode_into, NotTcp, Tunnel, TunnelKind};
use crate::file::Record;
use crate::link::LinkType;
use crate::stats::Stats;
use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use synack_sim::observer::{ConnSummary, Observer};
use synack_sim::transcript::{ConnInfo, Event, EventKind, Note, Sink};

type TunnelKey = (TunnelKind, IpAddr, IpAddr, Option<u32>);

/// The connections of one tunnel.
struct Tunneled {
    /// The tunnel as its first packet showed it.
    tunnel: Tunnel,
    observer: Observer,
    /// The capture-wide id of each of the observer's connections.
    ids: Vec<u32>,
}

/// Feeds records into observers and a sink.
pub struct Feed {
    /// Connections outside any tunnel.
    plain: Observer,
    /// The capture-wide id of each of `plain`'s connections; empty while no
    /// tunnel has been seen, when `plain`'s own ids are the capture's.
    plain_ids: Vec<u32>,
    /// One observer per tunnel, in order of appearance, and its index by key.
    tunnels: Vec<Tunneled>,
    by_key: HashMap<TunnelKey, usize>,
    /// Connections and segments so far, all observers together.
    conns: u32,
    segments: u64,
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
            plain: Observer::new(),
            plain_ids: Vec::new(),
            tunnels: Vec::new(),
            by_key: HashMap::new(),
            conns: 0,
            segments: 0,
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
        if let Some(snaplen) = rec.over_snaplen {
            self.over_snaplen(t_us, rec, snaplen, sink)?;
        }
        let mut tunnel = None;
        // Matched by reference: moving the packet out of the result would
        // copy it (a memcpy of 152 bytes a packet, measured).
        let decoded = decode_into(rec.link, rec.data, rec.orig_len, &mut tunnel);
        let packet = match &decoded {
            Ok(packet) => packet,
            Err(why) => {
                self.stats.count_not_tcp(why);
                return self.not_tcp(t_us, rec, *why, sink);
            }
        };
        self.stats.count_tcp(packet, tunnel.is_some());
        self.segments += 1;
        // Until the first tunnel, the plain observer's ids are the capture's
        // and its events go straight to the sink; after it, every
        // observer's events are renumbered. One call of `observe` either
        // way, so that it stays inlined on the hot path.
        let renumbered = tunnel.is_some() || !self.tunnels.is_empty();
        let which = if renumbered { self.route(tunnel) } else { None };
        let (observer, ids) = match which {
            None => (&mut self.plain, &mut self.plain_ids),
            Some(i) => match self.tunnels.get_mut(i) {
                Some(t) => (&mut t.observer, &mut t.ids),
                None => return Ok(()),
            },
        };
        let (mut renumber, mut straight) = (None, None);
        if renumbered {
            renumber = Some(Renumber {
                inner: sink,
                ids,
                conns: &mut self.conns,
                segment: self.segments,
                t_us,
                tunnel: which.and(tunnel),
            });
        } else {
            straight = Some(sink);
        }
        let out: &mut dyn Sink = match (&mut renumber, straight) {
            (Some(r), _) => r,
            (None, Some(s)) => s,
            (None, None) => return Ok(()),
        };
        observer.observe(t_us, rec.number, packet, out)?;
        if let Some(r) = renumber {
            // A sink that wants no events gets no `begin_conn`: number the
            // new connection here.
            while r.ids.len() < observer.conn_count() {
                *r.conns += 1;
                r.ids.push(*r.conns);
            }
        }
        Ok(())
    }

    /// The observer of a packet once renumbering is on: `None` for the
    /// plain one, else the index of its tunnel's (made on first sight).
    #[cold]
    #[inline(never)]
    fn route(&mut self, tunnel: Option<Tunnel>) -> Option<usize> {
        if self.tunnels.is_empty() {
            // From now on every observer's ids are renumbered.
            self.conns = u32::try_from(self.plain.conn_count()).unwrap_or(u32::MAX);
            self.plain_ids = (1..=self.conns).collect();
        }
        let t = tunnel?;
        Some(*self.by_key.entry(t.key()).or_insert_with(|| {
            self.tunnels.push(Tunneled {
                tunnel: t,
                observer: Observer::new(),
                ids: Vec::new(),
            });
            self.tunnels.len() - 1
        }))
    }

    /// A record's caplen exceeds the snaplen: it was read whole; say so.
    #[cold]
    #[inline(never)]
    fn over_snaplen(
        &mut self,
        t_us: u64,
        rec: &Record<'_>,
        snaplen: u32,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        self.stats.over_snaplen += 1;
        let note = Note::Text(format!(
            "frame {}: its {} captured bytes exceed the snaplen of {snaplen}; read whole, as Wireshark reads it",
            rec.number,
            rec.data.len()
        ));
        sink.event(&Event {
            t_us,
            conn: None,
            kind: EventKind::Note(&note),
        })
    }

    /// A record that is TCP but cannot be annotated is said so in the
    /// transcript, and so is the first record of a link type synack does
    /// not decode; other protocols only count in the summary.
    #[inline(never)]
    fn not_tcp(
        &mut self,
        t_us: u64,
        rec: &Record<'_>,
        why: NotTcp,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        let text = match why {
            NotTcp::Truncated(_) | NotTcp::Malformed(_) | NotTcp::Fragment => {
                format!("frame {}: not annotated: {why}", rec.number)
            }
            NotTcp::UnknownLink(link) if self.stats.unknown_link.get(&link) == Some(&1) => format!(
                "frame {}: {}: its frames are not annotated",
                rec.number,
                unsupported(link)
            ),
            _ => return Ok(()),
        };
        let note = Note::Text(text);
        sink.event(&Event {
            t_us,
            conn: None,
            kind: EventKind::Note(&note),
        })
    }

    /// One summary per connection, ordered by conn id.
    pub fn summaries(&self) -> Vec<ConnSummary> {
        let renumbered = |obs: &Observer, ids: &[u32]| -> Vec<ConnSummary> {
            obs.summaries()
                .into_iter()
                .map(|mut s| {
                    if let Some(&id) = (s.conn as usize).checked_sub(1).and_then(|i| ids.get(i)) {
                        s.conn = id;
                    }
                    s
                })
                .collect()
        };
        let mut all = renumbered(&self.plain, &self.plain_ids);
        for t in &self.tunnels {
            all.extend(renumbered(&t.observer, &t.ids));
        }
        all.sort_by_key(|s| s.conn);
        all
    }

    /// Number of connections seen so far.
    pub fn conn_count(&self) -> usize {
        self.plain.conn_count()
            + self
                .tunnels
                .iter()
                .map(|t| t.observer.conn_count())
                .sum::<usize>()
    }

    /// The tunnels seen so far, in order of appearance, each as its first
    /// packet showed it.
    pub fn tunnels(&self) -> impl Iterator<Item = &Tunnel> {
        self.tunnels.iter().map(|t| &t.tunnel)
    }
}

/// `link type IEEE802_11_RADIOTAP (127) is not supported`, or
/// `link type 147 is not supported`.
pub fn unsupported(link: LinkType) -> String {
    match link.name() {
        Some(name) => format!("link type {name} ({}) is not supported", link.0),
        None => format!("link type {} is not supported", link.0),
    }
}

/// Passes events on with capture-wide connection and segment ids, and
/// notes the tunnel at the start of a connection inside one.
struct Renumber<'a, 's> {
    inner: &'s mut dyn Sink,
    /// The capture-wide id of each of this observer's connections.
    ids: &'a mut Vec<u32>,
    /// Connections numbered so far, capture-wide.
    conns: &'a mut u32,
    /// The capture-wide id of the segment being observed.
    segment: u64,
    t_us: u64,
    tunnel: Option<Tunnel>,
}

impl Sink for Renumber<'_, '_> {
    fn begin_conn(&mut self, info: &ConnInfo) -> io::Result<()> {
        *self.conns += 1;
        let id = *self.conns;
        self.ids.push(id);
        self.inner.begin_conn(&ConnInfo {
            conn: Some(id),
            ..*info
        })?;
        if let Some(t) = &self.tunnel {
            let note = Note::Text(format!("inside {t}"));
            self.inner.event(&Event {
                t_us: self.t_us,
                conn: Some(id),
                kind: EventKind::Note(&note),
            })?;
        }
        Ok(())
    }

    fn event(&mut self, ev: &Event<'_>) -> io::Result<()> {
        let conn = ev.conn.map(|c| {
            let i = (c as usize).checked_sub(1);
            i.and_then(|i| self.ids.get(i)).copied().unwrap_or(c)
        });
        let kind = match ev.kind {
            EventKind::Segment(s) => EventKind::Segment(synack_sim::transcript::SegmentEvent {
                id: self.segment,
                ..s
            }),
            other => other,
        };
        self.inner.event(&Event { conn, kind, ..*ev })
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
