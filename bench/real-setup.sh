#!/usr/bin/env bash
# The cost of `synack real`'s machinery (issue 7, "Speed": under 150 ms):
# setting up and tearing down the namespace, the capture, the kernel-state
# sources and the NFQUEUE link, with no traffic, as root and as `nobody`.
#
# Runs `synack-real-probe cycle` (tests/src/bin/synack-real-probe.rs) N
# times each way and prints the medians of
#   setup     enter + capture + kstate + link start, inside the process
#   teardown  link stop + kstate close + capture stop, inside the process
#   process   the whole process, spawn to exit, as the caller sees it: it
#             includes exec and the kernel's release of the perf events and
#             the packet socket, which happens after `teardown` returns
#   baseline  the same binary exiting at once (exec, dynamic linking)
# so `process - baseline` is the overhead a run pays.
#
# Usage: bench/real-setup.sh [N]   (default 20; needs root, builds --release)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
[ "$(id -u)" = 0 ] || { echo "run as root (it also runs the probe as nobody)" >&2; exit 3; }
cargo build --release -q -p synack-tests --bin synack-real-probe
PROBE=$PWD/target/release/synack-real-probe

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "-"; else print a[int((NR+1)/2)]}'; }
ms() { awk '{printf "%.1f\n", $1/1000}'; }
field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }

run_as() { # who, args...
  local who=$1; shift
  if [ "$who" = root ]; then "$PROBE" "$@"; else setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$PROBE" "$@"; fi
}

for who in root nobody; do
  setup=(); teardown=(); process=(); baseline=()
  for _ in $(seq "$N"); do
    t0=$(date +%s%N)
    out=$(run_as "$who" cycle)
    t1=$(date +%s%N)
    run_as "$who" --baseline >/dev/null 2>&1 || true
    t2=$(date +%s%N)
    setup+=("$(echo "$out" | field setup_us)")
    teardown+=("$(echo "$out" | field teardown_us)")
    process+=("$(( (t1 - t0) / 1000 ))")
    baseline+=("$(( (t2 - t1) / 1000 ))")
  done
  tp=$(echo "$out" | sed -n 's/.*"tracepoints":\(true\|false\).*/\1/p')
  printf '%-6s (tracepoints %s, n=%s): setup %s ms, teardown %s ms, process %s ms, baseline %s ms (medians)\n' \
    "$who" "$tp" "$N" \
    "$(printf '%s\n' "${setup[@]}" | median | ms)" \
    "$(printf '%s\n' "${teardown[@]}" | median | ms)" \
    "$(printf '%s\n' "${process[@]}" | median | ms)" \
    "$(printf '%s\n' "${baseline[@]}" | median | ms)"
done
