//! Faults made by iptables rules inside a namespace.
//!
//! A rule sits in the INPUT chain: on `lo` a packet is handed to tcpdump
//! when it is sent, before INPUT sees it, so a dropped packet is in the
//! capture and so is its retransmission (the capture shows a loss "after
//! the wire", exactly what Wireshark's retransmission analysis needs).
//!
//! Exactly one packet is dropped with `-m statistic --mode nth`: with
//! `--every E --packet P` the (P+1)-th matching packet is hit, then every
//! E-th after it; E is large enough that no second packet is ever hit.

/// Which way the dropped packet goes, relative to the server's port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toward {
    /// Client to server: `--dport PORT`.
    Server,
    /// Server to client: `--sport PORT`.
    Client,
}

/// What kind of packet is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A SYN without ACK.
    Syn,
    /// A segment of at least [`DATA_MIN_IP_LEN`] bytes of IP datagram: one
    /// that carries data (a bare header with every TCP option is 80 bytes).
    Data,
}

/// An IP datagram this long carries at least 20 bytes of payload.
pub const DATA_MIN_IP_LEN: u16 = 100;

/// Every `--every` of the nth rules: no test sends this many packets.
const EVERY: u32 = 1_000_000;

/// Drop the `nth` (1-based) packet of `kind` going `toward` the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub port: u16,
    pub toward: Toward,
    pub kind: Kind,
    pub nth: u32,
}

impl Fault {
    /// Drop the `nth` SYN to the server on `port`.
    pub fn drop_syn(port: u16, nth: u32) -> Fault {
        Fault {
            port,
            toward: Toward::Server,
            kind: Kind::Syn,
            nth,
        }
    }

    /// Drop the `nth` data segment from the client to the server on `port`.
    pub fn drop_data(port: u16, nth: u32) -> Fault {
        Fault {
            port,
            toward: Toward::Server,
            kind: Kind::Data,
            nth,
        }
    }

    /// The arguments of `iptables` that add this rule.
    pub fn rule(&self) -> Vec<String> {
        let port_opt = match self.toward {
            Toward::Server => "--dport",
            Toward::Client => "--sport",
        };
        let mut r: Vec<String> = ["-A", "INPUT", "-p", "tcp", port_opt]
            .iter()
            .map(|s| s.to_string())
            .collect();
        r.push(self.port.to_string());
        match self.kind {
            Kind::Syn => r.extend(["--tcp-flags", "SYN,ACK", "SYN"].map(String::from)),
            Kind::Data => {
                r.extend(["-m", "length", "--length"].map(String::from));
                r.push(format!("{DATA_MIN_IP_LEN}:65535"));
            }
        }
        let nth = self.nth.clamp(1, EVERY);
        // --packet is 0-based: --packet 0 hits the first matching packet.
        r.extend(["-m", "statistic", "--mode", "nth", "--every"].map(String::from));
        r.push(EVERY.to_string());
        r.push("--packet".into());
        r.push((nth - 1).to_string());
        r.extend(["-j", "DROP"].map(String::from));
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_syn_rule() {
        assert_eq!(
            Fault::drop_syn(9999, 1).rule().join(" "),
            "-A INPUT -p tcp --dport 9999 --tcp-flags SYN,ACK SYN -m statistic \
             --mode nth --every 1000000 --packet 0 -j DROP"
        );
    }

    #[test]
    fn fifth_data_rule() {
        assert_eq!(
            Fault::drop_data(9999, 5).rule().join(" "),
            "-A INPUT -p tcp --dport 9999 -m length --length 100:65535 -m statistic \
             --mode nth --every 1000000 --packet 4 -j DROP"
        );
    }

    #[test]
    fn nth_zero_means_first() {
        assert_eq!(Fault::drop_syn(1, 0).rule(), Fault::drop_syn(1, 1).rule());
    }
}
