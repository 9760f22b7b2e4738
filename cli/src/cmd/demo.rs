//! `synack demo`: the built-in `echo` scenario, simulated, after a legend that
//! teaches how to read the transcript.

use crate::args::{DemoArgs, Format};
use crate::output::Output;
use crate::Outcome;
use anyhow::{Context, Result};
use std::io::Write;

/// The built-in the demo runs.
pub const DEMO_SCENARIO: &str = "echo";

/// How to read a transcript, printed before the demo's.
pub const LEGEND: &str = "\
synack demo: the built-in \"echo\" scenario, simulated. A client connects and sends
\"Michael\"; the server answers \"Hello, Michael!\"; the client half-closes, the server
says \"bye\", and both close.

How to read the transcript:
  time          virtual seconds since the start (the simulator's clock, not yours)
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
  ⏰            a timer fired, with the retransmission timeout (RTO) it used

Coming next: the same scenario run for real on loopback, side by side with the simulation.
";

/// Runs `synack demo`.
pub fn run(args: &DemoArgs) -> Result<Outcome> {
    let builtin = synack_sim::scenario::builtin::find(DEMO_SCENARIO).ok_or_else(|| {
        crate::error::CliError::UnknownScenario {
            name: DEMO_SCENARIO.into(),
            suggestion: None,
        }
    })?;
    let scenario = builtin.scenario()?;
    let mut out = Output::open(&args.output)?;
    if args.output.format == Format::Text {
        writeln!(out.writer, "{LEGEND}").context("cannot write the legend")?;
    }
    super::sim::transcript(&scenario, &args.run, &args.output, Default::default(), out)
}
