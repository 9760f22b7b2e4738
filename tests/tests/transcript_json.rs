//! Every JSON line that `synack sim`, `real`, `compare`, `annotate` and
//! `capture` print follows docs/transcript-json.md, and the page describes
//! exactly what they print.
//!
//! `sim`, `annotate` and `capture` run in this process through `synack::run`
//! (the code behind the binary, `-o` into a scratch file); `real` and
//! `compare` need a process of their own (they enter a network namespace),
//! so they run the test binary `synack-cli`, as root. Each line goes through `synack_tests::transcript_json::Checker`:
//! serde types that reject unknown keys, then key order, documented values
//! and forms, and the rules of each kind.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use synack::{Cli, Outcome};
use synack_tests::loopback::{echo, Reaped};
use synack_tests::real_probe::{preflight, As};
use synack_tests::transcript_json::{
    check_all, core, doc_and_forms, kind_heading, kinds, nested, variants_of, AnalysisFlag,
    Checker, Closing, Command, Direction, Doc, Fate, Forms, Opening, Profile, Source, State, Timer,
    Verdict, FLAG_ORDER, PLACEHOLDERS,
};

/// How a command ended: its outcome, or its exit code and message.
type Ended = Result<Outcome, (u8, String)>;

/// Runs `synack ARGS -o FILE` in this process; the lines written and how
/// the command ended.
fn run(args: &[&str], dir: &Path) -> (Vec<String>, Ended) {
    let out = dir.join(format!(
        "out-{}.jsonl",
        args.join("_").replace(['/', '.'], "_")
    ));
    let mut argv = vec!["synack"];
    argv.extend_from_slice(args);
    let out_str = out.to_str().expect("UTF-8 scratch path");
    argv.extend_from_slice(&["-o", out_str]);
    let cli = <Cli as clap::Parser>::try_parse_from(&argv)
        .unwrap_or_else(|e| panic!("synack {}: {e}", args.join(" ")));
    let outcome = synack::run(&cli).map_err(|e| (synack::error::exit_code(&e), format!("{e:#}")));
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    (text.lines().map(str::to_string).collect(), outcome)
}

fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("a scratch directory")
}

// --- The page describes the types ------------------------------------------

#[test]
fn each_kind_table_lists_exactly_the_keys_in_printed_order() {
    let doc = Doc::load();
    let listed = doc.values("The kinds of line");
    let known: Vec<&str> = kinds().iter().map(|(k, _)| *k).collect();
    assert_eq!(listed, known, "the table \"The kinds of line\"");
    for (kind, fields) in kinds() {
        assert_eq!(
            doc.first_codes(&kind_heading(kind)),
            fields,
            "the key table of section `{kind}`"
        );
    }
}

#[test]
fn nested_objects_are_described_with_their_keys() {
    let doc = Doc::load();
    for (key, fields) in nested() {
        let section = match key {
            "bytes_read" | "final_state" => doc.section("`summary`"),
            _ => doc.section("`conn_summary`"),
        };
        let row = section
            .lines()
            .find(|l| l.starts_with(&format!("| `{key}` |")))
            .unwrap_or_else(|| panic!("no row for `{key}`"));
        for f in fields {
            assert!(
                row.contains(&format!("\"{f}\"")),
                "`{key}` does not name \"{f}\": {row}"
            );
        }
    }
}

#[test]
fn value_tables_list_exactly_the_values() {
    let doc = Doc::load();
    let tables: [(&str, &[&str]); 10] = [
        ("Directions", variants_of::<Direction>()),
        ("Fates", variants_of::<Fate>()),
        ("Analysis flags", variants_of::<AnalysisFlag>()),
        ("States", variants_of::<State>()),
        ("Sources", variants_of::<Source>()),
        ("Timers", variants_of::<Timer>()),
        ("Openings", variants_of::<Opening>()),
        ("Closings", variants_of::<Closing>()),
        ("Profiles", variants_of::<Profile>()),
        ("Verdicts", variants_of::<Verdict>()),
    ];
    for (title, values) in tables {
        assert_eq!(doc.values(title), values, "the table \"{title}\"");
    }
    assert_eq!(doc.values("Flags"), FLAG_ORDER, "the table \"Flags\"");
    assert_eq!(doc.values("Placeholders"), PLACEHOLDERS, "the placeholders");
}

#[test]
fn the_documented_values_are_the_cores_own() {
    use synack_sim::transcript::{AnalysisFlag as A, Fate as F, StateSource as S};
    let doc = Doc::load();
    // Same names, same order: `analysis` lists flags in this order.
    let core: Vec<&str> = A::ALL.iter().map(|f| f.name()).collect();
    assert_eq!(doc.values("Analysis flags"), core);
    let core: Vec<&str> = synack_sim::State::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(doc.values("States"), core);
    let fates: Vec<&str> = [
        F::Delivered,
        F::Dropped,
        F::Duplicated,
        F::Captured,
        F::Injected,
    ]
    .into_iter()
    .map(|f| {
        // A new fate fails to compile here until it is listed.
        match f {
            F::Delivered | F::Dropped | F::Duplicated | F::Captured | F::Injected => f.name(),
        }
    })
    .collect();
    assert_eq!(doc.values("Fates"), fates);
    let core: Vec<&str> = synack_sim::transcript::TimerKind::ALL
        .iter()
        .map(|t| t.name())
        .collect();
    assert_eq!(doc.values("Timers"), core);
    let sources: Vec<&str> = [S::Sim, S::Wire, S::Kernel]
        .into_iter()
        .map(|s| match s {
            S::Sim | S::Wire | S::Kernel => s.name(),
        })
        .collect();
    assert_eq!(doc.values("Sources"), sources);
    let flags = synack_sim::Flags(0xff).names();
    assert_eq!(flags, FLAG_ORDER.join(","));
}

#[test]
fn the_compare_values_are_the_cores_own() {
    let doc = Doc::load();
    let names = |v: Vec<&'static str>| v;
    assert_eq!(
        doc.values("Profiles"),
        names(core::profiles().iter().map(|p| p.name()).collect())
    );
    assert_eq!(
        doc.values("Verdicts"),
        names(core::verdicts().iter().map(|v| v.name()).collect())
    );
    assert_eq!(
        doc.values("Fields"),
        names(core::fields().iter().map(|f| f.name()).collect())
    );
    let forms = Forms::from_doc(&doc);
    let rules: Vec<(String, String)> = synack_sim::compare::RULES
        .iter()
        .map(|r| (r.name.to_string(), r.why.to_string()))
        .collect();
    assert_eq!(forms.rules, rules, "the catalogue of docs/differences.md");
}

/// Every call the core can make, every result, every error and every note
/// (but free text), in the words of the CLI: each follows a documented form.
#[test]
fn the_forms_cover_every_call_result_error_and_note_of_the_core() {
    use synack::render::words::{CallText, NoteText, ResultText};
    use synack_sim::calls::CallResult;
    use synack_sim::transcript::Note;
    let (_, forms) = doc_and_forms();
    for c in &core::calls() {
        let t = CallText(c).to_string();
        assert!(forms.find(&forms.calls, &t).is_some(), "call {t:?}");
    }
    for f in core::failures() {
        let t = ResultText(&CallResult::Failed(f)).to_string();
        let words = t.strip_prefix("error: ").unwrap_or_default();
        assert!(
            forms.find(&forms.errors, words).is_some(),
            "{f:?}: {words:?} is not in the Errors table"
        );
    }
    for r in &core::results() {
        let t = ResultText(r).to_string();
        assert!(forms.find(&forms.results, &t).is_some(), "result {t:?}");
    }
    for n in core::notes().iter().filter(|n| !matches!(n, Note::Text(_))) {
        let t = NoteText(n).to_string();
        let (form, endpoint, _) = forms
            .notes
            .iter()
            .find(|(f, _, _)| forms.find(std::slice::from_ref(f), &t).is_some())
            .unwrap_or_else(|| panic!("note {t:?} matches no documented note text"));
        assert_eq!(
            *endpoint,
            n.endpoint().is_some(),
            "note {t:?} (form {:?}): its endpoint",
            form.text
        );
    }
}

#[test]
fn every_example_on_the_page_passes() {
    let (doc, forms) = doc_and_forms();
    let examples = doc.json_examples();
    assert!(examples.len() >= 10, "{examples:?}");
    for line in &examples {
        let commands = [
            Command::Sim,
            Command::Real,
            Command::Compare,
            Command::Annotate,
        ];
        let errors: Vec<String> = commands
            .into_iter()
            .filter_map(|c| {
                let mut ch = Checker::new(&doc, &forms, c);
                ch.sequence = false;
                ch.line(line).err().map(|e| format!("as {c:?}: {e}"))
            })
            .collect();
        assert!(
            errors.len() < commands.len(),
            "{line}\n{}",
            errors.join("\n")
        );
    }
}

// --- The output follows the page --------------------------------------------

#[test]
fn every_builtin_in_both_profiles() {
    let (doc, forms) = doc_and_forms();
    let dir = scratch();
    for b in synack_sim::scenario::builtin::builtins() {
        for profile in ["rfc", "linux"] {
            let what = format!("synack sim {} --profile {profile}", b.name);
            let (lines, outcome) = run(
                &["sim", b.name, "--format", "json", "--profile", profile],
                dir.path(),
            );
            assert_eq!(outcome.ok(), Some(Outcome::Ok), "{what}");
            check_all(&what, Command::Sim, &lines, &doc, &forms);
            let (lines, outcome) = run(
                &[
                    "sim",
                    b.name,
                    "--summary",
                    "--format",
                    "json",
                    "--profile",
                    profile,
                ],
                dir.path(),
            );
            assert_eq!(outcome.ok(), Some(Outcome::Ok), "{what} --summary");
            assert_eq!(lines.len(), 1, "{what} --summary: one object");
            check_all(
                &format!("{what} --summary"),
                Command::Sim,
                &lines,
                &doc,
                &forms,
            );
        }
    }
}

/// Calls and results that the built-ins do not show, failed checks.
const MORE_SCENARIOS: [(&str, &str, bool); 4] = [
    (
        "calls.tcp",
        r#"port client 40000
isn client 4294967000
server listen 8080
server listen 8080               # already listening
client send "early"              # not connected yet
client connect
server accept
client send "hello, \"world\"\x01\t\\\n"
server recv 5
server recv
client send 100 bytes
server recv 1
server recv
client shutdown
client send "late"               # closing
server recv all                  # end of stream
server send "x"
client recv 1
server close
wait 1s
server accept                    # not listening
wait until client CLOSED max 1s  # fails: still TIME-WAIT
expect client CLOSED             # fails
"#,
        true,
    ),
    (
        "reset.tcp",
        r#"server listen 8080
client connect
server accept
server accept                    # one connection per listen: blocks forever
client send "unread"
wait 100ms
server close                     # unread data: RST
client recv                      # reset
client send "after"
"#,
        false,
    ),
    (
        "abort.tcp",
        r#"server listen 8080
client connect
server accept
server send 50 bytes
client recv all & server abort
client connect 9000
"#,
        false,
    ),
    (
        "udp.tcp",
        r#"transport udp
client send "early"              # nobody has bound port 7 yet: discarded
wait 100ms
server bind 7
client send 70000 bytes          # too long for a datagram
client send 100 bytes
client send "x"
server recv
server recv
server recv                      # nothing more will come
client close
server close
"#,
        false,
    ),
];

#[test]
fn scenarios_with_every_kind_of_result_and_failed_checks() {
    let (doc, forms) = doc_and_forms();
    let dir = scratch();
    for (name, text, fails) in MORE_SCENARIOS {
        let file = dir.path().join(name);
        std::fs::write(&file, text).expect("scenario written");
        let f = file.to_str().expect("UTF-8 path");
        for profile in ["rfc", "linux"] {
            let what = format!("synack sim {name} --profile {profile}");
            let (lines, outcome) = run(
                &["sim", f, "--format", "json", "--profile", profile],
                dir.path(),
            );
            let outcome = outcome.unwrap_or_else(|(_, e)| panic!("{what}: {e}"));
            assert_eq!(matches!(outcome, Outcome::ExpectFailed(_)), fails, "{what}");
            check_all(&what, Command::Sim, &lines, &doc, &forms);
        }
    }
}

/// Every capture the tests hold: the good ones, and the damaged ones (which
/// print notes about the records they could not read).
fn captures() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out = Vec::new();
    for sub in ["captures", "bad"] {
        let entries = std::fs::read_dir(root.join(sub)).expect("the fixtures directory");
        for e in entries {
            let p = e.expect("a directory entry").path();
            if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn annotate_every_capture() {
    let (doc, forms) = doc_and_forms();
    let dir = scratch();
    let mut printed = 0;
    for path in captures() {
        let p = path.to_str().expect("UTF-8 path");
        let good = path.parent().is_some_and(|d| d.ends_with("captures"));
        let (lines, outcome) = run(&["annotate", p, "--format", "json"], dir.path());
        assert!(
            !good || outcome.is_ok(),
            "annotate {p}: {:?}",
            outcome.err()
        );
        if lines.is_empty() {
            // A file too damaged to print anything (its error is on stderr).
            assert!(!good, "annotate {p} printed nothing");
            continue;
        }
        printed += 1;
        check_all(
            &format!("annotate {p}"),
            Command::Annotate,
            &lines,
            &doc,
            &forms,
        );
        let (lines, _) = run(
            &["annotate", p, "--summary", "--format", "json"],
            dir.path(),
        );
        check_all(
            &format!("annotate {p} --summary"),
            Command::Annotate,
            &lines,
            &doc,
            &forms,
        );
        let last = lines.last().map_or("", String::as_str);
        assert!(last.contains("\"kind\":\"capture_summary\""), "{p}: {last}");
    }
    assert!(printed >= 8, "only {printed} captures annotated");
}

// --- Live capture -------------------------------------------------------------

const REQUIRE_LIVE: &str = "SYNACK_REQUIRE_LIVE";

/// Skips with a printed reason, or fails where live tests are required.
fn skip(test: &str, reason: &str) {
    if std::env::var(REQUIRE_LIVE).is_ok_and(|v| v == "1") {
        panic!("{test}: {reason} ({REQUIRE_LIVE}=1, so this is a failure, not a skip)");
    }
    eprintln!("{test}: skipped: {reason}");
}

fn euid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

#[test]
fn capture_of_a_live_echo() {
    const TEST: &str = "capture_of_a_live_echo";
    match euid() {
        Some(0) => {}
        Some(uid) => {
            return skip(
                TEST,
                &format!("not root (uid {uid}): live capture needs root"),
            )
        }
        None => return skip(TEST, "cannot tell the uid (no /proc/self)"),
    }
    let (doc, forms) = doc_and_forms();
    let dir = scratch();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("an address").port();
    let out = dir.path().join("capture.jsonl");
    // A process of its own, as a user runs it (it drops root to `nobody`
    // once the device is open, which must not happen to this test binary).
    let mut capture = Reaped(
        std::process::Command::new(SYNACK)
            .args(["capture", "--port", &port.to_string(), "--count", "10"])
            .args(["--format", "json", "-o"])
            .arg(&out)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("synack capture starts"),
    );
    // libpcap opens in the background: echo until ten segments were captured
    // (the first echo may be seen only in part, which the page covers too).
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut status = None;
    while Instant::now() < deadline {
        if let Some(s) = capture.0.try_wait().expect("the capture's status") {
            status = Some(s);
            break;
        }
        echo(port, &listener);
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut err = String::new();
    if status.is_some() {
        if let Some(mut e) = capture.0.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
    }
    let status =
        status.unwrap_or_else(|| panic!("{TEST}: the capture never saw 10 segments in 30 s"));
    match status.code() {
        Some(0) => {}
        Some(3) => return skip(TEST, &err),
        code => panic!("{TEST}: exit {code:?}: {err}"),
    }
    let text = std::fs::read_to_string(&out).expect("the capture's output");
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let segments = lines
        .iter()
        .filter(|l| l.contains("\"kind\":\"segment\""))
        .count();
    assert_eq!(segments, 10, "{text}");
    check_all("synack capture", Command::Capture, &lines, &doc, &forms);
}

// --- The checks can fail ------------------------------------------------------

#[test]
fn the_checker_rejects_what_the_page_does_not_allow() {
    let (doc, forms) = doc_and_forms();
    let good = r#"{"kind":"segment","t_us":0,"dir":"client->server","flags":"SYN","seq":1,"ack":null,"rel_seq":0,"rel_ack":null,"len":0,"win":65535,"fate":"delivered","analysis":[],"frame":null,"id":1}"#;
    let check = |line: &str| {
        let mut c = Checker::new(&doc, &forms, Command::Sim);
        c.line(line)
    };
    assert!(check(good).is_ok(), "{:?}", check(good).err());
    for (bad, why) in [
        (good.replace("\"rel_seq\"", "\"relseq\""), "unknown field"),
        (good.replace(",\"id\":1", ""), "missing field `id`"),
        (good.replace("\"ack\":null,", ""), "missing field `ack`"),
        (good.replace("\"SYN\"", "\"ACK,SYN\""), "order"),
        (good.replace("\"SYN\"", "\"SYN,ACK\""), "null exactly when ACK"),
        (good.replace("\"delivered\"", "\"lost\""), "unknown variant"),
        (good.replace("\"delivered\"", "\"captured\""), "printed by"),
        (good.replace("[]", "[\"window_update\",\"retransmission\"]"), "order"),
        (good.replace("\"id\":1", "\"id\":2"), "ids count"),
        (good.replace("\"t_us\":0,", "\"t_us\":0,\"conn\":1,"), "conn"),
        (
            good.replace(
                "\"t_us\":0,\"dir\":\"client->server\"",
                "\"dir\":\"client->server\",\"t_us\":0",
            ),
            "out of order",
        ),
        (
            r#"{"kind":"app","t_us":0,"endpoint":"client","call":"listen(80)","result":"ok!"}"#
                .into(),
            "no documented result",
        ),
        (
            r#"{"kind":"app","t_us":0,"endpoint":"client","call":"select(80)","result":"ok"}"#.into(),
            "no documented call",
        ),
        (
            r#"{"kind":"note","t_us":0,"text":"expect client CLOSED: ok"}"#.into(),
            "endpoint",
        ),
        (
            r#"{"kind":"timer","t_us":9,"endpoint":"client","timer":"time-wait","after_us":9,"rto_us":9}"#
                .into(),
            "rto_us",
        ),
        (r#"{"kind":"inject","t_us":0}"#.into(), "unknown kind"),
        (r#"{"kind":"pair","t_us":0}"#.into(), "printed by `compare`"),
    ] {
        let err = check(&bad).err().unwrap_or_else(|| panic!("accepted: {bad}"));
        assert!(err.contains(why), "{bad}\n  said {err:?}, not {why:?}");
    }
}

#[test]
fn the_checker_rejects_undocumented_pair_and_compare_lines() {
    let (doc, forms) = doc_and_forms();
    let sim = r#"{"kind":"app","t_us":0,"endpoint":"server","call":"listen(7)","result":"ok"}"#;
    let real = r#"{"kind":"app","t_us":3189,"endpoint":"server","call":"listen(7)","result":"ok"}"#;
    let same = format!(
        r#"{{"kind":"pair","sim":{sim},"real":{real},"verdict":"same","rule":null,"why":null}}"#
    );
    let (rule, why) = forms.rules.first().cloned().expect("a rule");
    let explained = format!(
        r#"{{"kind":"pair","sim":{sim},"real":null,"verdict":"explained","rule":"{rule}","why":{}}}"#,
        serde_json::to_string(&why).expect("a JSON string")
    );
    let unexplained = format!(
        r#"{{"kind":"pair","sim":null,"real":{real},"verdict":"unexplained","rule":null,"why":"only in the real run; no known difference explains it"}}"#
    );
    let compare = r#"{"kind":"compare","profile":"rfc","kernel":"6.18.44","pairs":1,"same":1,"explained":0,"unexplained":0}"#;
    let check = |lines: &[&str]| {
        let mut c = Checker::new(&doc, &forms, Command::Compare);
        lines.iter().try_for_each(|l| c.line(l).map(|_| ()))
    };
    for good in [&same, &explained, &unexplained] {
        assert!(check(&[good]).is_ok(), "{good}: {:?}", check(&[good]).err());
    }
    assert!(
        check(&[&same, compare]).is_ok(),
        "{:?}",
        check(&[&same, compare]).err()
    );
    let undocumented_why = "differs in win; nobody knows why";
    for (bad, why) in [
        // Keys and values the page does not list.
        (same.replace("\"why\":null", "\"why\":null,\"score\":1"), "unknown field"),
        (same.replace(",\"why\":null", ""), "missing field `why`"),
        (same.replace("\"same\"", "\"similar\""), "unknown variant"),
        (
            same.replace("\"verdict\":\"same\",", "")
                .replace("\"why\":null", "\"why\":null,\"verdict\":\"same\""),
            "out of order",
        ),
        // Its events are lines of `sim` and `real`, as the page has them.
        (same.replace("\"call\"", "\"syscall\""), "its `sim` event"),
        (same.replace("listen(7)\",\"result\":\"ok\"}", "listen(7)\",\"result\":\"okay\"}"), "no documented result"),
        (
            same.replacen(sim, &sim.replace("\"t_us\":0,", "\"t_us\":0,\"conn\":1,"), 1),
            "conn",
        ),
        (
            same.replacen(sim, r#"{"kind":"note","t_us":0,"text":"wait 1 s"}"#, 1),
            "kinds a pair holds",
        ),
        (
            same.replacen(
                real,
                r#"{"kind":"timer","t_us":9,"endpoint":"client","timer":"retransmit","after_us":9,"rto_us":9}"#,
                1,
            ),
            "printed by",
        ),
        (
            same.replacen(
                real,
                r#"{"kind":"state","t_us":9,"endpoint":"client","from":"CLOSED","to":"LISTEN","source":"kernel"}"#,
                1,
            ),
            "a pair of app and state",
        ),
        (
            same.replacen(
                sim,
                r#"{"kind":"state","t_us":9,"endpoint":"client","from":"CLOSED","to":"LISTEN","source":"kernel"}"#,
                1,
            ),
            "printed by",
        ),
        (
            same.replace(&format!("\"sim\":{sim}"), "\"sim\":null")
                .replace(&format!("\"real\":{real}"), "\"real\":null"),
            "neither event",
        ),
        // Verdicts, rules and whys.
        (same.replace("\"rule\":null", "\"rule\":\"delayed-ack\""), "Verdicts table"),
        (same.replace("\"why\":null", "\"why\":\"because\""), "with why"),
        (same.replace(&format!(",\"real\":{real}"), ",\"real\":null"), "one event"),
        (explained.replace(&rule, "made-up"), "not in docs/differences.md"),
        (explained.replace(",\"why\":\"", ",\"why\":\"x"), "docs/differences.md says"),
        (explained.replace(&format!("\"rule\":\"{rule}\""), "\"rule\":null"), "without its rule"),
        (unexplained.replace("only in the real run; no known difference explains it", undocumented_why), "no documented why"),
        (unexplained.replace("only in the real run", "only in the simulation"), "where `sim` is `null`"),
        (unexplained.replace("only in the real run", "differs in win, flags"), "no documented why"),
        // The closing line.
        (compare.replace("\"rfc\"", "\"bsd\""), "unknown variant"),
        (compare.replace("\"pairs\":1", "\"pairs\":2"), "is not same + explained"),
        (compare.replace("\"kernel\":\"6.18.44\",", ""), "missing field `kernel`"),
        (compare.replace("\"unexplained\":0", "\"unexplained\":0,\"strict\":false"), "unknown field"),
    ] {
        let err = check(&[&bad]).err().unwrap_or_else(|| panic!("accepted: {bad}"));
        assert!(err.contains(why), "{bad}\n  said {err:?}, not {why:?}");
    }
    // The totals must be those of the pair lines before it.
    let err = check(&[&explained, compare]).err().unwrap_or_default();
    assert!(err.contains("pair lines before"), "{err}");
    // A field list in the wrong order is not a documented why either.
    let fields = unexplained.replace(
        "only in the real run; no known difference explains it",
        "differs in win, len; no known difference explains it",
    );
    let both = fields.replace("\"sim\":null", &format!("\"sim\":{sim}"));
    assert!(check(&[&both.replace("win, len", "len, win")]).is_ok());
    assert!(check(&[&both]).is_err_and(|e| e.contains("no documented why")));
}

// --- Real runs and comparisons -----------------------------------------------

/// The test binary `synack`, run as a process of its own.
const SYNACK: &str = env!("CARGO_BIN_EXE_synack-cli");

/// The built-ins `real` and `compare` run: a plain exchange, a loss, a
/// half-close, a refused connection.
const REAL_BUILTINS: [&str; 4] = ["echo", "lost-data", "half-close", "refused"];

#[test]
fn real_and_compare_follow_the_page() {
    const TEST: &str = "real_and_compare_follow_the_page";
    if let Err(why) = preflight() {
        return skip(TEST, &why);
    }
    let (doc, forms) = doc_and_forms();
    let mut jobs: Vec<(Command, Vec<&str>)> = Vec::new();
    for b in REAL_BUILTINS {
        jobs.push((Command::Real, vec!["real", b, "--format", "json"]));
        jobs.push((Command::Compare, vec!["compare", b, "--format", "json"]));
    }
    // States polled from inet_diag: the run's own note.
    jobs.push((
        Command::Real,
        vec!["real", "echo", "--states", "inet-diag", "--format", "json"],
    ));
    // Two at a time: the machine is small, and each run takes seconds.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let outputs: Vec<std::sync::Mutex<Option<std::process::Output>>> =
        jobs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some((_, args)) = jobs.get(i) else { break };
                let o = synack_tests::real_probe::run(SYNACK, As::Root, args);
                if let Ok(mut slot) = outputs[i].lock() {
                    *slot = Some(o);
                }
            });
        }
    });
    let mut kinds_seen = std::collections::BTreeSet::new();
    for ((command, args), out) in jobs.iter().zip(outputs) {
        let what = format!("synack {}", args.join(" "));
        let o = out
            .into_inner()
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("{what}: did not run"));
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{what}: {}\n{}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
        let lines: Vec<String> = stdout.lines().map(str::to_string).collect();
        check_all(&what, *command, &lines, &doc, &forms);
        eprintln!("{what}: {} lines follow the page", lines.len());
        for l in &lines {
            #[derive(serde::Deserialize)]
            struct KindOnly {
                kind: String,
            }
            if let Ok(k) = serde_json::from_str::<KindOnly>(l) {
                kinds_seen.insert(k.kind);
            }
        }
        if *command == Command::Compare {
            let last = lines.last().map_or("", String::as_str);
            assert!(last.contains("\"kind\":\"compare\""), "{what}: {last}");
        }
        if args.contains(&"inet-diag") {
            assert!(
                stdout.contains("states polled from inet_diag"),
                "{what}: no note on the polled states"
            );
        }
    }
    let kinds: Vec<&str> = kinds_seen.iter().map(String::as_str).collect();
    assert_eq!(
        kinds,
        ["app", "compare", "note", "pair", "segment", "state"],
        "the kinds real and compare printed"
    );
}
