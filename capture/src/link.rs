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
    /// PPP (RFC 1661), with or without the HDLC address and control bytes.
    pub const PPP: LinkType = LinkType(9);
    /// Raw IP as some platforms number `DLT_RAW` (Wireshark reads 12 and 14 as raw IP too).
    pub const RAW_12: LinkType = LinkType(12);
    /// Raw IP as OpenBSD numbers `DLT_RAW`.
    pub const RAW_14: LinkType = LinkType(14);
    /// PPP in HDLC-like framing (RFC 1662), or Cisco HDLC.
    pub const PPP_HDLC: LinkType = LinkType(50);
    /// PPPoE session frames without the Ethernet header (RFC 2516).
    pub const PPP_ETHER: LinkType = LinkType(51);
    /// ATM with RFC 1483 LLC/SNAP encapsulation.
    pub const ATM_RFC1483: LinkType = LinkType(100);
    /// Raw IPv4 or IPv6, told apart by the version nibble.
    pub const RAW: LinkType = LinkType(101);
    /// Cisco HDLC: address, control, an Ethernet type.
    pub const C_HDLC: LinkType = LinkType(104);
    /// Frame Relay: a Q.922 address, then RFC 2427 or Cisco encapsulation.
    pub const FRELAY: LinkType = LinkType(107);
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux "cooked" capture, version 1 (16-byte header).
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// OpenBSD pflog: its own header, then IP.
    pub const PFLOG: LinkType = LinkType(117);
    /// Juniper's capture header, then Ethernet.
    pub const JUNIPER_ETHER: LinkType = LinkType(178);
    /// A direction byte, then PPP in HDLC-like framing.
    pub const PPP_WITH_DIR: LinkType = LinkType(204);
    /// Raw IPv4 only.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6 only.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux netfilter NFLOG: a header and TLVs, one of them the packet.
    pub const NFLOG: LinkType = LinkType(239);
    /// IP over InfiniBand (RFC 4391), after Wireshark's 40-byte pseudo-header.
    pub const IPOIB: LinkType = LinkType(242);
    /// Linux "cooked" capture, version 2 (20-byte header).
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// Every link type synack decodes, for the README and the help text.
    pub const SUPPORTED: [LinkType; 21] = [
        LinkType::NULL,
        LinkType::ETHERNET,
        LinkType::PPP,
        LinkType::RAW_12,
        LinkType::RAW_14,
        LinkType::PPP_HDLC,
        LinkType::PPP_ETHER,
        LinkType::ATM_RFC1483,
        LinkType::RAW,
        LinkType::C_HDLC,
        LinkType::FRELAY,
        LinkType::LOOP,
        LinkType::LINUX_SLL,
        LinkType::PFLOG,
        LinkType::JUNIPER_ETHER,
        LinkType::PPP_WITH_DIR,
        LinkType::IPV4,
        LinkType::IPV6,
        LinkType::NFLOG,
        LinkType::IPOIB,
        LinkType::LINUX_SLL2,
    ];

    /// True when synack decodes records of this link type.
    pub fn is_supported(self) -> bool {
        LinkType::SUPPORTED.contains(&self)
    }

    /// The registry name without the `LINKTYPE_` prefix, for the link types
    /// synack decodes and a few common ones it does not; `None` for others.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "NULL",
            1 => "ETHERNET",
            6 => "IEEE802_5",
            8 => "SLIP",
            9 => "PPP",
            10 => "FDDI",
            12 | 14 | 101 => "RAW",
            50 => "PPP_HDLC",
            51 => "PPP_ETHER",
            100 => "ATM_RFC1483",
            104 => "C_HDLC",
            105 => "IEEE802_11",
            107 => "FRELAY",
            108 => "LOOP",
            113 => "LINUX_SLL",
            117 => "PFLOG",
            119 => "IEEE802_11_PRISM",
            127 => "IEEE802_11_RADIOTAP",
            178 => "JUNIPER_ETHER",
            189 => "USB_LINUX",
            192 => "PPI",
            201 => "BLUETOOTH_HCI_H4_WITH_PHDR",
            204 => "PPP_WITH_DIR",
            215 => "IEEE802_15_4_NOFCS",
            220 => "USB_LINUX_MMAPPED",
            228 => "IPV4",
            229 => "IPV6",
            239 => "NFLOG",
            242 => "IPOIB",
            249 => "USBPCAP",
            253 => "NETLINK",
            258 => "PKTAP",
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
