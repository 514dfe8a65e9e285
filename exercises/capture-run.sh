#!/usr/bin/env bash
# Plays stolen-workload-credential at --speed 10 on a fresh mesh and keeps what the facilitator saw,
# for the README's facilitator section: bash exercises/capture-run.sh > exercises/captures/stolen-workload-credential.txt
set -euo pipefail
cd "$(dirname "$0")/.."
state=$(mktemp -d) reports=$(mktemp -d)
trap 'node harness/bin/meshgate.js down --state "$state" >/dev/null 2>&1 || true; rm -rf "$state" "$reports"' EXIT
node harness/bin/meshgate.js up --state "$state" >/dev/null
echo "\$ meshgate exercise run stolen-workload-credential --attach --speed 10 --facilitator-script exercises/scripts/stolen-workload-credential.yaml"
node harness/bin/meshgate.js exercise run stolen-workload-credential --attach --state "$state" --speed 10 --report-dir "$reports" \
  --facilitator-script exercises/scripts/stolen-workload-credential.yaml | sed -e "s#$state#.meshgate#g" -e "s#$reports#exercise-reports#g"
echo
echo "\$ sed -n '/## Per-inject/,/## Timeline/p' exercise-reports/aar.md"
sed -n '/## Per-inject/,/## Timeline/p' "$reports/aar.md" | sed '$d'
