//! ANSI colour for the text transcript, and the `--color` decision.
//!
//! Colour is only ever added when asked for: `--color always`, or `--color
//! auto` when the output is a terminal and `NO_COLOR` is unset or empty
//! (<https://no-color.org>).

use clap::ValueEnum;

/// `--color auto|always|never`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when the output is a terminal and NO_COLOR is not set.
    #[default]
    Auto,
    /// Always colour, even into a file or a pipe.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Whether to colour: `is_terminal` says whether the output is a
    /// terminal, `no_color` is the value of the `NO_COLOR` variable, if set.
    pub fn resolve(self, is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && no_color.map(|v| v.is_empty()).unwrap_or(true),
        }
    }
}

/// A text style: an ANSI SGR parameter list such as `"1;36"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style(pub &'static str);

impl Style {
    /// The client's colour.
    pub const CLIENT: Style = Style("36");
    /// The server's colour.
    pub const SERVER: Style = Style("35");
    /// The client's state changes: bold, in the client's colour.
    pub const CLIENT_BOLD: Style = Style("1;36");
    /// The server's state changes: bold, in the server's colour.
    pub const SERVER_BOLD: Style = Style("1;35");
    /// Dropped segments.
    pub const DROPPED: Style = Style("1;31");
    /// Retransmissions (and other analysis worth a second look).
    pub const WARN: Style = Style("33");
    /// Headers and remarks.
    pub const DIM: Style = Style("2");
    /// Column titles.
    pub const BOLD: Style = Style("1");

    /// The escape sequence that starts this style.
    pub fn start(self, out: &mut String) {
        out.push_str("\x1b[");
        out.push_str(self.0);
        out.push('m');
    }

    /// The escape sequence that resets every style.
    pub const RESET: &'static str = "\x1b[0m";
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn auto_colours_only_a_terminal_without_no_color() {
        assert!(ColorChoice::Auto.resolve(true, None));
        assert!(ColorChoice::Auto.resolve(true, Some(OsStr::new(""))));
        assert!(!ColorChoice::Auto.resolve(true, Some(OsStr::new("1"))));
        assert!(!ColorChoice::Auto.resolve(false, None));
    }

    #[test]
    fn always_and_never_ignore_the_terminal_and_no_color() {
        assert!(ColorChoice::Always.resolve(false, Some(OsStr::new("1"))));
        assert!(!ColorChoice::Never.resolve(true, None));
    }
}
