#!/usr/bin/env bash
# Compares two entrace builds on the same evidence, in one run: each build
# converts (or runs) it ROUNDS times, alternating, with the evidence in the
# page cache. Prints per build the median seconds and peak RSS, and the bytes
# of each table it wrote; then new/base ratios.
#
#   benches/builds.sh BASE_BIN NEW_BIN EVIDENCE... [-- convert|run [ARGS...]]
#
# ROUNDS (default 3) and OUT (default /tmp/entrace-builds) from the
# environment. Needs GNU time (/usr/bin/time).
set -euo pipefail
base=$1 new=$2
shift 2
evidence=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do evidence+=("$1"); shift; done
[ "${1:-}" = -- ] && shift
cmd=${1:-convert}
[ $# -gt 0 ] && shift
rounds=${ROUNDS:-3}
out=${OUT:-/tmp/entrace-builds}
mkdir -p "$out"
find "${evidence[@]}" -type f -exec cat {} + >/dev/null

declare -A secs rss
for r in $(seq "$rounds"); do
    for which in base new; do
        bin=${!which}
        "/usr/bin/time" -f "%e %M" -o "$out/$which.time" \
            "$bin" "$cmd" "${evidence[@]}" -o "$out/$which" --force -q "$@" || [ $? -eq 1 ]
        read -r s m <"$out/$which.time"
        secs[$which]+="$s "
        rss[$which]+="$m "
        echo "round $r $which: $s s, $((m / 1024)) MiB" >&2
    done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-22s %12s %12s %8s\n' "" base new "new/base"
bs=$(echo "${secs[base]}" | median) ns=$(echo "${secs[new]}" | median)
br=$(echo "${rss[base]}" | median) nr=$(echo "${rss[new]}" | median)
awk -v a="$bs" -v b="$ns" 'BEGIN {printf "%-22s %12.2f %12.2f %8.3f\n", "seconds (median)", a, b, b / a}'
awk -v a="$br" -v b="$nr" 'BEGIN {printf "%-22s %12d %12d %8.3f\n", "peak RSS (MiB)", a / 1024, b / 1024, b / a}'
total_b=0 total_n=0
for f in "$out"/new/*.parquet; do
    t=$(basename "$f")
    b=$(stat -c %s "$out/base/$t" 2>/dev/null || echo 0)
    n=$(stat -c %s "$f")
    total_b=$((total_b + b)) total_n=$((total_n + n))
    awk -v t="$t" -v a="$b" -v b="$n" 'BEGIN {printf "%-22s %12d %12d %8.3f\n", t, a, b, (a ? b / a : 0)}'
done
awk -v a="$total_b" -v b="$total_n" 'BEGIN {printf "%-22s %12d %12d %8.3f\n", "all tables (bytes)", a, b, b / a}'
