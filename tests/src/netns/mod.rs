//! Private network namespaces for tests that make real captures.
//!
//! A [`Netns`] is a fresh namespace (`ip netns add`) whose loopback is up at
//! MTU 1500 with segmentation offloads off, so what tcpdump sees on `lo` is
//! what TCP sent, segment by segment. Inside it the tests add iptables
//! [`Fault`] rules, start a [`Capture`], and run the traffic generator.
//! Dropping the `Netns` deletes the namespace, with its rules and anything
//! still running in it, also when the test panics.
//!
//! Everything here needs root and the tools `ip`, `iptables`, `ethtool`,
//! `tcpdump`; [`live::preflight`] says what is missing.

mod capture;
pub mod compare;
mod fault;
pub mod live;

pub use capture::Capture;
pub use fault::{Fault, Kind, Toward};

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

/// Why a namespace operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NetnsError {
    /// A program could not be started at all.
    #[error("could not run {program}: {source}.")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// A program ran and reported failure.
    #[error("`{command}` failed with {status}: {stderr}")]
    Failed {
        command: String,
        status: String,
        stderr: String,
    },
    /// tcpdump did not say it was listening.
    #[error("tcpdump did not start capturing: {0}")]
    CaptureStart(String),
    /// Waiting for or signalling a child process failed.
    #[error("could not control the {what} process: {source}.")]
    Process {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A private network namespace, deleted on drop.
#[derive(Debug)]
pub struct Netns {
    name: String,
    offload_report: Vec<String>,
}

/// The segmentation and receive offloads turned off on the namespace's `lo`.
const OFFLOADS: [&str; 3] = ["tso", "gso", "gro"];

impl Netns {
    /// Creates `synack-t-<pid>-<n>`, brings `lo` up at MTU 1500 and turns
    /// its offloads off. An offload that cannot change is not an error; it
    /// is listed in [`Netns::offload_report`].
    pub fn new() -> Result<Netns, NetnsError> {
        static SWEEP: Once = Once::new();
        SWEEP.call_once(sweep_stale);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("synack-t-{}-{n}", std::process::id());
        run(Command::new("ip").args(["netns", "add", &name]))?;
        // From here on, Drop deletes the namespace.
        let mut ns = Netns {
            name,
            offload_report: Vec::new(),
        };
        run(Command::new("ip").args(["-n", &ns.name, "link", "set", "lo", "up", "mtu", "1500"]))?;
        for feature in OFFLOADS {
            if let Err(e) = ns.exec("ethtool", ["-K", "lo", feature, "off"]) {
                ns.offload_report.push(format!("{feature}: {e}"));
            }
        }
        Ok(ns)
    }

    /// The namespace's name, for `ip netns exec`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Offloads that could not be turned off, one line each (empty when all
    /// went off).
    pub fn offload_report(&self) -> &[String] {
        &self.offload_report
    }

    /// A command that runs `program args` inside the namespace.
    pub fn command<I, S>(&self, program: impl AsRef<OsStr>, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name])
            .arg(program)
            .args(args);
        c
    }

    /// Runs `program args` inside the namespace to completion; an exit
    /// status other than 0 is an error carrying its stderr.
    pub fn exec<I, S>(&self, program: impl AsRef<OsStr>, args: I) -> Result<Output, NetnsError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        run(&mut self.command(program, args))
    }

    /// Adds one iptables rule inside the namespace (`iptables -A ...`).
    pub fn iptables<I, S>(&self, rule: I) -> Result<(), NetnsError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut args: Vec<std::ffi::OsString> = vec!["-w".into()];
        args.extend(rule.into_iter().map(|s| s.as_ref().to_owned()));
        self.exec("iptables", args).map(|_| ())
    }

    /// Adds the rule that makes `fault` happen.
    pub fn fault(&self, fault: &Fault) -> Result<(), NetnsError> {
        self.iptables(fault.rule())
    }

    /// The packet counters of the INPUT chain (`iptables -L INPUT -v -n -x`),
    /// to tell whether a fault rule fired.
    pub fn input_counters(&self) -> Result<String, NetnsError> {
        let out = self.exec("iptables", ["-w", "-L", "INPUT", "-v", "-n", "-x"])?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Sets a sysctl inside the namespace (`sysctl -w key=value`).
    pub fn sysctl(&self, key: &str, value: &str) -> Result<(), NetnsError> {
        self.exec("sysctl", ["-q", "-w", &format!("{key}={value}")])
            .map(|_| ())
    }

    /// Starts tcpdump on the namespace's `lo` for `tcp port PORT`, writing
    /// `file`, and returns once it is capturing.
    pub fn capture(&self, port: u16, file: PathBuf, snaplen: u32) -> Result<Capture, NetnsError> {
        Capture::start(self, port, file, snaplen)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Deleting the namespace drops its iptables rules and its lo with it.
        // Processes still inside keep it alive until they end; the capture
        // and traffic processes are stopped by their own guards first.
        if let Err(e) = run(Command::new("ip").args(["netns", "del", &self.name])) {
            eprintln!(
                "warning: could not delete network namespace {}: {e}",
                self.name
            );
        }
    }
}

/// Deletes namespaces left by test processes that were killed before their
/// `Drop` ran: `synack-t-<pid>-<n>` whose pid is no longer running.
fn sweep_stale() {
    let Ok(out) = run(Command::new("ip").args(["netns", "list"])) else {
        return;
    };
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    for name in listing.lines().filter_map(|l| l.split_whitespace().next()) {
        let Some(pid) = name
            .strip_prefix("synack-t-")
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            // Best effort: a failure here only leaves the old namespace.
            let _ = run(Command::new("ip").args(["netns", "del", name]));
        }
    }
}

/// Runs a command to completion; a non-zero exit is an error.
pub(crate) fn run(cmd: &mut Command) -> Result<Output, NetnsError> {
    let program = describe(cmd);
    let out = cmd.output().map_err(|source| NetnsError::Spawn {
        program: program.clone(),
        source,
    })?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(NetnsError::Failed {
            command: program,
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}

/// The command line, for messages.
pub(crate) fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|s| s.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
