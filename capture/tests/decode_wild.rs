//! The decoders of issue 12 (tunnels, the new link types, records over the
//! snaplen) on damaged and random input: nothing panics, a damaged tunnel
//! header is told apart as truncated or malformed, and the wild corpus
//! (`tests/fixtures/wild/`) survives seeded byte errors through the whole
//! annotate path (reader, decoder, one observer per tunnel).

mod common;
use common::*;
use proptest::prelude::*;
use std::io;
use synack_capture::{
    decode, decode_tunneled, CaptureReader, Feed, Layer, LinkType, Malformed, NotTcp, TunnelKind,
};
use synack_sim::transcript::{ConnInfo, Event, EventKind, Sink};

const WILD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/wild");

/// A UDP datagram to `port` around `inner`, in IPv4 between two outer addresses.
fn udp_tunnel(port: u16, inner: &[u8]) -> Vec<u8> {
    let mut udp = 40000u16.to_be_bytes().to_vec();
    udp.extend(port.to_be_bytes());
    udp.extend(((8 + inner.len()) as u16).to_be_bytes());
    udp.extend([0, 0]);
    udp.extend(inner);
    outer_ipv4(17, &udp)
}

fn outer_ipv4(proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut ip = vec![
        0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, proto, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2,
    ];
    ip[2..4].copy_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
    ip.extend(payload);
    ip
}

fn vxlan(vni: u32, frame: &[u8]) -> Vec<u8> {
    let mut v = vec![0x08, 0, 0, 0];
    v.extend((vni << 8).to_be_bytes());
    v.extend(frame);
    udp_tunnel(4789, &v)
}

#[test]
fn tunnels_name_kind_addresses_and_id() {
    let inner = ethernet(&ipv4_syn());
    let frame = vxlan(42, &inner);
    let d = decode_tunneled(LinkType::RAW, &frame, 0).expect("TCP in VXLAN");
    assert_eq!(d.packet.hdr, syn_hdr());
    let t = d.tunnel.expect("a tunnel");
    assert_eq!((t.kind, t.id, t.depth), (TunnelKind::Vxlan, Some(42), 1));
    assert_eq!(t.to_string(), "VXLAN 192.0.2.1 → 192.0.2.2 vni 42");
    // GRE with a key, around IPv6.
    let v6 = ip_packet(CLIENT6, SERVER6, &data_hdr(3), b"abc");
    let mut gre = vec![0x20, 0, 0x86, 0xdd, 0, 0, 0, 7];
    gre.extend(&v6);
    let frame = outer_ipv4(47, &gre);
    let d = decode_tunneled(LinkType::RAW, &frame, 0).expect("TCP in GRE");
    let t = d.tunnel.expect("a tunnel");
    assert_eq!(t.to_string(), "GRE 192.0.2.1 → 192.0.2.2 key 7");
    assert_eq!(d.packet.payload, b"abc");
    // IPIP inside VXLAN: the innermost tunnel is named, with the depth.
    let ipip = ethernet(&outer_ipv4(4, &ipv4_syn()));
    let frame = vxlan(1, &ipip);
    let d = decode_tunneled(LinkType::RAW, &frame, 0).expect("two tunnels");
    assert_eq!(
        d.tunnel.expect("a tunnel").to_string(),
        "IPIP 192.0.2.1 → 192.0.2.2 (the innermost of 2 tunnels)"
    );
    // UDP to another port is just UDP.
    assert_eq!(
        decode(LinkType::RAW, &udp_tunnel(53, &inner), 0),
        Err(NotTcp::OtherIp(17))
    );
}

#[test]
fn a_short_tunnel_header_is_truncated_or_malformed() {
    let whole = vxlan(42, &ethernet(&ipv4_syn()));
    // 20 IP + 8 UDP + 4 of the 8 VXLAN bytes, the rest cut by the snaplen.
    let cut = &whole[..32];
    assert_eq!(
        decode(LinkType::RAW, cut, whole.len() as u32),
        Err(NotTcp::Truncated(Layer::Tunnel))
    );
    // The same bytes captured whole, the IP length saying so.
    let mut short = cut.to_vec();
    short[2..4].copy_from_slice(&32u16.to_be_bytes());
    short[24..26].copy_from_slice(&12u16.to_be_bytes());
    assert_eq!(
        decode(LinkType::RAW, &short, 32),
        Err(NotTcp::Malformed(Malformed::TunnelHeaderShort {
            tunnel: "VXLAN",
            need: 8,
            len: 4
        }))
    );
    // Nested deeper than synack follows.
    let mut p = ipv4_syn();
    for _ in 0..=synack_capture::decode::MAX_DEPTH {
        p = outer_ipv4(4, &p);
    }
    assert_eq!(
        decode(LinkType::RAW, &p, 0),
        Err(NotTcp::Malformed(Malformed::TunnelsTooDeep {
            depth: synack_capture::decode::MAX_DEPTH
        }))
    );
}

#[test]
fn every_new_link_type_decodes_the_same_segment() {
    let ip = ipv4_syn();
    let with = |head: &[u8]| [head, &ip[..]].concat();
    let frames: Vec<(&str, LinkType, Vec<u8>)> = vec![
        ("ppp", LinkType::PPP, with(&[0xff, 0x03, 0x00, 0x21])),
        ("ppp pfc", LinkType::PPP, with(&[0x21])),
        (
            "ppp hdlc",
            LinkType::PPP_HDLC,
            with(&[0xff, 0x03, 0x00, 0x21]),
        ),
        (
            "ppp hdlc cisco",
            LinkType::PPP_HDLC,
            with(&[0x0f, 0, 0x08, 0]),
        ),
        (
            "ppp dir",
            LinkType::PPP_WITH_DIR,
            with(&[1, 0xff, 0x03, 0x00, 0x21]),
        ),
        (
            "pppoe",
            LinkType::PPP_ETHER,
            with(&[0x11, 0, 0, 1, 0, 0, 0, 0x21]),
        ),
        ("c_hdlc", LinkType::C_HDLC, with(&[0x8f, 0, 0x08, 0])),
        (
            "fr rfc 2427",
            LinkType::FRELAY,
            with(&[0x18, 0x41, 0x03, 0xcc]),
        ),
        (
            "fr pad snap",
            LinkType::FRELAY,
            with(&[0x18, 0x41, 3, 0, 0x80, 0, 0, 0, 8, 0]),
        ),
        (
            "fr cisco",
            LinkType::FRELAY,
            with(&[0x18, 0x41, 0x08, 0x00]),
        ),
        (
            "ipoib",
            LinkType::IPOIB,
            with(&[&[0u8; 40][..], &[8, 0, 0, 0]].concat()),
        ),
        (
            "juniper",
            LinkType::JUNIPER_ETHER,
            [&b"MGC\x01"[..], &ethernet(&ip)].concat(),
        ),
        (
            "juniper ext",
            LinkType::JUNIPER_ETHER,
            [&b"MGC\x80\x00\x03\x01\x01\x05"[..], &ethernet(&ip)].concat(),
        ),
        (
            "juniper no l2",
            LinkType::JUNIPER_ETHER,
            with(b"MGC\x02\x02\x00\x00\x00"),
        ),
        (
            "pflog",
            LinkType::PFLOG,
            with(&[&[61u8, 2][..], &[0; 62]].concat()),
        ),
        (
            "atm",
            LinkType::ATM_RFC1483,
            with(&[0xaa, 0xaa, 3, 0, 0, 0, 8, 0]),
        ),
        ("nflog", LinkType::NFLOG, {
            let mut f = vec![2, 0, 0, 5];
            f.extend(((4 + ip.len()) as u16).to_le_bytes());
            f.extend(9u16.to_le_bytes());
            f.extend(&ip);
            f
        }),
    ];
    for (name, link, frame) in &frames {
        assert!(link.is_supported(), "{name}");
        let p = decode(*link, frame, frame.len() as u32).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(p.hdr, syn_hdr(), "{name}");
        assert_eq!(p.dst.to_string(), "10.0.0.2:9999", "{name}");
    }
    // What is not IP is named.
    assert_eq!(
        decode(LinkType::PPP, &[0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4], 8)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err("not IP (PPP LCP)".to_owned())
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Any bytes, as a frame of any supported link type, whole or cut:
    /// no panic, and what decodes is consistent.
    #[test]
    fn random_frames_never_panic(
        link in prop::sample::select(LinkType::SUPPORTED.to_vec()),
        prefix in prop::sample::select(vec![
            vec![], vec![0xff, 3, 0, 0x21], vec![0x45], vec![0x60],
            vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0],
        ]),
        bytes in prop::collection::vec(any::<u8>(), 0..200),
        cut in any::<bool>(),
    ) {
        let frame = [&prefix[..], &bytes[..]].concat();
        let orig = frame.len() as u32 + if cut { 100 } else { 0 };
        if let Ok(d) = decode_tunneled(link, &frame, orig) {
            prop_assert!(d.packet.payload.len() <= d.packet.hdr.payload_len as usize);
            prop_assert!(d.tunnel.is_none_or(|t| usize::from(t.depth) <= synack_capture::decode::MAX_DEPTH));
        }
    }

    /// Tunnel headers over random bytes: no panic.
    #[test]
    fn random_tunnel_payloads_never_panic(
        proto in prop::sample::select(vec![4u8, 17, 41, 47]),
        port in prop::sample::select(vec![4789u16, 4790, 6081]),
        bytes in prop::collection::vec(any::<u8>(), 0..160),
        cut in any::<bool>(),
    ) {
        let p = if proto == 17 { udp_tunnel(port, &bytes) } else { outer_ipv4(proto, &bytes) };
        let orig = p.len() as u32 + if cut { 50 } else { 0 };
        let _ = decode_tunneled(LinkType::RAW, &p, orig).map_err(|e| e.to_string());
    }
}

/// A sink that checks what the feed gives it: connection ids 1, 2, 3, ...
/// in order, every event of a known connection.
#[derive(Default)]
struct Check {
    conns: u32,
}

impl Sink for Check {
    fn begin_conn(&mut self, info: &ConnInfo) -> io::Result<()> {
        self.conns += 1;
        assert_eq!(
            info.conn,
            Some(self.conns),
            "connections are numbered in order"
        );
        Ok(())
    }
    fn event(&mut self, ev: &Event<'_>) -> io::Result<()> {
        if let Some(c) = ev.conn {
            assert!(
                c >= 1 && c <= self.conns,
                "an event of an unknown connection {c}"
            );
        }
        if let EventKind::Segment(s) = ev.kind {
            assert!(s.frame.is_some());
        }
        Ok(())
    }
}

/// Every wild fixture with seeded byte errors, through the reader and the
/// feed: no panic, connection ids stay dense, and the summaries agree.
#[test]
fn the_wild_corpus_with_byte_errors_never_panics() {
    let mut seed = 0x5eed_u64;
    let mut files: Vec<_> = std::fs::read_dir(WILD)
        .expect("the wild corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    files.sort();
    assert!(files.len() >= 50);
    for path in files {
        let good = std::fs::read(&path).expect("a fixture");
        for round in 0..4 {
            let mut bytes = good.clone();
            for b in bytes.iter_mut().skip(24) {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                if (seed >> 33) % 1000 < 2 + round * 5 {
                    *b ^= (seed >> 20) as u8 | 1;
                }
            }
            let Ok(mut r) = CaptureReader::new(&bytes[..]) else {
                continue;
            };
            let mut feed = Feed::new();
            let mut sink = Check::default();
            let mut guard = 0;
            while let Some(item) = r.next_record() {
                guard += 1;
                assert!(
                    guard < 100_000,
                    "{}: the reader must make progress",
                    path.display()
                );
                if let Ok(rec) = item {
                    feed.record(&rec, &mut sink).expect("a sink in memory");
                }
            }
            let sums = feed.summaries();
            assert_eq!(sums.len(), feed.conn_count());
            assert_eq!(sums.len() as u32, sink.conns);
            assert!(sums.iter().enumerate().all(|(i, s)| s.conn == i as u32 + 1));
        }
    }
}
