//! The command line, as clap derives it. `--help` should teach.

use crate::render::ColorChoice;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use synack_sim::profile::ProfileName;

const ABOUT: &str = "Watch TCP work: simulate a connection step by step, or annotate a real one, \
and see every segment, state change and timer.";

const LONG_ABOUT: &str = "Watch TCP work.

synack simulates a TCP connection in virtual time, with the states of RFC 9293 and the timers \
of RFC 6298, and prints a transcript a student can read: every segment as an arrow from the \
side that sends it to the side that receives it, every state change, every socket call and its \
result, every timer. Faults (drops, duplicates, delays, random loss) are rules in the scenario, \
so you can watch retransmission, fast retransmit or a half-close happen.

It reads real traffic the same way: `annotate` labels every TCP segment of a pcap or pcapng \
file, and `capture` every segment on a live interface, with both endpoints' inferred states and \
Wireshark's analysis (retransmission, duplicate ACK, zero window, ...).";

const EXAMPLES: &str = "\
Examples:
  synack demo                          the echo scenario, with a legend
  synack scenarios                     list the built-in scenarios
  synack sim handshake                 run a built-in scenario
  synack sim my.tcp --seed 7           run a scenario file with another seed
  synack sim echo --format json        JSON Lines, one event a line
  synack sim echo --summary            totals only
  synack sim lost-data --format pcapng -o lost.pcapng  open it in Wireshark
  synack sim lost-data --format svg -o lost.svg      a ladder diagram
  synack sim bulk-loss --format svg --graph time-sequence -o tseq.svg
  synack sim echo --format mermaid     a Mermaid sequenceDiagram for Markdown
  synack step lost-data                walk through it, backwards too; drop a segment
  synack annotate trace.pcap           a real capture, annotated
  sudo synack capture --port 8080      live, on lo

Exit codes: 0 ok, 1 a scenario `expect` failed, 2 bad input or usage,
3 missing privilege or system component.";

const SIM_EXAMPLES: &str = "\
Examples:
  synack sim echo
  synack sim ./retransmit.tcp --profile linux
  synack sim echo --format json -o echo.jsonl
  synack sim echo --summary
  synack sim lost-data --format svg -o lost.svg      the ladder diagram, open it in a browser
  synack sim lost-data --format svg --from 1s --to 1.1s    only that stretch of time
  synack sim bulk-loss --format svg --graph time-sequence -o tseq.svg
  synack sim echo --format mermaid                   a sequenceDiagram for Markdown
  synack sim lost-data --format pcapng -o lost.pcapng
                  each packet's comment: both states after it, the analysis, its loss
  synack sim udp-echo                                UDP for contrast (transport udp)

Pictures (docs/diagrams.md): the ladder diagram draws one sloped arrow per segment
from its send time to its arrival, drops crossed half way, retransmissions in orange,
states and calls beside the timelines, timers as marks; long idle gaps are compressed
and marked.

SCENARIO is a path when it contains '/', ends in .tcp or names an existing file;
otherwise it is a built-in name (see `synack scenarios`).";

/// `synack`: watch TCP work.
#[derive(Debug, Parser)]
#[command(
    name = "synack",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = EXAMPLES,
    propagate_version = true,
    subcommand_required = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario (built-in name or .tcp file) in the simulator and print its transcript.
    #[command(after_help = SIM_EXAMPLES)]
    Sim(SimArgs),
    /// List the built-in scenarios, one line each.
    Scenarios,
    /// Annotate every TCP segment of a pcap or pcapng file: states, relative numbers, analysis.
    #[command(after_help = ANNOTATE_EXAMPLES)]
    Annotate(AnnotateArgs),
    /// Capture live (default interface lo) and annotate each segment as it arrives.
    #[command(after_help = CAPTURE_EXAMPLES)]
    Capture(CaptureArgs),
    /// Run a scenario on real kernel sockets over loopback, in a private network namespace,
    /// with its rtt and faults applied to the real packets, and print the transcript.
    #[command(after_help = REAL_EXAMPLES)]
    Real(RealArgs),
    /// Run a scenario in the simulator and on the real kernel, and show both side by side,
    /// every difference marked and explained.
    #[command(after_help = COMPARE_EXAMPLES)]
    Compare(CompareArgs),
    /// Step through a simulated connection (or a capture), backwards too, and ask
    /// "what if this segment were lost?".
    #[command(after_help = STEP_EXAMPLES)]
    Step(StepArgs),
    /// The built-in `echo` scenario, simulated, with a legend explaining how to read it.
    #[command(after_help = "Example:\n  synack demo\n  synack demo --color never | less")]
    Demo(DemoArgs),
}

/// `synack sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// A built-in scenario name (see `synack scenarios`) or a path to a .tcp file.
    pub scenario: String,
    #[command(flatten)]
    pub run: RunFlags,
    #[command(flatten)]
    pub output: OutputFlags,
    #[command(flatten)]
    pub view: ViewFlags,
    /// Print a few lines of totals instead of every event.
    #[arg(long)]
    pub summary: bool,
}

const ANNOTATE_EXAMPLES: &str = "\
Examples:
  synack annotate trace.pcap                     every segment, with states and analysis
  synack annotate trace.pcapng --summary         a table per connection
  synack annotate trace.pcap --port 443 --format json
  synack annotate trace.pcap --conn 3            only the third connection
  synack annotate trace.pcap --conn 3 --format svg -o c3.svg    its ladder diagram
  synack annotate trace.pcap --conn 3 --format svg --graph time-sequence
  tcpdump -U -w - | synack annotate -            live, from a pipe

Relative sequence numbers and analysis flags follow Wireshark's rules
(tcp.analysis.*). Records that are not TCP are counted in the last line.
TCP inside VXLAN, Geneve, GRE, ERSPAN and IP-in-IP tunnels is annotated;
each connection inside one starts with a note naming the tunnel.
A picture (--format svg or mermaid) shows one connection: choose it with --conn
when the file has several. A capture knows no arrival times, so each segment is
drawn at its capture time, as a horizontal arrow.
A damaged file: every good record is still annotated, then the bad ones are
named (record number, byte offset) and synack exits 2.";

const CAPTURE_EXAMPLES: &str = "\
Examples:
  sudo synack capture                            annotate everything on lo
  sudo synack capture --port 8080 -w run.pcapng  and keep a copy
  sudo synack capture --filter 'tcp and host 127.0.0.1' --count 20

Needs the privilege to capture: run as root, or once
  sudo setcap cap_net_raw,cap_net_admin=eip $(command -v synack)
Stops at --count packets or on Ctrl-C, then prints what libpcap captured and
what the kernel dropped.";

const REAL_EXAMPLES: &str = "\
Examples:
  synack real echo                     the echo scenario on the real kernel
  synack real lost-data -w lost.pcap   and keep the raw capture
  synack real echo --format json       JSON Lines; states have \"source\":\"kernel\"

Each run gets its own network namespace (as root a plain one, otherwise an
unprivileged user + network namespace), on its own loopback address pair,
with MTU = mss + 40 and offloads off. synack's own link (NFQUEUE) holds each
packet rtt/2 and applies the scenario's drop, delay, duplicate and loss rules
to the very segments they name. States come from the kernel: its tracepoints
as root, inet_diag otherwise. Nothing is left behind: the namespace dies with
the process, even after kill -9. Ctrl-C stops the run (exit 130).

A real run takes real time: the scenario's waits and the kernel's timers
(TIME-WAIT is 60 s on Linux).";

const COMPARE_EXAMPLES: &str = "\
Examples:
  synack compare echo                  simulation (the scenario's profile) and real kernel
  synack compare lost-data --profile linux
  synack compare echo --format json    a \"pair\" line per row, then a \"compare\" line
  synack compare echo --strict         exit 1 if any difference is unexplained

Events are paired by their protocol role, not by time: segments by direction,
flags, relative seq/ack and length (then by occurrence), calls in order, state
changes by endpoint and transition. A row is the same (│), explained by a known
difference (≈, its rule named), or unexplained (✗). docs/compare.md says how
rows are paired, docs/differences.md lists the known differences.

The real side runs as `synack real` does (a namespace of its own, as root or
not); where it cannot run, compare exits 3 and says why.";

/// `synack compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// A built-in scenario name (see `synack scenarios`) or a path to a .tcp file.
    pub scenario: String,
    #[command(flatten)]
    pub run: RunFlags,
    #[command(flatten)]
    pub output: OutputFlags,
    /// Show only what happens from this time on (svg), e.g. 1s, 250ms.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub from: Option<u64>,
    /// Show only what happens up to this time (svg), e.g. 2.5s.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub to: Option<u64>,
    /// Exit 1 when any pair is unexplained.
    #[arg(long)]
    pub strict: bool,
    /// Add a fault rule to the real run only, e.g. "drop client->server data #1": a
    /// difference no known rule explains, to see how compare shows one.
    #[arg(long, value_name = "RULE")]
    pub real_fault: Vec<String>,
    /// How long a call of the real run may stay blocked before the run stops
    /// (exit 2), e.g. 30s; a call the simulation says blocks for ever would
    /// otherwise hold the real run this long.
    #[arg(long, value_name = "TIME", value_parser = parse_time, default_value = "5min")]
    pub call_cap: u64,
}

/// `synack real`.
#[derive(Debug, Args)]
pub struct RealArgs {
    /// A built-in scenario name (see `synack scenarios`) or a path to a .tcp file.
    pub scenario: String,
    /// Seed for the random loss rules, overriding the scenario's `seed`.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub output: OutputFlags,
    #[command(flatten)]
    pub view: ViewFlags,
    /// Also keep the raw capture in FILE (pcap or pcapng, by its extension).
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Where the kernel's states come from: auto (tracepoints as root, else inet_diag)
    /// or inet-diag (polled, as an ordinary user sees them).
    #[arg(long, value_enum, default_value_t = StatesFrom::Auto, value_name = "SOURCE")]
    pub states: StatesFrom,
    /// How long a call may stay blocked before the run stops (exit 2), e.g. 30s.
    #[arg(long, value_name = "TIME", value_parser = parse_time, default_value = "5min")]
    pub call_cap: u64,
}

/// `--states`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum StatesFrom {
    /// The tracepoint sock:inet_sock_set_state as root (plus inet_diag), else inet_diag.
    #[default]
    Auto,
    /// inet_diag alone, polled.
    InetDiag,
}

const STEP_EXAMPLES: &str = "\
Examples:
  synack step lost-data                walk to the loss, step back, drop another segment
  synack step my.tcp --profile linux --seed 7
  synack step --capture trace.pcap --conn 2     a real connection, segment by segment
  printf 'end\\nprev\\ndrop 6\\nend\\nundo\\n' | synack step lost-data

Keys:
  n, Right, Space   next event            p, Left   previous event
  Home, End         the start, the end (the first End simulates to it, with progress)
  Tab, Shift-Tab    select a segment, in flight or already sent
  d                 drop it: replay from the instant it was sent, with it lost (a branch)
  u                 up one branch level      ?   help      q, Esc   quit

The screen shows both endpoints (state, SND.UNA, SND.NXT, SND.WND, RCV.NXT,
RCV.WND, SRTT, RTO, armed timers), the segments in flight with their arrival
times, the transcript so far, and the time, the event and the branch path.

When standard input or output is not a terminal, step reads one command a line
(next, prev, start, end, drop ID, undo, quit) and prints the screen as text
after each; a line it cannot run gets one line on stderr (and exit code 2 at
the end), and the session goes on.";

/// `synack step`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["scenario", "capture"])))]
pub struct StepArgs {
    /// A built-in scenario name (see `synack scenarios`) or a path to a .tcp file.
    pub scenario: Option<String>,
    /// Step through a pcap or pcapng file instead: its segments one at a time,
    /// annotated as `synack annotate` does (no branching).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["scenario", "profile", "seed"])]
    pub capture: Option<PathBuf>,
    /// With --capture: connection N (the `conn` numbers of `synack annotate`, from 1;
    /// default 1).
    #[arg(long, value_name = "N")]
    pub conn: Option<u32>,
    #[command(flatten)]
    pub run: RunFlags,
    /// Colour: auto (not when NO_COLOR is set; in scripted mode only on a terminal),
    /// always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// `synack annotate`.
#[derive(Debug, Args)]
pub struct AnnotateArgs {
    /// A pcap or pcapng file (from tcpdump -w, Wireshark, `synack capture -w`, ...),
    /// or `-` for standard input (e.g. `tcpdump -U -w - | synack annotate -`).
    pub file: PathBuf,
    #[command(flatten)]
    pub output: OutputFlags,
    #[command(flatten)]
    pub view: ViewFlags,
    /// Print a table per connection (packets, bytes, duration, how it opened and
    /// closed, analysis counts) instead of every segment.
    #[arg(long)]
    pub summary: bool,
    /// Only connection N (the `conn` numbers of the transcript, from 1).
    #[arg(long, value_name = "N")]
    pub conn: Option<u32>,
    /// Only connections with this port on either side (like BPF `port P`).
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
}

/// `synack capture`.
#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// The interface to capture on.
    #[arg(short = 'i', long, default_value = "lo", value_name = "IFACE")]
    pub interface: String,
    /// Only TCP segments with this port on either side.
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    /// A BPF capture filter (as tcpdump takes), e.g. 'tcp and host 127.0.0.1'.
    #[arg(long, value_name = "BPF")]
    pub filter: Option<String>,
    /// Stop after N packets.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Also write what is captured to FILE (pcap or pcapng, by its extension).
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Bytes kept of each packet [default: 256, the headers and the short payload a
    /// transcript shows; 262144, whole packets, with -w].
    #[arg(long, value_name = "BYTES")]
    pub snaplen: Option<u32>,
    /// Started as root, switch to this user once the interface is open (as tcpdump -Z).
    #[arg(long, default_value = "nobody", value_name = "NAME")]
    pub user: String,
    #[command(flatten)]
    pub output: OutputFlags,
}

/// `synack demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub run: RunFlags,
    #[command(flatten)]
    pub output: OutputFlags,
}

/// Flags that change how a scenario runs.
#[derive(Debug, Args, Default)]
pub struct RunFlags {
    /// Stack profile, overriding the scenario's `profile`: rfc (RFC 9293 + RFC 6298 as
    /// written) or linux (Linux 6.x defaults).
    #[arg(long, value_enum, value_name = "PROFILE")]
    pub profile: Option<Profile>,
    /// Seed for ISNs and random faults, overriding the scenario's `seed`.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

/// Flags of the pictures (`--format svg`, `--format mermaid`): which
/// picture, and which stretch of time.
#[derive(Clone, Debug, Args, Default)]
pub struct ViewFlags {
    /// Draw this graph instead of the ladder diagram (SVG): time-sequence is the
    /// Stevens/tcptrace graph of one connection (sequence numbers against time, the
    /// ACK and receive-window lines, retransmissions and drops marked).
    #[arg(long, value_enum, value_name = "GRAPH")]
    pub graph: Option<Graph>,
    /// Show only what happens from this time on (svg, mermaid), e.g. 1s, 250ms.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub from: Option<u64>,
    /// Show only what happens up to this time (svg, mermaid), e.g. 2.5s.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub to: Option<u64>,
    /// Show raw sequence and acknowledgement numbers in the text transcript,
    /// not relative ones, so that a wraparound past 2^32 can be watched
    /// (JSON always has them, as seq and ack).
    #[arg(long)]
    pub absolute: bool,
}

/// `--from`/`--to`: a duration since the start, in microseconds.
fn parse_time(s: &str) -> Result<u64, String> {
    synack_sim::scenario::parse_duration(s)
}

/// `--graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Graph {
    /// Sequence numbers against time, with the ACK and receive-window lines.
    TimeSequence,
}

/// Flags that choose where and how output goes.
#[derive(Debug, Args, Default)]
pub struct OutputFlags {
    /// Output format: text (for people), json (JSON Lines, one event a line), svg (a ladder
    /// diagram, or the graph of --graph), mermaid (a sequenceDiagram for Markdown), or
    /// pcap/pcapng (the segments as a capture file that opens in Wireshark; pcapng adds a
    /// comment per packet with both endpoints' states and synack's analysis).
    #[arg(long, value_enum, default_value_t = Format::Text, value_name = "FORMAT")]
    pub format: Format,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Colour: auto (only on a terminal, and not when NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// `--format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The transcript for people.
    #[default]
    Text,
    /// JSON Lines: one object per event.
    Json,
    /// A pcap capture file of the segments, for Wireshark (needs -o FILE or a pipe).
    Pcap,
    /// A pcapng capture file of the segments, each with a comment saying both endpoints'
    /// states and synack's analysis (needs -o FILE or a pipe).
    Pcapng,
    /// An SVG picture: the ladder diagram (client and server timelines, one sloped arrow
    /// per segment), or the graph --graph asks for.
    Svg,
    /// A Mermaid sequenceDiagram: one message per segment, states as notes.
    Mermaid,
}

/// `--profile`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// RFC 9293 + RFC 6298 as a textbook states them.
    Rfc,
    /// Linux 6.x defaults.
    Linux,
}

impl From<Profile> for ProfileName {
    fn from(p: Profile) -> ProfileName {
        match p {
            Profile::Rfc => ProfileName::Rfc,
            Profile::Linux => ProfileName::Linux,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sim_takes_the_shared_flags() {
        let cli = Cli::try_parse_from([
            "synack",
            "sim",
            "echo",
            "--format",
            "json",
            "-o",
            "x.jsonl",
            "--profile",
            "linux",
            "--seed",
            "7",
            "--color",
            "never",
            "--summary",
        ]);
        let Ok(Cli {
            command: Command::Sim(a),
        }) = cli
        else {
            panic!("sim did not parse: {cli:?}");
        };
        assert_eq!(a.scenario, "echo");
        assert_eq!(a.output.format, Format::Json);
        assert_eq!(a.run.profile, Some(Profile::Linux));
        assert_eq!(a.run.seed, Some(7));
        assert_eq!(a.output.color, ColorChoice::Never);
        assert!(a.summary);
    }
}
