//! Tracepoints through perf_event_open(2): one event per tracepoint and
//! online CPU (`pid = -1`, `cpu = n`: every task on that CPU, host-wide),
//! the events of a CPU sharing one mmap'ed ring (`PERF_EVENT_IOC_SET_OUTPUT`).
//!
//! Each sample is `PERF_SAMPLE_TIME | PERF_SAMPLE_RAW`, its time on
//! `CLOCK_MONOTONIC` (`use_clockid`: the kernel stamps it with
//! `ktime_get_mono_fast_ns`, the clock of `clock_gettime(CLOCK_MONOTONIC)`).
//! The raw record starts with `common_type`, the tracepoint's id, which says
//! which tracepoint a sample of a shared ring is.
//!
//! Opening a tracepoint with raw samples needs CAP_PERFMON (or
//! CAP_SYS_ADMIN) in the *initial* user namespace when
//! `kernel.perf_event_paranoid` > -1 (kernel/events/core.c,
//! `perf_event_open` → `perf_allow_tracepoint`): root, never a user
//! namespace. The events are file descriptors: they close with the process.

use perf_event_open_sys as sys;
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{fence, Ordering};

/// Data pages per CPU ring (a power of two): 128 KiB, some 1500 events.
const RING_PAGES: usize = 32;

/// One raw sample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sample {
    pub t_ns: u64,
    pub raw: Vec<u8>,
}

impl Sample {
    /// The tracepoint id (`common_type`).
    pub fn event_id(&self) -> Option<u64> {
        self.raw
            .get(0..2)
            .map(|b| u64::from(u16::from_ne_bytes([b[0], b[1]])))
    }
}

struct Ring {
    base: *mut u8,
    len: usize,
    data_offset: usize,
    data_size: usize,
}

// SAFETY: the mapping is owned by the Ring and only touched through
// &mut self.
unsafe impl Send for Ring {}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: base/len are the mapping made in `Tracer::open`.
        unsafe { libc::munmap(self.base.cast(), self.len) };
    }
}

/// Open tracepoint events and their rings.
pub(crate) struct Tracer {
    rings: Vec<Ring>,
    /// The events, by tracepoint (one per online CPU each); closing them
    /// ends the tracing (see `Drop`).
    fds: Vec<Vec<OwnedFd>>,
    /// Samples the kernel could not write because a ring was full.
    pub lost: u64,
}

/// A tracepoint to open, with an optional ftrace filter (e.g.
/// `family == 2`); a filter the kernel refuses is skipped, userspace
/// filters again.
pub(crate) struct Request<'a> {
    pub id: u64,
    pub filter: Option<&'a str>,
}

impl Tracer {
    pub fn open(reqs: &[Request<'_>]) -> io::Result<Tracer> {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let mut rings = Vec::new();
        let mut fds: Vec<Vec<OwnedFd>> = reqs.iter().map(|_| Vec::new()).collect();
        for cpu in online_cpus()? {
            let mut leader: Option<i32> = None;
            for (i, req) in reqs.iter().enumerate() {
                let fd = open_event(req, cpu)?;
                let raw = fd.as_raw_fd();
                match leader {
                    None => {
                        let len = page * (1 + RING_PAGES);
                        // SAFETY: mapping a perf event fd read/write, as
                        // perf_event_open(2) documents for the ring.
                        let base = unsafe {
                            libc::mmap(
                                std::ptr::null_mut(),
                                len,
                                libc::PROT_READ | libc::PROT_WRITE,
                                libc::MAP_SHARED,
                                raw,
                                0,
                            )
                        };
                        if base == libc::MAP_FAILED {
                            return Err(io::Error::last_os_error());
                        }
                        let base = base.cast::<u8>();
                        // SAFETY: the first page is the perf_event_mmap_page.
                        let meta =
                            unsafe { &*(base as *const sys::bindings::perf_event_mmap_page) };
                        let (data_offset, data_size) = if meta.data_size != 0 {
                            (meta.data_offset as usize, meta.data_size as usize)
                        } else {
                            (page, page * RING_PAGES)
                        };
                        rings.push(Ring {
                            base,
                            len,
                            data_offset,
                            data_size,
                        });
                        leader = Some(raw);
                    }
                    Some(l) => {
                        // SAFETY: ioctl on two perf fds of the same CPU.
                        if unsafe { sys::ioctls::SET_OUTPUT(raw, l) } < 0 {
                            return Err(io::Error::last_os_error());
                        }
                    }
                }
                fds[i].push(fd);
            }
        }
        for fd in fds.iter().flatten() {
            // SAFETY: ioctl on a perf fd we own.
            if unsafe { sys::ioctls::ENABLE(fd.as_raw_fd(), 0) } < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(Tracer {
            rings,
            fds,
            lost: 0,
        })
    }

    /// Moves every sample written so far into `out` (unsorted across CPUs).
    pub fn drain(&mut self, out: &mut Vec<Sample>) {
        for ring in &mut self.rings {
            self.lost += drain_ring(ring, out);
        }
    }

    /// Number of open event descriptors.
    pub fn event_count(&self) -> usize {
        self.fds.iter().map(Vec::len).sum()
    }
}

impl Drop for Tracer {
    /// Closes the events on a thread of its own and returns at once.
    /// Releasing the last perf event of a tracepoint waits for RCU grace
    /// periods (kernel/trace/trace_event_perf.c, `perf_trace_event_unreg`
    /// calls `tracepoint_synchronize_unregister` under `event_mutex`): some
    /// 20–35 ms per tracepoint on this machine, one tracepoint after the
    /// other whatever the threads. Closing in the background overlaps that
    /// with the rest of the teardown; a process that exits meanwhile still
    /// waits for it (the kernel finishes the close on exit).
    fn drop(&mut self) {
        self.rings.clear();
        let groups = std::mem::take(&mut self.fds);
        // Should no thread start, the closure, and the events with it, are
        // dropped here: closed, only not in the background.
        let _ = std::thread::Builder::new()
            .name("synack-perf-close".into())
            .spawn(move || drop(groups));
    }
}

fn open_event(req: &Request<'_>, cpu: i32) -> io::Result<OwnedFd> {
    // SAFETY: perf_event_attr is plain old data; zero is its default.
    let mut attr: sys::bindings::perf_event_attr = unsafe { std::mem::zeroed() };
    attr.type_ = sys::bindings::PERF_TYPE_TRACEPOINT;
    attr.size = std::mem::size_of::<sys::bindings::perf_event_attr>() as u32;
    attr.config = req.id;
    attr.__bindgen_anon_1.sample_period = 1;
    attr.sample_type =
        u64::from(sys::bindings::PERF_SAMPLE_TIME) | u64::from(sys::bindings::PERF_SAMPLE_RAW);
    attr.set_disabled(1);
    attr.set_use_clockid(1);
    attr.clockid = libc::CLOCK_MONOTONIC;
    attr.__bindgen_anon_2.wakeup_events = 1;
    // SAFETY: a valid attr; pid -1 with a cpu means every task on it.
    let fd = unsafe {
        sys::perf_event_open(
            &mut attr,
            -1,
            cpu,
            -1,
            libc::c_ulong::from(sys::bindings::PERF_FLAG_FD_CLOEXEC),
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    if let Some(filter) = req.filter.and_then(|f| CString::new(f).ok()) {
        // SAFETY: a NUL-terminated filter string on a tracepoint fd. A
        // refusal (EINVAL on an unknown field) only costs filtering later.
        let r = unsafe { sys::ioctls::SET_FILTER(fd.as_raw_fd(), filter.as_ptr().cast_mut()) };
        if r < 0 {
            FILTERS_REFUSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
    Ok(fd)
}

/// Filters the kernel refused (process-wide count, for reports and tests).
pub(crate) static FILTERS_REFUSED: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

/// The online CPUs, from /sys/devices/system/cpu/online ("0-3,6").
fn online_cpus() -> io::Result<Vec<i32>> {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/online")?;
    Ok(parse_cpu_list(&text))
}

pub(crate) fn parse_cpu_list(text: &str) -> Vec<i32> {
    let mut cpus = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(a), Ok(b)) = (a.parse::<i32>(), b.parse::<i32>()) {
            cpus.extend(a..=b);
        }
    }
    cpus
}

const PERF_RECORD_LOST: u32 = 2;
const PERF_RECORD_SAMPLE: u32 = 9;

/// Reads a ring from data_tail to data_head (perf_event_open(2), "MMAP
/// layout": read data_head, then an acquire barrier; write data_tail after
/// the reads). Returns the lost count of PERF_RECORD_LOST records.
fn drain_ring(ring: &mut Ring, out: &mut Vec<Sample>) -> u64 {
    let meta = ring.base as *mut sys::bindings::perf_event_mmap_page;
    // SAFETY: meta points at the ring's control page, mapped while `ring`
    // lives; head is written by the kernel, so it is read volatile.
    let head = unsafe { std::ptr::read_volatile(&(*meta).data_head) };
    fence(Ordering::Acquire);
    // SAFETY: as above; only we write data_tail.
    let mut tail = unsafe { (*meta).data_tail };
    // SAFETY: the data area lies inside the mapping.
    let data =
        unsafe { std::slice::from_raw_parts(ring.base.add(ring.data_offset), ring.data_size) };
    let mut lost = 0;
    let mut rec = Vec::new();
    while tail < head {
        copy_wrapped(data, tail, 8, &mut rec);
        let ty = u32::from_ne_bytes(rec[0..4].try_into().expect("4 bytes"));
        let size = usize::from(u16::from_ne_bytes([rec[6], rec[7]]));
        if size < 8 {
            break; // a corrupt header: give up on this ring's backlog
        }
        copy_wrapped(data, tail, size, &mut rec);
        match ty {
            PERF_RECORD_SAMPLE if size >= 20 => {
                let t_ns = u64::from_ne_bytes(rec[8..16].try_into().expect("8 bytes"));
                let raw_len = u32::from_ne_bytes(rec[16..20].try_into().expect("4 bytes")) as usize;
                let raw = rec.get(20..20 + raw_len).unwrap_or(&rec[20..]).to_vec();
                out.push(Sample { t_ns, raw });
            }
            PERF_RECORD_LOST if size >= 24 => {
                lost += u64::from_ne_bytes(rec[16..24].try_into().expect("8 bytes"));
            }
            _ => {}
        }
        tail += size as u64;
    }
    fence(Ordering::Release);
    // SAFETY: as above; the kernel reads data_tail to know what is free.
    unsafe { std::ptr::write_volatile(&mut (*meta).data_tail, tail) };
    lost
}

/// Copies `len` bytes at ring position `pos` (wrapping) into `out`.
fn copy_wrapped(data: &[u8], pos: u64, len: usize, out: &mut Vec<u8>) {
    out.clear();
    let size = data.len();
    let start = (pos % size as u64) as usize;
    let first = len.min(size - start);
    out.extend_from_slice(&data[start..start + first]);
    out.extend_from_slice(&data[..len - first]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_as_sysfs_writes_them() {
        assert_eq!(parse_cpu_list("0-1\n"), [0, 1]);
        assert_eq!(parse_cpu_list("0,2-3,7"), [0, 2, 3, 7]);
        assert_eq!(parse_cpu_list("0"), [0]);
    }

    #[test]
    fn a_record_across_the_end_of_the_ring_is_reassembled() {
        let data: Vec<u8> = (0..16).collect();
        let mut out = Vec::new();
        copy_wrapped(&data, 14, 4, &mut out);
        assert_eq!(out, [14, 15, 0, 1]);
        copy_wrapped(&data, 32 + 3, 2, &mut out);
        assert_eq!(out, [3, 4]);
    }
}
