//! The namespace's `lo`, configured with ioctls (no `ip` or `ethtool`
//! binary needed): up, MTU = mss + 40, segmentation and receive offloads off.
//!
//! Called by [`super::netns::enter`] once the process is in its namespace, in
//! this order: [`Iface::set_up`], [`Iface::set_mtu`], [`offloads_off`].
//!
//! Why offloads off: with TSO/GSO on, TCP hands `lo` segments of up to 64 KB
//! that are never cut (loopback has no wire), so one "packet" in the queue
//! and the capture would be many segments of the scenario; GRO would merge
//! received ones. Checksum offload stays: `lo` declares `tx-checksum-ip-generic`
//! `[fixed]` (drivers/net/loopback.c, `LOOPBACK_FEATURES`), so captured frames
//! carry a partial TCP checksum; the queue's copy is complete (see `link.rs`).

use std::ffi::c_void;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

const SIOCGIFFLAGS: libc::c_ulong = 0x8913;
const SIOCSIFFLAGS: libc::c_ulong = 0x8914;
const SIOCGIFMTU: libc::c_ulong = 0x8921;
const SIOCSIFMTU: libc::c_ulong = 0x8922;
const SIOCETHTOOL: libc::c_ulong = 0x8946;

/// Legacy ethtool commands (include/uapi/linux/ethtool.h): get/set one
/// offload as a boolean `ethtool_value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Offload {
    /// TCP segmentation offload (`ETHTOOL_GTSO` 0x1e / `ETHTOOL_STSO` 0x1f).
    Tso,
    /// Generic segmentation offload (`ETHTOOL_GGSO` 0x23 / `ETHTOOL_SGSO` 0x24).
    Gso,
    /// Generic receive offload (`ETHTOOL_GGRO` 0x2b / `ETHTOOL_SGRO` 0x2c).
    Gro,
}

impl Offload {
    pub const ALL: [Offload; 3] = [Offload::Tso, Offload::Gso, Offload::Gro];

    /// The name `ethtool -k` gives it.
    pub const fn name(self) -> &'static str {
        match self {
            Offload::Tso => "tcp-segmentation-offload",
            Offload::Gso => "generic-segmentation-offload",
            Offload::Gro => "generic-receive-offload",
        }
    }

    const fn get_cmd(self) -> u32 {
        match self {
            Offload::Tso => 0x1e,
            Offload::Gso => 0x23,
            Offload::Gro => 0x2b,
        }
    }

    const fn set_cmd(self) -> u32 {
        self.get_cmd() + 1
    }
}

/// `struct ifreq` with the members used here.
#[repr(C)]
struct IfReq {
    name: [u8; libc::IFNAMSIZ],
    data: IfReqData,
}

#[repr(C)]
union IfReqData {
    flags: libc::c_short,
    mtu: libc::c_int,
    ptr: *mut c_void,
    _size: [u8; 24],
}

/// `struct ethtool_value`.
#[repr(C)]
struct EthtoolValue {
    cmd: u32,
    data: u32,
}

/// A datagram socket to issue interface ioctls on, and the interface name.
pub struct Iface {
    sock: OwnedFd,
    name: [u8; libc::IFNAMSIZ],
}

impl Iface {
    /// Opens the ioctl socket for `name` (at most 15 bytes).
    pub fn new(name: &str) -> io::Result<Iface> {
        let mut buf = [0u8; libc::IFNAMSIZ];
        if name.len() >= buf.len() {
            return Err(io::Error::from(io::ErrorKind::InvalidInput));
        }
        buf[..name.len()].copy_from_slice(name.as_bytes());
        // SAFETY: plain socket(2) call; the result is checked.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh descriptor that nothing else owns.
        let sock = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Iface { sock, name: buf })
    }

    fn req(&self) -> IfReq {
        IfReq {
            name: self.name,
            data: IfReqData { _size: [0; 24] },
        }
    }

    fn ioctl(&self, op: libc::c_ulong, req: &mut IfReq) -> io::Result<()> {
        // SAFETY: `req` is a valid ifreq for these interface ioctls; the
        // kernel reads and writes at most sizeof(struct ifreq) bytes.
        if unsafe { libc::ioctl(self.sock.as_raw_fd(), op as _, req as *mut IfReq) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Sets IFF_UP. Bringing `lo` up makes the kernel add 127.0.0.1/8 to it
    /// (net/ipv4/devinet.c, `inetdev_event` on NETDEV_UP for a loopback
    /// device), so every 127.x.y.z is local without address configuration.
    pub fn set_up(&self) -> io::Result<()> {
        let mut req = self.req();
        self.ioctl(SIOCGIFFLAGS, &mut req)?;
        // SAFETY: SIOCGIFFLAGS filled the `flags` member.
        let flags = unsafe { req.data.flags };
        req.data.flags = flags | libc::IFF_UP as libc::c_short;
        self.ioctl(SIOCSIFFLAGS, &mut req)
    }

    /// Sets the MTU.
    pub fn set_mtu(&self, mtu: u32) -> io::Result<()> {
        let mut req = self.req();
        req.data.mtu = libc::c_int::try_from(mtu).map_err(|_| io::ErrorKind::InvalidInput)?;
        self.ioctl(SIOCSIFMTU, &mut req)
    }

    /// The MTU now.
    pub fn mtu(&self) -> io::Result<u32> {
        let mut req = self.req();
        self.ioctl(SIOCGIFMTU, &mut req)?;
        // SAFETY: SIOCGIFMTU filled the `mtu` member.
        Ok(u32::try_from(unsafe { req.data.mtu }).unwrap_or(0))
    }

    fn ethtool(&self, cmd: u32, data: u32) -> io::Result<u32> {
        let mut val = EthtoolValue { cmd, data };
        let mut req = self.req();
        req.data.ptr = (&mut val as *mut EthtoolValue).cast();
        self.ioctl(SIOCETHTOOL, &mut req)?;
        Ok(val.data)
    }

    /// Whether an offload is on.
    pub fn offload(&self, o: Offload) -> io::Result<bool> {
        self.ethtool(o.get_cmd(), 0).map(|v| v != 0)
    }

    /// Turns an offload on or off.
    pub fn set_offload(&self, o: Offload, on: bool) -> io::Result<()> {
        self.ethtool(o.set_cmd(), u32::from(on)).map(|_| ())
    }
}

/// An offload after [`offloads_off`]: off, or why it stayed on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OffloadState {
    pub offload: Offload,
    pub off: bool,
    /// The error of the set or get ioctl, when one failed.
    pub error: Option<String>,
}

/// Turns TSO, GSO and GRO off on `iface` and reads them back.
pub fn offloads_off(iface: &Iface) -> Vec<OffloadState> {
    Offload::ALL
        .into_iter()
        .map(|offload| {
            let set = iface.set_offload(offload, false);
            let now = iface.offload(offload);
            let error = match (&set, &now) {
                (Err(e), _) | (_, Err(e)) => Some(e.to_string()),
                _ => None,
            };
            OffloadState {
                offload,
                off: matches!(now, Ok(false)),
                error,
            }
        })
        .collect()
}
