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
