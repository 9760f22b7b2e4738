//! `struct tcp_info` (include/uapi/linux/tcp.h): from `getsockopt(TCP_INFO)`
//! on a socket the runner holds ([`tcp_info`]), or from inet_diag's
//! `INET_DIAG_INFO` attribute for any full socket of the namespace
//! ([`TcpInfo::parse`]). Only the stable prefix is read (the struct grows at
//! its end with each release; a shorter one is accepted).

use super::linux_state;
use std::io;
use std::os::fd::RawFd;
use synack_sim::State;

/// The fields of `tcp_info` a transcript line may show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpInfo {
    /// `tcpi_state`, raw (Linux numbering) and mapped.
    pub state_raw: u8,
    pub state: Option<State>,
    /// Congestion-avoidance state (0 Open, 1 Disorder, 2 CWR, 3 Recovery, 4 Loss).
    pub ca_state: u8,
    /// Consecutive retransmissions of the head (the backoff exponent's count).
    pub retransmits: u8,
    pub probes: u8,
    pub backoff: u8,
    pub snd_wscale: u8,
    pub rcv_wscale: u8,
    /// Current retransmission timeout, µs.
    pub rto_us: u32,
    /// Delayed-ACK timeout, µs.
    pub ato_us: u32,
    pub snd_mss: u32,
    pub rcv_mss: u32,
    pub unacked: u32,
    pub lost: u32,
    pub retrans: u32,
    /// Smoothed RTT and its variance, µs.
    pub rtt_us: u32,
    pub rttvar_us: u32,
    pub snd_ssthresh: u32,
    /// Congestion window, segments.
    pub snd_cwnd: u32,
    pub advmss: u32,
    pub total_retrans: u32,
}

/// Byte offsets in `struct tcp_info` (stable since Linux 2.6).
mod off {
    pub const STATE: usize = 0;
    pub const CA_STATE: usize = 1;
    pub const RETRANSMITS: usize = 2;
    pub const PROBES: usize = 3;
    pub const BACKOFF: usize = 4;
    pub const WSCALE: usize = 6;
    pub const RTO: usize = 8;
    pub const ATO: usize = 12;
    pub const SND_MSS: usize = 16;
    pub const RCV_MSS: usize = 20;
    pub const UNACKED: usize = 24;
    pub const LOST: usize = 32;
    pub const RETRANS: usize = 36;
    pub const RTT: usize = 68;
    pub const RTTVAR: usize = 72;
    pub const SND_SSTHRESH: usize = 76;
    pub const SND_CWND: usize = 80;
    pub const ADVMSS: usize = 84;
    pub const TOTAL_RETRANS: usize = 100;
    /// Through `tcpi_total_retrans`.
    pub const MIN_LEN: usize = 104;
}

impl TcpInfo {
    /// Parses the bytes of a `struct tcp_info`; `None` when shorter than
    /// its stable prefix.
    pub fn parse(b: &[u8]) -> Option<TcpInfo> {
        if b.len() < off::MIN_LEN {
            return None;
        }
        let u32_at = |o: usize| u32::from_ne_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        Some(TcpInfo {
            state_raw: b[off::STATE],
            state: linux_state(i32::from(b[off::STATE])),
            ca_state: b[off::CA_STATE],
            retransmits: b[off::RETRANSMITS],
            probes: b[off::PROBES],
            backoff: b[off::BACKOFF],
            // `__u8 tcpi_snd_wscale : 4, tcpi_rcv_wscale : 4;` (little-endian
            // bitfields: snd in the low nibble).
            snd_wscale: b[off::WSCALE] & 0x0f,
            rcv_wscale: b[off::WSCALE] >> 4,
            rto_us: u32_at(off::RTO),
            ato_us: u32_at(off::ATO),
            snd_mss: u32_at(off::SND_MSS),
            rcv_mss: u32_at(off::RCV_MSS),
            unacked: u32_at(off::UNACKED),
            lost: u32_at(off::LOST),
            retrans: u32_at(off::RETRANS),
            rtt_us: u32_at(off::RTT),
            rttvar_us: u32_at(off::RTTVAR),
            snd_ssthresh: u32_at(off::SND_SSTHRESH),
            snd_cwnd: u32_at(off::SND_CWND),
            advmss: u32_at(off::ADVMSS),
            total_retrans: u32_at(off::TOTAL_RETRANS),
        })
    }
}

/// `getsockopt(fd, IPPROTO_TCP, TCP_INFO)` on a TCP socket.
pub fn tcp_info(fd: RawFd) -> io::Result<TcpInfo> {
    let mut buf = [0u8; 512];
    let mut len = buf.len() as libc::socklen_t;
    // SAFETY: `buf` is writable for `len` bytes; the kernel writes at most
    // that and sets `len` to what it wrote.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            buf.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    TcpInfo::parse(&buf[..len as usize])
        .ok_or_else(|| io::Error::other(format!("TCP_INFO returned only {len} bytes")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;

    #[test]
    fn tcp_info_of_a_connected_loopback_socket() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (_s, _) = l.accept().unwrap();
        c.write_all(b"x").unwrap();
        let info = tcp_info(c.as_raw_fd()).unwrap();
        assert_eq!(info.state, Some(State::Established));
        // RFC 6298 2.4 floor as Linux sets it: TCP_RTO_MIN = 200 ms.
        assert!(info.rto_us >= 200_000, "{info:?}");
        assert!(
            info.snd_cwnd >= 10,
            "Linux's initial window is 10: {info:?}"
        );
        let lis = tcp_info(l.as_raw_fd()).unwrap();
        assert_eq!(lis.state, Some(State::Listen));
    }

    #[test]
    fn short_tcp_info_is_refused() {
        assert_eq!(TcpInfo::parse(&[1; 50]), None);
    }
}
