#!/usr/bin/env bash
# make bench: our resize engine against sharp (libvips) over the shared photos,
# in the same run. Installs what it needs (idempotently): sharp from npm into
# a temp folder, ImageMagick, libjpeg-turbo tools, hyperfine and GNU time from
# Debian. Then builds imgflow and the bench commands and runs
# bench/resizebench, which prints markdown tables and writes
# bench/results/<timestamp>.{json,md}.
#
# Environment: BENCH_IMAGES (default ../shared/images), BENCH_K and
# BENCH_RUNS (medians of, default 5), BENCH_ONLY (substring of file names),
# SHARP_VERSION (default 0.35), BENCH_TOOLS (where sharp is installed,
# default $TMPDIR/imgflow-bench-tools), SHARP_CONCURRENCY (sharp's default
# otherwise), BENCH_KEEP=1 keeps the scratch folder (outputs, references).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

images=${BENCH_IMAGES:-../shared/images}
if [ ! -d "$images" ]; then
  echo "bench: $images not found; skipping the resize benchmark (set BENCH_IMAGES=DIR)"
  exit 0
fi
tools=${BENCH_TOOLS:-${TMPDIR:-/tmp}/imgflow-bench-tools}
sharp_version=${SHARP_VERSION:-0.35}

# Debian packages, only when missing. /usr/local/bin/convert may be a stand-in,
# so ImageMagick is looked for in /usr/bin.
. bench/lib.sh
missing=()
[ -x /usr/bin/convert ] || missing+=(imagemagick)
command -v djpeg >/dev/null 2>&1 || missing+=(libjpeg-turbo-progs)
command -v hyperfine >/dev/null 2>&1 || missing+=(hyperfine)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
[ -x /usr/bin/time ] || missing+=(time)
apt_install bench "${missing[@]}"

command -v node >/dev/null 2>&1 || { echo "bench: node is needed for sharp" >&2; exit 1; }
install_sharp bench "$tools" "$sharp_version"

work=$(mktemp -d "${TMPDIR:-/tmp}/imgflow-bench.XXXXXX")
if [ "${BENCH_KEEP:-}" = 1 ]; then
  echo "bench: keeping $work" >&2
else
  trap 'rm -rf "$work"' EXIT
fi

export CGO_ENABLED=0
go build -trimpath -o "$work/imgflow" ./cmd/imgflow
go build -trimpath -o "$work/engine" ./bench/engine
go build -trimpath -o "$work/resizebench" ./bench/resizebench
# The scaled decoder is being written: when it does not build, only its row
# says so.
decode_args=(-jpegdecode "$work/jpegdecode")
if ! go build -trimpath -o "$work/jpegdecode" ./bench/jpegdecode 2>"$work/jpegdecode.err"; then
  echo "bench: bench/jpegdecode does not build; 1/8 decode will be n/a:" >&2
  head -3 "$work/jpegdecode.err" >&2
  decode_args=(-jpegdecode "" -jpegdecode-note "decoder not integrated: does not build")
fi

keep=()
[ "${BENCH_KEEP:-}" = 1 ] && keep=(-keep-refs)
"$work/resizebench" -images "$images" -presets bench/presets.json -results bench/results -work "$work" \
  -imgflow "$work/imgflow" -engine "$work/engine" "${decode_args[@]}" \
  -sharp-prefix "$tools" -sharp-scripts bench \
  -k "${BENCH_K:-5}" -runs "${BENCH_RUNS:-5}" -only "${BENCH_ONLY:-}" "${keep[@]}"
