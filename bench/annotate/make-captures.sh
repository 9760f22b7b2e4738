#!/usr/bin/env bash
# Makes the two captures of the annotate benchmark, as root, in a private
# network namespace (loopback only, MTU 1500, TSO/GSO/GRO off, snaplen 128):
#
#   DIR/big.pcap    one bulk transfer of --bytes (default 2 GB) on 127.0.0.1
#   DIR/many.pcap   --conns (default 30 000) short connections, one after another
#
# usage: make-captures.sh [DIR] [--bytes N] [--conns N] [--only big|many]
# DIR defaults to /tmp/synack-bench. Prints tcpdump's own counts and fails
# when tcpdump reports a packet dropped by the kernel or the interface.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
DIR=/tmp/synack-bench
BYTES=2000000000
CONNS=30000
ONLY=""
while [ $# -gt 0 ]; do
    case "$1" in
        --bytes) BYTES="$2"; shift 2 ;;
        --conns) CONNS="$2"; shift 2 ;;
        --only) ONLY="$2"; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        -*) echo "make-captures.sh: unknown option $1" >&2; exit 2 ;;
        *) DIR="$1"; shift ;;
    esac
done

if [ "$(id -u)" != 0 ]; then
    echo "make-captures.sh: needs root (ip netns, tcpdump): run it with sudo" >&2
    exit 3
fi
for tool in ip ethtool tcpdump capinfos python3 sysctl; do
    command -v "$tool" >/dev/null || {
        echo "make-captures.sh: $tool is missing (apt-get install iproute2 ethtool tcpdump tshark python3 procps)" >&2
        exit 3
    }
done
PY="$(command -v python3)"

mkdir -p "$DIR"
NS="synack-bench-$$"
TCPDUMP_PID=""
cleanup() {
    if [ -n "$TCPDUMP_PID" ] && kill -0 "$TCPDUMP_PID" 2>/dev/null; then
        kill "$TCPDUMP_PID" 2>/dev/null || true
        wait "$TCPDUMP_PID" 2>/dev/null || true
    fi
    ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT

ip netns add "$NS"
ip -n "$NS" link set lo up mtu 1500
for f in tso gso gro; do
    ip netns exec "$NS" ethtool -K lo "$f" off 2>/dev/null \
        || echo "note: could not turn $f off on the namespace's lo" >&2
done
# 30 000 client ports that stay in TIME-WAIT for 60 s: widen the range.
ip netns exec "$NS" sysctl -q -w net.ipv4.ip_local_port_range="1025 65535"
echo "== namespace $NS: lo mtu 1500, offloads:"
ip netns exec "$NS" ethtool -k lo | grep -E '^(tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload):' | sed 's/^/   /'

# capture NAME PORT MODE COUNT: tcpdump around one traffic.py run.
capture() {
    local name="$1" port="$2" mode="$3" count="$4"
    local file="$DIR/$name.pcap" err="$DIR/$name.tcpdump.txt"
    rm -f "$file" "$err"
    # -B: a 512 MiB kernel buffer, so tcpdump (writing 128-byte records to a
    # file) never falls behind. -Z root: the file's directory may be root's.
    ip netns exec "$NS" tcpdump -i lo -nn -s 128 -B 524288 -Z root \
        -w "$file" "tcp port $port" 2>"$err" &
    TCPDUMP_PID=$!
    for _ in $(seq 100); do
        grep -q "listening on" "$err" 2>/dev/null && break
        sleep 0.1
    done
    grep -q "listening on" "$err" || { echo "tcpdump did not start:" >&2; cat "$err" >&2; exit 1; }
    echo "== $name: traffic.py $mode $port $count"
    ip netns exec "$NS" "$PY" "$HERE/traffic.py" --deadline 600 "$mode" "$port" "$count"
    sleep 1
    kill -INT "$TCPDUMP_PID"
    wait "$TCPDUMP_PID" || true
    TCPDUMP_PID=""
    sed -n 's/^/   tcpdump: /p' "$err" | grep -E 'captured|received|dropped'
    local dropped
    dropped=$(awk '/dropped by/ {s += $1} END {print s + 0}' "$err")
    if [ "$dropped" != 0 ]; then
        echo "make-captures.sh: tcpdump dropped $dropped packets on $name; the capture is incomplete" >&2
        exit 1
    fi
    local packets size
    packets=$(capinfos -M -c -T -r "$file" | awk -F'\t' 'NR==1 {print $2}')
    size=$(stat -c %s "$file")
    echo "   $file: $packets packets, $size bytes"
}

if [ "$ONLY" != many ]; then capture big 5001 bulk "$BYTES"; fi
if [ "$ONLY" != big ]; then capture many 5002 many "$CONNS"; fi
