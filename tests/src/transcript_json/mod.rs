//! The JSON transcript's contract as types: every kind of line that `synack
//! sim`, `real`, `compare`, `annotate` and `capture` print with `--format
//! json`, as docs/transcript-json.md describes it.
//!
//! Each kind is a struct that rejects unknown keys, with its fields declared
//! in the order the lines print them; each enum-valued key is an enum whose
//! variants are the documented values. [`Checker::line`] deserialises a line
//! into [`Line`] and then checks what types cannot say: key order, flag and
//! analysis order, the `call`/`result`/note forms, and the rules of each kind
//! (`ack` is `null` exactly without ACK, ids count from 1, ...).
//!
//! The documentation is read, not copied: [`Doc`] parses
//! docs/transcript-json.md, and `tests/tests/transcript_json.rs` checks that
//! its tables list exactly these types' fields and variants, while the call,
//! result and note forms are taken from it. So the page, these types and the
//! output cannot drift apart without a test failing.

mod check;
pub mod core;
mod doc;
mod forms;
mod introspect;

pub use check::{Checker, Command};
pub use doc::{kind_heading, Doc};
pub use forms::{Form, Forms, PLACEHOLDERS};
pub use introspect::{fields_of, variants_of, ObjectText};

use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;

/// `dir`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum Direction {
    #[serde(rename = "client->server")]
    ClientToServer,
    #[serde(rename = "server->client")]
    ServerToClient,
}

/// `endpoint`, and the keys of per-side objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Client,
    Server,
}

/// `fate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fate {
    Delivered,
    Dropped,
    Duplicated,
    Captured,
    Injected,
}

/// `source` of a state line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Sim,
    Wire,
    Kernel,
}

/// `timer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Timer {
    Retransmit,
    TimeWait,
    Persist,
    DelayedAck,
    LossProbe,
}

/// One of Wireshark's `tcp.analysis` flags, in the order `analysis` lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnalysisFlag {
    Retransmission,
    FastRetransmission,
    SpuriousRetransmission,
    OutOfOrder,
    LostSegment,
    AckLostSegment,
    DuplicateAck,
    ZeroWindow,
    ZeroWindowProbe,
    ZeroWindowProbeAck,
    WindowFull,
    WindowUpdate,
    KeepAlive,
    KeepAliveAck,
    ReusedPorts,
}

/// A TCP state in RFC 9293 spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum State {
    #[serde(rename = "CLOSED")]
    Closed,
    #[serde(rename = "LISTEN")]
    Listen,
    #[serde(rename = "SYN-SENT")]
    SynSent,
    #[serde(rename = "SYN-RECEIVED")]
    SynReceived,
    #[serde(rename = "ESTABLISHED")]
    Established,
    #[serde(rename = "FIN-WAIT-1")]
    FinWait1,
    #[serde(rename = "FIN-WAIT-2")]
    FinWait2,
    #[serde(rename = "CLOSE-WAIT")]
    CloseWait,
    #[serde(rename = "CLOSING")]
    Closing,
    #[serde(rename = "LAST-ACK")]
    LastAck,
    #[serde(rename = "TIME-WAIT")]
    TimeWait,
}

/// `opened` of a connection summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum Opening {
    #[serde(rename = "handshake")]
    Handshake,
    #[serde(rename = "simultaneous open")]
    SimultaneousOpen,
    #[serde(rename = "refused")]
    Refused,
    #[serde(rename = "mid-connection")]
    MidConnection,
    #[serde(rename = "handshake (SYN not captured)")]
    SynNotCaptured,
    #[serde(rename = "incomplete handshake")]
    Incomplete,
    #[serde(rename = "SYN only")]
    SynOnly,
}

/// `closed` of a connection summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum Closing {
    #[serde(rename = "FIN both ways")]
    FinBothWays,
    #[serde(rename = "half-closed by client")]
    HalfClosedByClient,
    #[serde(rename = "half-closed by server")]
    HalfClosedByServer,
    #[serde(rename = "reset by client")]
    ResetByClient,
    #[serde(rename = "reset by server")]
    ResetByServer,
    #[serde(rename = "open at end of capture")]
    OpenAtEnd,
}

/// `profile` of a `compare` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    Rfc,
    Linux,
}

/// `verdict` of a `pair` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Same,
    Explained,
    Unexplained,
}

/// `json_name()`: a value's JSON spelling, as serde derives it.
macro_rules! json_names {
    ($($t:ty),*) => {$(
        impl $t {
            /// The JSON spelling of this value.
            pub fn json_name(self) -> &'static str {
                variants_of::<$t>()[self as usize]
            }
        }
    )*};
}

json_names!(
    Direction,
    Side,
    Fate,
    Source,
    Timer,
    AnalysisFlag,
    State,
    Opening,
    Closing,
    Profile,
    Verdict
);

/// The control bits `flags` may name, in the order it names them.
pub const FLAG_ORDER: [&str; 8] = ["SYN", "FIN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"];

/// `flags`: the names of the bits set, in [`FLAG_ORDER`], joined by `,`;
/// empty when none is set.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Flags(pub String);

impl Flags {
    pub fn has(&self, name: &str) -> bool {
        self.0.split(',').any(|f| f == name)
    }
}

impl TryFrom<String> for Flags {
    type Error = String;
    fn try_from(s: String) -> Result<Flags, String> {
        if s.is_empty() {
            return Ok(Flags(s));
        }
        let mut last = None;
        for f in s.split(',') {
            let Some(i) = FLAG_ORDER.iter().position(|o| *o == f) else {
                return Err(format!("flags {s:?}: {f:?} is not one of {FLAG_ORDER:?}"));
            };
            if last.is_some_and(|l| l >= i) {
                return Err(format!(
                    "flags {s:?}: not in the order {} (or repeated)",
                    FLAG_ORDER.join(",")
                ));
            }
            last = Some(i);
        }
        Ok(Flags(s))
    }
}

// ---------------------------------------------------------------------------
// Lines. Fields are declared in the order the lines print them.

/// A key that is either absent or holds a value (never `null`): `conn`, a
/// note's `endpoint`. Used with `#[serde(default)]`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A key that is always present and may be `null`: `ack`, `frame`, `rto_us`.
/// (Without this, serde would accept a missing key as `None`.)
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

/// `"kind":"segment"`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    pub kind: String,
    pub t_us: u64,
    #[serde(default, deserialize_with = "present")]
    pub conn: Option<u32>,
    pub dir: Direction,
    pub flags: Flags,
    pub seq: u32,
    #[serde(deserialize_with = "nullable")]
    pub ack: Option<u32>,
    pub rel_seq: u32,
    #[serde(deserialize_with = "nullable")]
    pub rel_ack: Option<u32>,
    pub len: u32,
    pub win: u32,
    pub fate: Fate,
    pub analysis: Vec<AnalysisFlag>,
    #[serde(deserialize_with = "nullable")]
    pub frame: Option<u64>,
    pub id: u64,
}

/// `"kind":"datagram"`: a UDP datagram (`transport udp`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Datagram {
    pub kind: String,
    pub t_us: u64,
    pub dir: Direction,
    pub src_port: u16,
    pub dst_port: u16,
    pub len: u32,
    pub fate: Fate,
    pub id: u64,
}

/// `"kind":"state"`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateChange {
    pub kind: String,
    pub t_us: u64,
    #[serde(default, deserialize_with = "present")]
    pub conn: Option<u32>,
    pub endpoint: Side,
    pub from: State,
    pub to: State,
    pub source: Source,
}

/// `"kind":"app"`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct App {
    pub kind: String,
    pub t_us: u64,
    pub endpoint: Side,
    pub call: String,
    pub result: String,
}

/// `"kind":"timer"`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimerFired {
    pub kind: String,
    pub t_us: u64,
    pub endpoint: Side,
    pub timer: Timer,
    pub after_us: u64,
    #[serde(deserialize_with = "nullable")]
    pub rto_us: Option<u64>,
}

/// `"kind":"note"`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub kind: String,
    pub t_us: u64,
    #[serde(default, deserialize_with = "present")]
    pub conn: Option<u32>,
    #[serde(default, deserialize_with = "present")]
    pub endpoint: Option<Side>,
    pub text: String,
}

/// `{"client": N, "server": N}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerSide<T> {
    pub client: T,
    pub server: T,
}

/// `{"client->server": N, "server->client": N}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerDirection {
    #[serde(rename = "client->server")]
    pub client_to_server: u64,
    #[serde(rename = "server->client")]
    pub server_to_client: u64,
}

/// `"kind":"summary"`: `sim --summary --format json`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimSummary {
    pub kind: String,
    pub segments: u64,
    pub dropped: u64,
    pub duplicated: u64,
    pub delayed: u64,
    pub retransmissions: u64,
    pub bytes_read: PerSide<u64>,
    pub final_state: PerSide<Option<State>>,
    pub end_us: u64,
}

/// `"kind":"conn_summary"`: `annotate --summary --format json`, keys in
/// alphabetical order.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnSummary {
    pub analysis: BTreeMap<String, u64>,
    pub bytes: PerDirection,
    pub client: String,
    pub closed: Closing,
    pub conn: u32,
    pub duration_us: u64,
    #[serde(rename = "final")]
    pub final_state: PerSide<State>,
    pub first_us: u64,
    pub kind: String,
    pub last_us: u64,
    pub opened: Opening,
    pub packets: PerDirection,
    pub server: String,
}

/// `"kind":"capture_summary"`: the last line of `annotate --summary
/// --format json`, keys in alphabetical order.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureSummary {
    pub connections: u64,
    pub file_errors: u64,
    pub fragments: u64,
    pub kind: String,
    pub malformed: u64,
    pub not_tcp: u64,
    pub records: u64,
    pub tcp: u64,
    pub tcp_payload_truncated: u64,
    pub text: String,
    pub truncated: u64,
}

/// `"kind":"pair"`: `compare --format json`, a simulated and a real event.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairLine {
    pub kind: String,
    #[serde(deserialize_with = "nullable")]
    pub sim: Option<ObjectText>,
    #[serde(deserialize_with = "nullable")]
    pub real: Option<ObjectText>,
    pub verdict: Verdict,
    #[serde(deserialize_with = "nullable")]
    pub rule: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub why: Option<String>,
}

/// `"kind":"compare"`: the last line of `compare --format json`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareLine {
    pub kind: String,
    pub profile: Profile,
    pub kernel: String,
    pub pairs: u64,
    pub same: u64,
    pub explained: u64,
    pub unexplained: u64,
}

/// One line of any kind.
#[derive(Clone, Debug)]
pub enum Line {
    Segment(Segment),
    Datagram(Datagram),
    State(StateChange),
    App(App),
    Timer(TimerFired),
    Note(Note),
    Summary(SimSummary),
    ConnSummary(ConnSummary),
    CaptureSummary(CaptureSummary),
    Pair(PairLine),
    Compare(CompareLine),
}

/// Every kind, with the keys its lines print, in order.
pub fn kinds() -> [(&'static str, &'static [&'static str]); 11] {
    [
        ("segment", fields_of::<Segment>()),
        ("datagram", fields_of::<Datagram>()),
        ("state", fields_of::<StateChange>()),
        ("app", fields_of::<App>()),
        ("timer", fields_of::<TimerFired>()),
        ("note", fields_of::<Note>()),
        ("summary", fields_of::<SimSummary>()),
        ("conn_summary", fields_of::<ConnSummary>()),
        ("capture_summary", fields_of::<CaptureSummary>()),
        ("pair", fields_of::<PairLine>()),
        ("compare", fields_of::<CompareLine>()),
    ]
}

/// The keys of the objects nested in summaries, by the key that holds them.
pub fn nested() -> [(&'static str, &'static [&'static str]); 5] {
    [
        ("bytes_read", fields_of::<PerSide<u64>>()),
        ("final_state", fields_of::<PerSide<Option<State>>>()),
        ("final", fields_of::<PerSide<State>>()),
        ("packets", fields_of::<PerDirection>()),
        ("bytes", fields_of::<PerDirection>()),
    ]
}

/// Checks every line of one output; panics naming each bad line.
#[track_caller]
pub fn check_all(what: &str, command: Command, lines: &[String], doc: &Doc, forms: &Forms) {
    assert!(!lines.is_empty(), "{what}: printed nothing");
    let mut checker = Checker::new(doc, forms, command);
    let bad: Vec<String> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            checker
                .line(l)
                .err()
                .map(|e| format!("  line {}: {e}\n    {l}", i + 1))
        })
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: {} of {} lines break docs/transcript-json.md:\n{}",
        bad.len(),
        lines.len(),
        bad.join("\n")
    );
}

/// The page and the forms of its tables.
pub fn doc_and_forms() -> (Doc, Forms) {
    let doc = Doc::load();
    let forms = Forms::from_doc(&doc);
    (doc, forms)
}
