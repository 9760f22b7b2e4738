//! `parse` never panics, and every error points inside the text: arbitrary
//! strings, token soup, and mutations of the built-in scenarios.

use proptest::prelude::*;
use synack_sim::scenario::builtin::builtins;
use synack_sim::scenario::parse;

/// Parses `text`; on error checks that line and column point inside it.
fn check(text: &str) -> Result<(), TestCaseError> {
    match parse("fuzz.tcp", text) {
        Ok(s) => {
            for step in &s.steps {
                let line = usize::try_from(step.line).unwrap_or(usize::MAX);
                let raw = text.lines().nth(line.saturating_sub(1));
                prop_assert!(raw.is_some(), "step line {} outside the text", step.line);
                prop_assert!(!step.actions.is_empty());
                prop_assert!(raw.is_some_and(|r| r.contains(step.text.as_str())));
            }
        }
        Err(e) => {
            prop_assert_eq!(e.file.as_str(), "fuzz.tcp");
            prop_assert!(!e.message.is_empty());
            let line = usize::try_from(e.line).unwrap_or(usize::MAX);
            let raw = text.lines().nth(line.saturating_sub(1));
            prop_assert!(
                e.line >= 1 && raw.is_some(),
                "line {} outside: {}",
                e.line,
                e
            );
            let chars = raw.map_or(0, |r| r.chars().count());
            let col = usize::try_from(e.col).unwrap_or(usize::MAX);
            prop_assert!(
                (1..=chars + 1).contains(&col),
                "col {} outside a line of {} characters: {}",
                e.col,
                chars,
                e
            );
            let prefix = format!("fuzz.tcp:{}:{}: ", e.line, e.col);
            prop_assert!(e.to_string().starts_with(&prefix));
        }
    }
    Ok(())
}

/// Words of the language and near misses, to reach deep into the grammar.
const VOCAB: &[&str] = &[
    "profile",
    "rfc",
    "linux",
    "rtt",
    "mss",
    "seed",
    "isn",
    "port",
    "drop",
    "duplicate",
    "delay",
    "loss",
    "client",
    "server",
    "wait",
    "expect",
    "listen",
    "connect",
    "accept",
    "send",
    "recv",
    "shutdown",
    "close",
    "abort",
    "all",
    "bytes",
    "client->server",
    "server->client",
    "syn",
    "syn-ack",
    "ack",
    "data",
    "fin",
    "rst",
    "any",
    "#1",
    "#0",
    ",",
    "&",
    "#",
    "\"",
    "\"hi\"",
    "\"\\x4",
    "\\",
    "20ms",
    "1.5s",
    "0.5%",
    "100%",
    "4min",
    "1",
    "0",
    "65535",
    "65536",
    "18446744073709551616",
    "TIME-WAIT",
    "ESTABLISHED",
    "é",
    "\t",
    "\r",
    "-",
    ".",
    "%",
];

fn token_soup() -> impl Strategy<Value = String> {
    let token = prop::sample::select(VOCAB);
    let sep = prop::sample::select(&[" ", " ", " ", "", "\n", "\r\n"][..]);
    prop::collection::vec((token, sep), 0..40).prop_map(|parts| {
        parts
            .into_iter()
            .map(|(t, s)| format!("{t}{s}"))
            .collect::<String>()
    })
}

/// Splices `insert` into `base` in place of the characters `at..at+del`.
fn splice(base: &str, at: usize, del: usize, insert: &str) -> String {
    let chars: Vec<char> = base.chars().collect();
    let at = at % (chars.len() + 1);
    let end = at.saturating_add(del).min(chars.len());
    let mut out: String = chars.iter().take(at).collect();
    out.push_str(insert);
    out.extend(chars.iter().skip(end));
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        check(&text)?;
    }

    #[test]
    fn token_soup_never_panics(text in token_soup()) {
        check(&text)?;
    }

    #[test]
    fn mutated_builtins_never_panic(
        which in 0usize..64,
        edits in prop::collection::vec(
            (any::<usize>(), 0usize..12, prop::sample::select(VOCAB), any::<String>(), any::<bool>()),
            1..4,
        ),
    ) {
        let all = builtins();
        prop_assume!(!all.is_empty());
        let mut text = all.get(which % all.len()).map_or(String::new(), |b| b.text.to_string());
        for (at, del, word, junk, use_word) in edits {
            let insert = if use_word { word.to_string() } else { junk };
            text = splice(&text, at, del, &insert);
        }
        check(&text)?;
    }

    #[test]
    fn builtin_lines_shuffled_never_panic(which in 0usize..64, order in prop::collection::vec(any::<usize>(), 0..30)) {
        let all = builtins();
        prop_assume!(!all.is_empty());
        let text = all.get(which % all.len()).map_or("", |b| b.text);
        let lines: Vec<&str> = text.lines().collect();
        prop_assume!(!lines.is_empty());
        let shuffled: Vec<&str> = order.iter().filter_map(|i| lines.get(i % lines.len()).copied()).collect();
        check(&shuffled.join("\n"))?;
    }
}
