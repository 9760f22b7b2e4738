//! A raw IPv4 socket that sends complete packets (`IPPROTO_RAW`, which
//! implies `IP_HDRINCL`, raw(7)) with a socket mark, so the link's rule lets
//! them skip the queue. The link sends its duplicates with it, the runner
//! the segments `inject` forges (run/forge.rs).
//!
//! Needs CAP_NET_RAW (socket) and CAP_NET_ADMIN (`SO_MARK`) in the network
//! namespace's user namespace, which the run has as root or in its user
//! namespace (net/core/sock.c, `sk_setsockopt` checks
//! `sockopt_ns_capable(sock_net(sk)->user_ns, CAP_NET_ADMIN)` for SO_MARK).
//! The mark survives `lo`: `loopback_xmit` does not scrub the skb (unlike a
//! veth pair crossing namespaces), so PREROUTING sees it.

use super::packet::fix_tcp_checksum;
use std::io;
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A raw socket whose packets carry a mark.
#[derive(Debug)]
pub struct RawSender {
    fd: OwnedFd,
}

impl RawSender {
    /// Opens the socket and sets `SO_MARK` = `mark`.
    pub fn open(mark: u32) -> io::Result<RawSender> {
        // SAFETY: plain socket(2) call; the result is checked.
        let fd = unsafe {
            libc::socket(
                libc::AF_INET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::IPPROTO_RAW,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: SO_MARK takes a u32 option value of the given size.
        let r = unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_MARK,
                (&mark as *const u32).cast(),
                std::mem::size_of::<u32>() as libc::socklen_t,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(RawSender { fd })
    }

    /// Sends one IPv4 packet as it is, its TCP checksum recomputed (a packet
    /// from a raw socket is checked by the receiver; lo's offloaded checksum
    /// does not apply to it). The kernel fills in the IP checksum, and the IP
    /// id when it is 0 (raw(7), IP_HDRINCL).
    pub fn send(&self, ip: &[u8]) -> io::Result<()> {
        let mut packet = ip.to_vec();
        fix_tcp_checksum(&mut packet);
        let dst = match packet.get(16..20) {
            Some(d) => Ipv4Addr::new(d[0], d[1], d[2], d[3]),
            None => return Err(io::ErrorKind::InvalidInput.into()),
        };
        let addr = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: 0,
            sin_addr: libc::in_addr {
                s_addr: u32::from(dst).to_be(),
            },
            sin_zero: [0; 8],
        };
        // SAFETY: `packet` and `addr` are valid for the lengths given.
        let n = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                packet.as_ptr().cast(),
                packet.len(),
                0,
                (&addr as *const libc::sockaddr_in).cast(),
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}
