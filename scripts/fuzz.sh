#!/usr/bin/env bash
# Runs every Go fuzz target of the module for FUZZTIME each (default 10m),
# LANES targets at a time (default 1), each with one worker, and keeps what
# the fuzzer finds as seeds under the package's testdata/fuzz/ (go test's
# own place for them). Usage: FUZZTIME=10m LANES=2 bash scripts/fuzz.sh [regexp]
# Prints one line a target: PASS/FAIL, package, target, executions.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fuzztime=${FUZZTIME:-10m}
lanes=${LANES:-1}
filter=${1:-.}
logdir=${FUZZ_LOGS:-build/fuzz}
mkdir -p "$logdir"

# "<package dir> <target>" for every func FuzzX(f *testing.F) in a _test.go file.
targets=$(grep -rHo --include='*_test.go' -E '^func (Fuzz[A-Za-z0-9_]+)\(f \*testing\.F\)' \
  --exclude-dir=.tools --exclude-dir=build --exclude-dir=node_modules . |
  sed -E 's#^(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]+).*#\1 \2#' | sort -u | grep -E -- "$filter")

run() {
  local dir=$1 name=$2 log
  log="$logdir/$(echo "$dir" | tr '/.' '__')-$name.log"
  if go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" -fuzzminimizetime=10s -parallel=1 "$dir" >"$log" 2>&1; then
    echo "PASS $dir $name $(grep -Eo 'execs: [0-9]+' "$log" | tail -1)"
  else
    echo "FAIL $dir $name (log: $log)"; tail -20 "$log"
    return 1
  fi
}

status=0
while read -r dir name; do
  [ -n "$dir" ] || continue
  while [ "$(jobs -rp | wc -l)" -ge "$lanes" ]; do wait -n || status=1; done
  run "$dir" "$name" &
done <<<"$targets"
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n || status=1; done
exit $status
