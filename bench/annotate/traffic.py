#!/usr/bin/env python3
"""Traffic for the annotate benchmark, on 127.0.0.1 only.

Run inside the benchmark's private network namespace:

    traffic.py bulk PORT BYTES   one connection that sends BYTES, then closes
    traffic.py many PORT N       N short connections, one after another:
                                 connect, send 8 bytes, read the 8-byte reply,
                                 close (the client closes first)

The server is a forked child process (no GIL shared with the client). Every
socket call has a timeout and an alarm ends each process after --deadline
seconds (default 300), so a run is bounded whatever the network does.
Prints one `key=value` line per fact on stdout; exit status 0 when the
traffic ran as meant, 1 otherwise, 2 on usage.
"""

import os
import signal
import socket
import sys
import time

HOST = "127.0.0.1"
IO_TIMEOUT = 10.0
CHUNK = 1 << 20


def die(msg, code=1):
    print(f"traffic.py: {msg}", file=sys.stderr)
    sys.exit(code)


def listener(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((HOST, port))
    s.listen(512)
    s.settimeout(IO_TIMEOUT)
    return s


def drain(conn, buf):
    """Reads to end-of-stream; returns the byte count."""
    view = memoryview(buf)
    total = 0
    while True:
        n = conn.recv_into(view)
        if n == 0:
            return total
        total += n


def bulk_server(lst, nbytes):
    conn, _ = lst.accept()
    conn.settimeout(IO_TIMEOUT)
    got = drain(conn, bytearray(CHUNK))
    conn.close()
    if got != nbytes:
        die(f"bulk server read {got} of {nbytes} bytes")


def bulk_client(port, nbytes):
    c = socket.create_connection((HOST, port), timeout=IO_TIMEOUT)
    data = memoryview(b"b" * CHUNK)
    left = nbytes
    while left > 0:
        n = min(left, CHUNK)
        c.sendall(data[:n])
        left -= n
    c.shutdown(socket.SHUT_WR)
    drain(c, bytearray(4096))
    c.close()


def many_server(lst, n):
    buf = bytearray(64)
    for _ in range(n):
        conn, _ = lst.accept()
        conn.settimeout(IO_TIMEOUT)
        got = conn.recv_into(buf, 8)
        conn.sendall(b"pong-ok\n")
        # Wait for the client's FIN, then close: the client closes first.
        while got:
            got = conn.recv_into(buf)
        conn.close()


def many_client(port, n):
    buf = bytearray(64)
    for i in range(n):
        c = socket.create_connection((HOST, port), timeout=IO_TIMEOUT)
        c.sendall(b"ping-ok\n")
        got = 0
        while got < 8:
            k = c.recv_into(memoryview(buf)[got:])
            if k == 0:
                die(f"connection {i}: the server closed before replying")
            got += k
        c.close()


def main(argv):
    deadline = 300
    if len(argv) >= 2 and argv[0] == "--deadline":
        deadline = int(argv[1])
        argv = argv[2:]
    if len(argv) != 3 or argv[0] not in ("bulk", "many"):
        die("usage: traffic.py [--deadline S] bulk PORT BYTES | many PORT N", 2)
    mode, port, count = argv[0], int(argv[1]), int(argv[2])
    lst = listener(port)
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        signal.alarm(deadline)
        try:
            if mode == "bulk":
                bulk_server(lst, count)
            else:
                many_server(lst, count)
        except Exception as e:  # report, never a traceback
            print(f"traffic.py: server: {e}", file=sys.stderr)
            os._exit(1)
        os._exit(0)
    lst.close()
    signal.alarm(deadline)
    ok = True
    try:
        if mode == "bulk":
            bulk_client(port, count)
        else:
            many_client(port, count)
    except Exception as e:
        print(f"traffic.py: client: {e}", file=sys.stderr)
        ok = False
        os.kill(pid, signal.SIGTERM)
    _, status = os.waitpid(pid, 0)
    secs = time.monotonic() - start
    ok = ok and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    print(f"mode={mode} count={count} seconds={secs:.2f} ok={int(ok)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
