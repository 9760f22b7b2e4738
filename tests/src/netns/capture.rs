//! tcpdump running inside a namespace.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::{describe, Netns, NetnsError};

/// How long tcpdump may take to say it is listening.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the file size is polled while waiting for it to settle.
const SETTLE_POLL: Duration = Duration::from_millis(100);
/// At most this many polls before stopping anyway.
const SETTLE_MAX_POLLS: u32 = 30;

/// A running `tcpdump -i lo -U --immediate-mode -w FILE 'tcp port P'`.
///
/// [`Capture::stop`] waits until the file stops growing, then sends SIGINT so
/// tcpdump flushes and closes the file. Dropping a `Capture` that was not
/// stopped kills tcpdump.
#[derive(Debug)]
pub struct Capture {
    child: Option<Child>,
    file: PathBuf,
    stderr: Option<JoinHandle<Vec<String>>>,
}

impl Capture {
    pub(super) fn start(
        ns: &Netns,
        port: u16,
        file: PathBuf,
        snaplen: u32,
    ) -> Result<Capture, NetnsError> {
        let filter = format!("tcp port {port}");
        let snap = snaplen.to_string();
        let mut cmd = ns.command(
            "tcpdump",
            [
                "-i".as_ref(),
                "lo".as_ref(),
                "-U".as_ref(),
                "--immediate-mode".as_ref(),
                // Stay root: the file is in a directory only root may write.
                "-Z".as_ref(),
                "root".as_ref(),
                "-s".as_ref(),
                snap.as_ref(),
                "-w".as_ref(),
                file.as_os_str(),
                filter.as_ref(),
            ],
        );
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let what = describe(&cmd);
        let mut child = cmd.spawn().map_err(|source| NetnsError::Spawn {
            program: what,
            source,
        })?;
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().map(|err| {
            thread::spawn(move || {
                let mut lines = Vec::new();
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    if line.contains("listening on") {
                        // The receiver may be gone after a timeout: fine.
                        let _ = tx.send(());
                    }
                    lines.push(line);
                }
                lines
            })
        });
        let mut cap = Capture {
            child: Some(child),
            file,
            stderr,
        };
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(()) => Ok(cap),
            Err(_) => {
                cap.kill();
                let said = cap.stderr.take().and_then(|h| h.join().ok());
                Err(NetnsError::CaptureStart(
                    said.map(|l| l.join(" / ")).unwrap_or_default(),
                ))
            }
        }
    }

    /// The file being written.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Waits for the file to stop growing, stops tcpdump with SIGINT and
    /// returns what it printed on stderr (its packet counts).
    pub fn stop(mut self) -> Result<Vec<String>, NetnsError> {
        let mut last = None;
        for _ in 0..SETTLE_MAX_POLLS {
            thread::sleep(SETTLE_POLL);
            let size = std::fs::metadata(&self.file).map(|m| m.len()).ok();
            if size.is_some() && size == last {
                break;
            }
            last = size;
        }
        let Some(mut child) = self.child.take() else {
            return Ok(Vec::new());
        };
        // `ip netns exec` execs tcpdump in place: the child's pid is tcpdump.
        let pid = libc::pid_t::try_from(child.id()).unwrap_or(0);
        // SAFETY: kill(2) with a pid we spawned and have not reaped yet.
        let rc = unsafe { libc::kill(pid, libc::SIGINT) };
        if rc != 0 {
            let source = std::io::Error::last_os_error();
            let _ = child.kill();
            let _ = child.wait();
            return Err(NetnsError::Process {
                what: "tcpdump",
                source,
            });
        }
        child.wait().map_err(|source| NetnsError::Process {
            what: "tcpdump",
            source,
        })?;
        Ok(self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default())
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.kill();
    }
}
