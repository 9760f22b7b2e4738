//! Text from outside (a scenario line echoed in an error, an app's bytes, a
//! note) shown so that it cannot break a terminal or a layout: control
//! characters appear escaped (`\n`, `\u{1b}`), everything else as is. The
//! one such escaper of synack; byte strings use the CLI's `Quoted`, JSON its
//! own RFC 8259 escaping.

use std::fmt::{self, Display, Formatter, Write as _};

/// `Printable("a\nb")` displays as `a\nb` with a literal backslash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Printable<'a>(pub &'a str);

impl Display for Printable<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() {
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
