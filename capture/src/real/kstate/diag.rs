//! inet_diag: a dump of every TCP socket of the namespace
//! (`NETLINK_SOCK_DIAG`, `SOCK_DIAG_BY_FAMILY`, AF_INET, IPPROTO_TCP).
//!
//! It is per network namespace (the dump walks `sock_net(skb->sk)`'s
//! hash tables), needs no privilege, and unlike the tracepoint it lists the
//! mini-sockets: request sockets (a passive open between SYN and the final
//! ACK, `TCP_NEW_SYN_RECV`, shown as SYN-RECV: net/ipv4/inet_diag.c
//! `inet_req_diag_fill`) and TIME-WAIT sockets (`inet_twsk_diag_fill`,
//! which reports `tw_substate`: TIME-WAIT, or FIN-WAIT-2 for an orphaned
//! socket that `tcp_time_wait` took over in FIN-WAIT-2). Mini-sockets get
//! no attributes; a full socket gets `INET_DIAG_INFO` (its `tcp_info`),
//! which is how [`DiagSocket::kind`] tells them apart.

use super::tcp_info::TcpInfo;
use super::{linux_state, SockKind};
use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use synack_sim::State;

const SOCK_DIAG_BY_FAMILY: u16 = 20;
const INET_DIAG_INFO: u16 = 2;
/// Every state but TCP_BOUND_INACTIVE (13): sockets only bound, shown as
/// CLOSE, add nothing.
const ALL_STATES: u32 = !(1 << 13);
/// Linux's TIME_WAIT timer code in `idiag_timer` (inet_twsk_diag_fill).
const TIMER_TIME_WAIT: u8 = 3;

/// One socket of a dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiagSocket {
    pub local: SocketAddrV4,
    /// 0.0.0.0:0 for a listener.
    pub remote: SocketAddrV4,
    /// `idiag_state`, Linux numbering.
    pub state_raw: u8,
    pub state: Option<State>,
    /// `idiag_timer`: 0 none, 1 retransmit, 2 keepalive, 3 TIME-WAIT, 4 probe.
    pub timer: u8,
    pub retrans: u8,
    /// Time left on that timer, ms.
    pub expires_ms: u32,
    pub rqueue: u32,
    pub wqueue: u32,
    pub inode: u32,
    pub cookie: u64,
    /// Full sockets only.
    pub info: Option<TcpInfo>,
}

impl DiagSocket {
    /// Full socket, TIME-WAIT mini-socket, or request socket.
    pub fn kind(&self) -> SockKind {
        if self.info.is_some() {
            SockKind::Full
        } else if self.timer == TIMER_TIME_WAIT
            || matches!(self.state, Some(State::TimeWait | State::FinWait2))
        {
            SockKind::TimeWait
        } else {
            SockKind::Request
        }
    }
}

/// A sock_diag netlink socket of the current namespace.
pub(crate) struct Diag {
    fd: OwnedFd,
    seq: u32,
}

impl Diag {
    pub fn open() -> io::Result<Diag> {
        // SAFETY: plain socket(2) call; the result is checked.
        let fd = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::NETLINK_SOCK_DIAG,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh descriptor that nothing else owns.
        Ok(Diag {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            seq: 0,
        })
    }

    /// Dumps every IPv4 TCP socket of the namespace.
    pub fn dump(&mut self) -> io::Result<Vec<DiagSocket>> {
        self.seq = self.seq.wrapping_add(1);
        let req = request(self.seq);
        // SAFETY: `req` is valid for its length; the destination is the
        // kernel (a zeroed sockaddr_nl with nl_family set).
        let n = unsafe {
            let mut addr: libc::sockaddr_nl = std::mem::zeroed();
            addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
            libc::sendto(
                self.fd.as_raw_fd(),
                req.as_ptr().cast(),
                req.len(),
                0,
                (&addr as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut out = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            // SAFETY: `buf` is writable for its length.
            let n =
                unsafe { libc::recv(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if parse_messages(&buf[..n as usize], self.seq, &mut out)? {
                return Ok(out);
            }
        }
    }
}

/// nlmsghdr + inet_diag_req_v2 (include/uapi/linux/inet_diag.h).
fn request(seq: u32) -> Vec<u8> {
    let mut m = Vec::with_capacity(72);
    m.extend_from_slice(&72u32.to_ne_bytes()); // nlmsg_len
    m.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    let flags = (libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16;
    m.extend_from_slice(&flags.to_ne_bytes());
    m.extend_from_slice(&seq.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes()); // nlmsg_pid
    m.push(libc::AF_INET as u8); // sdiag_family
    m.push(libc::IPPROTO_TCP as u8); // sdiag_protocol
    m.push(1 << (INET_DIAG_INFO - 1)); // idiag_ext: ask for tcp_info
    m.push(0);
    m.extend_from_slice(&ALL_STATES.to_ne_bytes());
    m.extend_from_slice(&[0u8; 48]); // inet_diag_sockid: no filter
    m
}

/// Parses one datagram of the dump; true at NLMSG_DONE.
fn parse_messages(mut b: &[u8], seq: u32, out: &mut Vec<DiagSocket>) -> io::Result<bool> {
    while b.len() >= 16 {
        let len = u32::from_ne_bytes(b[0..4].try_into().expect("4 bytes")) as usize;
        let ty = u16::from_ne_bytes([b[4], b[5]]);
        let msg_seq = u32::from_ne_bytes(b[8..12].try_into().expect("4 bytes"));
        if len < 16 || len > b.len() {
            return Err(io::Error::other("a truncated sock_diag message"));
        }
        let body = &b[16..len];
        if msg_seq == seq {
            match i32::from(ty) {
                libc::NLMSG_DONE => return Ok(true),
                libc::NLMSG_ERROR => {
                    let errno = body
                        .get(0..4)
                        .map_or(0, |e| i32::from_ne_bytes(e.try_into().expect("4 bytes")));
                    return Err(io::Error::from_raw_os_error(-errno));
                }
                _ if ty == SOCK_DIAG_BY_FAMILY => {
                    if let Some(s) = parse_socket(body) {
                        out.push(s);
                    }
                }
                _ => {}
            }
        }
        b = &b[align(len).min(b.len())..];
    }
    Ok(false)
}

fn align(n: usize) -> usize {
    (n + 3) & !3
}

/// inet_diag_msg (72 bytes) and its attributes.
fn parse_socket(b: &[u8]) -> Option<DiagSocket> {
    if b.len() < 72 || i32::from(b[0]) != libc::AF_INET {
        return None;
    }
    let be16 = |o: usize| u16::from_be_bytes([b[o], b[o + 1]]);
    let ne32 = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().expect("4 bytes"));
    let v4 = |o: usize| Ipv4Addr::new(b[o], b[o + 1], b[o + 2], b[o + 3]);
    // id: sport 4, dport 6, src 8..24, dst 24..40, if 40, cookie 44..52
    let cookie = u64::from(ne32(44)) | (u64::from(ne32(48)) << 32);
    let mut info = None;
    let mut attrs = &b[72..];
    while attrs.len() >= 4 {
        let alen = usize::from(u16::from_ne_bytes([attrs[0], attrs[1]]));
        let aty = u16::from_ne_bytes([attrs[2], attrs[3]]);
        if alen < 4 || alen > attrs.len() {
            break;
        }
        if aty == INET_DIAG_INFO {
            info = TcpInfo::parse(&attrs[4..alen]);
        }
        attrs = &attrs[align(alen).min(attrs.len())..];
    }
    Some(DiagSocket {
        local: SocketAddrV4::new(v4(8), be16(4)),
        remote: SocketAddrV4::new(v4(24), be16(6)),
        state_raw: b[1],
        state: linux_state(i32::from(b[1])),
        timer: b[2],
        retrans: b[3],
        expires_ms: ne32(52),
        rqueue: ne32(56),
        wqueue: ne32(60),
        inode: ne32(68),
        cookie,
        info,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn request_is_an_inet_diag_req_v2_dump() {
        let r = request(7);
        assert_eq!(r.len(), 72);
        assert_eq!(u16::from_ne_bytes([r[4], r[5]]), SOCK_DIAG_BY_FAMILY);
        assert_eq!(r[16], libc::AF_INET as u8);
        assert_eq!(r[17], libc::IPPROTO_TCP as u8);
        assert_eq!(r[18], 2, "INET_DIAG_INFO is bit 1 of idiag_ext");
    }

    #[test]
    fn dump_lists_a_listener_and_both_ends_of_a_connection() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let c = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let cport = c.local_addr().unwrap().port();
        let (_s, _) = l.accept().unwrap();
        let socks = Diag::open().unwrap().dump().unwrap();
        let find = |local: u16, remote: u16| {
            socks
                .iter()
                .find(|s| s.local.port() == local && s.remote.port() == remote)
                .unwrap_or_else(|| panic!("{local}->{remote} not in {socks:#?}"))
        };
        let lis = find(port, 0);
        assert_eq!(lis.state, Some(State::Listen));
        assert_eq!(lis.kind(), SockKind::Full);
        let client = find(cport, port);
        assert_eq!(client.state, Some(State::Established));
        assert!(client.info.is_some_and(|i| i.rto_us >= 200_000));
        assert_eq!(find(port, cport).state, Some(State::Established));
    }
}
