#!/usr/bin/env bash
# Clean release builds of this project with each reader (one build at a
# time, each in its own target dir), timed, with `--timings` reports and
# the binary sizes. Prints a small table; the reports stay in
# target/build-*/cargo-timings/.
#
#   ./build-cost.sh            # pl, pl+ar, ar
#   ./build-cost.sh pl pl,ar   # only those
set -euo pipefail
cd "$(dirname "$0")"
SETS=("$@")
[ ${#SETS[@]} -gt 0 ] || SETS=(pl pl,ar ar)

cargo fetch --quiet
printf '| features | clean build wall s | rustc CPU s (sum of units) | units | binary bytes | stripped bytes | load before/after |\n'
printf '|---|---:|---:|---:|---:|---:|---|\n'
for f in "${SETS[@]}"; do
    dir=target/build-${f/,/-}
    rm -rf "$dir"
    before=$(cut -d' ' -f1 /proc/loadavg)
    start=$(date +%s.%N)
    CARGO_TARGET_DIR=$dir cargo build --release --quiet --no-default-features --features "$f" --timings >&2
    end=$(date +%s.%N)
    after=$(cut -d' ' -f1 /proc/loadavg)
    bin=$dir/release/readers-bench
    strip --strip-all -o "$dir/stripped" "$bin"
    report=$(ls -t "$dir"/cargo-timings/cargo-timing-*.html | head -1)
    # Sum of per-unit durations from the report's embedded UNIT_DATA.
    read -r units cpu < <(python3 - "$report" <<'EOF'
import json, re, sys
html = open(sys.argv[1]).read()
data = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);\n", html, re.S)[1])
print(len(data), round(sum(u["duration"] for u in data), 1))
EOF
)
    printf '| %s | %.0f | %s | %s | %s | %s | %s/%s |\n' "$f" "$(echo "$end - $start" | bc)" "$cpu" "$units" \
        "$(stat -c %s "$bin")" "$(stat -c %s "$dir/stripped")" "$before" "$after"
done
