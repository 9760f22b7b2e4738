//! Link-layer types as pcap and pcapng files number them (the tcpdump.org
//! `LINKTYPE_` registry).

use std::fmt;

/// A `LINKTYPE_` value from a pcap file header or a pcapng interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the *writer's* byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II, with or without 802.1Q / QinQ tags.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP as some platforms number `DLT_RAW` (Wireshark reads 12 and 14 as raw IP too).
    pub const RAW_12: LinkType = LinkType(12);
    /// Raw IP as OpenBSD numbers `DLT_RAW`.
    pub const RAW_14: LinkType = LinkType(14);
    /// Raw IPv4 or IPv6, told apart by the version nibble.
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux "cooked" capture, version 1 (16-byte header).
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4 only.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6 only.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux "cooked" capture, version 2 (20-byte header).
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// The registry name without the `LINKTYPE_` prefix, or `None` for link
    /// types synack does not decode.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "NULL",
            1 => "ETHERNET",
            12 | 14 | 101 => "RAW",
            108 => "LOOP",
            113 => "LINUX_SLL",
            228 => "IPV4",
            229 => "IPV6",
            276 => "LINUX_SLL2",
            _ => return None,
        })
    }

    /// Maps a libpcap `DLT_` value (what a live capture reports) to the
    /// `LINKTYPE_` value files use. They differ only for a few historical values.
    pub const fn from_dlt(dlt: i32) -> LinkType {
        match dlt {
            // DLT_RAW is 12 on most platforms, 14 on OpenBSD.
            12 | 14 => LinkType::RAW,
            // DLT_LOOP is 12 on OpenBSD only; elsewhere 108 is what libpcap reports.
            d if d < 0 => LinkType(u32::MAX),
            d => LinkType(d as u32),
        }
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({})", self.0),
            None => write!(f, "link type {}", self.0),
        }
    }
}
