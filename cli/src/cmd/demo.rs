//! `synack demo`: the built-in `echo` scenario in the simulator and on the
//! real kernel, side by side, after a legend that teaches how to read them.
//! Where the real side cannot run (no user namespaces, say), the simulation
//! alone, and one line saying why and how to fix it.

use super::compare as compare_cmd;
use super::real as real_cmd;
use crate::args::{DemoArgs, Format};
use crate::output::Output;
use crate::render::compare::{write_json, write_text};
use crate::Outcome;
use anyhow::{Context, Result};
use std::io::Write;
use synack_capture::real::run::RealOptions;
use synack_sim::world::RunOptions;

/// The built-in the demo runs.
pub const DEMO_SCENARIO: &str = "echo";

/// How to read a transcript, printed before the demo's.
pub const LEGEND: &str = "\
synack demo: the built-in \"echo\" scenario, simulated. A client connects and sends
\"Michael\"; the server answers \"Hello, Michael!\"; the client half-closes, the server
says \"bye\", and both close.

How to read the transcript:
  time          virtual seconds since the start (the simulator's clock, not yours);
                a segment's time is when it was sent: it arrives rtt/2 later (10 ms
                here, with a 20 ms round trip), when the receiver's lines show it
  client        the client's column: its socket calls, state changes and timers
  server        the server's column, on the right
  ── … ──▶      a segment the client sends to the server
  ◀── … ──      a segment the server sends to the client
                labelled with its flags (SYN, ACK, FIN, PSH, RST), seq and ack
                (relative: counted from each side's initial sequence number, as
                Wireshark shows them), len (payload bytes), win (receive window
                in bytes) and the payload itself in quotes when it is short text
  ✗ (dropped)   the link lost this segment; (duplicated): it arrived twice
  [words]       Wireshark's analysis of the segment, e.g. [retransmission]
  A → B         a state change, in RFC 9293's names (CLOSED → SYN-SENT)
  call → result a socket call and what it returned (connect() → ok)
  ⏰            a timer fired, with how long it waited and why that long: the
                retransmission timeout (RTO), 2*MSL for TIME-WAIT (a fixed 60 s in
                the linux profile), the delayed-ACK timeout
  — words       a note: a wait, an expect and its result, or what no line shows
                (an ACK held back, bytes Nagle holds, why a RST was sent)

";

/// How to read the two columns, printed before the side-by-side demo.
pub const COMPARE_LEGEND: &str = "\
synack demo: the built-in \"echo\" scenario twice: in the simulator (left) and on this
machine's own Linux kernel (right), over loopback in a private network namespace, with
the same 20 ms round trip. A client connects and sends \"Michael\"; the server answers
\"Hello, Michael!\"; the client half-closes, the server says \"bye\", and both close.

How to read it:
  time          seconds since the start: virtual on the left, real on the right; a
                segment's time is when it was sent, and it arrives rtt/2 later
  c→s, s→c      a segment from the client to the server, or back, labelled with its
                flags (SYN, ACK, FIN, PSH, RST), seq and ack (relative: counted from
                each side's initial sequence number, as Wireshark shows them), len
                (payload bytes), win (receive window in bytes) and short payloads
  A → B         a state change, in RFC 9293's names (the kernel's own, on the right)
  call → result a socket call and what it returned
  │             the two runs did the same thing here
  ≈             they differ in a known way; the rule's name ends the row and is
                explained under the rows (docs/differences.md lists them all)
  ✗             they differ in a way no rule explains
Rows are paired by what the events are (the same segment, the same call), not by
time: the kernel answers in microseconds and waits for nothing the simulator waits for.
";

/// Runs `synack demo`.
pub fn run(args: &DemoArgs) -> Result<Outcome> {
    let builtin = synack_sim::scenario::builtin::find(DEMO_SCENARIO).ok_or_else(|| {
        crate::error::CliError::UnknownScenario {
            name: DEMO_SCENARIO.into(),
            suggestion: None,
        }
    })?;
    let mut scenario = builtin.scenario()?;
    let side_by_side = matches!(args.output.format, Format::Text | Format::Json);
    if side_by_side {
        let mut applied = scenario.clone();
        applied.settings = RunOptions {
            profile: args.run.profile.map(Into::into),
            seed: args.run.seed,
        }
        .apply(&scenario.settings);
        // The namespace first: before any thread starts.
        match real_cmd::enter(&applied) {
            Ok(netns) => {
                let real = real_cmd::run_real(&netns, &applied, &RealOptions::default());
                match real {
                    Ok(real) => {
                        let (sim, _) = compare_cmd::simulate(&applied)?;
                        let (pairs, totals) = compare_cmd::pair(&applied, &sim, &real);
                        let header = compare_cmd::compare_header(&applied, &real);
                        let mut out = Output::open(&args.output)?;
                        if args.output.format == Format::Json {
                            write_json(&mut out.writer, &header, &pairs, &totals)
                        } else {
                            writeln!(out.writer, "{COMPARE_LEGEND}").and_then(|()| {
                                write_text(&mut out.writer, &header, &pairs, &totals, out.color)
                            })
                        }
                        .and_then(|()| out.writer.flush())
                        .context("cannot write the demo")?;
                        return Ok(Outcome::Ok);
                    }
                    Err(e) => why_not(&e.to_string()),
                }
            }
            Err(e) => why_not(&e.to_string()),
        }
        scenario = builtin.scenario()?;
    }
    let mut out = Output::open(&args.output)?;
    if args.output.format == Format::Text {
        writeln!(out.writer, "{LEGEND}").context("cannot write the legend")?;
    }
    super::sim::transcript(&scenario, &args.run, &args.output, Default::default(), out)
}

/// One line: why the real side cannot run here, and how to fix it (the
/// message says how); the simulation follows alone.
fn why_not(reason: &str) {
    eprintln!("synack: {reason} (the demo shows the simulation alone)");
}
