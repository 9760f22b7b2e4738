//! `synack annotate FILE`: every TCP segment of a pcap or pcapng file,
//! labelled with both endpoints' inferred states and Wireshark's analysis.
//!
//! `FILE` may be `-`: standard input, as `tcpdump -r -` reads it. A pipe is
//! read as a stream (one 1 MiB buffer, memory flat however long it runs) and
//! each record's events are flushed as soon as it is read, so
//! `tcpdump -U -w - | synack annotate -` annotates live; stdin redirected
//! from a regular file is read like a named file.

use crate::args::{AnnotateArgs, Format};
use crate::error::{clause, CliError};
use crate::filter::{selected, ConnFilter};
use crate::output::Output;
use crate::progress::Progress;
use crate::render::{self, summary, Header};
use crate::Outcome;
use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::os::fd::AsFd;
use std::path::Path;
use synack_capture::{feed, CaptureReader, Feed, LinkType};
use synack_sim::transcript::{ConnInfo, Discard, Event, EventKind, Note, Sink};

/// Runs `synack annotate`.
pub fn run(args: &AnnotateArgs) -> Result<Outcome> {
    if matches!(args.output.format, Format::Pcap | Format::Pcapng) {
        return Err(CliError::Usage(
            "annotate prints text or json; to copy a capture use tcpdump -r/-w or `synack capture -w`"
                .into(),
        )
        .into());
    }
    let (file, shown) = open_input(&args.file)?;
    let meta = file.metadata().ok();
    let size = meta.as_ref().map_or(0, |m| m.len());
    // A pipe (or socket, or terminal) is read as it arrives: flush per record.
    let streaming = !meta.is_some_and(|m| m.is_file());
    let mut reader = CaptureReader::from_file(file)
        .map_err(|e| CliError::BadCapture(format!("{shown}: {}", clause(&e.to_string()))))?;
    let mut out = Output::open(&args.output)?;

    let header = Header {
        what: if args.file == Path::new("-") {
            shown.clone()
        } else {
            format!("file {shown}")
        },
        capture: true,
        ..Header::default()
    };
    let mut renderer: Box<dyn Sink + '_> = if args.summary {
        Box::new(Discard)
    } else {
        render::open(args.output.format, &mut out, header, (&args.view).into())?
    };
    let (conn, port) = (args.conn, args.port);
    let keep = move |info: &ConnInfo| selected(conn, port, info);
    let mut sink = ConnFilter::new(renderer.as_mut(), keep);

    let mut feed = Feed::new();
    let mut progress = Progress::new(format!("synack: annotating {shown}"), size);
    let mut errors: Vec<String> = Vec::new();
    let mut records = 0u64;
    let mut unsupported: BTreeSet<LinkType> = BTreeSet::new();
    while let Some(next) = reader.next_record() {
        match next {
            Ok(rec) => {
                feed.record(&rec, &mut sink)
                    .context("cannot write the transcript")?;
                if feed.stats.unknown_link.len() > unsupported.len() {
                    say_unsupported(&shown, &feed, &mut unsupported);
                }
                if streaming {
                    sink.flush().context("cannot write the transcript")?;
                }
            }
            Err(e) => {
                feed.stats.count_file_error();
                let msg = format!("{shown}: {}", clause(&e.to_string()));
                let note = Note::Text(format!("not annotated: {}", clause(&e.to_string())));
                sink.event(&Event {
                    t_us: feed.last_t_us,
                    conn: None,
                    kind: EventKind::Note(&note),
                })
                .context("cannot write the transcript")?;
                errors.push(msg);
                if e.is_fatal() {
                    break;
                }
            }
        }
        // The progress line redraws 4 times a second at most; asking every
        // 4096 records keeps the clock off the hot path.
        records += 1;
        if records & 0xfff == 0 {
            progress.update(reader.position());
        }
    }
    progress.finish();
    let picture = matches!(args.output.format, Format::Svg | Format::Mermaid);
    if picture && !args.summary && sink.kept_count() > 1 {
        // A picture shows one connection: nothing is written.
        return Err(CliError::Usage(format!(
            "{shown} has {} connections and a picture shows one: choose it with --conn N (`synack annotate {shown} --summary` lists them)",
            sink.kept_count()
        ))
        .into());
    }
    if let (true, Some(c)) = (picture, conn) {
        if c == 0 || c as usize > feed.conn_count() {
            return Err(CliError::Usage(format!(
                "--conn {c}: the capture has {} connection(s), numbered from 1",
                feed.conn_count()
            ))
            .into());
        }
    }
    if !args.summary && !picture {
        let note = Note::Text(feed.stats.to_string());
        sink.event(&Event {
            t_us: feed.last_t_us,
            conn: None,
            kind: EventKind::Note(&note),
        })
        .context("cannot write the transcript")?;
    }
    sink.finish().context("cannot write the transcript")?;
    drop(sink);
    drop(renderer);
    if args.summary {
        let conns: Vec<_> = feed
            .summaries()
            .into_iter()
            .filter(|c| {
                let info = ConnInfo {
                    conn: Some(c.conn),
                    client: c.client,
                    server: c.server,
                };
                selected(conn, port, &info)
            })
            .collect();
        match args.output.format {
            Format::Json => summary::write_json(&mut out.writer, &conns, &feed.stats),
            _ => summary::write_text(&mut out.writer, &conns, &feed.stats),
        }
        .context("cannot write the summary")?;
    }
    out.writer.flush().context("cannot write the transcript")?;
    if let Some(conn) = conn {
        if conn == 0 || conn as usize > feed.conn_count() {
            return Err(CliError::Usage(format!(
                "--conn {conn}: the capture has {} connection(s), numbered from 1",
                feed.conn_count()
            ))
            .into());
        }
    }
    if !errors.is_empty() {
        // Everything good was printed; now the bad records, and exit 2.
        let n = errors.len();
        let mut all = errors.join("\nsynack: ");
        if n > 1 {
            all.push_str(&format!(
                "\nsynack: {n} records of {shown} could not be read"
            ));
        }
        return Err(CliError::BadCapture(all).into());
    }
    Ok(Outcome::Ok)
}

/// The capture to read and the name to show for it: a file, or standard
/// input for `-`.
fn open_input(path: &Path) -> Result<(File, String), CliError> {
    if path == Path::new("-") {
        if io::stdin().is_terminal() {
            return Err(CliError::Usage(
                "annotate -: standard input is a terminal; pipe a capture into it, as in `tcpdump -U -w - | synack annotate -`"
                    .into(),
            ));
        }
        let shown = "standard input".to_owned();
        let fd = io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|err| CliError::ReadCapture {
                path: shown.clone(),
                err,
            })?;
        return Ok((File::from(fd), shown));
    }
    let shown = path.display().to_string();
    let file = File::open(path).map_err(|err| CliError::ReadCapture {
        path: shown.clone(),
        err,
    })?;
    Ok((file, shown))
}

/// One line on stderr for each link type seen for the first time that
/// synack does not decode (the transcript has a note too).
fn say_unsupported(shown: &str, feed: &Feed, said: &mut BTreeSet<LinkType>) {
    for link in feed.stats.unknown_link.keys() {
        if said.insert(*link) {
            let _ = writeln!(
                io::stderr(),
                "synack: {shown}: {}: its records are not annotated (the README lists the link types synack reads)",
                feed::unsupported(*link)
            );
        }
    }
}
