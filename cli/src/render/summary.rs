//! `--summary` of a capture: a small table per connection, then what else the
//! capture held (so nothing is silently lost).

use std::io::{self, Write};
use synack_capture::Stats;
use synack_sim::observer::ConnSummary;
use synack_sim::transcript::AnalysisFlag;

use super::words::Secs;

fn secs(us: u64) -> Secs {
    Secs::micros(us)
}

/// Writes the text summary of every connection in `conns`, then `stats`.
pub fn write_text(out: &mut dyn Write, conns: &[ConnSummary], stats: &Stats) -> io::Result<()> {
    for c in conns {
        writeln!(
            out,
            "conn {}: client {} → server {}",
            c.conn, c.client, c.server
        )?;
        writeln!(
            out,
            "  {:<10} {:>13} {:>13}",
            "", "client→server", "server→client"
        )?;
        writeln!(
            out,
            "  {:<10} {:>13} {:>13}",
            "packets", c.packets[0], c.packets[1]
        )?;
        writeln!(
            out,
            "  {:<10} {:>13} {:>13}",
            "bytes", c.bytes[0], c.bytes[1]
        )?;
        writeln!(
            out,
            "  {:<10} {} s (from {} to {})",
            "duration",
            secs(c.duration_us()),
            secs(c.first_us),
            secs(c.last_us)
        )?;
        writeln!(out, "  {:<10} {}", "opened", c.opening)?;
        writeln!(out, "  {:<10} {}", "closed", c.closing)?;
        writeln!(
            out,
            "  {:<10} client {}, server {}",
            "final", c.final_state[0], c.final_state[1]
        )?;
        let mut any = false;
        for f in AnalysisFlag::ALL {
            let n = c.count(f);
            if n > 0 {
                if !any {
                    write!(out, "  {:<10}", "analysis")?;
                    any = true;
                } else {
                    write!(out, ",")?;
                }
                write!(out, " {} {n}", f.name())?;
            }
        }
        if !any {
            write!(out, "  {:<10} none", "analysis")?;
        }
        writeln!(out)?;
        writeln!(out)?;
    }
    writeln!(
        out,
        "{} connection{}; {stats}",
        conns.len(),
        if conns.len() == 1 { "" } else { "s" }
    )
}

/// Writes one JSON object per connection (`"kind":"conn_summary"`), then one
/// `"kind":"capture_summary"` with the record counts.
pub fn write_json(out: &mut dyn Write, conns: &[ConnSummary], stats: &Stats) -> io::Result<()> {
    for c in conns {
        let mut analysis = serde_json::Map::new();
        for f in AnalysisFlag::ALL {
            let n = c.count(f);
            if n > 0 {
                analysis.insert(f.name().into(), n.into());
            }
        }
        let v = serde_json::json!({
            "kind": "conn_summary",
            "conn": c.conn,
            "client": c.client.to_string(),
            "server": c.server.to_string(),
            "packets": {"client->server": c.packets[0], "server->client": c.packets[1]},
            "bytes": {"client->server": c.bytes[0], "server->client": c.bytes[1]},
            "first_us": c.first_us,
            "last_us": c.last_us,
            "duration_us": c.duration_us(),
            "opened": c.opening.to_string(),
            "closed": c.closing.to_string(),
            "final": {"client": c.final_state[0].name(), "server": c.final_state[1].name()},
            "analysis": analysis,
        });
        writeln!(out, "{v}")?;
    }
    let v = serde_json::json!({
        "kind": "capture_summary",
        "connections": conns.len(),
        "records": stats.records,
        "tcp": stats.tcp,
        "tcp_payload_truncated": stats.tcp_payload_truncated,
        "not_tcp": stats.not_tcp(),
        "truncated": stats.truncated,
        "malformed": stats.malformed,
        "fragments": stats.fragments,
        "file_errors": stats.file_errors,
        "text": stats.to_string(),
    });
    writeln!(out, "{v}")
}
