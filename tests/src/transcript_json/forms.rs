//! The forms of calls, results and note texts, with placeholders, and the
//! matcher that tells whether a string follows one.

use super::doc::{code_span, Doc};

/// The placeholders of the forms, each matched by [`Forms`].
pub const PLACEHOLDERS: [&str; 12] = [
    "N", "PORT", "FLAGS", "TEXT", "DATA", "ERROR", "SIDE", "STATE", "DURATION", "SECONDS", "ANY",
    "FIELDS",
];

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Lit(String),
    Hole(&'static str),
}

/// A form, split into literal text and placeholders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Form {
    pub text: String,
    pieces: Vec<Piece>,
}

impl Form {
    pub fn parse(text: &str) -> Form {
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let mut word = String::new();
        let word_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        let flush_word = |word: &mut String, lit: &mut String, pieces: &mut Vec<Piece>| {
            match PLACEHOLDERS.iter().find(|p| **p == word.as_str()) {
                Some(p) => {
                    if !lit.is_empty() {
                        pieces.push(Piece::Lit(std::mem::take(lit)));
                    }
                    pieces.push(Piece::Hole(p));
                }
                None => lit.push_str(word),
            }
            word.clear();
        };
        for c in text.chars() {
            if word_char(c) {
                word.push(c);
            } else {
                flush_word(&mut word, &mut lit, &mut pieces);
                lit.push(c);
            }
        }
        flush_word(&mut word, &mut lit, &mut pieces);
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit));
        }
        Form {
            text: text.to_string(),
            pieces,
        }
    }
}

/// The forms of docs/transcript-json.md ("Calls and results", "Why
/// texts"), and the rules of docs/differences.md that a `pair` may name.
#[derive(Clone, Debug)]
pub struct Forms {
    pub calls: Vec<Form>,
    pub results: Vec<Form>,
    pub data: Vec<Form>,
    pub errors: Vec<Form>,
    /// Note texts, with whether the note has `endpoint` and who prints it.
    pub notes: Vec<(Form, bool, String)>,
    /// The `why` of an unexplained pair, with the "when" cell.
    pub whys: Vec<(Form, String)>,
    /// The rules of docs/differences.md: (name, why).
    pub rules: Vec<(String, String)>,
    states: Vec<String>,
    /// The fields a pair may differ in, in the order `why` names them.
    fields: Vec<String>,
}

impl Forms {
    pub fn from_doc(doc: &Doc) -> Forms {
        let forms = |title: &str| -> Vec<Form> {
            doc.first_codes(title)
                .iter()
                .map(|t| Form::parse(t))
                .collect()
        };
        let notes = doc
            .table("Note texts")
            .iter()
            .map(|row| {
                let cell = |i: usize| row.get(i).cloned().unwrap_or_default();
                let text = code_span(&cell(0)).unwrap_or_default();
                let endpoint = match cell(1).as_str() {
                    "yes" => true,
                    "no" => false,
                    other => panic!("note {text:?}: `endpoint` is {other:?}, not yes or no"),
                };
                (Form::parse(&text), endpoint, cell(2))
            })
            .collect();
        let whys = doc
            .table("Why texts")
            .iter()
            .map(|row| {
                let cell = |i: usize| row.get(i).cloned().unwrap_or_default();
                (
                    Form::parse(&code_span(&cell(0)).unwrap_or_default()),
                    cell(1),
                )
            })
            .collect();
        Forms {
            calls: forms("Calls"),
            results: forms("Results"),
            data: forms("DATA"),
            errors: forms("Errors"),
            notes,
            whys,
            rules: Doc::named("differences.md").catalogue(),
            states: doc.values("States"),
            fields: doc.values("Fields"),
        }
    }

    /// The first of `forms` that `s` matches in full.
    pub fn find<'f>(&self, forms: &'f [Form], s: &str) -> Option<&'f Form> {
        forms
            .iter()
            .find(|f| self.ends(&f.pieces, s, 0).contains(&s.len()))
    }

    /// Where a match of `pieces` starting at `at` may end.
    fn ends(&self, pieces: &[Piece], s: &str, at: usize) -> Vec<usize> {
        let mut here = vec![at];
        for p in pieces {
            let mut next: Vec<usize> = here.iter().flat_map(|&i| self.piece(p, s, i)).collect();
            next.sort_unstable();
            next.dedup();
            if next.is_empty() {
                return next;
            }
            here = next;
        }
        here
    }

    /// Where one piece starting at `at` may end.
    fn piece(&self, p: &Piece, s: &str, at: usize) -> Vec<usize> {
        let rest = &s[at..];
        let alternatives = |words: &[&str]| -> Vec<usize> {
            words
                .iter()
                .filter(|w| rest.starts_with(**w))
                .map(|w| at + w.len())
                .collect()
        };
        match p {
            Piece::Lit(l) => alternatives(&[l.as_str()]),
            Piece::Hole("N") => (1..=digits(rest)).map(|n| at + n).collect(),
            Piece::Hole("PORT") => (1..=digits(rest))
                .filter(|&n| {
                    rest[..n]
                        .parse::<u32>()
                        .is_ok_and(|p| (1..=65535).contains(&p))
                })
                .map(|n| at + n)
                .collect(),
            Piece::Hole("FLAGS") => {
                let n = rest
                    .bytes()
                    .take_while(|b| b.is_ascii_uppercase() || *b == b',')
                    .count();
                (1..=n).map(|n| at + n).collect()
            }
            Piece::Hole("TEXT") => quoted(rest).map(|n| at + n).into_iter().collect(),
            Piece::Hole("SIDE") => alternatives(&["client", "server"]),
            Piece::Hole("STATE") => {
                let names: Vec<&str> = self.states.iter().map(String::as_str).collect();
                alternatives(&names)
            }
            Piece::Hole("DURATION") => duration(rest).into_iter().map(|n| at + n).collect(),
            Piece::Hole("SECONDS") => seconds(rest).into_iter().map(|n| at + n).collect(),
            Piece::Hole("ANY") => rest
                .char_indices()
                .skip(1)
                .map(|(i, _)| at + i)
                .chain((!rest.is_empty()).then_some(s.len()))
                .collect(),
            Piece::Hole("FIELDS") => self.field_list(s, at),
            Piece::Hole("DATA") => self.any_of(&self.data, s, at),
            Piece::Hole("ERROR") => self.any_of(&self.errors, s, at),
            Piece::Hole(other) => panic!("no matcher for the placeholder {other}"),
        }
    }

    /// Where a list of fields, in their order and joined by `, `, may end.
    fn field_list(&self, s: &str, at: usize) -> Vec<usize> {
        let mut ends = Vec::new();
        // (where the next field starts, the index of the field before it)
        let mut frontier: Vec<(usize, Option<usize>)> = vec![(at, None)];
        while let Some((pos, last)) = frontier.pop() {
            for (i, f) in self.fields.iter().enumerate() {
                if last.is_some_and(|l| i <= l) || !s[pos..].starts_with(f.as_str()) {
                    continue;
                }
                let end = pos + f.len();
                ends.push(end);
                if s[end..].starts_with(", ") {
                    frontier.push((end + 2, Some(i)));
                }
            }
        }
        ends.sort_unstable();
        ends.dedup();
        ends
    }

    fn any_of(&self, forms: &[Form], s: &str, at: usize) -> Vec<usize> {
        forms
            .iter()
            .flat_map(|f| self.ends(&f.pieces, s, at))
            .collect()
    }
}

/// How many ASCII digits `s` starts with.
fn digits(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

/// The length of the quoted string `s` starts with, escapes as the
/// transcript writes them.
fn quoted(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => return Some(i + 1),
            b'\\' => match b.get(i + 1)? {
                b'"' | b'\\' | b'n' | b'r' | b't' => i += 2,
                b'x' if b.get(i + 2..i + 4)?.iter().all(u8::is_ascii_hexdigit) => i += 4,
                _ => return None,
            },
            0x20..=0x7e => i += 1,
            _ => return None,
        }
    }
    None
}

/// The lengths a duration for people (`4 min`, `1.5 s`, `300 µs`) at the
/// start of `s` may have.
fn duration(s: &str) -> Vec<usize> {
    let whole = digits(s);
    if whole == 0 {
        return Vec::new();
    }
    let mut num = whole;
    if let Some(frac) = s[whole..].strip_prefix('.') {
        let d = digits(frac);
        if d > 0 {
            num = whole + 1 + d;
        }
    }
    ["min", "ms", "µs", "s"]
        .iter()
        .filter(|u| s[num..].starts_with(&format!(" {u}")))
        .map(|u| num + 1 + u.len())
        .collect()
}

/// The length of `241.060` or `1.250300` at the start of `s`.
fn seconds(s: &str) -> Vec<usize> {
    let whole = digits(s);
    let Some(frac) = s.get(whole..).and_then(|r| r.strip_prefix('.')) else {
        return Vec::new();
    };
    let d = digits(frac);
    if whole == 0 || !(d == 3 || d == 6) {
        return Vec::new();
    }
    vec![whole + 1 + d]
}
