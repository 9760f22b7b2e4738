//! A cursor over one line's tokens, with the shared "expected X, found Y"
//! readers for sides, directions, numbers and durations.

use super::lexer::{Fail, Token, TokenKind};
use super::values::{did_you_mean, parse_duration, parse_u64, NumError};
use crate::transcript::{Dir, Side};

/// Reads the tokens of one line from left to right.
pub(crate) struct Cursor<'t, 'a> {
    tokens: &'t [Token<'a>],
    pos: usize,
    /// Column reported for "end of line".
    end_col: u32,
}

/// A word and its column.
pub(crate) type Word<'a> = (&'a str, u32);

impl<'t, 'a> Cursor<'t, 'a> {
    pub fn new(tokens: &'t [Token<'a>], end_col: u32) -> Self {
        Cursor {
            tokens,
            pos: 0,
            end_col,
        }
    }

    pub fn peek(&self) -> Option<&'t Token<'a>> {
        self.tokens.get(self.pos)
    }

    pub fn next(&mut self) -> Option<&'t Token<'a>> {
        let t = self.tokens.get(self.pos);
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    /// The word at the cursor, if the next token is a word.
    pub fn peek_word(&self) -> Option<Word<'a>> {
        match self.peek() {
            Some(Token {
                kind: TokenKind::Word(w),
                col,
                ..
            }) => Some((w, *col)),
            _ => None,
        }
    }

    /// Whether the current action ends here (end of line or `&`).
    pub fn at_action_end(&self) -> bool {
        matches!(
            self.peek(),
            None | Some(Token {
                kind: TokenKind::Amp,
                ..
            })
        )
    }

    /// The column of the next token, or of the end of the line.
    pub fn col(&self) -> u32 {
        self.peek().map_or(self.end_col, |t| t.col)
    }

    /// How a message names the next token.
    pub fn found(&self) -> String {
        self.peek()
            .map_or_else(|| "the end of the line".to_string(), Token::describe)
    }

    /// `expected {what}, found {next token}` at the next token.
    pub fn fail(&self, what: &str) -> Fail {
        Fail::new(
            self.col(),
            format!("expected {what}, found {}", self.found()),
        )
    }

    /// The next token as a word, or `expected {what}`.
    pub fn word(&mut self, what: &str) -> Result<Word<'a>, Fail> {
        let w = self.peek_word().ok_or_else(|| self.fail(what))?;
        self.pos += 1;
        Ok(w)
    }

    /// `client` or `server`.
    pub fn side(&mut self) -> Result<Side, Fail> {
        let (w, col) = self.word("client or server")?;
        match w {
            "client" => Ok(Side::Client),
            "server" => Ok(Side::Server),
            _ => Err(Fail::new(
                col,
                format!(
                    "expected client or server, found \"{w}\"{}",
                    did_you_mean(w, &["client", "server"])
                ),
            )),
        }
    }

    /// `client->server` or `server->client`.
    pub fn dir(&mut self) -> Result<Dir, Fail> {
        let what = "a direction like client->server";
        let (w, col) = self.word(what)?;
        match w {
            "client->server" => Ok(Dir::ClientToServer),
            "server->client" => Ok(Dir::ServerToClient),
            _ => Err(Fail::new(
                col,
                format!(
                    "expected {what}, found \"{w}\"{}",
                    did_you_mean(w, &["client->server", "server->client"])
                ),
            )),
        }
    }

    /// An integer in `min..=max`; `what` names it (`a port number`).
    pub fn number(&mut self, what: &str, min: u64, max: u64) -> Result<u64, Fail> {
        let expected = format!("{what} ({min}..={max})");
        let (w, col) = self.word(&expected)?;
        match parse_u64(w) {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            Ok(_) | Err(NumError::TooLarge) => Err(Fail::new(
                col,
                format!("{what} must be between {min} and {max}, found \"{w}\""),
            )),
            Err(NumError::NotANumber) => Err(Fail::new(
                col,
                format!("expected {expected}, found \"{w}\""),
            )),
        }
    }

    /// A TCP port, 1..=65535.
    pub fn port(&mut self) -> Result<u16, Fail> {
        let n = self.number("a port number", 1, u64::from(u16::MAX))?;
        Ok(u16::try_from(n).unwrap_or(u16::MAX))
    }

    /// A duration like `20ms`, in microseconds.
    pub fn duration(&mut self) -> Result<u64, Fail> {
        let (w, col) = self.word("a duration like 20ms, 1.5s or 300us (units: us, ms, s, min)")?;
        parse_duration(w).map_err(|m| Fail::new(col, m))
    }
}
