#!/usr/bin/env bash
# Measures the local stack as a user meets it: boot time to the ready banner,
# idle memory, and upload-to-SUCCEEDED latency of a 12 MP JPEG (median of N).
# Usage: bench/local.sh [N]   (run from the repository root; uses ../shared/images
# when present, else a generated 4032x3024 JPEG)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-5}
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/imgflow" ./cmd/imgflow
photo=../shared/images/p12_olympus-ep3.jpg
if [ ! -f "$photo" ]; then
  photo="$work/photo.jpg"
  go run ./bench/genjpeg -w 4032 -h 3024 -o "$photo"
fi

start=$(date +%s%N)
"$work/imgflow" local --data "$work/data" --endpoint 127.0.0.1:0 --console 127.0.0.1:0 >"$work/out" 2>&1 &
pid=$!
until grep -q "is ready: started in" "$work/out" 2>/dev/null; do
  kill -0 $pid 2>/dev/null || { cat "$work/out"; exit 1; }
  sleep 0.01
done
boot_ms=$(( ($(date +%s%N) - start) / 1000000 ))
internal_ms=$(sed -n 's/.*is ready: started in \([0-9]*\) ms.*/\1/p' "$work/out")
sleep 2
idle_kb=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)

lat=()
for i in $(seq 1 "$runs"); do
  cp "$photo" "$work/p12-run$i.jpg"
  t0=$(date +%s%N)
  "$work/imgflow" upload --data "$work/data" --wait "$work/p12-run$i.jpg" >"$work/upload$i" 2>/dev/null
  lat+=($(( ($(date +%s%N) - t0) / 1000000 )))
  grep -q SUCCEEDED "$work/upload$i" || { cat "$work/upload$i"; exit 1; }
done
peak_kb=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
median=$(printf '%s\n' "${lat[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "boot to ready (process start to banner): ${boot_ms} ms (stack start inside the process: ${internal_ms} ms)"
echo "idle memory (RSS, 2 s after ready):      $(( idle_kb / 1024 )) MB"
echo "12 MP JPEG upload to SUCCEEDED:          median ${median} ms of ${runs} (${lat[*]} ms)"
echo "peak RSS during the runs:                $(( peak_kb / 1024 )) MB"
