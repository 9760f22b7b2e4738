//! Wireshark's TCP sequence analysis, per connection (the `tcp.analysis.*`
//! flags of docs/transcript-json.md, "Analysis flags").
//!
//! [`TcpAnalyzer`] reproduces `tcp_analyze_sequence_number()` of Wireshark's
//! `epan/dissectors/packet-tcp.c` (as shipped in Wireshark 4.0, with default
//! preferences: relative sequence numbers on, "Analyze TCP sequence numbers"
//! on, `tcp.window_scaling` "not known" (-1), "fast retransmission supersedes
//! out-of-order" on), plus the bits of `dissect_tcp()` it depends on: base
//! sequence numbers, window scaling (`pdu_store_window_scale_option()`,
//! `verify_tcp_window_scaling()`) and the handshake RTT that sets the
//! out-of-order threshold (`ts_mru_syn`, `ts_first_rtt`). Only what reaches a
//! flag is kept: no per-segment lists, so memory is constant per connection.
//!
//! Wireshark uses `0` as "not seen yet" for `nextseq`, `lastack` and
//! `maxseqtobeacked`; so does this port (on purpose: the flags must agree with
//! tshark frame by frame, quirks included, e.g. a bare ACK with sequence
//! number 2^32-1 as the first segment of a flow is a keep-alive).
//!
//! "ACKed unseen segment" follows tshark 4.0.17, which differs from the
//! newer source: see the comment in `sequence_analysis` and the tshark
//! transcripts in `sim/tests/observer_acklost.rs`.
//!
//! Calling order: feed every segment of one connection, in capture order, to
//! [`TcpAnalyzer::analyze`]; times must not go backwards (if they do, time
//! differences count as "long ago", as Wireshark's unsigned arithmetic does).

use crate::segment::TcpHeader;
use crate::seq::SeqNum;
use crate::transcript::{Analysis, AnalysisFlag, Dir};

/// Out-of-order threshold when no handshake RTT is known: 3 ms
/// (`ooo_thres = 3000000` ns in `tcp_analyze_sequence_number()`).
pub const DEFAULT_OOO_THRESHOLD_US: u64 = 3_000;

/// A fast retransmission follows the last duplicate ACK within 20 ms
/// (`t<20000000` ns in `tcp_analyze_sequence_number()`).
pub const FAST_RETRANSMISSION_WINDOW_US: u64 = 20_000;

/// The C code's `dupacknum = -1` in an unsigned counter.
const NEUTRALIZED: u32 = u32::MAX;

/// Window scale of one direction, as Wireshark's `win_scale` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WinScale {
    /// -1: the SYN was not seen; windows are shown unscaled and window-full
    /// is not checked.
    Unknown,
    /// -2: the handshake showed that scaling is not used.
    NotUsed,
    /// A shift count from the window-scale option (capped at 14, RFC 7323 2.3).
    Shift(u8),
}

impl WinScale {
    fn shift(self) -> u32 {
        match self {
            WinScale::Shift(s) => u32::from(s),
            WinScale::Unknown | WinScale::NotUsed => 0,
        }
    }
}

/// The analysis of one segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SegmentAnalysis {
    /// The `tcp.analysis.*` flags. As in tshark's fields, a fast or spurious
    /// retransmission also carries `retransmission`.
    pub flags: Analysis,
    /// `tcp.analysis.duplicate_ack_num` when `duplicate_ack` is set, else 0.
    pub dup_ack_num: u32,
    /// `seq` relative to the sender's base (Wireshark's relative sequence number).
    pub rel_seq: u32,
    /// `ack` relative to the receiver's base; `None` when ACK is clear.
    pub rel_ack: Option<u32>,
    /// The window in bytes as Wireshark shows it (`tcp.window_size`).
    pub win_bytes: u32,
}

/// Per-direction state (Wireshark's `tcp_flow_t` and
/// `tcp_analyze_seq_flow_info_t`, the fields that matter for flags).
#[derive(Clone, Copy, Debug)]
struct Flow {
    base_seq: Option<SeqNum>,
    win_scale: WinScale,
    /// Raw window field of this flow's last segment (`G_MAXUINT32` before
    /// any). Wireshark 4.0 compares raw windows for window update, duplicate
    /// ACK and the probe ACKs (checked against tshark 4.0.17).
    window: u32,
    /// The same window in bytes as shown (SYNs unscaled), for window full.
    window_bytes: u32,
    nextseq: u32,
    nextseq_time: u64,
    lastack: u32,
    lastack_time: u64,
    /// Duplicate-ACK counter. `guint32` in C, where the "-1" that
    /// neutralizes repeated "ACKed unseen segment" reports is `u32::MAX`,
    /// which then also counts as ">= 2 duplicate ACKs" for fast
    /// retransmission (observed in tshark 4.0.17; replicated on purpose).
    dupacknum: u32,
    maxseqtobeacked: u32,
    /// The flags of the last segment of this flow (`lastsegmentflags`).
    lastsegmentflags: Analysis,
    /// `nextseq`, `maxseqtobeacked` and `lastack` hold a value (the C code
    /// uses 0 for "not yet", which a real sequence number can also be).
    nextseq_set: bool,
    maxseq_set: bool,
    lastack_set: bool,
}

impl Default for Flow {
    fn default() -> Flow {
        Flow {
            base_seq: None,
            win_scale: WinScale::Unknown,
            window: u32::MAX,
            window_bytes: u32::MAX,
            nextseq: 0,
            nextseq_time: 0,
            lastack: 0,
            lastack_time: 0,
            dupacknum: 0,
            maxseqtobeacked: 0,
            lastsegmentflags: Analysis::NONE,
            nextseq_set: false,
            maxseq_set: false,
            lastack_set: false,
        }
    }
}

/// Wireshark's TCP analysis for one connection; see the module docs.
#[derive(Clone, Debug, Default)]
pub struct TcpAnalyzer {
    /// Indexed by `Dir::sender().index()`.
    flows: [Flow; 2],
    /// Time of the most recent SYN without ACK (`ts_mru_syn`).
    mru_syn_us: Option<u64>,
    /// Handshake RTT: most recent SYN to the first pure ACK (`ts_first_rtt`).
    first_rtt_us: Option<u64>,
    /// Track "not yet seen" apart from sequence number 0, instead of
    /// Wireshark's 0 sentinel. Off for captures (agree with tshark, quirk
    /// included); on for the simulator, whose transcript must not depend on
    /// the raw ISNs (a flow whose next sequence number is exactly 0 would
    /// otherwise be analysed as if nothing had been seen).
    modular: bool,
}

/// `GT_SEQ(a, b)`.
fn gt(a: u32, b: u32) -> bool {
    SeqNum(a) > SeqNum(b)
}
/// `LT_SEQ(a, b)`.
fn lt(a: u32, b: u32) -> bool {
    SeqNum(a) < SeqNum(b)
}
/// `LE_SEQ(a, b)`.
fn le(a: u32, b: u32) -> bool {
    SeqNum(a) <= SeqNum(b)
}

/// `now - then`, or "infinitely long ago" when time went backwards.
fn since(now: u64, then: u64) -> u64 {
    now.checked_sub(then).unwrap_or(u64::MAX)
}

impl TcpAnalyzer {
    /// Wireshark's analysis exactly as tshark 4.0 computes it.
    pub fn new() -> TcpAnalyzer {
        TcpAnalyzer::default()
    }

    /// The same rules, but with "nothing seen yet" kept apart from sequence
    /// number 0, so the flags never depend on where the ISNs lie (the
    /// simulator's analysis). Differs from tshark only for flows whose
    /// sequence numbers pass exactly through 0.
    pub fn modular() -> TcpAnalyzer {
        TcpAnalyzer {
            modular: true,
            ..TcpAnalyzer::default()
        }
    }

    fn next_known(&self, flow: &Flow) -> bool {
        if self.modular {
            flow.nextseq_set
        } else {
            flow.nextseq != 0
        }
    }

    fn maxseq_known(&self, flow: &Flow) -> bool {
        if self.modular {
            flow.maxseq_set
        } else {
            flow.maxseqtobeacked != 0
        }
    }

    fn lastack_known(&self, flow: &Flow) -> bool {
        if self.modular {
            flow.lastack_set
        } else {
            flow.lastack != 0
        }
    }

    fn idx(dir: Dir) -> (usize, usize) {
        let f = dir.sender().index();
        (f, 1 - f)
    }

    /// The sequence number Wireshark counts relative sequence numbers of
    /// `dir` from: the ISN when the SYN was seen, else the first seq minus 1.
    #[inline]
    pub fn base_seq(&self, dir: Dir) -> Option<SeqNum> {
        self.flows[Self::idx(dir).0].base_seq
    }

    /// The window scale known for segments travelling in `dir`.
    pub fn win_scale(&self, dir: Dir) -> WinScale {
        self.flows[Self::idx(dir).0].win_scale
    }

    /// The handshake RTT once known (Wireshark's `tcp.analysis.initial_rtt`).
    pub fn initial_rtt_us(&self) -> Option<u64> {
        self.first_rtt_us
    }

    /// Analyzes one segment travelling in `dir`, seen at `t_us`.
    ///
    /// `hdr.ack` must hold the raw acknowledgement field even when ACK is
    /// clear: Wireshark's analysis compares it regardless.
    #[inline]
    pub fn analyze(&mut self, dir: Dir, t_us: u64, hdr: &TcpHeader) -> SegmentAnalysis {
        let (f, r) = Self::idx(dir);
        let flags = hdr.flags;

        // dissect_tcp(): window-scale option of a SYN
        // (pdu_store_window_scale_option, verify_tcp_window_scaling).
        if flags.syn() {
            if let Some(ws) = hdr.options.wscale {
                self.flows[f].win_scale = WinScale::Shift(ws.min(14));
            }
            if self.flows[f].win_scale == WinScale::Unknown {
                self.flows[f].win_scale = WinScale::NotUsed;
                self.flows[r].win_scale = WinScale::NotUsed;
            } else if flags.ack() && self.flows[r].win_scale == WinScale::NotUsed {
                self.flows[f].win_scale = WinScale::NotUsed;
            }
        }
        // dissect_tcp(): "SYNs are never scaled"; an unknown scale uses the
        // tcp.window_scaling preference, whose default is "not known" (no shift).
        let win_bytes = if flags.syn() {
            u32::from(hdr.window)
        } else {
            u32::from(hdr.window) << self.flows[f].win_scale.shift()
        };

        let mut a = Analysis::NONE;
        let dup_ack_num = self.sequence_analysis(f, r, t_us, hdr, &mut a);
        self.flows[f].window_bytes = win_bytes;

        // dissect_tcp(): a SYN without ACK stamps ts_mru_syn; the first pure
        // ACK after it gives the handshake RTT (after the analysis above).
        if flags.syn() && !flags.ack() {
            self.mru_syn_us = Some(t_us);
        }
        // A zero RTT counts as "not known" (nstime_is_zero), as in Wireshark.
        if !flags.syn() && flags.ack() && self.first_rtt_us.is_none() {
            if let Some(syn) = self.mru_syn_us {
                self.first_rtt_us = Some(t_us.saturating_sub(syn)).filter(|&d| d > 0);
            }
        }

        let rel_seq = self.flows[f]
            .base_seq
            .map_or(hdr.seq.raw(), |b| hdr.seq - b);
        let rel_ack = if flags.ack() {
            Some(
                self.flows[r]
                    .base_seq
                    .map_or(hdr.ack.raw(), |b| hdr.ack - b),
            )
        } else {
            None
        };
        SegmentAnalysis {
            flags: a,
            dup_ack_num,
            rel_seq,
            rel_ack,
            win_bytes,
        }
    }

    /// `tcp_analyze_sequence_number()`; returns the duplicate-ACK number.
    fn sequence_analysis(
        &mut self,
        f: usize,
        r: usize,
        t_us: u64,
        hdr: &TcpHeader,
        a: &mut Analysis,
    ) -> u32 {
        let window = u32::from(hdr.window);
        let seq = hdr.seq.raw();
        let ack = hdr.ack.raw();
        let seglen = hdr.payload_len;
        let fl = hdr.flags;
        let syn_fin_rst = fl.syn() || fl.fin() || fl.rst();
        let mut dup_ack_num = 0;

        // Base sequence numbers (relative seq starts at 1 without a SYN: bug 1542).
        if self.flows[f].base_seq.is_none() {
            self.flows[f].base_seq = Some(if fl.syn() { hdr.seq } else { hdr.seq - 1 });
        }
        if self.flows[r].base_seq.is_none() && fl.ack() {
            self.flows[r].base_seq = Some(hdr.ack - 1);
        }

        'finished_fwd: {
            let fwd = self.flows[f];
            let rev = self.flows[r];

            // ZERO WINDOW PROBE: exactly one byte at nextseq into a zero window.
            if seglen == 1 && seq == fwd.nextseq && rev.window == 0 {
                a.insert(AnalysisFlag::ZeroWindowProbe);
                break 'finished_fwd;
            }

            // ZERO WINDOW: window 0 and none of SYN/FIN/RST.
            if window == 0 && !syn_fin_rst {
                a.insert(AnalysisFlag::ZeroWindow);
            }

            // LOST PACKET: beyond the highest nextseq seen (not for RST).
            if self.next_known(&fwd) && gt(seq, fwd.nextseq) && !fl.rst() {
                a.insert(AnalysisFlag::LostSegment);
            }

            // KEEP ALIVE: 0 or 1 byte starting one before nextseq.
            if seglen <= 1
                && seq == fwd.nextseq.wrapping_sub(1)
                && !syn_fin_rst
                && (!self.modular || fwd.nextseq_set)
            {
                a.insert(AnalysisFlag::KeepAlive);
            }

            let same_seq_ack = seq == fwd.nextseq
                && ack == fwd.lastack
                && !syn_fin_rst
                && (!self.modular || (fwd.nextseq_set && fwd.lastack_set));

            // WINDOW UPDATE: no data, same seq/ack, a new non-zero window.
            if seglen == 0 && window != 0 && window != fwd.window && same_seq_ack {
                a.insert(AnalysisFlag::WindowUpdate);
            }

            // WINDOW FULL: data reaching the edge of the peer's advertised
            // (scaled) window, when the peer's scale is known.
            if seglen > 0
                && rev.win_scale != WinScale::Unknown
                && seq.wrapping_add(seglen) == rev.lastack.wrapping_add(rev.window_bytes)
                && !syn_fin_rst
            {
                a.insert(AnalysisFlag::WindowFull);
            }

            // KEEP ALIVE ACK: repeats the last ACK after a keep-alive.
            if seglen == 0
                && window != 0
                && window == fwd.window
                && same_seq_ack
                && rev.lastsegmentflags.contains(AnalysisFlag::KeepAlive)
            {
                a.insert(AnalysisFlag::KeepAliveAck);
                break 'finished_fwd;
            }

            // ZERO WINDOW PROBE ACK: repeats the zero-window ACK after a probe.
            if seglen == 0
                && window == 0
                && window == fwd.window
                && same_seq_ack
                && rev.lastsegmentflags.contains(AnalysisFlag::ZeroWindowProbe)
            {
                a.insert(AnalysisFlag::ZeroWindowProbeAck);
                break 'finished_fwd;
            }

            // DUPLICATE ACK: no data, same window/seq/ack as the flow's last.
            if seglen == 0 && window != 0 && window == fwd.window && same_seq_ack {
                let n = &mut self.flows[f].dupacknum;
                *n = if *n == NEUTRALIZED {
                    1
                } else {
                    n.wrapping_add(1)
                };
                a.insert(AnalysisFlag::DuplicateAck);
                dup_ack_num = *n;
            }
        }

        // finished_fwd: a new ack number resets the dupack counter.
        if ack != self.flows[f].lastack {
            self.flows[f].dupacknum = 0;
        }

        // ACKED LOST PACKET: acks beyond the highest contiguous seq of the peer.
        //
        // The rule of tshark 4.0.17 (inferred from differential runs; the
        // source we could read is newer and tests `maxseqtobeacked >
        // nextseq` as raw numbers, which 4.0.17 does not do):
        // - the peer has sent data past its contiguous edge (a hole:
        //   `LT_SEQ(maxseqtobeacked, nextseq)`): report, and move the edge
        //   up to `nextseq`;
        // - else the peer is stalled: report only while its dup-ACK counter
        //   is 0, then set it to "-1", so the same loss is reported once
        //   until the peer's ack number moves.
        let rev_maxseq_known = self.maxseq_known(&self.flows[r]);
        let rev = &mut self.flows[r];
        if rev_maxseq_known && gt(ack, rev.maxseqtobeacked) && fl.ack() {
            if lt(rev.maxseqtobeacked, rev.nextseq) {
                rev.maxseqtobeacked = rev.nextseq;
                a.insert(AnalysisFlag::AckLostSegment);
            } else {
                if rev.dupacknum == 0 {
                    a.insert(AnalysisFlag::AckLostSegment);
                }
                rev.dupacknum = NEUTRALIZED;
            }
        }

        // RETRANSMISSION / FAST RETRANSMISSION / OUT-OF-ORDER / SPURIOUS.
        if (seglen > 0 || fl.syn() || fl.fin()) && !a.contains(AnalysisFlag::KeepAlive) {
            self.classify_retransmission(f, r, t_us, hdr, a);
        }

        // finished_checking_retransmission_type: advance nextseq, except
        // for zero-window probes.
        let zwp = a.contains(AnalysisFlag::ZeroWindowProbe);
        let next_known = self.next_known(&self.flows[f]);
        let maxseq_known = self.maxseq_known(&self.flows[f]);
        let fwd = &mut self.flows[f];
        // SYN and FIN occupy one sequence number. (The C code adds it only
        // while fewer than TCP_MAX_UNACKED_SEGMENTS = 10000 segments are
        // unacked; that unacked list is not kept here.)
        let nextseq = seq
            .wrapping_add(seglen)
            .wrapping_add(u32::from(fl.syn() || fl.fin()));
        if (gt(nextseq, fwd.nextseq) || !next_known) && !zwp {
            fwd.nextseq = nextseq;
            fwd.nextseq_time = t_us;
            fwd.nextseq_set = true;
        }
        // Highest contiguous seq for "ACKed unseen segment".
        if (seq == fwd.maxseqtobeacked || !maxseq_known) && !zwp {
            fwd.maxseqtobeacked = fwd.nextseq;
            fwd.maxseq_set = fwd.nextseq_set;
        }
        fwd.window = window;
        fwd.lastack = ack;
        // Without the ACK flag the field is not an acknowledgement; Wireshark
        // stores it all the same (and so does `new()`), `modular()` does not
        // count it as one.
        fwd.lastack_set |= fl.ack();
        fwd.lastack_time = t_us;
        fwd.lastsegmentflags = *a;
        dup_ack_num
    }

    /// The retransmission block of `tcp_analyze_sequence_number()`, with
    /// `tcp_fastrt_precedence` at its default (fast retransmission first).
    fn classify_retransmission(
        &self,
        f: usize,
        r: usize,
        t_us: u64,
        hdr: &TcpHeader,
        a: &mut Analysis,
    ) {
        let fwd = &self.flows[f];
        let rev = &self.flows[r];
        let seq = hdr.seq.raw();
        let seglen = hdr.payload_len;
        let mut seq_not_advanced = self.next_known(fwd) && lt(seq, fwd.nextseq);

        // Not a retransmission: more than one byte starting one before
        // nextseq (the previous segment was possibly a zero-window probe).
        if seglen > 1 && fwd.nextseq.wrapping_sub(1) == seq {
            seq_not_advanced = false;
        }

        // SPURIOUS: all its data was already acknowledged.
        if seglen > 0 && self.lastack_known(rev) && le(seq.wrapping_add(seglen), rev.lastack) {
            a.insert(AnalysisFlag::SpuriousRetransmission);
            a.insert(AnalysisFlag::Retransmission);
            return;
        }

        // FAST RETRANSMISSION: >= 2 dup ACKs for this seq, within 20 ms of the last.
        if seq_not_advanced
            && rev.dupacknum >= 2
            && rev.lastack == seq
            && since(t_us, rev.lastack_time) < FAST_RETRANSMISSION_WINDOW_US
        {
            a.insert(AnalysisFlag::FastRetransmission);
            a.insert(AnalysisFlag::Retransmission);
            return;
        }

        // OUT-OF-ORDER: soon after the highest segment (within the handshake
        // RTT, else 3 ms) and not ending exactly at nextseq.
        let ooo_thres = self.first_rtt_us.unwrap_or(DEFAULT_OOO_THRESHOLD_US);
        let syn_fin = u32::from(hdr.flags.syn() || hdr.flags.fin());
        if seq_not_advanced
            && since(t_us, fwd.nextseq_time) < ooo_thres
            && fwd.nextseq != seq.wrapping_add(seglen).wrapping_add(syn_fin)
        {
            a.insert(AnalysisFlag::OutOfOrder);
            return;
        }

        if seq_not_advanced {
            a.insert(AnalysisFlag::Retransmission);
        }
    }
}
