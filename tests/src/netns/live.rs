//! When tests that need root and system tools run, and when they skip.
//!
//! With `SYNACK_REQUIRE_LIVE=1` (set by CI) a missing privilege or tool
//! fails the test; elsewhere the test prints why it skips and passes.

use std::process::{Command, Stdio};

/// The environment variable that makes live tests mandatory.
pub const REQUIRE_LIVE: &str = "SYNACK_REQUIRE_LIVE";

/// True when `SYNACK_REQUIRE_LIVE=1`.
pub fn required() -> bool {
    std::env::var(REQUIRE_LIVE).is_ok_and(|v| v == "1")
}

/// Root and the programs a namespace capture needs, or what is missing.
pub fn preflight() -> Result<(), String> {
    // SAFETY: geteuid(2) has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Err("not root: network namespaces and iptables need root \
                    (run the tests as root, e.g. with sudo -E)"
            .into());
    }
    for (program, arg) in [
        ("ip", "-V"),
        ("iptables", "--version"),
        ("ethtool", "--version"),
        ("tcpdump", "--version"),
    ] {
        tool(program, arg)?;
    }
    Ok(())
}

/// tshark is there, or how to install it.
pub fn tshark() -> Result<(), String> {
    tool("tshark", "--version")
}

fn tool(program: &str, arg: &str) -> Result<(), String> {
    let ok = Command::new(program)
        .arg(arg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Ok(())
    } else {
        let package = match program {
            "ip" => "iproute2",
            other => other,
        };
        Err(format!(
            "`{program}` is missing: install it with `apt-get install -y {package}`"
        ))
    }
}

/// Decides what a test does when `check` failed: with
/// `SYNACK_REQUIRE_LIVE=1` it panics (a test failure), elsewhere it prints
/// the reason and returns false (the test skips). Returns true when `check`
/// passed.
#[track_caller]
pub fn go_or_skip(test: &str, check: Result<(), String>) -> bool {
    match check {
        Ok(()) => true,
        Err(reason) if required() => {
            panic!("{test}: {reason} ({REQUIRE_LIVE}=1, so this is a failure, not a skip)")
        }
        Err(reason) => {
            eprintln!("{test}: skipped: {reason}");
            false
        }
    }
}
