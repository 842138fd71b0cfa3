#!/usr/bin/env bash
# make bench-heic: our pure-Go HEIC decode against libde265 and libheif, on
# a 12 MP photo of the shared set converted to HEIC at run time with
# heif-enc (nothing is committed). Rows:
#   - decode on one core: `heicdecode` (GOMAXPROCS=1, in-process median of
#     user+sys CPU time, the whole imaging.Decode: container, HEVC, colour,
#     orientation into a 48 MB NRGBA) against `dec265 -q -t 0` (libde265, one
#     thread, user+sys CPU of the raw stream, decode only);
#   - wall time on two cores: our decode against `heif-convert` to PNG
#     (hyperfine; heif-convert's time includes writing the PNG);
#   - the 4-size unit (bench/engine: 4 imaging.Process calls, as the resize
#     Lambdas do) from the HEIC beside the same unit from the source JPEG.
# heif-enc writes one coded item, not an iPhone grid, so the two-core rows
# measure the colour stage's parallelism, not tile parallelism.
#
# Environment: BENCH_IMAGES (default ../shared/images), BENCH_HEIC_SOURCE
# (default p12_olympus-ep3.jpg), BENCH_K (runs, default 5).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

images=${BENCH_IMAGES:-../shared/images}
src="$images/${BENCH_HEIC_SOURCE:-p12_olympus-ep3.jpg}"
k=${BENCH_K:-5}
if [ ! -f "$src" ]; then
  echo "bench-heic: $src not found; skipping (set BENCH_IMAGES=DIR)"
  exit 0
fi
missing=""
command -v heif-enc >/dev/null 2>&1 || missing="$missing libheif-examples"
command -v libde265-dec265 >/dev/null 2>&1 || missing="$missing libde265-examples"
command -v hyperfine >/dev/null 2>&1 || missing="$missing hyperfine"
[ -x /usr/bin/time ] || missing="$missing time"
if [ -n "$missing" ]; then
  echo "bench-heic: installing Debian packages:$missing" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/imgflow-bench-heic.XXXXXX")
trap 'rm -rf "$work"' EXIT
export CGO_ENABLED=0
go build -trimpath -o "$work/heicdecode" ./bench/heicdecode
go build -trimpath -o "$work/engine" ./bench/engine

heic="$work/photo.heic"
heif-enc -q 80 "$src" -o "$heic" >/dev/null
"$work/heicdecode" -h265 "$work/photo.h265" "$heic"
echo "source: $(basename "$src") -> HEIC $(stat -c %s "$heic") bytes (heif-enc -q 80)"

json() { sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p" | head -1; }

ours1=$(GOMAXPROCS=1 "$work/heicdecode" -k "$k" "$heic" | json median_cpu_ms)
ours2=$(GOMAXPROCS=2 "$work/heicdecode" -k "$k" "$heic" | json median_ms)
# dec265: CPU time (user+sys) of single-threaded decode, median of k runs.
cpu=()
for _ in $(seq "$k"); do
  /usr/bin/time -f '%U %S' -o "$work/time" libde265-dec265 -q -t 0 "$work/photo.h265" >/dev/null 2>&1
  cpu+=("$(awk '{printf "%.0f", ($1+$2)*1000}' "$work/time")")
done
dec265=$(printf '%s\n' "${cpu[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
hyperfine -N -w 1 -r "$k" --export-json "$work/hf.json" \
  "heif-convert $heic $work/out.png" \
  "env GOMAXPROCS=2 $work/heicdecode -k 1 $heic" >/dev/null 2>&1
hf=$(python3 -c "import json;r=json.load(open('$work/hf.json'))['results'];print(' '.join(str(round(x['median']*1000)) for x in r))")
unit_heic=$("$work/engine" -k "$k" "$heic" | json median_ms)
unit_jpeg=$("$work/engine" -k "$k" "$src" | json median_ms)

echo
echo "| measurement | ours | reference | ratio |"
echo "| --- | --- | --- | --- |"
awk -v a="$ours1" -v b="$dec265" 'BEGIN {printf "| 12 MP HEIC decode, one core (CPU time) | %.0f ms | dec265 -t 0: %.0f ms | %.2f |\n", a, b, a/b}'
set -- $hf
awk -v a="$2" -v b="$1" -v c="$ours2" 'BEGIN {printf "| 12 MP HEIC decode, two cores, wall | %.0f ms (in-process %.0f ms) | heif-convert to PNG: %.0f ms | %.2f |\n", a, c, b, a/b}'
awk -v a="$unit_heic" -v b="$unit_jpeg" 'BEGIN {printf "| 4-size unit from the HEIC | %.0f ms | same photo as JPEG: %.0f ms | %.2f |\n", a, b, a/b}'
