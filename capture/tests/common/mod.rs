//! Builders of synthetic capture files for the tests: every byte is laid out
//! here by hand, independently of the crate's own writers.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use synack_capture::{build_packet, LinkType};
use synack_sim::{Flags, SeqNum, TcpHeader, TcpOptions};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Endian {
    Little,
    Big,
}

impl Endian {
    pub fn u16(self, v: u16) -> [u8; 2] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }
    pub fn u32(self, v: u32) -> [u8; 4] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }
}

pub const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
pub const SERVER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
pub const CLIENT6: IpAddr = IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1));
pub const SERVER6: IpAddr = IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2));

/// A SYN with MSS, SACK-permitted, timestamps and window scale.
pub fn syn_hdr() -> TcpHeader {
    TcpHeader {
        src_port: 49152,
        dst_port: 9999,
        seq: SeqNum(4_294_967_000),
        ack: SeqNum(0),
        flags: Flags::SYN,
        window: 64240,
        options: TcpOptions {
            mss: Some(1460),
            wscale: Some(7),
            sack_permitted: true,
            timestamps: Some((1000, 0)),
            ..Default::default()
        },
        payload_len: 0,
    }
}

/// A data segment with `len` payload bytes.
pub fn data_hdr(len: u32) -> TcpHeader {
    TcpHeader {
        src_port: 49152,
        dst_port: 9999,
        seq: SeqNum(4_294_967_001),
        ack: SeqNum(77),
        flags: Flags::PSH | Flags::ACK,
        window: 502,
        options: TcpOptions::default(),
        payload_len: len,
    }
}

/// A raw IP packet (no link header) carrying `hdr` and `payload`.
pub fn ip_packet(src: IpAddr, dst: IpAddr, hdr: &TcpHeader, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    build_packet(&mut out, LinkType::RAW, src, dst, hdr, payload).expect("test packet builds");
    out
}

pub fn ipv4_syn() -> Vec<u8> {
    ip_packet(CLIENT, SERVER, &syn_hdr(), &[])
}

pub fn ipv4_data(payload: &[u8]) -> Vec<u8> {
    ip_packet(CLIENT, SERVER, &data_hdr(payload.len() as u32), payload)
}

pub fn ethertype_of(ip: &[u8]) -> u16 {
    if ip.first().map(|b| b >> 4) == Some(6) {
        0x86dd
    } else {
        0x0800
    }
}

pub fn ethernet(ip: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
    f.extend_from_slice(&ethertype_of(ip).to_be_bytes());
    f.extend_from_slice(ip);
    f
}

/// Ethernet with the given stack of (TPID, VLAN id) tags, outermost first.
pub fn ethernet_vlan(ip: &[u8], tags: &[(u16, u16)]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
    for (tpid, vid) in tags {
        f.extend_from_slice(&tpid.to_be_bytes());
        f.extend_from_slice(&vid.to_be_bytes());
    }
    f.extend_from_slice(&ethertype_of(ip).to_be_bytes());
    f.extend_from_slice(ip);
    f
}

pub fn null_loopback(ip: &[u8], family: u32, e: Endian) -> Vec<u8> {
    let mut f = e.u32(family).to_vec();
    f.extend_from_slice(ip);
    f
}

pub fn sll(ip: &[u8]) -> Vec<u8> {
    let mut f = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0];
    f.extend_from_slice(&ethertype_of(ip).to_be_bytes());
    f.extend_from_slice(ip);
    f
}

pub fn sll2(ip: &[u8]) -> Vec<u8> {
    let mut f = ethertype_of(ip).to_be_bytes().to_vec();
    f.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
    f.extend_from_slice(ip);
    f
}

/// One pcap record: (seconds, fraction, captured bytes, orig_len).
pub struct PcapRec<'a> {
    pub sec: u32,
    pub frac: u32,
    pub data: &'a [u8],
    pub orig_len: u32,
}

pub fn rec(sec: u32, frac: u32, data: &[u8]) -> PcapRec<'_> {
    PcapRec {
        sec,
        frac,
        data,
        orig_len: data.len() as u32,
    }
}

pub fn pcap_header(e: Endian, nanos: bool, snaplen: u32, link: u32) -> Vec<u8> {
    let magic = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
    let mut f = e.u32(magic).to_vec();
    f.extend_from_slice(&e.u16(2));
    f.extend_from_slice(&e.u16(4));
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&e.u32(snaplen));
    f.extend_from_slice(&e.u32(link));
    f
}

pub fn pcap_record(e: Endian, r: &PcapRec<'_>) -> Vec<u8> {
    let mut f = e.u32(r.sec).to_vec();
    f.extend_from_slice(&e.u32(r.frac));
    f.extend_from_slice(&e.u32(r.data.len() as u32));
    f.extend_from_slice(&e.u32(r.orig_len));
    f.extend_from_slice(r.data);
    f
}

pub fn pcap(e: Endian, nanos: bool, snaplen: u32, link: u32, recs: &[PcapRec<'_>]) -> Vec<u8> {
    let mut f = pcap_header(e, nanos, snaplen, link);
    for r in recs {
        f.extend(pcap_record(e, r));
    }
    f
}

/// A pcapng block: type, length, body (padded), length.
pub fn block(e: Endian, ty: u32, body: &[u8]) -> Vec<u8> {
    let pad = (4 - body.len() % 4) % 4;
    let len = (12 + body.len() + pad) as u32;
    let mut b = e.u32(ty).to_vec();
    b.extend_from_slice(&e.u32(len));
    b.extend_from_slice(body);
    b.extend(std::iter::repeat_n(0, pad));
    b.extend_from_slice(&e.u32(len));
    b
}

pub fn shb(e: Endian) -> Vec<u8> {
    let mut body = e.u32(0x1a2b_3c4d).to_vec();
    body.extend_from_slice(&e.u16(1));
    body.extend_from_slice(&e.u16(0));
    body.extend_from_slice(&[0xff; 8]);
    block(e, 0x0a0d_0d0a, &body)
}

pub fn idb(e: Endian, link: u16, snaplen: u32, tsresol: Option<u8>) -> Vec<u8> {
    let mut body = e.u16(link).to_vec();
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(&e.u32(snaplen));
    if let Some(r) = tsresol {
        body.extend_from_slice(&e.u16(9));
        body.extend_from_slice(&e.u16(1));
        body.extend_from_slice(&[r, 0, 0, 0]);
        body.extend_from_slice(&[0, 0, 0, 0]);
    }
    block(e, 1, &body)
}

pub fn epb(e: Endian, iface: u32, ticks: u64, data: &[u8], orig_len: u32) -> Vec<u8> {
    let mut body = e.u32(iface).to_vec();
    body.extend_from_slice(&e.u32((ticks >> 32) as u32));
    body.extend_from_slice(&e.u32(ticks as u32));
    body.extend_from_slice(&e.u32(data.len() as u32));
    body.extend_from_slice(&e.u32(orig_len));
    body.extend_from_slice(data);
    block(e, 6, &body)
}

pub fn spb(e: Endian, data: &[u8]) -> Vec<u8> {
    let mut body = e.u32(data.len() as u32).to_vec();
    body.extend_from_slice(data);
    block(e, 3, &body)
}

pub fn obsolete_pb(e: Endian, iface: u16, ticks: u64, data: &[u8]) -> Vec<u8> {
    let mut body = e.u16(iface).to_vec();
    body.extend_from_slice(&e.u16(0));
    body.extend_from_slice(&e.u32((ticks >> 32) as u32));
    body.extend_from_slice(&e.u32(ticks as u32));
    body.extend_from_slice(&e.u32(data.len() as u32));
    body.extend_from_slice(&e.u32(data.len() as u32));
    body.extend_from_slice(data);
    block(e, 2, &body)
}

/// Everything a reader yields, owned: Ok((number, offset, ts_ns, link, data, orig_len)) or the error text.
pub type Item = Result<(u64, u64, u64, u32, Vec<u8>, u32), String>;

pub fn read_all(bytes: &[u8]) -> Result<Vec<Item>, String> {
    let mut r = synack_capture::CaptureReader::new(bytes).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(item) = r.next_record() {
        out.push(match item {
            Ok(rec) => Ok((
                rec.number,
                rec.offset,
                rec.ts_ns,
                rec.link.0,
                rec.data.to_vec(),
                rec.orig_len,
            )),
            Err(e) => Err(e.to_string()),
        });
    }
    Ok(out)
}
