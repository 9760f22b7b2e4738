#!/usr/bin/env python3
"""Drives `synack step` in scripted mode as a whole process and times each
command: from writing the line to reading the whole screen it prints after
it (the redraw), as wall time and as the CPU time synack spent on it (from
/proc/PID/schedstat: time on a CPU, which a busy machine does not inflate).
Prints one line per kind of command (count, median and max of each) and the
process's peak resident set (VmHWM) before it quits.

    drive.py SYNACK SCENARIO [--profile rfc|linux] [--rounds N]

Not a test: nothing here runs in `cargo test`.
"""
import os
import random
import statistics
import subprocess
import sys
import time

SCREEN_ROWS = 30  # tui::script::SCRIPT_SIZE


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    synack, scenario = args[0], args[1]
    extra = []
    rounds = 200
    i = 2
    while i < len(args):
        if args[i] == "--profile":
            extra += ["--profile", args[i + 1]]
            i += 2
        elif args[i] == "--rounds":
            rounds = int(args[i + 1])
            i += 2
        else:
            sys.exit(f"unknown argument {args[i]!r}")
    p = subprocess.Popen(
        [synack, "step", scenario, "--color", "never", *extra],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,
    )
    out = p.stdout

    def screen():
        rows = [out.readline() for _ in range(SCREEN_ROWS)]
        if not rows[-1]:
            err = p.stderr.read().decode()
            sys.exit(f"synack ended early: {err}")
        return rows

    def cpu():
        with open(f"/proc/{p.pid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e9

    t0 = time.perf_counter()
    first = screen()
    times = {"first screen": [(time.perf_counter() - t0, cpu())]}
    last = first

    def run(cmd, kind=None):
        nonlocal last
        c0 = cpu()
        start = time.perf_counter()
        p.stdin.write((cmd + "\n").encode())
        echo = out.readline().decode()
        assert echo.startswith("> "), echo
        last = screen()
        wall = time.perf_counter() - start
        times.setdefault(kind or cmd, []).append((wall, cpu() - c0))
        return last

    def status():
        return last[0].decode().strip()

    run("end", "end (first: simulates the run)")
    total = status()
    run("start", "start")
    run("end", "end")
    for _ in range(rounds):
        run("prev", "prev")
    for _ in range(rounds):
        run("next", "next")
    for _ in range(rounds // 4):
        run("start", "start")
        run("end", "end")
    run("start", "start")
    for _ in range(rounds):
        run("next", "next")
    # A branch late in the run: the segment sent 5000 segments before the end.
    run("end", "end")
    last_id = max(
        int(w[1:])
        for row in last
        for w in row.decode().split()
        if w.startswith("#") and w[1:].isdigit()
    )
    target = last_id - 5000
    run(f"drop {target}", "drop (simulates from the branch point)")
    branch = status()
    for _ in range(rounds):
        run("prev", "prev (in the branch)")
    run("end", "end (in the branch)")
    for _ in range(rounds):
        run("prev", "prev (in the branch)")
    # A second, nested branch, then back up.
    run(f"drop {target + 100}", "drop (nested)")
    run("start", "start (nested branch)")
    run("end", "end (nested branch)")
    run("undo", "undo")
    run("undo", "undo")
    run("end", "end")
    with open(f"/proc/{p.pid}/status") as f:
        hwm = next(l for l in f if l.startswith("VmHWM")).split()[1]
    p.stdin.write(b"quit\n")
    p.stdin.close()
    p.wait()

    print(f"scenario     {scenario} {' '.join(extra)}")
    print(f"main run     {total}")
    print(f"branch       {branch}")
    print(f"peak RSS     {int(hwm) / 1024:.1f} MiB (VmHWM)")
    try:
        load = open("/proc/loadavg").read().split()[0]
    except OSError:
        load = "?"
    print(f"load average {load} on {os.cpu_count()} CPUs")
    print(
        f"{'command':40} {'count':>6} {'wall median':>12} {'wall max':>9}"
        f" {'cpu median':>11} {'cpu max':>8}   (ms)"
    )
    for kind, ts in times.items():
        wall = [t[0] * 1000 for t in ts]
        cpu_ms = [t[1] * 1000 for t in ts]
        print(
            f"{kind:40} {len(ts):6} {statistics.median(wall):12.2f} {max(wall):9.2f}"
            f" {statistics.median(cpu_ms):11.2f} {max(cpu_ms):8.2f}"
        )
    for what, i in (("wall", 0), ("cpu", 1)):
        slow = [
            (k, round(max(t[i] for t in ts) * 1000, 1))
            for k, ts in times.items()
            if not k.startswith(("first", "end (first", "drop"))
            and max(t[i] for t in ts) * 1000 > 16
        ]
        print(f"every step and jump within 16 ms ({what}):", "yes" if not slow else f"NO: {slow}")
    return 0


if __name__ == "__main__":
    random.seed(1)
    sys.exit(main())
