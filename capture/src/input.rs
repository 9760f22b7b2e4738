//! The byte source under [`crate::CaptureReader`]: hands the format parsers
//! runs of contiguous bytes *in place*, so a record is never copied on its way
//! to the decoder.
//!
//! Two sources, one interface ([`Input::take`], [`Input::window`],
//! [`Input::skip`]):
//!
//! * **Stream**: any [`Read`] (stdin, pipes, in-memory slices). One buffer
//!   of [`STREAM_BUF`] bytes is filled by large reads; records are parsed where
//!   they lie, and only the few bytes of a record that straddles the end of the
//!   buffer are moved to its front before the next read. The buffer grows only
//!   for a block larger than itself.
//! * **Mapped**: a regular file, read through a read-only memory map of a
//!   window of [`MAP_WINDOW`] bytes that slides along the file. No `read(2)`
//!   copy at all, and the resident set stays bounded by the window (a map of
//!   the whole file would count every page of it).
//!
//! Both report the same results, record numbers, byte offsets and errors for
//! the same bytes (tests in `tests/files.rs` run every fixture through both).

use crate::error::FileError;
use memmap2::{Mmap, MmapOptions};
use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;

/// Size of the stream buffer: large reads, and every record of a sane file fits.
pub(crate) const STREAM_BUF: usize = 1024 * 1024;

/// Length of the mapped window of a file. Larger windows were not faster
/// (1 to 32 MiB measured the same on a 205 MB capture); the window counts in
/// the resident set, so it is kept small.
pub(crate) const MAP_WINDOW: usize = 8 * 1024 * 1024;

/// Buffered or mapped input that counts the bytes it has consumed.
pub(crate) struct Input<R> {
    src: Source<R>,
    /// Byte offset of the next unread byte.
    pub(crate) pos: u64,
}

enum Source<R> {
    Stream(Stream<R>),
    Mapped(Mapped),
}

struct Stream<R> {
    inner: R,
    buf: Vec<u8>,
    /// `buf[start..end]` holds bytes read but not yet consumed.
    start: usize,
    end: usize,
    /// Set once a read returned 0.
    eof: bool,
}

struct Mapped {
    file: File,
    /// The file's length when last looked at (grown files are followed).
    len: u64,
    /// The current window and the file offset of its first byte.
    map: Option<Mmap>,
    base: u64,
    /// How many bytes a window holds (more only for a larger block).
    window: usize,
}

impl<R: Read> Input<R> {
    /// Input from any reader, buffered.
    pub(crate) fn stream(inner: R) -> Input<R> {
        Input {
            src: Source::Stream(Stream {
                inner,
                buf: Vec::new(),
                start: 0,
                end: 0,
                eof: false,
            }),
            pos: 0,
        }
    }

    /// Consumes up to `n` bytes and returns where they lie in [`Input::window`];
    /// the range is shorter than `n` only at the end of the input. The range is
    /// valid until the next call of `take` or `skip`.
    pub(crate) fn take(&mut self, n: usize) -> Result<Range<usize>, FileError> {
        let pos = self.pos;
        let range = match &mut self.src {
            Source::Stream(s) => s.take(n, pos)?,
            Source::Mapped(m) => m.take(n, pos)?,
        };
        self.pos += range.len() as u64;
        Ok(range)
    }

    /// The unconsumed bytes already at hand (no I/O) and the index in
    /// [`Input::window`] where they start: what a fast path may parse in
    /// place before it calls [`Input::consume`].
    #[inline]
    pub(crate) fn ready(&self) -> (&[u8], usize) {
        match &self.src {
            Source::Stream(s) => (s.buf.get(s.start..s.end).unwrap_or(&[]), s.start),
            Source::Mapped(m) => {
                let map = m.map.as_deref().unwrap_or(&[]);
                let at = usize::try_from(self.pos.saturating_sub(m.base)).unwrap_or(usize::MAX);
                (map.get(at..).unwrap_or(&[]), at)
            }
        }
    }

    /// Consumes `n` bytes of those [`Input::ready`] returned (no more).
    #[inline]
    pub(crate) fn consume(&mut self, n: usize) {
        let n = n.min(self.ready().0.len());
        if let Source::Stream(s) = &mut self.src {
            s.start += n;
        }
        self.pos += n as u64;
    }

    /// The bytes ranges from [`Input::take`] index into.
    #[inline]
    pub(crate) fn window(&self) -> &[u8] {
        match &self.src {
            Source::Stream(s) => &s.buf,
            Source::Mapped(m) => m.map.as_deref().unwrap_or(&[]),
        }
    }

    /// Consumes up to `n` bytes into a fixed-size array; returns the array
    /// (zero-filled past the end) and how many bytes the input had.
    pub(crate) fn take_array<const N: usize>(&mut self) -> Result<([u8; N], usize), FileError> {
        let range = self.take(N)?;
        let got = range.len();
        let bytes = self.window().get(range).unwrap_or(&[]);
        if let Ok(whole) = <[u8; N]>::try_from(bytes) {
            return Ok((whole, N));
        }
        let mut out = [0u8; N];
        if let Some(dst) = out.get_mut(..bytes.len()) {
            dst.copy_from_slice(bytes);
        }
        Ok((out, got))
    }

    /// Discards up to `n` bytes; returns how many were discarded (fewer only
    /// at the end of the input). Buffers at most one stream buffer at a time.
    pub(crate) fn skip(&mut self, n: u64) -> Result<u64, FileError> {
        let mut left = n;
        while left > 0 {
            let want = usize::try_from(left).unwrap_or(usize::MAX).min(STREAM_BUF);
            let got = self.take(want)?.len();
            left -= got as u64;
            if got < want {
                break;
            }
        }
        Ok(n - left)
    }
}

impl Input<File> {
    /// Input from a file: mapped when it is a regular file, else read as a
    /// stream.
    pub(crate) fn file(file: File) -> Input<File> {
        Input::file_with_window(file, MAP_WINDOW)
    }

    /// [`Input::file`] with a window of `window` bytes (tests use small ones
    /// to make records straddle window ends).
    pub(crate) fn file_with_window(file: File, window: usize) -> Input<File> {
        let len = match file.metadata() {
            Ok(meta) if meta.is_file() => meta.len(),
            _ => return Input::stream(file),
        };
        Input {
            src: Source::Mapped(Mapped {
                file,
                len,
                map: None,
                base: 0,
                window: window.max(1),
            }),
            pos: 0,
        }
    }
}

impl<R: Read> Stream<R> {
    fn take(&mut self, n: usize, pos: u64) -> Result<Range<usize>, FileError> {
        if self.end - self.start < n && !self.eof {
            self.fill(n, pos)?;
        }
        let got = n.min(self.end - self.start);
        let range = self.start..self.start + got;
        self.start += got;
        Ok(range)
    }

    /// Reads until `n` bytes are buffered past `start` or the input ends.
    fn fill(&mut self, n: usize, pos: u64) -> Result<(), FileError> {
        // Move the unconsumed tail to the front, and grow for an outsized block.
        if self.buf.len() - self.start < n {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.buf.len() < n {
                self.buf.resize(n.max(STREAM_BUF), 0);
            }
        }
        while self.end - self.start < n {
            let Some(free) = self.buf.get_mut(self.end..) else {
                break;
            };
            match self.inner.read(free) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(got) => self.end += got,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    // As if every byte read so far had been consumed.
                    return Err(FileError::Io {
                        offset: pos + (self.end - self.start) as u64,
                        source,
                    });
                }
            }
        }
        Ok(())
    }
}

impl Mapped {
    fn take(&mut self, n: usize, pos: u64) -> Result<Range<usize>, FileError> {
        let window_end = self.base + self.map.as_ref().map_or(0, |m| m.len() as u64);
        if pos < self.base || pos + n as u64 > window_end {
            self.remap(n, pos)?;
        }
        let have = self.base + self.map.as_ref().map_or(0, |m| m.len() as u64);
        let got = (n as u64).min(have.saturating_sub(pos)) as usize;
        let start = usize::try_from(pos - self.base.min(pos)).unwrap_or(0);
        Ok(start..start + got)
    }

    /// Maps a window that starts at `pos` and holds at least `n` bytes, or
    /// as many as the file has.
    fn remap(&mut self, n: usize, pos: u64) -> Result<(), FileError> {
        let io_err = |source| FileError::Io {
            offset: pos,
            source,
        };
        if pos + (n.max(self.window) as u64) > self.len {
            // The file may have grown since we looked.
            self.len = self.file.metadata().map_err(io_err)?.len();
        }
        // Unmap the old window first: the resident set holds one window.
        self.map = None;
        self.base = pos;
        let len = (n.max(self.window) as u64).min(self.len.saturating_sub(pos));
        if len == 0 {
            return Ok(());
        }
        let len = usize::try_from(len).map_err(|_| io_err(io::ErrorKind::OutOfMemory.into()))?;
        // SAFETY: the map is read-only and private to this reader, and every
        // access goes through the `&[u8]` it derefs to, within its length, which
        // the file had when we last looked. What Rust cannot rule out is another
        // process changing the file underneath: a write would change bytes we
        // already read (no worse than reading a file while it is written), and
        // truncating it below the window would raise SIGBUS. synack reads
        // capture files that are no longer written, as tcpdump and Wireshark do;
        // a file being written is read as a snapshot plus what has been
        // appended at each window boundary.
        let map = unsafe {
            MmapOptions::new()
                .offset(pos)
                .len(len)
                .populate()
                .map(&self.file)
        }
        .map_err(io_err)?;
        self.map = Some(map);
        Ok(())
    }
}

#[cfg(test)]
#[path = "input_tests.rs"]
mod tests;
