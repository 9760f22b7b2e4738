//! A page of docs/, read: sections, tables, code spans, examples.

use std::path::PathBuf;

/// A Markdown page of docs/ (by default docs/transcript-json.md), read into
/// what the checks need.
#[derive(Clone, Debug)]
pub struct Doc {
    pub path: PathBuf,
    pub text: String,
}

/// The heading of each kind's section.
pub fn kind_heading(kind: &str) -> String {
    format!("`{kind}`")
}

impl Doc {
    /// Reads docs/transcript-json.md.
    pub fn load() -> Doc {
        Doc::named("transcript-json.md")
    }

    /// Reads docs/NAME.
    pub fn named(name: &str) -> Doc {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../docs")
            .join(name);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Doc { path, text }
    }

    /// The section whose heading is exactly `title` (after the `#`s), up to
    /// the next heading of the same or a higher level.
    pub fn section(&self, title: &str) -> &str {
        let mut start = None;
        let mut level = 0;
        let mut offset = 0;
        let mut fenced = false;
        for line in self.text.split_inclusive('\n') {
            if line.starts_with("```") {
                fenced = !fenced;
            }
            let hashes = line.chars().take_while(|&c| c == '#').count();
            let is_heading = !fenced && hashes > 0 && line[hashes..].starts_with(' ');
            match start {
                None if is_heading && line[hashes..].trim() == title => {
                    start = Some(offset + line.len());
                    level = hashes;
                }
                Some(s) if is_heading && hashes <= level => return &self.text[s..offset],
                _ => {}
            }
            offset += line.len();
        }
        match start {
            Some(s) => &self.text[s..],
            None => panic!("{} has no section headed {title:?}", self.path.display()),
        }
    }

    /// The rows of the first table of the section `title`, without its header
    /// and separator rows, as cells.
    pub fn table(&self, title: &str) -> Vec<Vec<String>> {
        let rows: Vec<Vec<String>> = self
            .section(title)
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .map(cells)
            .collect();
        assert!(
            rows.len() > 2,
            "section {title:?} of {} has no table",
            self.path.display()
        );
        rows.into_iter().skip(2).collect()
    }

    /// The code span that opens each row's first cell in section `title`.
    pub fn first_codes(&self, title: &str) -> Vec<String> {
        self.table(title)
            .iter()
            .map(|row| {
                let cell = row.first().map_or("", String::as_str);
                code_span(cell).unwrap_or_else(|| {
                    panic!("section {title:?}: the first cell {cell:?} is not `code`")
                })
            })
            .collect()
    }

    /// [`Doc::first_codes`] with the quotes of JSON strings taken off:
    /// `"client->server"` is the value client->server.
    pub fn values(&self, title: &str) -> Vec<String> {
        self.first_codes(title)
            .into_iter()
            .map(
                |v| match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                    Some(inner) => inner.to_string(),
                    None => v,
                },
            )
            .collect()
    }

    /// The cell in column `col` of the row of section `title` whose value is
    /// `value`.
    pub fn cell(&self, title: &str, value: &str, col: usize) -> String {
        let values = self.values(title);
        let rows = self.table(title);
        let i = values
            .iter()
            .position(|v| v == value)
            .unwrap_or_else(|| panic!("section {title:?} does not list {value:?}"));
        rows[i].get(col).cloned().unwrap_or_default()
    }

    /// The rules of docs/differences.md's catalogue, in order: each
    /// `` ### `name` `` with the sentence of its `- why:` line.
    pub fn catalogue(&self) -> Vec<(String, String)> {
        let mut rules: Vec<(String, String)> = Vec::new();
        for line in self.section("The catalogue").lines() {
            if let Some(name) = line.strip_prefix("### `").and_then(|r| r.strip_suffix('`')) {
                rules.push((name.to_string(), String::new()));
            } else if let (Some(why), Some(last)) = (line.strip_prefix("- why: "), rules.last_mut())
            {
                last.1 = why.to_string();
            }
        }
        assert!(
            !rules.is_empty() && rules.iter().all(|(_, why)| !why.is_empty()),
            "{}: the catalogue has no rules, or a rule without `- why:`",
            self.path.display()
        );
        rules
    }

    /// Every line of every ```json block.
    pub fn json_examples(&self) -> Vec<String> {
        self.code_blocks("json").into_iter().flatten().collect()
    }

    /// The lines of each fenced block whose info string is `tag` (`""`: no
    /// tag).
    pub fn code_blocks(&self, tag: &str) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        let mut open: Option<(bool, Vec<String>)> = None;
        for line in self.text.lines() {
            match (line.strip_prefix("```"), open.take()) {
                (Some(info), None) => open = Some((info.trim() == tag, Vec::new())),
                (Some(_), Some((wanted, lines))) => {
                    if wanted {
                        out.push(lines);
                    }
                }
                (None, Some((wanted, mut lines))) => {
                    lines.push(line.to_string());
                    open = Some((wanted, lines));
                }
                (None, None) => {}
            }
        }
        out
    }
}

/// The cells of a table row: `| a | b \| c |` gives `a`, `b | c`.
fn cells(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|');
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cur.push('|');
                chars.next();
            }
            '|' => out.push(std::mem::take(&mut cur).trim().to_string()),
            _ => cur.push(c),
        }
    }
    out
}

/// The code span a cell starts with: `` `x` `` or ``` `` x `y` `` ```.
pub(super) fn code_span(cell: &str) -> Option<String> {
    if let Some(rest) = cell.strip_prefix("`` ") {
        return rest.split_once(" ``").map(|(code, _)| code.to_string());
    }
    let rest = cell.strip_prefix('`')?;
    rest.split_once('`').map(|(code, _)| code.to_string())
}
