//! synack-tests: end-to-end and snapshot tests of synack.
//!
//! This library holds hand-built transcripts the tests render; the tests live
//! under `tests/`.

pub mod corpus;
pub mod loopback;
pub mod matrix;
pub mod netns;
pub mod real_norm;
pub mod real_probe;
pub mod transcript_json;
pub mod tshark;

use synack_sim::calls::{Call, CallResult, Received, RecvMax, SendData};
use synack_sim::segment::{Flags, TcpHeader};
use synack_sim::seq::SeqNum;
use synack_sim::transcript::{
    Analysis, AnalysisFlag, ConnInfo, Dir, Fate, Note, OwnedEvent, OwnedKind, SegmentEvent, Side,
    StateSource, TimerKind,
};
use synack_sim::State;

/// ISNs near the wrap, so raw and relative numbers differ visibly.
pub const CLIENT_ISN: u32 = 4_294_967_000;
pub const SERVER_ISN: u32 = 1_000;

/// A segment event, with seq/ack given relative to each side's ISN.
#[allow(clippy::too_many_arguments)]
pub fn seg(
    t_us: u64,
    dir: Dir,
    flags: Flags,
    rel_seq: u32,
    rel_ack: Option<u32>,
    payload: &[u8],
    fate: Fate,
    analysis: Analysis,
) -> OwnedEvent {
    let (own, peer) = match dir {
        Dir::ClientToServer => (CLIENT_ISN, SERVER_ISN),
        Dir::ServerToClient => (SERVER_ISN, CLIENT_ISN),
    };
    let hdr = TcpHeader {
        src_port: if dir == Dir::ClientToServer {
            49152
        } else {
            9999
        },
        dst_port: if dir == Dir::ClientToServer {
            9999
        } else {
            49152
        },
        seq: SeqNum(own) + rel_seq,
        ack: SeqNum(peer) + rel_ack.unwrap_or(0),
        flags,
        window: 65535,
        payload_len: payload.len() as u32,
        ..TcpHeader::default()
    };
    OwnedEvent {
        t_us,
        conn: None,
        kind: OwnedKind::Segment {
            seg: SegmentEvent {
                id: 0,
                dir,
                hdr,
                rel_seq,
                rel_ack,
                win_bytes: 65535,
                fate,
                analysis,
                frame: None,
                arrives_us: None,
                payload: &[],
            },
            payload: payload.to_vec(),
        },
    }
}

pub fn state(t_us: u64, endpoint: Side, from: State, to: State) -> OwnedEvent {
    OwnedEvent {
        t_us,
        conn: None,
        kind: OwnedKind::State {
            endpoint,
            from,
            to,
            source: StateSource::Sim,
        },
    }
}

pub fn app(t_us: u64, endpoint: Side, call: Call, result: CallResult) -> OwnedEvent {
    OwnedEvent {
        t_us,
        conn: None,
        kind: OwnedKind::App {
            endpoint,
            call,
            result,
        },
    }
}

pub fn timer(
    t_us: u64,
    endpoint: Side,
    timer: TimerKind,
    after_us: u64,
    rto_us: Option<u64>,
) -> OwnedEvent {
    OwnedEvent {
        t_us,
        conn: None,
        kind: OwnedKind::Timer {
            endpoint,
            timer,
            after_us,
            rto_us,
        },
    }
}

pub fn note(t_us: u64, text: &str) -> OwnedEvent {
    OwnedEvent {
        t_us,
        conn: None,
        kind: OwnedKind::Note(Note::Text(text.into())),
    }
}

/// Gives the segments their ids, 1-based in order.
fn number_segments(events: &mut [OwnedEvent]) {
    let mut id = 0;
    for ev in events {
        if let OwnedKind::Segment { seg, .. } = &mut ev.kind {
            id += 1;
            seg.id = id;
        }
    }
}

fn send(text: &str) -> Call {
    Call::Send(SendData::Text(text.as_bytes().to_vec()))
}

fn data(text: &str) -> CallResult {
    CallResult::Data(Received::of(text.as_bytes()))
}

/// The echo scenario with a lost data segment, its retransmission, a
/// duplicated reply and a duplicate ACK: every kind of event and fate.
pub fn echo_with_faults() -> Vec<OwnedEvent> {
    use Dir::{ClientToServer as C2S, ServerToClient as S2C};
    use Fate::{Delivered as D, Dropped, Duplicated};
    use Side::{Client, Server};
    let none = Analysis::NONE;
    let ack = Flags::ACK;
    let pa = Flags::PSH | Flags::ACK;
    let fa = Flags::FIN | Flags::ACK;
    let recv = Call::Recv(RecvMax::Any);
    let mut events = vec![
        state(0, Server, State::Closed, State::Listen),
        app(0, Server, Call::Listen { port: 9999 }, CallResult::Ok),
        state(0, Client, State::Closed, State::SynSent),
        seg(0, C2S, Flags::SYN, 0, None, b"", D, none),
        state(10_000, Server, State::Listen, State::SynReceived),
        seg(10_000, S2C, Flags::SYN | ack, 0, Some(1), b"", D, none),
        state(20_000, Client, State::SynSent, State::Established),
        seg(20_000, C2S, ack, 1, Some(1), b"", D, none),
        app(
            20_000,
            Client,
            Call::Connect { port: 9999 },
            CallResult::Connected,
        ),
        app(20_000, Client, send("Michael"), CallResult::Ok),
        seg(20_000, C2S, pa, 1, Some(1), b"Michael", Dropped, none),
        state(30_000, Server, State::SynReceived, State::Established),
        app(
            30_000,
            Server,
            Call::Accept,
            CallResult::Accepted { port: 49152 },
        ),
        timer(
            1_020_000,
            Client,
            TimerKind::Retransmit,
            1_000_000,
            Some(1_000_000),
        ),
        seg(
            1_020_000,
            C2S,
            pa,
            1,
            Some(1),
            b"Michael",
            D,
            none.with(AnalysisFlag::Retransmission),
        ),
        seg(1_030_000, S2C, ack, 1, Some(8), b"", D, none),
        app(1_030_000, Server, recv.clone(), data("Michael")),
        app(1_030_000, Server, send("Hello, Michael!"), CallResult::Ok),
        seg(
            1_030_000,
            S2C,
            pa,
            1,
            Some(8),
            b"Hello, Michael!",
            Duplicated,
            none,
        ),
        seg(1_040_000, C2S, ack, 8, Some(16), b"", D, none),
        app(1_040_000, Client, recv, data("Hello, Michael!")),
        note(
            1_040_000,
            "the second copy of the reply arrives: the client ACKs it again",
        ),
        seg(
            1_040_000,
            C2S,
            ack,
            8,
            Some(16),
            b"",
            D,
            none.with(AnalysisFlag::DuplicateAck),
        ),
        timer(1_040_500, Server, TimerKind::DelayedAck, 40_000, None),
        app(1_050_000, Client, Call::Close, CallResult::Ok),
        state(1_050_000, Client, State::Established, State::FinWait1),
        seg(1_050_000, C2S, fa, 8, Some(16), b"", D, none),
        state(1_060_000, Server, State::Established, State::CloseWait),
        seg(1_060_000, S2C, ack, 16, Some(9), b"", D, none),
        app(1_060_000, Server, Call::Close, CallResult::Ok),
        state(1_060_000, Server, State::CloseWait, State::LastAck),
        seg(1_060_000, S2C, fa, 16, Some(9), b"", D, none),
        state(1_070_000, Client, State::FinWait1, State::FinWait2),
        state(1_070_000, Client, State::FinWait2, State::TimeWait),
        seg(1_070_000, C2S, ack, 9, Some(17), b"", D, none),
        state(1_080_000, Server, State::LastAck, State::Closed),
        timer(241_070_000, Client, TimerKind::TimeWait, 240_000_000, None),
        state(241_070_000, Client, State::TimeWait, State::Closed),
    ];
    number_segments(&mut events);
    events
}

/// A short capture of two connections: frame numbers, connection ids, a
/// remark, analysis of real traffic and a segment whose payload is binary.
pub fn capture() -> (Vec<ConnInfo>, Vec<OwnedEvent>) {
    use Dir::{ClientToServer as C2S, ServerToClient as S2C};
    let conns = vec![
        ConnInfo {
            conn: Some(1),
            client: addr("127.0.0.1:49152"),
            server: addr("127.0.0.1:9999"),
        },
        ConnInfo {
            conn: Some(2),
            client: addr("[::1]:50000"),
            server: addr("[::1]:80"),
        },
    ];
    let a = Analysis::NONE;
    let mut events = vec![
        seg(0, C2S, Flags::SYN, 0, None, b"", Fate::Captured, a),
        seg(
            61,
            S2C,
            Flags::SYN | Flags::ACK,
            0,
            Some(1),
            b"",
            Fate::Captured,
            a,
        ),
        note(
            100,
            "capture starts mid-connection: states assumed ESTABLISHED",
        ),
        seg(
            1_500_250,
            C2S,
            Flags::PSH | Flags::ACK,
            1,
            Some(1),
            &[0, 1, 2, 255],
            Fate::Captured,
            a,
        ),
        seg(
            2_000_000,
            S2C,
            Flags::ACK,
            1,
            Some(5),
            b"",
            Fate::Captured,
            a.with(AnalysisFlag::AckLostSegment)
                .with(AnalysisFlag::WindowUpdate),
        ),
        seg(2_000_100, C2S, Flags::RST, 5, None, b"", Fate::Captured, a),
        state(2_000_100, Side::Client, State::Established, State::Closed),
    ];
    let conn_of = [1, 1, 1, 2, 2, 2, 2];
    let mut frame = 0;
    for (ev, c) in events.iter_mut().zip(conn_of) {
        ev.conn = Some(c);
        if let OwnedKind::State { source, .. } = &mut ev.kind {
            *source = StateSource::Wire;
        }
        if let OwnedKind::Segment { seg, .. } = &mut ev.kind {
            frame += 1;
            seg.frame = Some(frame);
        }
    }
    number_segments(&mut events);
    (conns, events)
}

fn addr(s: &str) -> std::net::SocketAddr {
    s.parse()
        .unwrap_or_else(|_| std::net::SocketAddr::from(([0, 0, 0, 0], 0)))
}
