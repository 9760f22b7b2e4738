//! The `-w` file of a live capture: bytes reach the file only when the
//! writer is flushed, which the capture does between records, so the file
//! on disk always ends at a record boundary: a process killed at any moment
//! leaves a file that readers take whole (up to the last flush).

use std::fs::File;
use std::io::{self, Write};

/// A file that is written only on [`Write::flush`], in one `write_all`.
#[derive(Debug)]
pub struct RecordFile {
    file: File,
    pending: Vec<u8>,
}

impl RecordFile {
    pub fn new(file: File) -> RecordFile {
        RecordFile {
            file,
            pending: Vec::with_capacity(1 << 20),
        }
    }

    /// Bytes written since the last flush.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

impl Write for RecordFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            self.file.write_all(&self.pending)?;
            self.pending.clear();
        }
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_reaches_the_file_before_a_flush() {
        let path = std::env::temp_dir().join(format!("synack-recordfile-{}", std::process::id()));
        let mut w = RecordFile::new(File::create(&path).unwrap());
        w.write_all(b"header").unwrap();
        w.write_all(b"record").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"");
        assert_eq!(w.pending(), 12);
        w.flush().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"headerrecord");
        assert_eq!(w.pending(), 0);
        let _ = std::fs::remove_file(&path);
    }
}
