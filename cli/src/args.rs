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
  synack sim lost-data --format pcap -o lost.pcap    open it in Wireshark
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
  tcpdump -U -w - | synack annotate -            live, from a pipe

Relative sequence numbers and analysis flags follow Wireshark's rules
(tcp.analysis.*). Records that are not TCP are counted in the last line.
TCP inside VXLAN, Geneve, GRE, ERSPAN and IP-in-IP tunnels is annotated;
each connection inside one starts with a note naming the tunnel.
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

/// `synack annotate`.
#[derive(Debug, Args)]
pub struct AnnotateArgs {
    /// A pcap or pcapng file (from tcpdump -w, Wireshark, `synack capture -w`, ...),
    /// or `-` for standard input (e.g. `tcpdump -U -w - | synack annotate -`).
    pub file: PathBuf,
    #[command(flatten)]
    pub output: OutputFlags,
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
    /// Bytes kept of each packet.
    #[arg(long, default_value_t = 262_144, value_name = "BYTES")]
    pub snaplen: u32,
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

/// Flags that choose where and how output goes.
#[derive(Debug, Args, Default)]
pub struct OutputFlags {
    /// Output format: text (for people), json (JSON Lines, one event a line), or pcap/pcapng
    /// (the segments as a capture file that opens in Wireshark).
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
    /// A pcapng capture file of the segments, for Wireshark (needs -o FILE or a pipe).
    Pcapng,
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
