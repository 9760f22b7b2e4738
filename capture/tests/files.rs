//! The pcap / pcapng reader: every magic, byte order and resolution; pcapng
//! blocks and interfaces; damage and how the reader recovers from it.

mod common;
use common::*;
use synack_capture::{decode_record, CaptureReader, FileError, FileFormat, LinkType};

#[test]
fn pcap_all_four_magics() {
    let syn = ipv4_syn();
    let data = ipv4_data(b"hello");
    for e in [Endian::Little, Endian::Big] {
        for nanos in [false, true] {
            let frac = if nanos { 123_456_789 } else { 123_456 };
            let file = pcap(
                e,
                nanos,
                65535,
                101,
                &[rec(1_700_000_000, frac, &syn), rec(1_700_000_001, 0, &data)],
            );
            let items = read_all(&file).unwrap();
            let want_ts = 1_700_000_000_000_000_000 + if nanos { 123_456_789 } else { 123_456_000 };
            assert_eq!(
                items,
                vec![
                    Ok((1, 24, want_ts, 101, syn.clone(), syn.len() as u32)),
                    Ok((
                        2,
                        24 + 16 + syn.len() as u64,
                        1_700_000_001_000_000_000,
                        101,
                        data.clone(),
                        data.len() as u32
                    )),
                ],
                "{e:?} nanos={nanos}"
            );
        }
    }
}

#[test]
fn pcap_records_decode_to_tcp() {
    let file = pcap(Endian::Big, false, 0, 101, &[rec(1, 0, &ipv4_syn())]);
    let mut r = CaptureReader::new(&file[..]).unwrap();
    assert_eq!(r.format(), FileFormat::Pcap);
    assert_eq!(r.link_type(), Some(LinkType::RAW));
    let rec = r.next_record().unwrap().unwrap();
    let p = decode_record(&rec).unwrap();
    assert_eq!(p.hdr, syn_hdr());
    assert_eq!(p.src.to_string(), "10.0.0.1:49152");
    assert!(r.next_record().is_none());
    assert!(r.next_record().is_none(), "stays at the end");
}

#[test]
fn pcapng_two_interfaces_both_byte_orders() {
    let syn = ipv4_syn();
    let eth = ethernet(&ipv4_data(b"hi"));
    for e in [Endian::Little, Endian::Big] {
        let mut f = shb(e);
        f.extend(idb(e, 101, 65535, None)); // interface 0: raw IP, microseconds
        f.extend(idb(e, 1, 65535, Some(9))); // interface 1: Ethernet, nanoseconds
        let first = f.len() as u64;
        f.extend(epb(e, 0, 1_700_000_000_000_001, &syn, syn.len() as u32));
        f.extend(block(e, 0x0000_0bad, b"unknown block, skipped")); // skipped
        let second = f.len() as u64;
        f.extend(epb(e, 1, 1_700_000_000_000_000_002, &eth, eth.len() as u32));
        let third = f.len() as u64;
        f.extend(spb(e, &syn));
        let fourth = f.len() as u64;
        f.extend(obsolete_pb(e, 1, 5, &eth));
        let items = read_all(&f).unwrap();
        assert_eq!(
            items,
            vec![
                Ok((
                    1,
                    first,
                    1_700_000_000_000_001_000,
                    101,
                    syn.clone(),
                    syn.len() as u32
                )),
                Ok((
                    2,
                    second,
                    1_700_000_000_000_000_002,
                    1,
                    eth.clone(),
                    eth.len() as u32
                )),
                Ok((3, third, 0, 101, syn.clone(), syn.len() as u32)),
                Ok((4, fourth, 5, 1, eth.clone(), eth.len() as u32)),
            ],
            "{e:?}"
        );
        let mut r = CaptureReader::new(&f[..]).unwrap();
        assert_eq!(r.format(), FileFormat::Pcapng);
        let mut tcp = 0;
        while let Some(rec) = r.next_record() {
            decode_record(&rec.unwrap()).unwrap();
            tcp += 1;
        }
        assert_eq!(tcp, 4);
    }
}

#[test]
fn pcapng_second_section_changes_byte_order_and_interfaces() {
    let syn = ipv4_syn();
    let mut f = shb(Endian::Little);
    f.extend(idb(Endian::Little, 101, 0, None));
    f.extend(epb(Endian::Little, 0, 1, &syn, syn.len() as u32));
    f.extend(shb(Endian::Big));
    f.extend(idb(Endian::Big, 1, 0, None));
    let eth = ethernet(&syn);
    f.extend(epb(Endian::Big, 0, 2, &eth, eth.len() as u32));
    let items = read_all(&f).unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[1].as_ref().unwrap().3,
        1,
        "link type of the new section"
    );
    assert_eq!(
        items[1].as_ref().unwrap().0,
        2,
        "numbers continue across sections"
    );
}

#[test]
fn empty_file_and_bad_magic_are_clear_errors() {
    let e = CaptureReader::new(&b""[..]).err().unwrap();
    assert!(matches!(e, FileError::Empty));
    assert!(e.to_string().contains("empty"), "{e}");
    let e = CaptureReader::new(&b"GIF89a......"[..]).err().unwrap();
    assert!(matches!(e, FileError::BadMagic(_)));
    assert_eq!(
        e.to_string(),
        "The file is neither pcap nor pcapng: it starts with the bytes 47 49 46 38, which is no known magic number."
    );
    let e = CaptureReader::new(&b"\xd4\xc3"[..]).err().unwrap();
    assert!(matches!(e, FileError::BadMagic(_)));
    let header = pcap_header(Endian::Little, false, 65535, 1);
    let e = CaptureReader::new(&header[..10]).err().unwrap();
    assert!(matches!(e, FileError::HeaderCutShort { got: 10 }), "{e}");
}

#[test]
fn header_only_file_has_no_records() {
    assert_eq!(
        read_all(&pcap_header(Endian::Little, false, 65535, 1)).unwrap(),
        vec![]
    );
    assert_eq!(read_all(&shb(Endian::Big)).unwrap(), vec![]);
}

#[test]
fn pcap_record_header_cut_short_ends_after_the_good_records() {
    let syn = ipv4_syn();
    let mut f = pcap(
        Endian::Little,
        false,
        65535,
        101,
        &[rec(1, 0, &syn), rec(2, 0, &syn)],
    );
    let offset = f.len();
    f.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7]);
    let items = read_all(&f).unwrap();
    assert_eq!(items.len(), 3);
    assert!(items[0].is_ok() && items[1].is_ok());
    assert_eq!(
        items[2],
        Err(format!(
            "Record 3 at byte offset {offset}: the record header is cut short (7 of 16 bytes), the file ends inside it."
        ))
    );
}

#[test]
fn pcap_data_cut_short_is_an_error() {
    let syn = ipv4_syn();
    let f = pcap(Endian::Little, false, 65535, 101, &[rec(1, 0, &syn)]);
    let items = read_all(&f[..f.len() - 5]).unwrap();
    assert_eq!(items.len(), 1);
    let err = items[0].as_ref().unwrap_err();
    assert!(
        err.starts_with("Record 1 at byte offset 24: the packet data is cut short"),
        "{err}"
    );
}

#[test]
fn oversized_caplen_is_a_fatal_error_naming_record_and_offset() {
    let syn = ipv4_syn();
    let mut f = pcap(Endian::Little, false, 0, 101, &[rec(1, 0, &syn)]);
    let offset = f.len();
    let mut bad = pcap_record(Endian::Little, &rec(2, 0, &syn));
    bad[8..12].copy_from_slice(&300_000u32.to_le_bytes());
    f.extend(bad);
    f.extend(pcap_record(Endian::Little, &rec(3, 0, &syn))); // unreachable: no resync
    let mut r = CaptureReader::new(&f[..]).unwrap();
    assert!(r.next_record().unwrap().is_ok());
    let e = r.next_record().unwrap().unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("Record 2 at byte offset {offset}: caplen 300000 exceeds the 262144-byte limit.")
    );
    assert!(e.is_fatal());
    assert_eq!((e.record(), e.offset()), (Some(2), Some(offset as u64)));
    assert!(
        r.next_record().is_none(),
        "never invents records after a lost frame"
    );
}

/// Issue 12: a record whose caplen exceeds the snaplen (but not the
/// 262144-byte limit) is read whole, as Wireshark reads it, and says so;
/// the records after it are read as usual.
#[test]
fn caplen_over_snaplen_is_read_whole_and_reading_goes_on() {
    let syn = ipv4_syn();
    let data = ipv4_data(&[7; 300]);
    let f = pcap(
        Endian::Big,
        true,
        40,
        101,
        &[
            rec(1, 0, &syn[..40]),
            rec(2, 0, &data),
            rec(3, 0, &syn[..40]),
        ],
    );
    let mut r = CaptureReader::new(&f[..]).unwrap();
    let mut seen = Vec::new();
    while let Some(item) = r.next_record() {
        let rec = item.expect("no record is an error");
        seen.push((rec.number, rec.data.len(), rec.over_snaplen));
    }
    assert_eq!(
        seen,
        vec![(1, 40, None), (2, data.len(), Some(40)), (3, 40, None)]
    );
    // The same in pcapng, where the snaplen is the interface's.
    let e = Endian::Little;
    let mut ng = shb(e);
    ng.extend(idb(e, 101, 40, None));
    ng.extend(epb(e, 0, 1, &syn[..40], syn.len() as u32));
    ng.extend(epb(e, 0, 2, &data, data.len() as u32));
    ng.extend(epb(e, 0, 3, &syn[..40], syn.len() as u32));
    let mut r = CaptureReader::new(&ng[..]).unwrap();
    let mut seen = Vec::new();
    while let Some(item) = r.next_record() {
        let rec = item.expect("no record is an error");
        seen.push((rec.number, rec.data.len(), rec.over_snaplen));
    }
    assert_eq!(
        seen,
        vec![(1, 40, None), (2, data.len(), Some(40)), (3, 40, None)]
    );
}

#[test]
fn pcapng_bad_packet_body_is_skipped_and_reading_goes_on() {
    let e = Endian::Little;
    let syn = ipv4_syn();
    let mut f = shb(e);
    f.extend(idb(e, 101, 0, None));
    f.extend(epb(e, 0, 1, &syn, syn.len() as u32));
    let bad_at = f.len();
    f.extend(epb(e, 7, 2, &syn, syn.len() as u32)); // no interface 7
    let mut caplen_bad = epb(e, 0, 3, &syn, syn.len() as u32);
    caplen_bad[20..24].copy_from_slice(&5000u32.to_le_bytes()); // caplen beyond the block
    f.extend(caplen_bad);
    f.extend(epb(e, 0, 4, &syn, syn.len() as u32));
    let items = read_all(&f).unwrap();
    assert_eq!(items.len(), 4);
    assert!(items[0].is_ok());
    assert_eq!(
        items[1],
        Err(format!(
            "Record 2 at byte offset {bad_at}: the packet names interface 7, but the section has described only 1 interface(s)."
        ))
    );
    assert!(items[2]
        .as_ref()
        .unwrap_err()
        .contains("caplen 5000 is larger than its"));
    assert_eq!(
        items[3].as_ref().unwrap().0,
        4,
        "the bad blocks kept their numbers"
    );
}

#[test]
fn pcapng_broken_framing_is_fatal() {
    let e = Endian::Little;
    let syn = ipv4_syn();
    let mut f = shb(e);
    f.extend(idb(e, 101, 0, None));
    f.extend(epb(e, 0, 1, &syn, syn.len() as u32));
    let at = f.len();
    let mut b = epb(e, 0, 2, &syn, syn.len() as u32);
    let n = b.len();
    b[n - 4..].copy_from_slice(&8u32.to_le_bytes()); // trailing length mismatch
    f.extend(b);
    f.extend(epb(e, 0, 3, &syn, syn.len() as u32));
    let items = read_all(&f).unwrap();
    assert_eq!(items.len(), 2);
    assert!(items[1].as_ref().unwrap_err().starts_with(&format!(
        "Record 2 at byte offset {at}: the pcapng block length"
    )));
    // A block length that is not a multiple of 4.
    let mut g = shb(e);
    g.extend(idb(e, 101, 0, None));
    let mut b = epb(e, 0, 2, &syn, syn.len() as u32);
    b[4..8].copy_from_slice(&13u32.to_le_bytes());
    g.extend(b);
    let items = read_all(&g).unwrap();
    assert_eq!(items.len(), 1);
    assert!(items[0]
        .as_ref()
        .unwrap_err()
        .contains("block length 13 is invalid"));
    // Cut inside a block.
    let mut h = shb(e);
    h.extend(idb(e, 101, 0, None));
    h.extend(epb(e, 0, 2, &syn, syn.len() as u32));
    let items = read_all(&h[..h.len() - 6]).unwrap();
    assert!(items[0].as_ref().unwrap_err().contains("is cut short"));
}

#[test]
fn pcapng_must_start_with_a_section_header() {
    let mut f = shb(Endian::Little);
    f[8..12].copy_from_slice(&[1, 2, 3, 4]);
    let e = CaptureReader::new(&f[..]).err().unwrap();
    assert!(e.to_string().contains("byte-order magic"), "{e}");
}
