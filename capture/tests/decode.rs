//! Link-layer and TCP decoding: every link type, VLAN, IPv6, options, and
//! truncated-by-snaplen told apart from malformed.

mod common;
use common::*;
use synack_capture::{decode, Layer, LinkType, Malformed, NetProto, NotTcp, Stats};
use synack_sim::{Flags, TcpHeader, TcpOptions};

fn whole(link: LinkType, frame: &[u8]) -> Result<synack_capture::TcpPacket<'_>, NotTcp> {
    decode(link, frame, frame.len() as u32)
}

#[test]
fn every_link_type_decodes_the_same_segment() {
    let ip = ipv4_syn();
    let frames: Vec<(&str, LinkType, Vec<u8>)> = vec![
        ("raw", LinkType::RAW, ip.clone()),
        ("raw dlt 12", LinkType::RAW_12, ip.clone()),
        ("ipv4", LinkType::IPV4, ip.clone()),
        ("ethernet", LinkType::ETHERNET, ethernet(&ip)),
        (
            "802.1Q",
            LinkType::ETHERNET,
            ethernet_vlan(&ip, &[(0x8100, 42)]),
        ),
        (
            "QinQ",
            LinkType::ETHERNET,
            ethernet_vlan(&ip, &[(0x88a8, 100), (0x8100, 42)]),
        ),
        (
            "null LE",
            LinkType::NULL,
            null_loopback(&ip, 2, Endian::Little),
        ),
        (
            "null BE",
            LinkType::NULL,
            null_loopback(&ip, 2, Endian::Big),
        ),
        ("loop", LinkType::LOOP, null_loopback(&ip, 2, Endian::Big)),
        ("sll", LinkType::LINUX_SLL, sll(&ip)),
        ("sll2", LinkType::LINUX_SLL2, sll2(&ip)),
    ];
    for (name, link, frame) in &frames {
        let p = whole(*link, frame).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(p.hdr, syn_hdr(), "{name}");
        assert_eq!(p.src.to_string(), "10.0.0.1:49152", "{name}");
        assert_eq!(p.dst.to_string(), "10.0.0.2:9999", "{name}");
        assert!(p.payload.is_empty() && !p.payload_truncated(), "{name}");
    }
}

#[test]
fn ipv6_on_every_link_type() {
    let ip = ip_packet(CLIENT6, SERVER6, &data_hdr(3), b"abc");
    for family in [10, 24, 28, 30] {
        let frame = null_loopback(&ip, family, Endian::Little);
        let p = whole(LinkType::NULL, &frame).unwrap();
        assert_eq!(p.payload, b"abc");
    }
    for (link, frame) in [
        (LinkType::RAW, ip.clone()),
        (LinkType::IPV6, ip.clone()),
        (LinkType::ETHERNET, ethernet(&ip)),
        (LinkType::ETHERNET, ethernet_vlan(&ip, &[(0x8100, 7)])),
        (LinkType::LINUX_SLL, sll(&ip)),
        (LinkType::LINUX_SLL2, sll2(&ip)),
    ] {
        let p = whole(link, &frame).unwrap();
        assert_eq!(p.src.to_string(), "[fd00::1]:49152");
        assert_eq!(p.dst.to_string(), "[fd00::2]:9999");
        assert_eq!(p.hdr, data_hdr(3));
        assert_eq!(p.payload, b"abc");
    }
}

#[test]
fn options_and_sack_blocks_are_decoded() {
    let hdr = TcpHeader {
        flags: Flags::ACK,
        options: TcpOptions {
            timestamps: Some((5, 6)),
            sack_len: 3,
            sack: [(10, 20), (30, 40), (50, 60), (0, 0)],
            ..Default::default()
        },
        ..data_hdr(0)
    };
    let ip = ip_packet(CLIENT, SERVER, &hdr, &[]);
    assert_eq!(whole(LinkType::RAW, &ip).unwrap().hdr, hdr);
}

#[test]
fn ethernet_padding_is_not_payload() {
    let mut frame = ethernet(&ipv4_data(b""));
    frame.extend_from_slice(&[0; 6]); // padded to the 60-byte minimum
    let p = whole(LinkType::ETHERNET, &frame).unwrap();
    assert_eq!(p.hdr.payload_len, 0);
    assert!(p.payload.is_empty());
}

#[test]
fn snaplen_cut_payload_keeps_the_real_length() {
    let ip = ipv4_data(&[7u8; 1000]);
    let frame = ethernet(&ip);
    let p = decode(LinkType::ETHERNET, &frame[..100], frame.len() as u32).unwrap();
    assert_eq!(p.hdr.payload_len, 1000);
    assert_eq!(p.payload.len(), 100 - 14 - 20 - 20);
    assert!(p.payload_truncated());
}

#[test]
fn snaplen_cut_headers_are_truncated_not_malformed() {
    let frame = ethernet(&ipv4_data(&[7u8; 100]));
    let len = frame.len() as u32;
    assert_eq!(
        decode(LinkType::ETHERNET, &frame[..10], len),
        Err(NotTcp::Truncated(Layer::Link))
    );
    assert_eq!(
        decode(LinkType::ETHERNET, &frame[..20], len),
        Err(NotTcp::Truncated(Layer::Ip))
    );
    assert_eq!(
        decode(LinkType::ETHERNET, &frame[..40], len),
        Err(NotTcp::Truncated(Layer::Tcp))
    );
    // The very same bytes, captured whole: the packet itself is broken.
    assert_eq!(
        decode(LinkType::ETHERNET, &frame[..10], 10),
        Err(NotTcp::Malformed(Malformed::LinkHeaderShort {
            need: 14,
            len: 10
        }))
    );
    assert_eq!(
        decode(LinkType::ETHERNET, &frame[..20], 20),
        Err(NotTcp::Malformed(Malformed::IpHeader { layer: Layer::Ip }))
    );
    assert_eq!(
        decode(LinkType::ETHERNET, &frame[..40], 40),
        Err(NotTcp::Malformed(Malformed::IpLengthBeyondFrame {
            claimed: 140,
            available: 26
        }))
    );
}

#[test]
fn tcp_data_offset_below_five_is_malformed() {
    let mut ip = ipv4_syn();
    ip[20 + 12] = 0x40; // data offset 4
    let e = whole(LinkType::RAW, &ip).unwrap_err();
    assert_eq!(
        e,
        NotTcp::Malformed(Malformed::TcpDataOffsetTooSmall { data_offset: 4 })
    );
    assert_eq!(
        e.to_string(),
        "malformed: the TCP data offset 4 is below the minimum of 5"
    );
    // Even when the snaplen cut the packet, a bad offset is malformed.
    assert!(matches!(
        decode(LinkType::RAW, &ip, 1500),
        Err(NotTcp::Malformed(_))
    ));
}

#[test]
fn tcp_data_offset_beyond_the_segment_is_malformed() {
    let mut ip = ipv4_data(b"ab"); // 20-byte TCP header + 2 bytes
    ip[20 + 12] = 0xf0; // 60-byte header
    assert_eq!(
        whole(LinkType::RAW, &ip),
        Err(NotTcp::Malformed(Malformed::TcpDataOffsetBeyondSegment {
            header_len: 60,
            segment_len: 22
        }))
    );
}

#[test]
fn ip_payload_shorter_than_a_tcp_header_is_malformed() {
    let mut ip = ipv4_data(b"");
    let total = 20 + 10;
    ip[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    ip.truncate(total);
    assert_eq!(
        whole(LinkType::RAW, &ip),
        Err(NotTcp::Malformed(Malformed::TcpHeaderShort { len: 10 }))
    );
}

#[test]
fn non_tcp_is_classified_and_counted() {
    // UDP: protocol 17.
    let mut udp = ipv4_syn();
    udp[9] = 17;
    // ARP over Ethernet.
    let mut arp = vec![0xff; 6];
    arp.extend_from_slice(&[2, 0, 0, 0, 0, 1, 0x08, 0x06]);
    arp.extend_from_slice(&[0; 28]);
    // An IPv4 fragment: more-fragments bit.
    let mut frag = ipv4_data(b"xyz");
    frag[6] = 0x20;
    // An IP version that does not exist.
    let mut v5 = ipv4_syn();
    v5[0] = 0x55;
    let mut stats = Stats::default();
    let cases: Vec<(LinkType, Vec<u8>, Result<(), NotTcp>)> = vec![
        (LinkType::RAW, ipv4_syn(), Ok(())),
        (LinkType::RAW, udp, Err(NotTcp::OtherIp(17))),
        (
            LinkType::ETHERNET,
            arp,
            Err(NotTcp::NonIp(NetProto::EtherType(0x0806))),
        ),
        (LinkType::RAW, frag, Err(NotTcp::Fragment)),
        (
            LinkType::RAW,
            v5,
            Err(NotTcp::Malformed(Malformed::IpVersion { version: 5 })),
        ),
        (
            LinkType(147),
            vec![1, 2, 3],
            Err(NotTcp::UnknownLink(LinkType(147))),
        ),
        (
            LinkType::NULL,
            null_loopback(&ipv4_syn(), 99, Endian::Big),
            Err(NotTcp::NonIp(NetProto::AddressFamily(99))),
        ),
    ];
    for (link, frame, want) in &cases {
        let got = whole(*link, frame);
        assert_eq!(got.map(|_| ()), *want);
        stats.count(&got);
    }
    let cut = ipv4_data(&[1; 50]);
    stats.count(&decode(LinkType::RAW, &cut[..60], cut.len() as u32));
    assert_eq!(stats.records, 8);
    assert_eq!(stats.tcp, 2);
    assert_eq!(stats.not_tcp(), 6);
    assert_eq!(
        stats.to_string(),
        "8 records: 2 TCP (1 payload cut by snaplen), 1 UDP, 1 ARP, 1 address family 99, 1 IP fragment, 1 malformed, 1 of unsupported link type 147"
    );
}
