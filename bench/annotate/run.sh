#!/usr/bin/env bash
# Times `synack annotate` against `tcpdump -nn -r` and `tshark -r` on the
# captures of make-captures.sh, output to /dev/null, and checks the goals:
#
#   text transcript   >= 5x  faster than tcpdump -nn -r   (big.pcap)
#   --summary         >= 20x faster than tcpdump -nn -r   (big.pcap)
#   --summary         >= 50x faster than tshark -r        (big.pcap)
#   peak RSS          <  64 MiB on big.pcap, and flat: within 8 MiB of the
#                     peak on big-head.pcap (its first tenth, made here)
#
# usage: run.sh [DIR] [--runs N] [--tshark-runs N] [--synack PATH] [--no-conv]
#   DIR            where big.pcap and many.pcap are (default /tmp/synack-bench)
#   --runs N       best of N runs for each command (default 3)
#   --tshark-runs  best of N for the tshark commands (default: --runs)
#   --synack PATH  the binary to time (default: build target/release/synack)
#   --no-conv      skip `tshark -q -z conv,tcp`
# Wall time is the best (smallest) of the runs; peak RSS is the largest
# "maximum resident set size" of /usr/bin/time over the runs.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DIR=/tmp/synack-bench
RUNS=3
TSHARK_RUNS=""
SYNACK=""
CONV=1
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --tshark-runs) TSHARK_RUNS="$2"; shift 2 ;;
        --synack) SYNACK="$2"; shift 2 ;;
        --no-conv) CONV=0; shift ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
        *) DIR="$1"; shift ;;
    esac
done
TSHARK_RUNS="${TSHARK_RUNS:-$RUNS}"

if [ ! -x /usr/bin/time ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y -q time >/dev/null
    else
        echo "run.sh: /usr/bin/time is missing: apt-get install time" >&2
        exit 3
    fi
fi
for tool in tcpdump tshark capinfos editcap; do
    command -v "$tool" >/dev/null || {
        echo "run.sh: $tool is missing (apt-get install tcpdump tshark)" >&2
        exit 3
    }
done
if [ -z "$SYNACK" ]; then
    (cd "$ROOT" && cargo build --release -q -p synack)
    SYNACK="$ROOT/target/release/synack"
fi
for f in big many; do
    [ -f "$DIR/$f.pcap" ] || {
        echo "run.sh: $DIR/$f.pcap is missing: run bench/annotate/make-captures.sh $DIR first" >&2
        exit 2
    }
done

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

packets() { capinfos -M -c -T -r "$1" | awk -F'\t' 'NR==1 {print $2}'; }

# The first tenth of big.pcap: the same traffic, a tenth of the file.
BIG_PACKETS=$(packets "$DIR/big.pcap")
editcap -F pcap -r "$DIR/big.pcap" "$DIR/big-head.pcap" "1-$((BIG_PACKETS / 10))"

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   synack: $SYNACK; $(tcpdump --version 2>&1 | head -1); $(tshark --version 2>/dev/null | head -1)"
echo "   best of $RUNS runs (tshark: $TSHARK_RUNS), output to /dev/null"

# measure KEY RUNS CMD...: best wall seconds and peak RSS KiB into
# $TMP/KEY.s and $TMP/KEY.kib.
measure() {
    local key="$1" runs="$2"
    shift 2
    local best="" peak=0 i t0 t1 s kib
    for i in $(seq "$runs"); do
        t0=$(date +%s%N)
        if ! /usr/bin/time -f "%M" -o "$TMP/time" "$@" >/dev/null 2>"$TMP/stderr"; then
            echo "run.sh: failed: $*" >&2
            tail -5 "$TMP/stderr" >&2
            exit 1
        fi
        t1=$(date +%s%N)
        s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
        kib=$(tail -1 "$TMP/time")
        if [ -z "$best" ] || awk -v s="$s" -v b="$best" 'BEGIN {exit !(s < b)}'; then
            best="$s"
        fi
        if [ "$kib" -gt "$peak" ]; then peak="$kib"; fi
    done
    echo "$best" >"$TMP/$key.s"
    echo "$peak" >"$TMP/$key.kib"
}

row() { # LABEL KEY PACKETS
    local s kib
    s=$(cat "$TMP/$2.s")
    kib=$(cat "$TMP/$2.kib")
    awk -v l="$1" -v s="$s" -v k="$kib" -v p="$3" \
        'BEGIN {printf "%-34s %9.3f %13.0f %11.1f\n", l, s, (s > 0 ? p / s : 0), k / 1024}'
}

bench_file() { # NAME
    local name="$1" f="$DIR/$1.pcap" n size
    n=$(packets "$f")
    size=$(stat -c %s "$f")
    echo
    echo "== $name.pcap: $n packets, $((size / 1000000)) MB"
    printf "%-34s %9s %13s %11s\n" command "wall s" "packets/s" "peak MiB"
    measure "$name.text" "$RUNS" "$SYNACK" annotate "$f"
    row "synack annotate F" "$name.text" "$n"
    measure "$name.summary" "$RUNS" "$SYNACK" annotate "$f" --summary
    row "synack annotate F --summary" "$name.summary" "$n"
    measure "$name.json" "$RUNS" "$SYNACK" annotate "$f" --format json
    row "synack annotate F --format json" "$name.json" "$n"
    measure "$name.tcpdump" "$RUNS" tcpdump -nn -r "$f"
    row "tcpdump -nn -r F" "$name.tcpdump" "$n"
    measure "$name.tshark" "$TSHARK_RUNS" tshark -r "$f"
    row "tshark -r F" "$name.tshark" "$n"
    if [ "$CONV" = 1 ]; then
        measure "$name.conv" "$TSHARK_RUNS" tshark -r "$f" -q -z conv,tcp
        row "tshark -r F -q -z conv,tcp" "$name.conv" "$n"
    fi
}

bench_file big
bench_file many

# The memory check: synack on the first tenth of big.pcap.
measure head.text "$RUNS" "$SYNACK" annotate "$DIR/big-head.pcap"
measure head.summary "$RUNS" "$SYNACK" annotate "$DIR/big-head.pcap" --summary
rm -f "$DIR/big-head.pcap"

v() { cat "$TMP/$1"; }
ratio() { awk -v a="$(v "$1.s")" -v b="$(v "$2.s")" 'BEGIN {printf "%.1f", (b > 0 ? a / b : 0)}'; }
verdict() { awk -v r="$1" -v g="$2" 'BEGIN {print (r >= g ? "met" : "NOT MET")}'; }

echo
echo "== ratios (how many times faster synack is; wall time of the other / synack's)"
printf "%-8s %-44s %8s %6s  %s\n" file comparison ratio goal verdict
goal_row() { # FILE LABEL OTHER SYNACK GOAL
    local r
    r=$(ratio "$1.$3" "$1.$4")
    printf "%-8s %-44s %7sx %5s  %s\n" "$1" "$2" "$r" "${5:+${5}x}" "${5:+$(verdict "$r" "$5")}"
}
for f in big many; do
    goal_row "$f" "text vs tcpdump -nn -r" tcpdump text "$([ $f = big ] && echo 5)"
    goal_row "$f" "--summary vs tcpdump -nn -r" tcpdump summary "$([ $f = big ] && echo 20)"
    goal_row "$f" "--summary vs tshark -r" tshark summary "$([ $f = big ] && echo 50)"
    goal_row "$f" "text vs tshark -r" tshark text ""
    goal_row "$f" "json vs tcpdump -nn -r" tcpdump json ""
    if [ "$CONV" = 1 ]; then
        goal_row "$f" "--summary vs tshark -q -z conv,tcp" conv summary ""
    fi
done

echo
echo "== peak memory of synack (KiB): must stay under 64 MiB and not grow with the file"
printf "%-12s %14s %14s %14s  %s\n" mode "big-head.pcap" "big.pcap" "many.pcap" verdict
for m in text summary; do
    head_k=$(v head.$m.kib); big_k=$(v big.$m.kib); many_k=$(v many.$m.kib)
    ok=$(awk -v h="$head_k" -v b="$big_k" 'BEGIN {print (b < 65536 && b <= h + 8192 ? "met" : "NOT MET")}')
    printf "%-12s %14s %14s %14s  %s\n" "$m" "$head_k" "$big_k" "$many_k" "$ok"
done
echo "   json on big.pcap: $(v big.json.kib) KiB"
echo "== done, load: $(cut -d' ' -f1-3 /proc/loadavg)"
