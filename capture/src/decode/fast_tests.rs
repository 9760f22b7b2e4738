//! The hand-written fast paths of `decode` against the code they replace
//! or a plain model of the rule: the same results on every input, damaged
//! ones included.

use super::ip::{ip_lax, ipv4_fast};
use super::tcp::{decode_tcp, parse_options};
use proptest::prelude::*;
use synack_sim::TcpOptions;

/// The option walk as a plain model: a loop over (kind, length) that skips
/// every option by its length and records the known ones of the right size.
fn parse_options_model(bytes: &[u8]) -> TcpOptions {
    let mut o = TcpOptions::default();
    let mut at = 0;
    while at < bytes.len() {
        let kind = bytes[at];
        if kind == 0 {
            break;
        }
        if kind == 1 {
            at += 1;
            continue;
        }
        let Some(&len) = bytes.get(at + 1) else { break };
        let len = usize::from(len);
        if len < 2 || at + len > bytes.len() {
            break;
        }
        let v = &bytes[at + 2..at + len];
        let u32_at = |i: usize| u32::from_be_bytes([v[i], v[i + 1], v[i + 2], v[i + 3]]);
        match (kind, len) {
            (2, 4) => o.mss = Some(u16::from_be_bytes([v[0], v[1]])),
            (3, 3) => o.wscale = Some(v[0]),
            (4, 2) => o.sack_permitted = true,
            (8, 10) => o.timestamps = Some((u32_at(0), u32_at(4))),
            (5, 10 | 18 | 26 | 34) => {
                o.sack = [(0, 0); 4];
                o.sack_len = 0;
                for (i, slot) in o.sack.iter_mut().enumerate().take((len - 2) / 8) {
                    *slot = (u32_at(8 * i), u32_at(8 * i + 4));
                    o.sack_len += 1;
                }
            }
            _ => {}
        }
        at += len;
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
        unknown_option(),
        prop::collection::vec(any::<u8>(), 0..6),
    ];
    prop::collection::vec(one, 0..6).prop_map(|parts| {
        let mut v = parts.concat();
        v.truncate(40);
        v
    })
}

/// A well-formed option of a kind synack does not record: AccECN (172,
/// 174), the experimental 253 and 254 (RFC 6994, with a 16-bit ExID), or
/// any other unknown kind, with 0 to 10 bytes of value.
fn unknown_option() -> impl Strategy<Value = Vec<u8>> {
    unknown_option_up_to(10)
}

/// [`unknown_option`] with at most `max_body` bytes of value.
fn unknown_option_up_to(max_body: usize) -> impl Strategy<Value = Vec<u8>> {
    let kind = prop_oneof![
        Just(172u8),
        Just(174u8),
        Just(253u8),
        Just(254u8),
        (6u8..=255).prop_filter("not a recorded kind", |k| *k != 8),
    ];
    (kind, prop::collection::vec(any::<u8>(), 0..=max_body))
        .prop_map(|(k, body)| [&[k, 2 + body.len() as u8][..], &body[..]].concat())
}

/// The options of a Linux SYN: MSS, SACK permitted, timestamps, NOP, window scale.
fn syn_options(mss: u16, shift: u8, tsval: u32) -> Vec<u8> {
    let mut v = vec![2, 4];
    v.extend(mss.to_be_bytes());
    v.extend([4, 2, 8, 10]);
    v.extend(tsval.to_be_bytes());
    v.extend([0, 0, 0, 0, 1, 3, 3, shift]);
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn options_parse_as_the_model_does(bytes in option_bytes()) {
        prop_assert_eq!(parse_options(&bytes), parse_options_model(&bytes));
    }

    #[test]
    fn random_option_bytes_parse_as_the_model_does(bytes in prop::collection::vec(any::<u8>(), 0..41)) {
        prop_assert_eq!(parse_options(&bytes), parse_options_model(&bytes));
    }

    /// Issue 12: unknown options before the known ones (AccECN, experimental
    /// kinds, anything) are skipped by their length, and the window scale,
    /// MSS, SACK permitted and timestamps after them are all seen.
    #[test]
    fn unknown_options_before_the_known_ones_are_skipped(
        unknown in prop::collection::vec(unknown_option_up_to(6), 1..3),
        nops in 0usize..3,
        mss in any::<u16>(),
        shift in 0u8..15,
        tsval in any::<u32>(),
    ) {
        let mut bytes: Vec<u8> = unknown.concat();
        bytes.extend(std::iter::repeat_n(1u8, nops));
        let known = syn_options(mss, shift, tsval);
        // A TCP header holds at most 40 bytes of options: 18 + 20 fit.
        bytes.extend(&known);
        prop_assert!(bytes.len() <= 40);
        let o = parse_options(&bytes);
        prop_assert_eq!(o.wscale, Some(shift));
        prop_assert_eq!(o.mss, Some(mss));
        prop_assert!(o.sack_permitted);
        prop_assert_eq!(o.timestamps, Some((tsval, 0)));
        prop_assert_eq!(o, parse_options(&known));
    }

    /// The same for a window scale alone behind up to 37 bytes of unknown options.
    #[test]
    fn window_scale_after_any_unknown_options_is_seen(
        unknown in prop::collection::vec(unknown_option(), 1..4),
        shift in 0u8..15,
    ) {
        // Whole options only, as many as leave room for the window scale.
        let mut bytes: Vec<u8> = Vec::new();
        for opt in unknown.iter().filter(|o| o.len() <= 37) {
            if bytes.len() + opt.len() <= 37 {
                bytes.extend(opt);
            }
        }
        bytes.extend([3, 3, shift]);
        prop_assert_eq!(parse_options(&bytes).wscale, Some(shift));
    }

    #[test]
    fn ipv4_fast_path_decodes_as_etherparse_does(
        ihl in prop_oneof![Just(5u8), 0u8..16],
        total_len in prop_oneof![Just(None), any::<u16>().prop_map(Some)],
        frag in prop_oneof![Just(0u16), Just(0x4000u16), any::<u16>()],
        proto in prop_oneof![Just(6u8), Just(51u8), Just(17u8), Just(47u8), Just(4u8), any::<u8>()],
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
    let packet = fast.and_then(|ip| decode_tcp(ip.src, ip.dst, ip.payload, ip.missing));
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
    assert_eq!(o, parse_options_model(&opts));
    assert_eq!((o.sack_len, o.sack[1]), (2, (3, 4)));
    assert_eq!(o.timestamps, Some((7, 9)));
    assert_eq!(
        o.mss, None,
        "an MSS whose length 5 runs past the end ends the walk"
    );
}

#[test]
fn accecn_and_experimental_options_before_window_scale() {
    // A SYN as an AccECN-capable stack may send it: AccECN order 0 (172)
    // with three 24-bit counters, an experimental option 253 with ExID
    // 0x0348, then MSS, SACK permitted, timestamps, NOP, window scale 7.
    let mut opts = vec![172, 11, 0, 0, 1, 0, 0, 2, 0, 0, 3, 253, 4, 0x03, 0x48];
    opts.extend(syn_options(1460, 7, 99));
    assert_eq!(opts.len(), 35);
    let o = parse_options(&opts);
    assert_eq!(
        (o.mss, o.wscale, o.timestamps),
        (Some(1460), Some(7), Some((99, 0)))
    );
    let mut opts = vec![174, 2, 254, 6, 0xf9, 0x89, 0, 0];
    opts.extend(syn_options(1460, 7, 99));
    let o = parse_options(&opts);
    assert_eq!(
        (o.mss, o.wscale, o.timestamps),
        (Some(1460), Some(7), Some((99, 0)))
    );
    // A length below 2 ends the walk: the window scale after it is not seen.
    let o = parse_options(&[30, 1, 3, 3, 7]);
    assert_eq!(o.wscale, None);
}
