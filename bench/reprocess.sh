#!/usr/bin/env bash
# The reprocess soak (make soak), as issue 15 asks for it: N small real
# photos (default 2,000, cut at run time from ../shared/images by
# bench/smallset, never stored in the repository) and two bad files are
# uploaded through `imgflow local`; the presets change (a new size, as a
# redeploy of the layer would: the stack restarts on a copy of the template
# whose layer has the new presets.json); then `imgflow reprocess --wait`,
# not forced: the presets digest decides. Checks that every good object's
# manifest was remade with the new presets, that the two bad files are the
# failures listed in the ResultWriter output, and that exactly one summary
# email went out; reports the reprocess's throughput (images/s on this
# machine) and the stack's peak RSS.
# Usage: bench/reprocess.sh [N]   (from the repository root; SOAK_SRC overrides ../shared/images)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=${1:-2000}
src=${SOAK_SRC:-../shared/images}
[ -d "$src" ] || { echo "reprocess soak: $src not found" >&2; exit 1; }
work=$(mktemp -d)
pid=
stop_stack() {
  if [ -n "$pid" ]; then
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
  fi
}
trap 'stop_stack; rm -rf "$work"' EXIT

go build -o "$work/imgflow" ./cmd/imgflow
go run ./bench/smallset -src "$src" -n "$n" -o "$work/set"
bytes=$(du -sb "$work/set" | cut -f1)
# Two bad files: text named .jpg, and a JPEG cut short.
echo "not an image" >"$work/set/bad-text.jpg"
first=$(find "$work/set" -name '*.jpg' ! -name 'bad-*' -print -quit)
head -c 2000 "$first" >"$work/set/bad-truncated.jpg"

# The stack runs a copy of the template whose layer (presets.json) can
# change; the state machines are the repository's.
root="$work/root"
mkdir -p "$root/layers/common/assets"
cp template.yaml "$root/"
cp layers/common/Makefile "$root/layers/common/"
cp layers/common/assets/presets.json "$root/layers/common/assets/"
ln -s "$PWD/statemachine" "$root/statemachine"

start_stack() {
  # The default local mailbox (.eml files in the data folder) receives the emails.
  "$work/imgflow" local --data "$work/data" --template "$root/template.yaml" --endpoint 127.0.0.1:0 --console 127.0.0.1:0 >"$work/out" 2>&1 &
  pid=$!
  until grep -q "is ready" "$work/out" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/out"; exit 1; }
    sleep 0.1
  done
}

start_stack
t0=$(date +%s%N)
"$work/imgflow" upload --data "$work/data" --prefix uploads/soak --wait --timeout 30m "$work/set" >"$work/upload" 2>&1 || true
upload_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok=$(grep -c "SUCCEEDED" "$work/upload" || true)
stop_stack

# The presets change: a new size, "sm" at 384 px.
python3 - "$root/layers/common/assets/presets.json" <<'EOF'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["presets"].insert(len(d["presets"]) - 1, {"name": "sm", "longSide": 384, "formats": ["webp", "auto"], "quality": 75})
json.dump(d, open(p, "w"), indent=2)
EOF
start_stack
endpoint=$(sed -n 's/^  endpoint *\(http[^ ]*\).*/\1/p' "$work/out")
output=$(sed -n 's/^  bucket *\(imgflow-resized-[^ ]*\).*/\1/p' "$work/out")

t0=$(date +%s%N)
"$work/imgflow" reprocess --data "$work/data" --wait --interval 1s >"$work/reprocess" 2>&1 || true
reprocess_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
peak_kb=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
summary=$(grep "^SUCCEEDED after\|^FAILED after" "$work/reprocess" || true)
processed=$(sed -n 's/.* \([0-9]*\) processed,.*/\1/p' <<<"$summary")
failed=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$summary")

# Every good object's manifest has the new size; the bad files are the
# failures in the ResultWriter output; one summary email.
remade=$(AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local python3 - "$endpoint" "$output" <<'EOF'
import json, sys
import boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
remade = 0
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[2], Prefix="variants/uploads/soak/"):
    for o in page.get("Contents", []):
        if o["Key"].endswith("/manifest.json"):
            m = json.load(s3.get_object(Bucket=sys.argv[2], Key=o["Key"])["Body"])
            remade += any(v.get("preset") == "sm" for v in m.get("variants", []))
print(remade)
EOF
)
listed=$(AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local python3 - "$endpoint" "$output" <<'EOF'
import sys
import boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
text = ""
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[2], Prefix="reprocess-results/"):
    for o in page.get("Contents", []):
        text += s3.get_object(Bucket=sys.argv[2], Key=o["Key"])["Body"].read().decode()
print(sum(("/" + b) in text for b in ("bad-text.jpg", "bad-truncated.jpg")))
EOF
)
summaries=$(grep -l "^Subject: imgflow: reprocess" "$work/data"/sns/mailbox/*.eml 2>/dev/null | wc -l)

echo "reprocess soak, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  images:     $n good ($(( bytes / n / 1024 )) KiB on average) + 2 bad; $ok succeeded through the pipeline in $(( upload_ms / 1000 )) s"
echo "  presets:    a new size (sm, 384 px) added; reprocess not forced"
echo "  reprocess:  $summary"
awk -v p="$processed" -v ms="$reprocess_ms" 'BEGIN { printf "  throughput: %.1f images/s (%d processed in %.1f s, start to report)\n", p / (ms / 1000), p, ms / 1000 }'
echo "  manifests remade with the new size: $remade of $n; bad files listed as failures in the ResultWriter output: $listed of 2; summary emails: $summaries"
echo "  peak RSS of imgflow local: $(( peak_kb / 1024 )) MB"
if [ "$remade" -ne "$n" ] || [ "$listed" -ne 2 ] || [ "$summaries" -ne 1 ] || [ "${failed:-x}" != 2 ]; then
  echo "reprocess soak: FAILED (see above)"; sed -n '1,40p' "$work/reprocess"; exit 1
fi
