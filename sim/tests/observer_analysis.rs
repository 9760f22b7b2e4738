//! Wireshark `tcp.analysis.*` flags, one test per rule of
//! `tcp_analyze_sequence_number()`. Every expectation here was checked
//! against tshark 4.0.17 on a pcap holding the same segments.

use synack_sim::observer::TcpAnalyzer;
use synack_sim::transcript::{AnalysisFlag as F, Dir};
use synack_sim::{Flags, SeqNum, TcpHeader};

const C: Dir = Dir::ClientToServer;
const S: Dir = Dir::ServerToClient;

fn flags(s: &str) -> Flags {
    s.chars().fold(Flags::NONE, |f, c| {
        f | match c {
            'S' => Flags::SYN,
            'F' => Flags::FIN,
            'R' => Flags::RST,
            'P' => Flags::PSH,
            'A' => Flags::ACK,
            _ => Flags::NONE,
        }
    })
}

fn seg(f: &str, seq: u32, ack: u32, win: u16, len: u32) -> TcpHeader {
    TcpHeader {
        seq: SeqNum(seq),
        ack: SeqNum(ack),
        flags: flags(f),
        window: win,
        payload_len: len,
        ..Default::default()
    }
}

struct Run {
    a: TcpAnalyzer,
}

impl Run {
    /// SYN at 0, SYN-ACK at 10 ms, ACK at 20 ms: client ISN 1000, server 5000.
    fn handshake() -> Run {
        let mut r = Run {
            a: TcpAnalyzer::new(),
        };
        r.none(0, C, seg("S", 1000, 0, 65535, 0));
        r.none(10_000, S, seg("SA", 5000, 1001, 65535, 0));
        r.none(20_000, C, seg("A", 1001, 5001, 65535, 0));
        r
    }

    #[track_caller]
    fn expect(&mut self, t: u64, dir: Dir, h: TcpHeader, want: &[F]) -> u32 {
        let got = self.a.analyze(dir, t, &h);
        let got_flags: Vec<F> = got.flags.iter().collect();
        let mut want = want.to_vec();
        want.sort();
        assert_eq!(got_flags, want, "segment at t={t}us: {h:?}");
        got.dup_ack_num
    }

    #[track_caller]
    fn none(&mut self, t: u64, dir: Dir, h: TcpHeader) {
        self.expect(t, dir, h, &[]);
    }
}

const T: u64 = 30_000;

#[test]
fn lost_segment_then_out_of_order_within_handshake_rtt() {
    // LOST PACKET: seq beyond nextseq. OUT-OF-ORDER: seq below nextseq,
    // within the handshake RTT (20 ms) of the highest segment.
    let mut r = Run::handshake();
    r.none(T, C, seg("PA", 1001, 5001, 65535, 100));
    r.expect(
        T + 100,
        C,
        seg("PA", 1201, 5001, 65535, 100),
        &[F::LostSegment],
    );
    r.expect(
        T + 200,
        C,
        seg("PA", 1101, 5001, 65535, 100),
        &[F::OutOfOrder],
    );
}

#[test]
fn duplicate_acks_count_then_fast_retransmission() {
    // DUPLICATE ACK: no data, same window/seq/ack; FAST RETRANSMISSION:
    // >= 2 dup ACKs for this seq and within 20 ms; tshark also sets
    // tcp.analysis.retransmission on it.
    let mut r = Run::handshake();
    r.none(T, C, seg("PA", 1001, 5001, 65535, 100));
    r.expect(
        T + 100,
        C,
        seg("PA", 1201, 5001, 65535, 100),
        &[F::LostSegment],
    );
    r.none(T + 300, S, seg("A", 5001, 1101, 65535, 0));
    for n in 1..=3 {
        let got = r.expect(
            T + 300 + 100 * n as u64,
            S,
            seg("A", 5001, 1101, 65535, 0),
            &[F::DuplicateAck],
        );
        assert_eq!(got, n, "duplicate ACK number");
    }
    r.expect(
        T + 800,
        C,
        seg("PA", 1101, 5001, 65535, 100),
        &[F::FastRetransmission, F::Retransmission],
    );
}

#[test]
fn spurious_retransmission_of_acked_data() {
    // SPURIOUS: seq + len <= the peer's last ack.
    let mut r = Run::handshake();
    r.none(T, C, seg("PA", 1001, 5001, 65535, 100));
    r.none(T + 300, S, seg("A", 5001, 1101, 65535, 0));
    r.expect(
        T + 400,
        C,
        seg("PA", 1001, 5001, 65535, 100),
        &[F::SpuriousRetransmission, F::Retransmission],
    );
}

#[test]
fn retransmission_after_the_rtt_and_syn_retransmission() {
    let mut r = Run::handshake();
    r.none(T, C, seg("PA", 1001, 5001, 65535, 100));
    r.none(T + 100, C, seg("PA", 1101, 5001, 65535, 100));
    // 9 ms later, below nextseq, within the 20 ms RTT: out of order...
    r.expect(
        T + 9_000,
        C,
        seg("PA", 1001, 5001, 65535, 50),
        &[F::OutOfOrder],
    );
    // ...but after the RTT it is a retransmission.
    r.expect(
        T + 25_000,
        C,
        seg("PA", 1001, 5001, 65535, 50),
        &[F::Retransmission],
    );

    // A SYN sent again 1 ms later ends at nextseq: never out of order.
    let mut a = Run {
        a: TcpAnalyzer::new(),
    };
    a.none(0, C, seg("S", 1000, 0, 65535, 0));
    a.expect(1_000, C, seg("S", 1000, 0, 65535, 0), &[F::Retransmission]);
}

#[test]
fn zero_window_probe_and_its_ack() {
    let mut r = Run::handshake();
    r.none(T, C, seg("PA", 1001, 5001, 65535, 100));
    r.expect(T + 10, S, seg("A", 5001, 1101, 0, 0), &[F::ZeroWindow]);
    // ZERO WINDOW PROBE: one byte at nextseq into a zero window.
    r.expect(
        T + 20,
        C,
        seg("A", 1101, 5001, 65535, 1),
        &[F::ZeroWindowProbe],
    );
    // ZERO WINDOW PROBE ACK: repeats the zero-window ACK.
    r.expect(
        T + 30,
        S,
        seg("A", 5001, 1101, 0, 0),
        &[F::ZeroWindow, F::ZeroWindowProbeAck],
    );
    // The probe did not advance nextseq: the next probe is a probe again.
    r.expect(
        T + 40,
        C,
        seg("A", 1101, 5001, 65535, 1),
        &[F::ZeroWindowProbe],
    );
    r.expect(
        T + 50,
        S,
        seg("A", 5001, 1101, 0, 0),
        &[F::ZeroWindow, F::ZeroWindowProbeAck],
    );
    // WINDOW UPDATE: same seq/ack, new non-zero window.
    r.expect(T + 60, S, seg("A", 5001, 1101, 1000, 0), &[F::WindowUpdate]);
    r.none(T + 70, C, seg("PA", 1101, 5001, 65535, 10));
}

#[test]
fn keep_alive_and_keep_alive_ack() {
    // KEEP ALIVE: 0 or 1 byte at nextseq - 1; KEEP ALIVE ACK repeats the ACK.
    let mut r = Run::handshake();
    r.none(T, C, seg("PA", 1001, 5001, 65535, 100));
    r.none(T + 10, S, seg("A", 5001, 1101, 65535, 0));
    r.expect(
        T + 5_000_000,
        C,
        seg("A", 1100, 5001, 65535, 0),
        &[F::KeepAlive],
    );
    r.expect(
        T + 5_000_010,
        S,
        seg("A", 5001, 1101, 65535, 0),
        &[F::KeepAliveAck],
    );
    r.expect(
        T + 9_000_000,
        C,
        seg("A", 1100, 5001, 65535, 1),
        &[F::KeepAlive],
    );
    r.expect(
        T + 9_000_010,
        S,
        seg("A", 5001, 1101, 65535, 0),
        &[F::KeepAliveAck],
    );
}

#[test]
fn more_than_one_byte_from_nextseq_minus_one_is_new_data() {
    let mut r = Run::handshake();
    r.none(T, C, seg("PA", 1001, 5001, 65535, 100));
    r.none(T + 10, C, seg("PA", 1100, 5001, 65535, 50));
}

#[test]
fn ack_of_unseen_segment_is_reported_once() {
    // ACKED LOST PACKET: acks beyond the highest contiguous seq seen.
    let mut r = Run::handshake();
    r.none(T, C, seg("PA", 1001, 5001, 65535, 100));
    r.expect(
        T + 10,
        S,
        seg("A", 5001, 1201, 65535, 0),
        &[F::AckLostSegment],
    );
    r.expect(
        T + 20,
        S,
        seg("A", 5001, 1201, 65535, 0),
        &[F::DuplicateAck],
    );
}

#[test]
fn window_full_uses_the_scaled_window_of_the_peer() {
    // WINDOW FULL: data up to lastack + the peer's window, scale known.
    let mut syn = seg("S", 1000, 0, 65535, 0);
    syn.options.wscale = Some(7);
    let mut synack = seg("SA", 5000, 1001, 65535, 0);
    synack.options.wscale = Some(7);
    let mut r = Run {
        a: TcpAnalyzer::new(),
    };
    r.none(0, C, syn);
    r.none(100, S, synack);
    r.none(200, C, seg("A", 1001, 5001, 10, 0));
    // 2 << 7 = 256 bytes; the raw window changed (65535 -> 2): an update.
    r.expect(300, S, seg("A", 5001, 1001, 2, 0), &[F::WindowUpdate]);
    r.expect(400, C, seg("PA", 1001, 5001, 10, 256), &[F::WindowFull]);
}

#[test]
fn window_full_is_not_checked_when_the_peer_scale_is_unknown() {
    // Mid-connection: no SYN, win_scale -1.
    let mut r = Run {
        a: TcpAnalyzer::new(),
    };
    r.none(0, C, seg("PA", 1001, 5001, 2, 10));
    r.none(10, S, seg("A", 5001, 1011, 2, 0));
    r.none(20, C, seg("PA", 1011, 5001, 2, 2));
}

#[test]
fn window_comparisons_use_the_raw_window_field() {
    // SYN-ACK raw 800 with scale 3, then a pure ACK raw 800 (6400 bytes):
    // tshark 4.0 calls it a duplicate ACK, not a window update.
    let mut syn = seg("S", 1000, 0, 1000, 0);
    syn.options.wscale = Some(3);
    let mut synack = seg("SA", 5000, 1001, 800, 0);
    synack.options.wscale = Some(3);
    let mut r = Run {
        a: TcpAnalyzer::new(),
    };
    r.none(0, C, syn);
    r.none(10_000, S, synack);
    r.none(20_000, C, seg("A", 1001, 5001, 125, 0));
    r.expect(30_000, S, seg("A", 5001, 1001, 800, 0), &[F::DuplicateAck]);
}

#[test]
fn relative_numbers_and_scaled_window() {
    let mut a = TcpAnalyzer::new();
    let mut syn = seg("S", u32::MAX - 10, 0, 65535, 0);
    syn.options.wscale = Some(2);
    let s = a.analyze(C, 0, &syn);
    assert_eq!((s.rel_seq, s.rel_ack, s.win_bytes), (0, None, 65535));
    let mut synack = seg("SA", 7, u32::MAX - 9, 100, 0);
    synack.options.wscale = Some(3);
    let s = a.analyze(S, 10, &synack);
    assert_eq!((s.rel_seq, s.rel_ack, s.win_bytes), (0, Some(1), 100));
    // Across the wrap: seq 5 is 16 bytes after ISN 2^32-11.
    let s = a.analyze(C, 20, &seg("PA", 5, 8, 100, 10));
    assert_eq!((s.rel_seq, s.rel_ack, s.win_bytes), (16, Some(1), 400));
    assert!(
        s.flags.contains(F::LostSegment),
        "seq 5 is past nextseq 2^32-10"
    );
}

#[test]
fn mid_connection_relative_numbers_start_at_one() {
    let mut a = TcpAnalyzer::new();
    let s = a.analyze(C, 0, &seg("PA", 123_456, 999, 10, 5));
    assert_eq!((s.rel_seq, s.rel_ack), (1, Some(1)));
    // Wireshark quirk kept on purpose: nextseq 0 means "unset", so a first
    // bare ACK at seq 2^32-1 counts as a keep-alive in tshark too.
    let mut b = TcpAnalyzer::new();
    let s = b.analyze(C, 0, &seg("A", u32::MAX, 5001, 10, 0));
    assert!(s.flags.contains(F::KeepAlive));
}
