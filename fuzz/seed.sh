#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from testdata/ (the corpus itself is not committed).
set -euo pipefail
cd "$(dirname "$0")"
for t in scan_records parse_page detect_encoding; do
    mkdir -p "corpus/$t"
    find ../testdata -type f -size -64k \( -name '*.json' -o -name '*.jsonl' -o -name '*.gz' \) |
        while read -r f; do cp "$f" "corpus/$t/$(echo "${f#../testdata/}" | tr / _)"; done
done
mkdir -p corpus/ps_date
# One seed per line of seeds/ps_date.txt (cargo test replays the same file).
i=0
while IFS= read -r s; do
    printf '%s' "$s" > "corpus/ps_date/seed-$i"
    i=$((i + 1))
done < seeds/ps_date.txt
