//! Splits one line of a scenario into tokens, with 1-based character columns.
//!
//! Tokens are words (any run of characters that are not white space, `"`,
//! `&`, `,` or `#`), quoted strings, `&` and `,`. A `#` outside a string starts
//! a comment, except in fault rules (`drop`, `duplicate`, `delay`), where a `#`
//! directly followed by a digit is a segment ordinal (`#1`), not a comment.

/// A problem found at a column of the current line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fail {
    /// 1-based character column.
    pub col: u32,
    pub message: String,
}

impl Fail {
    pub fn new(col: u32, message: impl Into<String>) -> Fail {
        Fail {
            col,
            message: message.into(),
        }
    }
}

/// What a token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind<'a> {
    /// A bare word: `client`, `->`, `20ms`, `#3`, `0.5%`.
    Word(&'a str),
    /// A quoted string, escapes decoded.
    Str(Vec<u8>),
    /// `&`: joins actions that happen at the same instant.
    Amp,
    /// `,`: separates segment ordinals.
    Comma,
}

/// One token and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub kind: TokenKind<'a>,
    /// 1-based character column of the token's first character.
    pub col: u32,
    /// 1-based character column just past the token's last character.
    pub end_col: u32,
}

impl Token<'_> {
    /// How a message names this token: `"conect"`, `a quoted string`, `"&"`.
    pub fn describe(&self) -> String {
        match &self.kind {
            TokenKind::Word(w) => format!("\"{w}\""),
            TokenKind::Str(_) => "a quoted string".to_string(),
            TokenKind::Amp => "\"&\"".to_string(),
            TokenKind::Comma => "\",\"".to_string(),
        }
    }
}

/// A lexed line: its tokens and its code without the comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Line<'a> {
    pub tokens: Vec<Token<'a>>,
    /// The line without its comment, trimmed.
    pub code: &'a str,
    /// 1-based column just past the last character of `code` (where "end of
    /// line" is reported).
    pub end_col: u32,
}

fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '&' | ',' | '#')
}

fn col_of(index: usize) -> u32 {
    u32::try_from(index.saturating_add(1)).unwrap_or(u32::MAX)
}

/// The first word of `line` (for choosing the comment rule), if any.
fn first_word(line: &str) -> &str {
    let rest = line.trim_start();
    let end = rest.find(is_delimiter).unwrap_or(rest.len());
    rest.get(..end).unwrap_or("")
}

/// Whether `#1` means a segment ordinal on this line.
fn has_ordinals(line: &str) -> bool {
    matches!(first_word(line), "drop" | "duplicate" | "delay")
}

/// Splits `line` (without its line terminator) into tokens.
pub(crate) fn lex(line: &str) -> Result<Line<'_>, Fail> {
    let ordinals = has_ordinals(line);
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut tokens = Vec::new();
    let mut code_end_byte = line.len();
    let mut i = 0;
    while let Some(&(byte, c)) = chars.get(i) {
        let col = col_of(i);
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let next_is_digit = chars.get(i + 1).is_some_and(|&(_, n)| n.is_ascii_digit());
        match c {
            '#' if !(ordinals && next_is_digit) => {
                code_end_byte = byte;
                break;
            }
            '&' | ',' => {
                let kind = if c == '&' {
                    TokenKind::Amp
                } else {
                    TokenKind::Comma
                };
                tokens.push(Token {
                    kind,
                    col,
                    end_col: col_of(i + 1),
                });
                i += 1;
            }
            '"' => {
                let (bytes, next) = lex_string(&chars, i)?;
                tokens.push(Token {
                    kind: TokenKind::Str(bytes),
                    col,
                    end_col: col_of(next),
                });
                i = next;
            }
            _ => {
                // A word; its first character may be `#` (an ordinal).
                let mut j = i + 1;
                while chars.get(j).is_some_and(|&(_, n)| !is_delimiter(n)) {
                    j += 1;
                }
                let end_byte = chars.get(j).map_or(line.len(), |&(b, _)| b);
                let word = line.get(byte..end_byte).unwrap_or("");
                tokens.push(Token {
                    kind: TokenKind::Word(word),
                    col,
                    end_col: col_of(j),
                });
                i = j;
            }
        }
    }
    let code = line.get(..code_end_byte).unwrap_or("").trim();
    let end_col = tokens.last().map_or(1, |t| t.end_col);
    Ok(Line {
        tokens,
        code,
        end_col,
    })
}

/// Lexes the string whose opening quote is at `chars[start]`; returns the
/// decoded bytes and the index just past the closing quote.
fn lex_string(chars: &[(usize, char)], start: usize) -> Result<(Vec<u8>, usize), Fail> {
    let mut out = Vec::new();
    let mut i = start + 1;
    loop {
        let Some(&(_, c)) = chars.get(i) else {
            return Err(Fail::new(
                col_of(start),
                "unterminated string; expected a closing \" before the end of the line",
            ));
        };
        match c {
            '"' => return Ok((out, i + 1)),
            '\\' => {
                let (byte, next) = lex_escape(chars, i)?;
                out.push(byte);
                i = next;
            }
            _ => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += 1;
            }
        }
    }
}

/// Decodes the escape whose backslash is at `chars[at]`; returns the byte and
/// the index just past the escape.
fn lex_escape(chars: &[(usize, char)], at: usize) -> Result<(u8, usize), Fail> {
    let col = col_of(at);
    let Some(&(_, c)) = chars.get(at + 1) else {
        return Err(Fail::new(
            col,
            "unterminated string; expected a closing \" before the end of the line",
        ));
    };
    let simple = match c {
        'n' => Some(b'\n'),
        't' => Some(b'\t'),
        'r' => Some(b'\r'),
        '\\' => Some(b'\\'),
        '"' => Some(b'"'),
        '0' => Some(0),
        _ => None,
    };
    if let Some(b) = simple {
        return Ok((b, at + 2));
    }
    if c != 'x' {
        return Err(Fail::new(
            col,
            format!(
                "unknown escape \"\\{c}\" in a string; expected one of \\n \\t \\r \\\\ \\\" \\0 \\xHH"
            ),
        ));
    }
    let hex: String = chars
        .get(at + 2..)
        .unwrap_or(&[])
        .iter()
        .take(2)
        .map(|&(_, h)| h)
        .collect();
    let valid = hex.chars().count() == 2 && hex.chars().all(|h| h.is_ascii_hexdigit());
    match u8::from_str_radix(&hex, 16) {
        Ok(b) if valid => Ok((b, at + 4)),
        _ => Err(Fail::new(
            col,
            format!("expected two hex digits after \\x (like \\x7f), found \"\\x{hex}\""),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<(String, u32)> {
        lex(line)
            .map(|l| {
                l.tokens
                    .iter()
                    .map(|t| {
                        let s = match &t.kind {
                            TokenKind::Word(w) => (*w).to_string(),
                            TokenKind::Str(b) => format!("<{}>", String::from_utf8_lossy(b)),
                            TokenKind::Amp => "&".into(),
                            TokenKind::Comma => ",".into(),
                        };
                        (s, t.col)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn words_strings_and_columns() {
        assert_eq!(
            words("  client send \"a # b\" & server close # bye"),
            vec![
                ("client".into(), 3),
                ("send".into(), 10),
                ("<a # b>".into(), 15),
                ("&".into(), 23),
                ("server".into(), 25),
                ("close".into(), 32),
            ]
        );
    }

    #[test]
    fn ordinals_only_in_fault_rules() {
        assert_eq!(
            words("drop client->server data #1,#3 # first and third"),
            vec![
                ("drop".into(), 1),
                ("client->server".into(), 6),
                ("data".into(), 21),
                ("#1".into(), 26),
                (",".into(), 28),
                ("#3".into(), 29),
            ]
        );
        assert_eq!(
            words("server listen 80 #1 port"),
            vec![
                ("server".into(), 1),
                ("listen".into(), 8),
                ("80".into(), 15)
            ]
        );
    }

    #[test]
    fn code_is_trimmed_without_comment() {
        let l = lex("  client send \"#x\"   # note ").ok();
        assert_eq!(l.as_ref().map(|l| l.code), Some("client send \"#x\""));
        assert_eq!(l.map(|l| l.end_col), Some(19));
    }

    #[test]
    fn escapes_decode() {
        let l = lex(r#""a\n\t\r\\\"\0\x41\xff é""#).ok();
        let bytes = l.and_then(|l| match l.tokens.first().map(|t| t.kind.clone()) {
            Some(TokenKind::Str(b)) => Some(b),
            _ => None,
        });
        assert_eq!(bytes, Some(b"a\n\t\r\\\"\0\x41\xff \xc3\xa9".to_vec()));
    }

    #[test]
    fn string_errors_point_at_their_column() {
        assert_eq!(
            lex("client send \"abc").err(),
            Some(Fail::new(
                13,
                "unterminated string; expected a closing \" before the end of the line"
            ))
        );
        assert_eq!(
            lex("client send \"a\\q\"").err(),
            Some(Fail::new(
                15,
                "unknown escape \"\\q\" in a string; expected one of \\n \\t \\r \\\\ \\\" \\0 \\xHH"
            ))
        );
        assert_eq!(
            lex("x \"\\x4g\"").err(),
            Some(Fail::new(
                4,
                "expected two hex digits after \\x (like \\x7f), found \"\\x4g\""
            ))
        );
        assert_eq!(lex("x \"\\x4").err().map(|f| f.col), Some(4));
    }
}
