//! The hand-written fast paths of `decode` against the etherparse code they
//! replace: the same results on every input, damaged ones included.

use super::*;
use etherparse::{TcpOptionElement, TcpOptionsIterator};
use proptest::prelude::*;

/// The option parser as it was, through etherparse's iterator.
fn parse_options_etherparse(bytes: &[u8]) -> TcpOptions {
    let mut o = TcpOptions::default();
    for opt in TcpOptionsIterator::from_slice(bytes) {
        let Ok(opt) = opt else { break };
        match opt {
            TcpOptionElement::Noop => {}
            TcpOptionElement::MaximumSegmentSize(m) => o.mss = Some(m),
            TcpOptionElement::WindowScale(w) => o.wscale = Some(w),
            TcpOptionElement::SelectiveAcknowledgementPermitted => o.sack_permitted = true,
            TcpOptionElement::Timestamp(val, ecr) => o.timestamps = Some((val, ecr)),
            TcpOptionElement::SelectiveAcknowledgement(first, rest) => {
                o.sack = [(0, 0); 4];
                o.sack[0] = first;
                let mut n = 1;
                for (slot, block) in o.sack.iter_mut().skip(1).zip(rest.iter().flatten()) {
                    *slot = *block;
                    n += 1;
                }
                o.sack_len = n;
            }
        }
    }
    o
}

/// Option bytes that are mostly well-formed: known kinds with right or
/// wrong lengths, unknown kinds, cut-off ends.
fn option_bytes() -> impl Strategy<Value = Vec<u8>> {
    let one = prop_oneof![
        Just(vec![1u8]),
        Just(vec![0u8]),
        any::<[u8; 2]>().prop_map(|v| vec![2, 4, v[0], v[1]]),
        any::<u8>().prop_map(|s| vec![3, 3, s]),
        Just(vec![4u8, 2]),
        any::<[u8; 8]>().prop_map(|v| [&[8u8, 10][..], &v[..]].concat()),
        (0usize..5, any::<[u8; 32]>()).prop_map(|(n, v)| {
            let len = 2 + 8 * n;
            [&[5u8, len as u8][..], &v[..8 * n]].concat()
        }),
        prop::collection::vec(any::<u8>(), 0..6),
    ];
    prop::collection::vec(one, 0..6).prop_map(|parts| {
        let mut v = parts.concat();
        v.truncate(40);
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn options_parse_as_etherparse_does(bytes in option_bytes()) {
        prop_assert_eq!(parse_options(&bytes), parse_options_etherparse(&bytes));
    }

    #[test]
    fn random_option_bytes_parse_as_etherparse_does(bytes in prop::collection::vec(any::<u8>(), 0..41)) {
        prop_assert_eq!(parse_options(&bytes), parse_options_etherparse(&bytes));
    }

    #[test]
    fn ipv4_fast_path_decodes_as_etherparse_does(
        ihl in prop_oneof![Just(5u8), 0u8..16],
        total_len in prop_oneof![Just(None), any::<u16>().prop_map(Some)],
        frag in prop_oneof![Just(0u16), Just(0x4000u16), any::<u16>()],
        proto in prop_oneof![Just(6u8), Just(51u8), any::<u8>()],
        tcp_offset in prop_oneof![Just(5u8), 0u8..16],
        body in prop::collection::vec(any::<u8>(), 0..120),
        trim in 0usize..140,
        cut in any::<bool>(),
    ) {
        let mut net = vec![0x40 | ihl, 0, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0,
                           10, 0, 0, 1, 10, 0, 0, 2];
        net.extend_from_slice(&[0x01; 40][..usize::from(ihl.saturating_sub(5)) * 4]);
        let ip_header_len = net.len();
        net.extend_from_slice(&body);
        if let Some(tcp_flags) = net.get_mut(ip_header_len + 12) {
            *tcp_flags = tcp_offset << 4;
        }
        let total = total_len.unwrap_or(net.len() as u16);
        net[2..4].copy_from_slice(&total.to_be_bytes());
        net[6..8].copy_from_slice(&frag.to_be_bytes());
        net.truncate(net.len().saturating_sub(trim));
        let fast = ipv4_fast(&net, cut);
        let lax = ip_lax(&net, cut);
        if let Some(fast) = fast {
            prop_assert_eq!(fast, lax);
        }
    }
}

#[test]
fn the_fast_path_takes_plain_ipv4_and_leaves_the_rest() {
    let mut net = vec![
        0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    net.extend_from_slice(&[
        0, 80, 0, 81, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 1, 0, 0, 0, 0, 0,
    ]);
    let fast = ipv4_fast(&net, false).expect("plain IPv4 takes the fast path");
    assert_eq!(fast, ip_lax(&net, false));
    let packet = fast.and_then(|ip| decode_tcp(ip.src, ip.dst, ip.segment, ip.missing));
    assert_eq!(packet.map(|p| p.hdr.dst_port), Ok(81));
    // Authentication header and IPv6 go to etherparse.
    let mut ah = net.clone();
    ah[9] = 51;
    assert!(ipv4_fast(&ah, false).is_none());
    let v6 = [0x60u8; 40];
    assert!(ipv4_fast(&v6, false).is_none());
}

#[test]
fn sack_blocks_and_a_damaged_tail() {
    let mut opts = vec![1, 1, 5, 18];
    opts.extend((1u32..=4).flat_map(u32::to_be_bytes));
    opts.extend([8, 10, 0, 0, 0, 7, 0, 0, 0, 9, 2, 5, 1, 1]);
    let o = parse_options(&opts);
    assert_eq!(o, parse_options_etherparse(&opts));
    assert_eq!((o.sack_len, o.sack[1]), (2, (3, 4)));
    assert_eq!(o.timestamps, Some((7, 9)));
    assert_eq!(o.mss, None, "an MSS of length 5 ends the list");
}
