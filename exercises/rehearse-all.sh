#!/usr/bin/env bash
# Rehearses every shipped exercise unattended at --speed 10 on one fresh mesh, each with its script in
# exercises/scripts/, and prints per inject the measured times (wall-clock) from its aar.json.
set -euo pipefail
cd "$(dirname "$0")/.."
state=$(mktemp -d) reports=${1:-$(mktemp -d)}
trap 'node harness/bin/meshgate.js down --state "$state" >/dev/null 2>&1 || true; rm -rf "$state"' EXIT
node harness/bin/meshgate.js up --state "$state" >/dev/null
for file in exercises/*.yaml; do
  id=$(basename "$file" .yaml)
  start=$(date +%s.%N)
  node harness/bin/meshgate.js exercise run "$id" --attach --state "$state" --speed 10 --report-dir "$reports/$id" \
    --facilitator-script "exercises/scripts/$id.yaml" >"$reports/$id.log"
  printf '%s: %.1f s wall-clock\n' "$id" "$(echo "$(date +%s.%N) - $start" | bc)"
  jq -r '.injects[] | select(.containment != null) | "  \(.id): detect \(.timeToDetectMs) ms, alert \(.timeToAlertMs) ms, acknowledge \(.timeToAcknowledgeMs) ms, contain \(.timeToContainMs) ms, reached \([.blastRadius.reached[]] | add // 0), succeeded \(.blastRadius.succeeded)"' "$reports/$id/aar.json"
  jq -r '.objectives[] | "  objective \(.id): \(.rating)"' "$reports/$id/aar.json"
done
node harness/bin/meshgate.js status --state "$state" >/dev/null && echo "mesh as it was found: meshgate status exit 0"
