//! A real run's JSON transcript, normalised for a snapshot. What the kernel
//! does is pinned; what depends on microseconds of scheduling is not:
//! - the segments of each direction in order (each sender's own order; how
//!   the two directions interleave is timing), relative numbers only (no
//!   ISNs), no frame numbers or ids, and after a segment sent 0.9 s or more
//!   after the one before it that way, the gap in whole seconds (a SYN
//!   retransmitted after 1 s shows; a 200 ms RTO, which scheduling stretches
//!   by tens of ms, does not). Left out: ACKs alone
//!   (whether an ACK waits for data to ride on depends on how fast the
//!   application answers) and RSTs without ACK (a closed port's answer to
//!   whatever arrives after an abort);
//! - each endpoint's states in order (from the tracepoints as root; polled
//!   from inet_diag otherwise, which misses states shorter than a poll, so
//!   the caller leaves them out), with a TIME-WAIT socket's first report of
//!   FIN-WAIT-2 (an orphan taken over in FIN-WAIT-2) folded into its handover;
//! - each endpoint's calls and what they returned, in order (not whether a
//!   call had to wait: that is a matter of microseconds);
//! - the notes, sorted, less those comparing the wire's states with the
//!   kernel's (they follow what a poll saw).

use serde_json::Value;

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or("?").to_string()
}

fn n(v: &Value, k: &str) -> String {
    match &v[k] {
        Value::Null => "-".to_string(),
        x => x.to_string(),
    }
}

fn segment(v: &Value) -> String {
    let arrow = if s(v, "dir") == "client->server" {
        "c→s"
    } else {
        "s→c"
    };
    let analysis: String = v["analysis"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str())
                .map(|x| format!(" [{x}]"))
                .collect()
        })
        .unwrap_or_default();
    format!(
        "{arrow} {} seq={} ack={} len={} win={} {}{analysis}",
        s(v, "flags"),
        n(v, "rel_seq"),
        n(v, "rel_ack"),
        n(v, "len"),
        n(v, "win"),
        s(v, "fate"),
    )
}

/// What a snapshot of a run keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Detail {
    /// The segments (a bulk transfer's ACK clock is all scheduling).
    pub segments: bool,
    /// The endpoints' states (exact only from the tracepoints, and not for
    /// a race such as a simultaneous close).
    pub states: bool,
}

/// Whether a segment is left out: an ACK alone, or a RST without ACK.
fn left_out(v: &Value) -> bool {
    let flags = v["flags"].as_str().unwrap_or("");
    flags == "ACK" && v["len"] == 0 || flags == "RST"
}

/// The normalised transcript of `json` (JSON Lines).
pub fn normalise(json: &str, detail: Detail) -> String {
    let lines: Vec<Value> = json
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let mut out = String::new();
    for (dir, name) in [
        ("client->server", "client → server"),
        ("server->client", "server → client"),
    ] {
        if !detail.segments {
            break;
        }
        out.push_str(&format!("segments {name} (ACKs alone left out):\n"));
        let mut last: Option<u64> = None;
        for v in lines
            .iter()
            .filter(|v| v["kind"] == "segment" && v["dir"] == dir && !left_out(v))
        {
            let t = v["t_us"].as_u64().unwrap_or(0);
            let gap = last.map_or(0, |l| t.saturating_sub(l));
            last = Some(t);
            let after = if gap >= 900_000 {
                format!(" (+{} s)", (gap + 500_000) / 1_000_000)
            } else {
                String::new()
            };
            out.push_str(&format!("  {}{after}\n", segment(v)));
        }
    }
    for side in ["client", "server"] {
        let of = |k: &'static str| {
            lines
                .iter()
                .filter(move |v| v["kind"] == k && v["endpoint"] == side)
        };
        if detail.states {
            let mut st: Vec<String> = Vec::new();
            for v in of("state") {
                let to = s(v, "to");
                // FIN-WAIT-2 → CLOSED (the handover) → FIN-WAIT-2 (the
                // TIME-WAIT socket's substate) → TIME-WAIT.
                let n = st.len();
                if to == "FIN-WAIT-2"
                    && n >= 2
                    && st[n - 1] == "CLOSED"
                    && st[n - 2] == "FIN-WAIT-2"
                {
                    continue;
                }
                st.push(to);
            }
            out.push_str(&format!("{side} states: CLOSED → {}\n", st.join(" → ")));
        }
        out.push_str(&format!("{side} calls:\n"));
        for v in of("app").filter(|v| !s(v, "result").starts_with("blocked")) {
            out.push_str(&format!("  {} → {}\n", s(v, "call"), s(v, "result")));
        }
    }
    out.push_str("notes:\n");
    let mut notes: Vec<String> = lines
        .iter()
        .filter(|v| v["kind"] == "note")
        .map(|v| s(v, "text"))
        .filter(|t| !t.starts_with("the segments show") && !t.starts_with("the kernel reports"))
        // The RTO after a retransmission follows the measured RTT: timing.
        .map(|t| match t.split_once(": RTO now") {
            Some((head, _)) if t.starts_with("the kernel confirms") => head.to_string(),
            _ => t,
        })
        .collect();
    notes.sort();
    // Whether the kernel's report of a retransmission falls within the
    // pairing window is timing on a loaded machine (the form of those notes
    // is checked by the JSON contract test, the pairing by unit tests).
    notes.retain(|n| !n.starts_with("the kernel confirms"));
    for n in notes {
        out.push_str(&format!("  {n}\n"));
    }
    out
}

/// The rules that explain what timing decides (a delayed ACK, a call that
/// had to wait, a reset answering what arrived after an abort).
const TIMING_RULES: [&str; 3] = ["delayed-ack", "blocked-timing", "reset-answer"];

/// One event of a pair, without its time.
fn event(v: &Value) -> String {
    match v["kind"].as_str() {
        Some("segment") => segment(v),
        Some("state") => format!("{} {} → {}", s(v, "endpoint"), s(v, "from"), s(v, "to")),
        Some("app") => format!("{} {} → {}", s(v, "endpoint"), s(v, "call"), s(v, "result")),
        Some("timer") => format!("{} timer {}", s(v, "endpoint"), s(v, "timer")),
        Some(k) => k.to_string(),
        None => "-".to_string(),
    }
}

/// Whether an event of a pair is one that timing decides: an ACK alone, or
/// a report that a call blocked.
fn timing_event(v: &Value) -> bool {
    (v["kind"] == "segment" && v["flags"] == "ACK" && v["len"] == 0)
        || (v["kind"] == "app" && s(v, "result").starts_with("blocked"))
}

/// A `synack compare --format json` run, normalised for a snapshot: each
/// row as `SIM | verdict (rule) | REAL` without times, sorted (where a row
/// only the real run has falls among the others is scheduling). Left out,
/// and counted: rows explained by a rule about timing, and rows with an
/// ACK alone or a blocked call on either side (which of those a run has,
/// and how they pair, is scheduling too). The totals are left out likewise.
pub fn normalise_compare(json: &str) -> String {
    let mut rows: Vec<String> = Vec::new();
    let mut timing = 0;
    for v in json
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
    {
        if v["kind"] != "pair" {
            continue;
        }
        let mut rule = v["rule"].as_str().unwrap_or("");
        if TIMING_RULES.contains(&rule) || timing_event(&v["sim"]) || timing_event(&v["real"]) {
            timing += 1;
            continue;
        }
        // A TIME-WAIT socket that took over an orphan in FIN-WAIT-2 reports
        // that substate first when a poll of inet_diag catches it (timing),
        // and then goes FIN-WAIT-2 → TIME-WAIT, the simulator's transition;
        // folded into its handover (CLOSED → TIME-WAIT), as `normalise`
        // does.
        let real = &v["real"];
        let real_state = |from: &str, to: &str| {
            real["kind"] == "state" && real["from"] == from && real["to"] == to
        };
        if v["sim"].is_null() && real_state("CLOSED", "FIN-WAIT-2") {
            continue;
        }
        let folded;
        let real_side =
            if real_state("FIN-WAIT-2", "TIME-WAIT") || real_state("CLOSED", "TIME-WAIT") {
                rule = "time-wait-socket";
                folded = format!("{} CLOSED → TIME-WAIT", s(real, "endpoint"));
                Some(folded.as_str())
            } else {
                None
            };
        let side = |k: &str| {
            if k == "real" {
                if let Some(f) = real_side {
                    return f.to_string();
                }
            }
            if v[k].is_null() {
                "-".to_string()
            } else {
                event(&v[k])
            }
        };
        let verdict = if real_side.is_some() {
            "explained"
        } else {
            v["verdict"].as_str().unwrap_or("")
        };
        let verdict = match (verdict, rule) {
            ("same", _) => "=".to_string(),
            (_, "") => "✗ unexplained".to_string(),
            (_, r) => format!("≈ {r}"),
        };
        rows.push(format!("{} | {verdict} | {}\n", side("sim"), side("real")));
    }
    rows.sort();
    let mut out = rows.concat();
    out.push_str(&format!(
        "(and {} rows that timing decides)\n",
        if timing > 0 { "some" } else { "no" }
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_direction_in_order_with_long_gaps() {
        let json = r#"{"kind":"app","t_us":10,"endpoint":"server","call":"listen(7)","result":"ok"}
{"kind":"segment","t_us":5000,"dir":"client->server","flags":"SYN","rel_seq":0,"rel_ack":null,"len":0,"win":64240,"fate":"delivered","analysis":[]}
{"kind":"segment","t_us":1034000,"dir":"client->server","flags":"SYN","rel_seq":0,"rel_ack":null,"len":0,"win":64240,"fate":"delivered","analysis":["retransmission"]}
{"kind":"state","t_us":11000,"endpoint":"client","from":"CLOSED","to":"SYN-SENT","source":"kernel"}
"#;
        let out = normalise(
            json,
            Detail {
                segments: true,
                states: true,
            },
        );
        assert!(
            out.contains("segments client → server (ACKs alone left out):\n  c→s SYN seq=0 ack=- len=0 win=64240 delivered\n  c→s SYN seq=0 ack=- len=0 win=64240 delivered [retransmission] (+1 s)\n"),
            "{out}"
        );
        assert!(out.contains("client states: CLOSED → SYN-SENT\n"), "{out}");
        assert!(out.contains("server calls:\n  listen(7) → ok\n"), "{out}");
    }
}
