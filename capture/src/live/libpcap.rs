//! libpcap, loaded when a live capture opens a device, not when `synack`
//! starts.
//!
//! Why this is hand-written instead of the `pcap` crate: the crate links
//! libpcap at link time, so the dynamic loader maps libpcap and the ten
//! libraries it pulls in (libdbus, libsystemd, libgcrypt, liblzma, …) at
//! the start of every `synack` process, whatever the command. bench/README.md
//! ("Where the whole process's extra 30% goes") measured that at about
//! 0.7 ms of every run: a quarter of the gap between `synack sim --summary`
//! and the simulator's `run()` (issue 6, point 9). Here the library is
//! opened with `dlopen` (through `libloading`) the first time a capture is
//! created, and only the calls live capture uses are bound.
//!
//! [`Pcap`] is the safe wrapper: one `pcap_t`, closed on drop. Its calls
//! behave like the `pcap` crate's did: the `pcap_set_*` options ignore
//! libpcap's return (they only fail on an already active handle), and any
//! non-zero return of `pcap_activate` is an error with `pcap_geterr`'s text.

use libloading::Library;
use std::ffi::{c_char, c_int, c_long, c_uint, CStr, CString};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::sync::OnceLock;

/// The names tried, in order: Debian's and Ubuntu's runtime package
/// (`libpcap0.8`) installs `libpcap.so.0.8`; other distributions
/// `libpcap.so.1`; the development symlink last.
pub const LIBRARY_NAMES: [&str; 3] = ["libpcap.so.0.8", "libpcap.so.1", "libpcap.so"];

/// `PCAP_ERRBUF_SIZE`.
const ERRBUF_SIZE: usize = 256;
/// `PCAP_TSTAMP_PRECISION_NANO`.
const TSTAMP_PRECISION_NANO: c_int = 1;
/// `PCAP_D_IN` of `pcap_direction_t`.
const DIRECTION_IN: c_int = 1;
/// The netmask `pcap_compile` gets: 0, as the `pcap` crate passed (it only
/// matters to filters that use `ip broadcast`).
const NETMASK: u32 = 0;

/// `pcap_t`, opaque.
#[repr(C)]
struct RawPcap {
    _private: [u8; 0],
}

/// `struct timeval` on Linux.
#[repr(C)]
#[derive(Clone, Copy)]
struct Timeval {
    tv_sec: c_long,
    tv_usec: c_long,
}

/// `struct pcap_pkthdr`.
#[repr(C)]
struct PktHdr {
    ts: Timeval,
    caplen: c_uint,
    len: c_uint,
}

/// `struct pcap_stat` (the part every platform has).
#[repr(C)]
#[derive(Default)]
struct RawStat {
    ps_recv: c_uint,
    ps_drop: c_uint,
    ps_ifdrop: c_uint,
}

/// `struct bpf_program`.
#[repr(C)]
struct BpfProgram {
    bf_len: c_uint,
    bf_insns: *mut u8,
}

/// The libpcap calls live capture makes, bound once.
struct Api {
    create: unsafe extern "C" fn(*const c_char, *mut c_char) -> *mut RawPcap,
    set_snaplen: unsafe extern "C" fn(*mut RawPcap, c_int) -> c_int,
    set_promisc: unsafe extern "C" fn(*mut RawPcap, c_int) -> c_int,
    set_timeout: unsafe extern "C" fn(*mut RawPcap, c_int) -> c_int,
    set_buffer_size: unsafe extern "C" fn(*mut RawPcap, c_int) -> c_int,
    set_immediate_mode: unsafe extern "C" fn(*mut RawPcap, c_int) -> c_int,
    set_tstamp_precision: unsafe extern "C" fn(*mut RawPcap, c_int) -> c_int,
    activate: unsafe extern "C" fn(*mut RawPcap) -> c_int,
    setnonblock: unsafe extern "C" fn(*mut RawPcap, c_int, *mut c_char) -> c_int,
    setdirection: unsafe extern "C" fn(*mut RawPcap, c_int) -> c_int,
    compile:
        unsafe extern "C" fn(*mut RawPcap, *mut BpfProgram, *const c_char, c_int, u32) -> c_int,
    setfilter: unsafe extern "C" fn(*mut RawPcap, *mut BpfProgram) -> c_int,
    freecode: unsafe extern "C" fn(*mut BpfProgram),
    next_ex: unsafe extern "C" fn(*mut RawPcap, *mut *mut PktHdr, *mut *const u8) -> c_int,
    stats: unsafe extern "C" fn(*mut RawPcap, *mut RawStat) -> c_int,
    geterr: unsafe extern "C" fn(*mut RawPcap) -> *mut c_char,
    statustostr: unsafe extern "C" fn(c_int) -> *const c_char,
    datalink: unsafe extern "C" fn(*mut RawPcap) -> c_int,
    close: unsafe extern "C" fn(*mut RawPcap),
    /// Never unloaded: the function pointers above point into it.
    _lib: Library,
}

/// Why a libpcap call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PcapError {
    /// libpcap could not be loaded: what `dlopen` said of each name tried.
    Unavailable(String),
    /// libpcap's own error text (`pcap_geterr` or the error buffer).
    Failed(String),
}

fn api() -> Result<&'static Api, PcapError> {
    static API: OnceLock<Result<Api, String>> = OnceLock::new();
    API.get_or_init(load)
        .as_ref()
        .map_err(|e| PcapError::Unavailable(e.clone()))
}

fn load() -> Result<Api, String> {
    load_from(&LIBRARY_NAMES)
}

/// Opens the first of `names` that loads and binds the calls.
fn load_from(names: &[&str]) -> Result<Api, String> {
    let mut tried = Vec::new();
    for &name in names {
        // SAFETY: loading libpcap runs its initialisers, which only set up
        // libpcap's own state.
        match unsafe { Library::new(name) }.and_then(bind) {
            Ok(api) => return Ok(api),
            Err(e) => {
                // dlerror's text names the file; libloading's own does not.
                let e = e.to_string();
                tried.push(if e.contains(name) {
                    e
                } else {
                    format!("{name}: {e}")
                });
            }
        }
    }
    Err(format!("dlopen: {}", tried.join("; ")))
}

fn bind(lib: Library) -> Result<Api, libloading::Error> {
    // SAFETY: each symbol is declared with the C signature of libpcap's
    // pcap.h (libpcap 1.5 or later, which has every call bound here).
    unsafe {
        Ok(Api {
            create: *lib.get(b"pcap_create\0")?,
            set_snaplen: *lib.get(b"pcap_set_snaplen\0")?,
            set_promisc: *lib.get(b"pcap_set_promisc\0")?,
            set_timeout: *lib.get(b"pcap_set_timeout\0")?,
            set_buffer_size: *lib.get(b"pcap_set_buffer_size\0")?,
            set_immediate_mode: *lib.get(b"pcap_set_immediate_mode\0")?,
            set_tstamp_precision: *lib.get(b"pcap_set_tstamp_precision\0")?,
            activate: *lib.get(b"pcap_activate\0")?,
            setnonblock: *lib.get(b"pcap_setnonblock\0")?,
            setdirection: *lib.get(b"pcap_setdirection\0")?,
            compile: *lib.get(b"pcap_compile\0")?,
            setfilter: *lib.get(b"pcap_setfilter\0")?,
            freecode: *lib.get(b"pcap_freecode\0")?,
            next_ex: *lib.get(b"pcap_next_ex\0")?,
            stats: *lib.get(b"pcap_stats\0")?,
            geterr: *lib.get(b"pcap_geterr\0")?,
            statustostr: *lib.get(b"pcap_statustostr\0")?,
            datalink: *lib.get(b"pcap_datalink\0")?,
            close: *lib.get(b"pcap_close\0")?,
            _lib: lib,
        })
    }
}

/// Text of a C string that may be null, lossily decoded.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string.
unsafe fn text(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: the caller's promise.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn c_string(what: &str, s: &str) -> Result<CString, PcapError> {
    CString::new(s).map_err(|_| PcapError::Failed(format!("the {what} contains a NUL byte")))
}

/// One packet, valid until the next read.
pub struct Packet<'a> {
    /// Timestamp: seconds and nanoseconds (the handle asks for nanosecond
    /// precision).
    pub ts_ns: u64,
    /// Length on the wire.
    pub len: u32,
    /// The captured bytes (at most the snaplen).
    pub data: &'a [u8],
}

/// Kernel counters of a capture (`pcap_stats`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub received: u32,
    pub dropped: u32,
    pub if_dropped: u32,
}

/// An open libpcap handle (`pcap_t`), closed on drop.
pub struct Pcap {
    api: &'static Api,
    handle: NonNull<RawPcap>,
    /// Not `Sync`: libpcap handles are not for concurrent use.
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

// SAFETY: a pcap_t may be used from any one thread at a time; `Pcap` owns
// it and every call takes `&mut self` or happens before it is shared.
unsafe impl Send for Pcap {}

impl Pcap {
    /// `pcap_create`: a handle on `device`, not yet active.
    pub fn create(device: &str) -> Result<Pcap, PcapError> {
        let api = api()?;
        let name = c_string("interface name", device)?;
        let mut errbuf = [0 as c_char; ERRBUF_SIZE];
        // SAFETY: `name` is a C string, `errbuf` has PCAP_ERRBUF_SIZE bytes.
        let raw = unsafe { (api.create)(name.as_ptr(), errbuf.as_mut_ptr()) };
        match NonNull::new(raw) {
            Some(handle) => Ok(Pcap {
                api,
                handle,
                _not_sync: PhantomData,
            }),
            // SAFETY: libpcap wrote a NUL-terminated message into `errbuf`
            // (zeroed, so NUL-terminated even if it wrote nothing).
            None => Err(PcapError::Failed(unsafe { text(errbuf.as_ptr()) })),
        }
    }

    fn raw(&self) -> *mut RawPcap {
        self.handle.as_ptr()
    }

    fn last_error(&self) -> PcapError {
        // SAFETY: the handle is open; pcap_geterr returns its error buffer.
        PcapError::Failed(unsafe { text((self.api.geterr)(self.raw())) })
    }

    /// `pcap_set_snaplen`.
    pub fn set_snaplen(&mut self, bytes: i32) {
        // SAFETY: the handle is open (these calls only set fields).
        unsafe { (self.api.set_snaplen)(self.raw(), bytes) };
    }

    /// `pcap_set_promisc`.
    pub fn set_promisc(&mut self, on: bool) {
        // SAFETY: as above.
        unsafe { (self.api.set_promisc)(self.raw(), c_int::from(on)) };
    }

    /// `pcap_set_timeout`, in milliseconds.
    pub fn set_timeout(&mut self, ms: i32) {
        // SAFETY: as above.
        unsafe { (self.api.set_timeout)(self.raw(), ms) };
    }

    /// `pcap_set_buffer_size`, in bytes.
    pub fn set_buffer_size(&mut self, bytes: i32) {
        // SAFETY: as above.
        unsafe { (self.api.set_buffer_size)(self.raw(), bytes) };
    }

    /// `pcap_set_immediate_mode`.
    pub fn set_immediate_mode(&mut self, on: bool) {
        // SAFETY: as above.
        unsafe { (self.api.set_immediate_mode)(self.raw(), c_int::from(on)) };
    }

    /// `pcap_set_tstamp_precision(PCAP_TSTAMP_PRECISION_NANO)`: packet
    /// timestamps in nanoseconds.
    pub fn set_nano_precision(&mut self) {
        // SAFETY: as above.
        unsafe { (self.api.set_tstamp_precision)(self.raw(), TSTAMP_PRECISION_NANO) };
    }

    /// `pcap_activate`. A warning (a positive return) is an error too, as
    /// it was with the `pcap` crate.
    pub fn activate(&mut self) -> Result<(), PcapError> {
        // SAFETY: the handle is open.
        let status = unsafe { (self.api.activate)(self.raw()) };
        if status == 0 {
            return Ok(());
        }
        match self.last_error() {
            PcapError::Failed(t) if t.is_empty() => {
                // SAFETY: pcap_statustostr returns a static string.
                Err(PcapError::Failed(unsafe {
                    text((self.api.statustostr)(status))
                }))
            }
            e => Err(e),
        }
    }

    /// `pcap_setnonblock(1)`: a read with nothing to read returns at once.
    pub fn set_nonblock(&mut self) -> Result<(), PcapError> {
        let mut errbuf = [0 as c_char; ERRBUF_SIZE];
        // SAFETY: the handle is open; `errbuf` has PCAP_ERRBUF_SIZE bytes.
        if unsafe { (self.api.setnonblock)(self.raw(), 1, errbuf.as_mut_ptr()) } != 0 {
            // SAFETY: zeroed, so NUL-terminated.
            return Err(PcapError::Failed(unsafe { text(errbuf.as_ptr()) }));
        }
        Ok(())
    }

    /// `pcap_setdirection(PCAP_D_IN)`: only packets the interface received.
    pub fn set_direction_in(&mut self) -> Result<(), PcapError> {
        // SAFETY: the handle is active.
        if unsafe { (self.api.setdirection)(self.raw(), DIRECTION_IN) } != 0 {
            return Err(self.last_error());
        }
        Ok(())
    }

    /// `pcap_compile` (optimised) and `pcap_setfilter`.
    pub fn set_filter(&mut self, filter: &str) -> Result<(), PcapError> {
        let program = c_string("filter", filter)?;
        let mut bpf = BpfProgram {
            bf_len: 0,
            bf_insns: ptr::null_mut(),
        };
        // SAFETY: the handle is active, `program` a C string, `bpf` a
        // bpf_program that pcap_compile fills.
        let compiled =
            unsafe { (self.api.compile)(self.raw(), &mut bpf, program.as_ptr(), 1, NETMASK) };
        if compiled == -1 {
            return Err(self.last_error());
        }
        // SAFETY: `bpf` holds the compiled program; the kernel copies it,
        // so it is freed right after.
        let set = unsafe { (self.api.setfilter)(self.raw(), &mut bpf) };
        let result = if set == -1 {
            Err(self.last_error())
        } else {
            Ok(())
        };
        // SAFETY: `bpf` was filled by pcap_compile and is not used again.
        unsafe { (self.api.freecode)(&mut bpf) };
        result
    }

    /// `pcap_datalink`: the DLT_ link type.
    pub fn datalink(&self) -> i32 {
        // SAFETY: the handle is active.
        unsafe { (self.api.datalink)(self.raw()) }
    }

    /// `pcap_next_ex`: `Ok(Some(packet))`, or `Ok(None)` when there is
    /// nothing to read (non-blocking) or the read timeout passed.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, PcapError> {
        let mut header: *mut PktHdr = ptr::null_mut();
        let mut data: *const u8 = ptr::null();
        // SAFETY: the handle is active; libpcap sets both pointers on success.
        let status = unsafe { (self.api.next_ex)(self.raw(), &mut header, &mut data) };
        match status {
            1.. if !header.is_null() => {
                // SAFETY: on success `header` points to the packet's header
                // and `data` to `caplen` bytes, both valid until the next
                // call on this handle, which `&mut self` rules out while the
                // packet lives.
                let h = unsafe { &*header };
                let bytes = if data.is_null() || h.caplen == 0 {
                    &[][..]
                } else {
                    // SAFETY: as above.
                    unsafe { std::slice::from_raw_parts(data, h.caplen as usize) }
                };
                // With nanosecond precision, tv_usec holds nanoseconds.
                let ts_ns = u64::try_from(h.ts.tv_sec)
                    .unwrap_or(0)
                    .saturating_mul(1_000_000_000)
                    .saturating_add(u64::try_from(h.ts.tv_usec).unwrap_or(0));
                Ok(Some(Packet {
                    ts_ns,
                    len: h.len,
                    data: bytes,
                }))
            }
            0 => Ok(None),
            -2 => Err(PcapError::Failed("no more packets to read".into())),
            _ => Err(self.last_error()),
        }
    }

    /// `pcap_stats`: the kernel's counters.
    pub fn stats(&mut self) -> Result<Stat, PcapError> {
        let mut s = RawStat::default();
        // SAFETY: the handle is active; `s` is a pcap_stat.
        if unsafe { (self.api.stats)(self.raw(), &mut s) } == -1 {
            return Err(self.last_error());
        }
        Ok(Stat {
            received: s.ps_recv,
            dropped: s.ps_drop,
            if_dropped: s.ps_ifdrop,
        })
    }
}

impl Drop for Pcap {
    fn drop(&mut self) {
        // SAFETY: the handle is open and not used after this.
        unsafe { (self.api.close)(self.raw()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_names_every_file_tried() {
        let Err(e) = load_from(&["libsynack-no-such-pcap.so.0.8", "libsynack-no-such-pcap.so"])
        else {
            panic!("loaded a library that does not exist");
        };
        assert!(e.starts_with("dlopen: "), "{e}");
        assert!(e.contains("libsynack-no-such-pcap.so.0.8"), "{e}");
        assert!(e.contains("libsynack-no-such-pcap.so:"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn a_library_without_the_calls_is_not_libpcap() {
        // libc loads but has no pcap_create.
        let Err(e) = load_from(&["libc.so.6"]) else {
            panic!("bound libpcap's calls in libc");
        };
        assert!(e.contains("libc.so.6") && e.contains("pcap_create"), "{e}");
    }
}
