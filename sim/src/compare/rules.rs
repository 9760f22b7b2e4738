//! The catalogue of known differences between the simulator and the real
//! kernel (docs/differences.md). Each rule has a stable name, the fields it
//! explains, what it matches, one sentence of why, and its source. A pair is
//! explained only when a rule matches it and every field that differs is one
//! the rule explains.

use super::{Context, Field};
use crate::calls::CallResult;
use crate::transcript::OwnedKind;

/// A pair as a rule sees it.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    pub sim: Option<&'a OwnedKind>,
    pub real: Option<&'a OwnedKind>,
    /// The fields that differ (`Presence` when one side is missing).
    pub differs: &'a [Field],
    pub ctx: &'a Context,
}

impl View<'_> {
    /// The one event of a pair that has a single side.
    fn alone(&self) -> Option<&OwnedKind> {
        match (self.sim, self.real) {
            (Some(e), None) | (None, Some(e)) => Some(e),
            _ => None,
        }
    }

    /// Both sides, when the pair has both.
    fn both(&self) -> Option<(&OwnedKind, &OwnedKind)> {
        self.sim.zip(self.real)
    }
}

/// One known difference.
#[derive(Debug)]
pub struct Rule {
    /// Stable name, as in JSON `rule` and docs/differences.md.
    pub name: &'static str,
    /// The fields it may explain.
    pub explains: &'static [Field],
    /// What it matches, in words.
    pub matches: &'static str,
    /// One sentence of why.
    pub why: &'static str,
    /// Where the behaviour comes from: an RFC section, a Linux sysctl or function.
    pub source: &'static str,
    test: fn(&View<'_>) -> bool,
}

impl PartialEq for Rule {
    fn eq(&self, other: &Rule) -> bool {
        self.name == other.name
    }
}

impl Eq for Rule {}

impl Rule {
    /// Whether this rule matches the pair and explains every field that differs.
    pub fn explains_pair(&self, v: &View<'_>) -> bool {
        v.differs.iter().all(|f| self.explains.contains(f)) && (self.test)(v)
    }
}

/// The rule named `name`.
pub fn rule(name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.name == name)
}

fn is_segment(e: &OwnedKind, f: impl Fn(&crate::transcript::SegmentEvent<'_>) -> bool) -> bool {
    matches!(e, OwnedKind::Segment { seg, .. } if f(seg))
}

/// An ACK alone: no payload, no SYN, FIN or RST.
fn bare_ack(e: &OwnedKind) -> bool {
    is_segment(e, |s| {
        let f = s.hdr.flags;
        f.ack() && !f.syn() && !f.fin() && !f.rst() && s.hdr.payload_len == 0
    })
}

/// A segment with data that is a retransmission or that the link dropped.
fn lost_or_resent(e: &OwnedKind) -> bool {
    use crate::transcript::{AnalysisFlag as A, Fate};
    is_segment(e, |s| {
        s.hdr.payload_len > 0
            && (s.fate == Fate::Dropped
                || [
                    A::Retransmission,
                    A::FastRetransmission,
                    A::SpuriousRetransmission,
                ]
                .iter()
                .any(|&f| s.analysis.contains(f)))
    })
}

/// Two segments with data whose flags differ in PSH only.
fn push_only(a: &OwnedKind, b: &OwnedKind) -> bool {
    match (a, b) {
        (OwnedKind::Segment { seg: x, .. }, OwnedKind::Segment { seg: y, .. }) => {
            let (f, g) = (x.hdr.flags, y.hdr.flags);
            x.hdr.payload_len > 0 && !f.syn() && (f.0 ^ g.0) & !crate::segment::Flags::PSH.0 == 0
        }
        _ => false,
    }
}

fn state(e: &OwnedKind) -> Option<(crate::State, crate::State)> {
    match e {
        OwnedKind::State { from, to, .. } => Some((*from, *to)),
        _ => None,
    }
}

/// The catalogue, in the order rules are tried.
pub static RULES: [Rule; 16] = [
    Rule {
        name: "timer-unseen",
        explains: &[Field::Presence],
        matches: "a timer event of the simulation with nothing on the real side",
        why: "the kernel's timers cannot be watched from outside; the segments they send are compared instead",
        source: "Linux: no tracepoint reports a timer firing (tcp:tcp_retransmit_skb shows the retransmission itself)",
        test: |v| matches!((v.sim, v.real), (Some(OwnedKind::Timer { .. }), None)),
    },
    Rule {
        name: "initial-window",
        explains: &[Field::Win],
        matches: "a SYN or SYN,ACK pair that differs in its window only",
        why: "Linux offers a first window of whole MSS from tcp_rmem (64240 for a SYN with MSS 1460, 65160 for the SYN,ACK with timestamps); the rfc profile offers its whole buffer (65535)",
        source: "Linux tcp_select_initial_window(), sysctl net.ipv4.tcp_rmem",
        test: |v| v.both().is_some_and(|(a, _)| is_segment(a, |s| s.hdr.flags.syn())),
    },
    Rule {
        name: "receive-window",
        explains: &[Field::Win],
        matches: "a segment pair (no SYN) that differs in its window only",
        why: "Linux offers a share of its free buffer memory, starting at the SYN's window and growing by two segments per segment received (rcv_ssthresh), rounded up to the window scale's unit and never below what is left of the last offer; the rfc profile offers its fixed buffer. The linux profile computes the kernel's window (endpoint/rcv_linux.rs), but the kernel also grows its buffer once per round trip by what the application read, timed by its own clock, and charges each queued buffer by how the sender cut its segments, so a window can still differ by a unit or more",
        source: "Linux tcp_select_window(), __tcp_select_window(), tcp_grow_window(), tcp_rcv_space_adjust(); sysctls net.ipv4.tcp_rmem and tcp_moderate_rcvbuf",
        test: |v| v.both().is_some_and(|(a, _)| is_segment(a, |s| !s.hdr.flags.syn())),
    },
    Rule {
        name: "push-flag",
        explains: &[Field::Flags, Field::Win],
        matches: "a pair of segments with data (no SYN) whose flags differ in PSH only (and their windows, as under receive-window)",
        why: "Linux sets PSH on the last segment of each super-packet it builds from a write (tcp_tso_autosize(): at least 2 segments, more as the pacing rate grows) and whenever a write waits for buffer space, so which segments carry it depends on timing; the simulator sets PSH on the last segment of each send",
        source: "RFC 9293 3.9.1 (PUSH is the sender's choice); Linux tcp_sendmsg_locked(), tcp_mark_push(), tcp_tso_autosize(), tcp_gso_segment()",
        test: |v| v.both().is_some_and(|(a, b)| push_only(a, b)),
    },
    Rule {
        name: "delayed-ack",
        explains: &[Field::Presence, Field::RelAck, Field::Win],
        matches: "an ACK alone (no data, SYN, FIN or RST) on one side only, or two such ACKs that acknowledge up to different bytes",
        why: "when to acknowledge is the receiver's choice: Linux ACKs at once in quick-ack mode and otherwise delays up to 40 ms or covers two segments with one ACK, while the rfc profile ACKs every segment",
        source: "RFC 9293 3.8.6.3, RFC 1122 4.2.3.2; Linux tcp_ack_snd_check(), TCP_DELACK_MIN",
        test: |v| match v.both() {
            Some((a, b)) => bare_ack(a) && bare_ack(b),
            None => v.alone().is_some_and(bare_ack),
        },
    },
    Rule {
        name: "active-reset-ack",
        explains: &[Field::Flags, Field::RelAck, Field::Win],
        matches: "a RST pair where the real one also carries ACK",
        why: "ABORT sends <SEQ=SND.NXT><CTL=RST> in RFC 9293; Linux's active reset (abort, close with unread data) sets ACK as well, with the receive window",
        source: "RFC 9293 3.10.5; Linux tcp_send_active_reset()",
        test: |v| {
            v.both().is_some_and(|(a, b)| {
                is_segment(a, |s| s.hdr.flags.rst() && !s.hdr.flags.ack())
                    && is_segment(b, |s| s.hdr.flags.rst() && s.hdr.flags.ack())
            })
        },
    },
    Rule {
        name: "reset-answer",
        explains: &[Field::Presence],
        matches: "a RST without ACK on one side only",
        why: "a port with no connection answers whatever reaches it with RST; after an abort, whether the peer's last segment reaches the port before or after the close is timing",
        source: "RFC 9293 3.10.7.1; Linux tcp_v4_send_reset()",
        test: |v| v.alone().is_some_and(|e| is_segment(e, |s| s.hdr.flags.rst() && !s.hdr.flags.ack())),
    },
    Rule {
        name: "time-wait-socket",
        explains: &[Field::From, Field::Presence],
        matches: "the real endpoint going from FIN-WAIT-2 or CLOSING to CLOSED, then from CLOSED to TIME-WAIT (at times by way of FIN-WAIT-2), where the simulated one goes straight to TIME-WAIT",
        why: "Linux hands a connection that enters TIME-WAIT to a small TIME-WAIT socket and closes the full one, so its state goes to CLOSED and the TIME-WAIT is the new socket's (which first reports FIN-WAIT-2 when it took over one)",
        source: "Linux tcp_time_wait() and inet_twsk_alloc(); RFC 9293 3.3.2 has one TCB throughout",
        test: |v| {
            use crate::State::{Closed, Closing, FinWait2, TimeWait};
            matches!(
                (v.sim.and_then(state), v.real.and_then(state)),
                (Some((_, TimeWait)), Some((Closed | FinWait2, TimeWait)))
                    | (None, Some((FinWait2 | Closing, Closed)))
                    | (None, Some((Closed, FinWait2)))
            )
        },
    },
    Rule {
        name: "retransmit-moment",
        explains: &[Field::Order, Field::Flags, Field::Win],
        matches: "the same segment with data sent at a different point among the others (its flags differing in PSH only, its window as under receive-window)",
        why: "Linux marks a segment lost by RACK (RFC 8985: a later segment is SACKed and a reorder window of min_rtt/4 has passed) and retransmits it between new segments as the ACKs and its timer allow; the simulator retransmits at the third duplicate ACK (RFC 5681 3.2), so where the retransmission falls among new data is timing",
        source: "RFC 8985 6.2, RFC 5681 3.2; Linux tcp_rack_detect_loss(), sysctl net.ipv4.tcp_recovery",
        test: |v| {
            v.differs.contains(&Field::Order)
                && v.both().is_some_and(|(a, b)| push_only(a, b))
        },
    },
    Rule {
        name: "duplicate-copy",
        explains: &[Field::Presence],
        matches: "a segment of the real run only whose fate is duplicated",
        why: "the simulator shows a segment the link delivered twice once, with the fate duplicated; the capture on the real link sees the copy as a frame of its own",
        source: "synack's duplicate rule (docs/scenario-language.md); the real side's queue re-injects the copy (NFQUEUE)",
        test: |v| {
            v.sim.is_none()
                && v.real.is_some_and(|e| {
                    is_segment(e, |s| s.fate == crate::transcript::Fate::Duplicated)
                })
        },
    },
    Rule {
        name: "loss-draw",
        explains: &[Field::Presence],
        matches: "in a scenario with random loss, a segment with data that was dropped or retransmitted, on one side only",
        why: "a loss rule draws for each segment of a direction in turn, and the two runs do not send the same segments (their ACKs differ in timing), so the draws fall on different segments and each run loses and resends its own",
        source: "synack's loss rule (docs/scenario-language.md); RFC 5681 3.2 and RFC 8985 for the recovery",
        test: |v| v.ctx.random_loss && v.alone().is_some_and(lost_or_resent),
    },
    Rule {
        name: "resegmented",
        explains: &[Field::Presence, Field::Flags, Field::RelSeq, Field::Len, Field::Win],
        matches: "in a scenario with random loss, a segment with data (no SYN or RST) on one side only, or two that differ in where they start, their length, PSH or window",
        why: "after a loss Linux cuts its data at other places than the simulator (it splits a queued super-packet to fit the congestion window or a partial ACK, tcp_fragment()), so the same bytes go in segments of other boundaries from there on; which segments a draw drops differs too",
        source: "Linux tcp_write_xmit(), tcp_mss_split_point(), tcp_fragment(); synack's loss rule (docs/scenario-language.md)",
        test: |v| {
            let data = |e: &OwnedKind| {
                is_segment(e, |s| {
                    let f = s.hdr.flags;
                    s.hdr.payload_len > 0 && !f.syn() && !f.rst()
                })
            };
            v.ctx.random_loss
                && match v.both() {
                    Some((a, b)) => data(a) && data(b) && (!v.differs.contains(&Field::Flags) || push_only(a, b)),
                    None => v.alone().is_some_and(data),
                }
        },
    },
    Rule {
        name: "receive-buffer",
        explains: &[Field::Presence, Field::Flags, Field::RelSeq, Field::RelAck, Field::Len, Field::Win],
        matches: "under the linux profile, in a run where a real receiver's window closed: a segment (no SYN) on one side only, or two with the same flags but PSH that differ in where they start, what they acknowledge, their length, PSH or window",
        why: "once a receiver's window has closed, where it reopens and how far depends on when the application's reads fall between arrivals and on the sender's pacing (Linux spreads a flight over the round trip; the simulator sends it at once), and how much the receive queue is charged depends on how the segments were cut and coalesced; the linux profile models the kernel's accounting (endpoint/rcv_linux.rs) as measured for full-size loopback segments, so from the first window that differs the data in flight, the zero-window probes, the window updates and the sequence numbers of every later segment (a FIN, the RST of an abort) can differ",
        source: "Linux tcp_select_window(), __tcp_select_window(), tcp_grow_window(), tcp_rcv_space_adjust(), tcp_try_coalesce(), tcp_update_pacing_rate(); sysctls net.ipv4.tcp_rmem and tcp_moderate_rcvbuf",
        test: |v| {
            let plain = |e: &OwnedKind| is_segment(e, |s| !s.hdr.flags.syn());
            let same_flags = |a: &OwnedKind, b: &OwnedKind| match (a, b) {
                (OwnedKind::Segment { seg: x, .. }, OwnedKind::Segment { seg: y, .. }) => {
                    (x.hdr.flags.0 ^ y.hdr.flags.0) & !crate::segment::Flags::PSH.0 == 0
                }
                _ => false,
            };
            // The linux profile's: the rfc profile's differences are the
            // lesson (its segment sizes differ from the start).
            v.ctx.profile == crate::profile::ProfileName::Linux
                && v.ctx.real_window_closed
                && match v.both() {
                    Some((a, b)) => plain(a) && plain(b) && same_flags(a, b),
                    None => v.alone().is_some_and(plain),
                }
        },
    },
    Rule {
        name: "synack-race",
        explains: &[Field::Presence],
        matches: "a retransmitted SYN,ACK on one side only",
        why: "when the first SYN,ACK is lost, the client's SYN retransmission and the server's SYN,ACK timer are both due about 1 s after the first SYN; Linux answers a retransmitted SYN with the SYN,ACK and pushes its own timer out, so the timer sends a second SYN,ACK only when it fires before the SYN arrives, which on the real host is a matter of microseconds",
        source: "Linux tcp_check_req() (inet_rtx_syn_ack(), mod_timer_pending()), reqsk_timer_handler(); sim/src/profile.rs resend_synack_on_dup_syn",
        test: |v| {
            use crate::transcript::AnalysisFlag as A;
            v.alone().is_some_and(|e| {
                is_segment(e, |s| {
                    let f = s.hdr.flags;
                    f.syn() && f.ack() && !f.rst() && s.analysis.contains(A::Retransmission)
                })
            })
        },
    },
    Rule {
        name: "forged-conversation",
        explains: &[Field::RelSeq, Field::RelAck, Field::Win],
        matches: "in a scenario that forges a SYN: two segments with the same flags that differ only in their relative numbers or window",
        why: "a SYN forged on a known flow starts a new conversation for Wireshark's analysis (reused ports), so the old connection's later segments are numbered from the new conversation's base, or left absolute where it has none, and their windows are shown unscaled; the kernel picks its own ISNs, so these numbers cannot match the simulation's",
        source: "Wireshark tcp.analysis.reused_ports; docs/real.md (Forged segments)",
        test: |v| {
            let flags = |e: &OwnedKind| match e {
                OwnedKind::Segment { seg, .. } => Some(seg.hdr.flags),
                _ => None,
            };
            v.ctx.forged_syn
                && v.both().is_some_and(|(a, b)| flags(a).is_some() && flags(a) == flags(b))
        },
    },
    Rule {
        name: "blocked-timing",
        explains: &[Field::Presence],
        matches: "a call reported as blocked on one side only",
        why: "whether a call must wait depends on timing: on the real host an answer may already be there, or not yet, by a few microseconds",
        source: "scheduling on the real host; the simulator's calls run at exact instants",
        test: |v| {
            matches!(
                v.alone(),
                Some(OwnedKind::App {
                    result: CallResult::Blocked(_),
                    ..
                })
            )
        },
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::{Blocked, Call, RecvMax};
    use crate::compare::differing_fields;
    use crate::profile::ProfileName;
    use crate::segment::{Flags, TcpHeader};
    use crate::transcript::Analysis;
    use crate::transcript::{Dir, Fate, SegmentEvent, Side, TimerKind};

    fn seg(flags: Flags, len: u32, win: u32) -> OwnedKind {
        OwnedKind::Segment {
            seg: SegmentEvent {
                id: 1,
                dir: Dir::ClientToServer,
                hdr: TcpHeader {
                    flags,
                    payload_len: len,
                    ..TcpHeader::default()
                },
                rel_seq: 1,
                rel_ack: Some(1),
                win_bytes: win,
                fate: Fate::Delivered,
                analysis: Analysis::NONE,
                frame: None,
                arrives_us: None,
                payload: &[],
            },
            payload: Vec::new(),
        }
    }

    /// The rule that explains the pair, if any.
    fn explain(sim: Option<&OwnedKind>, real: Option<&OwnedKind>) -> Option<&'static str> {
        explain_in(false, sim, real)
    }

    /// The rule that explains the pair under `ctx`, if any.
    fn explain_ctx(
        ctx: &Context,
        sim: Option<&OwnedKind>,
        real: Option<&OwnedKind>,
    ) -> Option<&'static str> {
        let differs = match (sim, real) {
            (Some(a), Some(b)) => differing_fields(a, b),
            _ => vec![Field::Presence],
        };
        let v = View {
            sim,
            real,
            differs: &differs,
            ctx,
        };
        RULES.iter().find(|r| r.explains_pair(&v)).map(|r| r.name)
    }

    /// The same, in a scenario with random loss or without.
    fn explain_in(
        random_loss: bool,
        sim: Option<&OwnedKind>,
        real: Option<&OwnedKind>,
    ) -> Option<&'static str> {
        let ctx = Context {
            profile: ProfileName::Linux,
            random_loss,
            real_window_closed: false,
            forged_syn: false,
        };
        explain_ctx(&ctx, sim, real)
    }

    #[test]
    fn timer_unseen_matches_a_sim_timer_alone_only() {
        let t = OwnedKind::Timer {
            endpoint: Side::Client,
            timer: TimerKind::Retransmit,
            after_us: 1,
            rto_us: Some(1),
        };
        assert_eq!(explain(Some(&t), None), Some("timer-unseen"));
        assert_eq!(explain(None, Some(&t)), None);
    }

    #[test]
    fn initial_window_matches_syn_window_only() {
        let (a, b) = (seg(Flags::SYN, 0, 65535), seg(Flags::SYN, 0, 64240));
        assert_eq!(explain(Some(&a), Some(&b)), Some("initial-window"));
        // A SYN that differs in more than its window is not explained.
        let c = seg(Flags::SYN, 3, 64240);
        assert_eq!(explain(Some(&a), Some(&c)), None);
    }

    #[test]
    fn receive_window_matches_later_segments_window_only() {
        let (a, b) = (seg(Flags::ACK, 0, 65535), seg(Flags::ACK, 0, 131072));
        assert_eq!(explain(Some(&a), Some(&b)), Some("receive-window"));
        let c = seg(Flags::ACK | Flags::PSH, 5, 131072);
        assert_eq!(explain(Some(&a), Some(&c)), None);
    }

    #[test]
    fn delayed_ack_matches_a_bare_ack_alone_only() {
        let ack = seg(Flags::ACK, 0, 100);
        assert_eq!(explain(Some(&ack), None), Some("delayed-ack"));
        assert_eq!(explain(None, Some(&ack)), Some("delayed-ack"));
        let data = seg(Flags::ACK | Flags::PSH, 5, 100);
        assert_eq!(explain(None, Some(&data)), None);
        let fin = seg(Flags::ACK | Flags::FIN, 0, 100);
        assert_eq!(explain(Some(&fin), None), None);
    }

    #[test]
    fn delayed_ack_matches_two_acks_of_different_bytes() {
        let mut a = seg(Flags::ACK, 0, 100);
        let b = seg(Flags::ACK, 0, 200);
        if let OwnedKind::Segment { seg, .. } = &mut a {
            seg.rel_ack = Some(7);
        }
        assert_eq!(explain(Some(&a), Some(&b)), Some("delayed-ack"));
        let data = seg(Flags::ACK | Flags::PSH, 3, 200);
        assert_eq!(explain(Some(&a), Some(&data)), None);
    }

    #[test]
    fn active_reset_ack_matches_rst_against_rst_ack_only() {
        let (rst, rst_ack) = (
            seg(Flags::RST, 0, 0),
            seg(Flags::RST | Flags::ACK, 0, 64512),
        );
        assert_eq!(
            explain(Some(&rst), Some(&rst_ack)),
            Some("active-reset-ack")
        );
        assert_eq!(explain(Some(&rst_ack), Some(&rst)), None);
        let fin = seg(Flags::FIN | Flags::ACK, 0, 64512);
        assert_eq!(explain(Some(&rst), Some(&fin)), None);
    }

    #[test]
    fn reset_answer_matches_a_lone_rst_without_ack_only() {
        assert_eq!(
            explain(Some(&seg(Flags::RST, 0, 0)), None),
            Some("reset-answer")
        );
        assert_eq!(
            explain(None, Some(&seg(Flags::RST | Flags::ACK, 0, 0))),
            None
        );
    }

    #[test]
    fn blocked_timing_matches_a_blocked_report_alone_only() {
        let blocked = OwnedKind::App {
            endpoint: Side::Server,
            call: Call::Recv(RecvMax::Any),
            result: CallResult::Blocked(Blocked::Data),
        };
        assert_eq!(explain(None, Some(&blocked)), Some("blocked-timing"));
        let done = OwnedKind::App {
            endpoint: Side::Server,
            call: Call::Recv(RecvMax::Any),
            result: CallResult::EndOfStream,
        };
        assert_eq!(explain(None, Some(&done)), None);
    }

    #[test]
    fn time_wait_socket_matches_linux_handover_only() {
        use crate::transcript::StateSource;
        use crate::State::*;
        let st = |from, to| OwnedKind::State {
            endpoint: Side::Client,
            from,
            to,
            source: StateSource::Kernel,
        };
        let (sim, real) = (st(FinWait2, TimeWait), st(Closed, TimeWait));
        assert_eq!(explain(Some(&sim), Some(&real)), Some("time-wait-socket"));
        assert_eq!(
            explain(None, Some(&st(FinWait2, Closed))),
            Some("time-wait-socket")
        );
        // An endpoint reset to CLOSED is no handover.
        assert_eq!(explain(None, Some(&st(Established, Closed))), None);
        assert_eq!(
            explain(Some(&st(FinWait2, TimeWait)), Some(&st(FinWait1, TimeWait))),
            None
        );
    }

    #[test]
    fn push_flag_matches_data_differing_in_psh_only() {
        let (a, b) = (
            seg(Flags::ACK, 1448, 131072),
            seg(Flags::ACK | Flags::PSH, 1448, 64512),
        );
        assert_eq!(explain(Some(&a), Some(&b)), Some("push-flag"));
        // Without data, or differing in more than PSH: not this rule.
        let (c, d) = (
            seg(Flags::ACK, 0, 100),
            seg(Flags::ACK | Flags::PSH, 0, 100),
        );
        assert_eq!(explain(Some(&c), Some(&d)), None);
        let fin = seg(Flags::ACK | Flags::PSH | Flags::FIN, 1448, 64512);
        assert_eq!(explain(Some(&a), Some(&fin)), None);
    }

    #[test]
    fn receive_buffer_only_where_a_real_window_closed() {
        let data = seg(Flags::ACK, 1448, 131072);
        let judged = |closed: bool, sim: Option<&OwnedKind>, real: Option<&OwnedKind>| {
            let ctx = Context {
                profile: ProfileName::Linux,
                random_loss: false,
                real_window_closed: closed,
                forged_syn: false,
            };
            explain_ctx(&ctx, sim, real)
        };
        // Data the simulation sent into its bigger window.
        assert_eq!(judged(true, Some(&data), None), Some("receive-buffer"));
        assert_eq!(judged(false, Some(&data), None), None);
        // Never a SYN, nor a pair whose flags differ beyond PSH.
        let syn = seg(Flags::SYN | Flags::ACK, 0, 131072);
        assert_eq!(judged(true, Some(&syn), None), None);
        let rst = seg(Flags::RST | Flags::ACK, 0, 131072);
        assert_eq!(judged(true, Some(&data), Some(&rst)), None);
    }

    #[test]
    fn forged_conversation_only_with_a_forged_syn_and_the_same_flags() {
        let a = seg(Flags::RST | Flags::ACK, 0, 131072);
        // The real one's ack has no base in the new conversation.
        let with_ack = |flags: Flags| {
            let mut k = seg(flags, 0, 63);
            if let OwnedKind::Segment { seg, .. } = &mut k {
                seg.rel_ack = Some(2_981_476_901);
            }
            k
        };
        let b = with_ack(Flags::RST | Flags::ACK);
        let judged = |forged: bool, b: &OwnedKind| {
            let ctx = Context {
                profile: ProfileName::Linux,
                random_loss: false,
                real_window_closed: false,
                forged_syn: forged,
            };
            explain_ctx(&ctx, Some(&a), Some(b))
        };
        assert_eq!(judged(true, &b), Some("forged-conversation"));
        assert_eq!(judged(false, &b), None);
        // Other flags are a real difference.
        assert_eq!(judged(true, &with_ack(Flags::RST)), None);
    }

    #[test]
    fn synack_race_is_a_retransmitted_synack_alone() {
        let resent = |flags: Flags| {
            let mut k = seg(flags, 0, 65160);
            if let OwnedKind::Segment { seg, .. } = &mut k {
                seg.analysis = Analysis::NONE.with(crate::transcript::AnalysisFlag::Retransmission);
            }
            k
        };
        assert_eq!(
            explain(None, Some(&resent(Flags::SYN | Flags::ACK))),
            Some("synack-race")
        );
        // A first SYN,ACK, or a retransmitted SYN, is no such race.
        assert_eq!(
            explain(None, Some(&seg(Flags::SYN | Flags::ACK, 0, 65160))),
            None
        );
        assert_eq!(explain(None, Some(&resent(Flags::SYN))), None);
    }

    #[test]
    fn retransmit_moment_needs_a_moved_pair() {
        let (a, b) = (
            seg(Flags::ACK, 1448, 131072),
            seg(Flags::ACK | Flags::PSH, 1448, 64512),
        );
        let ctx = Context {
            profile: ProfileName::Linux,
            random_loss: true,
            real_window_closed: false,
            forged_syn: false,
        };
        let judged = |differs: &[Field]| {
            let v = View {
                sim: Some(&a),
                real: Some(&b),
                differs,
                ctx: &ctx,
            };
            RULES.iter().find(|r| r.explains_pair(&v)).map(|r| r.name)
        };
        assert_eq!(
            judged(&[Field::Flags, Field::Win, Field::Order]),
            Some("retransmit-moment")
        );
        assert_eq!(judged(&[Field::Order]), Some("retransmit-moment"));
        // A bare ACK at another place is not a moved retransmission.
        let (c, d) = (seg(Flags::ACK, 0, 1), seg(Flags::ACK, 0, 1));
        let v = View {
            sim: Some(&c),
            real: Some(&d),
            differs: &[Field::Order],
            ctx: &ctx,
        };
        assert!(RULES.iter().all(|r| !r.explains_pair(&v)));
    }

    #[test]
    fn duplicate_copy_and_loss_draw_match_their_segments_only() {
        use crate::transcript::{AnalysisFlag, Fate};
        let mut copy = seg(Flags::ACK, 7, 100);
        let mut resent = seg(Flags::ACK, 1448, 100);
        if let OwnedKind::Segment { seg, .. } = &mut copy {
            seg.fate = Fate::Duplicated;
        }
        if let OwnedKind::Segment { seg, .. } = &mut resent {
            seg.analysis.insert(AnalysisFlag::Retransmission);
        }
        assert_eq!(explain(None, Some(&copy)), Some("duplicate-copy"));
        assert_eq!(explain(Some(&copy), None), None);
        assert_eq!(explain_in(true, Some(&resent), None), Some("loss-draw"));
        assert_eq!(explain_in(true, None, Some(&resent)), Some("loss-draw"));
        // Without random loss, a retransmission alone is unexplained.
        assert_eq!(explain(Some(&resent), None), None);
        // A first transmission alone is no loss draw, but with random loss
        // its boundaries may have moved.
        let first = seg(Flags::ACK, 1448, 100);
        assert_eq!(explain_in(true, None, Some(&first)), Some("resegmented"));
        assert_eq!(explain(None, Some(&first)), None);
        let (a, b) = (
            seg(Flags::ACK, 1448, 100),
            seg(Flags::ACK | Flags::PSH, 1256, 64512),
        );
        assert_eq!(explain_in(true, Some(&a), Some(&b)), Some("resegmented"));
        assert_eq!(explain(Some(&a), Some(&b)), None);
        let rst = seg(Flags::RST, 0, 0);
        assert_eq!(explain_in(true, Some(&a), Some(&rst)), None);
    }

    #[test]
    fn rule_names_are_unique_and_kebab_case() {
        for (i, r) in RULES.iter().enumerate() {
            assert!(
                r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                r.name
            );
            assert!(RULES[..i].iter().all(|o| o.name != r.name), "{}", r.name);
            assert!(!r.explains.is_empty() && !r.why.is_empty() && !r.source.is_empty());
        }
    }
}
