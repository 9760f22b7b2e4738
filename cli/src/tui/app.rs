//! The interactive loop: draw, wait for a key, run its command, draw again.
//!
//! # Calling order
//! [`run`] takes a [`Session`] and owns the terminal until the user quits
//! (`q`, Esc, Ctrl-C) or a signal arrives; the terminal is restored on
//! every way out (see `term.rs`). The keys are README.md's ("Stepping
//! through a connection"); a long simulation (the first End, a drop)
//! redraws its progress on the message line and stops on Esc, `q` or Ctrl-C.

use super::draw::{render, Palette};
use super::session::{Command, Session};
use super::term::Screen;
use super::timeline::Progress;
use super::view::View;
use crate::render::words::Secs;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::io;
use std::time::{Duration, Instant};

/// How long the loop waits for a key before it looks at the signal flag.
const POLL: Duration = Duration::from_millis(200);

/// How often a long simulation redraws its progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(50);

/// What a key asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Command(Command),
    /// `d`: drop the selected segment.
    DropSelected,
    Help,
    Quit,
}

/// The key map (README.md, "Stepping through a connection").
pub fn action(key: KeyEvent) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') if ctrl => Action::Quit,
        KeyCode::Char('q') | KeyCode::Esc => Action::Quit,
        KeyCode::Char('n') | KeyCode::Right | KeyCode::Char(' ') => Action::Command(Command::Next),
        KeyCode::Char('p') | KeyCode::Left => Action::Command(Command::Prev),
        KeyCode::Home => Action::Command(Command::Start),
        KeyCode::End => Action::Command(Command::End),
        KeyCode::Tab => Action::Command(Command::SelectOlder),
        KeyCode::BackTab => Action::Command(Command::SelectNewer),
        KeyCode::Char('d') => Action::DropSelected,
        KeyCode::Char('u') => Action::Command(Command::Undo),
        KeyCode::Char('?') => Action::Help,
        _ => return None,
    })
}

/// Runs the UI until the user quits.
pub fn run(session: &mut Session, pal: Palette) -> io::Result<()> {
    let mut screen = Screen::enter()?;
    let mut help = false;
    let mut first = true;
    loop {
        if screen.stopped() {
            return Ok(());
        }
        let view = session.view();
        screen
            .terminal()
            .draw(|f| render(&view, f.area(), f.buffer_mut(), pal, help))?;
        if first {
            first = false;
            test_panic();
        }
        if !event::poll(POLL)? {
            continue;
        }
        let key = match event::read()? {
            Event::Key(k) if k.kind != KeyEventKind::Release => k,
            _ => continue,
        };
        let Some(act) = action(key) else { continue };
        if help {
            help = false;
            if act != Action::Quit {
                continue;
            }
        }
        match act {
            Action::Quit => return Ok(()),
            Action::Help => help = true,
            Action::DropSelected => match view.selected {
                Some((id, _)) => long(&mut screen, session, &view, Command::Drop(id)),
                None => session
                    .say("no segment selected: Tab selects one (in flight or already sent)".into()),
            },
            Action::Command(cmd) => long(&mut screen, session, &view, cmd),
        }
    }
}

/// Runs a command that may simulate for a while, showing its progress over
/// the last screen and stopping it on Esc, `q` or Ctrl-C.
fn long(screen: &mut Screen, session: &mut Session, last: &View, cmd: Command) {
    let mut shown = last.clone();
    let started = Instant::now();
    let mut drawn = started;
    let mut tick = |p: Progress| {
        let now = Instant::now();
        if now.duration_since(drawn) < PROGRESS_EVERY {
            return true;
        }
        drawn = now;
        shown.message = Some(format!(
            "simulating: {} events, {} s of virtual time, {:.1} s so far (Esc stops)",
            p.events,
            Secs::millis(p.t_us),
            now.duration_since(started).as_secs_f64()
        ));
        let pal = Palette { color: false };
        let _ = screen
            .terminal()
            .draw(|f| render(&shown, f.area(), f.buffer_mut(), pal, false));
        !stop_requested() && !screen.stopped()
    };
    // A refusal is on the message line already.
    let _ = session.apply(cmd, &mut tick);
}

/// Whether a key that stops a long simulation is waiting.
fn stop_requested() -> bool {
    while let Ok(true) = event::poll(Duration::ZERO) {
        if let Ok(Event::Key(k)) = event::read() {
            if action(k) == Some(Action::Quit) {
                return true;
            }
        }
    }
    false
}

/// Debug builds only: `SYNACK_STEP_TEST_PANIC=1` panics after the first
/// draw, so the tmux test can check that a panic restores the terminal.
fn test_panic() {
    #[cfg(debug_assertions)]
    if std::env::var_os("SYNACK_STEP_TEST_PANIC").is_some_and(|v| v == "1") {
        panic!("SYNACK_STEP_TEST_PANIC is set");
    }
}
