//! The iptables rule that puts the pair's TCP packets into the link's queue.
//!
//! Called once by [`super::link::NfqLink::start`], after the queue is bound
//! (a packet queued to a queue nobody listens on is dropped,
//! net/netfilter/nfnetlink_queue.c `nfqnl_enqueue_packet` returns -ESRCH and
//! `nf_queue` drops it). One `iptables-restore --noflush` run installs both
//! directions in one transaction.
//!
//! Where: table `raw`, chain PREROUTING, priority -300
//! (`NF_IP_PRI_RAW`), the first hook a received packet meets, before
//! conntrack. On `lo` a packet is "received" right after it was sent:
//! `loopback_xmit` hands it to `__netif_rx`, the packet taps (libpcap) see
//! it in `__netif_receive_skb_core`, then `ip_rcv` runs the PREROUTING hook.
//! So libpcap has the packet, at its send time, before the queue holds it,
//! and a dropped packet is still captured (checked by the tests; see
//! docs/real.md).
//!
//! The rule skips packets carrying [`super::SKIP_MARK`]: the link's own
//! copies. The rule dies with the namespace.

use super::AddrPair;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The program, and the Debian package that has it.
pub const PROGRAM: &str = "iptables-restore";
pub const PACKAGE: &str = "iptables";

/// Why the rule could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("`{PROGRAM}` was not found in PATH nor in /usr/sbin or /sbin: install it with `apt-get install {PACKAGE}`.")]
    Missing,
    #[error("Could not run {}: {source}.", .program.display())]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{} --noflush` refused the NFQUEUE rule ({status}): {stderr}", .program.display())]
    Refused {
        program: PathBuf,
        status: String,
        stderr: String,
    },
}

/// The `iptables-restore` input: both directions of the pair to `queue`,
/// unless marked [`super::SKIP_MARK`].
pub fn rules(pair: &AddrPair, queue: u16, skip_mark: u32) -> String {
    let rule = |src, dst| {
        format!(
            "-A PREROUTING -i lo -p tcp -s {src}/32 -d {dst}/32 -m mark ! --mark {skip_mark:#x} -j NFQUEUE --queue-num {queue}\n"
        )
    };
    format!(
        "*raw\n{}{}COMMIT\n",
        rule(pair.client, pair.server),
        rule(pair.server, pair.client)
    )
}

/// Finds a program in PATH, then in the sbin directories, which `su`'s
/// PATH for an ordinary user leaves out.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(
            ["/usr/local/sbin", "/usr/sbin", "/sbin"]
                .iter()
                .map(PathBuf::from),
        )
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Installs the rules in the current network namespace.
pub fn install(pair: &AddrPair, queue: u16, skip_mark: u32) -> Result<(), RuleError> {
    let program = find_program(PROGRAM).ok_or(RuleError::Missing)?;
    let spawn_err = |source| RuleError::Spawn {
        program: program.clone(),
        source,
    };
    let mut child = Command::new(&program)
        .arg("--noflush")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_err)?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(rules(pair, queue, skip_mark).as_bytes())
            .map_err(spawn_err)?;
    }
    let out = child.wait_with_output().map_err(spawn_err)?;
    if !out.status.success() {
        return Err(RuleError::Refused {
            program,
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn rules_queue_both_directions_and_skip_the_mark() {
        let pair = AddrPair {
            client: Ipv4Addr::new(127, 1, 0, 2),
            server: Ipv4Addr::new(127, 1, 0, 3),
        };
        assert_eq!(
            rules(&pair, 3, 0x5359_4e41),
            "*raw\n\
             -A PREROUTING -i lo -p tcp -s 127.1.0.2/32 -d 127.1.0.3/32 -m mark ! --mark 0x53594e41 -j NFQUEUE --queue-num 3\n\
             -A PREROUTING -i lo -p tcp -s 127.1.0.3/32 -d 127.1.0.2/32 -m mark ! --mark 0x53594e41 -j NFQUEUE --queue-num 3\n\
             COMMIT\n"
        );
    }

    #[test]
    fn missing_program_names_the_package() {
        assert!(find_program("synack-no-such-program").is_none());
        let msg = RuleError::Missing.to_string();
        assert!(msg.contains("apt-get install iptables"), "{msg}");
    }
}
