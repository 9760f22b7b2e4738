//! Counters for the summary line of `synack annotate` and `synack capture`:
//! nothing a capture holds is silently lost.

use crate::decode::{ip_proto_name, NetProto, NotTcp};
use crate::link::LinkType;
use std::collections::BTreeMap;
use std::fmt;
use synack_sim::observer::TcpPacket;

/// What a capture held, by kind. Maps are ordered, so the summary is deterministic;
/// they allocate only when a kind is seen for the first time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Records read (every record that reached the decoder).
    pub records: u64,
    /// TCP segments decoded.
    pub tcp: u64,
    /// Of those, segments whose payload the snaplen cut.
    pub tcp_payload_truncated: u64,
    /// Of those, segments found inside a tunnel (VXLAN, GRE, IP-in-IP, ...).
    pub tcp_tunneled: u64,
    /// Frames that are not IP, by protocol.
    pub non_ip: BTreeMap<NetProto, u64>,
    /// IP packets of other protocols, by IP protocol number.
    pub other_ip: BTreeMap<u8, u64>,
    /// IP fragments (not reassembled).
    pub fragments: u64,
    /// Packets the snaplen cut inside their headers.
    pub truncated: u64,
    /// Packets captured whole whose headers are inconsistent.
    pub malformed: u64,
    /// Records of link types synack does not decode.
    pub unknown_link: BTreeMap<LinkType, u64>,
    /// Errors the file reader reported (records or blocks it could not read).
    pub file_errors: u64,
    /// Records whose caplen exceeded the snaplen (read whole all the same).
    pub over_snaplen: u64,
}

impl Stats {
    /// Counts one decoded record.
    #[inline]
    pub fn count(&mut self, decoded: &Result<TcpPacket<'_>, NotTcp>) {
        match decoded {
            Ok(p) => self.count_tcp(p, false),
            Err(why) => self.count_not_tcp(why),
        }
    }

    /// Counts a record that held a TCP segment (inside a tunnel or not).
    #[inline]
    pub fn count_tcp(&mut self, p: &TcpPacket<'_>, tunneled: bool) {
        self.records += 1;
        self.tcp += 1;
        if p.payload_truncated() {
            self.tcp_payload_truncated += 1;
        }
        if tunneled {
            self.tcp_tunneled += 1;
        }
    }

    /// Counts a record that held no TCP segment, by why.
    pub fn count_not_tcp(&mut self, why: &NotTcp) {
        self.records += 1;
        match why {
            NotTcp::NonIp(p) => *self.non_ip.entry(*p).or_default() += 1,
            NotTcp::OtherIp(p) => *self.other_ip.entry(*p).or_default() += 1,
            NotTcp::Fragment => self.fragments += 1,
            NotTcp::Truncated(_) => self.truncated += 1,
            NotTcp::Malformed(_) => self.malformed += 1,
            NotTcp::UnknownLink(l) => *self.unknown_link.entry(*l).or_default() += 1,
        }
    }

    /// Counts an error of the file reader.
    pub fn count_file_error(&mut self) {
        self.file_errors += 1;
    }

    /// Records that were not TCP segments, of any kind.
    pub fn not_tcp(&self) -> u64 {
        self.records - self.tcp
    }
}

/// One line, e.g. `5 records: 3 TCP (1 payload cut by snaplen, 2 in tunnels), 1 UDP, 1 ARP`.
/// Kinds with a zero count are left out.
impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: u64| if n == 1 { "" } else { "s" };
        write!(
            f,
            "{} record{}: {} TCP",
            self.records,
            plural(self.records),
            self.tcp
        )?;
        match (self.tcp_payload_truncated, self.tcp_tunneled) {
            (0, 0) => {}
            (cut, 0) => write!(f, " ({cut} payload cut by snaplen)")?,
            (0, tun) => write!(f, " ({tun} in tunnels)")?,
            (cut, tun) => write!(f, " ({cut} payload cut by snaplen, {tun} in tunnels)")?,
        }
        for (proto, n) in &self.other_ip {
            match ip_proto_name(*proto) {
                Some(name) => write!(f, ", {n} {name}")?,
                None => write!(f, ", {n} IP protocol {proto}")?,
            }
        }
        for (proto, n) in &self.non_ip {
            write!(f, ", {n} {proto}")?;
        }
        if self.fragments > 0 {
            write!(
                f,
                ", {} IP fragment{}",
                self.fragments,
                plural(self.fragments)
            )?;
        }
        if self.truncated > 0 {
            write!(f, ", {} cut by snaplen inside headers", self.truncated)?;
        }
        if self.malformed > 0 {
            write!(f, ", {} malformed", self.malformed)?;
        }
        for (link, n) in &self.unknown_link {
            write!(f, ", {n} of unsupported {link}")?;
        }
        if self.over_snaplen > 0 {
            write!(f, ", {} over the snaplen (read whole)", self.over_snaplen)?;
        }
        if self.file_errors > 0 {
            write!(
                f,
                ", {} unreadable (file error{})",
                self.file_errors,
                plural(self.file_errors)
            )?;
        }
        Ok(())
    }
}
