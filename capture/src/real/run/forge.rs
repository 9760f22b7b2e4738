//! `inject` on the real kernel: a forged segment sent with a raw socket
//! inside the run's namespace, as if the other side had sent it, without
//! changing that side (docs/scenario-language.md, "inject"; docs/real.md,
//! "Forged segments").
//!
//! The simulator takes the defaults (seq = the pretended sender's SND.NXT,
//! ack = its RCV.NXT, win = its window) from the endpoint itself. The kernel
//! does not expose SND.NXT or RCV.NXT, so here they come from the wire, as
//! the link saw it ([`WireView`]): SND.NXT is the end of the furthest
//! segment the sender sent, RCV.NXT the end of what was delivered to it in
//! order or the furthest ACK it sent, the window the last it advertised,
//! scaled by its shift once both sides offered one (RFC 7323 2.3). The
//! packet is marked [`super::super::SKIP_MARK`], so the link's rule lets it
//! through at once: no link delay, no fault rule, as in the simulator.

use super::super::packet::fix_tcp_checksum;
use super::super::rawsock::RawSender;
use super::super::AddrPair;
use crate::export::build_packet;
use crate::link::LinkType;
use std::net::IpAddr;
use synack_sim::link::Verdict;
use synack_sim::scenario::{Inject, ScenarioError};
use synack_sim::{SeqNum, Side, State, TcpHeader, TcpOptions};

/// What the wire showed of one side, as the sender of its packets.
#[derive(Clone, Copy, Debug, Default)]
struct SideView {
    /// It sent at least one packet.
    sent_any: bool,
    /// Its initial sequence number (its SYN's seq).
    isn: Option<SeqNum>,
    /// The end of the furthest segment it sent (SYN and FIN count one).
    snd_nxt: Option<SeqNum>,
    /// What it has received in order, or acknowledged, whichever is further.
    rcv_nxt: Option<SeqNum>,
    /// The window shift its SYN offered (RFC 7323 2.2).
    wscale: Option<u8>,
    /// The raw window field of its last packet, and whether that was a SYN
    /// (never scaled, RFC 7323 2.2).
    window: Option<(u16, bool)>,
    /// (source, destination) ports of its last packet.
    ports: Option<(u16, u16)>,
}

/// The numbers each side's packets showed on the link.
#[derive(Clone, Debug, Default)]
pub(super) struct WireView {
    sides: [SideView; 2],
}

impl WireView {
    /// A packet `sender` sent reached the link (`Decided`).
    pub(super) fn sent(&mut self, sender: Side, hdr: &TcpHeader) {
        let s = &mut self.sides[sender.index()];
        s.sent_any = true;
        s.ports = Some((hdr.src_port, hdr.dst_port));
        s.window = Some((hdr.window, hdr.flags.syn()));
        if hdr.flags.syn() {
            s.isn = Some(hdr.seq);
            s.wscale = hdr.options.wscale;
        }
        let end = hdr.seq + hdr.seg_len();
        s.snd_nxt = Some(s.snd_nxt.map_or(end, |n| n.max(end)));
        if hdr.flags.ack() {
            s.rcv_nxt = Some(s.rcv_nxt.map_or(hdr.ack, |n| n.max(hdr.ack)));
        }
    }

    /// The link applied a packet's verdict: delivered unless dropped.
    pub(super) fn applied(&mut self, sender: Side, hdr: &TcpHeader, verdict: Verdict) {
        if verdict == Verdict::Drop || hdr.flags.rst() {
            return;
        }
        let r = &mut self.sides[sender.peer().index()];
        let end = hdr.seq + hdr.seg_len();
        r.rcv_nxt = match r.rcv_nxt {
            // RFC 9293 3.10.7.3: a SYN sets RCV.NXT to its seq + 1.
            _ if hdr.flags.syn() => Some(end),
            // In order: it starts at or before RCV.NXT and ends beyond.
            Some(n) if hdr.seq <= n && end > n => Some(end),
            other => other,
        };
    }

    /// The shift `side` applies to the windows it sends: its own offer,
    /// once both sides offered one (RFC 7323 2.2).
    fn shift(&self, side: Side) -> u8 {
        match (
            self.sides[side.index()].wscale,
            self.sides[side.peer().index()].wscale,
        ) {
            (Some(s), Some(_)) => s.min(14),
            _ => 0,
        }
    }
}

/// A forged packet, ready to send: its IPv4 bytes.
pub(super) struct Forged {
    pub ip: Vec<u8>,
}

/// The IP id of forged packets: not 0, which the kernel would replace
/// (raw(7), IP_HDRINCL), so that the captured frame has the bytes sent.
const FORGED_IP_ID: u16 = 0x5a5a;

/// Builds the segment of `inject` (scenario `line` of `source`) from what
/// the wire showed. `sender_state` is the kernel's state of the pretended
/// sender; `ports` the scenario's (client, server) ports.
pub(super) fn forge(
    view: &WireView,
    i: &Inject,
    (source, line): (&str, u32),
    sender_state: State,
    pair: AddrPair,
    ports: [u16; 2],
) -> Result<Forged, ScenarioError> {
    let from = i.dir.sender();
    let to = from.peer();
    let s = view.sides[from.index()];
    let r = view.sides[to.index()];
    // As the simulator: a sender in LISTEN, or that never sent a packet,
    // has no numbers to default to; seq (and ack) must be absolute.
    let absolute = sender_state == State::Listen || !s.sent_any;
    if absolute {
        let why = match sender_state {
            State::Listen => "is in LISTEN",
            State::Closed => "is CLOSED and never connected",
            _ => "never sent a segment",
        };
        if let Some(e) = i.needs_absolute(from, why, source, line) {
            return Err(e);
        }
    }
    let zero = SeqNum(0);
    let seq = Inject::resolve(
        i.seq,
        s.snd_nxt.unwrap_or(zero),
        s.isn.unwrap_or(zero),
        absolute,
    );
    let ack = if i.flags.ack() || i.ack.is_some() {
        // As in the simulator, a plain ack counts from the receiver's ISN
        // whenever it has one.
        Inject::resolve(
            i.ack,
            s.rcv_nxt.unwrap_or(zero),
            r.isn.unwrap_or(zero),
            absolute && r.isn.is_none(),
        )
    } else {
        zero
    };
    // The window in bytes, on the wire scaled down by the sender's shift
    // (RFC 7323 2.3; never in a SYN, 2.2).
    let shift = if i.flags.syn() || absolute {
        0
    } else {
        view.shift(from)
    };
    let bytes = i.win.unwrap_or_else(|| match s.window {
        Some((w, true)) => u32::from(w),
        Some((w, false)) => u32::from(w) << view.shift(from),
        None => 0,
    });
    let window = u16::try_from(bytes >> shift).unwrap_or(u16::MAX);
    // Ports: those of the receiver's last packet, reversed, else of the
    // sender's, else the scenario's.
    let (src_port, dst_port) = match (r.ports, s.ports) {
        (Some((a, b)), _) => (b, a),
        (None, Some(p)) => p,
        (None, None) => match from {
            Side::Client => (ports[0], ports[1]),
            Side::Server => (ports[1], ports[0]),
        },
    };
    let payload = i.payload().to_vec();
    let hdr = TcpHeader {
        src_port,
        dst_port,
        seq,
        ack,
        flags: i.flags,
        window,
        options: TcpOptions::default(),
        payload_len: u32::try_from(payload.len()).unwrap_or(u32::MAX),
    };
    let (src, dst) = match from {
        Side::Client => (pair.client, pair.server),
        Side::Server => (pair.server, pair.client),
    };
    let mut ip = Vec::new();
    build_packet(
        &mut ip,
        LinkType::RAW,
        IpAddr::V4(src),
        IpAddr::V4(dst),
        &hdr,
        &payload,
    )
    .map_err(|e| ScenarioError {
        file: source.to_string(),
        line,
        col: i.col,
        message: format!("cannot build the forged segment: {e}"),
    })?;
    set_ip_id(&mut ip, FORGED_IP_ID);
    fix_tcp_checksum(&mut ip);
    Ok(Forged { ip })
}

/// Sets an IPv4 packet's id and recomputes its header checksum.
fn set_ip_id(ip: &mut [u8], id: u16) {
    if ip.len() < 20 {
        return;
    }
    ip[4..6].copy_from_slice(&id.to_be_bytes());
    ip[10] = 0;
    ip[11] = 0;
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let mut sum: u32 = ip[..ihl.min(ip.len())]
        .chunks(2)
        .map(|p| u32::from(p[0]) << 8 | u32::from(*p.get(1).unwrap_or(&0)))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    ip[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
}

/// Sends a forged packet; the time it left (monotonic ns).
pub(super) fn send(raw: &RawSender, f: &Forged) -> std::io::Result<u64> {
    raw.send(&f.ip)?;
    Ok(super::super::clock::now_ns())
}

/// How long an `inject` waits for the calls before it on its line to act
/// (a blocking call reports that it blocked within microseconds).
const CALL_ACTS_WITHIN: std::time::Duration = std::time::Duration::from_secs(1);

/// How long an `inject` waits after its send before the run goes on.
const INJECT_SETTLE: std::time::Duration = std::time::Duration::from_millis(1);

impl super::Runner<'_> {
    /// Runs an `inject` line: the segment forged from what the wire showed,
    /// sent with a raw socket (forge.rs). A line that cannot be honoured
    /// stops the run; a socket that cannot be opened or send is a note.
    pub(super) fn inject(&mut self, i: &synack_sim::scenario::Inject, line: u32) {
        // `client connect & inject …`: the call acts first, as in the
        // simulator's left-to-right order at one instant.
        let waited = std::time::Instant::now();
        while !self.acted.iter().all(|a| *a) && waited.elapsed() < CALL_ACTS_WITHIN {
            self.tick(std::time::Duration::from_millis(1));
        }
        self.take_link_events();
        let sender = i.dir.sender();
        let forged = match forge(
            &self.view,
            i,
            (&self.scenario.source, line),
            self.sides.state(sender),
            self.pair,
            self.ports,
        ) {
            Ok(f) => f,
            Err(e) => {
                self.bad_line = Some(e);
                return;
            }
        };
        if self.raw.is_none() {
            match RawSender::open(super::super::SKIP_MARK) {
                Ok(r) => self.raw = Some(r),
                Err(e) => {
                    self.bad_line = Some(ScenarioError {
                        file: self.scenario.source.clone(),
                        line,
                        col: i.col,
                        message: format!("cannot forge the segment: no raw socket ({e})"),
                    });
                    return;
                }
            }
        }
        let raw = self.raw.as_ref().expect("opened above");
        match send(raw, &forged) {
            Ok(t_ns) => {
                self.forged
                    .push((super::super::packet::packet_key(&forged.ip), t_ns));
                self.last_packet_ns = self.last_packet_ns.max(t_ns);
                // The receiver's TCP ran in the send (lo's softirq runs as
                // the raw socket's transmit ends); a millisecond more lets
                // the state it caused reach the sources before an `expect`
                // on the next line looks (a request socket is seen only by
                // polling, docs/real.md "States").
                std::thread::sleep(INJECT_SETTLE);
                self.poll_states();
            }
            Err(e) => {
                self.bad_line = Some(ScenarioError {
                    file: self.scenario.source.clone(),
                    line,
                    col: i.col,
                    message: format!("cannot send the forged segment: {e}"),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::real::packet::decode_ip;
    use synack_sim::scenario::{InjectPayload, SeqValue};
    use synack_sim::{Dir, Flags};

    impl Forged {
        fn hdr(&self) -> TcpHeader {
            decode_ip(&self.ip).unwrap().hdr
        }
    }

    fn hdr(src: u16, dst: u16, seq: u32, ack: u32, flags: Flags, len: u32) -> TcpHeader {
        TcpHeader {
            src_port: src,
            dst_port: dst,
            seq: SeqNum(seq),
            ack: SeqNum(ack),
            flags,
            window: 512,
            payload_len: len,
            ..TcpHeader::default()
        }
    }

    fn inject(dir: Dir, flags: Flags) -> Inject {
        Inject {
            dir,
            flags,
            seq: None,
            ack: None,
            win: None,
            payload: InjectPayload::None,
            col: 1,
            seq_col: None,
            ack_col: None,
        }
    }

    const PAIR: AddrPair = AddrPair {
        client: std::net::Ipv4Addr::new(127, 1, 0, 2),
        server: std::net::Ipv4Addr::new(127, 1, 0, 3),
    };

    /// A handshake and 5 bytes from the client, the last ACK not yet sent.
    fn view() -> WireView {
        let mut v = WireView::default();
        let mut syn = hdr(40000, 9999, 1000, 0, Flags::SYN, 0);
        syn.options.wscale = Some(7);
        let mut syn_ack = hdr(9999, 40000, 5000, 1001, Flags::SYN | Flags::ACK, 0);
        syn_ack.options.wscale = Some(7);
        let ack = hdr(40000, 9999, 1001, 5001, Flags::ACK, 0);
        let data = hdr(40000, 9999, 1001, 5001, Flags::PSH | Flags::ACK, 5);
        for (side, h) in [
            (Side::Client, &syn),
            (Side::Server, &syn_ack),
            (Side::Client, &ack),
            (Side::Client, &data),
        ] {
            v.sent(side, h);
            v.applied(side, h, Verdict::Pass);
        }
        v
    }

    #[test]
    fn defaults_come_from_the_wire() {
        let v = view();
        // As if the server sent it: its SND.NXT, its RCV.NXT (the data
        // was delivered to it, though it has not acknowledged it yet).
        let f = forge(
            &v,
            &inject(Dir::ServerToClient, Flags::ACK),
            ("t.tcp", 3),
            State::Established,
            PAIR,
            [40000, 9999],
        )
        .unwrap();
        assert_eq!((f.hdr().seq, f.hdr().ack), (SeqNum(5001), SeqNum(1006)));
        assert_eq!((f.hdr().src_port, f.hdr().dst_port), (9999, 40000));
        // The SYN-ACK's 512 was unscaled; that is the last window it sent.
        assert_eq!(f.hdr().window, 512 >> 7);
        // A plain seq is relative to the sender's ISN.
        let mut i = inject(Dir::ClientToServer, Flags::RST);
        i.seq = Some(SeqValue::Plain(100));
        let f = forge(&v, &i, ("t.tcp", 3), State::Established, PAIR, [1, 2]).unwrap();
        assert_eq!(f.hdr().seq, SeqNum(1100));
        assert_eq!(f.ip[4..6], FORGED_IP_ID.to_be_bytes());
    }

    #[test]
    fn a_dropped_segment_is_not_received() {
        let mut v = view();
        let more = hdr(40000, 9999, 1006, 5001, Flags::PSH | Flags::ACK, 5);
        v.sent(Side::Client, &more);
        v.applied(Side::Client, &more, Verdict::Drop);
        let f = forge(
            &v,
            &inject(Dir::ServerToClient, Flags::ACK),
            ("t.tcp", 3),
            State::Established,
            PAIR,
            [1, 2],
        )
        .unwrap();
        assert_eq!(f.hdr().ack, SeqNum(1006));
        // The client's SND.NXT includes it.
        let f = forge(
            &v,
            &inject(Dir::ClientToServer, Flags::ACK),
            ("t.tcp", 3),
            State::Established,
            PAIR,
            [1, 2],
        )
        .unwrap();
        assert_eq!(f.hdr().seq, SeqNum(1011));
    }

    #[test]
    fn a_sender_without_numbers_needs_absolute_ones() {
        let v = WireView::default();
        let e = forge(
            &v,
            &inject(Dir::ClientToServer, Flags::SYN),
            ("t.tcp", 4),
            State::Closed,
            PAIR,
            [1, 2],
        )
        .err()
        .unwrap();
        assert_eq!((e.line, e.col), (4, 1));
        assert!(e.message.contains("give seq="), "{}", e.message);
        let mut i = inject(Dir::ClientToServer, Flags::SYN);
        i.seq = Some(SeqValue::Plain(77));
        let f = forge(&v, &i, ("t.tcp", 4), State::Closed, PAIR, [1, 2]).unwrap();
        assert_eq!(
            (f.hdr().seq, f.hdr().src_port, f.hdr().dst_port),
            (SeqNum(77), 1, 2)
        );
    }
}
