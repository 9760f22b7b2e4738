#!/usr/bin/env bash
# What a user waits for: `synack real` and `synack compare` as whole
# processes (issue 7 "Speed", issue 8 "Speed"), as root and as `nobody`.
#
# For each scenario it prints the medians of
#   wall      spawn to exit, as the caller sees it
#   scenario  the time of the transcript's last event: how long the
#             scenario itself took on the kernel (its waits, the kernel's
#             timers, the rtt)
#   overhead  wall - scenario: the namespace, link, tracing, capture,
#             start-up and teardown that synack adds
# and then the wall time of `synack compare echo` (goal: under 1.5 s).
#
# Usage: bench/real-runs.sh [N] [SCENARIO...]
#   N defaults to 5; the scenarios default to the short built-ins.
#   `bench/real-runs.sh 1 $(synack scenarios | awk '$1 != "udp-echo" {print $1}')`
#   times every TCP built-in
#   once (time-wait takes about a minute: Linux's TIME-WAIT is 60 s).
# Needs root (it also runs as nobody with setpriv); builds --release.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5}
shift || true
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(handshake echo lost-data refused abort half-close)
[ "$(id -u)" = 0 ] || { echo "run as root (it also runs synack as nobody)" >&2; exit 3; }
cargo build --release -q -p synack
BIN=$(mktemp -d)/synack
cp target/release/synack "$BIN"
chmod 755 "$(dirname "$BIN")" "$BIN"
trap 'rm -rf "$(dirname "$BIN")"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "-"; else print a[int((NR+1)/2)]}'; }
as() { # who, args...
  local who=$1; shift
  if [ "$who" = root ]; then "$BIN" "$@"; else setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$BIN" "$@"; fi
}

printf '%-8s %-20s %10s %10s %10s\n' who scenario wall_ms scenario_ms overhead_ms
for who in root nobody; do
  for s in "${SCENARIOS[@]}"; do
    walls=(); lasts=(); overs=()
    for _ in $(seq "$N"); do
      t0=$(date +%s%N)
      out=$(as "$who" real "$s" --format json 2>/dev/null) || true
      t1=$(date +%s%N)
      wall=$(( (t1 - t0) / 1000 ))
      last=$(printf '%s\n' "$out" | sed -n 's/.*"t_us":\([0-9]*\).*/\1/p' | sort -n | tail -1)
      last=${last:-0}
      walls+=("$wall"); lasts+=("$last"); overs+=("$(( wall - last ))")
    done
    printf '%-8s %-20s %10.1f %10.1f %10.1f\n' "$who" "$s" \
      "$(printf '%s\n' "${walls[@]}" | median | awk '{print $1/1000}')" \
      "$(printf '%s\n' "${lasts[@]}" | median | awk '{print $1/1000}')" \
      "$(printf '%s\n' "${overs[@]}" | median | awk '{print $1/1000}')"
  done
done

echo
for who in root nobody; do
  walls=()
  for _ in $(seq "$N"); do
    t0=$(date +%s%N)
    as "$who" compare echo >/dev/null 2>&1 || true
    t1=$(date +%s%N)
    walls+=("$(( (t1 - t0) / 1000 ))")
  done
  printf 'compare echo as %-6s: %s ms (median of %s; goal under 1500 ms)\n' "$who" \
    "$(printf '%s\n' "${walls[@]}" | median | awk '{printf "%.0f", $1/1000}')" "$N"
done
