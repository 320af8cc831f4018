#!/usr/bin/env bash
# The last step of `npm test`: the unit tests, then the two e2e shards (vitest.config.ts) in two
# vitest processes at once. Vitest runs the files of all projects that allow one file at a time as
# one queue, so the shards can only overlap in different processes; each keeps its own dockerd and
# registries. The unit tests run first and alone, as they always did: they mount, kill and time
# things that a build beside them must not see. With arguments, it is plain `vitest run ARGS`.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -gt 0 ]; then exec npx vitest run "$@"; fi

status=$(mktemp -d)
trap 'rm -rf "$status"' EXIT
npx vitest run --project unit 2>&1 | tee "$status/unit.log"
unit=${PIPESTATUS[0]}

run() {
  local label=$1
  shift
  { npx vitest run "$@"; echo $? >"$status/$label"; } 2>&1 | sed -u "s/^/[$label] /" | tee "$status/$label.log"
}
run docker --project e2e-docker &
run embedded --project e2e-embedded &
wait
# A CI log may keep only its tail: repeat which tests failed and why (the first lines of each
# error), from each run's own summary.
for label in unit docker embedded; do
  sed -e 's/\x1b\[[0-9;]*m//g' -e "s/^\[$label\] //" "$status/$label.log" 2>/dev/null |
    awk -v label="$label" '
      /^ *FAIL / { sub(/^ *FAIL +/, ""); print "[" label "] failed: " $0; why = 3; next }
      why > 0 && NF > 0 { print "[" label "]     " $0; why--; next }
      /Unhandled (Error|Rejection)|^ *Errors +[0-9]/ { print "[" label "] " $0 }
    ' | head -60
done
failed=$((unit != 0))
echo "[unit] vitest exited with status $unit"
for label in docker embedded; do
  code=$(cat "$status/$label" 2>/dev/null || echo 1)
  echo "[$label] vitest exited with status $code"
  [ "$code" = 0 ] || failed=1
done
exit "$failed"
