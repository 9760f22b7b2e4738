//! Text from outside (a scenario line echoed in an error, an app's bytes, a
//! note) shown so that it cannot break a terminal or a layout: control
//! characters appear escaped (`\n`, `\u{1b}`), everything else as is. The
//! one such escaper of synack: byte strings (the CLI's `Quoted`) escape by
//! the same rule, [`escaped`], and JSON adds its own RFC 8259 escaping.

use std::fmt::{self, Display, Formatter, Write as _};

/// `Printable("a\nb")` displays as `a\nb` with a literal backslash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Printable<'a>(pub &'a str);

/// Whether a character is shown escaped rather than as itself: the control
/// characters (C0, DEL, C1). Everything else, `é` and `⏰` included, is text
/// as people write it.
pub fn escaped(c: char) -> bool {
    c.is_control()
}

impl Display for Printable<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if escaped(c) {
                write!(f, "{}", c.escape_debug())?;
            } else {
                f.write_char(c)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(
            Printable("a\nb\u{1b}[31m é ⏰").to_string(),
            "a\\nb\\u{1b}[31m é ⏰"
        );
    }
}
