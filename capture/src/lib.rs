//! synack-capture: every touch of the outside world.
//! (Public API summary: see the end of this comment, filled in below.)

pub mod decode;
pub mod error;
pub mod file;
pub mod link;
mod pcap;
mod pcapng;

pub use decode::{decode, decode_record, Layer, Malformed, NetProto, NotTcp, TcpPacket};
pub use error::{FileError, RecordProblem};
pub use file::{CaptureReader, FileFormat, Record, MAX_CAPLEN};
pub use link::LinkType;
pub mod export;
pub mod stats;
pub mod write;

pub use export::{build_packet, ExportError, SegmentExporter};
pub use stats::Stats;
pub use write::{CaptureWriter, TsResolution};
pub mod live;
pub use live::{LiveCapture, LiveError, LiveOptions, LiveStats};
