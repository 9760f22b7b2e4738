//! synack-capture: every touch of the outside world. The input layer of
//! `synack annotate` and `synack capture`, and the pcap export of simulated runs.
//! docs/architecture.md shows where it sits in the data flow.
//!
//! # Reading files ([`mod@file`], [`error`])
//! * [`CaptureReader::new`]`(r: impl Read) -> Result<CaptureReader<R>, FileError>`:
//!   detects pcap (micro/nanosecond, both byte orders) or pcapng (both byte
//!   orders, several interfaces and sections, EPB/SPB/obsolete PB, unknown
//!   blocks skipped), buffered, records parsed in place.
//!   [`CaptureReader::from_file`]`(File)`: the same, through a sliding memory
//!   map for regular files (no `read(2)` copy).
//! * [`CaptureReader::next_record`]`(&mut self) -> Option<Result<Record<'_>, FileError>>`:
//!   a lending iterator. [`Record`] `{ number, offset, ts_ns, link, interface, data, orig_len, over_snaplen }`
//!   (a record longer than the snaplen, up to [`MAX_CAPLEN`], is read whole,
//!   as Wireshark reads it, and `over_snaplen` names the snaplen).
//!   [`FileError`] names the record number and byte offset in a full sentence;
//!   [`FileError::is_fatal`] tells whether reading goes on (see [`mod@file`] for
//!   the recovery rules).
//!
//! # Decoding ([`mod@decode`])
//! * [`decode()`]`(link, data, orig_len) -> Result<TcpPacket<'_>, NotTcp>` and
//!   [`decode_record`]`(&Record) -> Result<TcpPacket, NotTcp>`: zero-copy, no
//!   allocation. [`TcpPacket`] (the observer's own type) `{ src, dst, hdr: synack_sim::TcpHeader, payload }`,
//!   `hdr.payload_len` from the IP length even when the snaplen cut the payload.
//!   [`NotTcp`] says why not: unknown link, non-IP, other IP protocol, fragment,
//!   truncated by snaplen (which layer), malformed (what).
//! * [`decode_tunneled`] (or, on the hot path, [`decode_into`] with an
//!   out-parameter): the same, and the innermost [`Tunnel`] around the
//!   segment (IP-in-IP, 6in4, 4in6, 6in6, GRE, PPTP, ERSPAN, VXLAN,
//!   VXLAN-GPE, Geneve). TCP options are walked by their length fields, so
//!   unknown kinds (AccECN, experimental, ...) are skipped and the known
//!   ones after them are seen.
//! * Link types ([`LinkType::SUPPORTED`]): ETHERNET (with 802.1Q/QinQ,
//!   MPLS, PPPoE, LLC/SNAP), NULL, LOOP, RAW (101, and 12/14), IPV4, IPV6,
//!   LINUX_SLL, LINUX_SLL2, PPP, PPP_HDLC, PPP_WITH_DIR, PPP_ETHER, C_HDLC,
//!   FRELAY, IPOIB, JUNIPER_ETHER, PFLOG, NFLOG, ATM_RFC1483.
//! * [`Stats`]: counters for the summary line; `Display` gives it.
//! * [`Feed`]: decode → count → [`synack_sim::observer::Observer`], record by
//!   record, into any transcript sink (annotate, capture, real); one observer
//!   per tunnel, so flows in different tunnels never merge.
//!
//! # Live capture ([`live`])
//! * [`live::open`]`(iface, filter: Option<&str>, snaplen) -> Result<LiveCapture, LiveError>`
//!   or [`LiveCapture::open_with`]`(&LiveOptions)`: immediate mode, BPF filter,
//!   a read timeout. [`LiveCapture::next_record`] returns `Ok(None)` on timeout
//!   so a loop can check a stop flag; [`LiveCapture::write_to`]`(path)` writes
//!   pcap or pcapng by extension; [`LiveCapture::stats`] gives captured and
//!   dropped counts. [`LiveError::Permission`] says how to get the privilege
//!   (exit 3 in the CLI: [`LiveError::is_permission`]).
//!
//! # Writing ([`mod@write`], [`export`])
//! * [`CaptureWriter`]`::new(w, FileFormat, LinkType, snaplen, TsResolution)`,
//!   `write_packet(ts_ns, data, orig_len)`: deterministic little-endian pcap/pcapng.
//! * [`SegmentExporter`]`::new(w, format, LinkType::RAW | ETHERNET, client, server)`,
//!   `write_segment(t_us, dir, &TcpHeader, payload)` / `write_sim_segment(t_us, dir, &Segment)`:
//!   real IPv4/IPv6 + TCP packets with checksums and options, for Wireshark.
//!   [`build_packet`] builds one such packet into a `Vec<u8>`.

pub mod decode;
pub mod error;
pub mod export;
pub mod feed;
pub mod file;
mod input;
pub mod link;
pub mod live;
mod pcap;
mod pcapng;
#[cfg(target_os = "linux")]
pub mod real;
pub mod stats;
pub mod write;

pub use decode::{
    decode, decode_into, decode_record, decode_tunneled, Decoded, Layer, Malformed, NetProto,
    NotTcp, Tunnel, TunnelKind,
};
pub use error::{FileError, RecordProblem};
pub use export::{build_packet, ExportError, SegmentExporter};
pub use feed::Feed;
pub use file::{CaptureReader, FileFormat, Record, MAX_CAPLEN};
pub use link::LinkType;
pub use live::{BatchedCapture, LiveCapture, LiveError, LiveOptions, LiveStats, Tuning};
pub use stats::Stats;
pub use synack_sim::observer::TcpPacket;
pub use write::{CaptureWriter, TsResolution};
