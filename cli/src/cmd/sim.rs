//! `synack sim SCENARIO`: run a scenario in the simulator, print its transcript.

use crate::args::{Format, OutputFlags, RunFlags, SimArgs};
use crate::error::CliError;
use crate::output::Output;
use crate::render::words::{CheckText, Secs};
use crate::render::View;
use crate::render::{self, Header};
use crate::Outcome;
use anyhow::{Context, Result};
use std::io::Write;
use synack_sim::scenario::{Scenario, Settings, Transport};
use synack_sim::transcript::{Discard, Side, Sink};
use synack_sim::world::{self, RunOptions, RunOutcome, Stats};

/// Runs `synack sim`.
pub fn run(args: &SimArgs) -> Result<Outcome> {
    let scenario = crate::load::load(&args.scenario)?;
    let mut out = Output::open(&args.output)?;
    if args.summary {
        let outcome = simulate(&scenario, &args.run, &mut Discard)?;
        let settings = options(&args.run).apply(&scenario.settings);
        match args.output.format {
            Format::Text => write_summary(&mut out.writer, &scenario, &settings, &outcome.stats),
            Format::Json => write_summary_json(&mut out.writer, &outcome.stats),
            Format::Pcap | Format::Pcapng | Format::Svg | Format::Mermaid => {
                return Err(CliError::Usage(
                    "--summary prints text or json, not a capture file or a picture".into(),
                )
                .into())
            }
        }
        .and_then(|()| out.writer.flush())
        .context("cannot write the summary")?;
        return Ok(expect_outcome(&scenario, &outcome));
    }
    transcript(&scenario, &args.run, &args.output, (&args.view).into(), out)
}

/// Runs `scenario` and renders its whole transcript into `out`.
pub fn transcript(
    scenario: &Scenario,
    run: &RunFlags,
    flags: &OutputFlags,
    view: View,
    mut out: Output,
) -> Result<Outcome> {
    let header = header(scenario, &options(run).apply(&scenario.settings));
    let mut sink = render::open(flags.format, &mut out, header, view)?;
    let outcome = simulate(scenario, run, sink.as_mut())?;
    drop(sink);
    out.writer.flush().context("cannot write the transcript")?;
    Ok(expect_outcome(scenario, &outcome))
}

/// The command-line overrides as the world takes them.
pub fn options(run: &RunFlags) -> RunOptions {
    RunOptions {
        profile: run.profile.map(Into::into),
        seed: run.seed,
    }
}

fn simulate(scenario: &Scenario, run: &RunFlags, sink: &mut dyn Sink) -> Result<RunOutcome> {
    let outcome = world::run(scenario, &options(run), sink)
        .with_context(|| format!("cannot simulate scenario {}", scenario.source))?;
    match outcome.error {
        // A line only the run could find wrong (an `inject` without the
        // numbers it needs): a scenario error, exit 2.
        Some(e) => Err(CliError::Parse(e).into()),
        None => Ok(outcome),
    }
}

/// The header of the text transcript: what ran, with `settings` (the
/// overrides applied).
pub fn header(scenario: &Scenario, settings: &Settings) -> Header {
    let mut extra = Vec::new();
    // With timestamps (the linux profile), a full segment carries 12 bytes
    // fewer than the MSS: the option takes them (RFC 7323 3, with two NOPs).
    // Said, or `len=1448` under `mss 1460` reads as a mistake.
    if settings.transport == Transport::Tcp
        && synack_sim::profile::Profile::get(settings.profile).timestamps
    {
        extra.push(format!(
            "timestamps on: a full segment carries {} bytes",
            settings.mss.saturating_sub(12)
        ));
    }
    Header {
        what: format!("scenario {}", scenario.source),
        profile: Some(settings.profile),
        rtt_us: Some(settings.rtt_us),
        mss: Some(settings.mss),
        seed: Some(settings.seed),
        capture: false,
        extra,
    }
}

/// Each failed check (`expect`, `wait until`), as the line stderr shows
/// after `synack: `.
pub fn expect_outcome(scenario: &Scenario, outcome: &RunOutcome) -> Outcome {
    if outcome.failures.is_empty() {
        return Outcome::Ok;
    }
    Outcome::ExpectFailed(
        outcome
            .failures
            .iter()
            .map(|f| format!("{}:{}: {}", scenario.source, f.line, CheckText(f)))
            .collect(),
    )
}

fn state_name(s: Option<synack_sim::State>) -> &'static str {
    s.map_or("(never opened)", |s| s.name())
}

/// `--summary` as text: a few lines of totals.
pub fn write_summary(
    out: &mut dyn Write,
    scenario: &Scenario,
    settings: &Settings,
    st: &Stats,
) -> std::io::Result<()> {
    let (c, s) = (Side::Client.index(), Side::Server.index());
    writeln!(
        out,
        "scenario {} (profile {}, seed {})",
        scenario.source, settings.profile, settings.seed
    )?;
    writeln!(
        out,
        "segments      {} sent: {} dropped, {} duplicated, {} delayed, {} retransmitted",
        st.segments, st.dropped, st.duplicated, st.delayed, st.retransmissions
    )?;
    let read = |i: usize| st.bytes_read.get(i).copied().unwrap_or(0);
    writeln!(out, "bytes read    client {}, server {}", read(c), read(s))?;
    let fin = |i: usize| state_name(st.final_state.get(i).copied().flatten());
    writeln!(out, "final states  client {}, server {}", fin(c), fin(s))?;
    // The transcript's precision: milliseconds, unless the run ends between them.
    writeln!(out, "virtual time  {} s", Secs::millis(st.end_us))
}

/// `--summary --format json`: one object, `kind` first like the transcript's lines.
pub fn write_summary_json(out: &mut dyn Write, st: &Stats) -> std::io::Result<()> {
    use crate::render::json::{push_str, push_u64};
    let mut l = Vec::with_capacity(256);
    l.extend_from_slice(b"{\"kind\":\"summary\"");
    for (key, n) in [
        ("segments", st.segments),
        ("dropped", st.dropped),
        ("duplicated", st.duplicated),
        ("delayed", st.delayed),
        ("retransmissions", st.retransmissions),
    ] {
        l.extend_from_slice(b",\"");
        l.extend_from_slice(key.as_bytes());
        l.extend_from_slice(b"\":");
        push_u64(&mut l, n);
    }
    l.extend_from_slice(b",\"bytes_read\":{");
    for (i, side) in [Side::Client, Side::Server].into_iter().enumerate() {
        if i > 0 {
            l.push(b',');
        }
        push_str(&mut l, side.name());
        l.push(b':');
        push_u64(
            &mut l,
            st.bytes_read.get(side.index()).copied().unwrap_or(0),
        );
    }
    l.extend_from_slice(b"},\"final_state\":{");
    for (i, side) in [Side::Client, Side::Server].into_iter().enumerate() {
        if i > 0 {
            l.push(b',');
        }
        push_str(&mut l, side.name());
        l.push(b':');
        match st.final_state.get(side.index()).copied().flatten() {
            Some(state) => push_str(&mut l, state.name()),
            None => l.extend_from_slice(b"null"),
        }
    }
    l.extend_from_slice(b"},\"end_us\":");
    push_u64(&mut l, st.end_us);
    l.extend_from_slice(b"}\n");
    out.write_all(&l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use synack_sim::scenario::Settings;
    use synack_sim::world::CheckFailure;
    use synack_sim::State;

    fn scenario() -> Scenario {
        Scenario {
            source: "close.tcp".into(),
            settings: Settings::default(),
            steps: Vec::new(),
        }
    }

    #[test]
    fn failures_name_file_line_and_states() {
        let outcome = RunOutcome {
            failures: vec![CheckFailure {
                line: 12,
                side: Side::Client,
                expected: State::TimeWait,
                actual: State::FinWait2,
                waited_us: None,
            }],
            error: None,
            stats: Stats::default(),
        };
        assert_eq!(
            expect_outcome(&scenario(), &outcome),
            Outcome::ExpectFailed(vec![
                "close.tcp:12: expect client TIME-WAIT failed: client is FIN-WAIT-2".into()
            ])
        );
        assert_eq!(
            expect_outcome(&scenario(), &RunOutcome::default()),
            Outcome::Ok
        );
    }

    #[test]
    fn summary_shows_totals_and_overrides() {
        let st = Stats {
            segments: 12,
            dropped: 1,
            duplicated: 0,
            delayed: 2,
            retransmissions: 1,
            bytes_read: [15, 7],
            end_us: 1_250_000,
            final_state: [Some(State::TimeWait), Some(State::Closed)],
            read_digest: [0, 0],
        };
        let opts = RunOptions {
            profile: None,
            seed: Some(9),
        };
        let settings = opts.apply(&scenario().settings);
        let mut out = Vec::new();
        assert!(write_summary(&mut out, &scenario(), &settings, &st).is_ok());
        assert_eq!(
            String::from_utf8_lossy(&out),
            "scenario close.tcp (profile rfc, seed 9)\n\
             segments      12 sent: 1 dropped, 0 duplicated, 2 delayed, 1 retransmitted\n\
             bytes read    client 15, server 7\n\
             final states  client TIME-WAIT, server CLOSED\n\
             virtual time  1.250 s\n"
        );
        let mut json = Vec::new();
        assert!(write_summary_json(&mut json, &st).is_ok());
        assert!(json.starts_with(b"{\"kind\":\"summary\",\"segments\":12,"));
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap_or_default();
        assert_eq!(v["final_state"]["client"], "TIME-WAIT");
        assert_eq!(v["end_us"], 1_250_000);
        assert_eq!(v["bytes_read"]["server"], 7);
    }
}
