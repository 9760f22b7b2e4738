//! synack-traffic: makes one kind of real TCP traffic on 127.0.0.1, for the
//! netns capture tests (`ip netns exec NAME synack-traffic CASE PORT [N]`).
//!
//! Server and client live in this one process (the server on a thread). Every
//! socket has a timeout and a watchdog ends the process after
//! [`WATCHDOG`], so a run is bounded in time whatever the network does.
//!
//! Cases:
//! - `echo PORT`: connect, send 100 bytes, read the echo, close.
//! - `bulk PORT N`: send N bytes; the server reads them all.
//! - `noread PORT`: the server (small SO_RCVBUF) does not read for 2 s while
//!   the client writes until blocked, then reads everything: zero window,
//!   window full, zero-window probes, window update.
//! - `keepalive PORT`: SO_KEEPALIVE with TCP_KEEPIDLE = TCP_KEEPINTVL = 1 s,
//!   then 2.5 s idle: keep-alive probes and their ACKs.
//! - `rst PORT`: connect, send, then close with SO_LINGER 0: an RST.
//! - `refused PORT`: connect to PORT where nobody listens: SYN, RST/ACK.
//! - `reuse PORT N`: N short connections from client ports 40000..=40003; the
//!   server closes first, so TIME-WAIT is on the server, and the next SYN
//!   from the same client port reuses the 4-tuple (Linux accepts a SYN into
//!   TIME-WAIT when its sequence number and timestamp are newer).
//!
//! Exit status: 0 the case ran as meant, 1 it did not (message on stderr),
//! 2 usage, 3 the watchdog fired.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use socket2::{Domain, Protocol, SockRef, Socket, TcpKeepalive, Type};

/// The whole run ends after this, whatever happens.
const WATCHDOG: Duration = Duration::from_secs(20);
/// Timeout of every blocking socket call.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// First client port of the `reuse` case; four ports from here.
const REUSE_BASE_PORT: u16 = 40000;
const REUSE_PORTS: u16 = 4;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (case, port, n) = match parse(&args) {
        Some(v) => v,
        None => {
            eprintln!(
                "usage: synack-traffic echo|bulk|noread|keepalive|rst|refused|reuse PORT [N]"
            );
            return ExitCode::from(2);
        }
    };
    thread::spawn(|| {
        thread::sleep(WATCHDOG);
        eprintln!("synack-traffic: watchdog: the case did not finish in {WATCHDOG:?}");
        std::process::exit(3);
    });
    let result = match case.as_str() {
        "echo" => echo(port),
        "bulk" => bulk(port, n.unwrap_or(100_000)),
        "noread" => noread(port),
        "keepalive" => keepalive(port),
        "rst" => rst(port),
        "refused" => refused(port),
        "reuse" => reuse(port, n.unwrap_or(8)),
        _ => {
            eprintln!("synack-traffic: unknown case {case:?}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("synack-traffic {case}: {e}");
            ExitCode::from(1)
        }
    }
}

fn parse(args: &[String]) -> Option<(String, u16, Option<usize>)> {
    let case = args.first()?.clone();
    let port = args.get(1)?.parse().ok()?;
    let n = match args.get(2) {
        Some(s) => Some(s.parse().ok()?),
        None => None,
    };
    Some((case, port, n))
}

fn local(port: u16) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))
}

/// A listener on 127.0.0.1:port, with `rcvbuf` set before listen() so that
/// accepted sockets inherit it (and the window scale it implies).
fn listen(port: u16, rcvbuf: Option<usize>) -> io::Result<TcpListener> {
    let s = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    s.set_reuse_address(true)?;
    if let Some(size) = rcvbuf {
        s.set_recv_buffer_size(size)?;
    }
    s.bind(&local(port).into())?;
    s.listen(16)?;
    Ok(s.into())
}

fn timeouts(s: &TcpStream) -> io::Result<()> {
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    s.set_write_timeout(Some(IO_TIMEOUT))
}

fn connect(port: u16) -> io::Result<TcpStream> {
    let s = TcpStream::connect_timeout(&local(port), IO_TIMEOUT)?;
    timeouts(&s)?;
    Ok(s)
}

fn accept(l: &TcpListener) -> io::Result<TcpStream> {
    let (s, _) = l.accept()?;
    timeouts(&s)?;
    Ok(s)
}

/// Runs `server` on a thread against `l`, `client` here, and joins.
fn pair<S, C>(l: TcpListener, server: S, client: C) -> io::Result<()>
where
    S: FnOnce(TcpListener) -> io::Result<()> + Send + 'static,
    C: FnOnce() -> io::Result<()>,
{
    let h = thread::spawn(move || server(l));
    let c = client();
    let s = h
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the server thread panicked")));
    c.and(s)
}

/// Reads to end-of-stream, returning how many bytes came.
fn drain(s: &mut TcpStream) -> io::Result<usize> {
    let mut buf = [0u8; 16384];
    let mut total = 0;
    loop {
        match s.read(&mut buf)? {
            0 => return Ok(total),
            n => total += n,
        }
    }
}

fn echo(port: u16) -> io::Result<()> {
    let l = listen(port, None)?;
    pair(
        l,
        |l| {
            let mut s = accept(&l)?;
            let mut buf = [0u8; 100];
            s.read_exact(&mut buf)?;
            s.write_all(&buf)?;
            drain(&mut s).map(|_| ())
        },
        || {
            let mut c = connect(port)?;
            let msg = [b'e'; 100];
            c.write_all(&msg)?;
            let mut back = [0u8; 100];
            c.read_exact(&mut back)?;
            if back != msg {
                return Err(io::Error::other("the echo differs from what was sent"));
            }
            c.shutdown(Shutdown::Write)?;
            drain(&mut c).map(|_| ())
        },
    )
}

fn bulk(port: u16, n: usize) -> io::Result<()> {
    let l = listen(port, None)?;
    pair(
        l,
        move |l| {
            let mut s = accept(&l)?;
            let got = drain(&mut s)?;
            if got != n {
                return Err(io::Error::other(format!("server read {got} of {n} bytes")));
            }
            Ok(())
        },
        || {
            let mut c = connect(port)?;
            c.write_all(&vec![b'b'; n])?;
            c.shutdown(Shutdown::Write)?;
            drain(&mut c).map(|_| ())
        },
    )
}

fn noread(port: u16) -> io::Result<()> {
    const TOTAL: usize = 16 * 1024;
    let l = listen(port, Some(2048))?;
    pair(
        l,
        |l| {
            let mut s = accept(&l)?;
            thread::sleep(Duration::from_secs(2));
            let got = drain(&mut s)?;
            if got != TOTAL {
                return Err(io::Error::other(format!(
                    "server read {got} of {TOTAL} bytes"
                )));
            }
            Ok(())
        },
        || {
            let mut c = connect(port)?;
            SockRef::from(&c).set_send_buffer_size(16 * 1024)?;
            c.write_all(&vec![b'z'; TOTAL])?;
            c.shutdown(Shutdown::Write)?;
            drain(&mut c).map(|_| ())
        },
    )
}

fn keepalive(port: u16) -> io::Result<()> {
    let l = listen(port, None)?;
    pair(
        l,
        |l| {
            let mut s = accept(&l)?;
            drain(&mut s).map(|_| ())
        },
        || {
            let mut c = connect(port)?;
            let ka = TcpKeepalive::new()
                .with_time(Duration::from_secs(1))
                .with_interval(Duration::from_secs(1));
            SockRef::from(&c).set_tcp_keepalive(&ka)?;
            c.write_all(b"hello, keep me alive")?;
            thread::sleep(Duration::from_millis(2500));
            c.shutdown(Shutdown::Write)?;
            drain(&mut c).map(|_| ())
        },
    )
}

fn rst(port: u16) -> io::Result<()> {
    let l = listen(port, None)?;
    pair(
        l,
        |l| {
            let mut s = accept(&l)?;
            let mut buf = [0u8; 32];
            s.read_exact(&mut buf)?;
            s.write_all(b"ok")?;
            match s.read(&mut buf) {
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => Ok(()),
                Ok(0) => Err(io::Error::other("end-of-stream where an RST was meant")),
                other => Err(io::Error::other(format!(
                    "{other:?} where an RST was meant"
                ))),
            }
        },
        || {
            let mut c = connect(port)?;
            c.write_all(&[b'r'; 32])?;
            let mut ok = [0u8; 2];
            c.read_exact(&mut ok)?;
            SockRef::from(&c).set_linger(Some(Duration::ZERO))?;
            drop(c);
            Ok(())
        },
    )
}

fn refused(port: u16) -> io::Result<()> {
    match TcpStream::connect_timeout(&local(port), IO_TIMEOUT) {
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => Ok(()),
        Err(e) => Err(io::Error::other(format!("{e} where refused was meant"))),
        Ok(_) => Err(io::Error::other("connected where refused was meant")),
    }
}

/// A client socket bound to `src` with SO_REUSEADDR, connected to `port`.
/// The previous connection from `src` may still be in LAST-ACK for a moment
/// (its final ACK in flight), so an address-in-use connect is retried.
fn connect_from(src: u16, port: u16) -> io::Result<TcpStream> {
    let mut last = None;
    for _ in 0..100 {
        let s = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
        s.set_reuse_address(true)?;
        s.bind(&local(src).into())?;
        match s.connect_timeout(&local(port).into(), IO_TIMEOUT) {
            Ok(()) => {
                let s: TcpStream = s.into();
                timeouts(&s)?;
                return Ok(s);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::AddrInUse | io::ErrorKind::AddrNotAvailable
                ) =>
            {
                last = Some(e);
                thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("could not connect")))
}

fn reuse(port: u16, n: usize) -> io::Result<()> {
    let l = listen(port, None)?;
    pair(
        l,
        move |l| {
            for _ in 0..n {
                let mut s = accept(&l)?;
                let mut buf = [0u8; 4];
                s.read_exact(&mut buf)?;
                s.write_all(b"pong")?;
                // The server closes first: TIME-WAIT is on its side.
                drop(s);
            }
            Ok(())
        },
        || {
            for i in 0..n {
                let src = REUSE_BASE_PORT + (i as u16 % REUSE_PORTS);
                let mut c = connect_from(src, port)?;
                c.write_all(b"ping")?;
                let got = drain(&mut c)?;
                if got != 4 {
                    return Err(io::Error::other(format!("client read {got} of 4 bytes")));
                }
            }
            Ok(())
        },
    )
}
