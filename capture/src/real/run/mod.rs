//! The runner of `synack real`: a scenario's calls on real kernel sockets,
//! its link applied to the real packets, its states read from the kernel,
//! and the transcript put together from all of it (docs/real.md).
//!
//! # Calling order
//! 1. [`refuse`]`(&scenario)` before anything: the statements the real link
//!    cannot honour (file:line:col and why).
//! 2. [`super::netns::enter`] first thing in `main` (before any thread).
//! 3. [`run`]`(&netns, &scenario, &RealOptions)`: starts the capture, the
//!    kernel states, the link and one worker per endpoint; runs the steps in
//!    order (a step's calls start together; the step ends when each has
//!    returned, as in the simulator); lets the connection settle; stops
//!    everything and returns the [`RealRun`].

mod assemble;
mod driver;
mod forge;
mod sides;

use super::capture::{CaptureOptions, RealCapture};
use super::clock::now_ns;
use super::kstate::{DiagSocket, KernelStates, Retransmit, StateChange, StatesMode, StatesOptions};
use super::link::{LinkConfig, LinkEvent, NfqLink};
use super::netns::{Netns, Privilege};
use super::RealError;
use assemble::{KernelRetx, Parts, Timed};
use driver::{Cmd, Endpoint, Job, Report};
use forge::WireView;
use sides::Sides;
use std::net::{SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{Arc, Barrier};
use std::time::Duration;
use synack_sim::calls::{Call, CallResult};
use synack_sim::link::Link;
use synack_sim::scenario::{Action, Scenario, ScenarioError};
use synack_sim::transcript::{ConnInfo, Note, OwnedEvent, OwnedKind};
use synack_sim::world::{self, CheckFailure};
use synack_sim::{Side, State};

/// How long one blocking call may wait before the run stops (the issue's
/// cap: `connect` gives up by itself after its SYN retries, well within it).
pub const CALL_CAP: Duration = Duration::from_secs(300);
/// How long the connection may take to settle after the last step.
const DRAIN_CAP: Duration = Duration::from_secs(60);
/// How often the kernel's states are polled while nothing else happens.
const IDLE_POLL: Duration = Duration::from_millis(5);
/// A poll of the kernel's states this recent is not repeated as a step
/// begins.
const FRESH_POLL: Duration = Duration::from_millis(1);
/// The least quiet on the link that ends a run once every socket settled.
const QUIET_MIN: Duration = Duration::from_millis(60);

/// How a real run is made.
#[derive(Clone, Debug)]
pub struct RealOptions {
    /// `-w FILE`: keep the raw capture (pcap or pcapng by extension).
    pub write_to: Option<PathBuf>,
    /// Read states from inet_diag alone even as root (what a user sees).
    pub diag_only: bool,
    /// Set by Ctrl-C: the run stops, cleans up, and says so.
    pub interrupt: Arc<AtomicBool>,
    /// The longest a call may block ([`CALL_CAP`]).
    pub call_cap: Duration,
}

impl Default for RealOptions {
    fn default() -> RealOptions {
        RealOptions {
            write_to: None,
            diag_only: false,
            interrupt: Arc::new(AtomicBool::new(false)),
            call_cap: CALL_CAP,
        }
    }
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// Every step ran.
    Complete,
    /// Ctrl-C.
    Interrupted,
    /// A call of `side` was still blocked after the cap (scenario `line`).
    CallTooLong {
        side: Side,
        line: u32,
        after_us: u64,
    },
    /// A line only the run could find wrong (an `inject` without the
    /// numbers it needs, as in the simulator): the run stops there.
    BadLine(ScenarioError),
}

/// What a run's header names.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// `uname -r`.
    pub kernel: String,
    pub states: StatesMode,
    pub privilege: Privilege,
    /// `net.ipv4.tcp_congestion_control` of the run's namespace.
    pub congestion_control: String,
    pub pair: super::AddrPair,
}

/// A real run, ready to render.
#[derive(Clone, Debug)]
pub struct RealRun {
    pub conn: ConnInfo,
    pub events: Vec<OwnedEvent>,
    pub failures: Vec<CheckFailure>,
    pub info: RunInfo,
    pub end: RunEnd,
}

/// Refuses, before the run, a statement the real run cannot honour.
pub fn refuse(scenario: &Scenario) -> Result<(), ScenarioError> {
    if scenario.settings.transport == synack_sim::scenario::Transport::Udp {
        let (line, col) = scenario.settings.transport_at.unwrap_or((1, 1));
        return Err(ScenarioError {
            file: scenario.source.clone(),
            line,
            col,
            message: "\"transport udp\" runs in the simulator only: the real run, its link and its states are TCP's; use `synack sim`".into(),
        });
    }
    for side in [Side::Client, Side::Server] {
        if let Some((line, col)) = scenario.settings.isn_at[side.index()] {
            return Err(ScenarioError {
                file: scenario.source.clone(),
                line,
                col,
                message: format!(
                    "\"isn {side}\" cannot be honoured on the real kernel: Linux chooses its own initial sequence numbers (RFC 6528); run this scenario with `synack sim`, or remove the line"
                ),
            });
        }
    }
    Ok(())
}

/// A call or wait of the current step that has not ended yet.
enum Pending {
    /// The side's calls: the step waits until each has returned.
    Call {
        side: Side,
        since: u64,
    },
    Until(u64),
    UntilState {
        line: u32,
        side: Side,
        state: State,
        deadline: u64,
        max_us: u64,
    },
}

/// Everything a run holds while it runs.
struct Runner<'a> {
    scenario: &'a Scenario,
    opts: &'a RealOptions,
    states: KernelStates,
    link: NfqLink,
    reports: Receiver<Report>,
    endpoints: [Endpoint; 2],
    worker_stop: Arc<AtomicBool>,
    sides: Sides,
    changes: Vec<StateChange>,
    /// The kernel's retransmissions; `None` without the tracepoints.
    retransmits: Option<Vec<KernelRetx>>,
    other: Vec<Timed>,
    failures: Vec<CheckFailure>,
    /// Calls sent to each side that have not returned yet.
    outstanding: [u32; 2],
    pending: Vec<Pending>,
    ports: [u16; 2],
    pair: super::AddrPair,
    last_packet_ns: u64,
    last_poll_ns: u64,
    /// What the link saw of each side: the defaults of `inject`.
    view: WireView,
    /// The raw socket of `inject`, opened at the first.
    raw: Option<super::rawsock::RawSender>,
    /// The forged packets: (packet key, when sent).
    forged: Vec<(u64, u64)>,
    /// A line the run found wrong; the run stops.
    bad_line: Option<ScenarioError>,
    /// Whether each side's latest call has acted (it blocked, returned or
    /// ended): an `inject` after it on the same line waits for that.
    acted: [bool; 2],
}

/// Runs `scenario` for real in `netns` (see the module docs).
pub fn run(netns: &Netns, scenario: &Scenario, opts: &RealOptions) -> Result<RealRun, RealError> {
    let s = &scenario.settings;
    let capture = RealCapture::start(
        netns,
        &CaptureOptions {
            write_to: opts.write_to.clone(),
            ..CaptureOptions::default()
        },
    )?;
    let states = KernelStates::open_with(
        netns,
        StatesOptions {
            tracepoints: !opts.diag_only,
            // A request socket's SYN-ACK retransmissions have their own
            // tracepoint, whose release costs ~35 ms more at the end
            // (docs/real.md "Costs"); they go unconfirmed instead.
            synack_retransmits: false,
        },
    )?;
    let engine = Link::new(s.rtt_us, s.faults.clone(), s.losses.clone(), s.seed);
    let link = NfqLink::start(LinkConfig::new(netns, s.rtt_us), engine)?;
    let (tx, rx) = channel();
    let worker_stop = Arc::new(AtomicBool::new(false));
    let spawn = |side: Side, addr| {
        Endpoint::spawn(side, addr, tx.clone(), worker_stop.clone())
            .map_err(|e| RealError::Worker(e.to_string()))
    };
    let endpoints = [
        spawn(Side::Client, netns.pair.client)?,
        spawn(Side::Server, netns.pair.server)?,
    ];
    let info = RunInfo {
        kernel: netns.kernel_release.clone(),
        states: states.mode().clone(),
        privilege: netns.privilege,
        congestion_control: netns
            .sysctls
            .get("net.ipv4.tcp_congestion_control")
            .unwrap_or("?")
            .to_string(),
        pair: netns.pair,
    };
    let t0 = now_ns();
    let mut r = Runner {
        scenario,
        opts,
        states,
        link,
        reports: rx,
        endpoints,
        worker_stop: worker_stop.clone(),
        sides: Sides::new(netns.pair),
        changes: Vec::new(),
        retransmits: None,
        other: Vec::new(),
        failures: Vec::new(),
        outstanding: [0; 2],
        pending: Vec::new(),
        ports: world::ports(scenario),
        pair: netns.pair,
        last_packet_ns: t0,
        last_poll_ns: 0,
        view: WireView::default(),
        raw: None,
        forged: Vec::new(),
        bad_line: None,
        acted: [true; 2],
    };
    match r.states.mode() {
        StatesMode::InetDiagOnly { .. } => r.note(t0, Note::PolledStates),
        StatesMode::Tracepoints => r.retransmits = Some(Vec::new()),
    }
    let end = r.steps();
    if end == RunEnd::Complete {
        r.drain();
    }
    // Stop in this order: the capture first, so nothing the teardown sends
    // (a FIN of a socket still open) reaches the transcript; the last
    // states; the link; then the workers and their sockets.
    let report = capture.stop()?;
    let sockets = r.states.sockets().to_vec();
    let last = r.states.close()?;
    r.changes.extend(last.changes);
    if let Some(all) = r.retransmits.as_mut() {
        kernel_retx(last.retransmits, r.pair, &sockets, all);
    }
    let link_report = r.link.stop()?;
    r.worker_stop.store(true, Ordering::SeqCst);
    let Runner {
        mut changes,
        retransmits,
        mut other,
        failures,
        pair,
        forged,
        ..
    } = r;
    // Reports that came late (a call cut short by the stop).
    changes.sort_by_key(|c| c.t_ns);
    let mut sides = Sides::new(pair);
    let states = changes.iter().filter_map(|c| sides.apply(c)).collect();
    other.sort_by_key(|t| t.t_ns);
    let events = assemble::assemble(Parts {
        t0_ns: t0,
        frames: report.frames,
        records: link_report.records,
        states,
        other,
        retransmits,
        pair,
        forged,
    });
    let conn = world::conn_info(scenario);
    Ok(RealRun {
        conn: ConnInfo {
            conn: None,
            client: SocketAddr::V4(SocketAddrV4::new(pair.client, conn.client.port())),
            server: SocketAddr::V4(SocketAddrV4::new(pair.server, conn.server.port())),
        },
        events,
        failures,
        info,
        end,
    })
}

/// The kernel's retransmissions `found`, each with its socket's RTO and
/// cwnd as the last inet_diag dump (`sockets`, just after it) had them.
fn kernel_retx(
    found: Vec<Retransmit>,
    pair: super::AddrPair,
    sockets: &[DiagSocket],
    all: &mut Vec<KernelRetx>,
) {
    for r in found {
        let side = if *r.local.ip() == pair.client {
            Side::Client
        } else if *r.local.ip() == pair.server {
            Side::Server
        } else {
            continue;
        };
        let info = sockets
            .iter()
            .find(|d| d.local == r.local && d.remote == r.remote)
            .and_then(|d| d.info);
        all.push(KernelRetx {
            t_ns: r.t_ns,
            side,
            rto_us: info.map(|i| u64::from(i.rto_us)),
            cwnd: info.map(|i| i.snd_cwnd),
        });
    }
}

impl Runner<'_> {
    fn note(&mut self, t_ns: u64, note: Note) {
        self.other.push(Timed {
            t_ns,
            kind: OwnedKind::Note(note),
        });
    }

    fn take_changes(&mut self, changes: Vec<StateChange>) {
        for c in changes {
            self.sides.apply(&c);
            self.changes.push(c);
        }
    }

    fn take_retransmits(&mut self, found: Vec<Retransmit>) {
        if let Some(all) = self.retransmits.as_mut() {
            kernel_retx(found, self.pair, self.states.sockets(), all);
        }
    }

    /// Polls the kernel's states.
    pub(super) fn poll_states(&mut self) {
        self.last_poll_ns = now_ns();
        if let Ok(p) = self.states.poll() {
            self.take_changes(p.changes);
            self.take_retransmits(p.retransmits);
        }
    }

    /// Waits up to `timeout` for something to happen, and takes it in:
    /// the workers' reports, the link's packets, the kernel's states.
    pub(super) fn tick(&mut self, timeout: Duration) {
        let mut busy = false;
        match self.reports.recv_timeout(timeout) {
            Ok(r) => {
                self.take_report(r);
                busy = true;
                while let Ok(r) = self.reports.try_recv() {
                    self.take_report(r);
                }
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
        }
        busy |= self.take_link_events();
        if busy || now_ns().saturating_sub(self.last_poll_ns) >= IDLE_POLL.as_nanos() as u64 {
            self.poll_states();
        }
    }

    /// Takes in the link's packets; true when there were any.
    pub(super) fn take_link_events(&mut self) -> bool {
        let mut any = false;
        while let Ok(e) = self.link.events().try_recv() {
            any = true;
            match &e {
                LinkEvent::Decided(rec) => {
                    self.last_packet_ns = self.last_packet_ns.max(rec.t_ns);
                    self.view.sent(rec.dir.sender(), &rec.hdr);
                }
                LinkEvent::Applied(rec) => {
                    self.last_packet_ns = self.last_packet_ns.max(rec.t_ns);
                    self.view.applied(rec.dir.sender(), &rec.hdr, rec.verdict);
                }
                LinkEvent::Failed(_) => {}
            }
        }
        any
    }

    /// A call's result (or that it blocks) as the side's driver reported it.
    fn push_call(&mut self, side: Side, call: Call, result: CallResult, t_ns: u64) {
        self.acted[side.index()] = true;
        self.other.push(Timed {
            t_ns,
            kind: OwnedKind::App {
                endpoint: side,
                call,
                result,
            },
        })
    }

    fn take_report(&mut self, r: Report) {
        match r {
            Report::Blocked {
                side,
                call,
                why,
                t_ns,
            } => self.push_call(side, call, CallResult::Blocked(why), t_ns),
            Report::Done {
                side,
                call,
                result,
                t_ns,
            } => self.push_call(side, call, result, t_ns),
            Report::Returned { side } => {
                self.acted[side.index()] = true;
                let n = &mut self.outstanding[side.index()];
                *n = n.saturating_sub(1);
            }
        }
    }

    /// Runs every step; how the run ended.
    fn steps(&mut self) -> RunEnd {
        for step in &self.scenario.steps {
            // The states as the step begins (unless the last step just read
            // them: an `inject` polls after its send; a dump takes ~1 ms).
            if now_ns().saturating_sub(self.last_poll_ns) > FRESH_POLL.as_nanos() as u64 {
                self.poll_states();
            }
            // `&`: the first call of each side meets the others at a
            // barrier just before it acts (a side's later calls follow its
            // first on the same worker).
            let mut callers: Vec<Side> = step.actions.iter().filter_map(Action::caller).collect();
            callers.dedup();
            callers.sort();
            callers.dedup();
            let together = (callers.len() > 1).then(|| Arc::new(Barrier::new(callers.len())));
            let mut met = [false; 2];
            for action in &step.actions {
                let meet = match action.caller() {
                    Some(side) if !met[side.index()] => {
                        met[side.index()] = true;
                        together.clone()
                    }
                    _ => None,
                };
                self.start(action, step.line, &meet);
            }
            if let Some(e) = self.bad_line.take() {
                return RunEnd::BadLine(e);
            }
            loop {
                if self.opts.interrupt.load(Ordering::SeqCst) {
                    self.note(now_ns(), Note::Interrupted);
                    return RunEnd::Interrupted;
                }
                if let Some(side) = self.call_too_long() {
                    let after_us = self.opts.call_cap.as_micros() as u64;
                    self.note(now_ns(), Note::CallTooLong { side, after_us });
                    return RunEnd::CallTooLong {
                        after_us,
                        side,
                        line: step.line,
                    };
                }
                self.settle_pending();
                if self.pending.is_empty() {
                    break;
                }
                self.tick(Duration::from_millis(1));
            }
        }
        RunEnd::Complete
    }

    /// The side whose call has waited past the cap, if any.
    fn call_too_long(&self) -> Option<Side> {
        let cap = self.opts.call_cap.as_nanos() as u64;
        let now = now_ns();
        self.pending.iter().find_map(|p| match p {
            Pending::Call { side, since } if now.saturating_sub(*since) > cap => Some(*side),
            _ => None,
        })
    }

    /// Ends the waits and calls that are over.
    fn settle_pending(&mut self) {
        let now = now_ns();
        for p in std::mem::take(&mut self.pending) {
            let keep = match &p {
                Pending::Call { side, .. } => self.outstanding[side.index()] > 0,
                Pending::Until(t) => now < *t,
                &Pending::UntilState {
                    line,
                    side,
                    state,
                    deadline,
                    max_us,
                } => {
                    let actual = self.sides.state(side);
                    if actual == state || self.sides.entered(side, state) {
                        false
                    } else if now >= deadline {
                        self.failures.push(CheckFailure {
                            line,
                            side,
                            expected: state,
                            actual,
                            waited_us: Some(max_us),
                        });
                        self.note(
                            now,
                            Note::WaitUntilFailed {
                                line,
                                side,
                                state,
                                actual,
                                max_us,
                            },
                        );
                        false
                    } else {
                        true
                    }
                }
            };
            if keep {
                self.pending.push(p);
            }
        }
    }

    /// Starts one action of a step.
    fn start(&mut self, action: &Action, line: u32, together: &Option<Arc<Barrier>>) {
        let now = now_ns();
        let cmd = match action {
            Action::Listen { side, port } => {
                if *side == Side::Server {
                    self.ports[1] = *port;
                }
                Some((*side, Cmd::Listen { port: *port }))
            }
            Action::Connect { side, port } => {
                let (local, remote) = match side {
                    // ports[1] is the server's listening port (9999 if it never listens).
                    Side::Client => (self.ports[0], port.unwrap_or(self.ports[1])),
                    Side::Server => (self.ports[1], port.unwrap_or(self.ports[0])),
                };
                let (own, peer) = match side {
                    Side::Client => (self.pair.client, self.pair.server),
                    Side::Server => (self.pair.server, self.pair.client),
                };
                Some((
                    *side,
                    Cmd::Connect {
                        local: SocketAddrV4::new(own, local),
                        remote: SocketAddrV4::new(peer, remote),
                    },
                ))
            }
            Action::Accept { side } => Some((*side, Cmd::Accept)),
            Action::Send { side, data } => Some((*side, Cmd::Send(data.clone()))),
            Action::Recv { side, max } => Some((*side, Cmd::Recv(*max))),
            Action::Shutdown { side } => Some((*side, Cmd::Shutdown)),
            Action::Close { side } => Some((*side, Cmd::Close)),
            Action::Abort { side } => Some((*side, Cmd::Abort)),
            Action::Inject(i) => {
                self.inject(i, line);
                None
            }
            // Refused before the run (`transport udp`).
            Action::Bind { .. } => None,
            Action::Wait { us } => {
                self.note(now, Note::Wait { us: *us });
                self.pending
                    .push(Pending::Until(now.saturating_add(us.saturating_mul(1000))));
                None
            }
            Action::WaitUntil {
                side,
                state,
                max_us,
            } => {
                self.note(
                    now,
                    Note::WaitUntil {
                        side: *side,
                        state: *state,
                        max_us: *max_us,
                    },
                );
                self.sides.reset_entered(*side);
                self.pending.push(Pending::UntilState {
                    line,
                    side: *side,
                    state: *state,
                    deadline: now.saturating_add(max_us.saturating_mul(1000)),
                    max_us: *max_us,
                });
                None
            }
            Action::Expect { side, state } => {
                let actual = self.sides.state(*side);
                if actual != *state {
                    self.failures.push(CheckFailure {
                        line,
                        side: *side,
                        expected: *state,
                        actual,
                        waited_us: None,
                    });
                }
                self.note(
                    now,
                    Note::Expect {
                        line,
                        side: *side,
                        expected: *state,
                        actual,
                    },
                );
                None
            }
        };
        if let Some((side, cmd)) = cmd {
            self.outstanding[side.index()] += 1;
            self.acted[side.index()] = false;
            self.endpoints[side.index()].call(Job {
                cmd,
                together: together.clone(),
            });
            self.pending.push(Pending::Call { side, since: now });
        }
    }

    /// After the last step: lets segments in flight and retransmissions play
    /// out, until no socket has anything outstanding and the link has been
    /// quiet for a while (TIME-WAIT excluded, as in the simulator).
    fn drain(&mut self) {
        let start = now_ns();
        // Settled means no socket waits for an ACK or a handshake, so
        // nothing is due but answers to what is still in the link: three
        // rtts of quiet cover a packet held rtt/2 and its answer.
        let quiet = (self.scenario.settings.rtt_us * 3 * 1000).max(QUIET_MIN.as_nanos() as u64);
        // A listener's `tcpi_unacked` is its accept queue, not data in
        // flight (tcp_get_info: `sk_ack_backlog` in LISTEN).
        loop {
            self.tick(Duration::from_millis(2));
            let now = now_ns();
            if self.opts.interrupt.load(Ordering::SeqCst) {
                self.note(now, Note::Interrupted);
                return;
            }
            let settled = self.states.sockets().iter().all(|s| {
                !matches!(
                    s.state,
                    Some(
                        State::SynSent
                            | State::SynReceived
                            | State::FinWait1
                            | State::Closing
                            | State::LastAck
                    )
                ) && (s.state == Some(State::Listen) || s.info.is_none_or(|i| i.unacked == 0))
            });
            if settled && now.saturating_sub(self.last_packet_ns) >= quiet {
                return;
            }
            if now.saturating_sub(start) >= DRAIN_CAP.as_nanos() as u64 {
                self.note(
                    now,
                    Note::StoppedBusy {
                        after_us: DRAIN_CAP.as_micros() as u64,
                    },
                );
                return;
            }
        }
    }
}
