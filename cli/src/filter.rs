//! `--conn` and `--port`: which connections of a capture a transcript shows.

use std::io;
use synack_sim::transcript::{ConnInfo, Event, Sink};

/// Whether a connection passes `--conn` and `--port`: its id is `conn` (when
/// given) and one of its ports is `port` (when given).
pub fn selected(conn: Option<u32>, port: Option<u16>, info: &ConnInfo) -> bool {
    conn.is_none_or(|c| info.conn == Some(c))
        && port.is_none_or(|p| info.client.port() == p || info.server.port() == p)
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

    /// How many connections passed so far.
    pub fn kept_count(&self) -> usize {
        self.kept.iter().filter(|k| **k).count()
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
