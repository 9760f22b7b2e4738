//! tracefs: where a tracepoint's id and the layout of its raw record are.
//!
//! `events/SYSTEM/EVENT/id` is the `config` of a PERF_TYPE_TRACEPOINT event;
//! `events/SYSTEM/EVENT/format` lists each field's offset and size in the
//! raw record (the layout changes between kernel releases: 6.x added
//! `err` to tcp_retransmit_skb, for one), so the offsets are read, never
//! assumed.

use super::KstateError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where tracefs usually is; the debugfs path serves older systems.
const CANDIDATES: [&str; 2] = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

/// Finds a mounted tracefs. When there is none and `may_mount` (the process
/// has its own mount namespace, so the host does not see it), mounts one
/// at `/sys/kernel/tracing`.
pub(crate) fn root(may_mount: bool) -> Result<PathBuf, KstateError> {
    if let Some(p) = CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.join("events").is_dir())
    {
        return Ok(p);
    }
    if !may_mount {
        return Err(KstateError::NoTracefs { detail: None });
    }
    // SAFETY: mount(2) with valid NUL-terminated strings and no data.
    let r = unsafe {
        libc::mount(
            c"nodev".as_ptr(),
            c"/sys/kernel/tracing".as_ptr(),
            c"tracefs".as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if r < 0 {
        return Err(KstateError::NoTracefs {
            detail: Some(std::io::Error::last_os_error().to_string()),
        });
    }
    Ok(PathBuf::from(CANDIDATES[0]))
}

/// One field of a tracepoint's raw record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Field {
    pub offset: usize,
    pub size: usize,
}

/// A tracepoint's id and fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Format {
    pub id: u64,
    pub fields: BTreeMap<String, Field>,
}

impl Format {
    /// Reads `events/{event}/format` (event = `system/name`).
    pub fn read(root: &Path, event: &str) -> Result<Format, KstateError> {
        let path = root.join("events").join(event).join("format");
        let text = std::fs::read_to_string(&path).map_err(|source| KstateError::Tracepoint {
            event: event.to_owned(),
            source,
        })?;
        Format::parse(&text).ok_or_else(|| KstateError::Tracepoint {
            event: event.to_owned(),
            source: std::io::Error::other("its format file has no ID line"),
        })
    }

    /// Parses a format file: the `ID:` line and every `field:` line.
    pub fn parse(text: &str) -> Option<Format> {
        let mut id = None;
        let mut fields = BTreeMap::new();
        for line in text.lines().map(str::trim) {
            if let Some(v) = line.strip_prefix("ID:") {
                id = v.trim().parse().ok();
                continue;
            }
            let Some(rest) = line.strip_prefix("field:") else {
                continue;
            };
            // "const void * skaddr;\toffset:8;\tsize:8;\tsigned:0;"
            let mut parts = rest.split(';').map(str::trim);
            let decl = parts.next()?;
            let name = decl
                .rsplit(|c: char| c.is_whitespace() || c == '*')
                .next()?
                .split('[')
                .next()?
                .to_owned();
            let mut offset = None;
            let mut size = None;
            for p in parts {
                if let Some(v) = p.strip_prefix("offset:") {
                    offset = v.parse().ok();
                } else if let Some(v) = p.strip_prefix("size:") {
                    size = v.parse().ok();
                }
            }
            if let (Some(offset), Some(size)) = (offset, size) {
                fields.insert(name, Field { offset, size });
            }
        }
        Some(Format { id: id?, fields })
    }

    pub fn field(&self, name: &str) -> Option<Field> {
        self.fields.get(name).copied()
    }

    /// Reads an unsigned field of 1, 2, 4 or 8 bytes (native byte order).
    pub fn uint(&self, raw: &[u8], name: &str) -> Option<u64> {
        let f = self.field(name)?;
        let b = raw.get(f.offset..f.offset + f.size)?;
        Some(match f.size {
            1 => u64::from(b[0]),
            2 => u64::from(u16::from_ne_bytes([b[0], b[1]])),
            4 => u64::from(u32::from_ne_bytes(b.try_into().ok()?)),
            8 => u64::from_ne_bytes(b.try_into().ok()?),
            _ => return None,
        })
    }

    /// Reads a signed 4-byte field.
    pub fn int(&self, raw: &[u8], name: &str) -> Option<i32> {
        let f = self.field(name)?;
        let b = raw.get(f.offset..f.offset + 4)?;
        Some(i32::from_ne_bytes(b.try_into().ok()?))
    }

    /// Reads a byte-array field (`__u8 saddr[4]`).
    pub fn bytes<'a>(&self, raw: &'a [u8], name: &str) -> Option<&'a [u8]> {
        let f = self.field(name)?;
        raw.get(f.offset..f.offset + f.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The format of sock:inet_sock_set_state on Linux 6.18.
    pub(crate) const SET_STATE: &str = "name: inet_sock_set_state
ID: 2287
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:const void * skaddr;\toffset:8;\tsize:8;\tsigned:0;
\tfield:int oldstate;\toffset:16;\tsize:4;\tsigned:1;
\tfield:int newstate;\toffset:20;\tsize:4;\tsigned:1;
\tfield:__u16 sport;\toffset:24;\tsize:2;\tsigned:0;
\tfield:__u16 dport;\toffset:26;\tsize:2;\tsigned:0;
\tfield:__u16 family;\toffset:28;\tsize:2;\tsigned:0;
\tfield:__u16 protocol;\toffset:30;\tsize:2;\tsigned:0;
\tfield:__u8 saddr[4];\toffset:32;\tsize:4;\tsigned:0;
\tfield:__u8 daddr[4];\toffset:36;\tsize:4;\tsigned:0;
\tfield:__u8 saddr_v6[16];\toffset:40;\tsize:16;\tsigned:0;
\tfield:__u8 daddr_v6[16];\toffset:56;\tsize:16;\tsigned:0;

print fmt: \"family=%s\"";

    #[test]
    fn parses_the_fields_of_inet_sock_set_state() {
        let f = Format::parse(SET_STATE).unwrap();
        assert_eq!(f.id, 2287);
        assert_eq!(f.field("skaddr"), Some(Field { offset: 8, size: 8 }));
        assert_eq!(
            f.field("saddr"),
            Some(Field {
                offset: 32,
                size: 4
            })
        );
        assert_eq!(
            f.field("daddr_v6"),
            Some(Field {
                offset: 56,
                size: 16
            })
        );
        assert_eq!(f.field("common_pid"), Some(Field { offset: 4, size: 4 }));
        let mut raw = vec![0u8; 72];
        raw[20..24].copy_from_slice(&10i32.to_ne_bytes());
        raw[24..26].copy_from_slice(&9999u16.to_ne_bytes());
        raw[32..36].copy_from_slice(&[127, 1, 0, 3]);
        assert_eq!(f.int(&raw, "newstate"), Some(10));
        assert_eq!(f.uint(&raw, "sport"), Some(9999));
        assert_eq!(f.bytes(&raw, "saddr"), Some(&[127, 1, 0, 3][..]));
        assert_eq!(f.uint(&raw, "nope"), None);
    }
}
