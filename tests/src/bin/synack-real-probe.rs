//! synack-real-probe: drives `synack_capture::real` in a process of its own,
//! for `tests/tests/real_infra.rs` and `bench/real-setup.sh`.
//!
//! `real::netns::enter` must run before any thread starts (unshare(2) and
//! CLONE_NEWUSER), and the test harness is multi-threaded, so the tests
//! spawn this binary, as root or as `nobody`, and read its JSON lines.
//!
//! Usage:
//! - `netns [MSS]`: enter the namespace, print it (`{"kind":"netns",...}`).
//! - `conn [--diag-only] [--rtt-ms N] [RULE]...`: enter, start the capture,
//!   the kernel states and the link (RULE: a scenario line such as
//!   `drop client->server data #1`), make one connection (connect, accept,
//!   "Michael" →, ← "Hello, Michael!", client close, server close), wait for
//!   the client's TIME-WAIT, stop, and print the namespace, the link's
//!   records, the frames, the state changes, the retransmissions, the
//!   client's tcp_info and the timings.
//! - `hold`: enter and start everything, print `{"kind":"ready",...}`, then
//!   sleep until killed (the kill -9 test).
//! - `cycle`: start everything and stop it again, no traffic; print the
//!   timings (the cost of setting up and tearing down, bench/real-setup.sh).
//!
//! `alarm(2)` ends the process after 20 s whatever happens (a watchdog
//! thread would have to start after `enter`; a signal needs none).
//! Exit status: 0 done, 1 a step failed (message on stderr), 2 usage, 3
//! the namespace or a component is unavailable (message says how to fix).

use std::io::{Read, Write};
use std::net::{SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use socket2::{Domain, Protocol, Socket, Type};
use synack_capture::real::{
    self, tcp_info, CaptureOptions, KernelStates, LinkConfig, LinkEvent, Netns, NetnsOptions,
    NfqLink, RealCapture, RealError, StateChange, StatesOptions, VerdictRecord, Verdicts,
};
use synack_sim::link::{Link, Verdict};
use synack_sim::{Dir, State, TcpHeader};

const SERVER_PORT: u16 = 9999;
const CLIENT_PORT: u16 = 49152;
const IO_TIMEOUT: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    // SAFETY: alarm(2) has no preconditions; SIGALRM's default ends us.
    unsafe { libc::alarm(20) };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("netns") => netns(&args[1..]),
        Some("conn") => conn(&args[1..]),
        Some("hold") => hold(),
        Some("cycle") => cycle(),
        _ => {
            eprintln!("usage: synack-real-probe netns [MSS] | conn [--diag-only] [--rtt-ms N] [RULE]... | hold");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Unavailable(msg)) => {
            eprintln!("synack-real-probe: {msg}");
            ExitCode::from(3)
        }
        Err(Failure::Step(msg)) => {
            eprintln!("synack-real-probe: {msg}");
            ExitCode::from(1)
        }
    }
}

enum Failure {
    Unavailable(String),
    Step(String),
}

impl<E: Into<RealError>> From<E> for Failure {
    fn from(e: E) -> Failure {
        let e = e.into();
        if e.is_unavailable() {
            Failure::Unavailable(e.to_string())
        } else {
            Failure::Step(e.to_string())
        }
    }
}

fn step<T, E: std::fmt::Display>(what: &str, r: Result<T, E>) -> Result<T, Failure> {
    r.map_err(|e| Failure::Step(format!("{what}: {e}")))
}

fn emit(v: Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}

fn enter(mss: u16) -> Result<Netns, Failure> {
    Ok(real::netns::enter(&NetnsOptions { mss, pair: None })?)
}

fn netns_json(ns: &Netns) -> Value {
    json!({
        "kind": "netns",
        "privilege": if ns.privilege.is_root() { "root" } else { "user" },
        "client": ns.pair.client.to_string(),
        "server": ns.pair.server.to_string(),
        "mtu": ns.mtu,
        "offloads": ns.offloads.iter().map(|o| json!({
            "name": o.offload.name(), "off": o.off, "error": o.error,
        })).collect::<Vec<_>>(),
        "sysctls": ns.sysctls.in_order().map(|(k, v)| (k.to_owned(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "kernel": ns.kernel_release,
        "private_mounts": ns.private_mounts,
        "setup_us": ns.setup.as_micros() as u64,
        "netns_inode": netns_inode(),
    })
}

/// The inode of this process's network namespace (`/proc/self/ns/net`).
fn netns_inode() -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self/ns/net").ok().map(|m| m.ino())
}

fn netns(args: &[String]) -> Result<(), Failure> {
    let mss = match args.first() {
        Some(s) => step("MSS", s.parse::<u16>())?,
        None => 1460,
    };
    let ns = enter(mss)?;
    emit(netns_json(&ns));
    Ok(())
}

/// The link's verdicts from the simulator's rule engine, with the states
/// polled when each packet arrives and after its verdict is applied (as
/// `synack real` will, for inet_diag without root).
struct ProbeVerdicts {
    link: Link,
    states: Arc<Mutex<Polls>>,
}

struct Polls {
    kstate: KernelStates,
    changes: Vec<StateChange>,
    retransmits: Vec<real::Retransmit>,
    errors: Vec<String>,
}

impl Polls {
    fn poll(&mut self) {
        match self.kstate.poll() {
            Ok(p) => {
                self.changes.extend(p.changes);
                self.retransmits.extend(p.retransmits);
            }
            Err(e) => self.errors.push(e.to_string()),
        }
    }
}

impl Verdicts for ProbeVerdicts {
    /// A poll when a packet reaches the queue too: its sender's state
    /// changed when it sent it (SYN-SENT, FIN-WAIT-1), which inet_diag
    /// alone would otherwise see only after the blocking call returns.
    fn verdict(&mut self, dir: Dir, hdr: &TcpHeader) -> Verdict {
        if let Ok(mut s) = self.states.lock() {
            s.poll();
        }
        self.link.verdict(dir, hdr)
    }
    fn applied(&mut self, _: &VerdictRecord) {
        if let Ok(mut s) = self.states.lock() {
            s.poll();
        }
    }
}

struct Args {
    diag_only: bool,
    rtt_ms: u64,
    rules: Vec<String>,
}

fn parse_conn(args: &[String]) -> Result<Args, Failure> {
    let mut a = Args {
        diag_only: false,
        rtt_ms: 20,
        rules: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--diag-only" => a.diag_only = true,
            "--rtt-ms" => {
                let v = it
                    .next()
                    .ok_or_else(|| Failure::Step("--rtt-ms N".into()))?;
                a.rtt_ms = step("--rtt-ms", v.parse())?;
            }
            rule => a.rules.push(rule.to_owned()),
        }
    }
    Ok(a)
}

/// The simulator's link for `rtt` and the scenario lines `rules`.
fn sim_link(rtt_ms: u64, rules: &[String]) -> Result<Link, Failure> {
    let text = format!("rtt {rtt_ms}ms\n{}\n", rules.join("\n"));
    let sc = step(
        "the link rules",
        synack_sim::scenario::parse("probe", &text),
    )?;
    let s = sc.settings;
    Ok(Link::new(s.rtt_us, s.faults, s.losses, s.seed))
}

/// Everything started, in the order the runner will start it.
struct Running {
    ns: Netns,
    capture: RealCapture,
    link: NfqLink,
    states: Arc<Mutex<Polls>>,
    timing: serde_json::Map<String, Value>,
}

fn start(mss: u16, diag_only: bool, link: Link, rtt_ms: u64) -> Result<Running, Failure> {
    let mut timing = serde_json::Map::new();
    let t = Instant::now();
    let ns = enter(mss)?;
    timing.insert("enter_us".into(), json!(t.elapsed().as_micros() as u64));
    let t = Instant::now();
    let capture = RealCapture::start(&ns, &CaptureOptions::default())?;
    timing.insert("capture_us".into(), json!(t.elapsed().as_micros() as u64));
    let t = Instant::now();
    let opts = StatesOptions {
        tracepoints: ns.privilege.is_root() && !diag_only,
        synack_retransmits: false,
    };
    let kstate = KernelStates::open_with(&ns, opts)?;
    timing.insert("kstate_us".into(), json!(t.elapsed().as_micros() as u64));
    let states = Arc::new(Mutex::new(Polls {
        kstate,
        changes: Vec::new(),
        retransmits: Vec::new(),
        errors: Vec::new(),
    }));
    let t = Instant::now();
    let verdicts = ProbeVerdicts {
        link,
        states: Arc::clone(&states),
    };
    let link = NfqLink::start(LinkConfig::new(&ns, rtt_ms * 1000), verdicts)?;
    timing.insert("link_us".into(), json!(t.elapsed().as_micros() as u64));
    Ok(Running {
        ns,
        capture,
        link,
        states,
        timing,
    })
}

fn hold() -> Result<(), Failure> {
    let r = start(1460, false, sim_link(20, &[])?, 20)?;
    let mode = r.states.lock().map(|s| s.kstate.mode().clone());
    emit(json!({
        "kind": "ready",
        "pid": std::process::id(),
        "netns_inode": netns_inode(),
        "client": r.ns.pair.client.to_string(),
        "server": r.ns.pair.server.to_string(),
        "queue": r.link.queue_num(),
        "tracepoints": matches!(mode, Ok(real::StatesMode::Tracepoints)),
    }));
    loop {
        std::thread::sleep(Duration::from_secs(60));
    }
}

fn cycle() -> Result<(), Failure> {
    let t_total = Instant::now();
    let mut r = start(1460, false, sim_link(20, &[])?, 20)?;
    r.timing.insert(
        "setup_us".into(),
        json!(t_total.elapsed().as_micros() as u64),
    );
    let t = Instant::now();
    let tracepoints = r
        .states
        .lock()
        .is_ok_and(|s| *s.kstate.mode() == real::StatesMode::Tracepoints);
    r.link.stop()?;
    let polls = Arc::try_unwrap(r.states)
        .map_err(|_| Failure::Step("the link still holds the states".into()))?
        .into_inner()
        .map_err(|_| Failure::Step("a poll panicked".into()))?;
    polls.kstate.close()?;
    r.capture.stop()?;
    r.timing
        .insert("teardown_us".into(), json!(t.elapsed().as_micros() as u64));
    r.timing.insert("tracepoints".into(), json!(tracepoints));
    emit(Value::Object(
        std::iter::once(("kind".to_owned(), json!("timing")))
            .chain(r.timing)
            .collect(),
    ));
    Ok(())
}

fn conn(args: &[String]) -> Result<(), Failure> {
    let a = parse_conn(args)?;
    let link = sim_link(a.rtt_ms, &a.rules)?;
    let t_total = Instant::now();
    let mut r = start(1460, a.diag_only, link, a.rtt_ms)?;
    let setup_us = t_total.elapsed().as_micros() as u64;
    emit(netns_json(&r.ns));
    let t = Instant::now();
    let info = exchange(&r.ns, &r.states)?;
    wait_for_time_wait(&r.ns, &r.states);
    r.timing
        .insert("scenario_us".into(), json!(t.elapsed().as_micros() as u64));

    // Every packet sent has been decided; its Applied event may still be
    // on its way (the kernel state the wait saw changed inside the verdict,
    // before the event was sent).
    let decided_in = |ev: &[LinkEvent]| {
        ev.iter()
            .filter(|e| matches!(e, LinkEvent::Decided(_)))
            .count()
    };
    let mut events: Vec<LinkEvent> = Vec::new();
    while let Ok(e) = r.link.events().recv_timeout(Duration::from_millis(200)) {
        events.push(e);
        events.extend(r.link.events().try_iter());
        if events.len() == 2 * decided_in(&events) {
            break;
        }
    }
    let decided = decided_in(&events);
    let t = Instant::now();
    let report = r.link.stop()?;
    r.timing
        .insert("stop_link_us".into(), json!(t.elapsed().as_micros() as u64));
    let clock_uncertainty_ns = r.capture.offset.uncertainty_ns;
    let t = Instant::now();
    let cap = r.capture.stop()?;
    r.timing.insert(
        "stop_capture_us".into(),
        json!(t.elapsed().as_micros() as u64),
    );
    let t = Instant::now();
    let polls = Arc::try_unwrap(r.states)
        .map_err(|_| Failure::Step("the link still holds the states".into()))?
        .into_inner()
        .map_err(|_| Failure::Step("a poll panicked".into()))?;
    let mode = polls.kstate.mode().clone();
    let perf_events = polls.kstate.perf_events();
    let lost = polls.kstate.lost();
    let filters_refused = polls.kstate.filters_refused();
    let last = polls.kstate.close()?;
    r.timing.insert(
        "close_kstate_us".into(),
        json!(t.elapsed().as_micros() as u64),
    );
    r.timing.insert("setup_us".into(), json!(setup_us));
    let mut changes = polls.changes;
    changes.extend(last.changes);
    let mut retransmits = polls.retransmits;
    retransmits.extend(last.retransmits);

    let (mode_name, reason) = match &mode {
        real::StatesMode::Tracepoints => ("tracepoints", None),
        real::StatesMode::InetDiagOnly { reason } => ("inet_diag", Some(reason.clone())),
    };
    emit(
        json!({"kind": "mode", "states": mode_name, "reason": reason, "perf_events": perf_events, "lost": lost, "filters_refused": filters_refused}),
    );
    for rec in &report.records {
        emit(json!({
            "kind": "record", "n": rec.n, "t_ns": rec.t_ns, "dir": rec.dir.name(),
            "flags": rec.hdr.flags.to_string(), "seq": rec.hdr.seq.0, "len": rec.hdr.payload_len,
            "key": rec.key.to_string(), "verdict": format!("{:?}", rec.verdict),
            "due_ns": rec.due_ns, "applied_ns": rec.applied_ns, "copy_sent_ns": rec.copy_sent_ns,
            "error": rec.error,
        }));
    }
    for f in &cap.frames {
        let p = f.decode().ok();
        emit(json!({
            "kind": "frame", "number": f.number, "t_ns": f.t_ns,
            "key": f.key().map(|k| k.to_string()),
            "src": p.map(|p| p.src.to_string()), "dst": p.map(|p| p.dst.to_string()),
            "flags": p.map(|p| p.hdr.flags.to_string()), "seq": p.map(|p| p.hdr.seq.0),
            "len": p.map(|p| p.hdr.payload_len),
        }));
    }
    for c in &changes {
        emit(json!({
            "kind": "state", "t_ns": c.t_ns, "local": c.local.to_string(), "remote": c.remote.to_string(),
            "from": c.from.name(), "to": c.to.name(), "source": format!("{:?}", c.source),
            "sock": format!("{:?}", c.sock), "when": format!("{:?}", c.when),
            "kernel": real::kstate::linux_state_name(c.kernel_state),
        }));
    }
    for x in &retransmits {
        emit(json!({
            "kind": "retransmit", "t_ns": x.t_ns, "local": x.local.to_string(),
            "remote": x.remote.to_string(), "synack": x.synack,
        }));
    }
    emit(
        json!({"kind": "tcp_info", "rtt_us": info.rtt_us, "rto_us": info.rto_us, "cwnd": info.snd_cwnd}),
    );
    emit(json!({
        "kind": "stats", "events_decided": decided, "events_applied": events.len() - decided,
        "foreign": report.foreign, "queue_dropped": report.queue_dropped,
        "user_dropped": report.user_dropped, "captured": cap.stats.captured,
        "dropped_by_kernel": cap.stats.dropped_by_kernel, "poll_errors": polls.errors,
        "clock_uncertainty_ns": clock_uncertainty_ns,
    }));
    emit(Value::Object(
        std::iter::once(("kind".to_owned(), json!("timing")))
            .chain(r.timing)
            .collect(),
    ));
    Ok(())
}

fn poll(states: &Mutex<Polls>) {
    if let Ok(mut s) = states.lock() {
        s.poll();
    }
}

/// The connection, with a poll after every call.
fn exchange(ns: &Netns, states: &Mutex<Polls>) -> Result<real::TcpInfo, Failure> {
    let server_addr = SocketAddrV4::new(ns.pair.server, SERVER_PORT);
    let l = step("listen", listener(server_addr))?;
    poll(states);
    let c = step(
        "bind the client",
        bound(SocketAddrV4::new(ns.pair.client, CLIENT_PORT)),
    )?;
    step(
        "connect",
        c.connect_timeout(&SocketAddr::V4(server_addr).into(), IO_TIMEOUT),
    )?;
    let mut c: TcpStream = c.into();
    poll(states);
    let (mut s, _) = step("accept", l.accept())?;
    poll(states);
    for t in [&c, &s] {
        step("timeouts", t.set_read_timeout(Some(IO_TIMEOUT)))?;
    }
    step("client send", c.write_all(b"Michael"))?;
    poll(states);
    let mut buf = [0u8; 7];
    step("server recv", s.read_exact(&mut buf))?;
    poll(states);
    if &buf != b"Michael" {
        return Err(Failure::Step(format!("the server read {buf:?}")));
    }
    step("server send", s.write_all(b"Hello, Michael!"))?;
    poll(states);
    let mut buf = [0u8; 15];
    step("client recv", c.read_exact(&mut buf))?;
    poll(states);
    let info = step("tcp_info", tcp_info(c.as_raw_fd()))?;
    drop(c);
    poll(states);
    let mut rest = Vec::new();
    step("server recv to end", s.read_to_end(&mut rest))?;
    poll(states);
    drop(s);
    poll(states);
    drop(l);
    poll(states);
    Ok(info)
}

/// Polls until the client's TIME-WAIT has been seen (at most 2 s).
fn wait_for_time_wait(ns: &Netns, states: &Mutex<Polls>) {
    let client = SocketAddrV4::new(ns.pair.client, CLIENT_PORT);
    let server = SocketAddrV4::new(ns.pair.server, SERVER_PORT);
    let end = Instant::now() + Duration::from_secs(2);
    while Instant::now() < end {
        poll(states);
        let done = states.lock().is_ok_and(|s| {
            s.kstate.state(client, server) == State::TimeWait
                && s.kstate.state(server, client) == State::Closed
        });
        if done {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn listener(addr: SocketAddrV4) -> std::io::Result<TcpListener> {
    let s = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    s.set_reuse_address(true)?;
    s.bind(&SocketAddr::V4(addr).into())?;
    s.listen(8)?;
    Ok(s.into())
}

fn bound(addr: SocketAddrV4) -> std::io::Result<Socket> {
    let s = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    s.bind(&SocketAddr::V4(addr).into())?;
    Ok(s)
}
