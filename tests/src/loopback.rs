//! Loopback traffic for live tests: one echo, and a child process that is
//! always reaped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

/// A child process that is killed (if still running) and waited for when
/// dropped, also when the test panics.
pub struct Reaped(pub std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One echo over loopback: connect, send "hello", read it back, close.
pub fn echo(port: u16, listener: &TcpListener) {
    let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let (mut s, _) = listener.accept().expect("accept");
    c.write_all(b"hello").expect("send");
    let mut buf = [0u8; 5];
    s.read_exact(&mut buf).expect("server reads");
    s.write_all(&buf).expect("server echoes");
    c.read_exact(&mut buf).expect("client reads the echo");
    drop(c);
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).expect("server reads the end");
}
