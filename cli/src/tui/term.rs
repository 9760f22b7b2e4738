//! The terminal: raw mode and the alternate screen while the UI runs, and
//! the terminal as it was afterwards, however the UI ends.
//!
//! # Calling order
//! [`Screen::enter`] once (it installs the panic hook and the signal
//! handler first); draw through [`Screen::terminal`]; the screen is
//! restored when the [`Screen`] is dropped: on a normal quit, on an error
//! (`?` drops it), on a panic (the hook restores before the message is
//! printed, so the message lands on the normal screen), and on SIGINT,
//! SIGTERM or SIGHUP (the handler only raises [`Screen::stopped`]; the loop
//! sees it within one poll and returns, which drops the screen). In raw
//! mode Ctrl-C is a key, not a signal: the loop quits on it.

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::{Hide, Show};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::Terminal;
use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};

/// The terminal while the UI owns it.
pub struct Screen {
    terminal: Terminal<CrosstermBackend<Stdout>>,
    stop: Arc<AtomicBool>,
}

/// Whether the terminal is in the UI's hands.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Puts the terminal back: normal screen, cursor shown, cooked mode. Does
/// it once: a second "leave the alternate screen" (the panic hook, then the
/// unwinding drop) would move the cursor back to where the UI started and
/// the shell would write over the panic message.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = execute!(io::stdout(), LeaveAlternateScreen, Show);
        let _ = disable_raw_mode();
    }
}

static HOOK: Once = Once::new();

/// Restores the terminal before the panic message is printed (by the hook
/// that was there before: `main`'s "internal error" line).
fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

impl Screen {
    /// Takes over the terminal on standard output.
    pub fn enter() -> io::Result<Screen> {
        install_panic_hook();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        // Already set (a second session in one process): the first handler
        // stays; signals then end the process as they would anyway.
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let mut out = io::stdout();
        if let Err(e) = execute!(out, EnterAlternateScreen, Hide) {
            restore();
            return Err(e);
        }
        let terminal = match Terminal::new(CrosstermBackend::new(out)) {
            Ok(t) => t,
            Err(e) => {
                restore();
                return Err(e);
            }
        };
        Ok(Screen { terminal, stop })
    }

    pub fn terminal(&mut self) -> &mut Terminal<CrosstermBackend<Stdout>> {
        &mut self.terminal
    }

    /// A signal asked the UI to end.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore();
    }
}
