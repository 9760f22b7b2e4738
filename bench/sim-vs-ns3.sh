#!/usr/bin/env bash
# synack's simulator against ns-3 on the same transfer, side by side in one run.
#
#   bench/sim-vs-ns3.sh [--install] [--skip-ns3] [--big] [--repeat N] [--ns3-repeat N]
#                       [--no-hyperfine] [--realtime]
#
# The transfer: 100 MB, 1% random loss client->server, rtt 20ms, mss 1460,
# in both profiles (bench/README.md has the scenario). For each profile:
#
#   synack run()      `world::run()` alone, as `--summary` runs it (a sink that
#                     wants no events), timed inside the release `perf` example
#   synack process    the whole `synack sim FILE --summary` process
#   ns-3 Run()        `Simulator::Run()` alone, timed inside bench/ns3/bulk.cc
#   ns-3 process      the whole ns-3 process (topology setup and teardown too)
#
# then the ratios (synack process / synack run(), ns-3 process / synack
# process) and peak RSS, and the peak RSS of `synack sim --summary` at 10 MB,
# 100 MB (and 1000 MB with --big): it must not grow with the transfer.
#
# Every time is the fastest of N runs (--repeat, default 10, for synack;
# --ns3-repeat, default 3, for ns-3, whose runs take a second or more): a
# shared two-core machine is noisy, and the minimum is the least disturbed run.
# Whole-process times come from hyperfine (-N, no shell) where it is
# installed, else from a loop of `date +%s%N` around each run (which adds the
# fork/exec of `date`, about 1 ms; --no-hyperfine forces the loop). Peak RSS is /usr/bin/time's "maximum
# resident set size" of the whole process.
#
# --realtime runs every timed process (synack's and ns-3's alike) under
# `chrt -f 1` (SCHED_FIFO; needs root): on a machine shared with other
# builds, a 10 ms process is otherwise preempted in most runs and even the
# fastest of 10 is inflated, while run() inside one process is not.
#
# --install: apt-get install time, and ns-3 3.37 (ns3 libns3-dev libgsl-dev
# libsqlite3-dev g++ pkg-config) when it is missing.
# Run from anywhere inside the repository. Needs: cargo, /usr/bin/time
# (Debian package `time`); for ns-3: g++, pkg-config.
set -euo pipefail

INSTALL=0
SKIP_NS3=0
BIG=0
REPEAT=10
NS3_REPEAT=3
NO_HYPERFINE=0
RT=()
while [[ $# -gt 0 ]]; do
    arg="$1"
    shift
    case "$arg" in
        --repeat|--ns3-repeat)
            n="${1:-}"
            shift || true
            if ! [[ "$n" =~ ^[1-9][0-9]*$ ]]; then
                echo "sim-vs-ns3.sh: $arg wants a positive number" >&2
                exit 2
            fi
            if [[ "$arg" == --repeat ]]; then REPEAT="$n"; else NS3_REPEAT="$n"; fi
            ;;
        --install) INSTALL=1 ;;
        --skip-ns3) SKIP_NS3=1 ;;
        --big) BIG=1 ;;
        --no-hyperfine) NO_HYPERFINE=1 ;;
        --realtime) RT=(chrt -f 1) ;;
        -h|--help) sed -n '2,37p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "sim-vs-ns3.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
PERF="$TARGET_DIR/release/examples/perf"
SYNACK="$TARGET_DIR/release/synack"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/synack-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
BYTES=100000000
PROFILES=(rfc linux)

if [[ ! -x /usr/bin/time ]]; then
    if [[ $INSTALL -eq 1 ]]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y time
    else
        echo "sim-vs-ns3.sh: /usr/bin/time is missing: run 'apt-get install -y time' (or pass --install)." >&2
        exit 3
    fi
fi
if [[ ${#RT[@]} -gt 0 ]] && ! "${RT[@]}" true 2>/dev/null; then
    echo "sim-vs-ns3.sh: --realtime needs chrt and the right to use SCHED_FIFO (root)." >&2
    exit 3
fi
HYPERFINE=""
TIMER="a date +%s%N loop"
if [[ $NO_HYPERFINE -eq 0 ]] && command -v hyperfine >/dev/null 2>&1; then
    HYPERFINE="$(command -v hyperfine)"
    TIMER="hyperfine -N"
fi

# key=value lookup in a file of key=value lines.
kv() { sed -n "s/^$2=//p" "$1" | head -n1; }
# Floating-point arithmetic on the command line: calc 'a / b' -> 4 decimals.
calc() { awk "BEGIN { printf \"%.4f\", $1 }"; }

# wall_min OUT CMD...: the fastest whole-process wall time of CMD in seconds
# into OUT (stdout to /dev/null), over $REPEAT runs.
wall_min() {
    local out="$1" i t0 t1 best=""
    shift
    if [[ -n "$HYPERFINE" ]]; then
        local cmd="" a
        for a in "$@"; do cmd+="$(printf '%q ' "$a")"; done
        "${RT[@]}" "$HYPERFINE" -N --style none --warmup 1 --runs "$REPEAT" \
            --export-json "$out.json" "$cmd" >/dev/null 2>&1 || true
        best="$(sed -n 's/^ *"min": *\([0-9.e+-]*\),*$/\1/p' "$out.json" 2>/dev/null | head -n1)"
    fi
    if [[ -z "$best" ]]; then
        for ((i = 0; i < REPEAT; i++)); do
            t0=$(date +%s%N)
            "${RT[@]}" "$@" >/dev/null
            t1=$(date +%s%N)
            best="$(awk -v a="$best" -v b="$(( t1 - t0 ))" 'BEGIN { b /= 1e9; printf "%.6f", (a == "" || b < a) ? b : a }')"
        done
    fi
    echo "$best" >"$out"
}

# peak_rss CMD...: peak RSS in KiB of one run of CMD.
peak_rss() {
    "${RT[@]}" /usr/bin/time -f %M -o "$WORK/rss" "$@" >/dev/null
    cat "$WORK/rss"
}

scenario() { # scenario PROFILE BYTES -> path of a scenario file
    local f="$WORK/$1-$2.tcp"
    cat >"$f" <<EOF
profile $1
rtt 20ms
mss 1460
loss client->server 1%
server listen 80
client connect
server accept
client send $2 bytes
client close
server recv all
server close
EOF
    echo "$f"
}

echo "== building (cargo build --release -p synack; -p synack-sim --example perf)"
cargo build --release --quiet -p synack
cargo build --release --quiet -p synack-sim --example perf

echo
echo "== machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== date: $(date -u +%Y-%m-%dT%H:%MZ); fastest of $REPEAT (ns-3: $NS3_REPEAT); whole-process times of synack by $TIMER${RT[*]:+; every timed process under ${RT[*]}}"

# ---- synack ----------------------------------------------------------------
for p in "${PROFILES[@]}"; do
    f="$(scenario "$p" "$BYTES")"
    "${RT[@]}" "$PERF" --profile "$p" --bytes "$BYTES" --repeat "$REPEAT" >"$WORK/perf-$p"
    wall_min "$WORK/proc-$p" "$SYNACK" sim "$f" --summary
    peak_rss "$SYNACK" sim "$f" --summary >"$WORK/rss-$p"
done
# The start-up floor: the same command on a 1-byte transfer.
wall_min "$WORK/floor" "$SYNACK" sim "$(scenario rfc 1)" --summary

echo
echo "== synack: 100 MB, 1% loss client->server, rtt 20ms, mss 1460"
printf '%-7s %9s %8s %8s %10s %12s %9s %13s %12s\n' profile segments dropped retrans "run() s" "process s" "proc/run" "proc-floor s" "peak RSS KiB"
for p in "${PROFILES[@]}"; do
    run_s="$(kv "$WORK/perf-$p" wall_s)"
    proc_s="$(cat "$WORK/proc-$p")"
    printf '%-7s %9s %8s %8s %10.4f %12.4f %8.2fx %13.4f %12s\n' "$p" "$(kv "$WORK/perf-$p" segments)" \
        "$(kv "$WORK/perf-$p" dropped)" "$(kv "$WORK/perf-$p" retransmissions)" "$run_s" "$proc_s" \
        "$(calc "$proc_s / $run_s")" "$(calc "$proc_s - $(cat "$WORK/floor")")" "$(cat "$WORK/rss-$p")"
done
printf '(start-up floor: synack sim --summary of a 1-byte transfer, %.4f s; proc-floor is the\n' "$(cat "$WORK/floor")"
echo " simulation as the CLI binary runs it, once, cold; run() the fastest of $REPEAT in the perf example)"

echo
echo "== synack sim --summary: peak memory against transfer size (must not grow)"
SIZES=(10000000 100000000)
[[ $BIG -eq 1 ]] && SIZES+=(1000000000)
printf '%-7s %12s %12s %12s\n' profile bytes "process s" "peak RSS KiB"
for p in "${PROFILES[@]}"; do
    for b in "${SIZES[@]}"; do
        f="$(scenario "$p" "$b")"
        if [[ $b -eq $BYTES ]]; then
            proc_s="$(cat "$WORK/proc-$p")"
        else
            REPEAT_SAVED=$REPEAT
            [[ $b -gt $BYTES ]] && REPEAT=1
            wall_min "$WORK/proc-$p-$b" "$SYNACK" sim "$f" --summary
            REPEAT=$REPEAT_SAVED
            proc_s="$(cat "$WORK/proc-$p-$b")"
        fi
        printf '%-7s %12s %12.4f %12s\n' "$p" "$b" "$proc_s" "$(peak_rss "$SYNACK" sim "$f" --summary)"
    done
done

[[ $SKIP_NS3 -eq 1 ]] && exit 0

# ---- ns-3 ------------------------------------------------------------------
echo
NS3_PKGS="ns3-core ns3-network ns3-internet ns3-point-to-point ns3-applications"
if ! pkg-config --exists $NS3_PKGS 2>/dev/null || [[ ! -e /usr/lib/x86_64-linux-gnu/libgsl.so ]]; then
    if [[ $INSTALL -eq 1 ]]; then
        echo "== installing ns-3: $(apt-cache policy libns3-dev | sed -n 's/^[[:space:]]*Candidate: /libns3-dev candidate /p')"
        # libgsl-dev and libsqlite3-dev: Debian's ns3-core.pc links libgsl.so,
        # libgslcblas.so and libsqlite3.so by path, which libns3-dev does not pull in.
        DEBIAN_FRONTEND=noninteractive apt-get install -y ns3 libns3-dev libgsl-dev libsqlite3-dev g++ pkg-config
    else
        echo "== ns-3 is not installed (or libgsl-dev is missing): skipping the comparison."
        echo "   Install it with: apt-get install -y ns3 libns3-dev libgsl-dev libsqlite3-dev (or rerun with --install)."
        exit 0
    fi
fi
NS3_VERSION="$(pkg-config --modversion ns3-core)"
echo "== building bench/ns3/bulk.cc against ns-3 $NS3_VERSION"
# shellcheck disable=SC2046,SC2086
g++ -O2 -std=c++17 bench/ns3/bulk.cc -o "$WORK/ns3-bulk" $(pkg-config --cflags --libs $NS3_PKGS)

# run_ns3 PROFILE: $NS3_REPEAT runs, each timed whole (date +%s%N around it) and
# reporting its own Simulator::Run() time; keeps the fastest of each, and the
# output of the run with the fastest Run().
run_ns3() {
    local p="$1" i t0 t1 run_s best_run="" best_proc=""
    for ((i = 0; i < NS3_REPEAT; i++)); do
        t0=$(date +%s%N)
        "${RT[@]}" /usr/bin/time -f %M -o "$WORK/ns3-$p.rss" "$WORK/ns3-bulk" --profile="$p" --bytes="$BYTES" >"$WORK/ns3-$p.try"
        t1=$(date +%s%N)
        best_proc="$(awk -v a="$best_proc" -v b="$(( t1 - t0 ))" 'BEGIN { b /= 1e9; printf "%.6f", (a == "" || b < a) ? b : a }')"
        run_s="$(kv "$WORK/ns3-$p.try" wall_s)"
        if [[ -z "$best_run" ]] || awk -v a="$run_s" -v b="$best_run" 'BEGIN { exit !(a < b) }'; then
            best_run="$run_s"
            mv "$WORK/ns3-$p.try" "$WORK/ns3-$p.out"
        fi
    done
    echo "$best_proc" >"$WORK/ns3-$p.proc"
}

echo
echo "== ns-3 $NS3_VERSION: the same transfer (1 Gbps point-to-point, 10 ms each way, TcpNewReno, 1% loss client->server)"
printf '%-7s %9s %8s %10s %12s %12s\n' profile segments dropped "Run() s" "process s" "peak RSS KiB"
for p in "${PROFILES[@]}"; do
    run_ns3 "$p"
    printf '%-7s %9s %8s %10.4f %12.4f %12s\n' "$p" "$(kv "$WORK/ns3-$p.out" segments)" "$(kv "$WORK/ns3-$p.out" dropped)" \
        "$(kv "$WORK/ns3-$p.out" wall_s)" "$(cat "$WORK/ns3-$p.proc")" "$(cat "$WORK/ns3-$p.rss")"
done

echo
echo "== side by side, 100 MB (x = how many times faster synack is)"
printf '%-7s %10s %10s %10s %10s %9s %10s %11s\n' profile "synack run" "ns-3 Run" "run x" "synack proc" "ns-3 proc" "process x" "proc/run()"
for p in "${PROFILES[@]}"; do
    sr="$(kv "$WORK/perf-$p" wall_s)"
    sp="$(cat "$WORK/proc-$p")"
    nr="$(kv "$WORK/ns3-$p.out" wall_s)"
    np="$(cat "$WORK/ns3-$p.proc")"
    printf '%-7s %10.4f %10.4f %9.1fx %11.4f %9.4f %9.1fx %10.2fx\n' "$p" "$sr" "$nr" "$(calc "$nr / $sr")" \
        "$sp" "$np" "$(calc "$np / $sp")" "$(calc "$sp / $sr")"
done
echo "goals: process x >= 20 (synack sim --summary against the whole ns-3 process), proc/run() <= 1.3"
