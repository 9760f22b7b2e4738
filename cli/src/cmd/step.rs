//! `synack step SCENARIO` (or `--capture FILE`): the terminal UI on a
//! terminal, the scripted mode otherwise (`tui/`).

use crate::args::StepArgs;
use crate::cmd::sim::options;
use crate::error::CliError;
use crate::render::words::Duration;
use crate::tui::draw::Palette;
use crate::tui::session::{Session, Stepper};
use crate::tui::{app, capture, script, sim};
use crate::Outcome;
use anyhow::{Context, Result};
use std::io::{self, IsTerminal};

/// Runs `synack step`.
pub fn run(args: &StepArgs) -> Result<Outcome> {
    if args.conn.is_some() && args.capture.is_none() {
        return Err(CliError::Usage(
            "--conn N picks a connection of a capture: use it with --capture FILE".into(),
        )
        .into());
    }
    let inner: Box<dyn Stepper> = match (&args.scenario, &args.capture) {
        (_, Some(path)) => Box::new(capture::load(path, args.conn)?),
        (Some(name), None) => {
            let scenario = crate::load::load(name)?;
            let opts = options(&args.run);
            let s = opts.apply(&scenario.settings);
            let about = format!(
                "profile {} · rtt {} · mss {} · seed {}",
                s.profile,
                Duration(s.rtt_us),
                s.mss,
                s.seed
            );
            // A file's name heads the screen; its whole path would crowd 80 columns.
            let title = match crate::load::is_path(name) {
                true => std::path::Path::new(name)
                    .file_name()
                    .map_or_else(|| name.clone(), |n| n.to_string_lossy().into_owned()),
                false => scenario.source.clone(),
            };
            Box::new(sim::SimSession::new(&scenario, &opts, title, about))
        }
        (None, None) => {
            return Err(CliError::Usage("step needs a SCENARIO or --capture FILE".into()).into())
        }
    };
    let mut session = Session::new(inner);
    let no_color = std::env::var_os("NO_COLOR");
    let (stdin, stdout) = (io::stdin(), io::stdout());
    if stdin.is_terminal() && stdout.is_terminal() {
        let color = args.color.resolve(true, no_color.as_deref());
        app::run(&mut session, Palette { color }).context("the terminal failed")?;
        return Ok(Outcome::Ok);
    }
    let color = args
        .color
        .resolve(stdout.is_terminal(), no_color.as_deref());
    let failed = script::run(
        &mut session,
        &mut stdin.lock(),
        &mut stdout.lock(),
        &mut io::stderr().lock(),
        color,
    )
    .context("cannot write the session")?;
    if failed > 0 {
        return Err(CliError::Usage(format!(
            "{failed} command line(s) could not be run (said above)"
        ))
        .into());
    }
    Ok(Outcome::Ok)
}
