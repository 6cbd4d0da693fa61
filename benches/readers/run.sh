#!/usr/bin/env bash
# Reruns the reader benchmark and prints the results table (markdown).
#
#   ./run.sh            # N=7 runs of every configuration, interleaved
#   N=11 ./run.sh
#   FILE=/path/to/signins.parquet ./run.sh
#
# Needs: cargo, /usr/bin/time, python3 (for medians and the table).
# Makes out/signins.parquet first if it is missing, with entrace's
# `convert` (ENTRACE=path to the binary, DUMP=the evidence directory).
set -euo pipefail
cd "$(dirname "$0")"

N=${N:-7}
FILE=${FILE:-out/signins.parquet}
ENTRACE=${ENTRACE:-../../target/release/entrace}
[ -x "$ENTRACE" ] || (cd ../.. && cargo build --release --locked --quiet)
# Evidence: DUMP, or the 1 GB synthetic tenant, generated once.
DUMP=${DUMP:-target/tenant-1000}
if [ ! -d "$DUMP" ]; then
    "$ENTRACE" generate "$DUMP" --size 1000 >&2
fi
BIN=target/release/readers-bench

if [ ! -f "$FILE" ]; then
    echo "making $FILE with $ENTRACE convert $DUMP" >&2
    "$ENTRACE" convert "$DUMP" -o "$(dirname "$FILE")" --force >&2
fi
cargo build --release --quiet >&2

# label | library args (case and options; the file is appended)
CONFIGS=(
    "1 whole|polars: ParquetReader.with_columns.finish (entrace today, ParallelStrategy::Auto)|polars whole"
    "1 whole|polars: same, ParallelStrategy::None (1 thread)|polars whole --par none"
    "1 whole|arrow-rs: ProjectionMask + batch 32768, collect batches|arrow whole"
    "1 whole|arrow-rs: same, large_string read as Utf8View|arrow whole --view"
    "2 stream|polars: one row group at a time via with_slice + set_metadata|polars stream"
    "2 stream|arrow-rs: ParquetRecordBatchReader, batch 32768|arrow stream"
    "2 stream|arrow-rs: same, Utf8View|arrow stream --view"
    "2 stream|arrow-rs: batch 8192|arrow stream --batch 8192"
    "3 filter|polars: read all row groups, DataFrame::filter|polars filter --prune none"
    "3 filter|polars: own min/max pruning from footer, slice per kept rg, filter|polars filter --prune stats"
    "3 filter|arrow-rs: read all, filter_record_batch|arrow filter --prune none"
    "3 filter|arrow-rs: with_row_groups from footer min/max|arrow filter --prune stats"
    "3 filter|arrow-rs: RowFilter(ArrowPredicateFn) only|arrow filter --prune rowfilter"
    "3 filter|arrow-rs: with_row_groups + RowFilter|arrow filter --prune both"
    "3 filter|arrow-rs: with_row_groups + RowFilter, Utf8View|arrow filter --prune both --view"
    "4 parallel|polars: rayon over row groups, with_slice each|polars parallel"
    "4 parallel|arrow-rs: rayon over row groups, with_row_groups([i]) each|arrow parallel"
    "4 parallel|arrow-rs: same, Utf8View|arrow parallel --view"
    "0 decode only|polars: whole, no Vec conversion (Auto)|polars whole --raw"
    "0 decode only|polars: whole, no Vec conversion (1 thread)|polars whole --raw --par none"
    "0 decode only|arrow-rs: whole, no Vec conversion|arrow whole --raw"
    "0 decode only|arrow-rs: whole, no Vec conversion, Utf8View|arrow whole --raw --view"
)

RAW=$(mktemp)
trap 'rm -f "$RAW"' EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for i in $(seq "$N"); do
    echo "round $i/$N" >&2
    for c in "${CONFIGS[@]}"; do
        IFS='|' read -r case what args <<<"$c"
        # shellcheck disable=SC2086
        line=$( { /usr/bin/time -f "TIME %e %U %S %M" "$BIN" $args "$FILE"; } 2>&1 )
        printf '%s|%s|%s\n' "$case" "$what" "$(echo "$line" | tr '\n' ' ')" >>"$RAW"
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

python3 - "$RAW" "$N" <<'EOF'
import re, statistics, sys
rows = {}
order = []
for line in open(sys.argv[1]):
    case, what, out = line.rstrip("\n").split("|", 2)
    m = re.search(r"TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", out)
    if not m or "error" in out:
        sys.exit(f"run failed: {case} {what}: {out}")
    key = (case, what)
    if key not in rows:
        rows[key] = []
        order.append(key)
    get = lambda k: (re.search(k + r"=(\S+)", out) or [None, "-"])[1]
    rows[key].append(dict(
        wall=float(m[1]), user=float(m[2]), sys=float(m[3]), rss=int(m[4]) / 1024,
        n=get("rows"), digest=get("digest"), rgs=get("row_groups_read"),
    ))
med = lambda xs: statistics.median(xs)
print(f"N={sys.argv[2]} runs each, medians; wall/CPU from /usr/bin/time; CPU = user+sys")
print()
print("| case | library / approach | wall s | CPU s (user+sys) | peak RSS MiB | rows | rgs read | digest |")
print("|---|---|---:|---:|---:|---:|---:|---|")
digests = {}
for key in sorted(order, key=lambda k: (k[0], order.index(k))):
    r = rows[key]
    ds = {x["digest"] for x in r}
    case = key[0]
    if not key[0].startswith("0"):
        digests.setdefault(case, set()).update(ds)
    print(f"| {case} | {key[1]} | {med([x['wall'] for x in r]):.3f} | "
          f"{med([x['user'] + x['sys'] for x in r]):.3f} ({med([x['user'] for x in r]):.2f}+{med([x['sys'] for x in r]):.2f}) | "
          f"{med([x['rss'] for x in r]):.0f} | {r[0]['n']} | {r[0]['rgs']} | {'/'.join(sorted(ds))} |")
print()
for case, ds in sorted(digests.items()):
    print(f"case {case}: {'all libraries and modes agree' if len(ds) == 1 else 'DIGESTS DIFFER: ' + ', '.join(sorted(ds))}")
EOF

# Correctness on every column (all types, nested included) of every table.
echo
echo "all-column check (canonical digest of every cell, polars vs arrow-rs):"
for t in "$(dirname "$FILE")"/*.parquet; do
    p=$("$BIN" polars check "$t"); a=$("$BIN" arrow check "$t")
    total=$(echo "$p" | tail -n +2 | wc -l)
    same=$(join -t$'\t' <(echo "$p" | tail -n +2 | sort) <(echo "$a" | tail -n +2 | sort) | awk -F'\t' '$2==$4' | wc -l)
    echo "  $(basename "$t"): $(echo "$p" | head -1 | cut -d' ' -f2), $same/$total columns identical"
done
