use synack_capture::{decode_record, CaptureReader, Stats};
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let mode = std::env::args().nth(2).unwrap_or_default();
    let f = std::fs::File::open(path).unwrap();
    let mut r = CaptureReader::from_file(f).unwrap();
    let mut sum = 0u64;
    let mut stats = Stats::default();
    while let Some(rec) = r.next_record() {
        let rec = rec.unwrap();
        if mode == "decode" {
            let d = decode_record(&rec);
            stats.count(&d);
            if let Ok(p) = d { sum += u64::from(p.hdr.seq.0); }
        } else {
            sum += u64::from(rec.data.get(20).copied().unwrap_or(0));
        }
    }
    println!("{sum} {}", stats.records);
}
