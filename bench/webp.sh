#!/usr/bin/env bash
# make bench, WebP part (issue 11): our WebP encoder and engine against
# libwebp (cwebp -m 4, dwebp) and sharp, in one run over the shared photos.
# Reports validity (dwebp and golang.org/x/image/webp decode every WebP we
# write to identical Y/U/V/alpha planes), bytes at equal SSIM against make
# bench's float reference (vs cwebp -m 4 and vs our JPEG, per preset size,
# on baseline, progressive, CMYK and alpha sources), one-core encode time of
# the 2048-px variant against cwebp, and the 4-size WebP unit against
# sharp's .webp() on two cores and on one. Installs what it needs
# (idempotently): Debian webp (cwebp, dwebp) and util-linux (taskset) with
# apt-get, sharp from npm into a temp folder (as bench/resize.sh). Prints
# markdown tables and writes bench/results/<timestamp>-webp.md.
#
# Environment: BENCH_IMAGES (default ../shared/images), BENCH_K (medians of,
# default 5), BENCH_WEBP_QSTEP (quality sweep step over 50..90, default 5),
# BENCH_WEBP_ONLY (comma-separated files for the RD table, default: the
# baseline, progressive, CMYK and alpha photos), SHARP_VERSION (default
# 0.35), BENCH_TOOLS (where sharp is installed, default
# $TMPDIR/imgflow-bench-tools), SHARP_CONCURRENCY (sharp's default
# otherwise), BENCH_KEEP=1 keeps the scratch folder.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

images=${BENCH_IMAGES:-../shared/images}
if [ ! -d "$images" ]; then
  echo "bench-webp: $images not found; skipping the WebP benchmark (set BENCH_IMAGES=DIR)"
  exit 0
fi
tools=${BENCH_TOOLS:-${TMPDIR:-/tmp}/imgflow-bench-tools}
sharp_version=${SHARP_VERSION:-0.35}

. bench/lib.sh
missing=()
command -v cwebp >/dev/null 2>&1 || missing+=(webp)
command -v dwebp >/dev/null 2>&1 || missing+=(webp)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
apt_install bench-webp "${missing[@]}"

sharp_args=(-sharp-prefix "")
if command -v node >/dev/null 2>&1; then
  install_sharp bench-webp "$tools" "$sharp_version"
  sharp_args=(-sharp-prefix "$tools" -sharp-script bench/sharp-webp.mjs)
else
  echo "bench-webp: node not found; the sharp rows will be n/a" >&2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/imgflow-bench-webp.XXXXXX")
if [ "${BENCH_KEEP:-}" = 1 ]; then
  echo "bench-webp: keeping $work" >&2
else
  trap 'rm -rf "$work"' EXIT
fi

export CGO_ENABLED=0
go build -trimpath -o "$work/webpenc-bench" ./bench/webpenc

only=()
[ -n "${BENCH_WEBP_ONLY:-}" ] && only=(-only "$BENCH_WEBP_ONLY")
# Every RD point goes to bench/results/<timestamp>-webp-curves.txt.
"$work/webpenc-bench" -images "$images" -presets bench/presets.json -results bench/results \
  -work "$work" -k "${BENCH_K:-5}" -qstep "${BENCH_WEBP_QSTEP:-5}" "${sharp_args[@]}" "${only[@]}"
