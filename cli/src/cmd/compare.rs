//! `synack compare SCENARIO`: the scenario in the simulator and on the real
//! kernel, paired event by event by protocol role, every difference marked
//! and judged against the catalogue of known differences (docs/compare.md,
//! docs/differences.md).

use super::real as real_cmd;
use crate::args::{CompareArgs, Format};
use crate::error::CliError;
use crate::output::Output;
use crate::render::compare::{write_json, write_text, CompareHeader};
use crate::render::diagram::{ladder, write_document, Panel, View};
use crate::Outcome;
use anyhow::{Context, Result};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use synack_capture::real::kstate::StatesMode;
use synack_capture::real::run::{RealOptions, RealRun, RunEnd};
use synack_sim::compare::{compare, Context as CompareContext, Pair, Totals};
use synack_sim::scenario::Scenario;
use synack_sim::transcript::{OwnedEvent, OwnedKind, Recorder};
use synack_sim::world::{self, RunOptions, RunOutcome};

/// Runs `synack compare`.
pub fn run(args: &CompareArgs) -> Result<Outcome> {
    let loaded = crate::load::load(&args.scenario)?;
    let opts = RunOptions {
        profile: args.run.profile.map(Into::into),
        seed: args.run.seed,
    };
    let mut scenario = loaded;
    scenario.settings = opts.apply(&scenario.settings);
    if !matches!(
        args.output.format,
        Format::Text | Format::Json | Format::Svg
    ) {
        return Err(CliError::Usage(
            "compare prints text, json or svg (two ladders side by side); `synack sim` and \
             `synack real` write capture files and Mermaid"
                .into(),
        )
        .into());
    }
    synack_capture::real::run::refuse(&scenario).map_err(CliError::Parse)?;
    let mut for_real = scenario.clone();
    for rule in &args.real_fault {
        let parsed = synack_sim::scenario::parse("--real-fault", rule).map_err(CliError::Parse)?;
        let extra = parsed.settings;
        if !parsed.steps.is_empty() || (extra.faults.is_empty() && extra.losses.is_empty()) {
            return Err(CliError::Usage(format!(
                "--real-fault takes one fault rule, like \"drop client->server data #1\"; found \"{rule}\""
            ))
            .into());
        }
        // The extra rule decides first: it is the difference being invented.
        let mut faults = extra.faults;
        faults.extend(for_real.settings.faults);
        for_real.settings.faults = faults;
        for_real.settings.losses.extend(extra.losses);
    }
    // The real side first: its namespace must be entered before any thread.
    let netns = real_cmd::enter(&scenario)?;
    let interrupt = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupt.clone();
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    }
    let real = real_cmd::run_real(
        &netns,
        &for_real,
        &RealOptions {
            interrupt,
            call_cap: std::time::Duration::from_micros(args.call_cap),
            ..RealOptions::default()
        },
    )?;
    let (sim, sim_outcome) = simulate(&scenario)?;
    let (pairs, totals) = pair(&scenario, &sim, &real);
    let mut out = Output::open(&args.output)?;
    let header = compare_header(&scenario, &real);
    match args.output.format {
        Format::Json => write_json(&mut out.writer, &header, &pairs, &totals),
        Format::Svg => write_ladders(&mut out.writer, args, &scenario, &sim, &real),
        _ => write_text(&mut out.writer, &header, &pairs, &totals, out.color),
    }
    .and_then(|()| out.writer.flush())
    .context("cannot write the comparison")?;
    if real.end == RunEnd::Interrupted {
        return Ok(Outcome::Interrupted);
    }
    if let RunEnd::CallTooLong { .. } | RunEnd::BadLine(_) = real.end {
        return real_cmd::outcome(&scenario, &real);
    }
    let mut failures = Vec::new();
    if let Outcome::ExpectFailed(f) = super::sim::expect_outcome(&scenario, &sim_outcome) {
        failures.extend(f.into_iter().map(|m| format!("{m} (simulation)")));
    }
    if let Ok(Outcome::ExpectFailed(f)) = real_cmd::outcome(&scenario, &real) {
        failures.extend(f.into_iter().map(|m| format!("{m} (real run)")));
    }
    if args.strict && totals.unexplained > 0 {
        failures.push(format!(
            "{}: {} of {} pairs are unexplained (--strict)",
            scenario.source, totals.unexplained, totals.pairs
        ));
    }
    Ok(if failures.is_empty() {
        Outcome::Ok
    } else {
        Outcome::ExpectFailed(failures)
    })
}

/// `--format svg`: the simulated and the real ladder side by side on one
/// time axis (docs/diagrams.md), the window of `--from`/`--to` applied.
fn write_ladders(
    out: &mut dyn Write,
    args: &CompareArgs,
    scenario: &Scenario,
    sim: &Recorder,
    real: &RealRun,
) -> std::io::Result<()> {
    let view = View {
        time_sequence: false,
        from_us: args.from,
        to_us: args.to,
        absolute: false,
    };
    let shown = |events: &[OwnedEvent]| -> Vec<OwnedEvent> {
        events
            .iter()
            .filter(|e| !matches!(e.kind, OwnedKind::Note(_)) && view.shows(e.t_us))
            .cloned()
            .collect()
    };
    let (sim_events, real_events) = (shown(&sim.events), shown(&real.events));
    let sim_title = format!("simulation ({} profile)", scenario.settings.profile);
    let real_title = format!("real (Linux {})", real.info.kernel);
    let panels = [
        Panel {
            title: &sim_title,
            conn: sim.conns.first(),
            events: &sim_events,
        },
        Panel {
            title: &real_title,
            conn: Some(&real.conn),
            events: &real_events,
        },
    ];
    let mut header = real_cmd::header(scenario, real);
    header.what = format!("compare {}", scenario.source);
    header.profile = Some(scenario.settings.profile);
    let doc = ladder::ladders(&header, &panels, &view);
    write_document(out, &doc)
}

/// The simulation of `scenario` (its settings already carry the overrides).
pub fn simulate(scenario: &Scenario) -> Result<(Recorder, RunOutcome)> {
    let mut rec = Recorder::default();
    let outcome = world::run(scenario, &RunOptions::default(), &mut rec)
        .with_context(|| format!("cannot simulate scenario {}", scenario.source))?;
    Ok((rec, outcome))
}

/// The pairs of the two runs, and their totals.
pub fn pair(scenario: &Scenario, sim: &Recorder, real: &RealRun) -> (Vec<Pair>, Totals) {
    compare(
        &sim.events,
        &real.events,
        &CompareContext {
            profile: scenario.settings.profile,
            random_loss: !scenario.settings.losses.is_empty(),
            real_window_closed: synack_sim::compare::window_closed(&real.events),
            forged_syn: scenario
                .steps
                .iter()
                .flat_map(|s| &s.actions)
                .any(|a| matches!(a, synack_sim::scenario::Action::Inject(i) if i.flags.syn())),
        },
    )
}

/// The header of a comparison.
pub fn compare_header(scenario: &Scenario, real: &RealRun) -> CompareHeader {
    CompareHeader {
        scenario: scenario.source.clone(),
        profile: Some(scenario.settings.profile),
        rtt_us: scenario.settings.rtt_us,
        kernel: real.info.kernel.clone(),
        states_from: match real.info.states {
            StatesMode::Tracepoints => "states from the kernel's tracepoints".into(),
            StatesMode::InetDiagOnly { .. } => "states polled from inet_diag".into(),
        },
    }
}
