//! `synack real SCENARIO`: the scenario on real kernel sockets, in a network
//! namespace of its own, with its link applied to the real packets and its
//! states read from the kernel (docs/real.md).
//!
//! The namespace must be entered before any thread starts (unshare(2)), so
//! this command enters it first, before the Ctrl-C handler and before the
//! run's threads.

use crate::args::{RealArgs, StatesFrom};
use crate::error::CliError;
use crate::output::Output;
use crate::render::{self, Header};
use crate::Outcome;
use anyhow::{Context, Result};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use synack_capture::real::kstate::StatesMode;
use synack_capture::real::netns::{self, Netns, NetnsOptions, Privilege};
use synack_capture::real::run::{self, RealOptions, RealRun, RunEnd};
use synack_sim::scenario::Scenario;
use synack_sim::world::RunOptions;

/// Runs `synack real`.
pub fn run(args: &RealArgs) -> Result<Outcome> {
    let mut scenario = crate::load::load(&args.scenario)?;
    scenario.settings = RunOptions {
        profile: None,
        seed: args.seed,
    }
    .apply(&scenario.settings);
    run::refuse(&scenario).map_err(CliError::Parse)?;
    let netns = enter(&scenario)?;
    let interrupt = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupt.clone();
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    }
    let opts = RealOptions {
        write_to: args.write.clone(),
        diag_only: args.states == StatesFrom::InetDiag,
        interrupt,
        call_cap: std::time::Duration::from_micros(args.call_cap),
    };
    let mut out = Output::open(&args.output)?;
    let real = run_real(&netns, &scenario, &opts)?;
    write(&mut out, args, &scenario, &real)?;
    outcome(&scenario, &real)
}

/// Enters the run's namespace; what is missing is exit 3 with the fix.
pub fn enter(scenario: &Scenario) -> Result<Netns, CliError> {
    netns::enter(&NetnsOptions {
        mss: scenario.settings.mss,
        pair: None,
    })
    .map_err(|e| {
        if e.is_unavailable() {
            CliError::RealUnavailable(crate::error::clause(&e.to_string()))
        } else {
            CliError::Live(crate::error::clause(&e.to_string()))
        }
    })
}

/// Runs the scenario for real; a missing component is exit 3.
pub fn run_real(
    netns: &Netns,
    scenario: &Scenario,
    opts: &RealOptions,
) -> Result<RealRun, CliError> {
    run::run(netns, scenario, opts).map_err(|e| {
        let msg = crate::error::clause(&e.to_string());
        if e.is_unavailable() {
            CliError::RealUnavailable(msg)
        } else {
            CliError::Live(msg)
        }
    })
}

/// What the header says about a real run.
pub fn header(scenario: &Scenario, real: &RealRun) -> Header {
    let s = &scenario.settings;
    let states = match (&real.info.states, real.info.privilege) {
        (StatesMode::Tracepoints, _) => "states from the kernel's tracepoints".to_string(),
        (StatesMode::InetDiagOnly { .. }, Privilege::Root) => {
            "states polled from inet_diag".to_string()
        }
        (StatesMode::InetDiagOnly { .. }, _) => {
            "states polled from inet_diag (not root)".to_string()
        }
    };
    Header {
        what: format!("real {}", scenario.source),
        profile: None,
        rtt_us: Some(s.rtt_us),
        mss: Some(s.mss),
        seed: Some(s.seed),
        capture: false,
        extra: vec![
            format!("Linux {}", real.info.kernel),
            states,
            format!("congestion control {}", real.info.congestion_control),
        ],
    }
}

/// Renders the run in `format`.
pub fn write(out: &mut Output, args: &RealArgs, scenario: &Scenario, real: &RealRun) -> Result<()> {
    {
        let mut sink = render::open(
            args.output.format,
            out,
            header(scenario, real),
            (&args.view).into(),
        )?;
        sink.begin_conn(&real.conn)
            .context("cannot write the transcript")?;
        for ev in &real.events {
            sink.event(&ev.as_event())
                .context("cannot write the transcript")?;
        }
        sink.finish().context("cannot write the transcript")?;
    }
    out.writer.flush().context("cannot write the transcript")
}

/// The exit status of a real run: 130 interrupted, 2 a call blocked too
/// long, 1 a failed check, else 0.
pub fn outcome(scenario: &Scenario, real: &RealRun) -> Result<Outcome> {
    match &real.end {
        RunEnd::Interrupted => return Ok(Outcome::Interrupted),
        RunEnd::CallTooLong {
            side,
            line,
            after_us,
        } => {
            return Err(CliError::RunStopped(format!(
                "{}:{line}: the {side}'s call was still blocked after {}; the run stops here",
                scenario.source,
                crate::render::words::Duration(*after_us)
            ))
            .into())
        }
        RunEnd::BadLine(e) => return Err(CliError::Parse(e.clone()).into()),
        RunEnd::Complete => {}
    }
    Ok(super::sim::expect_outcome(
        scenario,
        &synack_sim::world::RunOutcome {
            failures: real.failures.clone(),
            error: None,
            stats: Default::default(),
        },
    ))
}
