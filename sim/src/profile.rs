//! Stack profiles: the RFCs as written, or what Linux 6.x does by default.

use std::fmt;

/// Which profile a scenario runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ProfileName {
    /// RFC 9293 + RFC 6298 as a textbook states them.
    #[default]
    Rfc,
    /// Linux 6.x defaults.
    Linux,
}

impl ProfileName {
    pub const fn name(self) -> &'static str {
        match self {
            ProfileName::Rfc => "rfc",
            ProfileName::Linux => "linux",
        }
    }
    pub fn parse(s: &str) -> Option<ProfileName> {
        match s {
            "rfc" => Some(ProfileName::Rfc),
            "linux" => Some(ProfileName::Linux),
            _ => None,
        }
    }
}

impl fmt::Display for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}
