//! docs/differences.md lists every rule of the compare catalogue, generated
//! from the code: this test fails when the file is stale. Run it with
//! `SYNACK_BLESS=1` to rewrite the generated part.

use std::path::PathBuf;
use synack_sim::compare::RULES;

const BEGIN: &str =
    "<!-- catalogue: generated from sim/src/compare/rules.rs by tests/tests/differences_doc.rs -->";
const END: &str = "<!-- end of catalogue -->";

/// The catalogue as Markdown.
fn catalogue() -> String {
    let mut out = String::new();
    for r in RULES.iter() {
        let fields: Vec<&str> = r.explains.iter().map(|f| f.name()).collect();
        out.push_str(&format!(
            "### `{}`\n\n- explains: {}\n- matches: {}\n- why: {}\n- source: {}\n\n",
            r.name,
            fields.join(", "),
            r.matches,
            r.why,
            r.source
        ));
    }
    out
}

#[test]
fn differences_md_lists_every_rule_as_the_code_has_it() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/differences.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_default();
    let (Some(b), Some(e)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!(
            "{}: the markers {BEGIN:?} and {END:?} are missing",
            path.display()
        );
    };
    let current = &doc[b + BEGIN.len()..e];
    let want = format!("\n\n{}", catalogue());
    if current != want {
        if std::env::var_os("SYNACK_BLESS").is_some() {
            let fresh = format!("{}{BEGIN}{want}{}", &doc[..b], &doc[e..]);
            std::fs::write(&path, fresh).expect("docs/differences.md is writable");
            return;
        }
        panic!(
            "{} is stale: run `SYNACK_BLESS=1 cargo test -p synack-tests --test differences_doc`",
            path.display()
        );
    }
    for r in RULES.iter() {
        assert!(doc.contains(&format!("`{}`", r.name)), "{}", r.name);
    }
}
