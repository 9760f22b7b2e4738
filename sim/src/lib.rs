//! synack-sim: the pure core of synack.
//!
//! No I/O, no threads, no clocks: time is always a parameter. Sequence
//! numbers ([`seq`]), segments ([`segment`]), the RFC 9293 endpoint
//! ([`endpoint`]), its timers and RFC 6298 estimator, stack profiles
//! ([`profile`]), the simulated link ([`link`]), the scenario language
//! ([`scenario`]), the world that runs a scenario in virtual time ([`world`]),
//! the passive observer that annotates any stream of segments ([`observer`]),
//! and the transcript model ([`transcript`]) they all write to.
//!
//! docs/architecture.md shows how the crates fit together and where each RFC
//! rule is implemented; docs/scenario-language.md and docs/transcript-json.md
//! are the reference of the language and of the transcript.

pub mod calls;
pub mod compare;
pub mod endpoint;
pub mod link;
pub mod observer;
pub mod payload;
pub mod printable;
pub mod profile;
pub mod rng;
pub mod rtt;
pub mod scenario;
pub mod segment;
pub mod seq;
pub mod state;
pub mod transcript;
pub mod udp;
pub mod world;

pub use payload::Payload;
pub use segment::{Flags, Segment, TcpHeader, TcpOptions};
pub use seq::SeqNum;
pub use state::State;
pub use transcript::{Dir, Event, EventKind, Fate, SegmentEvent, Side, Sink};
