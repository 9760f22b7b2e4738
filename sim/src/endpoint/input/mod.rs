//! Segment arrival: RFC 9293 section 3.10.7 ("SEGMENT ARRIVES"), with the
//! RST, SYN and ACK rules of RFC 5961 and the ACK rules of RFC 5681/6582.
//!
//! Where each part of 3.10.7 lives:
//! * 3.10.7.1 CLOSED: the owner answers with [`reset_for_closed_port`];
//! * 3.10.7.2 LISTEN and 3.10.7.3 SYN-SENT: `handshake.rs`;
//! * 3.10.7.4 "Otherwise" (SYN-RECEIVED and the synchronized states): the
//!   segment is classified once, with the first check ("check sequence
//!   number"), in `classify.rs`; `synchronized.rs` dispatches on
//!   (state, class, acceptability) and holds the second check (RST, RFC 5961
//!   3.2) and the fourth (SYN, RFC 5961 4.2); `ack.rs` is the fifth check
//!   (ACK, RFC 5961 5.2, RFC 6298, RFC 5681, RFC 6582); `text.rs` the
//!   seventh (segment text) and the eighth (FIN). The third (security) and
//!   the sixth (URG) have nothing to do here: no IP security options, no
//!   urgent data.

mod ack;
mod classify;
mod handshake;
mod synchronized;
mod text;

use super::Endpoint;
use crate::segment::{Flags, Segment, TcpHeader};
use crate::seq::SeqNum;
use crate::state::State;

/// The answer of a port with no connection (RFC 9293 3.10.7.1, "If the state
/// is CLOSED"): "An incoming segment containing a RST is discarded. An
/// incoming segment not containing a RST causes a RST to be sent in response."
pub fn reset_for_closed_port(hdr: &TcpHeader) -> Option<TcpHeader> {
    if hdr.flags.rst() {
        return None;
    }
    let mut rst = TcpHeader {
        src_port: hdr.dst_port,
        dst_port: hdr.src_port,
        ..TcpHeader::default()
    };
    if hdr.flags.ack() {
        // "If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>"
        rst.seq = hdr.ack;
        rst.flags = Flags::RST;
    } else {
        // "If the ACK bit is off, sequence number zero is used,
        //  <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>"
        rst.seq = SeqNum(0);
        rst.ack = hdr.seq + hdr.seg_len();
        rst.flags = Flags::RST | Flags::ACK;
    }
    Some(rst)
}

impl Endpoint {
    /// A segment arrived for this connection (ports already matched).
    pub fn handle_segment(&mut self, now: u64, seg: &Segment) {
        match self.state {
            // 3.10.7.1 is the owner's: it calls `reset_for_closed_port`.
            State::Closed => {}
            State::Listen => self.on_listen(now, seg),
            State::SynSent => self.on_syn_sent(now, seg),
            State::SynReceived
            | State::Established
            | State::FinWait1
            | State::FinWait2
            | State::CloseWait
            | State::Closing
            | State::LastAck
            | State::TimeWait => self.on_synchronized(now, seg),
        }
    }
}
