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
i=0
for s in '/Date(1742233002672)/' '/Date(1742233002672+0900)/' '/Date(-1000)/' \
    '2025-03-17T17:54:30.6982628Z' '2025-03-18T02:54:30+09:00' \
    '2019-03-12T16:02:15.5522137+00:00' '2018-11-06T18:48:12.94725647Z' '2025-02-30T00:00:00Z' \
    '2025-03-17' '2025-03-17T15:00:00' 'ééééa'; do
    printf '%s' "$s" > "corpus/ps_date/seed-$i"
    i=$((i + 1))
done
