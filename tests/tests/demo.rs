//! `synack demo`: echo in the simulator and on the real kernel side by side,
//! after a legend, for any user (root or not); and, where the real side
//! cannot run, the simulation alone with one line on stderr saying why and
//! what to do.

use std::process::{Command, Output};
use synack_tests::real_probe::{live_or_skip as live, run, As};

const SYNACK: &str = env!("CARGO_BIN_EXE_synack-cli");

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn demo_shows_echo_side_by_side_with_a_legend_as_root_and_as_nobody() {
    if !live() {
        return;
    }
    for who in As::BOTH {
        let o = run(SYNACK, who, &["demo", "--color", "never"]);
        let (out, err) = (text(&o.stdout), text(&o.stderr));
        assert_eq!(o.status.code(), Some(0), "{who:?}: {err}");
        assert!(err.is_empty(), "{who:?}: {err}");
        // The legend explains the two columns and the marks.
        assert!(out.contains("How to read it"), "{out}");
        for mark in ["│", "≈", "✗"] {
            assert!(
                out.contains(&format!("\n  {mark} ")),
                "legend lacks {mark}: {out}"
            );
        }
        // Both columns, and every pair explained.
        assert!(out.contains("simulation (rfc profile)"), "{out}");
        assert!(out.contains("real (Linux "), "{out}");
        assert!(out.contains(" 0 unexplained"), "{who:?}: {out}");
        assert!(out.contains("client connect(7) → ok: connected"), "{out}");
    }
}

/// uid 0 without any capability (setpriv empties the bounding set): no
/// namespace can be made, as in a locked-down container.
fn without_capabilities(args: &[&str]) -> Option<Output> {
    let o = Command::new("setpriv")
        .args(["--bounding-set=-all", "--inh-caps=-all", "--", SYNACK])
        .args(args)
        .output()
        .ok()?;
    Some(o)
}

#[test]
fn demo_where_the_real_side_cannot_run_shows_the_simulation_and_says_why() {
    if !live() {
        return;
    }
    // SAFETY: geteuid(2) cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        // preflight passed as an ordinary user: setpriv cannot take away
        // what this user could not do anyway; root is needed for the test.
        eprintln!("skipped: the test drops root's capabilities");
        return;
    }
    let o = without_capabilities(&["demo", "--color", "never"]).expect("setpriv runs");
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(0), "{err}");
    // One line, saying why and what to do.
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("synack: the real run cannot start: "),
        "{err}"
    );
    assert!(err.contains("run synack as"), "no fix named: {err}");
    assert!(err.contains("the demo shows the simulation alone"), "{err}");
    // The simulation, whole, and no real column.
    assert!(out.contains("simulated"), "{out}");
    assert!(!out.contains("real (Linux "), "{out}");
    assert!(out.contains("FIN-WAIT-2 → TIME-WAIT"), "{out}");
    // The same command, asked for the comparison itself, exits 3.
    let c = without_capabilities(&["compare", "echo"]).expect("setpriv runs");
    assert_eq!(c.status.code(), Some(3), "{}", text(&c.stderr));
}
