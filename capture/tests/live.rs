//! Live capture on loopback: a real TCP connection on 127.0.0.1, seen through
//! libpcap and the decoder. Needs the privilege to capture: skipped with a
//! printed reason otherwise, unless SYNACK_REQUIRE_LIVE=1.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use synack_capture::{decode_record, live, LiveCapture, LiveError, LiveOptions};

fn require_live() -> bool {
    std::env::var("SYNACK_REQUIRE_LIVE").is_ok_and(|v| v == "1")
}

#[test]
fn captures_a_loopback_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let opts = LiveOptions {
        filter: Some(format!("tcp port {port}")),
        ..LiveOptions::default()
    };
    let mut cap = match LiveCapture::open_with(&opts) {
        Ok(c) => c,
        Err(e @ LiveError::Permission { .. }) => {
            assert!(!require_live(), "SYNACK_REQUIRE_LIVE=1 but: {e}");
            println!("skipped: {e}");
            return;
        }
        Err(e) => panic!("opening lo failed: {e}"),
    };
    let dir = std::env::temp_dir().join(format!("synack-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("live.pcapng");
    cap.write_to(&out).unwrap();

    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 16];
        let n = s.read(&mut buf).unwrap();
        s.write_all(&buf[..n]).unwrap();
    });
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    client.write_all(b"Michael").unwrap();
    let mut echo = [0u8; 7];
    client.read_exact(&mut echo).unwrap();
    drop(client);
    server.join().unwrap();

    let (mut syn, mut syn_ack, mut data) = (false, false, false);
    // Bounded by a number of reads, not by a clock: each read returns a packet
    // or times out after the capture's read timeout.
    for _ in 0..200 {
        let Some(rec) = cap.next_record().unwrap() else {
            if syn && syn_ack && data {
                break;
            }
            continue;
        };
        let p = decode_record(&rec).unwrap_or_else(|e| panic!("record {}: {e}", rec.number));
        assert!(
            p.src.port() == port || p.dst.port() == port,
            "the filter let {p:?} through"
        );
        let f = p.hdr.flags;
        if f.syn() && !f.ack() {
            syn = true;
            assert_eq!(p.dst.port(), port);
            assert!(p.hdr.options.mss.is_some(), "Linux sends MSS on SYN");
        }
        if f.syn() && f.ack() {
            syn_ack = true;
        }
        if p.payload == b"Michael" {
            data = true;
            assert_eq!(p.hdr.payload_len, 7);
        }
        if syn && syn_ack && data {
            break;
        }
    }
    assert!(
        syn && syn_ack && data,
        "saw SYN {syn}, SYN-ACK {syn_ack}, data {data}"
    );
    let stats = cap.stats().unwrap();
    assert!(stats.captured >= 3, "{stats:?}");
    cap.flush().unwrap();
    drop(cap);
    // What was written reads back through the file reader.
    let bytes = std::fs::read(&out).unwrap();
    let mut r = synack_capture::CaptureReader::new(&bytes[..]).unwrap();
    let mut n = 0;
    while let Some(rec) = r.next_record() {
        decode_record(&rec.unwrap()).unwrap();
        n += 1;
    }
    assert_eq!(n, stats.captured);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_filter_is_a_typed_error() {
    match live::open("lo", Some("tcp port"), 1500) {
        Err(LiveError::Filter { .. }) => {}
        Err(e @ LiveError::Permission { .. }) => {
            assert!(!require_live(), "SYNACK_REQUIRE_LIVE=1 but: {e}");
            println!("skipped: {e}");
        }
        Err(e) => panic!("unexpected error: {e}"),
        Ok(_) => panic!("an invalid BPF filter was accepted"),
    }
}
