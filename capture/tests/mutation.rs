//! Damaged captures: seeded random byte errors through the reader and the
//! decoder. Nothing may panic, and every record that lies wholly before the
//! first damaged byte must come out exactly as from the undamaged file.

mod common;
use common::*;
use synack_capture::{decode_record, CaptureReader, Stats};

/// splitmix64: a tiny, seeded, deterministic generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// True with probability `per_mille` / 1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
}

/// Reads and decodes everything; each item is the record's offset and a
/// description of what it yielded.
fn run(bytes: &[u8]) -> (Vec<(u64, String)>, Stats) {
    let mut stats = Stats::default();
    let mut out = Vec::new();
    let Ok(mut r) = CaptureReader::new(bytes) else {
        return (out, stats);
    };
    let mut guard = 0;
    while let Some(item) = r.next_record() {
        guard += 1;
        assert!(guard < 100_000, "the reader must make progress");
        match item {
            Ok(rec) => {
                let d = decode_record(&rec);
                let text = format!("{} {} {:?} {:?}", rec.number, rec.ts_ns, rec.data, d);
                stats.count(&d);
                out.push((rec.offset, text));
            }
            Err(e) => {
                stats.count_file_error();
                out.push((e.offset().unwrap_or(u64::MAX), format!("error {e}")));
            }
        }
    }
    let _ = stats.to_string();
    (out, stats)
}

fn corpus() -> Vec<Vec<u8>> {
    let syn = ipv4_syn();
    let data = ipv4_data(&[0x41; 300]);
    let v6 = ip_packet(CLIENT6, SERVER6, &data_hdr(20), &[0x42; 20]);
    let eth: Vec<Vec<u8>> = [&syn, &data, &v6].iter().map(|p| ethernet(p)).collect();
    let mut pcap_le = pcap_header(Endian::Little, false, 65535, 1);
    let mut pcap_be = pcap_header(Endian::Big, true, 65535, 101);
    for i in 0..30u32 {
        let f = &eth[i as usize % 3];
        pcap_le.extend(pcap_record(Endian::Little, &rec(i, i * 10, f)));
        let p = [&syn, &data, &v6][i as usize % 3];
        let cut = PcapRec {
            sec: i,
            frac: 0,
            data: &p[..p.len().min(70)],
            orig_len: p.len() as u32,
        };
        pcap_be.extend(pcap_record(Endian::Big, &cut));
    }
    let mut ng = shb(Endian::Big);
    ng.extend(idb(Endian::Big, 1, 0, Some(9)));
    ng.extend(idb(Endian::Big, 113, 0, None));
    for i in 0..30u64 {
        if i % 2 == 0 {
            let f = &eth[i as usize % 3];
            ng.extend(epb(Endian::Big, 0, i, f, f.len() as u32));
        } else {
            let f = sll(&data);
            ng.extend(epb(Endian::Big, 1, i, &f, f.len() as u32));
        }
        if i % 7 == 0 {
            ng.extend(block(Endian::Big, 5, b"interface statistics"));
        }
    }
    vec![pcap_le, pcap_be, ng]
}

fn mutate_and_compare(per_mille: u64, rounds: u64, seed: u64) {
    let corpus = corpus();
    let baselines: Vec<_> = corpus.iter().map(|f| run(f).0).collect();
    let mut rng = Rng(seed);
    let mut compared = 0usize;
    for round in 0..rounds {
        let which = (round % corpus.len() as u64) as usize;
        let mut bytes = corpus[which].clone();
        let mut first_damage = bytes.len();
        for (i, b) in bytes.iter_mut().enumerate() {
            if rng.chance(per_mille) {
                let new = rng.next() as u8;
                if new != *b {
                    *b = new;
                    first_damage = first_damage.min(i);
                }
            }
        }
        // Sometimes also cut the file short.
        if rng.chance(200) {
            let cut = (rng.next() as usize) % (bytes.len() + 1);
            bytes.truncate(cut);
            first_damage = first_damage.min(cut);
        }
        let (got, _) = run(&bytes);
        let base = &baselines[which];
        // Record i is intact when the next record starts at or before the damage.
        for (i, item) in base.iter().enumerate() {
            let end = base.get(i + 1).map_or(corpus[which].len() as u64, |n| n.0);
            if end > first_damage as u64 {
                break;
            }
            assert_eq!(
                got.get(i),
                Some(item),
                "round {round}: record {i} before damage at {first_damage}"
            );
            compared += 1;
        }
    }
    assert!(compared > 0, "the test compared no records at all");
}

#[test]
fn two_percent_byte_errors_never_panic_and_keep_the_good_prefix() {
    mutate_and_compare(20, 400, 0x5eed);
}

#[test]
fn sparse_byte_errors_keep_long_good_prefixes() {
    mutate_and_compare(1, 300, 42);
}

#[test]
fn every_prefix_of_a_file_reads_without_panic() {
    for file in corpus() {
        for cut in 0..file.len().min(3000) {
            run(&file[..cut]);
        }
    }
}
