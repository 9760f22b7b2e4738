//! `synack annotate` filters (`--conn`, `--port`: connection ids unchanged),
//! `--summary` (text and JSON) and `-o`, mostly on `port_reuse.pcap`, whose
//! eight connections reuse four client ports.

use super::*;

const PORT_REUSE_CONNS: u64 = 8;

fn port_reuse() -> std::path::PathBuf {
    fixture_path("port_reuse.pcap")
}

/// The connection ids of the segment lines.
fn json_conns(out: &str) -> Vec<u64> {
    let mut ids: Vec<u64> = json_lines(out)
        .iter()
        .filter(|v| v["kind"] == "segment")
        .filter_map(|v| v["conn"].as_u64())
        .collect();
    ids.dedup();
    ids
}

#[test]
fn port_reuse_has_eight_connections_in_order() {
    let o = annotate_json(&port_reuse(), &[]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let ids = json_conns(&stdout(&o));
    assert_eq!(ids, (1..=PORT_REUSE_CONNS).collect::<Vec<_>>());
}

#[test]
fn conn_keeps_only_that_connection_with_its_id() {
    let all = stdout(&annotate_json(&port_reuse(), &[]));
    let o = annotate_json(&port_reuse(), &["--conn", "3"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    let lines = json_lines(&out);
    assert!(!lines.is_empty());
    // Connection 3's lines, and the notes about the whole file.
    assert!(
        lines.iter().all(|v| v["conn"] == 3 || v["conn"].is_null()),
        "{out}"
    );
    // The same lines, byte for byte, as in the unfiltered transcript.
    let want: Vec<&str> = all
        .lines()
        .filter(|l| l.contains("\"conn\":3,") || !l.contains("\"conn\":"))
        .collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), want);

    let o = annotate_text(&port_reuse(), &["--conn", "3"]);
    let text = stdout(&o);
    assert!(text.contains("connection c3:"), "{text}");
    assert!(!text.contains(" c2 "), "{text}");
    assert!(!text.contains(" c4 "), "{text}");
}

#[test]
fn conn_out_of_range_exits_2_saying_how_many_there_are() {
    for n in ["0", "9"] {
        let o = annotate_json(&port_reuse(), &["--conn", n]);
        assert_eq!(o.status.code(), Some(2), "--conn {n}");
        let err = assert_clean_stderr(&o);
        assert!(
            err.contains("the capture has 8 connection(s), numbered from 1"),
            "stderr: {err}"
        );
    }
}

#[test]
fn port_keeps_the_connections_with_that_port_on_either_side() {
    // The server port: every connection.
    let o = annotate_json(&port_reuse(), &["--port", "9999"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(
        json_conns(&stdout(&o)),
        (1..=PORT_REUSE_CONNS).collect::<Vec<_>>()
    );
    // One client port: only the connections that used it, ids unchanged.
    // The JSON transcript has no ports, so take them from the summary.
    let all = stdout(&annotate_json(&port_reuse(), &[]));
    let summary = stdout(&annotate_json(&port_reuse(), &["--summary"]));
    let mut by_port: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
    for s in json_lines(&summary)
        .iter()
        .filter(|s| s["kind"] == "conn_summary")
    {
        let client = s["client"].as_str().unwrap_or_default();
        let port = client.rsplit(':').next().unwrap_or_default().to_owned();
        by_port
            .entry(port)
            .or_default()
            .push(s["conn"].as_u64().unwrap_or(0));
    }
    assert!(!by_port.is_empty(), "{summary}");
    for (port, ids) in &by_port {
        let o = annotate_json(&port_reuse(), &["--port", port]);
        assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
        let got = json_conns(&stdout(&o));
        assert_eq!(&got, ids, "--port {port}");
        let kept: Vec<&str> = all
            .lines()
            .filter(|l| {
                serde_json::from_str::<serde_json::Value>(l)
                    .ok()
                    .is_some_and(|v| v["conn"].as_u64().is_none_or(|c| ids.contains(&c)))
            })
            .collect();
        assert_eq!(
            stdout(&o).lines().collect::<Vec<_>>(),
            kept,
            "--port {port}"
        );
    }
    // A port nobody used: nothing but the end.
    let o = annotate_json(&port_reuse(), &["--port", "1"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json_frames(&stdout(&o)), Vec::<u64>::new());
}

#[test]
fn summary_text_has_a_table_per_connection() {
    let o = annotate_text(&port_reuse(), &["--summary"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let text = stdout(&o);
    for n in 1..=PORT_REUSE_CONNS {
        assert!(
            text.contains(&format!("conn {n}: client 127.0.0.1:")),
            "{text}"
        );
    }
    assert_eq!(text.matches("  packets ").count(), 8, "{text}");
    assert_eq!(text.matches("  bytes ").count(), 8, "{text}");
    assert_eq!(text.matches("  duration ").count(), 8, "{text}");
    assert_eq!(text.matches("  opened ").count(), 8, "{text}");
    assert_eq!(text.matches("  closed ").count(), 8, "{text}");
    assert_eq!(text.matches("  analysis ").count(), 8, "{text}");
    assert!(text.contains("→ server 127.0.0.1:9999"), "{text}");
    let last = text.lines().last().unwrap_or_default();
    assert!(last.starts_with("8 connections; "), "{last}");
    // No transcript lines.
    assert!(!text.contains("──"), "{text}");

    let o = annotate_text(&port_reuse(), &["--summary", "--conn", "2"]);
    let text = stdout(&o);
    assert!(text.contains("conn 2: "), "{text}");
    assert!(!text.contains("conn 1: "), "{text}");
    assert!(
        text.lines()
            .last()
            .unwrap_or_default()
            .starts_with("1 connection; "),
        "{text}"
    );
}

#[test]
fn summary_json_counts_packets_bytes_and_flags() {
    let o = annotate_json(&port_reuse(), &["--summary"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    let lines = json_lines(&out);
    let conns: Vec<_> = lines
        .iter()
        .filter(|v| v["kind"] == "conn_summary")
        .collect();
    assert_eq!(conns.len(), 8, "{out}");
    let ids: Vec<u64> = conns.iter().filter_map(|c| c["conn"].as_u64()).collect();
    assert_eq!(ids, (1..=8).collect::<Vec<_>>());
    // Segments per connection, counted from the transcript, match the summary.
    let transcript = json_lines(&stdout(&annotate_json(&port_reuse(), &[])));
    let mut total = 0;
    for c in &conns {
        let id = &c["conn"];
        let count = |dir: &str| {
            transcript
                .iter()
                .filter(|v| v["kind"] == "segment" && &v["conn"] == id && v["dir"] == dir)
                .count() as u64
        };
        assert_eq!(
            c["packets"]["client->server"],
            count("client->server"),
            "{c}"
        );
        assert_eq!(
            c["packets"]["server->client"],
            count("server->client"),
            "{c}"
        );
        let bytes = |dir: &str| -> u64 {
            transcript
                .iter()
                .filter(|v| v["kind"] == "segment" && &v["conn"] == id && v["dir"] == dir)
                .filter_map(|v| v["len"].as_u64())
                .sum()
        };
        assert_eq!(c["bytes"]["client->server"], bytes("client->server"), "{c}");
        assert_eq!(c["bytes"]["server->client"], bytes("server->client"), "{c}");
        let flags = |flag: &str| -> u64 {
            transcript
                .iter()
                .filter(|v| v["kind"] == "segment" && &v["conn"] == id)
                .filter(|v| {
                    v["analysis"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|f| f == flag))
                })
                .count() as u64
        };
        if let Some(analysis) = c["analysis"].as_object() {
            for (flag, n) in analysis {
                assert_eq!(n.as_u64(), Some(flags(flag)), "{flag} in {c}");
            }
        }
        assert_eq!(
            c["duration_us"].as_u64(),
            Some(c["last_us"].as_u64().unwrap_or(0) - c["first_us"].as_u64().unwrap_or(0)),
            "{c}"
        );
        total += count("client->server") + count("server->client");
    }
    let cap = lines
        .iter()
        .find(|v| v["kind"] == "capture_summary")
        .expect("a capture_summary line");
    assert_eq!(cap["connections"], 8);
    assert_eq!(cap["tcp"], total);
    assert_eq!(cap["records"], total);
    assert_eq!(cap["file_errors"], 0);
}

#[test]
fn summary_of_a_damaged_file_still_exits_2() {
    let bytes = syn_lost();
    let recs = pcap_records(&bytes);
    let path = write_tmp("summary_cut.pcap", &bytes[..recs[8].offset + 3]);
    let o = annotate_json(&path, &["--summary"]);
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    let lines = json_lines(&stdout(&o));
    let cap = lines
        .iter()
        .find(|v| v["kind"] == "capture_summary")
        .expect("a capture_summary line");
    assert_eq!(cap["records"], 8);
    assert_eq!(cap["file_errors"], 1);
    let err = assert_clean_stderr(&o);
    assert!(err.contains("record 9 at byte offset"), "stderr: {err}");
}

#[test]
fn output_file_gets_what_stdout_would() {
    let dir = tmp_dir();
    let out = dir.join("port_reuse.jsonl");
    let _ = std::fs::remove_file(&out);
    let o = annotate_json(&port_reuse(), &["-o", path_str(&out)]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "");
    let written = std::fs::read_to_string(&out).expect("the -o file is written");
    assert_eq!(written, stdout(&annotate_json(&port_reuse(), &[])));

    let out = dir.join("port_reuse.txt");
    let o = annotate_text(&port_reuse(), &["--summary", "-o", path_str(&out)]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let written = std::fs::read_to_string(&out).expect("the -o file is written");
    assert!(written.contains("8 connections; "), "{written}");

    // Damaged input with -o: the good records are in the file, exit 2.
    let bytes = syn_lost();
    let recs = pcap_records(&bytes);
    let bad = write_tmp("o_cut.pcap", &bytes[..recs[6].offset + 5]);
    let out = dir.join("o_cut.jsonl");
    let o = annotate_json(&bad, &["-o", path_str(&out)]);
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    let written = std::fs::read_to_string(&out).expect("the -o file is written");
    assert_eq!(json_frames(&written), frames_1_to(6));

    // An output that cannot be created: exit 2, one line.
    let o = annotate_json(&port_reuse(), &["-o", "/nonexistent/dir/x.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
    let err = assert_clean_stderr(&o);
    assert!(err.contains("/nonexistent/dir/x.jsonl"), "stderr: {err}");
}

#[test]
fn pcap_format_is_refused_by_annotate() {
    let o = annotate_text(&port_reuse(), &["--format", "pcap"]);
    assert_eq!(o.status.code(), Some(2));
    let err = assert_clean_stderr(&o);
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
}
