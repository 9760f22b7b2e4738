//! The eleven connection states of RFC 9293 section 3.3.2.

use std::fmt;

/// A TCP connection state, displayed in RFC 9293 spelling (`SYN-SENT`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

impl State {
    pub const ALL: [State; 11] = [
        State::Closed,
        State::Listen,
        State::SynSent,
        State::SynReceived,
        State::Established,
        State::FinWait1,
        State::FinWait2,
        State::CloseWait,
        State::Closing,
        State::LastAck,
        State::TimeWait,
    ];

    /// The RFC 9293 spelling.
    pub const fn name(self) -> &'static str {
        match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN-SENT",
            State::SynReceived => "SYN-RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN-WAIT-1",
            State::FinWait2 => "FIN-WAIT-2",
            State::CloseWait => "CLOSE-WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST-ACK",
            State::TimeWait => "TIME-WAIT",
        }
    }

    /// Parses the RFC spelling; case-insensitive, `_` accepted for `-`.
    pub fn parse(s: &str) -> Option<State> {
        let norm = s.to_ascii_uppercase().replace('_', "-");
        State::ALL.into_iter().find(|st| st.name() == norm)
    }

    /// States in which the connection is synchronized (RFC 9293 3.5.2, 3.10.7.4).
    pub const fn is_synchronized(self) -> bool {
        !matches!(
            self,
            State::Closed | State::Listen | State::SynSent | State::SynReceived
        )
    }

    /// States in which our side may still send data (RFC 9293 3.10.2).
    pub const fn can_send(self) -> bool {
        matches!(self, State::Established | State::CloseWait)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.name()), Some(s));
        }
        assert_eq!(State::parse("time_wait"), Some(State::TimeWait));
        assert_eq!(State::parse("TIMEWAIT"), None);
    }
}
