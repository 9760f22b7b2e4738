//! The TCP sysctls of the run's namespace, read (never written) so the
//! transcript's header can name them.
//!
//! `/proc/sys/net` shows the sysctls of the reader's network namespace
//! (net/sysctl_net.c registers them per namespace), so [`read`] must run
//! after [`super::netns::enter`]. A new namespace starts from the kernel's
//! per-namespace defaults, except `tcp_rmem`, `tcp_wmem` and
//! `tcp_congestion_control`, which it copies from the initial namespace
//! (net/ipv4/tcp_ipv4.c, `tcp_sk_init`): the host's settings of those three
//! do reach the run.

use std::collections::BTreeMap;

/// The sysctls that shape what a scenario shows, in the order a header
/// lists them. Those this kernel does not have are left out of [`Sysctls`].
pub const REPORTED: [&str; 30] = [
    "net.ipv4.tcp_timestamps",
    "net.ipv4.tcp_sack",
    "net.ipv4.tcp_dsack",
    "net.ipv4.tcp_window_scaling",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_adv_win_scale",
    "net.ipv4.tcp_moderate_rcvbuf",
    "net.ipv4.tcp_congestion_control",
    "net.ipv4.tcp_syn_retries",
    "net.ipv4.tcp_synack_retries",
    "net.ipv4.tcp_syn_linear_timeouts",
    "net.ipv4.tcp_retries1",
    "net.ipv4.tcp_retries2",
    "net.ipv4.tcp_orphan_retries",
    "net.ipv4.tcp_rto_min_us",
    "net.ipv4.tcp_rto_max_ms",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_early_retrans",
    "net.ipv4.tcp_recovery",
    "net.ipv4.tcp_frto",
    "net.ipv4.tcp_ecn",
    "net.ipv4.tcp_fastopen",
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_autocorking",
    "net.ipv4.tcp_no_metrics_save",
    "net.ipv4.tcp_tw_reuse",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

/// Sysctl values by dotted name (`net.ipv4.tcp_sack` → `1`); whitespace
/// inside a value (tcp_rmem's three numbers) is one space.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sysctls(pub BTreeMap<String, String>);

impl Sysctls {
    /// The value of `name`, if this kernel has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// `(name, value)` in [`REPORTED`] order.
    pub fn in_order(&self) -> impl Iterator<Item = (&'static str, &str)> {
        REPORTED.iter().filter_map(|&n| self.get(n).map(|v| (n, v)))
    }
}

/// Reads every [`REPORTED`] sysctl of the current network namespace.
pub fn read() -> Sysctls {
    let mut map = BTreeMap::new();
    for name in REPORTED {
        if let Some(v) = read_one(name) {
            map.insert(name.to_owned(), v);
        }
    }
    Sysctls(map)
}

/// One sysctl by dotted name, normalised; `None` when the file is missing.
pub fn read_one(name: &str) -> Option<String> {
    let path = format!("/proc/sys/{}", name.replace('.', "/"));
    let text = std::fs::read_to_string(path).ok()?;
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_kernels_tcp_sysctls() {
        let s = read();
        // These exist on every Linux synack supports.
        for name in ["net.ipv4.tcp_sack", "net.ipv4.tcp_rmem"] {
            assert!(s.get(name).is_some(), "{name} missing: {s:?}");
        }
        assert_eq!(s.get("net.ipv4.tcp_rmem").unwrap().split(' ').count(), 3);
        assert!(s.in_order().count() <= REPORTED.len());
    }
}
