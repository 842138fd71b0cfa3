#!/usr/bin/env bash
# The reprocess soak (make soak): N small real photos (default 2,000, cut at
# run time from ../shared/images by bench/smallset, never stored in the
# repository) uploaded through `imgflow local`, then `imgflow reprocess
# --wait --force` over all of them. Reports the reprocess's throughput
# (images/s on this machine) and the stack's peak RSS.
# Usage: bench/reprocess.sh [N]   (from the repository root; SOAK_SRC overrides ../shared/images)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=${1:-2000}
src=${SOAK_SRC:-../shared/images}
[ -d "$src" ] || { echo "reprocess soak: $src not found" >&2; exit 1; }
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && { kill -INT $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; }; rm -rf "$work"' EXIT

go build -o "$work/imgflow" ./cmd/imgflow
go run ./bench/smallset -src "$src" -n "$n" -o "$work/set"
bytes=$(du -sb "$work/set" | cut -f1)

"$work/imgflow" local --data "$work/data" --endpoint 127.0.0.1:0 --console 127.0.0.1:0 --notification-email "" >"$work/out" 2>&1 &
pid=$!
until grep -q "is ready" "$work/out" 2>/dev/null; do
  kill -0 $pid 2>/dev/null || { cat "$work/out"; exit 1; }
  sleep 0.1
done

t0=$(date +%s%N)
"$work/imgflow" upload --data "$work/data" --prefix uploads/soak --wait --timeout 30m "$work/set" >"$work/upload" 2>&1 || true
upload_s=$(( ($(date +%s%N) - t0) / 1000000 ))
ok=$(grep -c "SUCCEEDED" "$work/upload" || true)

t0=$(date +%s%N)
"$work/imgflow" reprocess --data "$work/data" --force --wait --interval 1s >"$work/reprocess" 2>&1
reprocess_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
peak_kb=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
summary=$(grep "^SUCCEEDED after" "$work/reprocess")
processed=$(sed -n 's/.* \([0-9]*\) processed,.*/\1/p' <<<"$summary")

echo "reprocess soak, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  images:     $n ($(( bytes / n / 1024 )) KiB on average), $ok uploaded through the pipeline in $(( upload_s / 1000 )) s"
echo "  reprocess:  $summary"
awk -v p="$processed" -v ms="$reprocess_ms" 'BEGIN { printf "  throughput: %.1f images/s (%d processed in %.1f s, start to report)\n", p / (ms / 1000), p, ms / 1000 }'
echo "  peak RSS of imgflow local: $(( peak_kb / 1024 )) MB"
