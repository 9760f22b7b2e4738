//! RFC 9293 3.10.7.4 "Otherwise": what an arriving segment is, decided once
//! before anything acts on it: its [`Class`] (which check decides it) and the
//! first check, "check sequence number" ([`SeqCheck`]).

use super::super::Endpoint;
use crate::segment::{Flags, TcpHeader};
use crate::state::State;

/// Which of RFC 9293 3.10.7.4's checks takes an arriving segment, in the
/// order the checks run: the first control bit that is set decides, then
/// what an acknowledging segment carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Class {
    /// RST set: the second check, "check the RST bit" (RFC 5961 3.2).
    Rst,
    /// SYN set, RST clear: the fourth check, "check the SYN bit" (RFC 5961 4.2).
    Syn,
    /// None of RST, SYN, ACK: the fifth check, "if the ACK bit is off,
    /// drop the segment and return".
    NoAck,
    /// ACK alone (no text, no FIN): the fifth check, "check the ACK field".
    AckOnly,
    /// ACK with text, FIN clear: the fifth check, then the seventh,
    /// "process the segment text".
    Data,
    /// ACK with FIN (and maybe text): the fifth, the seventh, then the
    /// eighth, "check the FIN bit".
    Fin,
}

/// The first check, "check sequence number".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SeqCheck {
    /// One of the four acceptability tests holds.
    Acceptable,
    /// RCV.WND is zero and the segment brings text (or a FIN) at RCV.NXT:
    /// "If the RCV.WND is zero, no segments will be acceptable, but special
    /// allowance should be made to accept valid ACKs, URGs, and RSTs." Its
    /// controls and its ACK are processed, its text is not.
    ZeroWindow,
    /// Not acceptable: "If an incoming segment is not acceptable, an
    /// acknowledgment should be sent in reply (unless the RST bit is set, if
    /// so drop the segment and return)".
    Unacceptable,
}

/// An arriving segment, classified once.
#[derive(Clone, Copy, Debug)]
pub(super) struct Arrival {
    /// The header, after the simultaneous-open trim (see [`Endpoint::classify`]).
    pub(super) hdr: TcpHeader,
    pub(super) class: Class,
    pub(super) seq: SeqCheck,
    /// RCV.WND when the segment arrived: the seventh check trims text to it.
    pub(super) rcv_wnd: u32,
}

impl Class {
    fn of(h: &TcpHeader) -> Class {
        let f = h.flags;
        if f.rst() {
            Class::Rst
        } else if f.syn() {
            Class::Syn
        } else if !f.ack() {
            Class::NoAck
        } else if f.fin() {
            Class::Fin
        } else if h.payload_len > 0 {
            Class::Data
        } else {
            Class::AckOnly
        }
    }
}

impl Endpoint {
    /// Classifies a segment arriving in SYN-RECEIVED or a synchronized state.
    pub(super) fn classify(&self, hdr: TcpHeader) -> Arrival {
        let mut h = hdr;
        if self.state == State::SynReceived
            && self.active_open
            && h.flags.syn()
            && h.flags.ack()
            && h.seq == self.irs
        {
            // Simultaneous open (RFC 9293 Figure 8, line 6): the peer's SYN,ACK
            // repeats the SYN we already have and acknowledges ours. The old
            // SYN is trimmed ("If a segment's contents straddle the boundary
            // between old and new, only the new parts are processed", first
            // check) and the ACK is taken: SYN-RECEIVED -> ESTABLISHED.
            h.flags = Flags(h.flags.0 & !Flags::SYN.0);
            h.seq += 1;
        }
        let rcv_wnd = self.rcv_wnd();
        Arrival {
            class: Class::of(&h),
            seq: self.check_sequence_number(&h, rcv_wnd),
            hdr: h,
            rcv_wnd,
        }
    }

    /// "First, check sequence number": "There are four cases for the
    /// acceptability test for an incoming segment", by SEG.LEN and RCV.WND.
    fn check_sequence_number(&self, h: &TcpHeader, rcv_wnd: u32) -> SeqCheck {
        let acceptable = match (h.seg_len(), rcv_wnd) {
            // "SEG.SEQ = RCV.NXT"
            (0, 0) => h.seq == self.rcv_nxt,
            // "RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND"
            (0, w) => h.seq.in_window(self.rcv_nxt, w),
            // "not acceptable"
            (_, 0) => false,
            // "RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND or
            //  RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND"
            (l, w) => {
                h.seq.in_window(self.rcv_nxt, w) || (h.seq + (l - 1)).in_window(self.rcv_nxt, w)
            }
        };
        if acceptable {
            SeqCheck::Acceptable
        } else if rcv_wnd == 0 && h.seq == self.rcv_nxt {
            SeqCheck::ZeroWindow
        } else {
            SeqCheck::Unacceptable
        }
    }
}
