//! `synack real`: a scenario on real kernel sockets, in a namespace of its
//! own, with the scenario's link applied to the real packets and the states
//! read from the kernel. This module is the machinery; the runner that makes
//! the socket calls and assembles the transcript calls it (docs/real.md).
//!
//! # Calling order (the runner)
//! 1. [`netns::enter`]`(&NetnsOptions { mss, pair: None })` -> [`Netns`]:
//!    **first thing in `main`, before any thread starts** (see [`netns`]).
//!    The process is now in an anonymous network namespace; its `lo` is up,
//!    MTU = mss + 40, offloads off; `netns.pair` is the run's [`AddrPair`].
//! 2. [`RealCapture::start`]`(&netns, &CaptureOptions)`: libpcap on `lo`,
//!    incoming copies only, filtered to the pair, on a thread.
//! 3. [`KernelStates::open`]`(&netns)`: tracepoints as root, inet_diag always.
//! 4. [`NfqLink::start`]`(LinkConfig::new(&netns, rtt_us), verdicts)`: the
//!    iptables rule and the queue thread; `verdicts` is a [`Verdicts`]:
//!    `synack_sim::link::Link` itself, or the runner's wrapper of it with
//!    hooks. From here every TCP packet between the pair goes through the
//!    scenario's link.
//! 5. The scenario's calls on sockets bound to `netns.pair.client` /
//!    `.server` (an unbound socket would use 127.0.0.1, outside the rule).
//!    `states.poll()` after each call, and in [`Verdicts::verdict`] and
//!    [`Verdicts::applied`] on the queue thread (or on each [`LinkEvent`]),
//!    and periodically while a `wait` passes.
//! 6. `link.stop()` -> [`LinkReport`] (its [`VerdictRecord`]s),
//!    `states.close()` -> the last [`Polled`], `capture.stop()` ->
//!    [`CaptureReport`] (its [`Frame`]s). The kernel releases the perf
//!    events and the packet socket in the background (~20–50 ms each).
//! 7. The transcript: each frame's fate from the record with the same
//!    [`packet_key`]; states from the [`StateChange`]s.
//!
//! Nothing is left to clean: the namespace, its rule, its queue and the perf
//! events all belong to the process and go with it, also on `kill -9`.
//!
//! # Times
//! One clock: `CLOCK_MONOTONIC` nanoseconds ([`clock`]).

pub mod capture;
pub mod clock;
mod iptables;
pub mod kstate;
pub mod link;
pub mod loopback;
pub mod netns;
pub mod packet;
pub mod rawsock;
pub mod run;
mod schedule;
pub mod sysctl;

pub use capture::{CaptureError, CaptureOptions, CaptureReport, Frame, RealCapture};
pub use kstate::{
    tcp_info, KernelStates, KstateError, Polled, Retransmit, SockKind, StateChange, StateSource,
    StatesMode, StatesOptions, TcpInfo, When,
};
pub use link::{
    LinkConfig, LinkError, LinkEvent, LinkReport, NfqLink, VerdictFn, VerdictRecord, Verdicts,
};
pub use netns::{Netns, NetnsError, NetnsOptions, Privilege};
pub use packet::packet_key;
pub use rawsock::RawSender;

use std::net::Ipv4Addr;
use synack_sim::Dir;

/// The mark that a copy synack sends itself (a duplicate, an injected
/// segment) carries (`SO_MARK`), so the iptables rule lets it skip the queue.
/// "SYNA" in ASCII.
pub const SKIP_MARK: u32 = 0x5359_4e41;

/// The two loopback addresses of a run: the client's and the server's.
///
/// Both are in 127.0.0.0/8, which `lo` holds once it is up, so they need no
/// configuration. Distinct pairs tell parallel runs apart where the kernel
/// is not per namespace: the tracepoints are host-wide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AddrPair {
    pub client: Ipv4Addr,
    pub server: Ipv4Addr,
}

impl AddrPair {
    /// The pair of process `pid`: client `127.0.0.0 + 0x10000 + 2·pid`,
    /// server the next address. Injective for every pid below 2^22 (Linux's
    /// largest `pid_max`), so runs alive at the same time in one pid
    /// namespace never share a pair; it never touches 127.0.x.y (127.0.0.1,
    /// 127.0.1.1 of /etc/hosts).
    pub fn for_pid(pid: u32) -> AddrPair {
        let v = 0x0001_0000 + 2 * (pid & 0x003f_ffff);
        let client = Ipv4Addr::from(0x7f00_0000 | v);
        let server = Ipv4Addr::from(0x7f00_0000 | (v + 1));
        AddrPair { client, server }
    }

    /// The direction of a packet from `src` to `dst`, or `None` when it is
    /// not between the pair.
    pub fn dir(&self, src: Ipv4Addr, dst: Ipv4Addr) -> Option<Dir> {
        if src == self.client && dst == self.server {
            Some(Dir::ClientToServer)
        } else if src == self.server && dst == self.client {
            Some(Dir::ServerToClient)
        } else {
            None
        }
    }

    /// True when `a` is one of the pair's addresses.
    pub fn has(&self, a: Ipv4Addr) -> bool {
        a == self.client || a == self.server
    }

    /// The BPF filter of the pair's TCP packets.
    pub fn bpf_filter(&self) -> String {
        format!("tcp and host {} and host {}", self.client, self.server)
    }
}

/// Any failure of the machinery, for a caller that handles them alike.
#[derive(Debug, thiserror::Error)]
pub enum RealError {
    #[error(transparent)]
    Netns(#[from] NetnsError),
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error(transparent)]
    Kstate(#[from] KstateError),
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("Could not start a socket worker thread: {0}.")]
    Worker(String),
}

impl RealError {
    /// True when a privilege or a system component is missing: `synack`
    /// exits 3 (README.md, "Exit codes").
    pub fn is_unavailable(&self) -> bool {
        match self {
            RealError::Netns(e) => e.is_unavailable(),
            RealError::Link(e) => e.is_unavailable(),
            RealError::Kstate(e) => e.is_unavailable(),
            RealError::Capture(e) => e.is_unavailable(),
            RealError::Worker(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_of_different_pids_never_meet() {
        let a = AddrPair::for_pid(1);
        let b = AddrPair::for_pid(2);
        assert_eq!(a.client, Ipv4Addr::new(127, 1, 0, 2));
        assert_eq!(a.server, Ipv4Addr::new(127, 1, 0, 3));
        assert_eq!(b.client, Ipv4Addr::new(127, 1, 0, 4));
        let top = AddrPair::for_pid(0x003f_ffff);
        assert_eq!(top.server, Ipv4Addr::new(127, 128, 255, 255));
        assert_ne!(top.server, Ipv4Addr::new(127, 255, 255, 255));
    }

    #[test]
    fn direction_follows_the_addresses() {
        let p = AddrPair::for_pid(7);
        assert_eq!(p.dir(p.client, p.server), Some(Dir::ClientToServer));
        assert_eq!(p.dir(p.server, p.client), Some(Dir::ServerToClient));
        assert_eq!(p.dir(p.client, Ipv4Addr::LOCALHOST), None);
        assert_eq!(
            p.bpf_filter(),
            "tcp and host 127.1.0.14 and host 127.1.0.15"
        );
    }
}
