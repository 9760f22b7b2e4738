#!/usr/bin/env bash
# synack capture under load (issue 13, point 2): in a private network
# namespace whose lo has MTU 1500 and its offloads off, a full-speed TCP
# transfer of SIZE MB (default 1024) over 127.0.0.1, recorded with
# `synack capture --format json -o F`. Compares the packets the kernel put on
# lo (its tx_packets counter), the segments synack annotated (the JSON's
# segment lines), and libpcap's drop counters (synack's last stderr lines).
# Prints key=value lines; exits 1 when a packet is missing or dropped.
#
#   bench/capture-load.sh [SIZE_MB] [SYNACK]     as root
#
# SYNACK defaults to target/release/synack (built first if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

size_mb="${1:-1024}"
synack="${2:-target/release/synack}"
port=5201
if [ "$(id -u)" -ne 0 ]; then
    echo "capture-load.sh: run me as root (it makes a network namespace)" >&2
    exit 3
fi
if [ ! -x "$synack" ]; then
    cargo build --release -p synack
fi

ns="synack-load-$$"
work="$(mktemp -d)"
chmod 1777 "$work"   # the capture writes its output after dropping to nobody
cleanup() {
    [ -n "${cap_pid:-}" ] && kill "$cap_pid" 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link set lo mtu 1500 up
for off in tso gso gro lro sg tx-checksumming rx-checksumming; do
    in_ns ethtool -K lo "$off" off >/dev/null 2>&1 || true
done
in_ns ethtool -k lo | grep -E '^(tcp-segmentation|generic-segmentation|generic-receive)-offload' | tr -d ' ' | sed 's/^/offload_/; s/:/=/'

tx_before="$(in_ns cat /sys/class/net/lo/statistics/tx_packets)"
# Not through in_ns (a function would run in a subshell, and $! would not
# be synack): `ip netns exec` execs synack itself.
ip netns exec "$ns" "$synack" capture --port "$port" --format json -o "$work/t.json" 2>"$work/err" &
cap_pid=$!
for _ in $(seq 1 200); do
    grep -q "capturing on" "$work/err" 2>/dev/null && break
    sleep 0.05
done
grep -q "capturing on" "$work/err" || { cat "$work/err" >&2; exit 2; }

start_ns="$(date +%s%N)"
in_ns python3 - "$port" "$size_mb" <<'PY'
import socket, sys, threading
port, size = int(sys.argv[1]), int(sys.argv[2]) << 20
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(1)
got = [0]
def serve():
    c, _ = srv.accept()
    buf = bytearray(1 << 20)
    while True:
        n = c.recv_into(buf)
        if n == 0: break
        got[0] += n
    c.close()
t = threading.Thread(target=serve); t.start()
c = socket.create_connection(("127.0.0.1", port))
chunk = b"x" * (1 << 20)
for _ in range(size >> 20): c.sendall(chunk)
c.close(); t.join()
assert got[0] == size, got[0]
PY
end_ns="$(date +%s%N)"
tx_after="$(in_ns cat /sys/class/net/lo/statistics/tx_packets)"
sleep 0.5
kill -INT "$cap_pid"
wait "$cap_pid" || true
cap_pid=""

on_lo=$((tx_after - tx_before))
annotated="$(grep -c '"kind":"segment"' "$work/t.json" || true)"
summary="$(grep 'packets captured' "$work/err" || true)"
dropped_kernel="$(sed -n 's/.* \([0-9]*\) dropped by kernel.*/\1/p' <<<"$summary")"
dropped_if="$(sed -n 's/.* \([0-9]*\) dropped by interface.*/\1/p' <<<"$summary")"
ms=$(( (end_ns - start_ns) / 1000000 ))
echo "size_mb=$size_mb"
echo "transfer_ms=$ms"
echo "throughput_mbit_s=$(( size_mb * 8 * 1000 / (ms > 0 ? ms : 1) ))"
echo "packets_on_lo=$on_lo"
echo "annotated=$annotated"
echo "dropped_by_kernel=${dropped_kernel:-?}"
echo "dropped_by_interface=${dropped_if:-?}"
echo "summary=$summary"
grep "warning" "$work/err" || true
if [ "$annotated" -ne "$on_lo" ] || [ "${dropped_kernel:-1}" -ne 0 ]; then
    echo "capture-load.sh: $((on_lo - annotated)) of $on_lo packets missing" >&2
    exit 1
fi
