#!/usr/bin/env bash
# Side-by-side comparison of entrace with the tools analysts use today, in one run:
#   entrace convert (release build) · DuckDB read_json → unnest(value) → COPY TO parquet
#   (default auto-detect, and keeping every column) · polars-python page by page → Parquet.
#
# Usage: benches/peers.sh [SIZE_MB]        (default 1000; e.g. 100 for a quick run)
#
# All inputs are the sign-in pages (v1.0 interactive + beta non-interactive, compact
# Graph pages) of one `entrace generate --shapes compact` dump of about SIZE_MB.
# Every tool writes zstd Parquet. Prints wall time, MB/s of input, peak RSS
# (/usr/bin/time -v) and the ratios. Then two entrace-only extras on the same
# records: one large JSON Lines file against many page files, and peak RSS per GB.
#
# Needs: cargo, python3 with venv, network access to PyPI the first time (DuckDB and
# polars go into target/peers-venv), /usr/bin/time (Debian package `time`, installed
# with apt-get when missing and running as root). Work files go to target/peers
# (PEERS_DIR to change); generated dumps are kept there between runs.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${1:-1000}
WORK=${PEERS_DIR:-target/peers}
VENV=target/peers-venv
TARGET=${CARGO_TARGET_DIR:-target}
mkdir -p "$WORK"

echo "== build: cargo build --release --locked" >&2
cargo build --release --locked >&2
BIN=$TARGET/release/entrace

if [ ! -x /usr/bin/time ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y -q time >&2 || true
    fi
fi
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import duckdb, polars' 2>/dev/null; then
    echo "== installing duckdb and polars from PyPI into $VENV" >&2
    "$VENV/bin/pip" install -q duckdb polars >&2
fi
PY=$VENV/bin/python

DUMP=$WORK/dump-${SIZE}MB
if [ ! -d "$DUMP/signins" ]; then
    rm -rf "$DUMP"
    echo "== generate: entrace generate $DUMP --size $SIZE --shapes compact" >&2
    "$BIN" generate "$DUMP" --size "$SIZE" --shapes compact >&2
fi
JSONL=$WORK/jsonl-${SIZE}MB
if [ ! -d "$JSONL/signins" ]; then
    rm -rf "$JSONL"
    echo "== generate: entrace generate $JSONL --size $SIZE --shapes jsonl" >&2
    "$BIN" generate "$JSONL" --size "$SIZE" --shapes jsonl >&2
fi

bytes_of() { find "$@" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}'; }
IN_BYTES=$(bytes_of "$DUMP/signins" "$DUMP/signins-beta")
IN_FILES=$(find "$DUMP/signins" "$DUMP/signins-beta" -type f | wc -l)

# run NAME INPUT_BYTES COMMAND...: times COMMAND, appends "name seconds rss_kb bytes" to RESULTS.
RESULTS=$WORK/results.txt
: > "$RESULTS"
run() {
    local name=$1 bytes=$2
    shift 2
    local out=$WORK/out-$name
    rm -rf "$out" "$out.parquet"
    sync
    # Every tool starts with the inputs in the page cache, so none pays for the disk.
    find "$DUMP/signins" "$DUMP/signins-beta" "$JSONL/signins" -type f -exec cat {} + > /dev/null
    echo "== $name: $*" >&2
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -v -o "$WORK/time-$name.txt" "$@" >"$WORK/log-$name.txt" 2>&1 || {
            echo "$name failed; see $WORK/log-$name.txt" >&2
            tail -5 "$WORK/log-$name.txt" >&2
            return 0
        }
        local secs rss
        secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/time-$name.txt")
        rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time-$name.txt")
    else
        # Fallback: python's resource module (peak RSS of the largest child).
        read -r secs rss < <("$PY" - "$WORK/log-$name.txt" "$@" <<'PYEOF'
import resource, subprocess, sys, time
log, cmd = sys.argv[1], sys.argv[2:]
t = time.monotonic()
with open(log, "w") as f:
    subprocess.run(cmd, stdout=f, stderr=f, check=True)
print(f"{time.monotonic() - t:.2f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
PYEOF
)
    fi
    echo "$name $secs $rss $bytes" >> "$RESULTS"
}

SIGNIN_GLOBS="['$DUMP/signins/*.json', '$DUMP/signins-beta/*.json']"

run entrace "$IN_BYTES" "$BIN" convert "$DUMP/signins" "$DUMP/signins-beta" -o "$WORK/out-entrace" -q
run duckdb_default "$IN_BYTES" "$PY" -c "
import duckdb
duckdb.sql('''COPY (SELECT unnest(value, max_depth := 2)
                    FROM read_json($SIGNIN_GLOBS))
              TO '$WORK/out-duckdb_default.parquet' (FORMAT parquet, COMPRESSION zstd)''')
"
# Every column: each folder read with a full-sample schema, then unioned by name.
# (read_json(..., union_by_name := true) over all 600+ page files of a 1 GB dump
# runs out of memory in DuckDB 2.0.0, 18.8 GiB limit, so it is not used.)
run duckdb_all_columns "$IN_BYTES" "$PY" -c "
import duckdb
duckdb.sql('''COPY (SELECT unnest(value, max_depth := 2) FROM read_json('$DUMP/signins/*.json', sample_size := -1)
                    UNION ALL BY NAME
                    SELECT unnest(value, max_depth := 2) FROM read_json('$DUMP/signins-beta/*.json', sample_size := -1))
              TO '$WORK/out-duckdb_all_columns.parquet' (FORMAT parquet, COMPRESSION zstd)''')
"
run polars_pages "$IN_BYTES" "$PY" -c "
import glob, json, polars as pl
files = sorted(glob.glob('$DUMP/signins/*.json')) + sorted(glob.glob('$DUMP/signins-beta/*.json'))
frames = []
for f in files:
    with open(f, 'rb') as h:
        frames.append(pl.DataFrame(json.load(h)['value'], infer_schema_length=None))
pl.concat(frames, how='diagonal_relaxed').write_parquet('$WORK/out-polars_pages.parquet', compression='zstd')
"

# entrace extras: the same v1.0 records as many page files and as one JSON Lines file.
V1_PAGES=$(bytes_of "$DUMP/signins")
V1_JSONL=$(bytes_of "$JSONL/signins/export.jsonl")
run entrace_v1_pages "$V1_PAGES" "$BIN" convert "$DUMP/signins" -o "$WORK/out-entrace_v1_pages" -q
run entrace_v1_one_jsonl "$V1_JSONL" "$BIN" convert "$JSONL/signins/export.jsonl" -o "$WORK/out-entrace_v1_one_jsonl" -q
run entrace_v1_one_jsonl_1thread "$V1_JSONL" "$BIN" convert "$JSONL/signins/export.jsonl" -o "$WORK/out-entrace_v1_one_jsonl_1thread" -q -j 1
run entrace_v1_pages_1thread "$V1_PAGES" "$BIN" convert "$DUMP/signins" -o "$WORK/out-entrace_v1_pages_1thread" -q -j 1

echo
for f in entrace/signins.parquet duckdb_default.parquet duckdb_all_columns.parquet polars_pages.parquet; do
    [ -e "$WORK/out-$f" ] || continue
    "$PY" -c "
import duckdb
p = '$WORK/out-$f'
rows = duckdb.sql(f\"SELECT count(*) FROM '{p}'\").fetchall()[0][0]
cols = len(duckdb.sql(f\"SELECT * FROM '{p}' LIMIT 1\").columns)
print(f'output out-$f: {rows} rows, {cols} columns')
"
done
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "tools: entrace $("$BIN" --version | cut -d' ' -f2), duckdb $("$PY" -c 'import duckdb; print(duckdb.__version__)'), polars $("$PY" -c 'import polars; print(polars.__version__)')"
echo "input: $IN_FILES sign-in page files, $IN_BYTES bytes ($DUMP/signins, signins-beta)"
echo
awk '
    { name[NR]=$1; secs[NR]=$2; rss[NR]=$3; bytes[NR]=$4; mbs[NR]=($2 > 0 ? $4/1e6/$2 : 0); if ($1=="entrace") e=mbs[NR] }
    END {
        printf "%-30s %9s %9s %11s %13s %16s\n", "tool", "seconds", "MB/s", "peak RSS", "RSS per GB in", "entrace is x"
        for (i=1; i<=NR; i++) {
            ratio = (mbs[i] > 0 && e > 0) ? sprintf("%.2f", e/mbs[i]) : "-"
            if (name[i] ~ /^entrace/) ratio = "-"
            printf "%-30s %9.2f %9.1f %7.0f MiB %8.0f MiB %16s\n", name[i], secs[i], mbs[i], rss[i]/1024, rss[i]/1024/(bytes[i]/1e9), ratio
        }
    }' "$RESULTS"
