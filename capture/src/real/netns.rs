//! The run's own network namespace, anonymous, so it dies with the process.
//!
//! # Calling order
//! [`enter`] is the first thing `synack real` does, **before any thread
//! starts** (libpcap, the queue thread and the test harness all start
//! threads):
//! * `unshare(CLONE_NEWUSER)` fails with EINVAL in a process with more than
//!   one thread (kernel/fork.c, `check_unshare_flags`: CLONE_NEWUSER implies
//!   CLONE_THREAD, refused unless the thread group is empty);
//! * any `unshare` moves only the calling thread (kernel/nsproxy.c,
//!   `switch_task_namespaces(current, …)`): threads started before would
//!   stay in the host's namespace, and their sockets with them.
//!
//! [`enter`] therefore refuses with [`NetnsError::Threaded`] when
//! `/proc/self/task` lists more than one thread. Tests run it in a child
//! process (the harness is multi-threaded): see `tests/src/bin/synack-real-probe.rs`.
//!
//! # What it does
//! 1. As root: `unshare(CLONE_NEWNET | CLONE_NEWNS)`, then makes every mount
//!    a slave (`MS_REC | MS_SLAVE` on `/`) so that a tracefs mounted later by
//!    `kstate` stays in this process. Root without CAP_SYS_ADMIN (a
//!    container) falls through to 2.
//! 2. Otherwise: `unshare(CLONE_NEWUSER | CLONE_NEWNET)`, then
//!    `/proc/self/setgroups` = `deny` (required before an unprivileged
//!    gid_map, kernel/user_namespace.c `new_idmap_permitted`), `uid_map` =
//!    `0 UID 1`, `gid_map` = `0 GID 1`. The process is root in the new user
//!    namespace and has all capabilities there, which is the owner of the new
//!    network namespace: iptables, NFQUEUE, raw sockets, SO_MARK and packet
//!    sockets check `ns_capable(net->user_ns, …)` and work.
//! 3. `lo`: up, MTU = mss + 40, TSO/GSO/GRO off (`loopback.rs`).
//! 4. The run's address pair ([`AddrPair`]) is checked by binding to both.
//! 5. The TCP sysctls are read (`sysctl.rs`), never written.
//!
//! Nothing needs cleaning: the namespace has no name (not in `ip netns`), and
//! its last reference is this process (and its children), so the kernel
//! frees it, with lo, its iptables rules and its queues, on exit, on
//! `kill -9` and on a panic alike (net/core/net_namespace.c, `cleanup_net`).

use super::loopback::{offloads_off, Iface, OffloadState};
use super::sysctl::{self, Sysctls};
use super::AddrPair;
use std::io;
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::time::{Duration, Instant};

/// How the namespace was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Privilege {
    /// Root on the host: a plain network namespace (and a private mount
    /// namespace). Tracepoints are available.
    Root,
    /// An unprivileged user namespace owning the network namespace; root
    /// inside, `outside_uid`/`outside_gid` outside. No tracepoints (perf
    /// checks capabilities in the initial user namespace).
    UserNamespace { outside_uid: u32, outside_gid: u32 },
}

impl Privilege {
    pub fn is_root(self) -> bool {
        self == Privilege::Root
    }
}

/// Options of [`enter`].
#[derive(Clone, Debug)]
pub struct NetnsOptions {
    /// The scenario's MSS; `lo` gets MTU = mss + 40 (IPv4 + TCP headers).
    pub mss: u16,
    /// The address pair; `None` derives it from the pid ([`AddrPair::for_pid`]).
    pub pair: Option<AddrPair>,
}

impl Default for NetnsOptions {
    fn default() -> NetnsOptions {
        NetnsOptions {
            mss: 1460,
            pair: None,
        }
    }
}

/// The namespace the process is now in. Dropping it changes nothing: the
/// namespace lives as long as the process.
#[derive(Clone, Debug)]
pub struct Netns {
    pub privilege: Privilege,
    pub pair: AddrPair,
    /// `lo`'s MTU as read back.
    pub mtu: u32,
    pub offloads: Vec<OffloadState>,
    pub sysctls: Sysctls,
    /// `uname -r`.
    pub kernel_release: String,
    /// True when the process also has its own mount namespace (root), so
    /// `kstate` may mount tracefs without touching the host.
    pub private_mounts: bool,
    /// How long [`enter`] took.
    pub setup: Duration,
}

/// Why the namespace could not be made. Every message says how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum NetnsError {
    #[error("The network namespace must be entered before any thread starts, but this process has {threads} threads: call synack_capture::real::netns::enter first thing in main (unshare(2) moves only the calling thread, and refuses CLONE_NEWUSER in a threaded process).")]
    Threaded { threads: usize },
    #[error("Unprivileged user namespaces are disabled ({sysctl} = {value}), so synack cannot make its own network namespace: run it as root, or allow them with `sysctl -w {sysctl}={allow}`.")]
    UserNamespacesDisabled {
        sysctl: &'static str,
        value: String,
        allow: &'static str,
    },
    #[error("No more user namespaces may be created (user.max_user_namespaces = {max}, {source}): raise it with `sysctl -w user.max_user_namespaces=15000`, or run synack as root.")]
    UserNamespaceLimit {
        max: String,
        #[source]
        source: io::Error,
    },
    #[error("unshare({flags}) was refused ({source}) although the user-namespace sysctls allow it, so a security policy (a container's seccomp profile, SELinux or AppArmor) forbids it: run synack as root, or allow unshare(2) for it.")]
    Unshare {
        flags: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("Could not write {file} of the new user namespace ({source}): the kernel refuses even the one mapping synack asks for (its own user ID) when the process lacks the rights of its user, e.g. uid 0 without capabilities in a restricted container: run synack as full root, or as an ordinary user.")]
    IdMap {
        file: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("Could not {what} the namespace's loopback interface ({source}).")]
    Loopback {
        what: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("The run's address {addr} cannot be bound inside the namespace ({source}); lo should hold 127.0.0.0/8.")]
    Address {
        addr: Ipv4Addr,
        #[source]
        source: io::Error,
    },
}

impl NetnsError {
    /// True when the system, not synack, is missing something (exit 3).
    pub fn is_unavailable(&self) -> bool {
        !matches!(self, NetnsError::Threaded { .. })
    }
}

/// Puts the calling process into a fresh, anonymous network namespace set
/// up for a run. See the module doc for the order and the privileges.
pub fn enter(opts: &NetnsOptions) -> Result<Netns, NetnsError> {
    let start = Instant::now();
    let threads = thread_count();
    if threads > 1 {
        return Err(NetnsError::Threaded { threads });
    }
    // SAFETY: geteuid/getuid/getgid cannot fail.
    let (euid, uid, gid) = unsafe { (libc::geteuid(), libc::getuid(), libc::getgid()) };
    let mut privilege = None;
    let mut private_mounts = false;
    if euid == 0 {
        match unshare(libc::CLONE_NEWNET | libc::CLONE_NEWNS) {
            Ok(()) => {
                privilege = Some(Privilege::Root);
                // Without this, a mount made here would propagate to the
                // host's peer group (mounts are shared under systemd).
                private_mounts = make_mounts_slave().is_ok();
            }
            // Root without CAP_SYS_ADMIN (a container): try as a user.
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => {}
            Err(source) => {
                return Err(NetnsError::Unshare {
                    flags: "CLONE_NEWNET|CLONE_NEWNS",
                    source,
                })
            }
        }
    }
    let privilege = match privilege {
        Some(p) => p,
        None => {
            enter_user_namespace(uid, gid)?;
            Privilege::UserNamespace {
                outside_uid: uid,
                outside_gid: gid,
            }
        }
    };

    let lo_err = |what| move |source| NetnsError::Loopback { what, source };
    let lo = Iface::new("lo").map_err(lo_err("open an ioctl socket for"))?;
    lo.set_up().map_err(lo_err("bring up"))?;
    lo.set_mtu(u32::from(opts.mss) + 40)
        .map_err(lo_err("set the MTU of"))?;
    let mtu = lo.mtu().map_err(lo_err("read the MTU of"))?;
    let offloads = offloads_off(&lo);

    // SAFETY: getpid cannot fail.
    let pid = unsafe { libc::getpid() } as u32;
    let pair = opts.pair.unwrap_or_else(|| AddrPair::for_pid(pid));
    for addr in [pair.client, pair.server] {
        TcpListener::bind(SocketAddrV4::new(addr, 0))
            .map_err(|source| NetnsError::Address { addr, source })?;
    }

    Ok(Netns {
        privilege,
        pair,
        mtu,
        offloads,
        sysctls: sysctl::read(),
        kernel_release: kernel_release(),
        private_mounts,
        setup: start.elapsed(),
    })
}

fn unshare(flags: libc::c_int) -> io::Result<()> {
    // SAFETY: unshare(2) takes flags only.
    if unsafe { libc::unshare(flags) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn make_mounts_slave() -> io::Result<()> {
    // SAFETY: a propagation change of "/" with null source, type and data,
    // as mount(2) documents for MS_SLAVE.
    let r = unsafe {
        libc::mount(
            std::ptr::null(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_SLAVE,
            std::ptr::null(),
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

const USERNS_FLAGS: &str = "CLONE_NEWUSER|CLONE_NEWNET";

fn enter_user_namespace(uid: u32, gid: u32) -> Result<(), NetnsError> {
    if let Err(e) = unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET) {
        return Err(diagnose_userns(e));
    }
    let write = |file: &'static str, text: String| {
        std::fs::write(file, text).map_err(|source| NetnsError::IdMap { file, source })
    };
    // Since Linux 3.19 an unprivileged process must deny setgroups before
    // it may write gid_map (user_namespaces(7), "The /proc/[pid]/setgroups file").
    write("/proc/self/setgroups", "deny".into())?;
    write("/proc/self/uid_map", format!("0 {uid} 1"))?;
    write("/proc/self/gid_map", format!("0 {gid} 1"))?;
    Ok(())
}

/// The sysctls that can forbid unprivileged user namespaces, with the value
/// that allows them: Debian/Ubuntu's patch, the upstream limit, Ubuntu
/// 23.10's AppArmor restriction.
const USERNS_SWITCHES: [(&str, &str, &str, &str); 3] = [
    (
        "/proc/sys/kernel/unprivileged_userns_clone",
        "kernel.unprivileged_userns_clone",
        "0",
        "1",
    ),
    (
        "/proc/sys/user/max_user_namespaces",
        "user.max_user_namespaces",
        "0",
        "15000",
    ),
    (
        "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
        "kernel.apparmor_restrict_unprivileged_userns",
        "1",
        "0",
    ),
];

fn diagnose_userns(e: io::Error) -> NetnsError {
    for (path, sysctl, off, allow) in USERNS_SWITCHES {
        if let Ok(v) = std::fs::read_to_string(path) {
            if v.trim() == off {
                return NetnsError::UserNamespacesDisabled {
                    sysctl,
                    value: off.to_owned(),
                    allow,
                };
            }
        }
    }
    match e.raw_os_error() {
        // ENOSPC: this user's (or the system's) count of user namespaces
        // is at user.max_user_namespaces (kernel/ucount.c, `inc_ucount`).
        Some(libc::ENOSPC) | Some(libc::EUSERS) => NetnsError::UserNamespaceLimit {
            max: std::fs::read_to_string("/proc/sys/user/max_user_namespaces")
                .map(|s| s.trim().to_owned())
                .unwrap_or_else(|_| "?".into()),
            source: e,
        },
        Some(libc::EINVAL) if thread_count() > 1 => NetnsError::Threaded {
            threads: thread_count(),
        },
        _ => NetnsError::Unshare {
            flags: USERNS_FLAGS,
            source: e,
        },
    }
}

/// Threads of this process (entries of /proc/self/task); 1 when unknown.
pub fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(1)
}

/// The kernel release, as `uname -r` prints it.
pub fn kernel_release() -> String {
    // SAFETY: utsname is plain old data; uname fills it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid utsname.
    if unsafe { libc::uname(&mut u) } < 0 {
        return "unknown".into();
    }
    let bytes: Vec<u8> = u
        .release
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_threaded_process_with_the_fix() {
        // The test harness runs tests on threads: this process is threaded.
        let _other = std::thread::spawn(|| std::thread::sleep(Duration::from_millis(200)));
        match enter(&NetnsOptions::default()) {
            Err(e @ NetnsError::Threaded { .. }) => {
                assert!(!e.is_unavailable());
                assert!(e.to_string().contains("first thing in main"), "{e}");
            }
            other => panic!("expected Threaded, got {other:?}"),
        }
    }

    #[test]
    fn disabled_user_namespaces_name_the_sysctl_and_the_fix() {
        let e = NetnsError::UserNamespacesDisabled {
            sysctl: "kernel.apparmor_restrict_unprivileged_userns",
            value: "1".into(),
            allow: "0",
        };
        let msg = e.to_string();
        assert!(e.is_unavailable());
        assert!(
            msg.contains("sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"),
            "{msg}"
        );
        assert!(msg.contains("run it as root"), "{msg}");
    }

    #[test]
    fn kernel_release_is_unames() {
        let r = kernel_release();
        assert!(r.chars().next().is_some_and(|c| c.is_ascii_digit()), "{r}");
    }
}
