#!/usr/bin/env bash
# synack simulator benchmark, and the same transfer simulated by ns-3.
#
#   bench/sim-vs-ns3.sh [--install] [--skip-ns3] [--big] [--repeat N]
#
# 1. Builds the release bench binary (synack-sim's `perf` example) and runs a
#    100 MB transfer with 1% loss client->server (rtt 20ms, mss 1460) in both
#    profiles under /usr/bin/time -v: wall time, segments/s, peak RSS.
# 2. Runs 10 MB and 100 MB (and 1000 MB with --big) to show that peak memory
#    does not grow with the transfer.
# 3. If ns-3 3.37 is installed (Debian: ns3, libns3-dev), or with --install
#    (apt-get install -y ns3 libns3-dev libgsl-dev libsqlite3-dev), builds
#    bench/ns3/bulk.cc, runs the same 100 MB transfer in ns-3 and prints both
#    wall times, both segments/s and the ratio synack/ns-3.
#
# Every timed run is repeated N times (--repeat, default 3) and the fastest
# kept, for synack and ns-3 alike: a shared two-core machine is noisy.
# Times are of the simulation alone (synack's run(), ns-3's Simulator::Run),
# setup and parsing excluded; peak RSS is of the whole process.
#
# Run from anywhere inside the repository. Needs: cargo, /usr/bin/time
# (Debian package `time`); for ns-3: g++, pkg-config.
set -euo pipefail

INSTALL=0
SKIP_NS3=0
BIG=0
REPEAT=3
while [[ $# -gt 0 ]]; do
    arg="$1"
    shift
    case "$arg" in
        --repeat)
            REPEAT="${1:-}"
            shift || true
            if ! [[ "$REPEAT" =~ ^[1-9][0-9]*$ ]]; then
                echo "sim-vs-ns3.sh: --repeat wants a positive number" >&2
                exit 2
            fi
            ;;
        --install) INSTALL=1 ;;
        --skip-ns3) SKIP_NS3=1 ;;
        --big) BIG=1 ;;
        -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "sim-vs-ns3.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
PERF="$TARGET_DIR/release/examples/perf"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/synack-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
BYTES=100000000

if [[ ! -x /usr/bin/time ]]; then
    if [[ $INSTALL -eq 1 ]]; then
        apt-get install -y time
    else
        echo "sim-vs-ns3.sh: /usr/bin/time is missing: run 'apt-get install -y time' (or pass --install)." >&2
        exit 3
    fi
fi

# key=value lookup in a file of key=value lines.
kv() { sed -n "s/^$2=//p" "$1" | head -n1; }
# Peak RSS (KiB) from `/usr/bin/time -v` output.
maxrss() { sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$1" | head -n1; }
# Elapsed wall clock from `/usr/bin/time -v` output, as written there.
elapsed() { sed -n 's/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1" | head -n1; }

echo "== building the release bench binary (cargo build --release -p synack-sim --example perf)"
cargo build --release --quiet -p synack-sim --example perf

echo
echo "== machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
echo "== date: $(date -u +%Y-%m-%dT%H:%MZ)"

# run_synack PROFILE BYTES -> writes $WORK/synack-PROFILE-BYTES.{out,time}
# (perf repeats the run itself and reports the fastest).
run_synack() {
    local out="$WORK/synack-$1-$2"
    /usr/bin/time -v "$PERF" --profile "$1" --bytes "$2" --repeat "$REPEAT" >"$out.out" 2>"$out.time"
}

# run_ns3 PROFILE -> writes $WORK/ns3-PROFILE.{out,time}, the fastest of $REPEAT runs.
run_ns3() {
    local out="$WORK/ns3-$1" i
    for ((i = 0; i < REPEAT; i++)); do
        /usr/bin/time -v "$WORK/ns3-bulk" --profile="$1" --bytes="$BYTES" >"$out.try.out" 2>"$out.try.time"
        if [[ ! -f "$out.out" ]] || awk -v a="$(kv "$out.try.out" wall_s)" -v b="$(kv "$out.out" wall_s)" 'BEGIN { exit !(a < b) }'; then
            mv "$out.try.out" "$out.out"
            mv "$out.try.time" "$out.time"
        fi
    done
}

echo
echo "== synack: 100 MB, 1% loss client->server, rtt 20ms, mss 1460 (fastest of $REPEAT)"
printf '%-7s %10s %8s %8s %10s %12s %12s\n' profile segments dropped retrans "run() s" "segments/s" "peak RSS KiB"
for p in rfc linux; do
    run_synack "$p" "$BYTES"
    f="$WORK/synack-$p-$BYTES"
    printf '%-7s %10s %8s %8s %10s %12s %12s\n' "$p" "$(kv "$f.out" segments)" "$(kv "$f.out" dropped)" \
        "$(kv "$f.out" retransmissions)" "$(kv "$f.out" wall_s)" "$(kv "$f.out" seg_per_s)" "$(maxrss "$f.time")"
done

echo
echo "== synack: peak memory against transfer size (memory must not grow with the transfer)"
SIZES=(10000000 100000000)
[[ $BIG -eq 1 ]] && SIZES+=(1000000000)
printf '%-7s %12s %10s %10s %12s %12s\n' profile bytes segments "run() s" "segments/s" "peak RSS KiB"
for p in rfc linux; do
    for b in "${SIZES[@]}"; do
        [[ -f "$WORK/synack-$p-$b.out" ]] || run_synack "$p" "$b"
        f="$WORK/synack-$p-$b"
        printf '%-7s %12s %10s %10s %12s %12s\n' "$p" "$b" "$(kv "$f.out" segments)" \
            "$(kv "$f.out" wall_s)" "$(kv "$f.out" seg_per_s)" "$(maxrss "$f.time")"
    done
done

[[ $SKIP_NS3 -eq 1 ]] && exit 0

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

echo
echo "== ns-3 $NS3_VERSION: the same 100 MB transfer (1 Gbps point-to-point, 10 ms each way, TcpNewReno, 1% loss client->server; fastest of $REPEAT)"
printf '%-7s %10s %8s %10s %10s %12s %12s\n' profile segments dropped "Run() s" "process s" "segments/s" "peak RSS KiB"
for p in rfc linux; do
    f="$WORK/ns3-$p"
    run_ns3 "$p"
    printf '%-7s %10s %8s %10s %10s %12s %12s\n' "$p" "$(kv "$f.out" segments)" "$(kv "$f.out" dropped)" \
        "$(kv "$f.out" wall_s)" "$(elapsed "$f.time")" "$(kv "$f.out" seg_per_s)" "$(maxrss "$f.time")"
done

echo
echo "== synack / ns-3, 100 MB (segments/s ratio; wall-time ratio = ns-3 wall / synack wall for the same transfer)"
printf '%-7s %14s %14s %10s %12s %12s %10s\n' profile "synack seg/s" "ns-3 seg/s" "seg/s x" "synack s" "ns-3 s" "wall x"
for p in rfc linux; do
    s="$WORK/synack-$p-$BYTES.out"
    n="$WORK/ns3-$p.out"
    awk -v p="$p" -v ss="$(kv "$s" seg_per_s)" -v ns="$(kv "$n" seg_per_s)" \
        -v sw="$(kv "$s" wall_s)" -v nw="$(kv "$n" wall_s)" 'BEGIN {
        printf "%-7s %14.0f %14.0f %9.1fx %12.4f %12.4f %9.1fx\n", p, ss, ns, (ns > 0 ? ss / ns : 0), sw, nw, (sw > 0 ? nw / sw : 0)
    }'
done
