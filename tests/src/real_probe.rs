//! Running `synack-real-probe` (tests/src/bin/) as root or as `nobody`,
//! and reading its JSON lines.
//!
//! The probe enters its own namespace, which needs a single-threaded
//! process: the tests cannot do it in the (multi-threaded) test harness, so
//! they spawn the probe. As `nobody` it runs through `su` (whose PATH for
//! an ordinary user has no /usr/sbin, like a user's shell) or, where the
//! test must signal the probe itself, through `setpriv`, which execs it.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// Who runs the probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum As {
    Root,
    Nobody,
}

impl As {
    pub const BOTH: [As; 2] = [As::Root, As::Nobody];
}

/// Root, the `nobody` user and the programs the tests use, or what is
/// missing (the tests skip, or fail with SYNACK_REQUIRE_LIVE=1).
pub fn preflight() -> Result<(), String> {
    // SAFETY: geteuid(2) cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Err(
            "not root: the tests run the probe as root and as nobody, and check the \
                    host's iptables (run them as root)"
                .into(),
        );
    }
    for (program, package) in [
        ("iptables-restore", "iptables"),
        ("iptables-save", "iptables"),
        ("setpriv", "util-linux"),
        ("su", "util-linux"),
    ] {
        let found = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
            .iter()
            .any(|d| Path::new(d).join(program).exists());
        if !found {
            return Err(format!(
                "`{program}` is missing: install it with `apt-get install -y {package}`"
            ));
        }
    }
    if Command::new("id")
        .arg("nobody")
        .output()
        .map_or(true, |o| !o.status.success())
    {
        return Err("there is no user `nobody`".into());
    }
    Ok(())
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A copy of the probe that `nobody` can run: the build directory may sit
/// under a directory that only root may enter (a CI checkout). Removed on
/// drop.
pub struct NobodyCopy {
    dir: PathBuf,
    path: PathBuf,
}

impl NobodyCopy {
    pub fn new(probe: &str) -> NobodyCopy {
        use std::os::unix::fs::PermissionsExt;
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "synack-real-probe-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))
            .expect("chmod the temporary directory");
        let path = dir.join("synack-real-probe");
        std::fs::copy(probe, &path).expect("copy the probe");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .expect("chmod the probe");
        NobodyCopy { dir, path }
    }

    pub fn path(&self) -> &str {
        self.path.to_str().expect("a UTF-8 temporary path")
    }
}

impl Drop for NobodyCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs the probe (`probe`: its path, `env!("CARGO_BIN_EXE_synack-real-probe")`
/// in the test) to completion.
pub fn run(probe: &str, who: As, args: &[&str]) -> Output {
    match who {
        As::Root => Command::new(probe)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("the probe could not be started"),
        As::Nobody => {
            let copy = NobodyCopy::new(probe);
            let line = std::iter::once(copy.path())
                .chain(args.iter().copied())
                .map(shell_quote)
                .collect::<Vec<_>>()
                .join(" ");
            Command::new("su")
                .args(["nobody", "-s", "/bin/sh", "-c", &line])
                .current_dir("/")
                .stdin(Stdio::null())
                .output()
                .expect("the probe could not be started")
        }
    }
}

/// Starts the probe so that the returned child *is* the probe (for kill -9).
/// As `nobody`, keep the [`NobodyCopy`] until the child has ended.
pub fn spawn(probe: &str, who: As, args: &[&str]) -> (Child, Option<NobodyCopy>) {
    let (mut cmd, copy) = match who {
        As::Root => (Command::new(probe), None),
        As::Nobody => {
            let copy = NobodyCopy::new(probe);
            let mut c = Command::new("setpriv");
            c.args([
                "--reuid=nobody",
                "--regid=nogroup",
                "--clear-groups",
                "--",
                copy.path(),
            ])
            .current_dir("/");
            (c, Some(copy))
        }
    };
    let child = cmd
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the probe could not be started");
    (child, copy)
}

/// The probe's JSON lines, or why it failed. Exit 3 (a missing privilege or
/// component, e.g. user namespaces disabled) is `Err(Skip)`, any other
/// failure `Err(Fail)`.
pub fn lines(out: &Output) -> Result<Vec<Value>, Failed> {
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    match out.status.code() {
        Some(0) => {}
        Some(3) => return Err(Failed::Unavailable(stderr)),
        _ => return Err(Failed::Broken(format!("{}: {stderr}", out.status))),
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect())
}

/// How a probe run failed.
#[derive(Debug)]
pub enum Failed {
    /// Exit 3: the system lacks something; the message says what.
    Unavailable(String),
    /// Anything else.
    Broken(String),
}

/// The lines of one kind.
pub fn of_kind<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["kind"] == kind).collect()
}

/// The one line of a kind.
#[track_caller]
pub fn one<'a>(lines: &'a [Value], kind: &str) -> &'a Value {
    let v = of_kind(lines, kind);
    assert_eq!(v.len(), 1, "expected one {kind} line in {lines:#?}");
    v[0]
}

/// Whether the live tests can run here: [`preflight`], which under
/// `SYNACK_REQUIRE_LIVE=1` must pass (a panic), else a skip printed with
/// its reason.
pub fn live_or_skip() -> bool {
    match preflight() {
        Ok(()) => true,
        Err(why) if std::env::var_os("SYNACK_REQUIRE_LIVE").is_some() => {
            panic!("SYNACK_REQUIRE_LIVE=1 but {why}")
        }
        Err(why) => {
            eprintln!("skipped: {why}");
            false
        }
    }
}
