#!/usr/bin/env bash
# The whole job at evidence scale: for each size, a synthetic tenant
# (`entrace generate --size MB`), then each step of `entrace run` timed on
# its own (convert, analyze, report) and the whole run, with wall seconds,
# CPU % and peak RSS from GNU time, stage 2 again with -j 1 for its
# parallel speed-up, the report sizes, and the time headless Chromium takes
# to load and draw report.html. Ratios are against the conversion of the
# same run, so the figures hold on any machine:
#
#   stage2/convert   analyze + report, over convert (target: <= 1)
#   run/convert      the whole run, over convert (target: <= 2)
#   j2/j1            stage 2 on two threads over one (target: <= 0.6)
#   and, across sizes, run(size) / run(first size) against size / first size.
#
#   benches/scale.sh [SIZE_MB...]          default: 1000 5000
#
# BIN (default target/release/entrace), WORK (default /tmp/entrace-scale:
# tenants are kept there and reused, one directory per size, shapes and
# profile), SHAPES (default compact), PROFILE (`entrace generate --profile`:
# default or realistic; default: default) and CHROMIUM (default: chromium
# on PATH, skipped when absent) from the environment. Needs GNU time
# (/usr/bin/time).
#
#   PROFILE=realistic benches/scale.sh 1000
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-target/release/entrace}
work=${WORK:-/tmp/entrace-scale}
shapes=${SHAPES:-compact}
profile=${PROFILE:-default}
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1000 5000)
mkdir -p "$work"

# Runs "$@" under GNU time; prints "seconds cpu% rss_mib".
timed() {
    /usr/bin/time -f "%e %P %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" ||
        [ $? -eq 1 ] || { cat "$work/stderr" >&2; exit 2; }
    read -r s p m <"$work/time"
    echo "$s ${p%\%} $((m / 1024))"
}

echo "profile $profile, shapes $shapes"
printf '%-6s %-9s %9s %6s %9s\n' size step seconds cpu% rss_mib
declare -A run_secs
for size in "${sizes[@]}"; do
    ev="$work/tenant-$size-$shapes-$profile"
    [ -d "$ev" ] || "$bin" generate "$ev" --size "$size" --shapes "$shapes" --profile "$profile" >/dev/null
    find "$ev" -type f -exec cat {} + >/dev/null
    out="$work/out-$size-$profile"
    read -r cs cp cm < <(timed "$bin" convert "$ev" -o "$out" --force -q)
    read -r as ap am < <(timed "$bin" analyze "$out" --no-report -q)
    read -r rs rp rm < <(timed "$bin" report "$out" -q)
    read -r a1 _ _ < <(timed "$bin" analyze "$out" -j 1 -q)
    read -r a2 _ _ < <(timed "$bin" analyze "$out" -j 2 -q)
    read -r ws wp wm < <(timed "$bin" run "$ev" -o "$out" --force -q)
    run_secs[$size]=$ws
    for row in "convert $cs $cp $cm" "analyze $as $ap $am" "report $rs $rp $rm" \
        "stage2-j1 $a1 - -" "stage2-j2 $a2 - -" "run $ws $wp $wm"; do
        set -- $row
        printf '%-6s %-9s %9s %6s %9s\n' "$size" "$1" "$2" "$3" "$4"
    done
    awk -v c="$cs" -v a="$as" -v r="$rs" -v w="$ws" -v j1="$a1" -v j2="$a2" -v s="$size" 'BEGIN {
        printf "%-6s ratios: stage2/convert %.2f  run/convert %.2f  j2/j1 %.2f\n",
            s, (a + r) / c, w / c, j2 / j1 }'
    for f in report.html report.json report.md; do
        printf '%-6s %-11s %8.1f MB\n' "$size" "$f" "$(awk -v b="$(stat -c %s "$out/$f")" 'BEGIN {print b / 1e6}')"
    done
    if [ -n "$chromium" ]; then
        start=$(date +%s.%N)
        "$chromium" --headless --disable-gpu --no-sandbox --virtual-time-budget=60000 \
            --dump-dom "file://$(realpath "$out/report.html")" >/dev/null 2>&1 || true
        awk -v a="$start" -v b="$(date +%s.%N)" -v s="$size" \
            'BEGIN {printf "%-6s chromium load and draw of report.html: %.1f s\n", s, b - a}'
    fi
done
first=${sizes[0]}
for size in "${sizes[@]:1}"; do
    awk -v a="${run_secs[$first]}" -v b="${run_secs[$size]}" -v s="$size" -v f="$first" 'BEGIN {
        printf "scaling %s -> %s MB: run time x%.2f for evidence x%.2f\n", f, s, b / a, s / f }'
done
