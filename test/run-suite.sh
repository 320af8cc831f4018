#!/usr/bin/env bash
# The last step of `npm test`: every vitest project, in two vitest processes at once. Vitest runs
# the files of all projects that allow one file at a time as one queue, so the two e2e shards
# (vitest.config.ts) can only overlap when they are in different processes: this one runs the unit
# tests and then the Docker shard, the other the embedded shard. Each keeps its own dockerd and
# registries. With arguments, it is plain `vitest run ARGS`.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -gt 0 ]; then exec npx vitest run "$@"; fi

status=$(mktemp -d)
trap 'rm -rf "$status"' EXIT
run() {
  local label=$1
  shift
  { npx vitest run "$@"; echo $? >"$status/$label"; } 2>&1 | sed -u "s/^/[$label] /"
}
run unit+docker --project unit --project e2e-docker &
run embedded --project e2e-embedded &
wait
failed=0
for label in unit+docker embedded; do
  code=$(cat "$status/$label" 2>/dev/null || echo 1)
  echo "[$label] vitest exited with status $code"
  [ "$code" = 0 ] || failed=1
done
exit "$failed"
