#!/usr/bin/env bash
# make bench-heic (and make bench): our pure-Go HEIC decode against libde265
# and libheif, in the same run on the same machine, on a 12 MP photo of the
# shared set converted to HEIC at run time (nothing is committed) twice:
#   - single: one coded item, as heif-enc writes;
#   - grid: iPhone-like, 512x512 tiles each encoded by heif-enc and muxed
#     into a grid item (bench/heicdecode -grid; heif-enc 1.15 writes no
#     grids). iPhones write grids, so this is the realistic file.
# Rows:
#   - decode on one core, CPU time: `heicdecode` (GOMAXPROCS=1, in-process
#     median of user+sys, the whole imaging.Decode: container, HEVC, chroma
#     upsampling and colour into a 48 MB NRGBA, orientation) against
#     `dec265 -q -t 0` (libde265, one thread, user+sys of the raw stream,
#     decode only, no colour conversion). dec265 reads raw streams, so the
#     row is for the single item; the grid's one-core CPU is listed too;
#   - wall time on two cores, one decode per process (`heicdecode -k 0`:
#     no warm-up run) against `heif-convert` to Y4M (decode and write the
#     planes, its cheapest output) and to PNG, hyperfine medians; the
#     in-process median (warm, -k K) beside it;
#   - peak RSS of one decode per process (GNU time %M), two cores;
#   - the 4-size unit (bench/engine, planned as validate.Items plans it: one
#     group decoded once for a HEIC, one scaled decode per size for the JPEG;
#     every size in WebP and JPEG) beside the JPEG's.
# The table is printed and written to bench/results/<timestamp>-heic.md.
#
# Environment: BENCH_IMAGES (default ../shared/images), BENCH_HEIC_SOURCE
# (default p12_olympus-ep3.jpg), BENCH_K (runs, default 5).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

images=${BENCH_IMAGES:-../shared/images}
src="$images/${BENCH_HEIC_SOURCE:-p12_olympus-ep3.jpg}"
k=${BENCH_K:-5}
if [ ! -f "$src" ]; then
  echo "bench-heic: $src not found; skipping the HEIC benchmark (set BENCH_IMAGES=DIR)"
  exit 0
fi
. bench/lib.sh
missing=()
command -v heif-enc >/dev/null 2>&1 || missing+=(libheif-examples)
command -v heif-convert >/dev/null 2>&1 || missing+=(libheif-examples)
command -v libde265-dec265 >/dev/null 2>&1 || missing+=(libde265-examples)
command -v hyperfine >/dev/null 2>&1 || missing+=(hyperfine)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
[ -x /usr/bin/time ] || missing+=(time)
apt_install bench-heic "${missing[@]}"

work=$(mktemp -d "${TMPDIR:-/tmp}/imgflow-bench-heic.XXXXXX")
trap 'rm -rf "$work"' EXIT
export CGO_ENABLED=0
go build -trimpath -o "$work/heicdecode" ./bench/heicdecode
go build -trimpath -o "$work/engine" ./bench/engine

single="$work/single.heic"
grid="$work/grid.heic"
heif-enc -q 80 "$src" -o "$single" >/dev/null
"$work/heicdecode" -h265 "$work/single.h265" "$single"
"$work/heicdecode" -grid "$grid" -tile 512 -q 80 "$src"

json() { sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p" | head -1; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# one core, CPU time
ours1=$(GOMAXPROCS=1 "$work/heicdecode" -k "$k" "$single" | json median_cpu_ms)
grid1=$(GOMAXPROCS=1 "$work/heicdecode" -k "$k" "$grid" | json median_cpu_ms)
dec265=$(for _ in $(seq "$k"); do
  /usr/bin/time -f '%U %S' -o "$work/time" libde265-dec265 -q -t 0 "$work/single.h265" >/dev/null 2>&1
  awk '{printf "%.0f\n", ($1+$2)*1000}' "$work/time"
done | median)

# two cores, wall time: one decode per process, and warm in-process
wall() { # file -> "heif-convert-y4m heif-convert-png ours" medians in ms
  hyperfine -N -w 1 -r "$k" --export-json "$work/hf.json" \
    "heif-convert --quiet $1 $work/out.y4m" \
    "heif-convert --quiet $1 $work/out.png" \
    "env GOMAXPROCS=2 $work/heicdecode -k 0 $1" >/dev/null 2>&1
  python3 -c "import json;r=json.load(open('$work/hf.json'))['results'];print(' '.join(str(round(x['median']*1000)) for x in r))"
}
read -r s_y4m s_png s_ours <<<"$(wall "$single")"
read -r g_y4m g_png g_ours <<<"$(wall "$grid")"
s_warm=$(GOMAXPROCS=2 "$work/heicdecode" -k "$k" "$single" | json median_ms)
g_warm=$(GOMAXPROCS=2 "$work/heicdecode" -k "$k" "$grid" | json median_ms)

# peak RSS of one decode per process (max of 3), MB
rss() {
  for _ in 1 2 3; do
    /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>&1
    cat "$work/rss"
  done | sort -n | tail -1 | awk '{printf "%.0f", $1/1024}'
}
s_rss=$(rss env GOMAXPROCS=2 "$work/heicdecode" -k 0 "$single")
g_rss=$(rss env GOMAXPROCS=2 "$work/heicdecode" -k 0 "$grid")
s_rss_ref=$(rss heif-convert --quiet "$single" "$work/out.y4m")
g_rss_ref=$(rss heif-convert --quiet "$grid" "$work/out.y4m")

unit_single=$("$work/engine" -k "$k" "$single" | json median_ms)
unit_grid=$("$work/engine" -k "$k" "$grid" | json median_ms)
unit_jpeg=$("$work/engine" -k "$k" "$src" | json median_ms)

dims=$("$work/heicdecode" -k 0 "$grid" | awk -F': ' '/"width"/ {w=$2} /"height"/ {h=$2} END {gsub(",","",w); gsub(",","",h); print w "x" h}')
mkdir -p bench/results
out="bench/results/$(date -u +%Y%m%dT%H%M%SZ)-heic.md"
{
  echo "# HEIC decode, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "Source $(basename "$src") ($dims): single item $(stat -c %s "$single") bytes (heif-enc -q 80),"
  echo "grid of 512x512 tiles $(stat -c %s "$grid") bytes (heif-enc -q 80 per tile). Medians of $k runs."
  echo
  echo "| measurement | ours | reference | ratio | target |"
  echo "| --- | --- | --- | --- | --- |"
  awk -v a="$ours1" -v b="$dec265" 'BEGIN {printf "| decode, one core, CPU time: single item | %.0f ms | dec265 -t 0: %.0f ms | %.2f | <= 1.5 |\n", a, b, a/b}'
  awk -v a="$grid1" -v b="$dec265" 'BEGIN {printf "| decode, one core, CPU time: grid | %.0f ms | dec265 -t 0 (single item): %.0f ms | %.2f | |\n", a, b, a/b}'
  awk -v a="$s_ours" -v b="$s_y4m" -v c="$s_png" -v w="$s_warm" 'BEGIN {printf "| decode, two cores, wall, one per process: single item | %.0f ms (in-process %.0f ms) | heif-convert to Y4M %.0f ms, to PNG %.0f ms | %.2f (PNG %.2f) | <= 1.0 |\n", a, w, b, c, a/b, a/c}'
  awk -v a="$g_ours" -v b="$g_y4m" -v c="$g_png" -v w="$g_warm" 'BEGIN {printf "| decode, two cores, wall, one per process: grid | %.0f ms (in-process %.0f ms) | heif-convert to Y4M %.0f ms, to PNG %.0f ms | %.2f (PNG %.2f) | <= 1.0 |\n", a, w, b, c, a/b, a/c}'
  echo "| peak RSS, one decode, two cores: single item | $s_rss MB | heif-convert to Y4M: $s_rss_ref MB | | <= 200 MB |"
  echo "| peak RSS, one decode, two cores: grid | $g_rss MB | heif-convert to Y4M: $g_rss_ref MB | | <= 200 MB |"
  awk -v a="$unit_single" -v b="$unit_jpeg" 'BEGIN {printf "| 4-size unit: single-item HEIC | %.0f ms | same photo as JPEG: %.0f ms | %.2f | |\n", a, b, a/b}'
  awk -v a="$unit_grid" -v b="$unit_jpeg" 'BEGIN {printf "| 4-size unit: grid HEIC | %.0f ms | same photo as JPEG: %.0f ms | %.2f | |\n", a, b, a/b}'
  echo
  echo "The HEIC unit decodes the HEIC once for all four sizes (one Resize invocation, a"
  echo "group); HEVC has no reduced decode like JPEG's DCT scaling, which the JPEG unit uses per size."
} | tee "$out"
echo "bench-heic: wrote $out"
